//! Telegram Desktop dates: local `YYYY-MM-DDTHH:MM:SS` plus a separate
//! `*_unixtime` string (docs/tdesktop-export-format.md §2.1), to and from
//! RFC 3339 with an offset.
//!
//! The offset is not guessed: it is the difference between the local time
//! and the Unix time the same file gives for the same instant. Reader and
//! writer share these functions so that what one computes the other undoes
//! exactly.

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8]) -> Option<i64> {
    let mut n = 0i64;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some(n)
}

/// Seconds since the epoch of a local `YYYY-MM-DDTHH:MM:SS`, read as if it
/// were UTC. `None` unless `s` is exactly that shape with sane fields.
pub fn parse_local(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
    {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let y = digits(b.get(0..4)?)?;
    let mo = digits(b.get(5..7)?)?;
    let d = digits(b.get(8..10)?)?;
    let h = digits(b.get(11..13)?)?;
    let mi = digits(b.get(14..16)?)?;
    let se = digits(b.get(17..19)?)?;
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether `s` is a real instant in the model's shape (RFC 3339, the offset
/// left out when a source only knows local time): `YYYY-MM-DDTHH:MM:SS`, a
/// day the calendar has, then optionally `.` and digits, then optionally
/// `Z` or `±HH:MM`. What the reader lets into a post's `date` or `edited`.
pub fn is_instant(s: &str) -> bool {
    let (Some(local), Some(rest)) = (s.get(..19), s.get(19..)) else {
        return false;
    };
    if parse_local(local).is_none() {
        return false;
    }
    let rest = match rest.strip_prefix('.') {
        Some(frac) => {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return false;
            }
            frac.get(digits..).unwrap_or_default()
        }
        None => rest,
    };
    match rest.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!((digits(&[*h1, *h2]), digits(&[*m1, *m2])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

/// Whether `s` is a Unix time as Telegram Desktop writes it: an optional
/// `-` and decimal digits, in range.
pub fn is_unixtime(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && s.parse::<i64>().is_ok()
}

/// Largest offset accepted, as in RFC 3339 practice (±18:00).
const MAX_OFFSET: i64 = 18 * 3600;

/// Joins a local date and its `*_unixtime` into RFC 3339 with an offset.
/// `None` when the two cannot be joined so that [`split`] gives both back
/// exactly (then the caller keeps the raw `*_unixtime`).
pub fn join(local: &str, unixtime: &str) -> Option<String> {
    let l = parse_local(local)?;
    let u: i64 = unixtime.parse().ok()?;
    if u.to_string() != unixtime {
        return None;
    }
    let off = l.checked_sub(u)?;
    if off % 60 != 0 || off.abs() > MAX_OFFSET {
        return None;
    }
    let sign = if off < 0 { '-' } else { '+' };
    let m = off.abs() / 60;
    Some(format!("{local}{sign}{:02}:{:02}", m / 60, m % 60))
}

/// Splits an RFC 3339 date into Telegram Desktop's local date and Unix time.
/// A date without an offset gives no Unix time; a date in another shape is
/// returned whole, without a Unix time.
pub fn split(date: &str) -> (&str, Option<i64>) {
    let (Some(local), Some(rest)) = (date.get(..19), date.get(19..)) else {
        return (date, None);
    };
    let Some(l) = parse_local(local) else {
        return (date, None);
    };
    let off = match rest.as_bytes() {
        [] => return (local, None),
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (Some(h), Some(m)) = (digits(&[*h1, *h2]), digits(&[*m1, *m2])) else {
                return (date, None);
            };
            let off = h * 3600 + m * 60;
            if off > MAX_OFFSET || m > 59 {
                return (date, None);
            }
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return (date, None),
    };
    (local, Some(l - off))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_with_the_real_offset() {
        // pachum-channel: local 16:24:01 at unixtime 1781699041 is +04:00.
        assert_eq!(
            join("2026-06-17T16:24:01", "1781699041").as_deref(),
            Some("2026-06-17T16:24:01+04:00")
        );
        assert_eq!(join("1970-01-01T00:00:00", "0").as_deref(), Some("1970-01-01T00:00:00+00:00"));
        assert_eq!(join("1969-12-31T19:00:00", "0").as_deref(), Some("1969-12-31T19:00:00-05:00"));
        assert_eq!(join("2026-06-17T16:24:01", "01781699041"), None);
        assert_eq!(join("2026-06-17T16:24:01", "1"), None);
        assert_eq!(join("2026-06-17 16:24:01", "1781699041"), None);
        assert_eq!(join("2026-06-17T16:24:01", "9223372036854775807"), None);
    }

    #[test]
    fn splits_back() {
        assert_eq!(split("2026-06-17T16:24:01+04:00"), ("2026-06-17T16:24:01", Some(1781699041)));
        assert_eq!(split("2024-07-04T10:15:00+05:30").1, Some(1720068300));
        assert_eq!(split("2024-07-04T10:15:00Z").1, Some(1720088100));
        assert_eq!(split("2020-11-12T12:53:52"), ("2020-11-12T12:53:52", None));
        assert_eq!(split("yesterday"), ("yesterday", None));
        assert_eq!(split("2024-07-04T10:15:00.5Z"), ("2024-07-04T10:15:00.5Z", None));
        assert_eq!(split("2024-07-04T10:15:00+99:00").1, None);
    }

    #[test]
    fn only_real_instants_pass() {
        for good in [
            "2024-02-29T23:59:59",
            "2000-02-29T00:00:00",
            "2026-06-17T16:24:01+04:00",
            "2024-07-04T10:15:00.5Z",
            "2024-07-04T10:15:00-05:30",
            "1970-01-01T00:00:00",
        ] {
            assert!(is_instant(good), "{good}");
        }
        for bad in [
            "",
            "2024-02-30T00:00:00",
            "2023-02-29T00:00:00",
            "1900-02-29T00:00:00",
            "2024-04-31T00:00:00",
            "2024-01-01T25:61:61",
            "2024-01-01 00:00:00",
            "2024-01-01T00:00",
            "2024-01-01T00:00:00.",
            "2024-01-01T00:00:00+4:00",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00 ",
            "yesterday",
        ] {
            assert!(!is_instant(bad), "{bad:?}");
        }
        assert!(is_unixtime("1781699041") && is_unixtime("-5") && is_unixtime("0"));
        for bad in ["", "-", "1.5", " 1", "1e9", "99999999999999999999", "+1"] {
            assert!(!is_unixtime(bad), "{bad:?}");
        }
    }

    #[test]
    fn round_trips() {
        for (d, u) in [("2025-11-03T21:10:58", "1762200658"), ("2000-02-29T23:59:59", "951868799")]
        {
            let joined = join(d, u).unwrap();
            assert_eq!(split(&joined), (d, Some(u.parse().unwrap())));
        }
    }
}
