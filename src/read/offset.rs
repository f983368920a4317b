//! Dates without an offset get one: `--assume-offset` (issue 15, item 1).
//!
//! Some sources give only the exporting machine's local time: `result.json`
//! written before mid-2022 (no `date_unixtime`), Telegram Desktop HTML date
//! titles of the same era (no ` UTC±hh:mm`), old text dumps
//! (docs/tdesktop-export-format.md §2.1, §5, §6). A column that mixes
//! `2020-11-12T12:53:52` with `2024-07-04T10:15:00+05:30` is no timestamp
//! column to DuckDB or pandas, so every date the model holds carries an
//! offset. Where the source has none, the offset the user gave (default
//! `+00:00`) is appended, never guessed from anything else, and the post
//! says so: the flag `assumed_offset` in `source.flags`, and the local
//! date-time as the source had it in `source.local_dates`, under the key of
//! the date it was (`date`, `edited_at`, `forwarded_from_date`). Writers of
//! formats that hold local times write that back, so a round trip gives the
//! source's form again and no Unix time is made up from an assumed offset.
//!
//! Readers map dates as their sources write them; the pipeline and the
//! library `Reader` settle each post once, right after it is parsed
//! ([`crate::read::Pending::settle`]). Settling twice changes nothing.

use crate::model::{Edited, LocalDates, Post};
use std::fmt;
use std::str::FromStr;

/// The flag a post gets in `source.flags` when one of its dates had no offset.
pub const FLAG: &str = crate::format::ASSUMED_OFFSET;

/// A UTC offset, `±HH:MM`, within ±18:00 (RFC 3339 practice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offset {
    /// Minutes east of UTC.
    minutes: i16,
}

impl Offset {
    /// UTC, the default.
    pub const UTC: Offset = Offset { minutes: 0 };

    /// The offset in minutes east of UTC, when it is within ±18:00.
    pub fn from_minutes(minutes: i16) -> Option<Offset> {
        (minutes.abs() <= 18 * 60).then_some(Offset { minutes })
    }

    /// Minutes east of UTC.
    pub fn minutes(self) -> i16 {
        self.minutes
    }
}

impl fmt::Display for Offset {
    /// `+00:00`, `-05:30`: the form appended to a local date-time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let m = self.minutes.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
    }
}

impl FromStr for Offset {
    type Err = String;

    /// `±HH:MM` (also `Z` and `UTC`, for UTC).
    fn from_str(s: &str) -> Result<Offset, String> {
        let bad = || format!("`{s}` is not a UTC offset ±HH:MM (such as +03:00, -05:30 or +00:00)");
        if s == "Z" || s.eq_ignore_ascii_case("utc") {
            return Ok(Offset::UTC);
        }
        let b = s.as_bytes();
        let sign: i16 = match b.first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(bad()),
        };
        let num = |r: std::ops::Range<usize>| -> Option<i16> {
            let d = b.get(r)?;
            d.iter()
                .all(u8::is_ascii_digit)
                .then(|| d.iter().fold(0i16, |n, c| n * 10 + i16::from(c.saturating_sub(b'0'))))
        };
        let (Some(h), Some(m)) = (num(1..3), num(4..6)) else {
            return Err(bad());
        };
        if b.len() != 6 || b.get(3) != Some(&b':') || m > 59 {
            return Err(bad());
        }
        Offset::from_minutes(sign * (h * 60 + m))
            .ok_or_else(|| format!("`{s}` is beyond ±18:00, the largest UTC offset"))
    }
}

/// True when `date` is a local date-time: `YYYY-MM-DDTHH:MM:SS` (with
/// optional fractional seconds) and no `Z` or `±HH:MM` after it. Only the
/// shape is looked at: readers have already checked that the date is real.
pub fn is_local(date: &str) -> bool {
    match date.get(19..) {
        None => false,
        Some(rest) => {
            let rest = rest
                .strip_prefix('.')
                .map_or(rest, |f| f.trim_start_matches(|c: char| c.is_ascii_digit()));
            rest.is_empty()
        }
    }
}

/// Gives every date of `post` an offset: a local date gets `offset`, is
/// kept as it was in `source.local_dates`, and the post is flagged. True
/// when a date was changed (so the caller counts the post once).
pub fn assume(post: &mut Post, offset: Offset) -> bool {
    let mut local = LocalDates::default();
    if let Some(date) = post.date.as_mut() {
        local.date = settle(date, offset);
    }
    if let Some(Edited::At(date)) = post.edited.as_mut() {
        local.edited_at = settle(date, offset);
    }
    if let Some(date) = post.forwarded_from.as_mut().and_then(|f| f.date.as_mut()) {
        local.forwarded_from_date = settle(date, offset);
    }
    if local.is_empty() {
        return false;
    }
    post.source.flag(FLAG);
    let kept = post.source.local_dates.get_or_insert_with(LocalDates::default);
    kept.date = kept.date.take().or(local.date);
    kept.edited_at = kept.edited_at.take().or(local.edited_at);
    kept.forwarded_from_date = kept.forwarded_from_date.take().or(local.forwarded_from_date);
    true
}

/// Appends `offset` to a local date; returns the date as it was.
fn settle(date: &mut String, offset: Offset) -> Option<String> {
    if !is_local(date) {
        return None;
    }
    let local = date.clone();
    date.push_str(&offset.to_string());
    Some(local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Forward;

    #[test]
    fn offsets_parse_and_print() {
        for (s, m) in [("+00:00", 0), ("+03:00", 180), ("-05:30", -330), ("+18:00", 1080)] {
            let o: Offset = s.parse().unwrap();
            assert_eq!((o.minutes(), o.to_string().as_str()), (m, s));
        }
        assert_eq!("Z".parse::<Offset>(), Ok(Offset::UTC));
        for bad in ["", "3", "+3:00", "+03", "+03:60", "+19:00", "03:00", "+03:00 ", "+0a:00"] {
            assert!(bad.parse::<Offset>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_local_dates_are_local() {
        assert!(is_local("2020-11-12T12:53:52"));
        assert!(is_local("2020-11-12T12:53:52.25"));
        for not in ["2020-11-12T12:53:52Z", "2020-11-12T12:53:52+03:00", "2020-11-12", ""] {
            assert!(!is_local(not), "{not}");
        }
    }

    #[test]
    fn local_dates_get_the_offset_once() {
        let mut post = Post {
            date: Some("2020-11-12T12:53:52".into()),
            edited: Some(Edited::At("2020-11-13T08:00:00+01:00".into())),
            forwarded_from: Some(Forward {
                date: Some("2020-11-01T00:00:00".into()),
                ..Forward::default()
            }),
            ..Post::default()
        };
        let offset: Offset = "+03:00".parse().unwrap();
        assert!(assume(&mut post, offset));
        assert_eq!(post.date.as_deref(), Some("2020-11-12T12:53:52+03:00"));
        assert_eq!(post.edited, Some(Edited::At("2020-11-13T08:00:00+01:00".into())));
        assert_eq!(
            post.forwarded_from.as_ref().and_then(|f| f.date.as_deref()),
            Some("2020-11-01T00:00:00+03:00")
        );
        assert_eq!(post.source.flags, [FLAG]);
        let kept = post.source.local_dates.clone().unwrap();
        assert_eq!(kept.date.as_deref(), Some("2020-11-12T12:53:52"));
        assert_eq!(kept.edited_at, None);
        assert_eq!(kept.forwarded_from_date.as_deref(), Some("2020-11-01T00:00:00"));
        let once = post.clone();
        assert!(!assume(&mut post, offset));
        assert_eq!(post, once);
    }
}
