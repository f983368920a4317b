//! Facts about an archive format that its reader and its writer share.
//!
//! A reader and a writer of the same format must agree on more than the
//! format's own keys: on the marks tgnorm adds when it writes (which values
//! it derived, which it could not place) and on how to take them back off.
//! Keeping those facts here lets either side change without reaching into
//! the other's module.

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

pub mod tdesktop_html;
pub mod tdesktop_json;
pub mod text;

#[cfg(feature = "parquet")]
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
