//! Dates as the validators check them: the shape of an RFC 3339 date-time
//! and, beyond the shape, a real calendar date and clock time.
//!
//! A pattern can say `[0-9]{2}` but not that February 2024 has 29 days, so
//! the schemas' `format` keywords are assertions in `tgnorm validate`
//! (registered with the schema compiler, [`assert_date_time`] and
//! [`assert_local_date_time`]), and the problem says which field is out of
//! range. One function serves the JSON schemas and the saved web pages'
//! `time[datetime]`, so the rule is the same everywhere.
//!
//! Seconds stop at 59: every date tgnorm meets is a Unix-time instant, and
//! Unix time has no leap second.

use super::markup::digits;

/// Whether a date-time carries an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offset {
    /// RFC 3339 proper: `Z` or `±hh:mm` is required.
    Required,
    /// tgnorm's post dates: the offset is left out when the source only
    /// knows local time.
    Optional,
    /// Telegram Desktop's local `YYYY-MM-DDTHH:MM:SS` (no fraction, no offset).
    Forbidden,
}

/// The shape, spelled out for messages.
const SHAPE: &str = "YYYY-MM-DDTHH:MM:SS±hh:mm";
const LOCAL_SHAPE: &str = "YYYY-MM-DDTHH:MM:SS";

/// `Ok` when `s` is a date-time of that kind naming a real instant, else
/// why not, in words (`"2024-02-30…": February 2024 has 29 days`).
pub(crate) fn check(s: &str, offset: Offset) -> Result<(), String> {
    let shape = if offset == Offset::Forbidden { LOCAL_SHAPE } else { SHAPE };
    let bad_shape = || format!("is not a date-time of the form {shape}");
    let b = s.as_bytes();
    let part = |r: std::ops::Range<usize>| digits(b.get(r));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day), Some(h), Some(m), Some(sec)) =
        (part(0..4), part(5..7), part(8..10), part(11..13), part(14..16), part(17..19))
    else {
        return Err(bad_shape());
    };
    let t = matches!(b.get(10), Some(b'T')) || (offset == Offset::Required && at(10, b't'));
    if !(at(4, b'-') && at(7, b'-') && t && at(13, b':') && at(16, b':')) {
        return Err(bad_shape());
    }
    let mut i = 19;
    if at(i, b'.') && offset != Offset::Forbidden {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(bad_shape());
        }
    }
    match (b.get(i), offset) {
        (None, Offset::Optional | Offset::Forbidden) => {}
        (None, Offset::Required) => {
            return Err("has no time-zone offset (RFC 3339 needs Z or ±hh:mm)".into())
        }
        (Some(b'Z'), Offset::Required | Offset::Optional) if i + 1 == b.len() => {}
        (Some(b'z'), Offset::Required) if i + 1 == b.len() => {}
        (Some(b'+' | b'-'), Offset::Required | Offset::Optional)
            if i + 6 == b.len() && at(i + 3, b':') =>
        {
            let (Some(oh), Some(om)) = (part(i + 1..i + 3), part(i + 4..i + 6)) else {
                return Err(bad_shape());
            };
            if oh > 23 || om > 59 {
                return Err(format!("has an impossible time-zone offset ({oh:02}:{om:02})"));
            }
        }
        _ => return Err(bad_shape()),
    }
    real(year, month, day, h, m, sec)
}

/// `Ok` for a real calendar date and clock time, else which field is out
/// of range.
pub(crate) fn real(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Result<(), String> {
    use crate::format::MONTHS;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("has no month {month:02}")),
    };
    let name = usize::try_from(month - 1).ok().and_then(|i| MONTHS.get(i)).unwrap_or(&"");
    if !(1..=days).contains(&day) {
        return Err(format!("is not a real date: {name} {year} has {days} days"));
    }
    if h > 23 {
        return Err(format!("is not a real time: hour {h:02} (00 to 23)"));
    }
    if m > 59 {
        return Err(format!("is not a real time: minute {m:02} (00 to 59)"));
    }
    if s > 59 {
        return Err(format!("is not a real time: second {s:02} (00 to 59)"));
    }
    Ok(())
}

/// `format: date-time` in the schemas: RFC 3339, the offset optional as
/// the post schema's `date` says (its pattern decides the exact shape).
pub(crate) fn assert_date_time(s: &str) -> bool {
    check(s, Offset::Optional).is_ok()
}

/// `format: local-date-time`: Telegram Desktop's `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn assert_local_date_time(s: &str) -> bool {
    check(s, Offset::Forbidden).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_ranges() {
        assert_eq!(check("2023-02-24T07:29:57+00:00", Offset::Required), Ok(()));
        assert_eq!(check("2023-02-24T07:29:57.5Z", Offset::Required), Ok(()));
        assert_eq!(check("2024-02-29T23:59:59", Offset::Forbidden), Ok(()));
        assert_eq!(check("2024-02-29T23:59:59", Offset::Optional), Ok(()));
        assert_eq!(
            check("2023-02-24T07:29:57", Offset::Required).unwrap_err(),
            "has no time-zone offset (RFC 3339 needs Z or ±hh:mm)"
        );
        assert_eq!(
            check("2024-02-30T00:00:00Z", Offset::Optional).unwrap_err(),
            "is not a real date: February 2024 has 29 days"
        );
        assert_eq!(
            check("2023-02-29T00:00:00", Offset::Forbidden).unwrap_err(),
            "is not a real date: February 2023 has 28 days"
        );
        assert_eq!(
            check("2024-01-01T25:61:61Z", Offset::Optional).unwrap_err(),
            "is not a real time: hour 25 (00 to 23)"
        );
        assert_eq!(
            check("2024-01-01T00:00:00+24:00", Offset::Optional).unwrap_err(),
            "has an impossible time-zone offset (24:00)"
        );
        assert_eq!(check("2024-13-01T00:00:00", Offset::Forbidden).unwrap_err(), "has no month 13");
        for bad in ["", "2024-01-01 00:00:00", "2024-01-01T00:00:00Z", "2024-1-01T00:00:00"] {
            assert_eq!(
                check(bad, Offset::Forbidden).unwrap_err(),
                "is not a date-time of the form YYYY-MM-DDTHH:MM:SS",
                "{bad:?}"
            );
        }
    }
}
