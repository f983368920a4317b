//! Validating saved `t.me/s/<channel>` pages, streamed.
//!
//! **Which parser.** The web reader builds an html5ever tree per chunk of
//! posts, because the post *text* needs the nesting a browser saw. These
//! rules need no text: only attributes of a few elements and which element
//! sits inside which, and a stack of open elements gives that. So the
//! validator runs the same tokenizer pass as the Telegram Desktop HTML
//! validator ([`markup::scan`]: quick-xml, tolerant, `<script>`/`<style>`
//! skipped as raw text), which gives each problem its exact line *and
//! column* (html5ever reports lines only) and keeps memory flat whatever the
//! file size (one tag at a time, no tree).
//!
//! **Rules** (docs/web-preview-format.md §1 and §1.1). Only what the page
//! format fixes for every post, and what the reader relies on, is checked;
//! optional parts (views, reactions, media, text) are not. A post is an
//! element with the class `tgme_widget_message` that is not inside another
//! one; a page may have none ("No posts found", a header fragment).
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `data-post` | error | no `data-post`, or one that is not `{channel}/{id}` (channel `[A-Za-z0-9_]+`, id a positive integer) |
//! | `data-view` | error | a `data-view` that is not base64url JSON naming the same post (`"p": id` or `"p": "{id}g"` for an album) |
//! | `date` | error | no date link (`a.tgme_widget_message_date`) whose `href` is the post's own link (`…/{channel}/{id}`, channel in any case), no `time[datetime]` in it, or a `datetime` that is not an RFC 3339 date-time with an offset (naming a real date and time) |
//! | `duplicate-post` | error | a post with the same `data-post` as the post before it |
//! | `post-order` | warning | a post whose id is below the one before it in the same channel (pages list posts oldest first) |
//! | `markup` | error | markup the tokenizer cannot read; a file that ends inside a post; markup nested deeper than 512 levels (the reader refuses it) |
//!
//! Like the other validators, only the previous post is remembered: a repeat
//! further back shows as a `post-order` warning. Pages of one channel
//! overlap (`?before=N`), so nothing is compared across files.

use super::markup::{self, Element, Mark, Rules};
use super::{Problem, Severity, Sink};
use crate::error::{Error, Result};
use serde_json::Value;
use std::io::BufRead;

/// Validates one saved page (or a concatenation of pages). Returns false
/// when the run must stop.
pub(super) fn validate(
    reader: Box<dyn BufRead + Send>,
    name: &str,
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let mut page = Page {
        file: name,
        sink,
        stop: false,
        error: None,
        post: None,
        prev: None,
        too_deep: false,
    };
    markup::scan(reader, &mut page).map_err(|e| Error::io(name, e))?;
    if let Some(at) = page.post.as_ref().map(|p| p.at) {
        page.post = None;
        page.error("markup", at, "the file ends inside this post (a truncated page?)".into());
    }
    if let Some(e) = page.error.take() {
        return Err(e);
    }
    Ok(!page.stop)
}

struct Page<'a, 'b> {
    file: &'a str,
    sink: &'a mut Sink<'b>,
    stop: bool,
    error: Option<Error>,
    post: Option<Post>,
    /// Channel (lower case) and id of the previous post.
    prev: Option<(String, i64)>,
    /// Markup nested deeper than [`MAX_DEPTH`] was reported (once a file).
    too_deep: bool,
}

/// The web reader refuses markup nested deeper than this (its guard
/// against quadratic tree building, `read/web/guard.rs`), so it is an error
/// here too.
const MAX_DEPTH: usize = 512;

struct Post {
    depth: usize,
    at: Mark,
    /// From `data-post`, when it is well formed.
    channel: Option<String>,
    id: Option<i64>,
    /// The date link: its depth while open, and whether it was checked.
    link: Option<(Option<usize>, Mark)>,
    /// A `time[datetime]` was seen inside the date link.
    time: bool,
}

impl Page<'_, '_> {
    fn push(&mut self, severity: Severity, rule: &'static str, at: Mark, message: String) {
        if self.stop {
            return;
        }
        let p = Problem {
            severity,
            file: self.file.to_owned(),
            line: Some(at.line),
            column: Some(at.column),
            pointer: None,
            rule,
            message,
        };
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
        self.push(Severity::Error, rule, at, message);
    }

    fn start_post(&mut self, el: &Element<'_>) {
        self.sink.report.messages += 1;
        let mut post =
            Post { depth: el.depth, at: el.at, channel: None, id: None, link: None, time: false };
        match el.attr("data-post") {
            None => self.error("data-post", el.at, "a post without data-post".into()),
            Some(value) => match parse_data_post(&value) {
                Some((channel, id)) => {
                    post.channel = Some(channel.to_owned());
                    post.id = Some(id);
                }
                None => self.error(
                    "data-post",
                    el.at,
                    format!("data-post {value:?} is not {{channel}}/{{id}}"),
                ),
            },
        }
        if let (Some(view), Some(id)) = (el.attr("data-view"), post.id) {
            if let Err(why) = check_data_view(&view, id) {
                self.error("data-view", el.at, why);
            }
        }
        if let (Some(channel), Some(id)) = (&post.channel, post.id) {
            let channel = channel.to_ascii_lowercase();
            match &self.prev {
                Some((c, prev)) if *c == channel && *prev == id => self.error(
                    "duplicate-post",
                    el.at,
                    format!("duplicate post {channel}/{id} (the post before it is the same)"),
                ),
                Some((c, prev)) if *c == channel && id < *prev => self.push(
                    Severity::Warning,
                    "post-order",
                    el.at,
                    format!("post {id} after {prev}: a page lists posts oldest first"),
                ),
                _ => {}
            }
            self.prev = Some((channel, id));
        }
        self.post = Some(post);
    }

    fn end_post(&mut self) {
        let Some(post) = self.post.take() else { return };
        match post.link {
            None => self.error(
                "date",
                post.at,
                "no date link (a.tgme_widget_message_date) in this post".into(),
            ),
            Some((_, at)) if !post.time => {
                self.error("date", at, "the date link holds no time[datetime]".into())
            }
            Some(_) => {}
        }
    }

    fn in_post(&mut self, el: &Element<'_>) {
        let Some(post) = self.post.as_mut() else { return };
        if post.link.is_none() && el.has_class("tgme_widget_message_date") {
            post.link = Some((Some(el.depth), el.at));
            let href = el.attr("href").unwrap_or_default();
            let expected = post.channel.clone().zip(post.id);
            if let Some((channel, id)) = expected {
                if !links_to(&href, &channel, id) {
                    self.error(
                        "date",
                        el.at,
                        format!("the date link goes to {href:?}, not to the post ({channel}/{id})"),
                    );
                }
            }
            return;
        }
        let in_link = matches!(post.link, Some((Some(_), _)));
        if in_link && !post.time && el.is("time") {
            if let Some(datetime) = el.attr("datetime") {
                post.time = true;
                if let Err(why) = check_rfc3339(&datetime) {
                    self.error("date", el.at, format!("datetime {datetime:?} {why}"));
                }
            }
        }
    }
}

impl Rules for Page<'_, '_> {
    fn open(&mut self, el: &Element<'_>) {
        // The reader counts the `html` element as level 1.
        if el.depth >= MAX_DEPTH && !self.too_deep {
            self.too_deep = true;
            let what =
                format!("markup nested deeper than {MAX_DEPTH} levels (the reader refuses it)");
            self.error("markup", el.at, what);
        }
        if self.post.is_some() {
            self.in_post(el);
        } else if el.has_class("tgme_widget_message") {
            self.start_post(el);
        }
    }

    fn close(&mut self, depth: usize, _at: Mark) {
        let Some(post) = self.post.as_mut() else { return };
        if let Some((Some(d), at)) = post.link {
            if d >= depth {
                post.link = Some((None, at));
            }
        }
        if post.depth >= depth {
            self.end_post();
        }
    }

    fn malformed(&mut self, at: Mark, what: String) {
        self.error("markup", at, what);
    }

    fn stopped(&self) -> bool {
        self.stop
    }
}

/// `{channel}/{id}`: a channel username (`[A-Za-z0-9_]+`) and a positive id.
fn parse_data_post(value: &str) -> Option<(&str, i64)> {
    let (channel, id) = value.split_once('/')?;
    let channel_ok = !channel.is_empty()
        && channel.len() <= 64
        && channel.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    if !channel_ok || !id_ok {
        return None;
    }
    let id: i64 = id.parse().ok()?;
    (id > 0).then_some((channel, id))
}

/// `data-view` names the post: `"p"` is its id, or `"{id}g"` for an album.
fn check_data_view(view: &str, id: i64) -> std::result::Result<(), String> {
    let Some(v) = crate::read::web::post::data_view(view) else {
        return Err(format!("data-view {view:?} is not base64url JSON (an object)"));
    };
    let same = match v.get("p") {
        Some(Value::Number(n)) => n.as_i64() == Some(id),
        Some(Value::String(s)) => s.strip_suffix('g').and_then(|n| n.parse().ok()) == Some(id),
        _ => false,
    };
    if same {
        Ok(())
    } else {
        let p = v.get("p").map_or("nothing".into(), Value::to_string);
        Err(format!("data-view names post {p}, not {id}"))
    }
}

/// True when `href` ends in `/{channel}/{id}` (channel in any case), before
/// any query or fragment.
fn links_to(href: &str, channel: &str, id: i64) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or_default();
    let Some((rest, last)) = path.rsplit_once('/') else { return false };
    let Some((_, ch)) = rest.rsplit_once('/') else { return false };
    ch.eq_ignore_ascii_case(channel) && last == id.to_string()
}

/// An RFC 3339 date-time with an offset, naming a real date and time
/// ([`crate::format::rfc3339`], the web reader's check; a local time
/// without an offset, which the reader completes with `--assume-offset`,
/// is reported here: Telegram's server always writes the offset).
fn check_rfc3339(s: &str) -> std::result::Result<(), &'static str> {
    match crate::format::rfc3339(s)? {
        crate::format::DateTime::WithOffset => Ok(()),
        crate::format::DateTime::Local => {
            Err("has no time-zone offset (RFC 3339 needs Z or ±hh:mm)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_posts() {
        assert_eq!(parse_data_post("tchantest/84"), Some(("tchantest", 84)));
        assert_eq!(parse_data_post("CamaradosDeputados/7334"), Some(("CamaradosDeputados", 7334)));
        assert_eq!(parse_data_post("tchantest/0"), None);
        assert_eq!(parse_data_post("tchantest/-3"), None);
        assert_eq!(parse_data_post("tchantest/8a"), None);
        assert_eq!(parse_data_post("/84"), None);
        assert_eq!(parse_data_post("tchantest"), None);
        assert_eq!(parse_data_post("a/b/84"), None);
        assert_eq!(parse_data_post("tchantest/99999999999999999999"), None);
    }

    #[test]
    fn date_links() {
        assert!(links_to("https://t.me/tchantest/84", "tchantest", 84));
        assert!(links_to("https://t.me/TchanTest/84?single", "tchantest", 84));
        assert!(!links_to("https://t.me/tchantest/85", "tchantest", 84));
        assert!(!links_to("https://t.me/other/84", "tchantest", 84));
        assert!(!links_to("", "tchantest", 84));
    }

    #[test]
    fn rfc3339() {
        assert_eq!(check_rfc3339("2023-02-24T07:29:57+00:00"), Ok(()));
        assert_eq!(check_rfc3339("2023-02-24T07:29:57.5Z"), Ok(()));
        assert!(check_rfc3339("2023-02-24T07:29:57").is_err());
        assert!(check_rfc3339("2023-02-30T07:29:57+00:00").is_err());
        assert!(check_rfc3339("2023-02-24 07:29:57+00:00").is_err());
        assert!(check_rfc3339("2023-02-24T07:29:57+0000").is_err());
        assert!(check_rfc3339("24.02.2023 07:29").is_err());
        assert!(check_rfc3339("").is_err());
    }

    #[test]
    fn data_views() {
        // {"c":-1,"p":"84g"} and {"c":-1,"p":18}
        assert_eq!(check_data_view("eyJjIjotMSwicCI6Ijg0ZyJ9", 84), Ok(()));
        assert_eq!(check_data_view("eyJjIjotMSwicCI6MTh9", 18), Ok(()));
        assert!(check_data_view("eyJjIjotMSwicCI6MTh9", 19).is_err());
        assert!(check_data_view("!!", 1).is_err());
    }
}
