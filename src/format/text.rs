//! Text dumps: the line grammar and the tgnorm flavour's writing rules,
//! shared by the reader (`read::text`, `read::text::tgnorm`) and the writer
//! (`write::text`), so that neither reaches into the other.
//!
//! What a line is (`Class`, `classify` in a dump of some `Flavour`):
//! a forward header, a placeholder, a service sentence (the catalogue of
//! phrases is `clean::boilerplate`), or, in a browser copy, footer chrome
//! (`parse_footer`: views, signature, edited, time), a clock, a date
//! separator, reactions. A tgnorm dump escapes every text line that would
//! read as something else ([`needs_escape`]) and writes date separators
//! and footers that carry the year and the UTC offset ([`date_separator`],
//! [`footer_line`]), which its reader parses back (`parse_separator`,
//! `footer`).

use crate::clean::boilerplate::{self, Placeholder, ESCAPE};
use crate::clean::repeat;
use crate::format::MONTHS;

/// What a line is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Class {
    Forward(String),
    Label(Placeholder),
    ViewInTelegram,
    Service(&'static str, Option<String>),
    EmptyPage,
    /// Footer chrome: `2 views`, `07:33`, `edited`, and the glued `2 views07:33`.
    Footer,
    /// A duration or time that is not in a footer position.
    Clock,
    /// A browser date separator (`July 3`, `July 3, 2023`).
    DateSeparator,
    /// The channel's title printed above each post.
    Owner,
    /// A reactions line (`❤1`, `👍 12 🔥 3`).
    Reactions,
    Text,
}

/// What the first screenful showed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flavour {
    /// Views, times and other footer lines are present.
    pub(crate) chrome: bool,
    /// The channel title printed above posts.
    pub(crate) owner: Option<String>,
    /// Other lines that looked like owner lines as much as `owner` did:
    /// the dump is not of one channel, so it names no chat.
    pub(crate) other_owners: Vec<String>,
    /// Hidden fallbacks printed (CSS-blind dumper).
    pub(crate) css_blind: bool,
    /// `Please open Telegram…` follows post bodies: a trailer, not a post.
    pub(crate) trailer: bool,
    /// Written by tgnorm's text writer (its first line says so): read by
    /// `read::text::tgnorm`, exactly.
    pub(crate) tgnorm: bool,
}

impl Flavour {
    pub(crate) fn describe(&self) -> String {
        if self.tgnorm {
            return "tgnorm text dump (blank lines separate posts)".to_owned();
        }
        let mut parts = Vec::new();
        if self.chrome {
            parts.push("browser copy (views, times and dates are chrome)".to_owned());
        }
        if let Some(owner) = &self.owner {
            parts.push(format!("owner line {owner:?} above posts"));
        }
        if self.css_blind {
            parts.push("CSS-blind (hidden fallbacks printed)".to_owned());
        }
        if self.trailer {
            parts.push("`Please open Telegram` trailer after bodies".to_owned());
        }
        if parts.is_empty() {
            "served-HTML dump (headers, labels and text only)".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// What a line of a text dump is, in a dump of `flavour`.
pub(crate) fn classify(text: &str, key: &str, flavour: &Flavour) -> Class {
    if let Some(name) = boilerplate::forward_header(text) {
        return Class::Forward(name);
    }
    if let Some(label) = Placeholder::parse(key) {
        return Class::Label(label);
    }
    if boilerplate::is_view_in_telegram(key) {
        return Class::ViewInTelegram;
    }
    if let Some((action, detail)) = boilerplate::service_line(key) {
        return Class::Service(action, detail);
    }
    if boilerplate::is_empty_page(key) {
        return Class::EmptyPage;
    }
    if flavour.chrome {
        if parse_footer(key).is_some() {
            return Class::Footer;
        }
        if is_clock(key) {
            return Class::Clock;
        }
        if is_date_separator(key) {
            return Class::DateSeparator;
        }
        if flavour.owner.as_deref() == Some(key) {
            return Class::Owner;
        }
        if is_reactions(key) {
            return Class::Reactions;
        }
    }
    Class::Text
}

/// What a footer line says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Footer {
    /// The count, and whether it was abbreviated (`1.2K`).
    pub(crate) views: Option<(u64, bool)>,
    /// The channel signature.
    pub(crate) author: Option<String>,
    pub(crate) edited: bool,
}

/// A footer line: `2 views`, `1.2K views 07:29`, the glued `2 views07:33`,
/// `2 views Álvaro Justen, edited 07:29`, `edited 07:29`.
pub(crate) fn parse_footer(key: &str) -> Option<Footer> {
    let mut footer = Footer::default();
    let rest = if let Some(rest) = key.strip_prefix("edited") {
        footer.edited = true;
        rest
    } else {
        let (count, rest) = key.split_once(' ')?;
        let rest = rest.strip_prefix("views").or_else(|| rest.strip_prefix("view"))?;
        if !(rest.is_empty()
            || rest.starts_with([' ', ','])
            || rest.starts_with(|c: char| c.is_ascii_digit()))
        {
            return None;
        }
        let n = parse_count(count)?;
        footer.views = Some((n, !count.chars().all(|c| c.is_ascii_digit())));
        rest
    };
    let mut rest = rest.trim();
    if let Some((before, last)) = rest.rsplit_once(' ') {
        if is_clock(last) {
            rest = before.trim();
        }
    } else if is_clock(rest) {
        rest = "";
    }
    if let Some(before) = rest.strip_suffix("edited") {
        footer.edited = true;
        rest = before.trim_end().trim_end_matches(',').trim_end();
    }
    if !rest.is_empty() {
        // A signature only ever follows a view count.
        footer.views?;
        footer.author = Some(rest.trim_end_matches(',').trim().to_owned());
    }
    Some(footer)
}

/// `44 views`, `1.2K views`, `1 view` (with anything after it).
pub(crate) fn parse_views(key: &str) -> Option<u64> {
    parse_footer(key)?.views.map(|(n, _)| n)
}

/// `44`, `1.2K`, `3.1M` → the number (approximate for K and M).
pub(crate) fn parse_count(s: &str) -> Option<u64> {
    let (digits, scale) = match s.chars().last()? {
        'K' | 'k' => (s.get(..s.len() - 1)?, 1_000.0),
        'M' | 'm' => (s.get(..s.len() - 1)?, 1_000_000.0),
        _ => (s, 1.0),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let n: f64 = digits.parse().ok()?;
    Some((n * scale).round() as u64)
}

/// `7:33`, `07:33`, `1:02:03`.
pub(crate) fn is_clock(key: &str) -> bool {
    let parts: Vec<&str> = key.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().enumerate().all(|(i, p)| {
            let len_ok = if i == 0 { (1..=2).contains(&p.len()) } else { p.len() == 2 };
            len_ok && p.chars().all(|c| c.is_ascii_digit())
        })
}

/// `July 3`, `July 3, 2023`.
pub(crate) fn is_date_separator(key: &str) -> bool {
    let Some((month, rest)) = key.split_once(' ') else { return false };
    if !MONTHS.contains(&month) {
        return false;
    }
    let (day, year) = match rest.split_once(", ") {
        Some((d, y)) => (d, Some(y)),
        None => (rest, None),
    };
    let day_ok = (1..=2).contains(&day.len()) && day.chars().all(|c| c.is_ascii_digit());
    let year_ok = year.is_none_or(|y| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()));
    day_ok && year_ok
}

/// A line of reactions: emoji, each followed by a count (`❤1`, `👍 12 🔥 3`).
pub(crate) fn is_reactions(key: &str) -> bool {
    let mut saw_emoji = false;
    let mut saw_count = false;
    let mut pending_emoji = false;
    for c in key.chars() {
        if c.is_ascii_digit() || c == '.' || c == 'K' || c == 'M' {
            if !pending_emoji && !saw_count {
                return false;
            }
            saw_count = true;
            pending_emoji = false;
        } else if c == ' ' {
            continue;
        } else if c.is_alphanumeric() || c.is_ascii_punctuation() {
            return false;
        } else {
            saw_emoji = true;
            pending_emoji = true;
        }
    }
    saw_emoji && saw_count && !pending_emoji
}

// ---------------------------------------------------------------------------
// The tgnorm flavour (`read::text::tgnorm` reads it, `write::text` writes it).

/// Would `line`, written as text in a tgnorm dump, read as something else?
/// Such lines are written with [`ESCAPE`] in front.
pub fn needs_escape(line: &str) -> bool {
    let key = repeat::line_key(line);
    let chrome = Flavour { chrome: true, ..Flavour::default() };
    key.is_empty()
        || line.starts_with(ESCAPE)
        || line.trim() == boilerplate::TGNORM_SIGNATURE
        || key == boilerplate::UNSUPPORTED_POST
        || key == boilerplate::NO_CHAT
        || classify(line, &key, &chrome) != Class::Text
        || boilerplate::media_label(&key).is_some()
        || boilerplate::generic_service(&key).is_some()
        || footer(&key).is_some()
}

/// `line`, escaped if it must be.
pub fn escaped(line: &str) -> String {
    if needs_escape(line) {
        format!("{ESCAPE}{line}")
    } else {
        line.to_owned()
    }
}

/// The date separator for a day `YYYY-MM-DD`: `February 24, 2023`.
pub fn date_separator(day: &str) -> Option<String> {
    let (year, rest) = day.split_once('-')?;
    let (month, dd) = rest.split_once('-')?;
    let month: usize = month.parse().ok()?;
    let dd: u32 = dd.parse().ok()?;
    let name = MONTHS.get(month.checked_sub(1)?)?;
    (year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) && (1..=31).contains(&dd))
        .then(|| format!("{name} {dd}, {year}"))
}

/// `February 24, 2023` → `2023-02-24` (a separator without a year is a
/// browser copy's, which says no year: `None`).
pub(crate) fn parse_separator(key: &str) -> Option<String> {
    if !is_date_separator(key) {
        return None;
    }
    let (month, rest) = key.split_once(' ')?;
    let (dd, year) = rest.split_once(", ")?;
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let dd: u32 = dd.parse().ok()?;
    Some(format!("{year}-{month:02}-{dd:02}"))
}

/// A footer line of a tgnorm dump: what [`parse_footer`] reads, the time
/// alone (`07:29`), and a UTC offset after the time.
pub(crate) struct TgFooter {
    pub(crate) views: Option<u64>,
    pub(crate) author: Option<String>,
    pub(crate) edited: bool,
    /// `HH:MM`.
    pub(crate) time: Option<String>,
    /// `+00:00`, `-05:30`; `None` for local time.
    pub(crate) offset: Option<String>,
}

pub(crate) fn footer(key: &str) -> Option<TgFooter> {
    let (rest, offset) = match key.rsplit_once(' ') {
        Some((before, zone)) if zone.starts_with("UTC") => (before, Some(utc_offset(zone)?)),
        _ => (key, None),
    };
    let time = match rest.rsplit_once(' ') {
        Some((_, last)) if is_clock(last) => Some(last.to_owned()),
        None if is_clock(rest) => Some(rest.to_owned()),
        _ => None,
    };
    if offset.is_some() && time.is_none() {
        return None;
    }
    if time.as_deref() == Some(rest) {
        return Some(TgFooter { views: None, author: None, edited: false, time, offset });
    }
    let parsed = parse_footer(rest)?;
    Some(TgFooter {
        views: parsed.views.map(|(n, _)| n),
        author: parsed.author,
        edited: parsed.edited,
        time,
        offset,
    })
}

/// `UTC` → `+00:00`, `UTC+03:00` → `+03:00`.
pub(crate) fn utc_offset(zone: &str) -> Option<String> {
    let rest = zone.strip_prefix("UTC")?;
    if rest.is_empty() {
        return Some("+00:00".into());
    }
    let b = rest.as_bytes();
    let ok = b.len() == 6
        && matches!(b.first(), Some(b'+' | b'-'))
        && b.get(3) == Some(&b':')
        && [1, 2, 4, 5].iter().all(|&i| b.get(i).is_some_and(u8::is_ascii_digit));
    ok.then(|| rest.to_owned())
}

/// The footer line of a post: `2 views Álvaro Justen, edited 07:29 UTC`;
/// `None` when there is nothing to say. `date` is the post's RFC 3339 date;
/// the signature is written only after a view count (as the web preview
/// does).
pub fn footer_line(
    views: Option<u64>,
    author: Option<&str>,
    edited: bool,
    date: Option<&str>,
) -> Option<String> {
    let mut parts = String::new();
    if let Some(views) = views {
        parts.push_str(&format!("{views} views"));
        if let Some(author) = author.filter(|a| !a.is_empty()) {
            parts.push(' ');
            parts.push_str(author);
            if edited {
                parts.push(',');
            }
        }
    }
    if edited {
        if !parts.is_empty() {
            parts.push(' ');
        }
        parts.push_str("edited");
    }
    if let Some((_, time, offset)) = date.and_then(split_date) {
        if !parts.is_empty() {
            parts.push(' ');
        }
        parts.push_str(time);
        match offset {
            Some("Z" | "+00:00") => parts.push_str(" UTC"),
            Some(offset) => parts.push_str(&format!(" UTC{offset}")),
            None => {}
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// An RFC 3339 date → its day `YYYY-MM-DD`, time `HH:MM` and offset.
pub fn split_date(date: &str) -> Option<(&str, &str, Option<&str>)> {
    let day = date.get(..10)?;
    let time = date.get(11..16)?;
    let shape = |s: &str, seps: &[usize]| {
        s.char_indices().all(|(i, c)| {
            if seps.contains(&i) {
                !c.is_ascii_digit()
            } else {
                c.is_ascii_digit()
            }
        })
    };
    if !shape(day, &[4, 7]) || !shape(time, &[2]) || date.get(10..11) != Some("T") {
        return None;
    }
    let rest = date.get(16..)?;
    let rest = rest
        .strip_prefix(':')
        .map_or(rest, |r| r.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'));
    let offset = match rest {
        "" => None,
        "Z" => Some("Z"),
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => Some(o),
        _ => return None,
    };
    Some((day, time, offset))
}
