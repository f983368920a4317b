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
//! of the page: on the benchmark export its parse alone takes several
//! times the CPU of this whole reader (numbers in `scripts/bench_html.sh`).
//!
//! **Streaming.** A page is held in memory a `window` at a time (the
//! whole page for any real one: a few MB; bigger inputs in 4 MiB windows),
//! checked for UTF-8 once, and quick-xml reads it borrowed, with no copy per
//! event. A message (`div.message`, found at any depth) is collected into a
//! small reusable arena (`dom::Dom`) whose strings are ranges of the
//! message's own bytes, and mapped to a post when it closes (`map`);
//! nothing else of the page is kept except the chat name and the author of
//! the current run of `joined` messages. A folder of pages is one input,
//! read by [`Folder`] one page after the other along their "Next messages"
//! links, so memory is flat across pages.
//!
//! **What is not read.** Date separators (service messages with a negative
//! id and a date as text) are not posts, but the day they show is kept on
//! the service messages after them, which have no date title of their own:
//! `extra.date_day` (`"2023-03-12"`, [`DAY_KEY`]), with `date` left `null`
//! rather than given a made-up time. Everything the HTML cannot carry (§4:
//! sender ids, `edited`, file sizes, mime types, …) stays `null`.
//!
//! **Dates are checked.** A date title that does not name a real date and
//! time (`30.02.2024`, `25:61:61`, an empty title) rejects its message with
//! its position; it never reaches the output.

mod attrs;
pub(crate) mod dom;
mod folder;
mod map;
mod rich;
mod window;

pub(crate) use self::attrs::Attributes;
use self::dom::{Arena, Attr, Tag, NONE};
use self::window::{Lines, Mark, View, Window};
use super::Notes;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::{Chat, Post};
use quick_xml::errors::SyntaxError;
use quick_xml::events::{BytesStart, Event};
use std::collections::VecDeque;
use std::io::BufRead;

pub(crate) use self::folder::PageTask;
pub use self::folder::{account_chats, Folder};
pub use self::map::{parse_service, DAY_KEY};

/// A message larger than this (markup bytes) is rejected: a real one is a
/// few KiB (a Telegram text is at most 4096 characters).
const MAX_MESSAGE_BYTES: u64 = 8 << 20;
/// One tag or run of text larger than this ends the page with an error.
const MAX_ITEM_BYTES: u64 = 32 << 20;
/// After this many markup errors in one page, reading stops.
const MAX_ERRORS: u32 = 1000;
/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Posts (or errors) read ahead in one go: each go makes a quick-xml reader
/// over the window, whose tag-name buffers grow again from nothing, so one
/// a message cost more than the mapping's allocations.
const BATCH: usize = 32;

/// Streams posts from one page of a Telegram Desktop HTML export.
pub struct Reader<R: BufRead> {
    window: Window<R>,
    lines: Lines,
    /// Index in the window where the next event starts.
    pos: usize,
    /// The window has been filled once.
    started: bool,
    /// quick-xml gave up (an unclosed tag at the end…): the page is read.
    xml_done: bool,
    state: State,
}

/// Everything but the bytes: what the events build.
struct State {
    file: String,
    notes: Notes,
    stack: Vec<Open>,
    dom: Arena,
    capture: Option<Capture>,
    page: map::Page,
    pending: VecDeque<Result<Post>>,
    /// `div.message` elements seen, separators included.
    messages: u64,
    saw_history: bool,
    /// Messages mapped, for the `tdesktop_html_messages` counter (added to
    /// the notes once, when the reader goes).
    read_messages: u64,
    errors: u32,
    done: bool,
    /// Input offset just after the event being handled.
    end: u64,
    /// Where the page's "Next messages" link points.
    next_page: Option<String>,
}

/// The window and its line counter, as the event handlers see them.
struct Src<'a, 'v> {
    view: View<'v>,
    lines: &'a mut Lines,
}

impl Src<'_, '_> {
    fn mark_at(&mut self, at: u64) -> Mark {
        self.lines.mark_at(&self.view, at)
    }
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
    /// `a.pagination` (§3.3): its link says which page comes next.
    Pagination,
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

/// The tolerant configuration (§3.8), shared with the HTML validator
/// (`validate::markup`) so that both read a page the same way.
pub(crate) fn configure<R>(xml: &mut quick_xml::Reader<R>) {
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
}

impl<R: BufRead> Reader<R> {
    /// Reads the page `inner`; `file` names it in positions.
    pub fn new(inner: R, file: String, notes: Notes) -> Reader<R> {
        Reader::with_window(Window::new(inner), file, notes)
    }

    fn with_window(window: Window<R>, file: String, notes: Notes) -> Reader<R> {
        Reader {
            window,
            lines: Lines::default(),
            pos: 0,
            started: false,
            xml_done: false,
            state: State {
                file,
                notes,
                stack: Vec::with_capacity(64),
                dom: Arena::default(),
                capture: None,
                page: map::Page::default(),
                pending: VecDeque::new(),
                messages: 0,
                saw_history: false,
                read_messages: 0,
                errors: 0,
                done: false,
                end: 0,
                next_page: None,
            },
        }
    }

    /// A reader whose window takes `chunk` bytes at a time (tests and the
    /// fuzz target: any window size must read the same).
    #[doc(hidden)]
    pub fn with_chunk(inner: R, file: String, notes: Notes, chunk: usize) -> Reader<R> {
        Reader::with_window(Window::with_chunk(inner, chunk.max(1)), file, notes)
    }

    /// Where the page's "Next messages" link points (§3.3), as written
    /// (`messages2.html`); known once the page has been read to its end.
    pub fn next_page(&self) -> Option<&str> {
        self.state.next_page.as_deref()
    }

    /// Reads events until a post (or an error) is pending or the page ends.
    fn pump(&mut self) {
        while self.state.pending.is_empty() && !self.state.done {
            if !self.started || self.read_events() {
                self.started = true;
                self.refill();
            }
        }
    }

    /// Brings more of the input into the window, keeping the event that
    /// ran into its end.
    fn refill(&mut self) {
        let base = self.window.view().base();
        let at = base + self.pos as u64;
        let held = self.window.view().bytes().len().saturating_sub(self.pos) as u64;
        // The message being read keeps its bytes: its DOM refers to them.
        let keep = match self.state.capture.as_ref().filter(|c| !c.too_big) {
            Some(c) => (c.start.byte.saturating_sub(base) as usize).min(self.pos),
            None => self.pos,
        };
        let result = if held > MAX_ITEM_BYTES {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "one tag or text run is larger than {} MiB; this is not a Telegram Desktop page",
                    MAX_ITEM_BYTES >> 20
                ),
            ))
        } else {
            self.window.refill(keep, &mut self.lines)
        };
        self.pos -= keep;
        if let Err(e) = result {
            let mut src = Src { view: self.window.view(), lines: &mut self.lines };
            self.state.end = at;
            self.state.on_error(quick_xml::Error::Io(std::sync::Arc::new(e)), at, &mut src);
        }
    }

    /// Reads events from the window until [`BATCH`] posts (or errors) are
    /// pending, the page ends, or an event runs into the end of the window before
    /// the end of the input: then returns true, to be called again after
    /// a refill.
    fn read_events(&mut self) -> bool {
        let view = self.window.view();
        let mut src = Src { view, lines: &mut self.lines };
        let state = &mut self.state;
        if self.xml_done {
            // Where quick-xml stopped reading, as the end of the page.
            state.end = view.base() + self.pos as u64;
            state.finish(&mut src);
            return false;
        }
        let bytes = view.bytes();
        let mut origin = self.pos;
        // quick-xml drops a byte-order mark where it starts reading: at the
        // start of the input that is right (and counted in positions), but
        // it starts again after each post, where a U+FEFF is text.
        if view.base() + origin as u64 == 0 && bytes.starts_with(BOM) {
            origin += BOM.len();
        }
        while bytes.get(origin..).is_some_and(|b| b.starts_with(BOM)) {
            if bytes.len() - origin == BOM.len() && !view.at_eof() {
                self.pos = origin;
                return true;
            }
            origin += BOM.len();
            state.end = view.base() + origin as u64;
            if state.capturing() {
                state.add_text("\u{feff}");
            }
        }
        let mut xml = quick_xml::Reader::from_reader(bytes.get(origin..).unwrap_or_default());
        configure(&mut xml);
        loop {
            let at_idx = origin + xml.buffer_position() as usize;
            let ev = xml.read_event();
            let end_idx = origin + xml.buffer_position() as usize;
            // An event that runs to the end of the window, or a syntax error
            // (all of them are "the input ended before …"), may have been
            // cut by it: read it again with more bytes.
            let cut = match &ev {
                Err(quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup)) => {
                    bytes.len() <= at_idx + 2 // `<!` and nothing after it.
                }
                Err(quick_xml::Error::Syntax(_)) => true,
                _ => end_idx >= bytes.len(),
            };
            if cut && !view.at_eof() {
                self.pos = at_idx;
                return true;
            }
            // After a syntax error quick-xml reads no more; where it stopped
            // is the page's end for what follows (the missing-history
            // error). Reading from a slice it stops short in two cases
            // where reading from a stream (as this reader did before pages
            // were held whole) had taken more: the `<!` of a bad `<!x`, and
            // a `<` that ends the input.
            let end_idx = match &ev {
                Err(quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup)) => {
                    end_idx.max(at_idx + 2).min(bytes.len())
                }
                Err(quick_xml::Error::Syntax(SyntaxError::UnclosedTag)) => bytes.len(),
                _ => end_idx,
            };
            let at = view.base() + at_idx as u64;
            state.end = view.base() + end_idx as u64;
            self.pos = end_idx;
            match ev {
                Ok(Event::Eof) => state.finish(&mut src),
                // The most frequent events without the general dispatch
                // (`on_event`, which does the same with them).
                Ok(Event::Text(t)) => {
                    if state.capturing() {
                        state.add_text_bytes(&t, at, &mut src);
                    }
                }
                Ok(Event::End(e)) => {
                    let (tag, other) = tag_of(e.name().as_ref());
                    state.on_end(tag, other, &mut src);
                }
                Ok(Event::Start(ref e)) => state.on_start(e, false, at, &mut src),
                Ok(ev) => state.on_event(ev, at, &mut src),
                Err(e) => {
                    // quick-xml reads nothing more after these.
                    if !matches!(e, quick_xml::Error::IllFormed(_)) {
                        self.xml_done = true;
                    }
                    state.on_error(e, at, &mut src);
                }
            }
            if state.pending.len() >= BATCH || state.done || self.xml_done {
                return false;
            }
        }
    }
}

impl State {
    fn pos_at(&self, at: Mark) -> Position {
        Position {
            file: self.file.clone(),
            line: Some(at.line),
            column: Some(at.column),
            byte: Some(at.byte),
            ..Position::default()
        }
    }

    fn on_error(&mut self, e: quick_xml::Error, at: u64, src: &mut Src<'_, '_>) {
        let fatal = matches!(e, quick_xml::Error::Io(_));
        let at = src.mark_at(at);
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

    fn finish(&mut self, src: &mut Src<'_, '_>) {
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
            let at = src.mark_at(self.end);
            self.pending.push_back(Err(Error::new(
                self.pos_at(at),
                ErrorKind::Format(
                    "no div.history: not a Telegram Desktop messages page".to_owned(),
                ),
            )));
        }
    }

    fn on_event(&mut self, ev: Event<'_>, at: u64, src: &mut Src<'_, '_>) {
        match ev {
            Event::Start(e) => self.on_start(&e, false, at, src),
            Event::Empty(e) => self.on_start(&e, true, at, src),
            Event::End(e) => {
                let (tag, other) = tag_of(e.name().as_ref());
                self.on_end(tag, other, src);
            }
            Event::Text(t) => {
                if self.capturing() {
                    self.add_text_bytes(&t, at, src);
                }
            }
            Event::CData(t) => {
                if self.capturing() {
                    self.add_text_bytes(&t, at, src);
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

    fn add_text_bytes(&mut self, bytes: &[u8], at: u64, src: &mut Src<'_, '_>) {
        if let Some((abs, text)) = src.view.locate(bytes) {
            let Some(parent) = self.current_node() else { return };
            let start = self.source_index(abs);
            self.dom.add_source_text(parent, text, start, start + text.len());
            self.check_size();
            return;
        }
        match src.view.str_of(bytes) {
            Ok(s) => self.add_text(s),
            Err(e) => {
                let at = src.mark_at(at);
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

    /// Index in the captured markup (`Arena::view`) of input offset
    /// `abs`.
    fn source_index(&self, abs: u64) -> usize {
        let origin = self.capture.as_ref().map_or(0, |c| c.start.byte);
        abs.saturating_sub(origin) as usize
    }

    /// The DOM node new children go under, when capturing.
    fn current_node(&self) -> Option<u32> {
        let c = self.capture.as_ref().filter(|c| !c.too_big)?;
        let top = self.stack.last()?;
        (self.stack.len() > c.depth && top.node != NONE).then_some(top.node)
    }

    fn check_size(&mut self) {
        let used = self.end;
        if let Some(c) = self.capture.as_mut() {
            if used.saturating_sub(c.start.byte) > MAX_MESSAGE_BYTES {
                c.too_big = true;
            }
        }
    }

    fn on_start(&mut self, e: &BytesStart<'_>, empty: bool, at: u64, src: &mut Src<'_, '_>) {
        let name = e.name();
        let name = name.as_ref();
        if !valid_name(name) {
            self.recover_bogus_tag(e, empty, at, src);
            return;
        }
        let (tag, other) = tag_of(name);
        let void = empty || is_void(tag, name);
        let parent = self.current_node();
        // Attributes matter on the elements of a message, and on `div`s
        // anywhere (a message, the header, the history). One scan serves both.
        if tag != Tag::Div && parent.is_none() {
            // Outside messages only a pagination link matters.
            if tag == Tag::A && self.capture.is_none() && !void {
                let scan = Scan::of(e.attributes_raw(), tag);
                if scan.has(PAGINATION) {
                    self.start_capture(CaptureKind::Pagination, tag, other, &scan, at, src);
                    return;
                }
            }
            if !void {
                self.stack.push(Open { tag, other, node: NONE });
            }
            return;
        }
        let raw = e.attributes_raw();
        // Inside a message, an element that cannot be a nested message (no
        // `message` in its attributes) keeps its raw attributes for later,
        // when none needs unescaping.
        if let Some(parent) = parent {
            if self.add_plain_element(tag, other, void, parent, raw, src) {
                return;
            }
        }
        let scan = Scan::of(raw, tag);
        if tag == Tag::Div && self.div_starts_capture(e, &scan, (tag, other, void), at, src) {
            return;
        }
        let node = match parent {
            Some(parent) => {
                let n = self.dom.add_element(tag, parent);
                self.set_attrs(n, &scan, src);
                self.check_size();
                n
            }
            None => NONE,
        };
        if !void {
            self.stack.push(Open { tag, other, node });
        }
    }

    /// An element inside a message whose attributes need no scan now: a
    /// lone `class` (its bits taken at once), or plain attributes kept raw
    /// for later (when the element cannot be a nested message). `false`
    /// when the element needs the full scan.
    fn add_plain_element(
        &mut self,
        tag: Tag,
        other: u64,
        void: bool,
        parent: u32,
        raw: &[u8],
        src: &mut Src<'_, '_>,
    ) -> bool {
        // The usual shape, ` class="…"` alone: its class bits now, in one
        // pass, rather than three searches now and a parse later.
        if let Some(value) = attrs::lone_class(raw) {
            if let Some((abs, text)) = src.view.locate(value) {
                let start = self.source_index(abs);
                let n = self.dom.add_element(tag, parent);
                let bits = dom::class_bits(value);
                if !self.dom.set_source_attr(n, Attr::Class, bits, start, start + value.len()) {
                    self.dom.set_attr(n, Attr::Class, text);
                }
                self.check_size();
                if !void {
                    self.stack.push(Open { tag, other, node: n });
                }
                return true;
            }
        }
        let maybe_message = tag == Tag::Div && has_message(raw);
        if !maybe_message && attrs::is_plain(raw) {
            if let Some((abs, _)) = src.view.locate(raw) {
                let start = self.source_index(abs);
                let n = self.dom.add_element(tag, parent);
                if self.dom.set_lazy_attrs(n, start, start + raw.len()) {
                    self.check_size();
                    if !void {
                        self.stack.push(Open { tag, other, node: n });
                    }
                    return true;
                }
                let scan = Scan::of(raw, tag);
                self.set_attrs(n, &scan, src);
                self.check_size();
                if !void {
                    self.stack.push(Open { tag, other, node: n });
                }
                return true;
            }
        }
        false
    }

    /// A `div` that opens a message (perhaps inside another: the 2024
    /// unclosed-table bug, §3.8) or the page header starts a capture; a
    /// `div.history` is noted. `true` when a capture started.
    fn div_starts_capture(
        &mut self,
        e: &BytesStart<'_>,
        scan: &Scan,
        (tag, other, void): (Tag, u64, bool),
        at: u64,
        src: &mut Src<'_, '_>,
    ) -> bool {
        let capturing = self.capture.is_some();
        // Inside a message only a nested message matters: a `div` there
        // counts as the history only with `message` in its attributes,
        // as it always did (no real page has one).
        if scan.has(HISTORY) && (!capturing || has_message(e.attributes_raw())) {
            self.saw_history = true;
        }
        if scan.has(MESSAGE) && scan.id_ok {
            // A message inside a message: the 2024 unclosed-table bug
            // (§3.8). The outer one is complete as far as it goes.
            if capturing {
                self.end_capture(src);
            }
            self.messages += 1;
            self.start_capture(CaptureKind::Message, tag, other, scan, at, src);
            if void {
                self.on_end(tag, other, src);
            }
            return true;
        }
        if scan.has(PAGE_HEADER) && !capturing {
            self.start_capture(CaptureKind::Header, tag, other, scan, at, src);
            if void {
                self.on_end(tag, other, src);
            }
            return true;
        }
        false
    }

    fn start_capture(
        &mut self,
        kind: CaptureKind,
        tag: Tag,
        other: u64,
        scan: &Scan<'_>,
        at: u64,
        src: &mut Src<'_, '_>,
    ) {
        // Counting lines once per message start keeps reading fast.
        let at = match kind {
            CaptureKind::Message => src.mark_at(at),
            CaptureKind::Header | CaptureKind::Pagination => Mark { byte: at, line: 0, column: 0 },
        };
        self.dom.clear();
        let root = self.dom.add_element(tag, NONE);
        self.capture =
            Some(Capture { kind, depth: self.stack.len(), root, start: at, too_big: false });
        self.set_attrs(root, scan, src);
        self.stack.push(Open { tag, other, node: root });
    }

    /// Stores the kept attributes of element `node`.
    fn set_attrs(&mut self, node: u32, scan: &Scan<'_>, src: &Src<'_, '_>) {
        for (which, raw) in scan.values() {
            if attrs::is_plain(raw) {
                if let Some((abs, value)) = src.view.locate(raw) {
                    let start = self.source_index(abs);
                    let classes = if which == Attr::Class { scan.last_classes } else { 0 };
                    if self.dom.set_source_attr(node, which, classes, start, start + value.len()) {
                        continue;
                    }
                }
            }
            self.dom.set_attr_with(node, which, |out| unescape_view(raw, &src.view, out));
        }
    }

    fn on_end(&mut self, tag: Tag, other: u64, src: &mut Src<'_, '_>) {
        let Some(i) = self.stack.iter().rposition(|o| o.tag == tag && o.other == other) else {
            return; // An end tag with no open element: ignored, as HTML does.
        };
        self.stack.truncate(i);
        if self.capture.as_ref().is_some_and(|c| self.stack.len() <= c.depth) {
            self.end_capture(src);
        }
    }

    /// Forgets the capture without mapping it.
    fn drop_capture(&mut self) {
        self.capture = None;
        for o in &mut self.stack {
            o.node = NONE;
        }
    }

    fn end_capture(&mut self, src: &mut Src<'_, '_>) {
        let Some(c) = self.capture.take() else { return };
        for o in &mut self.stack {
            o.node = NONE;
        }
        let end = match c.kind {
            CaptureKind::Message => src.mark_at(self.end),
            CaptureKind::Header | CaptureKind::Pagination => Mark::default(),
        };
        // The markup the DOM's ranges index, borrowed from the window, which
        // kept it (valid UTF-8 at least up to the last range made from it).
        let base = src.view.base();
        let markup = src
            .view
            .bytes()
            .get(c.start.byte.saturating_sub(base) as usize..self.end.saturating_sub(base) as usize)
            .unwrap_or_default();
        let lossy;
        let source = match src.view.str_of(markup) {
            Ok(text) => text,
            Err(_) => {
                lossy = String::from_utf8_lossy(markup);
                &*lossy
            }
        };
        let dom = self.dom.view(source);
        match c.kind {
            CaptureKind::Pagination => {
                // "Next messages" ends every page but the last; "Previous
                // messages" starts every page but the first (§3.3). Other
                // words: a link after the first message is the next one.
                let text = dom.trimmed_text(c.root);
                let next = match text.as_str() {
                    "Next messages" => true,
                    "Previous messages" => false,
                    _ => self.messages > 0,
                };
                if next {
                    self.next_page = dom.attr(c.root, Attr::Href).map(str::to_owned);
                }
            }
            CaptureKind::Header => {
                let name = dom
                    .find(c.root, &|d, n| d.tag(n) == Tag::Div && d.has_class(n, "text"))
                    .map(|n| dom.block_text(n))
                    .unwrap_or_default();
                let name = name.trim();
                self.page.chat = (!name.is_empty())
                    .then(|| Chat { name: Some(name.to_owned()), ..Chat::default() });
            }
            CaptureKind::Message => {
                let ctx = map::Ctx {
                    file: &self.file,
                    start: c.start,
                    index: self.messages.saturating_sub(1),
                    end_line: end.line,
                };
                if c.too_big {
                    self.pending.push_back(Err(Error::data(
                        ctx.position(),
                        format!("message larger than {} MiB", MAX_MESSAGE_BYTES >> 20),
                    )));
                    return;
                }
                if let Some(item) = map::message(&dom, c.root, &mut self.page, &ctx) {
                    if let Ok(post) = &item {
                        if post.source.flags.is_empty() && post.kind == crate::model::Kind::Message
                        {
                            self.read_messages += 1;
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
    fn recover_bogus_tag(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        at: u64,
        src: &mut Src<'_, '_>,
    ) {
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
            unescape_view(work.get(..cut).unwrap_or_default(), &src.view, &mut text);
            if self.capturing() {
                self.add_text(&text);
            }
            text.clear();
            let rest = work.get(cut..).unwrap_or_default().to_vec();
            if rest.is_empty() {
                return;
            }
            let mut sub = quick_xml::Reader::from_reader(rest.as_slice());
            configure(&mut sub);
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
                    Ok(ev) => self.on_event(ev, at, src),
                }
            }
            match next {
                Some(n) => work = n,
                None => return,
            }
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.notes.count(&self.file, |c| &mut c.tdesktop_html_messages, self.read_messages);
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        self.pump();
        self.state.pending.pop_front()
    }
}

/// True when `message` occurs in `raw` (a start tag's attributes, a few
/// dozen bytes: a plain scan beats setting up a substring search).
fn has_message(raw: &[u8]) -> bool {
    memchr::memchr_iter(b'm', raw)
        .any(|i| raw.get(i..).is_some_and(|rest| rest.starts_with(b"message")))
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
    // FNV-1a of the lower-cased name: end tags match start tags by it.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    }
    (tag, h | 1)
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

/// Class bits ([`dom::class_bit`]) of the page roles.
const MESSAGE: u64 = 1 << 0;
const HISTORY: u64 = 1 << 47;
const PAGE_HEADER: u64 = 1 << 48;
const PAGINATION: u64 = 1 << 57;

/// What the attributes of one start tag say, read from the raw bytes in one
/// pass without allocating.
struct Scan<'a> {
    /// Known class names over every `class` attribute (raw tokens): the
    /// element's roles.
    classes: u64,
    /// Known class names of the last `class` attribute, the one kept.
    last_classes: u64,
    /// The last `id` is `message…` (or there is none).
    id_ok: bool,
    /// The last raw value of each kept attribute ([`Attr`] order).
    values: [Option<&'a [u8]>; 7],
}

impl<'a> Scan<'a> {
    fn of(raw: &'a [u8], tag: Tag) -> Scan<'a> {
        let mut scan = Scan { classes: 0, last_classes: 0, id_ok: true, values: [None; 7] };
        for (key, value) in Attributes(raw) {
            let Some(which) = Attr::of(key) else { continue };
            match which {
                Attr::Class => {
                    scan.last_classes = dom::class_bits(value);
                    scan.classes |= scan.last_classes;
                }
                Attr::Id => scan.id_ok = value.starts_with(b"message"),
                _ => {}
            }
            if which.kept_on(tag) {
                if let Some(slot) = scan.values.get_mut(which as usize) {
                    *slot = Some(value);
                }
            }
        }
        scan
    }

    fn has(&self, class: u64) -> bool {
        self.classes & class != 0
    }

    /// The kept attributes and their raw values.
    fn values(&self) -> impl Iterator<Item = (Attr, &'a [u8])> + '_ {
        Attr::ALL.iter().zip(self.values).filter_map(|(&a, v)| Some((a, v?)))
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
fn unescape_view(raw: &[u8], view: &View<'_>, out: &mut String) {
    match view.str_of(raw) {
        Ok(s) if memchr::memchr2(b'&', b'<', raw).is_none() => out.push_str(s),
        Ok(s) => unescape_text(s, out),
        Err(_) => unescape_text(&String::from_utf8_lossy(raw), out),
    }
}

/// [`unescape_view`] for bytes outside a page window (the validator's).
pub(crate) fn unescape_into(raw: &[u8], out: &mut String) {
    match std::str::from_utf8(raw) {
        Ok(s) if memchr::memchr2(b'&', b'<', raw).is_none() => out.push_str(s),
        Ok(s) => unescape_text(s, out),
        Err(_) => unescape_text(&String::from_utf8_lossy(raw), out),
    }
}

fn unescape_text(text: &str, out: &mut String) {
    // Byte offsets: `&`, `<` and `;` are ASCII, so every cut is a character
    // boundary. Text between references is copied in one piece.
    let bytes = text.as_bytes();
    let (mut copied, mut from) = (0, 0);
    while let Some(i) =
        memchr::memchr2(b'&', b'<', bytes.get(from..).unwrap_or_default()).map(|i| from + i)
    {
        let tail = bytes.get(i..).unwrap_or_default();
        let resolved = if tail.starts_with(b"<br>") {
            Some(('\n', 4))
        } else if tail.first() == Some(&b'&') {
            // A name of at most 32 bytes before its `;`.
            let name = tail.get(1..).unwrap_or_default();
            let name = name.get(..33).unwrap_or(name);
            memchr::memchr(b';', name)
                .and_then(|semi| Some((resolve(name.get(..semi)?)?, semi + 2)))
        } else {
            None
        };
        match resolved {
            Some((c, len)) => {
                out.push_str(text.get(copied..i).unwrap_or_default());
                out.push(c);
                copied = i + len;
                from = copied;
            }
            None => from = i + 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
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
    fn unescapes_attributes() {
        let mut s = String::new();
        let w = window::Window::new(&b""[..]);
        unescape_view(b"a&amp;b&quot;c<br>d &unknown; &#x41;&laquo;", &w.view(), &mut s);
        assert_eq!(s, "a&b\"c\nd &unknown; A«");
        for (raw, want) in [
            ("x &amp y; z", "x &amp y; z"),
            ("&#233;&lt;br>", "é<br>"),
            ("é&&amp;<br", "é&&<br"),
            ("<br><br>&amp;", "\n\n&"),
            ("&#x1F600;&#xFFFFFF;", "😀\u{fffd}"),
            ("&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;&amp;", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;&"),
        ] {
            let mut s = String::new();
            unescape_text(raw, &mut s);
            assert_eq!(s, want, "{raw}");
        }
    }

    /// Every item, printed, read with windows of `chunk` bytes.
    fn read_in_chunks(html: &[u8], chunk: usize) -> Vec<String> {
        Reader::with_chunk(html, "t.html".into(), Notes::default(), chunk)
            .map(|item| format!("{item:?}"))
            .collect()
    }

    #[test]
    fn any_window_size_reads_the_same() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tdesktop-html");
        let mut pages: Vec<Vec<u8>> = Vec::new();
        for case in std::fs::read_dir(dir).unwrap() {
            let case = case.unwrap().path();
            if !case.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(case).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|e| e == "html") {
                    pages.push(std::fs::read(path).unwrap());
                }
            }
        }
        assert!(pages.len() >= 7);
        // Edge cases for the window: U+FEFF and invalid bytes at every
        // place a window can start or end, a message cut by the end.
        let body = "<div class=\"message default clearfix\" id=\"message5\">\n<div class=\"body\">\n<div class=\"text\">\n\u{feff}\u{feff}é<b>x\u{feff}</b>&amp;\u{feff}&#x41;\n</div>\n</div>\n</div>";
        pages.push(page(body).into_bytes());
        pages.push(format!("\u{feff}\u{feff}{}", page(body)).into_bytes());
        let mut bad = page(body).into_bytes();
        let at = bad.iter().position(|&b| b == 0xC3).unwrap();
        bad[at + 1] = b'!';
        pages.push(bad);
        let mut cut = page(body).into_bytes();
        cut.truncate(cut.len() - 60);
        pages.push(cut);
        for html in &pages {
            let whole = read_in_chunks(html, 1 << 30);
            assert!(!whole.is_empty());
            // Tiny windows re-read each event byte by byte: small pages only.
            let tiny: &[usize] = if html.len() < 4096 { &[1, 2, 3, 5] } else { &[] };
            for &chunk in tiny.iter().chain(&[64, 1000, 4096]) {
                assert_eq!(read_in_chunks(html, chunk), whole, "window of {chunk} bytes");
            }
        }
    }

    #[test]
    fn a_syntax_error_ends_the_page_where_it_is() {
        // Found by the fuzzer: `<!x` stops quick-xml; the page's end (for
        // the missing div.history) is just after `<!`, as it always was,
        // whatever the window size.
        let html = b"<html>\n<!x junk\n<div class=\"history\">\n</div>\n";
        let whole = read_in_chunks(html, 1 << 30);
        assert_eq!(whole.len(), 2, "{whole:?}");
        assert!(whole[1].contains("line: Some(2), column: Some(3), byte: Some(9)"), "{}", whole[1]);
        for chunk in [1, 2, 3, 5, 8, 13] {
            assert_eq!(read_in_chunks(html, chunk), whole, "window of {chunk} bytes");
        }
    }

    #[test]
    fn invalid_utf8_is_placed_exactly() {
        // The bad byte after an entity and a `<br>` on line 17: column 14,
        // after the 13 characters of `é&amp;b<br>xy`.
        let body = "<div class=\"message default clearfix\" id=\"message5\">\n<div class=\"body\">\n<div class=\"text\">\né&amp;b<br>xy\u{1}\n</div>\n</div>\n</div>";
        let html = page(body).replace('\u{1}', "\u{0}").into_bytes();
        let mut bad = html.clone();
        let at = bad.iter().position(|&b| b == 0).unwrap();
        bad[at] = 0xFF;
        let items = read_in_chunks(&bad, 1 << 30);
        assert_eq!(items.len(), 1, "{items:?}");
        assert!(items[0].contains("line: Some(17), column: Some(14)"), "{}", items[0]);
        assert!(items[0].contains("invalid UTF-8 in this message"), "{}", items[0]);
    }

    #[test]
    fn positions_are_exact_past_any_buffer_size() {
        // The first message is ~300 KB, so the second starts past where
        // the old 128 KiB buffer ended (its position came out clamped).
        let long = "x".repeat(300_000);
        let html = page(&format!(
            "<div class=\"message default clearfix\" id=\"message1\">\n<div class=\"body\">\n<div class=\"text\">\n{long}\n</div>\n</div>\n</div>\n<div class=\"message default clearfix joined\" id=\"message2\">\n<div class=\"body\">\n<div class=\"text\">\nhi\n</div>\n</div>\n</div>"
        ));
        let posts: Vec<Post> = read(&html).into_iter().map(|p| p.unwrap()).collect();
        let second = html.find("<div class=\"message default clearfix joined\"").unwrap();
        assert_eq!(posts[1].source.byte, Some(second as u64));
        assert_eq!(posts[1].source.line, Some(21));
        for chunk in [7, 4096, 131_072] {
            assert_eq!(
                read_in_chunks(html.as_bytes(), chunk),
                read_in_chunks(html.as_bytes(), 1 << 30)
            );
        }
    }

    #[test]
    fn finds_message_in_attributes() {
        assert!(has_message(b" class=\"message default\""));
        assert!(has_message(b" id=\"x\" data=\"mmessage\""));
        assert!(!has_message(b" class=\"media_wrap messag\""));
        assert!(!has_message(b""));
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
    fn knows_the_next_page() {
        let body = "<a class=\"pagination block_link\" href=\"messages1.html\">\nPrevious messages\n</a>\n<div class=\"message service\" id=\"message-1\">\n<div class=\"body details\">\n7 March 2022\n</div>\n</div>\n<a class=\"pagination block_link\" href=\"messages3.html\">\nNext messages\n</a>";
        let html = page(body);
        let mut r = Reader::new(html.as_bytes(), "t.html".into(), Notes::default());
        assert_eq!(r.by_ref().count(), 0);
        assert_eq!(r.next_page(), Some("messages3.html"));
        // Only a previous link, or a link in other words before any message.
        let html = page("<a class=\"pagination\" href=\"m.html\">back</a>");
        let mut r = Reader::new(html.as_bytes(), "t.html".into(), Notes::default());
        assert_eq!(r.by_ref().count(), 0);
        assert_eq!(r.next_page(), None);
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
