//! One message's DOM → a [`Post`], following tdesktop-export-format.md §3.4
//! (markup), §3.5 (media), §3.6 (text), §3.7 (service sentences) and §4 (the
//! conversion rules). What the page does not show stays `null`.

use super::dom::{class_bit, Attr, Dom, Tag};
use super::rich;
use super::window::Mark;
use crate::error::{Error, Position, Result};
use crate::format::tdesktop_html::{parse_date, separator_date};
use crate::model::{
    Chat, Extra, Forward, Kind, Media, MediaStatus, Peer, Post, Reaction, Reply, Service, Source,
    Span, Style, Text,
};
use serde_json::{json, Value};

/// The start of Telegram Desktop's sentence for an unsupported message.
const UNSUPPORTED: &str = "This message is not supported by this version of Telegram Desktop";

/// What a page remembers between messages.
#[derive(Debug, Default)]
pub struct Page {
    /// The chat, from the page header.
    pub chat: Option<Chat>,
    /// Sender and via-bot of the current run, inherited by `joined` messages.
    run_from: Option<Peer>,
    run_via: Option<String>,
    /// Origin of the last forward, for joined forwards that do not repeat it.
    run_forward: Option<String>,
    /// The day of the last date separator (`2023-03-12`), kept on service
    /// messages that have no date of their own.
    day: Option<String>,
}

/// Where the message is.
pub struct Ctx<'a> {
    /// Input name.
    pub file: &'a str,
    /// Line, column and byte offset of the opening tag.
    pub start: Mark,
    /// Index of the message in its file.
    pub index: u64,
    /// Line of the closing tag.
    pub end_line: u64,
}

impl Ctx<'_> {
    /// The message's position, for errors.
    pub fn position(&self) -> Position {
        Position {
            file: self.file.to_owned(),
            line: Some(self.start.line),
            column: Some(self.start.column),
            byte: Some(self.start.byte),
            index: Some(self.index),
            ..Position::default()
        }
    }
}

/// Maps one `div.message`; `None` for a date separator.
pub fn message(dom: &Dom<'_>, root: u32, page: &mut Page, ctx: &Ctx<'_>) -> Option<Result<Post>> {
    let id = match dom.attr(root, Attr::Id) {
        None => None,
        Some(raw) => match raw.strip_prefix("message").and_then(|n| n.parse::<i64>().ok()) {
            Some(id) => Some(id),
            None => {
                return Some(Err(Error::data(
                    ctx.position(),
                    format!("message id `{raw}` is not `message` + a number"),
                )))
            }
        },
    };
    let source = Source {
        format: "tdesktop-html".into(),
        file: ctx.file.to_owned(),
        line: Some(ctx.start.line),
        end_line: Some(ctx.end_line),
        index: Some(ctx.index),
        byte: Some(ctx.start.byte),
        ..Source::default()
    };
    let mut post = Post { chat: page.chat.clone(), id, source, ..Post::default() };
    let bad_date = if dom.has_class(root, "service") {
        page.run_from = None;
        page.run_via = None;
        page.run_forward = None;
        let body = dom.find_class(root, Tag::Div, "body").unwrap_or(root);
        let text = dom.block_text_except(body, &|d, n| d.has_class(n, "userpic_wrap"));
        let text = text.trim();
        if let Some((year, month, day)) = separator_date(text).filter(|_| id.is_some_and(|i| i < 0))
        {
            page.day = Some(format!("{year:04}-{month:02}-{day:02}"));
            return None;
        }
        if text == "No exported messages" {
            return None;
        }
        // tgnorm's own writer also puts the date on the service body.
        let title = dom.attr(body, Attr::Title);
        post.date = title.and_then(parse_date);
        if post.date.is_none() {
            if let Some(day) = &page.day {
                post.extra.insert(DAY_KEY.into(), Value::String(day.clone()));
            }
        }
        service(dom, root, body, text, &mut post);
        crate::model::topic_of_its_own(&mut post);
        title.filter(|_| post.date.is_none()).map(str::to_owned)
    } else {
        default_message(dom, root, page, &mut post)
    };
    if let Some(raw) = bad_date {
        return Some(Err(Error::data(
            ctx.position(),
            format!(
                "date title {raw:?} is not a real date and time (DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]); not written"
            ),
        )));
    }
    Some(Ok(post))
}

/// The `extra` key of a service message's day, from the date separator
/// before it (`"2023-03-12"`): the page shows no time for these messages,
/// so `date` stays `null` and no time is made up. The separator's day is
/// the exporting machine's calendar day, as the page shows it.
pub const DAY_KEY: &str = "date_day";

/// `div.message.service` that is not a date separator: its kind, action
/// and details.
fn service(dom: &Dom<'_>, root: u32, body: u32, text: &str, post: &mut Post) {
    if text.starts_with(UNSUPPORTED) {
        post.kind = Kind::Unsupported;
        return;
    }
    post.kind = Kind::Service;
    let link = dom.find(body, &|d, n| d.tag(n) == Tag::A).and_then(|a| dom.attr(a, Attr::Href));
    let target = link.and_then(link_target);
    match parse_service(text, target) {
        Some((action, actor, mut details)) => {
            if let Some(photo) = dom
                .find_class(root, Tag::A, "userpic_link")
                .and_then(|a| dom.attr(a, Attr::Href))
                .and_then(local_path)
            {
                details.insert("photo".into(), Value::String(photo));
            }
            post.service = Some(Service {
                action: Some(action),
                actor: actor.map(|name| Peer { name: peer_name(&name), id: None }),
                details,
            });
        }
        None => {
            post.text = Text::plain(text);
            post.service = Some(Service::default());
        }
    }
}

/// What the parts of a default message's body said.
#[derive(Default)]
struct Parts {
    date: Option<String>,
    from: Option<String>,
    via: Option<String>,
    forwarded: bool,
    forward_name: Option<String>,
    forward_date: Option<String>,
}

/// Maps a default message into `post`; returns its date title when that is
/// not a real date and time (the caller rejects the message).
fn default_message(dom: &Dom<'_>, root: u32, page: &mut Page, post: &mut Post) -> Option<String> {
    let body = dom
        .children(root)
        .find(|&n| dom.tag(n) == Tag::Div && dom.has_class(n, "body"))
        .unwrap_or(root);
    let mut parts = Parts::default();
    walk_body(dom, body, false, post, &mut parts);
    post.kind = Kind::Message;
    if post.text.to_plain_string().starts_with(UNSUPPORTED) {
        post.kind = Kind::Unsupported;
        post.text = Text::default();
    }
    post.date = parts.date.as_deref().and_then(parse_date);
    let bad_date = parts.date.filter(|_| post.date.is_none());
    if dom.has_class(root, "joined") {
        post.from = page.run_from.clone();
        post.via_bot = post.via_bot.take().or_else(|| page.run_via.clone());
    } else {
        post.from = parts.from.map(|name| Peer { name: peer_name(&name), id: None });
        if parts.via.is_some() {
            post.via_bot = parts.via;
        }
        page.run_from = post.from.clone();
        page.run_via = post.via_bot.clone();
    }
    if parts.forwarded {
        // A joined forward from the same origin does not repeat its header
        // (§3.4): the name is inherited, the date is unknown.
        let name = match parts.forward_name {
            Some(n) => Some(n),
            None => page.run_forward.clone(),
        };
        page.run_forward = name.clone();
        post.forwarded_from = Some(Forward {
            name: name.as_deref().and_then(peer_name),
            date: parts.forward_date.as_deref().and_then(parse_date),
            ..Forward::default()
        });
    } else {
        page.run_forward = None;
    }
    // A call is a service event in the model (and in result.json), shown as a
    // default message with a `media_call` block in HTML (§3.4).
    if let Some(i) = post.media.iter().position(|m| m.kind == "phone_call") {
        let call = post.media.remove(i);
        let mut details = Extra::new();
        if let Some(d) = call.duration_seconds {
            details.insert("duration_seconds".into(), json!(d));
        }
        for (k, v) in call.extra {
            details.insert(k, v);
        }
        post.kind = Kind::Service;
        post.service =
            Some(Service { action: Some("phone_call".into()), actor: post.from.clone(), details });
    }
    bad_date
}

fn walk_body(dom: &Dom<'_>, node: u32, in_forward: bool, post: &mut Post, parts: &mut Parts) {
    for n in dom.children(node) {
        let tag = dom.tag(n);
        if tag == Tag::Text {
            continue;
        }
        // The class bits once; a name written here folds to a constant.
        let bits = dom.classes(n);
        let class = |c: &str| match class_bit(c) {
            Some(bit) => bits & bit != 0,
            None => dom.has_class(n, c),
        };
        if class("date") && class("details") && !in_forward && parts.date.is_none() {
            parts.date = dom.attr(n, Attr::Title).map(str::to_owned);
        } else if class("from_name") {
            let is_date = |d: &Dom<'_>, m: u32| d.has_class(m, "date") && d.has_class(m, "details");
            let text = dom.block_text_except(n, &is_date);
            let (name, via) = split_via(&text);
            if in_forward {
                parts.forward_name = Some(name);
                parts.forward_date = dom
                    .find(n, &|d, m| is_date(d, m))
                    .and_then(|s| dom.attr(s, Attr::Title))
                    .map(str::to_owned);
                if via.is_some() {
                    post.via_bot = via;
                }
            } else {
                parts.from = Some(name);
                parts.via = via;
            }
        } else if class("forwarded") && class("body") {
            parts.forwarded = true;
            walk_body(dom, n, true, post, parts);
        } else if class("reply_to") {
            let target = dom
                .find(n, &|d, m| d.tag(m) == Tag::A)
                .and_then(|a| dom.attr(a, Attr::Href))
                .and_then(link_target);
            post.reply_to = Some(Reply { message_id: target, ..Reply::default() });
        } else if class("media_wrap") {
            media_wrap(dom, n, &mut post.media);
        } else if class("text") && tag == Tag::Div && dom.has_class(n, rich::CLASS) {
            post.text = rich::text(dom, n);
            if !post.text.is_empty() {
                post.source.flag(rich::FLAG);
            }
        } else if class("text") && tag == Tag::Div {
            post.text = rich_text(dom, n);
        } else if class("signature") {
            let s = dom.block_text(n);
            let s = s.trim();
            if !s.is_empty() {
                post.author = Some(s.to_owned());
            }
        } else if class("reactions") {
            post.reactions = reactions(dom, n);
        } else if tag == Tag::Table || class("bot_buttons_table") {
            let rows = buttons(dom, n);
            if !rows.is_empty() {
                post.extra.insert("inline_bot_buttons".into(), Value::Array(rows));
            }
            // With the 2024 unclosed-table bug (§3.8) the signature and the
            // reactions that follow the buttons end up inside the table.
            walk_body(dom, n, in_forward, post, parts);
        }
    }
}

/// `Name via @bot` → (`Name`, `@bot`); names lose the exporter's trailing
/// space (`first + " " + last` with an empty last name).
fn split_via(text: &str) -> (String, Option<String>) {
    if let Some(i) = text.rfind(" via @") {
        let bot = text.get(i + " via @".len()..).unwrap_or_default().trim();
        if !bot.is_empty() && bot.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let name = text.get(..i).unwrap_or_default().trim();
            return (name.to_owned(), Some(format!("@{bot}")));
        }
    }
    (text.trim().to_owned(), None)
}

/// A peer name as the model holds it: the exporter writes `Deleted Account`
/// for an empty name (§3.4), which `result.json` writes as `null`.
fn peer_name(name: &str) -> Option<String> {
    let name = name.trim();
    (name != "Deleted Account" && !name.is_empty()).then(|| name.to_owned())
}

/// `#go_to_message42`, `messages3.html#go_to_message42` → 42.
fn link_target(href: &str) -> Option<i64> {
    let (_, frag) = href.rsplit_once('#')?;
    frag.strip_prefix("go_to_message")?.parse().ok()
}

/// A path relative to the export root: URLs are not paths, and the `../`
/// the exporter adds per directory level of the page is removed (§1).
pub fn local_path(href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') || has_scheme(href) || href.starts_with("//") {
        return None;
    }
    let mut p = href;
    loop {
        if let Some(rest) = p.strip_prefix("../") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else {
            break;
        }
    }
    (!p.is_empty()).then(|| p.to_owned())
}

fn has_scheme(href: &str) -> bool {
    match href.find(':') {
        Some(i) => {
            let scheme = href.get(..i).unwrap_or_default();
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                && !scheme.contains('/')
        }
        None => false,
    }
}

/// The message text with its entities (§3.6; §4 for link/text_link/mention).
pub(super) fn rich_text(dom: &Dom<'_>, block: u32) -> Text {
    // At most one span an element and one a run of plain text between.
    let (mut left, elements) = dom.text_len_and_elements(block);
    let mut spans: Vec<Span> = Vec::with_capacity(2 * elements + 1);
    // The plain text since the last entity: plain neighbours are one span.
    // `left`, the text still to come, sizes it, so that it grows at most
    // once.
    let mut plain = String::new();
    dom.walk(block, |n| {
        let tag = dom.tag(n);
        let style: Option<Style> = match tag {
            Tag::Text => {
                let t = dom.text(n);
                if plain.capacity() == 0 {
                    plain.reserve(left);
                }
                plain.push_str(t);
                left = left.saturating_sub(t.len());
                return false;
            }
            Tag::Br => {
                if plain.capacity() == 0 {
                    plain.reserve(left);
                }
                plain.push('\n');
                left = left.saturating_sub(1);
                return false;
            }
            Tag::Strong | Tag::B => Some(style("bold")),
            Tag::Em | Tag::I => Some(style("italic")),
            Tag::U => Some(style("underline")),
            Tag::S => Some(style("strikethrough")),
            Tag::Code => Some(style("code")),
            Tag::Pre => Some(style("pre")),
            Tag::Blockquote => Some(style("blockquote")),
            Tag::Span if dom.has_class(n, "spoiler") => Some(style("spoiler")),
            Tag::A => None,
            _ => return true,
        };
        let mut inner = String::with_capacity(dom.text_len(n));
        dom.collect_text(n, &mut inner, &|_, _| false);
        left = left.saturating_sub(inner.len());
        let style = match style {
            Some(s) => Some(s),
            None => link_style(dom.attr(n, Attr::Href), dom.attr(n, Attr::Onclick), &inner),
        };
        match style {
            // An entity with no text is no entity.
            _ if inner.is_empty() => {}
            None => plain.push_str(&inner),
            Some(style) => {
                if !plain.is_empty() {
                    spans.push(Span { text: std::mem::take(&mut plain), style: None });
                }
                spans.push(Span { text: inner, style: Some(style) });
            }
        }
        false
    });
    if !plain.is_empty() {
        spans.push(Span { text: plain, style: None });
    }
    // The exporter's layout newlines around the block's content (§3.1).
    if let Some(first) = spans.first_mut() {
        if first.style.is_none() && first.text.starts_with('\n') {
            first.text.remove(0);
        }
    }
    if let Some(last) = spans.last_mut() {
        if last.style.is_none() {
            let without_indent = last.text.trim_end_matches(' ');
            if without_indent.ends_with('\n') {
                let keep = without_indent.len() - 1;
                last.text.truncate(keep);
            }
        }
    }
    // Only the trimming can leave an empty span, at either end; plain
    // spans never touch, so dropping it is all `Text::normalize` would do.
    if spans.last().is_some_and(|s| s.text.is_empty()) {
        spans.pop();
    }
    if spans.first().is_some_and(|s| s.text.is_empty()) {
        spans.remove(0);
    }
    let mut text = Text { spans };
    if text.spans.iter().any(|s| s.text.is_empty()) {
        text.normalize();
    }
    text
}

fn style(kind: &str) -> Style {
    Style { kind: kind.to_owned(), attrs: Extra::new() }
}

/// Folders custom emoji files are saved in (§2.9), to tell a custom-emoji
/// link (`<a href = "stickers/…">`) from a link.
const EMOJI_FOLDERS: [&str; 5] = ["stickers/", "video_files/", "animations/", "files/", "photos/"];

fn link_style(href: Option<&str>, onclick: Option<&str>, text: &str) -> Option<Style> {
    let onclick = onclick.unwrap_or_default();
    let emoji = |doc: &str| {
        let mut s = style("custom_emoji");
        s.attrs.insert("document_id".into(), Value::String(doc.to_owned()));
        Some(s)
    };
    // Most links have no `onclick`: no substring searches for them.
    if !onclick.is_empty() {
        for (call, kind) in [
            ("ShowHashtag(", "hashtag"),
            ("ShowCashtag(", "cashtag"),
            ("ShowBotCommand(", "bot_command"),
            ("ShowMentionName(", "mention_name"),
        ] {
            if onclick.contains(call) {
                return Some(style(kind));
            }
        }
        if onclick.contains("ShowNotLoadedEmoji") {
            return emoji("");
        }
        if onclick.contains("ShowNotAvailableEmoji") {
            return emoji("(unavailable)");
        }
    }
    let href = href?;
    // tgnorm's writer neutralises dangerous schemes this way; undo it.
    let href = href.strip_prefix("unsafe:").unwrap_or(href);
    if let Some(mail) = href.strip_prefix("mailto:") {
        if mail == text {
            return Some(style("email"));
        }
    }
    if let Some(tel) = href.strip_prefix("tel:") {
        if tel == text {
            return Some(style("phone"));
        }
    }
    if href == text {
        return Some(style("link"));
    }
    if let Some(user) = text.strip_prefix('@') {
        let tail = href.rsplit('/').next().unwrap_or_default();
        if !user.is_empty() && tail == user && href.contains("t.me/") {
            return Some(style("mention"));
        }
    }
    if let Some(path) = local_path(href) {
        if EMOJI_FOLDERS.iter().any(|f| path.starts_with(f)) {
            return emoji(&path);
        }
    }
    let mut s = style("text_link");
    s.attrs.insert("href".into(), Value::String(href.to_owned()));
    Some(s)
}

/// The three placeholder descriptions (§3.5), and tgnorm's for media a
/// source could not show.
fn placeholder(description: &str) -> Option<MediaStatus> {
    Some(match description {
        "Not included, change data exporting settings to download." => MediaStatus::NotIncluded,
        "Exceeds maximum size, change data exporting settings to download." => MediaStatus::TooBig,
        "Unavailable, please try again later." => MediaStatus::Unavailable,
        "Not supported by the source of this archive." => MediaStatus::NotSupported,
        _ => return None,
    })
}

fn media_wrap(dom: &Dom<'_>, wrap: u32, out: &mut Vec<Media>) {
    for n in dom.children(wrap) {
        if dom.tag(n) == Tag::Text {
            continue;
        }
        // Most messages have one media: room for one, not the default four.
        if out.capacity() == 0 {
            out.reserve_exact(1);
        }
        let class = |c: &str| dom.has_class(n, c);
        let href = dom.attr(n, Attr::Href).and_then(local_path);
        let thumb = |img_class: &str| {
            dom.find_class(n, Tag::Img, img_class)
                .and_then(|i| dom.attr(i, Attr::Src))
                .and_then(local_path)
        };
        let rich = |kind: &str, img_class: &str| {
            let mut m = Media::new(kind, MediaStatus::Ok);
            m.file = href.clone();
            if let Some(t) = thumb(img_class) {
                if Some(&t) != href.as_ref() {
                    m.extra.insert("thumbnail".into(), Value::String(t));
                }
            }
            m
        };
        if class("media_poll") {
            out.push(poll(dom, n));
        } else if class("media_giveaway") {
            let mut m = Media::new("giveaway", MediaStatus::Ok);
            let title = dom.find_class(n, Tag::Div, "section_title").map(|t| dom.block_text(t));
            let body = dom.find_class(n, Tag::Div, "section_body").map(|t| dom.block_text(t));
            if let Some(t) = title {
                m.title = Some(t.trim().to_owned());
            }
            if let Some(b) = body {
                m.extra.insert("description".into(), Value::String(b.trim().to_owned()));
            }
            out.push(m);
        } else if class("photo_wrap") {
            out.push(rich("photo", "photo"));
        } else if class("video_file_wrap") {
            let mut m = rich("video", "video_file");
            m.duration_seconds = dom
                .find_class(n, Tag::Div, "video_duration")
                .and_then(|d| parse_duration(dom.block_text(d).trim()));
            out.push(m);
        } else if class("animated_wrap") {
            out.push(rich("animation", "animated"));
        } else if class("sticker_wrap") {
            out.push(rich("sticker", "sticker"));
        } else if class("media") {
            out.push(generic_media(dom, n, href));
        }
    }
}

/// `div|a.media.media_KIND > div.body > title / description / status` (§3.5).
fn generic_media(dom: &Dom<'_>, n: u32, href: Option<String>) -> Media {
    let [title, description, status_div, thumb] = media_parts(dom, n);
    let title = title.map(|d| dom.trimmed_text(d)).unwrap_or_default();
    let description = description.map(|d| dom.trimmed_text(d));
    let status_text = status_div.map(|d| dom.trimmed_text(d)).unwrap_or_default();
    let class = dom.attr(n, Attr::Class).unwrap_or_default();
    let kind_class =
        class.split_ascii_whitespace().find_map(|t| t.strip_prefix("media_")).unwrap_or("unknown");
    let kind = media_kind_of(kind_class, &title);
    let status = description.as_deref().and_then(placeholder);
    let mut m = Media::new(kind, status.unwrap_or(MediaStatus::Ok));
    if status.is_none() {
        m.file = href.clone();
    }
    if let Some(t) = thumb.and_then(|i| dom.attr(i, Attr::Src)) {
        if let Some(t) = local_path(t) {
            m.extra.insert("thumbnail".into(), Value::String(t));
        }
    }
    // The status line: "W×H[, size]", "M:SS[, size]", "size", coordinates…
    let (main, size) = match status_text.rsplit_once(", ") {
        Some((a, b)) if is_size(b) => (a.to_owned(), Some(b.to_owned())),
        _ if is_size(&status_text) => (String::new(), Some(status_text.clone())),
        _ => (status_text.clone(), None),
    };
    if let Some(size) = size {
        m.extra.insert("size".into(), Value::String(size));
    }
    let shown = Shown { title, description, main, placeholder: status.is_some() };
    match kind {
        "photo" | "sticker" => picture_fields(&mut m, kind, &shown),
        "video" | "animation" | "video_message" | "voice_message" | "audio" => {
            timed_fields(&mut m, kind, &shown, href.as_deref())
        }
        "document" => {
            if shown.title != "File" && !shown.title.is_empty() {
                m.file_name = Some(shown.title.clone());
            }
        }
        "contact" | "location" => contact_or_location_fields(&mut m, kind, &shown),
        "venue" | "game" | "invoice" => {
            let url = dom.attr(n, Attr::Href).filter(|h| has_scheme(h));
            place_fields(&mut m, kind, &shown, url)
        }
        "phone_call" => call_fields(&mut m, &shown.main),
        _ => {
            if !shown.title.is_empty() {
                m.title = Some(shown.title.clone());
            }
            if !shown.main.is_empty() {
                m.extra.insert("status_text".into(), Value::String(shown.main.clone()));
            }
        }
    }
    m
}

/// What a generic media block shows: its title, description and status
/// line (without the size), and whether the description is a placeholder.
struct Shown {
    title: String,
    description: Option<String>,
    main: String,
    placeholder: bool,
}

/// The first `div.title`, `div.description`, `div.status` and `img.thumb`
/// of a media block, in one walk.
fn media_parts(dom: &Dom<'_>, n: u32) -> [Option<u32>; 4] {
    let [mut title, mut description, mut status_div, mut thumb] = [None; 4];
    let bit = |c: &str| class_bit(c).unwrap_or(0);
    dom.walk(n, |m| {
        let first = |slot: &mut Option<u32>, class: u64| {
            if slot.is_none() && dom.classes(m) & class != 0 {
                *slot = Some(m);
            }
        };
        match dom.tag(m) {
            Tag::Div => {
                first(&mut title, bit("title"));
                first(&mut description, bit("description"));
                first(&mut status_div, bit("status"));
            }
            Tag::Img => first(&mut thumb, bit("thumb")),
            _ => {}
        }
        true
    });
    [title, description, status_div, thumb]
}

/// The model's media type of a `media_KIND` class (and the title that
/// tells stickers, animations and video messages apart).
fn media_kind_of<'a>(kind_class: &'a str, title: &str) -> &'a str {
    match (kind_class, title) {
        ("photo", "Sticker") => "sticker",
        ("photo", _) => "photo",
        ("video", "Animation") => "animation",
        ("video", "Video message") => "video_message",
        ("video", _) => "video",
        ("voice_message", _) => "voice_message",
        ("audio_file", _) => "audio",
        ("file", _) => "document",
        ("contact", _) => "contact",
        ("location" | "live_location", _) => "location",
        ("venue", _) => "venue",
        ("game", _) => "game",
        ("invoice", _) => "invoice",
        ("call", _) => "phone_call",
        (other, _) => other,
    }
}

/// A photo's size and label; a sticker's emoji.
fn picture_fields(m: &mut Media, kind: &str, shown: &Shown) {
    let Shown { title, main, .. } = shown;
    if kind == "sticker" {
        if !main.is_empty() {
            m.extra.insert("sticker_emoji".into(), Value::String(main.clone()));
        }
        return;
    }
    if let Some((w, h)) = main.split_once('×') {
        m.width = w.trim().parse().ok();
        m.height = h.trim().parse().ok();
    }
    if title != "Photo" && !title.is_empty() {
        m.extra.insert("label".into(), Value::String(title.clone()));
    }
}

/// Video, animation, voice and audio: the duration, and what an audio
/// file's title says (file name, or performer and title).
fn timed_fields(m: &mut Media, kind: &str, shown: &Shown, href: Option<&str>) {
    let Shown { title, main, .. } = shown;
    m.duration_seconds = parse_duration(main);
    let generic = ["Video file", "Animation", "Video message", "Voice message", "Audio file"];
    if title.starts_with("Self-destructing") {
        m.extra.insert("label".into(), Value::String(title.clone()));
    } else if kind == "audio" && !generic.contains(&title.as_str()) {
        // Since 2025-03 the title falls back to the file name (§3.5).
        let file_name = href.and_then(|h| h.rsplit('/').next());
        if file_name == Some(title.as_str()) || looks_like_file(title) {
            m.file_name = Some(title.clone());
        } else if let Some((performer, t)) = title.split_once(" – ") {
            m.extra.insert("performer".into(), Value::String(performer.to_owned()));
            m.title = Some(t.to_owned());
        } else {
            m.title = Some(title.clone());
        }
    }
}

/// A contact's name and phone; a location's coordinates (its link is
/// derived from them, so it is not kept).
fn contact_or_location_fields(m: &mut Media, kind: &str, shown: &Shown) {
    let Shown { title, main, .. } = shown;
    if kind == "contact" {
        m.title = (!title.is_empty()).then(|| title.clone());
        let phone = main.split_once(" - ").map_or(main.as_str(), |(p, _)| p);
        if !phone.is_empty() {
            m.extra.insert("phone_number".into(), Value::String(phone.to_owned()));
        }
        return;
    }
    if title == "Live location" {
        m.extra.insert("live".into(), Value::Bool(true));
    }
    if let Some((lat, lon)) = main.split_once(", ") {
        if let (Ok(lat), Ok(lon)) = (lat.trim().parse::<f64>(), lon.trim().parse::<f64>()) {
            m.extra.insert("latitude".into(), json!(lat));
            m.extra.insert("longitude".into(), json!(lon));
        }
    }
    m.file = None;
}

/// A venue, game or invoice: title, address or description, the status
/// line under its own name, and the block's web link.
fn place_fields(m: &mut Media, kind: &str, shown: &Shown, url: Option<&str>) {
    let Shown { title, main, .. } = shown;
    m.title = (!title.is_empty()).then(|| title.clone());
    if let Some(d) = shown.description.clone().filter(|_| !shown.placeholder) {
        let key = if kind == "venue" { "address" } else { "description" };
        m.extra.insert(key.into(), Value::String(d));
    }
    if !main.is_empty() {
        let key = match kind {
            "game" => "link",
            "invoice" => "amount",
            _ => "status",
        };
        m.extra.insert(key.into(), Value::String(main.clone()));
    }
    if m.file.is_none() {
        if let Some(url) = url {
            m.extra.insert("url".into(), Value::String(url.to_owned()));
        }
    }
}

/// A phone call: "Outgoing (25 seconds)", "Missed", … (§3.5).
fn call_fields(m: &mut Media, main: &str) {
    let (word, secs) = match main.split_once(" (") {
        Some((w, rest)) => {
            let n = rest.strip_suffix(" seconds)").and_then(|n| n.parse::<u64>().ok());
            (w.to_owned(), n)
        }
        None => (main.to_owned(), None),
    };
    m.duration_seconds = secs;
    if !word.is_empty() {
        m.extra.insert("call_status".into(), Value::String(word));
    }
    m.file = None;
}

/// `name.mp3`: an extension of 2 to 4 letters or digits after a dot.
fn looks_like_file(title: &str) -> bool {
    match title.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (2..=4).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// `1.8 MB`, `448.5 KB`, `10 B` (§3.5).
fn is_size(s: &str) -> bool {
    let Some((num, unit)) = s.split_once(' ') else { return false };
    matches!(unit, "B" | "KB" | "MB" | "GB" | "TB")
        && !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// `M?M:SS` or `H:MM:SS` → seconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut n = 0;
    for part in s.split(':') {
        if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(part.parse::<u64>().ok()?)?;
        n += 1;
    }
    (2..=3).contains(&n).then_some(total)
}

/// `div.media_poll` (§3.5): question, kind line, answers with votes,
/// total. The poll goes into `extra.poll` (`extra.todo_list` for a to-do
/// list) with `result.json`'s keys (§2.4), so that both exports of a chat
/// give the same media; the kind line, which only HTML shows, is
/// `extra.details`.
fn poll(dom: &Dom<'_>, n: u32) -> Media {
    let details = dom
        .children(n)
        .find(|&c| {
            dom.tag(c) == Tag::Div && dom.attr(c, Attr::Class).map(str::trim) == Some("details")
        })
        .map(|d| dom.trimmed_text(d));
    let todo = details.as_deref() == Some("To-do List");
    let mut m = Media::new(if todo { "todo_list" } else { "poll" }, MediaStatus::Ok);
    let mut poll = serde_json::Map::new();
    let question =
        dom.find_class(n, Tag::Div, "question").map(|q| dom.trimmed_text(q)).unwrap_or_default();
    poll.insert((if todo { "title" } else { "question" }).into(), Value::String(question));
    if !todo {
        poll.insert("closed".into(), Value::Bool(details.as_deref() == Some("Final results")));
        if let Some(total) = dom.find_class(n, Tag::Div, "total") {
            if let Some(v) = vote_count(dom.block_text(total).trim()) {
                poll.insert("total_voters".into(), json!(v));
            }
        }
    }
    let mut answers = Vec::new();
    for a in dom.children(n).filter(|&c| dom.has_class(c, "answer")) {
        let is_details = |d: &Dom<'_>, m: u32| d.tag(m) == Tag::Span && d.has_class(m, "details");
        let text = dom.block_text_except(a, &is_details);
        let text = text.trim();
        let text = text.strip_prefix("- ").unwrap_or(text);
        let mut answer = serde_json::Map::new();
        answer.insert("text".into(), Value::String(text.to_owned()));
        if let Some(span) = dom.find(a, &|d, m| is_details(d, m)) {
            let votes = dom.block_text(span);
            let (count, chosen) = match votes.trim().split_once(", ") {
                Some((c, rest)) => (c.to_owned(), rest.contains("chosen")),
                None => (votes.trim().to_owned(), false),
            };
            if let Some(v) = vote_count(&count) {
                answer.insert("voters".into(), json!(v));
            }
            answer.insert("chosen".into(), Value::Bool(chosen));
        }
        answers.push(Value::Object(answer));
    }
    poll.insert("answers".into(), Value::Array(answers));
    m.extra.insert((if todo { "todo_list" } else { "poll" }).into(), Value::Object(poll));
    if let Some(d) = details {
        m.extra.insert("details".into(), Value::String(d));
    }
    m
}

/// `278 votes`, `1 vote` → the number.
fn vote_count(s: &str) -> Option<u64> {
    let (n, word) = s.split_once(' ')?;
    matches!(word, "votes" | "vote").then(|| n.parse().ok()).flatten()
}

/// `span.reactions` (2025-03 on) or `div.reactions` (2024-09 on): emoji,
/// count, or as many reactor userpics as the count when it is left out.
fn reactions(dom: &Dom<'_>, n: u32) -> Vec<Reaction> {
    let mut out = Vec::new();
    for r in dom.children(n).filter(|&c| dom.has_class(c, "reaction")) {
        let emoji_el = dom.find(r, &|d, m| d.has_class(m, "emoji"));
        let emoji = emoji_el.map(|e| dom.trimmed_text(e)).unwrap_or_default();
        let custom = emoji_el
            .and_then(|e| dom.find(e, &|d, m| d.tag(m) == Tag::A))
            .and_then(|a| dom.attr(a, Attr::Href))
            .and_then(local_path);
        let count = dom
            .find(r, &|d, m| d.has_class(m, "count"))
            .and_then(|c| dom.block_text(c).trim().parse::<u64>().ok())
            .unwrap_or_else(|| {
                dom.find(r, &|d, m| d.has_class(m, "userpics"))
                    .map(|u| {
                        dom.children(u).filter(|&p| dom.has_class(p, "userpic")).count() as u64
                    })
                    .unwrap_or(0)
            });
        let mut reaction = Reaction {
            kind: "emoji".into(),
            count,
            emoji: (!emoji.is_empty()).then_some(emoji),
            extra: Extra::new(),
        };
        if dom.has_class(r, "paid") {
            reaction.kind = "paid".into();
            reaction.emoji = None;
        } else if let Some(doc) = custom {
            reaction.kind = "custom_emoji".into();
            reaction.emoji = None;
            reaction.extra.insert("document_id".into(), Value::String(doc));
        }
        out.push(reaction);
    }
    out
}

/// `table.bot_buttons_table`: rows of `div.bot_button > a > div > LABEL`.
fn buttons(dom: &Dom<'_>, table: u32) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut stack = vec![table];
    while let Some(n) = stack.pop() {
        if dom.has_class(n, "bot_button_row") {
            let mut row = Vec::new();
            let mut inner = vec![n];
            let mut found = Vec::new();
            while let Some(m) = inner.pop() {
                if dom.has_class(m, "bot_button") {
                    found.push(m);
                    continue;
                }
                inner.extend(dom.children(m));
            }
            // Popped in reverse document order from a depth-first stack.
            found.sort_unstable();
            for b in found {
                let mut button = serde_json::Map::new();
                button.insert("text".into(), Value::String(dom.trimmed_text(b)));
                if let Some(href) = dom
                    .find(b, &|d, m| d.tag(m) == Tag::A)
                    .and_then(|a| dom.attr(a, Attr::Href))
                    .filter(|h| !h.is_empty())
                {
                    let href = href.strip_prefix("unsafe:").unwrap_or(href);
                    button.insert("data".into(), Value::String(href.to_owned()));
                }
                row.push(Value::Object(button));
            }
            rows.push((n, Value::Array(row)));
            continue;
        }
        stack.extend(dom.children(n));
    }
    rows.sort_unstable_by_key(|(n, _)| *n);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Recognises a §3.7 service sentence: `(action, actor, details)` with the
/// detail keys `result.json` uses. `target` is the message a link in the
/// sentence points to (`pinned this message`).
pub fn parse_service(text: &str, target: Option<i64>) -> Option<(String, Option<String>, Extra)> {
    let mut d = Extra::new();
    let s = text.trim();
    let quoted = |rest: &str| -> Option<String> {
        let inner = rest.strip_prefix('«')?.strip_suffix('»')?;
        Some(inner.to_owned())
    };
    let members = |list: &str| -> Value {
        let (head, last) = match list.rsplit_once(" and ") {
            Some((h, l)) => (h, Some(l)),
            None => (list, None),
        };
        let mut names: Vec<Value> = head.split(", ").map(name_value).collect();
        if let Some(l) = last {
            names.push(name_value(l));
        }
        Value::Array(names)
    };
    let done = |action: &str, actor: Option<&str>, d: Extra| {
        Some((action.to_owned(), actor.map(str::to_owned), d))
    };
    match s {
        "History cleared" => return done("clear_history", None, d),
        "Channel created" => return done("create_channel", None, d),
        "Channel photo changed" => return done("edit_group_photo", None, d),
        "Channel photo removed" => return done("delete_group_photo", None, d),
        _ => {}
    }
    // Channels: "Voice chat" / "Voice chat (N seconds)", no actor.
    if let Some(rest) = s.strip_prefix("Voice chat") {
        if rest.is_empty() {
            return done("group_call", None, d);
        }
        if let Some(n) = rest
            .strip_prefix(" (")
            .and_then(|r| r.strip_suffix(" seconds)"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            d.insert("duration".into(), json!(n));
            return done("group_call", None, d);
        }
    }
    if let Some(t) =
        s.strip_prefix("Channel ").and_then(|r| r.strip_suffix(" created")).and_then(quoted)
    {
        d.insert("title".into(), Value::String(t));
        return done("create_channel", None, d);
    }
    if let Some(t) = s.strip_prefix("Channel title changed to ").and_then(quoted) {
        d.insert("title".into(), Value::String(t));
        return done("edit_group_title", None, d);
    }
    // "X <verb phrase>" forms, most specific first.
    const SUFFIXES: [(&str, &str); 8] = [
        (" changed group photo", "edit_group_photo"),
        (" removed group photo", "delete_group_photo"),
        (" joined group by request", "join_group_by_request"),
        (" converted this group to a supergroup", "migrate_to_supergroup"),
        (" took a screenshot", "take_screenshot"),
        (" joined Telegram", "joined_telegram"),
        (" pinned this message", "pin_message"),
        (" started voice chat", "group_call"),
    ];
    for (suffix, action) in SUFFIXES {
        if let Some(actor) = s.strip_suffix(suffix) {
            if action == "pin_message" {
                if let Some(id) = target {
                    d.insert("message_id".into(), json!(id));
                }
            }
            return done(action, Some(actor), d);
        }
    }
    if let Some((actor, rest)) = s.split_once(" started voice chat (") {
        if let Some(n) = rest.strip_suffix(" seconds)").and_then(|n| n.parse::<u64>().ok()) {
            d.insert("duration".into(), json!(n));
            return done("group_call", Some(actor), d);
        }
    }
    const INFIXES: [(&str, &str); 8] = [
        (" created group ", "create_group"),
        (" changed group title to ", "edit_group_title"),
        (" converted a basic group to this supergroup ", "migrate_from_group"),
        (" created topic ", "topic_created"),
        (" joined group by link from ", "join_group_by_link"),
        (" changed chat theme to ", "edit_chat_theme"),
        (" scored ", "score_in_game"),
        (" invited ", "invite_members"),
    ];
    for (infix, action) in INFIXES {
        let Some((actor, rest)) = s.split_once(infix) else { continue };
        match action {
            "create_group" => {
                let (title, with) = match rest.split_once("» with members ") {
                    Some((t, m)) => (format!("{t}»"), Some(m)),
                    None => (rest.to_owned(), None),
                };
                let Some(title) = quoted(&title) else { continue };
                d.insert("title".into(), Value::String(title));
                if let Some(m) = with {
                    d.insert("members".into(), members(m));
                }
            }
            "edit_group_title" | "migrate_from_group" | "topic_created" => {
                let Some(title) = quoted(rest) else { continue };
                d.insert("title".into(), Value::String(title));
            }
            "join_group_by_link" => {
                d.insert("inviter".into(), name_value(rest));
            }
            "edit_chat_theme" => {
                d.insert("emoticon".into(), Value::String(rest.to_owned()));
            }
            "score_in_game" => {
                let Some(n) =
                    rest.strip_suffix(" in this game").and_then(|n| n.parse::<i64>().ok())
                else {
                    continue;
                };
                if let Some(id) = target {
                    d.insert("game_message_id".into(), json!(id));
                }
                d.insert("score".into(), json!(n));
            }
            "invite_members" => {
                if let Some(list) = rest.strip_suffix(" to the voice chat") {
                    d.insert("members".into(), members(list));
                    return done("invite_to_group_call", Some(actor), d);
                }
                d.insert("members".into(), members(rest));
            }
            _ => {}
        }
        return done(action, Some(actor), d);
    }
    if let Some((actor, who)) = s.split_once(" removed ") {
        if !who.is_empty() {
            d.insert("members".into(), Value::Array(vec![name_value(who)]));
            return done("remove_members", Some(actor), d);
        }
    }
    None
}

fn name_value(name: &str) -> Value {
    match peer_name(name) {
        Some(n) => Value::String(n),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("08.03.2022 11:10:02 UTC+05:30").as_deref(),
            Some("2022-03-08T11:10:02+05:30")
        );
        assert_eq!(parse_date("16.03.2022 14:45:19").as_deref(), Some("2022-03-16T14:45:19"));
        assert_eq!(parse_date("16.03.2022 14:45"), None);
        assert_eq!(parse_date("xx"), None);
        assert_eq!(separator_date("7 March 2022"), Some((2022, 3, 7)));
        assert_eq!(separator_date("Channel created"), None);
    }

    #[test]
    fn services() {
        let (a, actor, d) = parse_service("Channel «X Y» created", None).unwrap();
        assert_eq!((a.as_str(), actor, d["title"].as_str()), ("create_channel", None, Some("X Y")));
        let (a, actor, d) = parse_service("A B pinned this message", Some(15)).unwrap();
        assert_eq!((a.as_str(), actor.as_deref()), ("pin_message", Some("A B")));
        assert_eq!(d["message_id"], 15);
        let (a, _, d) = parse_service("A created group «T» with members B, C and D", None).unwrap();
        assert_eq!(a, "create_group");
        assert_eq!(d["members"], json!(["B", "C", "D"]));
        assert!(parse_service("something custom happened", None).is_none());
    }

    #[test]
    fn links() {
        let kind = |h: &str, t: &str| link_style(Some(h), None, t).unwrap().kind;
        assert_eq!(kind("https://a.b", "https://a.b"), "link");
        assert_eq!(kind("infinityeducations.com", "infinityeducations.com"), "link");
        assert_eq!(kind("https://t.me/durov", "@durov"), "mention");
        assert_eq!(kind("https://a.b", "here"), "text_link");
        assert_eq!(kind("mailto:a@b.c", "a@b.c"), "email");
        assert_eq!(kind("../../stickers/s.webp", "👍"), "custom_emoji");
        assert_eq!(
            link_style(Some(""), Some("return ShowHashtag(&quot;x&quot;)"), "#x").unwrap().kind,
            "hashtag"
        );
    }

    #[test]
    fn durations_and_paths() {
        assert_eq!(parse_duration("00:23"), Some(23));
        assert_eq!(parse_duration("1:02:03"), Some(3723));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(local_path("../../photos/a.jpg").as_deref(), Some("photos/a.jpg"));
        assert_eq!(local_path("https://maps.google.com/x"), None);
    }
}
