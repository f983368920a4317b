//! One `div.tgme_widget_message` → one [`Post`] (docs/web-preview-format.md §1–§2).
//!
//! The bubble is read element by element, by class name. Three kinds of
//! subtree never reach the post text: the reply header (its quote shares the
//! body's class since 2024), the link preview, and hidden fallbacks
//! (`media_not_supported_cont`, the "not supported in your browser" blocks
//! inside players). Page chrome is never looked at: only message elements
//! are.

use super::dom::{
    class_bit, class_index, class_mask, element, has_class, Element, Node, NodeR, KNOWN,
};
use super::text::{self, emoji_from_image_url, one_line, plain, tme_path, unescape_href};
use crate::model::{
    Chat, Edited, Extra, Forward, Kind, Media, MediaStatus, Peer, Post, Reaction, Reply, Service,
    Source,
};
use crate::read::text::parse_count;
use serde_json::{json, Value};

/// What the page around the posts says about the channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct Page {
    /// Channel title from the page header (or `og:title`).
    pub(crate) title: Option<String>,
    /// Username from the header's `@name`.
    pub(crate) username: Option<String>,
    /// The channel `title` names: the header's `@name`, else the page's
    /// canonical link (`/s/name?before=…`). Posts of another channel in
    /// the same file are not given the title.
    pub(crate) owner: Option<String>,
}

impl Page {
    /// What is known after a region whose trees said `found`: a title
    /// comes with its own channel (or none known), so that it never names
    /// the previous page's.
    pub(crate) fn update(&mut self, found: &Page) {
        if found.title.is_some() {
            self.title.clone_from(&found.title);
            self.owner.clone_from(&found.owner);
        } else if self.owner.is_none() {
            self.owner.clone_from(&found.owner);
        }
        if found.username.is_some() {
            self.username.clone_from(&found.username);
        }
    }

    /// What the region's two trees (the part before a post left open, and
    /// after) say together.
    pub(crate) fn or(self, more: Page) -> Page {
        Page {
            title: self.title.or(more.title),
            username: self.username.or(more.username),
            owner: self.owner.or(more.owner),
        }
    }
}

/// What the reader needs of a region's tree before reading its posts, in
/// one walk: the channel header of the page (if it has one), whether the
/// page says it has no posts, and how many [`messages`] it holds.
pub(crate) fn survey(root: NodeR<'_>) -> (Page, bool, usize) {
    let masks = masks();
    let (mut page, mut no_posts, mut count) = (Page::default(), false, 0);
    let mut canonical = None;
    for n in root.descendants() {
        let Some(el) = element(n) else { continue };
        if el.has_any(masks.message) && !n.ancestors().any(is_message) {
            count += 1;
        }
        no_posts |= el.has_any(masks.no_posts);
        if el.has_any(masks.header) || el.tag() == "meta" {
            header(&mut page, n, el);
        } else if canonical.is_none() && el.tag() == "link" && el.attr("rel") == Some("canonical") {
            canonical = el.attr("href").and_then(channel_of_link);
        }
    }
    page.owner = page.username.clone().or(canonical);
    (page, no_posts, count)
}

/// The channel of a page's canonical link: `/s/name`, `/s/name?before=9`
/// or `https://t.me/s/name`; `None` for anything else.
fn channel_of_link(href: &str) -> Option<String> {
    let path = href.strip_prefix("https://t.me").unwrap_or(href);
    let rest = path.strip_prefix("/s/")?;
    let name = rest.split(['?', '/', '#']).next()?;
    let word = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    word.then(|| name.to_owned())
}

/// What a header element (or a `meta`) says of the channel, where the
/// page has not said it yet.
fn header(page: &mut Page, n: NodeR<'_>, el: &Element) {
    if page.title.is_none() && el.has_class("tgme_channel_info_header_title") {
        page.title = Some(one_line(n)).filter(|t| !t.is_empty());
    } else if page.username.is_none() && el.has_class("tgme_channel_info_header_username") {
        let name = one_line(n);
        page.username = name.strip_prefix('@').map(str::to_owned).filter(|u| !u.is_empty());
    } else if page.title.is_none() && el.tag() == "meta" && el.attr("property") == Some("og:title")
    {
        page.title = el.attr("content").map(str::to_owned).filter(|t| !t.is_empty());
    }
}

/// Message elements of a page, in document order (not nested ones).
pub(crate) fn messages(root: NodeR<'_>) -> impl Iterator<Item = NodeR<'_>> {
    root.descendants().filter(|n| is_message(*n) && !n.ancestors().any(is_message))
}

fn is_message(n: NodeR<'_>) -> bool {
    element(n).is_some_and(|e| e.has_any(masks().message))
}

/// The class masks the reader tests every element against (see
/// `dom::KNOWN`).
struct Masks {
    message: u128,
    no_posts: u128,
    header: u128,
    not_body: u128,
    not_media: u128,
    media: u128,
}

/// Classes whose subtrees hold no post text.
const NOT_BODY: [&str; 9] = [
    "tgme_widget_message_reply",
    "tgme_widget_message_link_preview",
    "media_not_supported_cont",
    "tgme_widget_message_poll",
    "tgme_widget_message_document_wrap",
    "tgme_widget_message_inline_keyboard",
    "tgme_widget_message_footer",
    "tgme_widget_message_forwarded_from",
    "tgme_widget_message_author",
];

/// Classes (besides [`MEDIA_ROOTS`]) whose subtrees the media walk does
/// not enter.
const NOT_MEDIA: [&str; 9] = [
    "tgme_widget_message_reply",
    "tgme_widget_message_link_preview",
    "media_not_supported_cont",
    "tgme_widget_message_text",
    "tgme_widget_message_footer",
    "tgme_widget_message_inline_keyboard",
    "tgme_widget_message_user",
    "tgme_widget_message_service_photo",
    "message_media_not_supported_wrap",
];

fn masks() -> &'static Masks {
    static MASKS: std::sync::OnceLock<Masks> = std::sync::OnceLock::new();
    MASKS.get_or_init(|| Masks {
        message: class_mask(&["tgme_widget_message"]),
        no_posts: class_mask(&["tme_no_messages_found"]),
        header: class_mask(&[
            "tgme_channel_info_header_title",
            "tgme_channel_info_header_username",
        ]),
        not_body: class_mask(&NOT_BODY),
        not_media: class_mask(&NOT_MEDIA) | class_mask(&MEDIA_ROOTS),
        media: class_mask(&MEDIA_ROOTS)
            | class_mask(&["media_not_supported_cont", "message_media_not_supported_wrap"]),
    })
}

/// First descendant of `node` (itself excluded) matching `pred`, not
/// looking inside subtrees for which `stop` holds.
fn find<'a>(
    node: NodeR<'a>,
    pred: impl Fn(&Element) -> bool,
    stop: impl Fn(&Element) -> bool,
) -> Option<NodeR<'a>> {
    // `walk` without collecting: this runs for every field of every post.
    let mut skip: Option<ego_tree::NodeId> = None;
    for edge in node.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) => {
                if skip.is_some() || n.id() == node.id() {
                    continue;
                }
                if let Some(e) = element(n) {
                    if pred(e) {
                        return Some(n);
                    }
                    if stop(e) {
                        skip = Some(n.id());
                    }
                }
            }
            ego_tree::iter::Edge::Close(n) => {
                if skip == Some(n.id()) {
                    skip = None;
                }
            }
        }
    }
    None
}

/// Descendants of `node` (itself excluded) in document order, not entering
/// subtrees whose root satisfies `stop` (the root itself is listed).
fn walk<'a>(node: NodeR<'a>, stop: impl Fn(&Element) -> bool) -> Vec<NodeR<'a>> {
    let mut out = Vec::new();
    let mut skip: Option<ego_tree::NodeId> = None;
    for edge in node.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) => {
                if skip.is_some() || n.id() == node.id() {
                    continue;
                }
                out.push(n);
                if element(n).is_some_and(&stop) {
                    skip = Some(n.id());
                }
            }
            ego_tree::iter::Edge::Close(n) => {
                if skip == Some(n.id()) {
                    skip = None;
                }
            }
        }
    }
    out
}

fn class_is(c: &'static str) -> impl Fn(&Element) -> bool {
    let bit = class_bit(c);
    move |e: &Element| match bit {
        Some(bit) => e.has_any(bit),
        None => e.has_class(c),
    }
}

/// The known classes (those in `dom::KNOWN`) among the descendants of a
/// message, and the first descendant that has each, noted in one walk:
/// reading a post asks for a dozen classes, and each search walked the
/// post's tree again.
struct Present {
    classes: u128,
    first: [Option<ego_tree::NodeId>; KNOWN.len()],
}

impl Present {
    /// The known classes under `msg` (itself excluded) and the last line
    /// of its descendants' start tags.
    fn of(msg: NodeR<'_>) -> (Present, Option<u64>) {
        let mut present = Present { classes: 0, first: [None; KNOWN.len()] };
        let mut last = None;
        for n in msg.descendants().skip(1) {
            let Some(e) = element(n) else { continue };
            last = last.max(Some(e.line));
            let mut new = e.known() & !present.classes;
            present.classes |= new;
            while new != 0 {
                let bit = new.trailing_zeros();
                new &= new - 1;
                if let Some(slot) = present.first.get_mut(bit as usize) {
                    *slot = Some(n.id());
                }
            }
        }
        (present, last)
    }
}

/// The first element of class `c` among the descendants of the message
/// `msg` whose classes are `present`.
fn find_in<'a>(msg: NodeR<'a>, present: &Present, c: &'static str) -> Option<NodeR<'a>> {
    match class_index(c) {
        Some(bit) => {
            let first = present.first.get(bit as usize).copied().flatten()?;
            msg.tree().get(first)
        }
        None => find(msg, class_is(c), never),
    }
}

fn never(_: &Element) -> bool {
    false
}

/// Subtrees whose text is not the post's own text.
fn not_body(e: &Element) -> bool {
    e.has_any(masks().not_body)
}

/// `https://t.me/{name}/{id}` (maybe `?single`, maybe `/s/`) → (name, id).
pub(crate) fn tme_post(href: &str) -> Option<(String, Option<i64>)> {
    tme_path(href)?;
    let rest = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
        .or_else(|| href.strip_prefix("//"))
        .unwrap_or(href);
    let path = rest.split_once('/')?.1;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let mut name = segments.next()?;
    if name == "s" || name == "c" {
        name = segments.next()?;
    }
    let id = segments.next().and_then(|i| i.parse().ok());
    Some((name.to_owned(), id))
}

/// Decodes `data-view` (base64url JSON without padding).
pub(crate) fn data_view(value: &str) -> Option<Value> {
    let bytes = base64url(value)?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.is_object().then_some(v)
}

fn base64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// RFC 3339 (`2023-02-24T07:29:57+00:00`), naming a real date and time;
/// a local time without an offset is completed later (`--assume-offset`).
fn is_rfc3339(s: &str) -> bool {
    crate::format::rfc3339(s).is_ok()
}

/// `0:06`, `1:02:03` → seconds.
fn duration(s: &str) -> Option<u64> {
    let mut total = 0u64;
    let parts: Vec<&str> = s.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    for p in parts {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(p.parse().ok()?)?;
    }
    Some(total)
}

/// `background-image:url('…')` → the URL.
fn background_url(el: &Element) -> Option<String> {
    let style = el.attr("style")?;
    let at = style.find("url(")?;
    let rest = style.get(at + 4..)?;
    let end = rest.find(')')?;
    let url = rest.get(..end)?.trim().trim_matches(['\'', '"']).trim();
    (!url.is_empty()).then(|| url.to_owned())
}

/// `1.2 MB` → approximate bytes (Telegram formats sizes in powers of 1024).
fn file_size(s: &str) -> Option<u64> {
    let (num, unit) = s.trim().split_once(' ')?;
    let n: f64 = num.replace(',', ".").parse().ok()?;
    let scale = match unit.trim().to_ascii_uppercase().as_str() {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then(|| (n * scale).round() as u64)
}

fn put(extra: &mut Extra, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        extra.insert(key.into(), Value::String(v));
    }
}

/// Why a post is not written: what, and the line (in the file) of the
/// element at fault.
#[derive(Debug)]
pub(crate) struct Fault {
    /// 1-based line of the offending element's start tag.
    pub(crate) line: u64,
    /// The tag name of the offending element, to find its column.
    pub(crate) tag: &'static str,
    pub(crate) what: String,
}

/// Reads one message element. `file` and `index` go into `source`;
/// `line_offset` is the line of the chunk's start in the file. A post
/// whose `time[datetime]` is not a real RFC 3339 date and time (empty,
/// `2024-02-30`, `25:61:61`, no `T`) is a [`Fault`]: it is not written.
pub(crate) fn read(
    msg: NodeR<'_>,
    page: &Page,
    file: &str,
    index: u64,
    line_offset: u64,
) -> Result<Post, Fault> {
    let mut post = Post::default();
    let mut extra = Extra::new();
    let el = element(msg);
    let line = el.map_or(1, |e| e.line) + line_offset;
    // html5ever reports no end positions: the post ends at its last start
    // tag. The same walk notes which known classes the post has, and
    // where.
    let (present, last) = Present::of(msg);
    let last = last.max(el.map(|e| e.line));
    let end_line = last.unwrap_or(1).max(line - line_offset) + line_offset;
    post.source = Source {
        format: "web-html".into(),
        file: file.to_owned(),
        line: Some(line),
        end_line: Some(end_line),
        index: Some(index),
        ..Source::default()
    };

    let msg = (msg, &present);
    let (date_link, username) = identity(msg, page, &mut post, &mut extra);
    footer(msg, date_link, (line, line_offset), &mut post, &mut extra)?;
    headers(msg, username.as_deref(), &mut post, &mut extra);
    let is_service = body(msg.0, &mut post, &mut extra);
    media_and_more(msg, is_service, &mut post, &mut extra);
    post.extra = extra;
    Ok(post)
}

/// Identity: the id, the chat and the sender, from `data-post`
/// (`{username}/{id}`), `data-view` (base64url JSON) and the date link.
/// Gives the date link (the footer reads it) and the channel's username.
fn identity<'a>(
    (msg, present): (NodeR<'a>, &Present),
    page: &Page,
    post: &mut Post,
    extra: &mut Extra,
) -> (Option<NodeR<'a>>, Option<String>) {
    let el = element(msg);
    let data_post = el.and_then(|e| e.attr("data-post"));
    let (mut username, mut id) = (None, None);
    if let Some(dp) = data_post {
        if let Some((u, i)) = dp.rsplit_once('/') {
            username = Some(u.to_owned()).filter(|u| !u.is_empty());
            id = i.trim().parse::<i64>().ok();
        }
        if id.is_none() {
            put(extra, "data_post", Some(dp.to_owned()));
        }
    }
    let date_link = find_in(msg, present, "tgme_widget_message_date");
    if id.is_none() || username.is_none() {
        let from_link = date_link.and_then(element).and_then(|e| e.attr("href")).and_then(tme_post);
        if let Some((u, i)) = from_link {
            username = username.or(Some(u));
            id = id.or(i);
        }
    }
    // A page's title names the page's own channel (its header's
    // `@username`), not a post of another channel in the same file (pages
    // of two channels saved one after the other).
    let title = match (&username, &page.owner) {
        (Some(own), Some(header)) if !own.eq_ignore_ascii_case(header) => None,
        _ => page.title.clone(),
    };
    let username = username.or_else(|| page.username.clone());
    let mut chat_id = None;
    if let Some(view) = el.and_then(|e| e.attr("data-view")) {
        match data_view(view) {
            Some(v) => {
                if let Some(c) = v.get("c").and_then(Value::as_i64) {
                    chat_id = Some(format!("channel{}", c.unsigned_abs()));
                }
                if v.get("p").and_then(Value::as_str).is_some_and(|p| p.ends_with('g')) {
                    extra.insert("grouped".into(), Value::Bool(true));
                }
                extra.insert("data_view".into(), v);
            }
            None => put(extra, "data_view", Some(view.to_owned())),
        }
    }
    post.id = id;

    let owner = find_in(msg, present, "tgme_widget_message_owner_name").map(one_line);
    post.chat = Some(Chat {
        name: title.clone().or_else(|| owner.clone()),
        id: chat_id.clone(),
        username: username.clone(),
        kind: Some("public_channel".into()),
    });
    post.from = Some(Peer { name: owner.or(title), id: chat_id });

    (date_link, username)
}

/// Footer: date, views, signature, edited. A `datetime` that is not a real
/// RFC 3339 date-time is a [`Fault`]. `at` is the post's line and the
/// chunk's line offset.
fn footer(
    (msg, present): (NodeR<'_>, &Present),
    date_link: Option<NodeR<'_>>,
    (line, line_offset): (u64, u64),
    post: &mut Post,
    extra: &mut Extra,
) -> Result<(), Fault> {
    if let Some(time) = date_link
        .and_then(|d| d.descendants().find(|n| element(*n).is_some_and(|e| e.tag() == "time")))
    {
        if let Some(dt) = element(time).and_then(|e| e.attr("datetime")) {
            if !is_rfc3339(dt.trim()) {
                let line = element(time).map_or(line, |e| e.line + line_offset);
                let what = format!(
                    "datetime {dt:?} is not a real RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS±hh:mm); not written"
                );
                return Err(Fault { line, tag: "time", what });
            }
            post.date = Some(dt.trim().to_owned());
        }
    }
    if let Some(v) = find_in(msg, present, "tgme_widget_message_views") {
        let raw = one_line(v);
        match parse_count(&raw) {
            Some(n) => {
                post.views = Some(n);
                if !raw.chars().all(|c| c.is_ascii_digit()) {
                    post.source.flag("views_approximate");
                }
            }
            None => put(extra, "views_raw", Some(raw)),
        }
    }
    post.author = find_in(msg, present, "tgme_widget_message_from_author")
        .map(one_line)
        .filter(|a| !a.is_empty());
    if let Some(meta) = find_in(msg, present, "tgme_widget_message_meta") {
        let edited = meta.children().any(|c| match c.value() {
            Node::Text(t) => t.to_lowercase().contains("edited"),
            _ => false,
        });
        if edited {
            post.edited = Some(Edited::Unknown);
        }
    }

    Ok(())
}

/// Headers: forward, via bot, reply.
fn headers(
    (msg, present): (NodeR<'_>, &Present),
    username: Option<&str>,
    post: &mut Post,
    extra: &mut Extra,
) {
    if let Some(fwd) = find_in(msg, present, "tgme_widget_message_forwarded_from") {
        post.forwarded_from = Some(forward(fwd, extra));
    }
    post.via_bot = find_in(msg, present, "tgme_widget_message_via_bot")
        .map(one_line)
        .map(|b| b.trim_start_matches('@').to_owned())
        .filter(|b| !b.is_empty());
    if let Some(reply) = find_in(msg, present, "tgme_widget_message_reply") {
        post.reply_to = Some(reply_to(reply, username, extra));
    }
}

/// Body text: the innermost text div outside reply, link preview and
/// hidden fallbacks (album captions wrap it twice); a service message's
/// line becomes its `service`. True for a service message.
fn body(msg: NodeR<'_>, post: &mut Post, extra: &mut Extra) -> bool {
    let el = element(msg);
    // Asked of every node of the post: bit tests, not class splits.
    let (text, reply_text) =
        (class_is("tgme_widget_message_text"), class_is("js-message_reply_text"));
    let candidates: Vec<NodeR<'_>> = walk(msg, not_body)
        .into_iter()
        .filter(|n| {
            element(*n).is_some_and(|e| text(e) && !reply_text(e))
                && !n
                    .ancestors()
                    .take_while(|a| a.id() != msg.id())
                    .any(|a| element(a).is_some_and(not_body))
        })
        .collect();
    let innermost: Vec<NodeR<'_>> = candidates
        .iter()
        .copied()
        .filter(|c| {
            !candidates.iter().any(|o| o.id() != c.id() && o.ancestors().any(|a| a.id() == c.id()))
        })
        .collect();
    let is_service = el.is_some_and(|e| e.has_class("service_message"));
    if is_service {
        post.kind = Kind::Service;
        let line = innermost.iter().map(|n| one_line(*n)).collect::<Vec<_>>().join(" ");
        post.service = Some(service(&line, msg));
    } else {
        let mut dropped = Vec::new();
        for (i, node) in innermost.iter().enumerate() {
            let r = text::rich(*node);
            if i > 0 && !r.text.is_empty() && !post.text.is_empty() {
                post.text.push("\n", None);
            }
            post.text.spans.extend(r.text.spans);
            dropped.extend(r.dropped);
        }
        post.text.normalize();
        if !dropped.is_empty() {
            extra.insert("nested_entities".into(), Value::Array(dropped));
        }
    }
    is_service
}

/// Media in bubble order, poll voters, the unsupported kind, the link
/// preview, reactions and the inline keyboard.
fn media_and_more(
    (msg, present): (NodeR<'_>, &Present),
    is_service: bool,
    post: &mut Post,
    extra: &mut Extra,
) {
    let (media, unsupported) = media(msg, extra);
    post.media = media;
    if let Some(voters) = find_in(msg, present, "tgme_widget_message_voters") {
        let raw = one_line(voters);
        if let Some(poll) = post.media.iter_mut().find(|m| m.kind == "poll") {
            match parse_count(&raw) {
                Some(n) => poll.extra.insert("total_voters".into(), json!(n)),
                None => poll.extra.insert("total_voters_raw".into(), json!(raw)),
            };
        }
    }
    if unsupported
        && !is_service
        && post.text.is_empty()
        && post.media.iter().all(|m| m.status == MediaStatus::NotSupported)
    {
        post.kind = Kind::Unsupported;
    }

    if let Some(lp) = find_in(msg, present, "tgme_widget_message_link_preview") {
        extra.insert("link_preview".into(), link_preview(lp));
    }
    if let Some(r) = find_in(msg, present, "tgme_widget_message_reactions") {
        post.reactions = reactions(r);
    }
    if let Some(kb) = find_in(msg, present, "tgme_widget_message_inline_keyboard") {
        let rows = keyboard(kb);
        if !rows.is_empty() {
            extra.insert("inline_bot_buttons".into(), Value::Array(rows));
        }
    }
}

fn forward(fwd: NodeR<'_>, extra: &mut Extra) -> Forward {
    let mut f = Forward::default();
    match find(fwd, class_is("tgme_widget_message_forwarded_from_name"), never) {
        Some(name) => {
            f.name = Some(one_line(name)).filter(|n| !n.is_empty());
            if let Some((user, id)) = element(name).and_then(|e| e.attr("href")).and_then(tme_post)
            {
                f.username = Some(user);
                f.message_id = id;
            }
        }
        None => {
            // A hidden origin without a name element: the header's own text.
            let all = one_line(fwd);
            let name = all
                .get(..14)
                .filter(|h| h.eq_ignore_ascii_case("forwarded from"))
                .and_then(|_| all.get(14..))
                .unwrap_or(&all)
                .trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
            f.name = Some(name.to_owned()).filter(|n| !n.is_empty());
        }
    }
    if let Some(author) = find(fwd, class_is("tgme_widget_message_forwarded_from_author"), never) {
        put(extra, "forwarded_from_author", Some(one_line(author)));
    }
    f
}

fn reply_to(reply: NodeR<'_>, channel: Option<&str>, extra: &mut Extra) -> Reply {
    let mut r = Reply::default();
    if let Some((user, id)) = element(reply).and_then(|e| e.attr("href")).and_then(tme_post) {
        r.message_id = id;
        if channel.is_some_and(|c| !c.eq_ignore_ascii_case(&user)) {
            put(extra, "reply_to_chat", Some(user));
        }
    }
    r.author = find(reply, class_is("tgme_widget_message_author_name"), never)
        .map(one_line)
        .filter(|a| !a.is_empty());
    r.quote = find(reply, class_is("js-message_reply_text"), never)
        .or_else(|| find(reply, class_is("tgme_widget_message_metatext"), never))
        .or_else(|| find(reply, class_is("tgme_widget_message_text"), never))
        .map(one_line)
        .filter(|q| !q.is_empty());
    r
}

fn service(line: &str, msg: NodeR<'_>) -> Service {
    let mut s = Service::default();
    match crate::clean::boilerplate::service_line(line) {
        Some((action, detail)) => {
            s.action = Some(action.to_owned());
            match (action, detail) {
                ("pin_message", Some(quote)) => {
                    if let Some((actor, _)) = line.split_once(" pinned «") {
                        s.actor = Some(Peer { name: Some(actor.to_owned()), id: None });
                    }
                    s.details.insert("quote".into(), Value::String(quote));
                }
                (_, Some(title)) => {
                    s.details.insert("title".into(), Value::String(title));
                }
                _ => {}
            }
        }
        None => {
            if !line.is_empty() {
                s.details.insert("text".into(), Value::String(line.to_owned()));
            }
        }
    }
    if let Some(photo) = find(msg, class_is("tgme_widget_message_service_photo"), never) {
        let img = photo.descendants().find_map(|n| element(n).filter(|e| e.tag() == "img"));
        put(&mut s.details, "photo_url", img.and_then(|i| i.attr("src")).map(str::to_owned));
    }
    s
}

/// Media roots: the element classes that stand for one attachment.
const MEDIA_ROOTS: [&str; 9] = [
    "tgme_widget_message_photo_wrap",
    "tgme_widget_message_video_player",
    "tgme_widget_message_roundvideo_player",
    "tgme_widget_message_voice_player",
    "tgme_widget_message_document_wrap",
    "tgme_widget_message_sticker_wrap",
    "tgme_widget_message_poll",
    "tgme_widget_message_location_wrap",
    "tgme_widget_message_contact_wrap",
];

/// Subtrees the media walk does not enter.
fn not_media(e: &Element) -> bool {
    e.has_any(masks().not_media)
}

/// The post's media in order, and whether a visible "cannot show this post"
/// block is among them.
fn media(msg: NodeR<'_>, extra: &mut Extra) -> (Vec<Media>, bool) {
    let mut out = Vec::new();
    let mut unsupported = false;
    let any_media = masks().media;
    for n in walk(msg, not_media) {
        let Some(e) = element(n).filter(|e| e.has_any(any_media)) else { continue };
        if e.has_class("media_not_supported_cont") {
            // A hidden fallback (2023 stickers carry it on the wrap itself).
            continue;
        }
        let m = if e.has_class("tgme_widget_message_photo_wrap") {
            let mut m = Media::new("photo", MediaStatus::Ok);
            put(&mut m.extra, "url", background_url(e));
            item_id(&mut m, e);
            m
        } else if e.has_class("tgme_widget_message_video_player") {
            video(n, e)
        } else if e.has_class("tgme_widget_message_roundvideo_player") {
            let src = source_url(n, "video");
            let mut m = Media::new("video_message", status_of(&src));
            put(&mut m.extra, "url", src);
            m.duration_seconds =
                find(n, class_is("tgme_widget_message_roundvideo_duration"), never)
                    .and_then(|d| duration(&one_line(d)));
            m
        } else if e.has_class("tgme_widget_message_voice_player") {
            let src = source_url(n, "audio");
            let mut m = Media::new("voice_message", status_of(&src));
            put(&mut m.extra, "url", src);
            m.duration_seconds = find(n, class_is("tgme_widget_message_voice_duration"), never)
                .and_then(|d| duration(&one_line(d)));
            let wave = n
                .descendants()
                .find_map(|d| element(d).and_then(|a| a.attr("data-waveform")).map(str::to_owned));
            put(&mut m.extra, "waveform", wave);
            m
        } else if e.has_class("tgme_widget_message_document_wrap") {
            document(n)
        } else if e.has_class("tgme_widget_message_sticker_wrap") {
            sticker(n)
        } else if e.has_class("tgme_widget_message_poll") {
            poll(n)
        } else if e.has_class("tgme_widget_message_location_wrap") {
            location(n, e)
        } else if e.has_class("tgme_widget_message_contact_wrap") {
            let mut m = Media::new("contact", MediaStatus::Ok);
            put(
                &mut m.extra,
                "name",
                find(n, class_is("tgme_widget_message_contact_name"), never).map(one_line),
            );
            put(
                &mut m.extra,
                "phone",
                find(n, class_is("tgme_widget_message_contact_phone"), never).map(one_line),
            );
            m
        } else if e.has_class("message_media_not_supported_wrap") {
            // Not inside a player or a hidden fallback (the walk does not
            // enter those): the preview cannot show the post.
            unsupported = true;
            let mut m = Media::new("unknown", MediaStatus::NotSupported);
            put(
                &mut m.extra,
                "label",
                find(n, class_is("message_media_not_supported_label"), never).map(one_line),
            );
            m
        } else {
            continue;
        };
        out.push(m);
    }
    if out.iter().filter(|m| m.extra.contains_key("message_id")).count() > 1 {
        extra.entry("grouped").or_insert(Value::Bool(true));
    }
    (out, unsupported)
}

fn status_of(src: &Option<String>) -> MediaStatus {
    if src.is_some() {
        MediaStatus::Ok
    } else {
        MediaStatus::Unavailable
    }
}

/// `src` of the first `<tag>` (or `<source>`) under `n`.
fn source_url(n: NodeR<'_>, tag: &str) -> Option<String> {
    n.descendants().find_map(|d| {
        let e = element(d)?;
        (e.tag() == tag || e.tag() == "source").then(|| e.attr("src").map(str::to_owned)).flatten()
    })
}

/// Album items link to `…/{id}?single`: keep the item's id.
fn item_id(m: &mut Media, e: &Element) {
    let Some(href) = e.attr("href") else { return };
    if !href.contains("?single") {
        return;
    }
    if let Some((_, Some(id))) = tme_post(href) {
        m.extra.insert("message_id".into(), json!(id));
    }
}

fn video(n: NodeR<'_>, e: &Element) -> Media {
    let label = find(n, class_is("message_media_not_supported_label"), never).map(one_line);
    let src = source_url(n, "video");
    let status = if e.has_class("not_supported") || src.is_none() {
        match label.as_deref() {
            Some(l) if l.eq_ignore_ascii_case("Media is too big") => MediaStatus::TooBig,
            Some(_) => MediaStatus::NotSupported,
            None => MediaStatus::Unavailable,
        }
    } else {
        MediaStatus::Ok
    };
    let mut m = Media::new("video", status);
    put(&mut m.extra, "url", src);
    put(
        &mut m.extra,
        "thumbnail_url",
        find(n, class_is("tgme_widget_message_video_thumb"), never)
            .and_then(element)
            .and_then(background_url),
    );
    m.duration_seconds =
        find(n, class_is("message_video_duration"), never).and_then(|d| duration(&one_line(d)));
    item_id(&mut m, e);
    m
}

fn document(n: NodeR<'_>) -> Media {
    let audio = find(n, class_is("tgme_widget_message_document_icon"), never)
        .and_then(element)
        .is_some_and(|i| i.has_class("audio"));
    let mut m = Media::new(if audio { "audio" } else { "document" }, MediaStatus::Unavailable);
    m.title = find(n, class_is("tgme_widget_message_document_title"), never)
        .map(one_line)
        .filter(|t| !t.is_empty());
    let more = find(n, class_is("tgme_widget_message_document_extra"), never).map(one_line);
    if audio {
        put(&mut m.extra, "performer", more);
    } else if let Some(more) = more {
        m.file_size = file_size(&more);
        put(&mut m.extra, "size", Some(more));
    }
    m
}

fn sticker(n: NodeR<'_>) -> Media {
    let mut url = None;
    let mut kind = None;
    for d in n.descendants() {
        let Some(e) = element(d) else { continue };
        if e.has_class("tgme_widget_message_tgsticker") {
            kind = Some("animated");
        } else if e.has_class("tgme_widget_message_videosticker") {
            kind = Some("video");
        }
        if url.is_none() {
            url = e
                .attr("data-webp")
                .map(str::to_owned)
                .or_else(|| {
                    (e.tag() == "video" || e.tag() == "source")
                        .then(|| e.attr("src").map(str::to_owned))
                        .flatten()
                })
                .or_else(|| {
                    e.has_class("tgme_widget_message_sticker")
                        .then(|| background_url(e).filter(|u| !u.starts_with("data:")))
                        .flatten()
                });
        }
    }
    let mut m = Media::new("sticker", status_of(&url));
    put(&mut m.extra, "url", url);
    put(&mut m.extra, "sticker_kind", kind.map(str::to_owned));
    m
}

fn poll(n: NodeR<'_>) -> Media {
    let mut m = Media::new("poll", MediaStatus::Ok);
    m.title = find(n, class_is("tgme_widget_message_poll_question"), never)
        .map(plain)
        .filter(|t| !t.is_empty());
    put(
        &mut m.extra,
        "poll_type",
        find(n, class_is("tgme_widget_message_poll_type"), never).map(one_line),
    );
    let mut answers = Vec::new();
    for o in n.descendants().filter(|d| has_class(*d, "tgme_widget_message_poll_option")) {
        let text = find(o, class_is("tgme_widget_message_poll_option_text"), never).map(one_line);
        let pct = find(o, class_is("tgme_widget_message_poll_option_percent"), never).map(one_line);
        let mut a = serde_json::Map::new();
        a.insert("text".into(), json!(text.unwrap_or_default()));
        if let Some(p) = pct {
            match p.trim_end_matches('%').trim().parse::<u64>() {
                Ok(v) => a.insert("percent".into(), json!(v)),
                Err(_) => a.insert("percent_raw".into(), json!(p)),
            };
        }
        answers.push(Value::Object(a));
    }
    m.extra.insert("answers".into(), Value::Array(answers));
    m
}

fn location(n: NodeR<'_>, e: &Element) -> Media {
    let mut m = Media::new("location", MediaStatus::Ok);
    let href = e.attr("href").map(str::to_owned);
    // maps.google.com/maps?q={lat},{lon}&…
    let coords = href.as_deref().and_then(|h| {
        let q = h
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("ll=")))?;
        let (lat, lon) = q.split_once(',')?;
        Some((lat.trim().parse::<f64>().ok()?, lon.trim().parse::<f64>().ok()?))
    });
    if let Some((lat, lon)) = coords.filter(|(a, b)| a.is_finite() && b.is_finite()) {
        m.extra.insert("latitude".into(), json!(lat));
        m.extra.insert("longitude".into(), json!(lon));
    }
    put(&mut m.extra, "url", href);
    put(
        &mut m.extra,
        "map_url",
        find(n, class_is("tgme_widget_message_location"), never)
            .and_then(element)
            .and_then(background_url),
    );
    m
}

fn link_preview(lp: NodeR<'_>) -> Value {
    let mut v = serde_json::Map::new();
    let get = |c: &'static str| find(lp, class_is(c), never);
    put(&mut v, "url", element(lp).and_then(|e| e.attr("href")).map(unescape_href));
    put(&mut v, "site_name", get("link_preview_site_name").map(one_line));
    put(&mut v, "title", get("link_preview_title").map(one_line));
    put(&mut v, "description", get("link_preview_description").map(plain));
    for (class, pos) in [
        ("link_preview_image", "large"),
        ("link_preview_right_image", "right"),
        ("link_preview_video_thumb", "video"),
    ] {
        if let Some(img) = get(class).and_then(element) {
            put(&mut v, "image_url", background_url(img));
            v.insert("image".into(), json!(pos));
            break;
        }
    }
    Value::Object(v)
}

fn reactions(r: NodeR<'_>) -> Vec<Reaction> {
    let mut out = Vec::new();
    for span in r.descendants().filter(|n| has_class(*n, "tgme_reaction")) {
        let mut kind = "emoji";
        let mut emoji = None;
        let mut extra = Extra::new();
        let mut count_text = String::new();
        let mut skip: Option<ego_tree::NodeId> = None;
        if has_class(span, "tgme_reaction_paid") {
            kind = "paid";
        }
        for edge in span.traverse() {
            match edge {
                ego_tree::iter::Edge::Open(d) => {
                    if skip.is_some() {
                        continue;
                    }
                    match d.value() {
                        Node::Text(t) => count_text.push_str(t),
                        Node::Element(e) if d.id() != span.id() => {
                            if e.tag() == "tg-emoji" {
                                kind = "custom_emoji";
                                put(
                                    &mut extra,
                                    "document_id",
                                    e.attr("emoji-id").map(str::to_owned),
                                );
                                emoji = Some(one_line(d)).filter(|s| !s.is_empty());
                                skip = Some(d.id());
                            } else if e.tag() == "i" && e.has_class("emoji") {
                                let s = one_line(d);
                                emoji = Some(s)
                                    .filter(|s| !s.is_empty())
                                    .or_else(|| e.attr("style").and_then(emoji_from_image_url));
                                skip = Some(d.id());
                            } else if e.has_class("tgme_reaction_paid") || e.has_class("star") {
                                kind = "paid";
                            }
                        }
                        _ => {}
                    }
                }
                ego_tree::iter::Edge::Close(d) => {
                    if skip == Some(d.id()) {
                        skip = None;
                    }
                }
            }
        }
        let raw: String = count_text.split_whitespace().collect();
        let Some(count) = parse_count(&raw) else { continue };
        if !raw.chars().all(|c| c.is_ascii_digit()) {
            extra.insert("count_approximate".into(), Value::Bool(true));
        }
        if kind == "paid" {
            emoji = None;
        }
        out.push(Reaction { kind: kind.into(), count, emoji, extra });
    }
    out
}

fn keyboard(kb: NodeR<'_>) -> Vec<Value> {
    let mut rows = Vec::new();
    for row in kb.descendants().filter(|n| has_class(*n, "tgme_widget_message_inline_row")) {
        let mut buttons = Vec::new();
        for b in row.descendants().filter(|n| has_class(*n, "tgme_widget_message_inline_button")) {
            let Some(e) = element(b) else { continue };
            let kind = if e.has_class("url_button") {
                "url"
            } else if e.has_class("login_url_button") {
                "auth"
            } else {
                "unknown"
            };
            let text = find(b, class_is("tgme_widget_message_inline_button_text"), never)
                .map(one_line)
                .unwrap_or_else(|| one_line(b));
            let mut v = serde_json::Map::new();
            v.insert("type".into(), json!(kind));
            v.insert("text".into(), json!(text));
            if let Some(href) = e.attr("href") {
                v.insert("data".into(), json!(unescape_href(href)));
            }
            buttons.push(Value::Object(v));
        }
        rows.push(Value::Array(buttons));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The channel a canonical link names, and nothing for other links.
    #[test]
    fn channel_of_a_canonical_link() {
        let of = |href| channel_of_link(href);
        assert_eq!(of("/s/xCareers?before=1512").as_deref(), Some("xCareers"));
        assert_eq!(of("https://t.me/s/mchs_bryansk").as_deref(), Some("mchs_bryansk"));
        assert_eq!(of("/s/news/").as_deref(), Some("news"));
        for other in ["/xCareers", "/s/", "/s/?before=1", "https://example.org/s/x", "/s/a-b"] {
            assert_eq!(of(other), None, "{other}");
        }
    }

    /// A new title brings its own channel (or none known); a username
    /// alone does not unname the title.
    #[test]
    fn a_title_comes_with_its_channel() {
        let named = |title: &str, owner: Option<&str>| Page {
            title: Some(title.into()),
            username: None,
            owner: owner.map(Into::into),
        };
        let mut page = Page::default();
        page.update(&named("A", Some("a")));
        page.update(&named("B", None));
        assert_eq!((page.title.as_deref(), page.owner.as_deref()), (Some("B"), None));
        page.update(&Page { owner: Some("b".into()), ..Page::default() });
        assert_eq!((page.title.as_deref(), page.owner.as_deref()), (Some("B"), Some("b")));
        page.update(&Page { owner: Some("c".into()), ..Page::default() });
        assert_eq!(page.owner.as_deref(), Some("b"), "the title's channel is kept");
    }

    /// Every class the reader tests by mask has a bit, and the bits say
    /// what `has_class` says.
    #[test]
    fn masked_classes_are_known() {
        let lists: [&[&str]; 3] = [&NOT_BODY, &NOT_MEDIA, &MEDIA_ROOTS];
        for class in lists.into_iter().flatten() {
            assert!(class_bit(class).is_some(), "{class}");
        }
        for class in super::super::dom::KNOWN {
            assert!(class_bit(class).is_some(), "{class}");
        }
        let html = "<div class=\"x  tgme_widget_message_text\tjs-message_text tgme_widget_message\" class=\"emoji\">t</div><span class=\"tgme_widget_message_texts\">u</span>";
        let dom = super::super::dom::parse(html).unwrap();
        let mut seen = 0;
        for e in dom.root().descendants().filter_map(element) {
            for class in super::super::dom::KNOWN {
                let bit = class_bit(class).unwrap();
                assert_eq!(e.has_any(bit), e.has_class(class), "{class} on {}", e.tag());
                seen += usize::from(e.has_any(bit));
            }
        }
        assert_eq!(seen, 2);
    }

    #[test]
    fn helpers() {
        assert!(is_rfc3339("2023-02-24T07:29:57+00:00"));
        assert!(is_rfc3339("2023-02-24T07:29:57Z"));
        assert!(is_rfc3339("2023-02-24T07:29:57.5+05:30"));
        assert!(!is_rfc3339("2023-02-24 07:29:57"));
        assert!(!is_rfc3339("2023-02-24T07:29:57+0000"));
        assert!(is_rfc3339("2024-02-29T23:59:59-12:00"));
        for bad in [
            "",
            "2024-02-30T10:00:00+00:00",
            "2023-02-29T10:00:00Z",
            "2024-01-01T25:61:61Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00+24:00",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
        assert_eq!(duration("0:06"), Some(6));
        assert_eq!(duration("1:02:03"), Some(3723));
        assert_eq!(duration("x"), None);
        assert_eq!(
            tme_post("https://t.me/mchs_official/24927"),
            Some(("mchs_official".into(), Some(24927)))
        );
        assert_eq!(tme_post("https://t.me/some_user"), Some(("some_user".into(), None)));
        assert_eq!(tme_post("https://t.me/x/84?single"), Some(("x".into(), Some(84))));
        assert_eq!(tme_post("https://t.me/s/x/5"), Some(("x".into(), Some(5))));
        assert_eq!(tme_post("https://example.com/x/5"), None);
        assert_eq!(file_size("1.5 MB"), Some(1572864));
        let v = data_view(
            "eyJjIjotMTU5MTUzNzY3NCwicCI6NSwidCI6MTY3NzIyODczMywiaCI6ImUwMWY5ZDU2YjkyZWNiODIyOSJ9",
        )
        .unwrap();
        assert_eq!(v["c"], -1591537674i64);
        assert_eq!(data_view("!!"), None);
    }
}
