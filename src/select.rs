//! Selection (issue 17 item 4): which posts a run keeps, by date, chat,
//! sender, kind and forum topic.
//!
//! Selection happens in the pipeline after a post is read and before it is
//! de-duplicated, cleaned and written; a post selected out is counted
//! (`selected_out`), so `read = written + rejected + duplicates +
//! selected_out` holds. The values of one criterion are alternatives (`--chat
//! A --chat B`: either); different criteria must all hold.
//!
//! **Dates.** Both bounds are inclusive. A bound given as a date
//! (`2024-03-01`) covers that whole day: `--since` from its first second,
//! `--until` to its last. A bound may be a date-time (`2024-03-01T12:00`,
//! `2024-03-01T12:00:00+03:00`, `…Z`). A post date with an offset is
//! compared with a bound with an offset as an instant; otherwise (either has
//! no offset: a date bound, a local-time post) the two are compared as
//! wall-clock times, as they read. A post without a date cannot be placed:
//! it is kept by default ([`Dateless::Keep`], `--dateless keep`) so that
//! nothing is dropped on a guess, or selected out with `--dateless drop`.
//! Telegram Desktop HTML service messages have no date (only
//! `extra.date_day`) and are treated as dateless.
//!
//! **Chats** match by name (exactly), id (`channel123` or its digits alone,
//! `123`) or username (`@name` or `name`, in any case). **Senders** (`from`)
//! match by name (exactly) or id (`user42` or `42`). **Kinds** are
//! `message`, `service`, `unsupported`. **Topics** are forum topic ids
//! (`topic_id`); a post without a topic matches no `--topic`.

use crate::error::{Error, Result};
use crate::model::{Chat, Kind, Peer, Post};
use std::cmp::Ordering;
use std::str::FromStr;

/// What a run keeps. The default keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Keep posts dated at or after this.
    pub since: Option<Bound>,
    /// Keep posts dated at or before this.
    pub until: Option<Bound>,
    /// What to do with posts without a date when a bound is set.
    pub dateless: Dateless,
    /// Keep posts of one of these chats (name, id or username).
    pub chats: Vec<String>,
    /// Keep posts by one of these senders (name or id).
    pub from: Vec<String>,
    /// Keep posts of one of these kinds.
    pub kinds: Vec<Kind>,
    /// Keep posts in one of these forum topics.
    pub topics: Vec<i64>,
}

/// Posts without a date, when a date bound is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dateless {
    /// Kept (they might be in range).
    #[default]
    Keep,
    /// Selected out.
    Drop,
}

impl FromStr for Dateless {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Dateless, String> {
        match s {
            "keep" => Ok(Dateless::Keep),
            "drop" => Ok(Dateless::Drop),
            _ => Err(format!("`{s}`: expected keep or drop")),
        }
    }
}

/// `--kind`: `message`, `service` or `unsupported`.
pub fn parse_kind(s: &str) -> std::result::Result<Kind, String> {
    match s {
        "message" => Ok(Kind::Message),
        "service" => Ok(Kind::Service),
        "unsupported" => Ok(Kind::Unsupported),
        _ => Err(format!("`{s}`: expected message, service or unsupported")),
    }
}

impl Selection {
    /// True when the selection keeps every post.
    pub fn is_all(&self) -> bool {
        *self == Selection::default()
    }

    /// True when `post` is kept.
    pub fn keeps(&self, post: &Post) -> bool {
        self.keeps_date(post.date.as_deref())
            && (self.chats.is_empty() || self.chats.iter().any(|c| chat_matches(&post.chat, c)))
            && (self.from.is_empty() || self.from.iter().any(|f| peer_matches(&post.from, f)))
            && (self.kinds.is_empty() || self.kinds.contains(&post.kind))
            && (self.topics.is_empty() || post.topic_id.is_some_and(|t| self.topics.contains(&t)))
    }

    fn keeps_date(&self, date: Option<&str>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        // A date the model holds but this parser cannot read is no date.
        let Some(date) = date.and_then(Moment::parse) else {
            return self.dateless == Dateless::Keep;
        };
        let after_since = self.since.as_ref().is_none_or(|b| b.start.compare(&date).is_le());
        let before_until = self.until.as_ref().is_none_or(|b| date.compare(&b.end).is_le());
        after_since && before_until
    }
}

/// A date bound: the first and last second it covers (the same second for
/// a date-time; a whole day for a date).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    start: Moment,
    end: Moment,
}

impl FromStr for Bound {
    type Err = Error;
    /// `2024-03-01`, `2024-03-01T12:00[:00][.fff][Z|±HH:MM]`.
    fn from_str(s: &str) -> Result<Bound> {
        let moment = Moment::parse(s).ok_or_else(|| {
            Error::usage(format!(
                "`{s}` is not a date (2024-03-01) or a date-time (2024-03-01T12:00:00+03:00)"
            ))
        })?;
        if s.len() == 10 {
            let end = Moment { wall: moment.wall + 86_399, offset: None };
            return Ok(Bound { start: moment, end });
        }
        Ok(Bound { start: moment.clone(), end: moment })
    }
}

/// A point in time as a source wrote it: wall-clock seconds (since
/// 1970-01-01 as if in UTC) and the offset, when written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Moment {
    wall: i64,
    /// Seconds east of UTC.
    offset: Option<i64>,
}

impl Moment {
    /// Reads `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` (a space may stand
    /// for the `T`); `None` for anything else or an impossible date.
    fn parse(s: &str) -> Option<Moment> {
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(r)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let mut wall = days_from_civil(year, month, day) * 86_400;
        let mut rest = b.get(10..)?;
        if let Some((&sep, time)) = rest.split_first() {
            if sep != b'T' && sep != b't' && sep != b' ' {
                return None;
            }
            let (seconds, after) = parse_time(time)?;
            wall += seconds;
            rest = after;
        }
        let offset = match rest {
            [] => None,
            [b'Z' | b'z'] => Some(0),
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let digits = [*h1, *h2, *m1, *m2];
                if !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let d = |i: usize| i64::from(digits.get(i).copied().unwrap_or(b'0') - b'0');
                let seconds = (d(0) * 10 + d(1)) * 3600 + (d(2) * 10 + d(3)) * 60;
                Some(if *sign == b'-' { -seconds } else { seconds })
            }
            _ => return None,
        };
        Some(Moment { wall, offset })
    }

    /// Instants when both have an offset, wall-clock times otherwise.
    fn compare(&self, other: &Moment) -> Ordering {
        match (self.offset, other.offset) {
            (Some(a), Some(b)) => (self.wall - a).cmp(&(other.wall - b)),
            _ => self.wall.cmp(&other.wall),
        }
    }
}

/// `HH:MM[:SS[.fff]]` into seconds, and what follows it.
fn parse_time(b: &[u8]) -> Option<(i64, &[u8])> {
    let two = |at: usize| -> Option<i64> {
        let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
        (x.is_ascii_digit() && y.is_ascii_digit())
            .then(|| i64::from(x - b'0') * 10 + i64::from(y - b'0'))
    };
    let (hour, minute) = (two(0)?, two(3)?);
    if b.get(2) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut seconds = hour * 3600 + minute * 60;
    let mut at = 5;
    if b.get(5) == Some(&b':') {
        let second = two(6)?;
        if second > 60 {
            return None;
        }
        seconds += second;
        at = 8;
        if b.get(8) == Some(&b'.') {
            at = 9 + b.get(9..)?.iter().take_while(|c| c.is_ascii_digit()).count();
        }
    }
    Some((seconds, b.get(at..)?))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `want` is the chat's name, its id (`channel123` or `123`) or its
/// username (`@name`, `name`, any case).
fn chat_matches(chat: &Option<Chat>, want: &str) -> bool {
    let Some(chat) = chat else { return false };
    chat.name.as_deref() == Some(want)
        || chat.id.as_deref().is_some_and(|id| id_matches(id, want))
        || chat
            .username
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(want.strip_prefix('@').unwrap_or(want)))
}

/// `want` is the sender's name or id (`user42` or `42`).
fn peer_matches(peer: &Option<Peer>, want: &str) -> bool {
    let Some(peer) = peer else { return false };
    peer.name.as_deref() == Some(want) || peer.id.as_deref().is_some_and(|id| id_matches(id, want))
}

/// `channel123` matches `channel123` and `123`.
fn id_matches(id: &str, want: &str) -> bool {
    if id == want {
        return true;
    }
    let digits = id.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty() && digits == want
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(s: &str) -> Bound {
        s.parse().unwrap()
    }

    fn dated(date: Option<&str>) -> Post {
        Post { date: date.map(str::to_owned), ..Post::default() }
    }

    #[test]
    fn date_bounds_are_inclusive_and_a_date_covers_its_day() {
        let sel = Selection {
            since: Some(bound("2024-03-01")),
            until: Some(bound("2024-03-31")),
            ..Selection::default()
        };
        assert!(sel.keeps(&dated(Some("2024-03-01T00:00:00"))));
        assert!(sel.keeps(&dated(Some("2024-03-31T23:59:59+03:00"))));
        assert!(!sel.keeps(&dated(Some("2024-02-29T23:59:59"))));
        assert!(!sel.keeps(&dated(Some("2024-04-01T00:00:00Z"))));
        assert!(sel.keeps(&dated(None)));
        let drop = Selection { dateless: Dateless::Drop, ..sel };
        assert!(!drop.keeps(&dated(None)));
    }

    #[test]
    fn offsets_compare_as_instants_when_both_have_one() {
        let sel =
            Selection { since: Some(bound("2024-03-01T12:00:00+03:00")), ..Selection::default() };
        assert!(sel.keeps(&dated(Some("2024-03-01T09:00:00Z"))));
        assert!(!sel.keeps(&dated(Some("2024-03-01T08:59:59Z"))));
        // A local time is compared as it reads.
        assert!(!sel.keeps(&dated(Some("2024-03-01T11:59:59"))));
        assert!(sel.keeps(&dated(Some("2024-03-01T12:00:00"))));
    }

    #[test]
    fn bad_bounds_are_refused() {
        for bad in ["2024-02-30", "2024-3-1", "yesterday", "2024-03-01T25:00", "2024-03-01+03"] {
            assert!(bad.parse::<Bound>().is_err(), "{bad}");
        }
        assert!("2024-03-01 12:30".parse::<Bound>().is_ok());
        assert!("2024-03-01T12:30:00.123-05:30".parse::<Bound>().is_ok());
    }

    #[test]
    fn chats_and_senders_match_by_name_id_or_username() {
        let chat = Some(Chat {
            name: Some("News".into()),
            id: Some("channel123".into()),
            username: Some("NewsRu".into()),
            kind: None,
        });
        for want in ["News", "channel123", "123", "@newsru", "NEWSRU"] {
            assert!(chat_matches(&chat, want), "{want}");
        }
        for want in ["news", "12", "channel", "@other"] {
            assert!(!chat_matches(&chat, want), "{want}");
        }
        let from = Some(Peer { name: Some("Ann".into()), id: Some("user42".into()) });
        assert!(peer_matches(&from, "Ann") && peer_matches(&from, "42"));
        assert!(!peer_matches(&from, "user4") && !peer_matches(&None, "Ann"));
    }

    #[test]
    fn kinds_and_topics() {
        let sel = Selection { kinds: vec![Kind::Service], topics: vec![7], ..Selection::default() };
        let post = Post { kind: Kind::Service, topic_id: Some(7), ..Post::default() };
        assert!(sel.keeps(&post));
        assert!(!sel.keeps(&Post { topic_id: None, ..post.clone() }));
        assert!(!sel.keeps(&Post { kind: Kind::Message, ..post }));
    }
}
