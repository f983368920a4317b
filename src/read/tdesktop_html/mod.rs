//! Telegram Desktop's HTML export (`messages.html`, `messages2.html`, …) →
//! posts.
//!
//! **Why quick-xml, and how.** The pages are written by one hand-made
//! serializer with a tag stack (tdesktop-export-format.md §3.1), so they are
//! almost XML: close tags always match. What breaks an XML parser is small
//! and known (§3.8): `<br>` is never closed, `&laquo;`/`&raquo;` are not XML
//! entities, bot buttons carry an attribute with an empty name, button labels
//! and custom service texts are inserted unescaped (a raw `&` or `<`), and in
//! 2024 exports an unclosed `<table>` nests every later message inside the
//! one with buttons. quick-xml's pull parser, configured not to check end
//! names and to allow a dangling `&`, plus our own element stack with void
//! elements, reads every corpus page exactly, and needs no tree of the whole
//! page. An HTML5 parser (html5ever) copes too, but only by building a tree
//! of the page: on the benchmark export its parse alone takes about four
//! times the CPU of this whole reader (numbers in `scripts/bench_html.sh`).
//!
//! **Streaming.** One page is read event by event. A message (`div.message`,
//! found at any depth) is collected into a small reusable arena [`dom::Dom`]
//! and mapped to a post when it closes ([`map`]); nothing else of the page is
//! kept except the chat name and the author of the current run of `joined`
//! messages. A folder's pages are separate inputs (see `read::expand`), read
//! one after the other in page order, so memory is flat across pages.
//!
//! **What is not read.** Date separators (service messages with a negative
//! id and a date as text) are not posts. Everything the HTML cannot carry
//! (§4: sender ids, `edited`, file sizes, mime types, …) stays `null`.

mod counted;
pub mod dom;
mod map;

use self::counted::{Counted, Mark};
use self::dom::{Attr, Dom, Tag, NONE};
use super::Notes;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::{Chat, Post};
use quick_xml::events::{BytesStart, Event};
use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::io::BufRead;

pub use self::map::parse_service;

/// A message larger than this (markup bytes) is rejected: a real one is a
/// few KiB (a Telegram text is at most 4096 characters).
const MAX_MESSAGE_BYTES: u64 = 8 << 20;
/// One tag or run of text larger than this ends the page with an error.
const MAX_ITEM_BYTES: u64 = 32 << 20;
/// After this many markup errors in one page, reading stops.
const MAX_ERRORS: u32 = 1000;

/// Streams posts from one page of a Telegram Desktop HTML export.
pub struct Reader<R: BufRead> {
    xml: quick_xml::Reader<Counted<R>>,
    file: String,
    notes: Notes,
    buf: Vec<u8>,
    /// Reused for attribute values.
    scratch: String,
    stack: Vec<Open>,
    dom: Dom,
    capture: Option<Capture>,
    page: map::Page,
    pending: VecDeque<Result<Post>>,
    /// `div.message` elements seen, separators included.
    messages: u64,
    saw_history: bool,
    errors: u32,
    done: bool,
}

/// An open element.
struct Open {
    tag: Tag,
    /// For `Tag::Other`: a hash of the lower-cased name, to match end tags.
    other: u64,
    /// Its node in the DOM while a capture is on, else `NONE`.
    node: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CaptureKind {
    Message,
    Header,
}

/// The element being collected into the DOM.
struct Capture {
    kind: CaptureKind,
    /// Stack length below the captured root.
    depth: usize,
    root: u32,
    start: Mark,
    too_big: bool,
}

impl<R: BufRead> Reader<R> {
    /// Reads the page `inner`; `file` names it in positions.
    pub fn new(inner: R, file: String, notes: Notes) -> Reader<R> {
        let mut xml = quick_xml::Reader::from_reader(Counted::new(inner, MAX_ITEM_BYTES));
        let config = xml.config_mut();
        // Close tags always match in these pages except around void
        // elements, which our own stack handles (§3.8).
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        // Button labels and custom service texts carry raw `&` (§3.8).
        config.allow_dangling_amp = true;
        config.check_comments = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Reader {
            xml,
            file,
            notes,
            buf: Vec::with_capacity(4096),
            scratch: String::new(),
            stack: Vec::with_capacity(64),
            dom: Dom::default(),
            capture: None,
            page: map::Page::default(),
            pending: VecDeque::new(),
            messages: 0,
            saw_history: false,
            errors: 0,
            done: false,
        }
    }

    fn pos_at(&self, at: Mark) -> Position {
        Position {
            file: self.file.clone(),
            line: Some(at.line),
            column: Some(at.column),
            byte: Some(at.byte),
            ..Position::default()
        }
    }

    /// Reads events until a post (or an error) is pending or the page ends.
    fn pump(&mut self) {
        while self.pending.is_empty() && !self.done {
            self.xml.get_mut().start_item();
            // Only the offset here: lines are counted when a place is needed.
            let at = self.xml.get_ref().offset();
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            match self.xml.read_event_into(&mut buf) {
                Ok(Event::Eof) => self.finish(),
                Ok(ev) => self.on_event(ev, at),
                Err(e) => self.on_error(e, at),
            }
            self.buf = buf;
        }
    }

    fn on_error(&mut self, e: quick_xml::Error, at: u64) {
        let fatal = matches!(e, quick_xml::Error::Io(_));
        let at = self.xml.get_mut().mark_at(at);
        let mut pos = self.pos_at(at);
        pos.index = self
            .capture
            .as_ref()
            .filter(|c| c.kind == CaptureKind::Message)
            .map(|_| self.messages.saturating_sub(1));
        let what = match &e {
            quick_xml::Error::Io(io) => io.to_string(),
            other => format!("malformed HTML: {other}"),
        };
        // The message being read is incomplete: reject it rather than
        // guess the rest.
        if self.capture.as_ref().is_some_and(|c| c.kind == CaptureKind::Message) {
            self.drop_capture();
        }
        self.errors += 1;
        if fatal || self.errors >= MAX_ERRORS {
            let kind = if fatal {
                ErrorKind::Format(what)
            } else {
                ErrorKind::Format(format!("{what} (too many errors; giving up on this page)"))
            };
            self.pending.push_back(Err(Error::new(pos, kind)));
            self.done = true;
            return;
        }
        self.pending.push_back(Err(Error::new(pos, ErrorKind::Data(what))));
    }

    fn finish(&mut self) {
        self.done = true;
        if let Some(c) = &self.capture {
            if c.kind == CaptureKind::Message {
                let mut pos = self.pos_at(c.start);
                pos.index = Some(self.messages.saturating_sub(1));
                self.drop_capture();
                self.pending.push_back(Err(Error::data(
                    pos,
                    "the page ends inside this message (a truncated file?)",
                )));
            } else {
                self.drop_capture();
            }
        }
        if !self.saw_history {
            let at = self.xml.get_mut().mark();
            self.pending.push_back(Err(Error::new(
                self.pos_at(at),
                ErrorKind::Format(
                    "no div.history: not a Telegram Desktop messages page".to_owned(),
                ),
            )));
        }
    }

    fn on_event(&mut self, ev: Event<'_>, at: u64) {
        match ev {
            Event::Start(e) => self.on_start(&e, false, at),
            Event::Empty(e) => self.on_start(&e, true, at),
            Event::End(e) => {
                let (tag, other) = tag_of(e.name().as_ref());
                self.on_end(tag, other);
            }
            Event::Text(t) => {
                if self.capturing() {
                    self.add_text_bytes(&t, at);
                }
            }
            Event::CData(t) => {
                if self.capturing() {
                    self.add_text_bytes(&t, at);
                }
            }
            Event::GeneralRef(r) => {
                if self.capturing() {
                    let mut s = String::new();
                    push_reference(&r, &mut s);
                    self.add_text(&s);
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Eof => {}
        }
    }

    fn capturing(&self) -> bool {
        self.capture.as_ref().is_some_and(|c| !c.too_big)
    }

    fn add_text_bytes(&mut self, bytes: &[u8], at: u64) {
        match std::str::from_utf8(bytes) {
            Ok(s) => self.add_text(s),
            Err(e) => {
                let at = self.xml.get_mut().mark_at(at);
                let mut pos = self.pos_at(at);
                let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
                if let Some(nl) = before.iter().rposition(|&b| b == b'\n') {
                    pos.line =
                        pos.line.map(|l| l + before.iter().filter(|&&b| b == b'\n').count() as u64);
                    pos.column = Some(1 + count_chars(before.get(nl + 1..).unwrap_or_default()));
                } else {
                    pos.column = pos.column.map(|c| c + count_chars(before));
                }
                pos.byte = pos.byte.map(|b| b + e.valid_up_to() as u64);
                pos.index = Some(self.messages.saturating_sub(1));
                let in_message =
                    self.capture.as_ref().is_some_and(|c| c.kind == CaptureKind::Message);
                self.drop_capture();
                if in_message {
                    self.pending.push_back(Err(Error::new(
                        pos,
                        ErrorKind::Encoding("invalid UTF-8 in this message".into()),
                    )));
                }
            }
        }
    }

    fn add_text(&mut self, s: &str) {
        let Some(parent) = self.current_node() else { return };
        self.dom.add_text(parent, s);
        self.check_size();
    }

    /// The DOM node new children go under, when capturing.
    fn current_node(&self) -> Option<u32> {
        let c = self.capture.as_ref().filter(|c| !c.too_big)?;
        let top = self.stack.last()?;
        (self.stack.len() > c.depth && top.node != NONE).then_some(top.node)
    }

    fn check_size(&mut self) {
        let used = self.xml.get_ref().offset();
        if let Some(c) = self.capture.as_mut() {
            if used.saturating_sub(c.start.byte) > MAX_MESSAGE_BYTES {
                c.too_big = true;
            }
        }
    }

    fn on_start(&mut self, e: &BytesStart<'_>, empty: bool, at: u64) {
        let name = e.name();
        let name = name.as_ref();
        if !valid_name(name) {
            self.recover_bogus_tag(e, empty, at);
            return;
        }
        let (tag, other) = tag_of(name);
        let void = empty || is_void(tag, name);
        // Inside a message only a nested message matters, and most divs
        // there say nothing about `message`: skip the attribute scan.
        let maybe = self.capture.is_none()
            || memchr::memmem::find(e.attributes_raw(), b"message").is_some();
        let role = if tag == Tag::Div && maybe { div_role(e) } else { DivRole::default() };
        let is_message = role.message;
        if role.history {
            self.saw_history = true;
        }
        if is_message {
            // A message inside a message: the 2024 unclosed-table bug (§3.8).
            // The outer one is complete as far as it goes.
            if self.capture.is_some() {
                self.end_capture();
            }
            self.messages += 1;
            self.start_capture(CaptureKind::Message, tag, other, e, at);
            if void {
                self.on_end(tag, other);
            }
            return;
        }
        let is_header = role.header && self.capture.is_none();
        if is_header {
            self.start_capture(CaptureKind::Header, tag, other, e, at);
            if void {
                self.on_end(tag, other);
            }
            return;
        }
        let node = match self.current_node() {
            Some(parent) => {
                let n = self.dom.add_element(tag, parent);
                self.set_attrs(n, e);
                self.check_size();
                n
            }
            None => NONE,
        };
        if !void {
            self.stack.push(Open { tag, other, node });
        }
    }

    fn start_capture(
        &mut self,
        kind: CaptureKind,
        tag: Tag,
        other: u64,
        e: &BytesStart<'_>,
        at: u64,
    ) {
        // Counting lines once per message start keeps reading fast.
        let at = match kind {
            CaptureKind::Message => self.xml.get_mut().mark_at(at),
            CaptureKind::Header => Mark { byte: at, line: 0, column: 0 },
        };
        self.dom.clear();
        let root = self.dom.add_element(tag, NONE);
        self.set_attrs(root, e);
        self.capture =
            Some(Capture { kind, depth: self.stack.len(), root, start: at, too_big: false });
        self.stack.push(Open { tag, other, node: root });
    }

    fn set_attrs(&mut self, node: u32, e: &BytesStart<'_>) {
        let tag = self.dom.tag(node);
        let mut value = std::mem::take(&mut self.scratch);
        for (key, raw) in Attributes(e.attributes_raw()) {
            let Some(which) = Attr::of(key) else { continue };
            // Only what the mapping reads, on the elements it reads it from
            // (most elements carry a `style` nobody needs).
            let wanted = match which {
                Attr::Class | Attr::Id => true,
                Attr::Href | Attr::Onclick => tag == Tag::A,
                Attr::Src => tag == Tag::Img,
                Attr::Title => matches!(tag, Tag::Div | Tag::Span),
                Attr::Style => false,
            };
            if !wanted {
                continue;
            }
            value.clear();
            unescape_into(raw, &mut value);
            self.dom.set_attr(node, which, &value);
        }
        self.scratch = value;
    }

    fn on_end(&mut self, tag: Tag, other: u64) {
        let Some(i) = self.stack.iter().rposition(|o| o.tag == tag && o.other == other) else {
            return; // An end tag with no open element: ignored, as HTML does.
        };
        self.stack.truncate(i);
        if self.capture.as_ref().is_some_and(|c| self.stack.len() <= c.depth) {
            self.end_capture();
        }
    }

    /// Forgets the capture without mapping it.
    fn drop_capture(&mut self) {
        self.capture = None;
        for o in &mut self.stack {
            o.node = NONE;
        }
    }

    fn end_capture(&mut self) {
        let Some(c) = self.capture.take() else { return };
        for o in &mut self.stack {
            o.node = NONE;
        }
        let end = match c.kind {
            CaptureKind::Message => self.xml.get_mut().mark(),
            CaptureKind::Header => Mark::default(),
        };
        match c.kind {
            CaptureKind::Header => {
                let name = self
                    .dom
                    .find(c.root, &|d, n| d.tag(n) == Tag::Div && d.has_class(n, "text"))
                    .map(|n| self.dom.block_text(n))
                    .unwrap_or_default();
                let name = name.trim();
                self.page.chat = (!name.is_empty())
                    .then(|| Chat { name: Some(name.to_owned()), ..Chat::default() });
            }
            CaptureKind::Message => {
                let mut pos = self.pos_at(c.start);
                pos.index = Some(self.messages.saturating_sub(1));
                if c.too_big {
                    self.pending.push_back(Err(Error::data(
                        pos,
                        format!("message larger than {} MiB", MAX_MESSAGE_BYTES >> 20),
                    )));
                    return;
                }
                let ctx = map::Ctx { file: &self.file, pos, end_line: end.line };
                if let Some(item) = map::message(&self.dom, c.root, &mut self.page, &ctx) {
                    if let Ok(post) = &item {
                        if post.source.flags.is_empty() && post.kind == crate::model::Kind::Message
                        {
                            self.notes.add("tdesktop_html_messages", 1);
                        }
                    }
                    self.pending.push_back(item);
                }
            }
        }
    }

    /// A start tag whose name is not a name (`< b`, `<3`): in HTML that is
    /// text. quick-xml has read up to the next `>`, so the text is put back
    /// and what followed the `<` is read again (§3.8: raw `<` in labels).
    fn recover_bogus_tag(&mut self, e: &BytesStart<'_>, empty: bool, at: u64) {
        let raw: &[u8] = e;
        let mut work: Vec<u8> = raw.to_vec();
        if empty {
            work.push(b'/');
        }
        work.push(b'>');
        // Each round turns at least one `<` into text, so this ends.
        let mut text = String::from("<");
        loop {
            let cut = work.iter().position(|&b| b == b'<').unwrap_or(work.len());
            unescape_into(work.get(..cut).unwrap_or_default(), &mut text);
            if self.capturing() {
                self.add_text(&text);
            }
            text.clear();
            let rest = work.get(cut..).unwrap_or_default().to_vec();
            if rest.is_empty() {
                return;
            }
            let mut sub = quick_xml::Reader::from_reader(rest.as_slice());
            let config = sub.config_mut();
            config.check_end_names = false;
            config.allow_unmatched_ends = true;
            config.allow_dangling_amp = true;
            let mut next: Option<Vec<u8>> = None;
            loop {
                let before = sub.buffer_position() as usize;
                match sub.read_event() {
                    Ok(Event::Eof) | Err(_) => break,
                    Ok(Event::Start(s)) | Ok(Event::Empty(s)) if !valid_name(s.name().as_ref()) => {
                        // Another bogus tag: continue after its `<`.
                        let tail = rest.get(before + 1..).unwrap_or_default();
                        next = Some(tail.to_vec());
                        text.push('<');
                        break;
                    }
                    Ok(ev) => self.on_event(ev, at),
                }
            }
            match next {
                Some(n) => work = n,
                None => return,
            }
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        self.pump();
        self.pending.pop_front()
    }
}

/// An element name HTML would take as a tag: a letter first, no `<`.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    name.first().is_some_and(u8::is_ascii_alphabetic) && !name.contains(&b'<')
}

fn tag_of(name: &[u8]) -> (Tag, u64) {
    let tag = Tag::of(name);
    if tag != Tag::Other {
        return (tag, 0);
    }
    let mut h = DefaultHasher::new();
    for b in name {
        b.to_ascii_lowercase().hash(&mut h);
    }
    (tag, h.finish() | 1)
}

/// HTML void elements: they never have an end tag (§3.8: `<br>`).
pub(crate) fn is_void(tag: Tag, name: &[u8]) -> bool {
    match tag {
        Tag::Br | Tag::Img => true,
        Tag::Other => {
            const VOID: [&[u8]; 12] = [
                b"meta", b"link", b"hr", b"input", b"wbr", b"col", b"area", b"base", b"embed",
                b"source", b"track", b"param",
            ];
            VOID.iter().any(|v| v.eq_ignore_ascii_case(name))
        }
        _ => false,
    }
}

/// What a `div` start tag says about its role, read from the raw attribute
/// bytes without allocating (every `div` of the page passes here).
#[derive(Default)]
struct DivRole {
    message: bool,
    history: bool,
    header: bool,
}

fn div_role(e: &BytesStart<'_>) -> DivRole {
    let mut role = DivRole::default();
    let mut has_class_message = false;
    let mut id_ok = true;
    for (key, value) in Attributes(e.attributes_raw()) {
        match key {
            b"class" => {
                for token in value.split(u8::is_ascii_whitespace) {
                    match token {
                        b"message" => has_class_message = true,
                        b"history" => role.history = true,
                        b"page_header" => role.header = true,
                        _ => {}
                    }
                }
            }
            b"id" => id_ok = value.starts_with(b"message"),
            _ => {}
        }
    }
    role.message = has_class_message && id_ok;
    role
}

/// The attributes of a start tag as raw `(name, value)` byte pairs, the way
/// HTML reads them: values quoted with `"` or `'` or unquoted, names without a
/// value allowed, and an attribute with an empty name (`<a ="" …>`, §3.8)
/// skipped. Values are still escaped.
pub(crate) struct Attributes<'a>(pub(crate) &'a [u8]);

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        loop {
            let s = self.0;
            let start = s.iter().position(|b| !b.is_ascii_whitespace() && *b != b'/')?;
            let rest = s.get(start..)?;
            let name_len = rest
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b'=' || b == b'/')
                .unwrap_or(rest.len());
            let name = rest.get(..name_len)?;
            let mut after = rest.get(name_len..)?;
            let ws = after.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(after.len());
            let mut value: &[u8] = &[];
            if after.get(ws) == Some(&b'=') {
                after = after.get(ws + 1..)?;
                let ws = after.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(after.len());
                after = after.get(ws..)?;
                match after.first() {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let body = after.get(1..)?;
                        let end = memchr::memchr(q, body).unwrap_or(body.len());
                        value = body.get(..end)?;
                        after = body.get((end + 1).min(body.len())..)?;
                    }
                    _ => {
                        let end =
                            after.iter().position(u8::is_ascii_whitespace).unwrap_or(after.len());
                        value = after.get(..end)?;
                        after = after.get(end..)?;
                    }
                }
            } else {
                after = after.get(ws..)?;
            }
            self.0 = after;
            if name.is_empty() {
                if after.len() >= s.len() {
                    return None; // No progress: malformed beyond repair.
                }
                continue;
            }
            return Some((name, value));
        }
    }
}

/// Resolves `&name;` / `&#N;` / `&#xH;` the way the pages need: the XML
/// five, `laquo`, `raquo`, `nbsp`, and any number (`&#x00;` is U+0000,
/// which the unicode pass strips later). Unknown names stay as written.
fn push_reference(r: &[u8], out: &mut String) {
    match resolve(r) {
        Some(c) => out.push(c),
        None => {
            out.push('&');
            out.push_str(&String::from_utf8_lossy(r));
            out.push(';');
        }
    }
}

fn resolve(name: &[u8]) -> Option<char> {
    Some(match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        b"laquo" => '«',
        b"raquo" => '»',
        b"nbsp" => '\u{a0}',
        b"mdash" => '—',
        b"ndash" => '–',
        b"hellip" => '…',
        b"times" => '×',
        _ => {
            let num = name.strip_prefix(b"#")?;
            let value = match num.first() {
                Some(b'x' | b'X') => {
                    let hex = std::str::from_utf8(num.get(1..)?).ok()?;
                    u32::from_str_radix(hex, 16).ok()?
                }
                _ => std::str::from_utf8(num).ok()?.parse::<u32>().ok()?,
            };
            char::from_u32(value).unwrap_or('\u{fffd}')
        }
    })
}

/// Unescapes an attribute value: references as in text, and the raw `<br>`
/// Telegram Desktop writes for a newline inside a value (§3.2).
pub(crate) fn unescape_into(raw: &[u8], out: &mut String) {
    if memchr::memchr2(b'&', b'<', raw).is_none() {
        if let Ok(s) = std::str::from_utf8(raw) {
            out.push_str(s);
            return;
        }
    }
    let text = String::from_utf8_lossy(raw);
    let mut rest: &str = &text;
    while let Some(i) = rest.find(['&', '<']) {
        out.push_str(rest.get(..i).unwrap_or_default());
        let tail = rest.get(i..).unwrap_or_default();
        if let Some(after) = tail.strip_prefix("<br>") {
            out.push('\n');
            rest = after;
            continue;
        }
        if tail.starts_with('&') {
            if let Some(semi) = tail.get(1..).and_then(|t| t.find(';')).filter(|&s| s <= 32) {
                let name = tail.get(1..=semi).unwrap_or_default();
                if let Some(c) = resolve(name.as_bytes()) {
                    out.push(c);
                    rest = tail.get(semi + 2..).unwrap_or_default();
                    continue;
                }
            }
        }
        out.push_str(tail.get(..1).unwrap_or_default());
        rest = tail.get(1..).unwrap_or_default();
    }
    out.push_str(rest);
}

fn count_chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(html: &str) -> Vec<Result<Post>> {
        Reader::new(html.as_bytes(), "t.html".into(), Notes::default()).collect()
    }

    fn page(body: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html>\n<body>\n<div class=\"page_wrap\">\n<div class=\"page_header\">\n<div class=\"content\">\n<div class=\"text bold\">\nChat \n</div>\n</div>\n</div>\n<div class=\"page_body chat_page\">\n<div class=\"history\">\n{body}\n</div>\n</div>\n</div>\n</body>\n</html>\n"
        )
    }

    #[test]
    fn splits_attributes_like_html() {
        let got: Vec<(String, String)> =
            Attributes(b" =\"\" href=\"x y\" class='a b' checked id=m1 title = \"t\"/")
                .map(|(k, v)| {
                    (String::from_utf8_lossy(k).into(), String::from_utf8_lossy(v).into())
                })
                .collect();
        let want =
            [("href", "x y"), ("class", "a b"), ("checked", ""), ("id", "m1"), ("title", "t")];
        assert_eq!(got, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn unescapes_attributes() {
        let mut s = String::new();
        unescape_into(b"a&amp;b&quot;c<br>d &unknown; &#x41;&laquo;", &mut s);
        assert_eq!(s, "a&b\"c\nd &unknown; A«");
    }

    #[test]
    fn reads_a_minimal_page() {
        let html = page(
            "<div class=\"message service\" id=\"message-1\">\n<div class=\"body details\">\n7 March 2022\n</div>\n</div>\n<div class=\"message default clearfix\" id=\"message5\">\n<div class=\"body\">\n<div class=\"pull_right date details\" title=\"08.03.2022 11:10:02 UTC+05:30\">\n11:10\n</div>\n<div class=\"from_name\">\nA B \n</div>\n<div class=\"text\">\nhi<br>there &amp; &laquo;x&raquo;\n</div>\n</div>\n</div>",
        );
        let posts: Vec<Post> = read(&html).into_iter().map(|p| p.unwrap()).collect();
        assert_eq!(posts.len(), 1);
        let p = &posts[0];
        assert_eq!(p.id, Some(5));
        assert_eq!(p.date.as_deref(), Some("2022-03-08T11:10:02+05:30"));
        assert_eq!(p.text.to_plain_string(), "hi\nthere & «x»");
        assert_eq!(p.from.as_ref().unwrap().name.as_deref(), Some("A B"));
        assert_eq!(p.chat.as_ref().unwrap().name.as_deref(), Some("Chat"));
        assert_eq!(p.source.line, Some(19));
    }

    #[test]
    fn raw_lt_and_amp_survive() {
        let html = page(
            "<div class=\"message service\" id=\"message7\">\n<div class=\"body details\">\nx < y & z <3 w\n</div>\n</div>",
        );
        let posts: Vec<Post> = read(&html).into_iter().map(|p| p.unwrap()).collect();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].text.to_plain_string(), "x < y & z <3 w");
    }

    #[test]
    fn truncated_page_rejects_the_open_message() {
        let html = page("<div class=\"message default clearfix\" id=\"message5\">\n<div class=\"body\">\n<div class=\"text\">\nhi");
        let cut = html.rfind("\nhi").unwrap() + 3;
        let items = read(&html[..cut]);
        assert_eq!(items.len(), 1, "{items:?}");
        let err = items[0].as_ref().unwrap_err();
        assert!(err.to_string().starts_with("t.html:14:1: message #0: the page ends"), "{err}");
    }

    #[test]
    fn not_a_page_is_a_format_error() {
        let items = read("<html><body><p>hello</p></body></html>");
        assert_eq!(items.len(), 1);
        assert!(!items[0].as_ref().unwrap_err().is_record_error());
    }
}
