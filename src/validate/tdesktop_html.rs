//! Validating Telegram Desktop HTML pages (`messages.html`,
//! `messages2.html`, …), streamed: one pass of [`markup::scan`] per page,
//! nothing kept but the open elements and the message being read.
//!
//! The rules are those of tdesktop-export-format.md §5 (HTML), made exact
//! with §3.3–§3.4, plus the id checks the `result.json` validator makes.
//! Each problem names the start tag it is about (`file:LINE:COL`) and its
//! rule:
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `page-name` | warning | a folder read as an export holds an `.html` file not named `messages{,2,3…}.html` |
//! | `page-gap` | warning | pages missing from such a folder, or a Next messages link to a page it lacks |
//! | `structure` | error | no `div.page_wrap`, no `div.history`, messages outside `div.history` |
//! | `pagination` | error | Previous/Next messages links (`a.pagination`) missing where the page number needs one, present where it does not, or pointing at the wrong page; messages after the Next link |
//! | `message-id` | error | a `div.message` whose id is not `message-?\d+` |
//! | `duplicate-id` | error | a message with the id of the message before it |
//! | `id-order` | warning | ids not increasing (messages) or not decreasing (date separators) |
//! | `date-title` | error | a `default` message without a `date details` title, or a title (its own or a forward's) not `DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]` naming a real date and time |
//! | `from-name` | error | a message that is not `joined` without a `from_name`; a `joined` one with no message before it on its page to inherit the sender from |
//! | `joined` | warning | a `joined` message right after a service message (Telegram Desktop starts a new run there) |
//! | `markup` | error | markup the tokenizer cannot read; a page that ends inside a message or the history; a message over 8 MiB of markup (the reader rejects it) |
//!
//! **Pages and folders.** A page's number comes from its name
//! (`messages.html` is 1, `messagesN.html` is N); a page with another name
//! (a single file given as `page.html`, standard input) takes it from its
//! Previous messages link, and a page without one is the first. Page N ≥ 2
//! opens its history with a link to page N − 1; a Next link goes to page
//! N + 1. When a folder is validated as an export, its pages are one chat
//! (a full-account export is a folder of such folders, one per chat, each
//! validated on its own):
//! ids carry over from page to page, a page whose successor is in the folder
//! must link to it, and missing pages are reported. Single files are
//! checked each on its own.
//!
//! **Ids.** Messages count up (the migrated block's ids, id − 10⁹, come
//! first); date separators are service messages whose negative ids count
//! down −1, −2, … across the pages of a chat (§3.3). An id below −5·10⁸ is
//! taken as a migrated message, any other negative id as a separator. As in
//! `result.json` validation, only the previous id is remembered: an id equal
//! to it is an error, any other step back a warning (a repeat further back
//! shows as one), so memory stays flat.

use super::markup::{self, digits, real_date_time, Element, Mark, Rules};
use super::{Problem, Severity, Sink};
use crate::error::{Error, Position, Result};
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;

/// Ids below this are the migrated block (id − 10⁹); other negative ids
/// are date separators.
const MIGRATED_BELOW: i64 = -500_000_000;
/// A message larger than this (markup bytes) is rejected by the reader
/// (`read::tdesktop_html`), so it is an error here too.
const MAX_MESSAGE_BYTES: u64 = 8 << 20;
/// Problems held for one message before they are printed in order.
const MAX_PENDING: usize = 32;

/// What carries over from page to page of one chat.
#[derive(Debug, Default)]
pub(super) struct Chat {
    last_id: Option<i64>,
    last_separator: Option<i64>,
}

/// An export folder: the page numbers it holds.
#[derive(Debug, Default)]
pub(super) struct Folder {
    pages: BTreeSet<u64>,
}

/// `messages.html` is page 1, `messagesN.html` page N (N ≥ 2, written
/// without leading zeros); any other name is not a page name.
pub(super) fn page_number(name: &str) -> Option<u64> {
    let middle = name.strip_prefix("messages")?.strip_suffix(".html")?;
    if middle.is_empty() {
        return Some(1);
    }
    if middle.starts_with('0') || !middle.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    middle.parse().ok().filter(|&n| n >= 2)
}

fn page_name(n: u64) -> String {
    if n <= 1 {
        "messages.html".to_owned()
    } else {
        format!("messages{n}.html")
    }
}

/// Lists the export folder `dir`: warns about `.html` files that are not
/// page names, and about missing pages. Returns false when the run must stop.
pub(super) fn folder(dir: &Path, sink: &mut Sink<'_>) -> Result<(Folder, bool)> {
    let dir_name = Position::name_of(dir);
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(&dir_name, e))?;
    let mut found = Folder::default();
    let mut odd = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir_name, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let html = Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        if !html || !entry.path().is_file() {
            continue;
        }
        match page_number(&name) {
            Some(n) => {
                found.pages.insert(n);
            }
            None => odd.push(name),
        }
    }
    odd.sort();
    for name in odd {
        let what = match crate::read::page_number(&name) {
            Some(n) => format!("converting reads it as page {n}"),
            None => "converting skips it".to_owned(),
        };
        let p = Problem {
            severity: Severity::Warning,
            file: Position::name_of(&dir.join(&name)),
            line: None,
            column: None,
            pointer: None,
            rule: "page-name",
            message: format!(
                "not a page name Telegram Desktop writes (messages.html, messages2.html, …); {what}"
            ),
        };
        if !sink.push(p)? {
            return Ok((found, false));
        }
    }
    // Gaps between the pages present (one step per page, not per number).
    let mut gaps = Vec::new();
    let mut before = 0u64;
    for &n in &found.pages {
        if n > before.saturating_add(1) {
            gaps.push((before + 1, n - 1));
        }
        before = n;
    }
    for (first, last) in gaps {
        let message = if first == last {
            format!("{} is missing", page_name(first))
        } else {
            format!(
                "{} to {} are missing ({} pages)",
                page_name(first),
                page_name(last),
                last - first + 1
            )
        };
        let p = Problem {
            severity: Severity::Warning,
            file: dir_name.clone(),
            line: None,
            column: None,
            pointer: None,
            rule: "page-gap",
            message,
        };
        if !sink.push(p)? {
            return Ok((found, false));
        }
    }
    Ok((found, true))
}

/// Validates one page. `folder` is set when the page is part of an export
/// folder (then `chat` carries over from the page before). Returns false
/// when the run must stop.
pub(super) fn validate(
    reader: Box<dyn BufRead + Send>,
    name: &str,
    path: &Path,
    folder: Option<&Folder>,
    chat: &mut Chat,
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let number = path.file_name().and_then(|n| n.to_str()).and_then(page_number);
    let mut page = Page {
        file: name,
        named: number,
        number,
        folder,
        prev_settled: false,
        next_seen: false,
        sink,
        chat,
        stop: false,
        error: None,
        body: None,
        wrap: None,
        history: None,
        prev_link: None,
        history_messages: 0,
        outside: 0,
        after_next: false,
        msg: None,
        pending: Vec::new(),
        forward_depth: None,
        prev_default: None,
        seen_default: false,
    };
    let end = markup::scan(reader, &mut page).map_err(|e| Error::io(name, e))?;
    if !page.stop {
        page.finish(end);
    }
    if let Some(e) = page.error.take() {
        return Err(e);
    }
    Ok(!page.stop)
}

struct Page<'a, 'b> {
    file: &'a str,
    /// The page number its name gives, and the one it has (from its name,
    /// else from its Previous link, once that is settled).
    named: Option<u64>,
    number: Option<u64>,
    folder: Option<&'a Folder>,
    /// The Previous link (or its absence) has been checked.
    prev_settled: bool,
    next_seen: bool,
    sink: &'a mut Sink<'b>,
    chat: &'a mut Chat,
    stop: bool,
    error: Option<Error>,
    /// Where `<body>`, `div.page_wrap` and `div.history` start.
    body: Option<Mark>,
    wrap: Option<Mark>,
    /// `div.history`: its depth while open, and its start.
    history: Option<(Option<usize>, Mark)>,
    prev_link: Option<(String, Mark)>,
    /// Messages seen inside the history so far, and before it opened.
    history_messages: u64,
    outside: u64,
    after_next: bool,
    msg: Option<Msg>,
    /// Problems of the current message, printed in order when it ends.
    pending: Vec<Problem>,
    /// Depth of the `div.forwarded.body` being read, if any.
    forward_depth: Option<usize>,
    /// Whether the previous message of this page was a default one.
    prev_default: Option<bool>,
    /// A default message was seen on this page.
    seen_default: bool,
}

struct Msg {
    depth: usize,
    at: Mark,
    default: bool,
    joined: bool,
    /// The message's own `date details` element was seen.
    date: bool,
    from_name: bool,
}

impl Page<'_, '_> {
    fn problem(
        &self,
        severity: Severity,
        rule: &'static str,
        at: Mark,
        message: String,
    ) -> Problem {
        Problem {
            severity,
            file: self.file.to_owned(),
            line: Some(at.line),
            column: Some(at.column),
            pointer: None,
            rule,
            message,
        }
    }

    fn push(&mut self, p: Problem) {
        if self.stop {
            return;
        }
        match self.sink.push(p) {
            Ok(true) => {}
            Ok(false) => self.stop = true,
            Err(e) => {
                self.error = Some(e);
                self.stop = true;
            }
        }
    }

    fn error(&mut self, rule: &'static str, at: Mark, message: String) {
        let p = self.problem(Severity::Error, rule, at, message);
        self.report(p);
    }

    fn warning(&mut self, rule: &'static str, at: Mark, message: String) {
        let p = self.problem(Severity::Warning, rule, at, message);
        self.report(p);
    }

    /// Inside a message, problems wait for its end (to print in order).
    fn report(&mut self, p: Problem) {
        if self.msg.is_some() {
            if self.pending.len() < MAX_PENDING {
                self.pending.push(p);
            }
        } else {
            self.push(p);
        }
    }

    fn in_history(&self) -> bool {
        matches!(self.history, Some((Some(_), _)))
    }

    fn start_message(&mut self, el: &Element<'_>) {
        if self.msg.is_some() {
            // A message inside a message: the 2024 unclosed-table bug
            // (§3.8). The outer one ends here, as the reader reads it.
            self.end_message(el.at);
        }
        self.sink.report.messages += 1;
        let default = el.has_class("default");
        let service = el.has_class("service");
        self.msg = Some(Msg {
            depth: el.depth,
            at: el.at,
            default,
            joined: el.has_class("joined"),
            date: false,
            from_name: false,
        });
        self.forward_depth = None;
        if !self.in_history() {
            if self.history.is_some() {
                self.error("structure", el.at, "a message after div.history".into());
            } else {
                // Reported once, with the history (or its absence).
                self.outside += 1;
            }
        } else {
            if self.history_messages == 0 {
                self.settle_prev();
            }
            self.history_messages += 1;
            if self.after_next {
                self.pagination_error(
                    el.at,
                    "a message after the Next messages link (it ends the history)".into(),
                );
            }
        }
        let id = el.attr("id");
        let number = id.as_deref().and_then(|id| id.strip_prefix("message")).and_then(|n| {
            let digits = n.strip_prefix('-').unwrap_or(n);
            let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| n.parse::<i64>().ok()).flatten()
        });
        match (&id, number) {
            (None, _) => self.error("message-id", el.at, "div.message has no id".into()),
            (Some(id), None) => self.error(
                "message-id",
                el.at,
                format!("id {id:?} is not message<N> (message-?[0-9]+)"),
            ),
            (Some(_), Some(n)) => self.check_order(n, service, el.at),
        }
    }

    fn check_order(&mut self, id: i64, service: bool, at: Mark) {
        if (MIGRATED_BELOW..0).contains(&id) && service {
            match self.chat.last_separator {
                Some(prev) if prev == id => self.error(
                    "duplicate-id",
                    at,
                    format!("duplicate id {id} (the previous date separator has it too)"),
                ),
                Some(prev) if id > prev => self.warning(
                    "id-order",
                    at,
                    format!(
                        "date separator id {id} after {prev}: separator ids count down within a chat"
                    ),
                ),
                _ => {}
            }
            self.chat.last_separator = Some(id);
            return;
        }
        match self.chat.last_id {
            Some(prev) if prev == id => self.error(
                "duplicate-id",
                at,
                format!("duplicate id {id} (the previous message has it too)"),
            ),
            // The migrated block's ids (id − 10⁹) come first and increase
            // too, so one rule covers both.
            Some(prev) if id < prev => self.warning(
                "id-order",
                at,
                format!("id {id} after {prev}: ids must increase within a chat"),
            ),
            _ => {}
        }
        self.chat.last_id = Some(id);
    }

    fn end_message(&mut self, end: Mark) {
        let Some(m) = self.msg.as_ref() else { return };
        let (at, default, joined) = (m.at, m.default, m.joined);
        let (date, from_name) = (m.date, m.from_name);
        if end.byte.saturating_sub(at.byte) > MAX_MESSAGE_BYTES {
            let what = format!(
                "message larger than {} MiB (converting rejects it; a real one is a few KiB)",
                MAX_MESSAGE_BYTES >> 20
            );
            self.error("markup", at, what);
        }
        if default {
            if !date {
                self.error(
                    "date-title",
                    at,
                    "a default message without its date (div.date.details with a title)".into(),
                );
            }
            if joined {
                if !self.seen_default {
                    self.error(
                        "from-name",
                        at,
                        "a joined message opens the page: no message before it to take the sender from (Telegram Desktop never joins the first message of a page)".into(),
                    );
                } else if self.prev_default == Some(false) {
                    self.warning(
                        "joined",
                        at,
                        "a joined message right after a service message (Telegram Desktop starts a new run after one); its sender is taken from an earlier message".into(),
                    );
                }
            } else if !from_name {
                self.error("from-name", at, "a message that is not joined has no from_name".into());
            }
            self.seen_default = true;
        }
        self.msg = None;
        self.forward_depth = None;
        self.prev_default = Some(default);
        self.flush();
    }

    /// Prints the problems held for the message that ended, in order.
    fn flush(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|p| (p.line, p.column));
        for p in pending {
            self.push(p);
        }
    }

    fn in_message(&mut self, el: &Element<'_>) {
        let in_forward = self.forward_depth.is_some();
        if el.has_class("forwarded") && el.has_class("body") && !in_forward {
            self.forward_depth = Some(el.depth);
        }
        if el.has_class("date") && el.has_class("details") {
            let title = el.attr("title");
            let (own, default) = match self.msg.as_mut() {
                Some(m) if !in_forward && !m.date => {
                    m.date = true;
                    (true, m.default)
                }
                Some(m) => (false, m.default),
                None => (false, false),
            };
            match title {
                Some(title) => {
                    if let Err(why) = check_title(&title) {
                        let whose = if in_forward { "forward date" } else { "date" };
                        self.error("date-title", el.at, format!("{whose} title {title:?} {why}"));
                    }
                }
                None if own && default => {
                    self.error("date-title", el.at, "the message's date has no title".into());
                }
                None => {}
            }
        } else if el.has_class("from_name") && !in_forward {
            if let Some(m) = self.msg.as_mut() {
                m.from_name = true;
            }
        }
    }

    /// Page-level checks, at the end of the page.
    fn finish(&mut self, end: Mark) {
        if let Some(at) = self.msg.as_ref().map(|m| m.at) {
            self.error(
                "markup",
                at,
                "the page ends inside this message (a truncated file?)".into(),
            );
            self.msg = None;
            self.flush();
        } else if let Some((Some(_), at)) = self.history {
            self.error("markup", at, "the page ends inside div.history (a truncated file?)".into());
        }
        if self.history.is_some() {
            self.end_history(end);
        }
        if self.wrap.is_none() {
            let at = self.body.unwrap_or(Mark::START);
            self.error(
                "structure",
                at,
                "no div.page_wrap: not a Telegram Desktop messages page".into(),
            );
        }
        if self.history.is_none() {
            let at = self.wrap.or(self.body).unwrap_or(Mark::START);
            let what = match self.outside {
                0 => String::new(),
                1 => " (1 message outside one)".to_owned(),
                n => format!(" ({n} messages outside one)"),
            };
            self.error(
                "structure",
                at,
                format!("no div.history: not a Telegram Desktop messages page{what}"),
            );
        }
    }

    /// Pagination problems are about the page, not the message being read:
    /// they are printed at once (they come before it).
    fn pagination_error(&mut self, at: Mark, message: String) {
        let p = self.problem(Severity::Error, "pagination", at, message);
        self.push(p);
    }

    /// Checks the Previous link (or its absence), at the first message of
    /// the history (or its end, or a Next link), and settles the page number.
    fn settle_prev(&mut self) {
        if self.prev_settled {
            return;
        }
        self.prev_settled = true;
        let history_at = self.history.map_or(Mark::START, |(_, at)| at);
        let named = self.named;
        match self.prev_link.take() {
            Some((href, at)) => match (page_number(&href), named) {
                (None, _) => self.pagination_error(
                    at,
                    format!("Previous messages links to {href:?}, which is not a page name (messages.html, messages2.html, …)"),
                ),
                (Some(_), Some(1)) => self.pagination_error(
                    at,
                    "messages.html is the first page, but it has a Previous messages link".into(),
                ),
                (Some(p), Some(n)) if p.saturating_add(1) != n => self.pagination_error(
                    at,
                    format!("Previous messages links to {href}; the page before this one is {}", page_name(n - 1)),
                ),
                (Some(_), Some(_)) => {}
                (Some(p), None) => self.number = Some(p.saturating_add(1)),
            },
            None => match named {
                Some(n) if n >= 2 => self.pagination_error(
                    history_at,
                    format!("no Previous messages link (to {}) opens the history", page_name(n - 1)),
                ),
                Some(_) => {}
                // A page without a Previous link is the first.
                None => self.number = Some(1),
            },
        }
    }

    fn next_link(&mut self, href: &str, at: Mark) {
        self.settle_prev();
        self.next_seen = true;
        match (page_number(href), self.number) {
            (None, _) => self.pagination_error(
                at,
                format!("Next messages links to {href:?}, which is not a page name (messages.html, messages2.html, …)"),
            ),
            (Some(k), Some(n)) if k != n.saturating_add(1) => self.pagination_error(
                at,
                format!(
                    "Next messages links to {href}; the page after this one is {}",
                    page_name(n.saturating_add(1))
                ),
            ),
            (Some(k), _) => {
                let missing = self.named.is_some() && self.folder.is_some_and(|f| !f.pages.contains(&k));
                if missing {
                    let p = self.problem(
                        Severity::Warning,
                        "page-gap",
                        at,
                        format!("Next messages links to {href}, which is not in this folder"),
                    );
                    self.push(p);
                }
            }
        }
    }

    /// At the end of the history (its end tag, or the end of the page).
    fn end_history(&mut self, at: Mark) {
        self.settle_prev();
        if self.next_seen {
            return;
        }
        let next = self.named.map(|n| n.saturating_add(1));
        if let (Some(f), Some(next)) = (self.folder, next) {
            if f.pages.contains(&next) {
                self.pagination_error(
                    at,
                    format!(
                        "no Next messages link, but {} follows in this folder",
                        page_name(next)
                    ),
                );
            }
        }
        // Once only.
        self.next_seen = true;
    }
}

impl Rules for Page<'_, '_> {
    fn open(&mut self, el: &Element<'_>) {
        if el.is("div") && el.has_class("message") {
            self.start_message(el);
            return;
        }
        if self.msg.is_some() {
            self.in_message(el);
            return;
        }
        if el.is("body") {
            self.body.get_or_insert(el.at);
        } else if el.is("div") {
            if el.has_class("page_wrap") && self.wrap.is_none() {
                self.wrap = Some(el.at);
            }
            if el.has_class("history") && self.history.is_none() {
                self.history = Some((Some(el.depth), el.at));
                if self.outside > 0 {
                    let n = self.outside;
                    self.error("structure", el.at, format!("{n} messages come before div.history"));
                }
            }
        } else if self.in_history() && el.is("a") && el.has_class("pagination") {
            let href = el.attr("href").unwrap_or_default();
            if self.history_messages == 0 && self.prev_link.is_none() && !self.prev_settled {
                self.prev_link = Some((href, el.at));
            } else if self.history_messages > 0 && !self.next_seen {
                self.next_link(&href, el.at);
                self.after_next = true;
            } else {
                self.pagination_error(el.at, "a second Previous or Next messages link".into());
            }
        }
    }

    fn close(&mut self, depth: usize, at: Mark) {
        if self.forward_depth.is_some_and(|d| d >= depth) {
            self.forward_depth = None;
        }
        if self.msg.as_ref().is_some_and(|m| m.depth >= depth) {
            self.end_message(at);
        }
        if let Some((Some(d), start)) = self.history {
            if d >= depth {
                self.history = Some((None, start));
                self.end_history(at);
            }
        }
    }

    fn malformed(&mut self, at: Mark, what: String) {
        self.error("markup", at, what);
    }

    fn stopped(&self) -> bool {
        self.stop
    }
}

/// `DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]` (§5), naming a real date and time.
fn check_title(t: &str) -> std::result::Result<(), &'static str> {
    const SHAPE: &str = "is not DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]";
    let b = t.as_bytes();
    let part = |r: std::ops::Range<usize>| digits(b.get(r));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(day), Some(month), Some(year), Some(h), Some(m), Some(s)) =
        (part(0..2), part(3..5), part(6..10), part(11..13), part(14..16), part(17..19))
    else {
        return Err(SHAPE);
    };
    if !(at(2, b'.') && at(5, b'.') && at(10, b' ') && at(13, b':') && at(16, b':')) {
        return Err(SHAPE);
    }
    match b.get(19..).unwrap_or_default() {
        [] => {}
        [b' ', b'U', b'T', b'C', sign, ..] if matches!(sign, b'+' | b'-') && b.len() == 29 => {
            let (Some(oh), Some(om)) = (part(24..26), part(27..29)) else { return Err(SHAPE) };
            if !at(26, b':') {
                return Err(SHAPE);
            }
            if oh > 14 || om > 59 {
                return Err("has an offset beyond ±14:00");
            }
        }
        _ => return Err(SHAPE),
    }
    if !real_date_time(year, month, day, h, m, s) {
        return Err("is not a real date and time");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names() {
        assert_eq!(page_number("messages.html"), Some(1));
        assert_eq!(page_number("messages2.html"), Some(2));
        assert_eq!(page_number("messages40.html"), Some(40));
        assert_eq!(page_number("messages1.html"), None);
        assert_eq!(page_number("messages02.html"), None);
        assert_eq!(page_number("messages0.html"), None);
        assert_eq!(page_number("messages+3.html"), None);
        assert_eq!(page_number("Messages.html"), None);
        assert_eq!(page_name(1), "messages.html");
        assert_eq!(page_name(7), "messages7.html");
    }

    #[test]
    fn titles() {
        assert_eq!(check_title("08.03.2022 11:10:02 UTC+05:30"), Ok(()));
        assert_eq!(check_title("16.03.2022 14:45:19"), Ok(()));
        assert_eq!(check_title("29.02.2024 00:00:00 UTC-03:00"), Ok(()));
        assert!(check_title("29.02.2023 00:00:00").is_err());
        assert!(check_title("8.03.2022 11:10:02").is_err());
        assert!(check_title("08.03.2022 11:10:02 UTC+5:30").is_err());
        assert!(check_title("08.03.2022 11:10:02 GMT+05:30").is_err());
        assert!(check_title("08.03.2022 11:10:02 UTC+15:00").is_err());
        assert!(check_title("08.03.2022 11:10:02 ").is_err());
        assert!(check_title("2022-03-08 11:10:02").is_err());
        assert!(check_title("").is_err());
    }
}
