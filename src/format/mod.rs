//! Facts about an archive format that its reader and its writer share.
//!
//! A reader and a writer of the same format must agree on the format's
//! layout (date formats, page names, placeholders, reserved keys, the line
//! grammar of text dumps) and on the marks tgnorm adds when it writes (which
//! values it derived, which it could not place) and how to take them back
//! off. Keeping those facts here, one module per format, lets either side
//! change without reaching into the other's module: `read::*` and
//! `write::*` never import each other (`tests/architecture.rs` checks it).
//! Facts of several formats (English month names, what a real date is,
//! how a format id is parsed and shown) are here once.

/// Implements `Display` (the format's id, from its `as_str`) and `FromStr`
/// (its ids and aliases; an unknown one is an error listing `ALL`) for a
/// format enum: the one copy for the input and the output formats.
macro_rules! format_ids {
    ($ty:ident, $what:literal, { $($(#[$attr:meta])* $($name:literal)|+ => $variant:ident),+ $(,)? }) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<$ty, String> {
                match s {
                    $($(#[$attr])* $($name)|+ => Ok($ty::$variant),)+
                    _ => Err(format!(
                        concat!("unknown ", $what, " format `{}` (expected one of: {})"),
                        s,
                        $ty::ALL.join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use format_ids;

/// The flag (`source.flags`) of a post with a date its source gave without
/// an offset, completed by `--assume-offset` (`read::offset`); writers of
/// formats that hold local times take it back off.
pub const ASSUMED_OFFSET: &str = "assumed_offset";

pub mod tdesktop_html;
pub mod tdesktop_json;
pub mod text;

#[cfg(feature = "arrow")]
pub mod arrow;

/// English month names, as Telegram's English UI strings print them (web
/// date separators, Telegram Desktop's HTML date separators, text dumps):
/// the one copy for every reader, writer and check.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// True when the fields name a real date and time: a year from 1 to 9999,
/// a day that its month has (29 February in leap years only), 00:00:00 to
/// 23:59:59 (no leap second: Telegram's clocks have none).
pub(crate) fn real_date_time(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=9999).contains(&year) && (1..=days).contains(&day) && h <= 23 && m <= 59 && s <= 59
}

/// What an RFC 3339 date-time check found: the text names a real date and
/// time with an offset (`Z` or `±hh:mm`), or one without an offset (a
/// local time, which a reader completes with `--assume-offset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateTime {
    /// `…Z` or `…±hh:mm`.
    WithOffset,
    /// `YYYY-MM-DDTHH:MM:SS[.frac]` and nothing after it.
    Local,
}

/// The one RFC 3339 check, for the web reader's `datetime` attributes and
/// for `validate`: `YYYY-MM-DDTHH:MM:SS[.frac]`, then `Z`, `±hh:mm` or
/// nothing (a local time), naming a real date and time. `Err` says why not.
pub(crate) fn rfc3339(s: &str) -> Result<DateTime, &'static str> {
    const SHAPE: &str = "is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS±hh:mm)";
    let b = s.as_bytes();
    let part = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c.saturating_sub(b'0'))))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day), Some(h), Some(m), Some(sec)) =
        (part(0..4), part(5..7), part(8..10), part(11..13), part(14..16), part(17..19))
    else {
        return Err(SHAPE);
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return Err(SHAPE);
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(SHAPE);
        }
    }
    let found = match b.get(i) {
        None => DateTime::Local,
        Some(b'Z') if i + 1 == b.len() => DateTime::WithOffset,
        Some(b'+' | b'-') if i + 6 == b.len() && at(i + 3, b':') => {
            match (part(i + 1..i + 3), part(i + 4..i + 6)) {
                (Some(oh), Some(om)) if oh <= 23 && om <= 59 => DateTime::WithOffset,
                _ => return Err(SHAPE),
            }
        }
        _ => return Err(SHAPE),
    };
    if !real_date_time(year, month, day, h, m, sec) {
        return Err("is not a real date and time");
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339("2023-02-24T07:29:57+00:00"), Ok(DateTime::WithOffset));
        assert_eq!(rfc3339("2023-02-24T07:29:57.5Z"), Ok(DateTime::WithOffset));
        assert_eq!(rfc3339("2023-02-24T07:29:57.5+05:30"), Ok(DateTime::WithOffset));
        assert_eq!(rfc3339("2024-02-29T23:59:59-12:00"), Ok(DateTime::WithOffset));
        assert_eq!(rfc3339("2023-02-24T07:29:57"), Ok(DateTime::Local));
        for bad in [
            "2023-02-30T07:29:57+00:00",
            "2023-02-24 07:29:57+00:00",
            "2023-02-24T07:29:57+0000",
            "2023-02-24T07:29:57+24:00",
            "2023-02-24T07:29:57.+00:00",
            "2023-02-24t07:29:57z",
            "24.02.2023 07:29",
            "",
        ] {
            assert!(rfc3339(bad).is_err(), "{bad}");
        }
    }
}
