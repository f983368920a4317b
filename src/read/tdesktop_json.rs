//! Telegram Desktop `result.json` → posts, streaming, for every writer
//! version since 2018 (docs/tdesktop-export-format.md §2, §6, §7).
//!
//! # How it streams
//!
//! A `result.json` is one object holding one huge array (`messages`), or, for
//! a full-account export, arrays inside `chats.list[*]` and
//! `left_chats.list[*]`. serde_json cannot stream the elements of an array
//! (serde-rs/json#404); the serde.rs "stream-array" workaround is push-based
//! and would need a parse thread to become a pull iterator. This reader is
//! pull-based instead: a small `Scanner` walks the *structure* of the file
//! (object keys, array commas, nesting depth, strings and escapes) and cuts
//! out one message at a time into a reused buffer; each message is then
//! deserialised from that slice by a serde `Visitor` (`RawMessage`, which
//! keeps keys in input order and types only the text) and mapped onto the
//! model. Memory holds one message, and
//! sections a tgnorm post has no use for (`personal_information`,
//! `contacts`, `other_data`, …) are skipped byte by byte without being held.
//!
//! Walking every byte is the reader's main cost, so once eight messages in
//! a row were indented alike (every line inside deeper than the message's
//! `{`, the last one back at it), messages are cut out by that layout alone
//! (`Scanner::cut_indented`: one SIMD newline search and a look at each
//! line's indentation). A valid file can still hold a line that looks like
//! the message's end (a nested value's `}` indented at the message's
//! level), so every cut is checked (`one_value`: its strings skipped by
//! SIMD search, its brackets counted) to be exactly one value ending at its
//! last byte, which is where walking would end it; any cut that fails, and
//! any line that breaks the layout, sends the reader back to walking that
//! message. Such messages are repaired only if they fail to parse as they
//! are (valid JSON never needs a repair), on the worker that parses them,
//! with the same positions and the same summary note. Both ways give the
//! same answer on every input: tests and the fuzz target compare them.
//!
//! Cutting messages out first has two more payoffs: parsing from a slice is
//! several times faster than serde_json's `from_reader`, and a message that
//! is broken *inside* (bad syntax, wrong types) is rejected alone with its
//! position while the rest of the file is still read. Only damage to the
//! structure between messages (a truncated file, unbalanced brackets) stops
//! the file, with its line and column.
//!
//! # Repair, never guess
//!
//! Bytes pass through [`repair::Repairer`] on the way (`\xHH` escapes and the
//! unquoted `document_id` of 2022 writers); each repair is counted in the
//! summary with its first position. Values whose meaning is ambiguous are
//! not decoded: the integer peer ids of pre-2021 exports (a plain user id or
//! a shifted PeerId, a chat or a channel?) are kept as they were, in `extra`.
//!
//! # Lossless
//!
//! Keys the model has no field for go to `post.extra` (service fields to
//! `service.details`, media fields to `media.extra`) in input order. When the
//! model's normalised value cannot give the source's bytes back (an old
//! `edited: 1970-…` meaning "not edited", an integer `from_id`, a
//! `date_unixtime` inconsistent with `date`), the source's own value is kept
//! in `extra` under its own key, and the writer prefers it. Layout facts that
//! belong to no field (no `text_entities` in old files, the trailing empty
//! text part, `\xHH` escapes, an undecodable chat id) go to the reserved
//! `extra.tdesktop` object, which the writer consumes. A message written by
//! tgnorm itself may carry a `tgnorm` key with the model fields Telegram
//! Desktop has no key for (views, reply quotes, …); it is read back into
//! those fields.

pub mod dates;
pub mod repair;
pub mod rich;

use super::{Notes, Pending};
use crate::account::{ChatReport, Repair};
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::{
    Chat, Edited, Extra, Forward, Kind, Media, MediaStatus, Peer, Post, Reaction, Reply, Service,
    Source, Span, Style, Text,
};
use repair::{Class, Repairer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// A message larger than this is rejected with its position (and skipped
/// holding at most 64 KiB of it): a Telegram message is at most 4096
/// characters of text (twice: `text` and `text_entities`) plus a few keys,
/// so this leaves room for any real export a thousand times over, while a
/// message at the cap keeps the whole run's peak memory near 100 MB (it is
/// held raw, then parsed and encoded: about four times its size at once;
/// see `convert`'s module docs).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A message is cut out by its layout (see [`Scanner::cut_indented`]) only
/// after this many messages in a row, walked byte by byte, were indented
/// alike; and only when it is at most [`FAST_CUT_LIMIT`] bytes long.
const LAYOUT_TRUST: u32 = 8;
/// See [`LAYOUT_TRUST`].
const FAST_CUT_LIMIT: usize = 4 * 1024 * 1024;

/// Object keys and header values larger than this are an error.
const MAX_SMALL_VALUE: usize = 1024 * 1024;

/// The placeholders Telegram Desktop writes instead of a file path (§2.4).
pub const NOT_INCLUDED: &str = "(File not included. Change data exporting settings to download.)";
/// See [`NOT_INCLUDED`].
pub const TOO_BIG: &str =
    "(File exceeds maximum size. Change data exporting settings to download.)";
/// See [`NOT_INCLUDED`].
pub const UNAVAILABLE: &str = "(File unavailable, please try again later)";

/// The reserved `extra` key for layout hints (see the module docs).
pub const LAYOUT_KEY: &str = "tdesktop";
/// The message key tgnorm's writer uses for model fields Telegram Desktop
/// has no key for.
pub const TGNORM_KEY: &str = "tgnorm";

const FORMAT: &str = "tdesktop-json";

/// Streams posts out of a `result.json`.
pub struct Reader<R> {
    scan: Scanner<R>,
    file: String,
    notes: Notes,
    frames: Vec<Frame>,
    chat: ChatState,
    /// Messages seen in the file (the next message's index).
    index: u64,
    /// Index of the current chat in `chats.list` / `left_chats.list`.
    chat_path: Option<(&'static str, u64)>,
    /// Index of the next message within its chat's `messages`.
    in_chat: u64,
    /// Capacity for the next message's buffer (about the last one's size).
    buf_hint: usize,
    layout: Layout,
    /// Never cut by layout (see [`Reader::walk_only`]).
    walk_only: bool,
    repairs: Arc<RepairLog>,
    skipped: Vec<String>,
    chats: u64,
    done: bool,
    started: bool,
    /// Set with an error that spoils one chat only (its `messages` is not
    /// an array): the chat is rejected and reading goes on with the next.
    chat_skipped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameKind {
    /// The top-level object (a chat itself, or an account export).
    Top,
    /// `chats` or `left_chats`.
    Section(&'static str),
    /// `list` of a section.
    List(&'static str),
    /// A chat object in a list.
    Chat,
    /// A `messages` array.
    Messages,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: FrameKind,
    first: bool,
}

/// The chat header (`name`, `type`, `id`) and what became of it.
#[derive(Clone, Debug, Default)]
struct ChatState {
    name: Option<Option<String>>,
    kind: Option<Option<String>>,
    id: Option<Value>,
    /// Decided at the first message: the chat for every post, and the raw
    /// id to keep when it could not be decoded.
    decided: Option<(Option<Chat>, Option<Value>)>,
    /// Whether the file writes bare ids (2021-04 or later), once a message
    /// of any chat in it has said so.
    era: Option<bool>,
}

impl<R: Read> Reader<R> {
    /// Reads `inner`; `file` names it in positions and `source.file`.
    pub fn new(inner: R, file: String, notes: Notes) -> Reader<R> {
        let repairs = Arc::new(RepairLog {
            file: file.clone(),
            notes: notes.clone(),
            tallies: Mutex::default(),
        });
        Reader {
            scan: Scanner::new(inner),
            file,
            notes,
            frames: Vec::new(),
            chat: ChatState::default(),
            index: 0,
            chat_path: None,
            in_chat: 0,
            buf_hint: 4096,
            layout: Layout::default(),
            walk_only: false,
            repairs,
            skipped: Vec::new(),
            chats: 0,
            done: false,
            chat_skipped: false,
            started: false,
        }
    }

    /// Walks every message byte by byte, never cutting by layout: the
    /// reference the layout cut is tested (and fuzzed) against.
    #[doc(hidden)]
    pub fn walk_only(mut self) -> Reader<R> {
        self.walk_only = true;
        self
    }

    fn pos(&self) -> Position {
        Position {
            file: self.file.clone(),
            line: Some(self.scan.rep.line()),
            column: Some(self.scan.rep.column()),
            byte: Some(self.scan.byte),
            ..Position::default()
        }
    }

    fn syntax(&self, what: impl Into<String>) -> Error {
        Error::new(self.pos(), ErrorKind::Json(what.into()))
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(self.file.clone(), e)
    }

    /// Next structural byte, or an error naming what was expected at EOF.
    fn need(&mut self, what: &str) -> Result<u8> {
        match self.scan.skip_ws().map_err(|e| self.io(e))? {
            Some(b) => Ok(b),
            None => Err(self.syntax(format!("unexpected end of file, expected {what}"))),
        }
    }

    fn expect(&mut self, want: u8, what: &str) -> Result<()> {
        let b = self.need(what)?;
        if b != want {
            return Err(self.syntax(format!("expected {what}, found {}", shown(b))));
        }
        self.scan.bump_discard().map_err(|e| self.io(e))?;
        Ok(())
    }

    /// Reads an object key and its colon.
    fn key(&mut self) -> Result<String> {
        let b = self.need("a key")?;
        if b != b'"' {
            return Err(self.syntax(format!("expected a key, found {}", shown(b))));
        }
        let pos = self.pos();
        let mut raw = Vec::new();
        self.scan.capture(&mut raw, MAX_SMALL_VALUE).map_err(|e| self.scan_error(e))?;
        let key: String = serde_json::from_slice(&raw).map_err(|e| {
            Error::new(pos, ErrorKind::Json(format!("bad key: {}", strip_position(&e))))
        })?;
        self.expect(b':', "`:`")?;
        Ok(key)
    }

    fn scan_error(&self, e: ScanError) -> Error {
        match e {
            ScanError::Io(e) => self.io(e),
            ScanError::Eof => self.syntax("unexpected end of file inside a value"),
            ScanError::TooLarge => self.syntax("value too large"),
            ScanError::Unbalanced(b) => self.syntax(format!("unexpected {}", shown(b))),
        }
    }

    fn small_value(&mut self) -> Result<Value> {
        self.need("a value")?;
        let pos = self.pos();
        let mut raw = Vec::new();
        self.scan.capture(&mut raw, MAX_SMALL_VALUE).map_err(|e| self.scan_error(e))?;
        serde_json::from_slice(&raw)
            .map_err(|e| Error::new(pos, ErrorKind::Json(strip_position(&e))))
    }

    fn skip(&mut self, key: &str) -> Result<()> {
        self.need("a value")?;
        if self.skipped.len() < 32 && !self.skipped.iter().any(|k| k == key) {
            self.skipped.push(key.to_owned());
        }
        self.scan.skip().map_err(|e| self.scan_error(e))
    }

    /// A chat of a full-account export whose `messages` is not an array:
    /// the value is skipped and the chat rejected alone (one error with its
    /// position), so the export's other chats are still read.
    fn skip_chat_messages(&mut self) -> Result<Error> {
        let b = self.need("`[`")?;
        let err = Error::data(
            self.pos(),
            format!(
                "expected `[` (the messages array), found {}: this chat's messages are skipped",
                shown(b)
            ),
        );
        self.scan.skip().map_err(|e| self.scan_error(e))?;
        self.chat_skipped = true;
        Ok(err)
    }

    /// After a value inside a container: `true` when the container goes on.
    fn more(&mut self, close: u8, first: bool) -> Result<bool> {
        let b = self.need(if close == b'}' { "`,` or `}`" } else { "`,` or `]`" })?;
        if b == close {
            self.scan.bump_discard().map_err(|e| self.io(e))?;
            return Ok(false);
        }
        if !first {
            if b != b',' {
                let what = if close == b'}' { "`,` or `}`" } else { "`,` or `]`" };
                return Err(self.syntax(format!("expected {what}, found {}", shown(b))));
            }
            self.scan.bump_discard().map_err(|e| self.io(e))?;
            let next = self.need("a value after `,`")?;
            if next == close || next == b',' {
                return Err(self.syntax(format!("unexpected {} after `,`", shown(next))));
            }
        }
        Ok(true)
    }

    fn set_first(&mut self) -> bool {
        match self.frames.last_mut() {
            Some(f) => std::mem::replace(&mut f.first, false),
            None => false,
        }
    }

    /// Walks the structure until the next message is cut out, and maps it.
    fn step(&mut self) -> Result<Option<Result<Pending>>> {
        if !self.started {
            self.started = true;
            let b = self.need("`{`")?;
            if b != b'{' {
                return Err(self.syntax(format!(
                    "not a Telegram Desktop export: the top level must be an object, found {}",
                    shown(b)
                )));
            }
            self.scan.bump_discard().map_err(|e| self.io(e))?;
            self.frames.push(Frame { kind: FrameKind::Top, first: true });
        }
        loop {
            let Some(frame) = self.frames.last().copied() else {
                if let Some(b) = self.scan.skip_ws().map_err(|e| self.io(e))? {
                    return Err(
                        self.syntax(format!("unexpected {} after the end of the export", shown(b)))
                    );
                }
                self.finish_notes();
                return Ok(None);
            };
            match frame.kind {
                FrameKind::Messages => {
                    let first = self.set_first();
                    if !self.more(b']', first)? {
                        self.frames.pop();
                        continue;
                    }
                    return Ok(Some(self.message()));
                }
                FrameKind::List(section) => {
                    let first = self.set_first();
                    if !self.more(b']', first)? {
                        self.frames.pop();
                        continue;
                    }
                    let b = self.need("a chat object")?;
                    if b != b'{' {
                        return Err(
                            self.syntax(format!("expected a chat object, found {}", shown(b)))
                        );
                    }
                    self.scan.bump_discard().map_err(|e| self.io(e))?;
                    let n = self.chat_path.map_or(0, |(s, n)| if s == section { n + 1 } else { 0 });
                    self.chat_path = Some((section, n));
                    // Era evidence holds for the whole file.
                    self.chat = ChatState { era: self.chat.era, ..ChatState::default() };
                    self.chats += 1;
                    self.frames.push(Frame { kind: FrameKind::Chat, first: true });
                }
                FrameKind::Top | FrameKind::Section(_) | FrameKind::Chat => {
                    let first = self.set_first();
                    if !self.more(b'}', first)? {
                        self.frames.pop();
                        continue;
                    }
                    let key = self.key()?;
                    match (frame.kind, key.as_str()) {
                        (FrameKind::Chat, "messages") if self.need("`[`")? != b'[' => {
                            return Ok(Some(Err(self.skip_chat_messages()?)));
                        }
                        (FrameKind::Top | FrameKind::Chat, "messages") => {
                            self.expect(b'[', "`[` (the messages array)")?;
                            self.in_chat = 0;
                            if frame.kind == FrameKind::Top {
                                self.chats += 1;
                            }
                            self.frames.push(Frame { kind: FrameKind::Messages, first: true });
                        }
                        (FrameKind::Top | FrameKind::Chat, "name" | "type" | "id") => {
                            let v = self.small_value()?;
                            self.header(&key, v)?;
                        }
                        (FrameKind::Top, "chats" | "left_chats") => {
                            let section = if key == "chats" { "chats" } else { "left_chats" };
                            self.expect(b'{', "`{`")?;
                            self.frames
                                .push(Frame { kind: FrameKind::Section(section), first: true });
                        }
                        (FrameKind::Section(section), "list") => {
                            self.expect(b'[', "`[` (the chat list)")?;
                            self.frames.push(Frame { kind: FrameKind::List(section), first: true });
                        }
                        (FrameKind::Section(section), _) => {
                            let k = format!("{section}.{key}");
                            self.skip(&k)?;
                        }
                        _ => self.skip(&key)?,
                    }
                }
            }
        }
    }

    fn header(&mut self, key: &str, v: Value) -> Result<()> {
        let what = match (key, v) {
            ("name", Value::String(s)) => {
                self.chat.name = Some(Some(s));
                return Ok(());
            }
            ("name", Value::Null) => {
                self.chat.name = Some(None);
                return Ok(());
            }
            ("type", Value::String(s)) => {
                self.chat.kind = Some(Some(s));
                return Ok(());
            }
            ("type", Value::Null) => {
                self.chat.kind = Some(None);
                return Ok(());
            }
            ("id", v @ Value::Number(_)) => {
                self.chat.id = Some(v);
                return Ok(());
            }
            ("id", _) => "a number",
            _ => "a string or null",
        };
        Err(self.syntax(format!("chat `{key}` must be {what}")))
    }

    fn pointer(&self) -> String {
        match self.chat_path {
            Some((section, n)) => format!("/{section}/list/{n}/messages/{}", self.in_chat),
            None => format!("/messages/{}", self.in_chat),
        }
    }

    /// Cuts out one message and maps it.
    /// Cuts the next message out of the file. Once the chat is decided (at
    /// its first message), parsing and mapping need nothing more from the
    /// reader, so the message is handed out unparsed and the pipeline parses
    /// it on a worker thread ([`Unparsed::parse`]); until then it is parsed
    /// here.
    fn message(&mut self) -> Result<Pending> {
        let index = self.index;
        self.index += 1;
        let pointer = self.pointer();
        self.in_chat += 1;
        let start = (self.scan.rep.line(), self.scan.rep.column(), self.scan.byte);
        let repairs_before = self.scan.rep.x_escapes.count;
        let b = self.scan.peek().map_err(|e| self.io(e))?;
        let pos = Position {
            file: self.file.clone(),
            line: Some(start.0),
            column: Some(start.1),
            byte: Some(start.2),
            index: Some(index),
            pointer: Some(pointer),
        };
        let cut = match self.layout.trusted().filter(|_| !self.walk_only) {
            Some(indent)
                if b == Some(b'{')
                    && start.1 == indent as u64 + 1
                    && !self.scan.rep.expects_value_check() =>
            {
                self.scan.cut_indented(indent, FAST_CUT_LIMIT).map_err(|e| self.io(e))?
            }
            _ => None,
        };
        if let Some((bytes, newlines)) = cut {
            let end_line = start.0 + newlines;
            self.scan.rep.resume_at(end_line, start.1 + 1);
            let unparsed = Unparsed {
                bytes,
                index,
                end_line,
                x_escapes: false,
                unrepaired: Some(Arc::clone(&self.repairs)),
                chat: ChatState::default(),
                pos,
            };
            return self.hand_out(unparsed);
        }
        let mut buf = Vec::with_capacity(self.buf_hint);
        let captured = self.scan.capture(&mut buf, MAX_MESSAGE_BYTES);
        self.buf_hint = buf.len().next_power_of_two().clamp(256, 64 * 1024);
        if captured.is_ok() {
            self.layout.learn(&buf, start.1);
        }
        // A structural error (no `index` in its position) ends the file; see
        // `Iterator::next`.
        match captured {
            Err(ScanError::TooLarge) => Err(Error::data(
                pos,
                format!("message larger than {} MiB", MAX_MESSAGE_BYTES >> 20),
            )),
            Err(ScanError::Eof) => Err(self.syntax(format!(
                "unexpected end of file inside message #{index}, which starts at line {}",
                start.0
            ))),
            Err(e) => Err(self.scan_error(e)),
            Ok(()) if b != Some(b'{') => Err(Error::data(pos, "a message must be an object")),
            Ok(()) => {
                let unparsed = Unparsed {
                    bytes: buf,
                    index,
                    end_line: self.scan.rep.line(),
                    x_escapes: self.scan.rep.x_escapes.count > repairs_before,
                    unrepaired: None,
                    chat: ChatState::default(),
                    pos,
                };
                self.hand_out(unparsed)
            }
        }
    }

    /// A message cut out: unparsed once the chat is decided, parsed here
    /// (deciding it) otherwise.
    fn hand_out(&mut self, unparsed: Unparsed) -> Result<Pending> {
        match &self.chat.decided {
            Some(decided) => Ok(Pending::Unparsed(Box::new(Unparsed {
                chat: ChatState { decided: Some(decided.clone()), ..ChatState::default() },
                ..unparsed
            }))),
            None => unparsed.parse_with(&mut self.chat).map(|p| Pending::Ready(Box::new(p))),
        }
    }

    fn finish_notes(&mut self) {
        self.repairs.record(&self.scan.rep);
        let (skipped, chats) = (&self.skipped, self.chats);
        self.notes.file(&self.file, |r| {
            if !skipped.is_empty() {
                r.skipped.clone_from(skipped);
                let text = format!("sections without messages not read: {}", skipped.join(", "));
                r.say("skipped", text);
            }
            if chats > 0 {
                r.chats = Some(ChatReport { count: Some(chats), ..ChatReport::default() });
            }
            if chats > 1 {
                r.say("chats", format!("full export: {chats} chats"));
            }
        });
    }
}

impl<R: Read> Reader<R> {
    /// The next message, possibly not parsed yet.
    fn next_pending(&mut self) -> Option<Result<Pending>> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(Ok(item))) => Some(Ok(item)),
            Ok(Some(Err(e))) => {
                // A per-message error has `index` set; anything else came from
                // the structure around the messages and ends the file.
                let local = std::mem::take(&mut self.chat_skipped);
                if e.position().index.is_none() && !local {
                    self.done = true;
                    self.finish_notes();
                }
                Some(Err(e))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                self.finish_notes();
                Some(Err(e))
            }
        }
    }

    /// The messages as [`Pending`] items, whose parsing the caller may do
    /// on another thread ([`crate::read::read_pending`]).
    pub fn pending(mut self) -> impl Iterator<Item = Result<Pending>> {
        std::iter::from_fn(move || self.next_pending())
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        self.next_pending().map(|item| item.and_then(Pending::resolve))
    }
}

/// A message cut out of the file, its bytes repaired, not parsed yet.
#[derive(Debug)]
pub struct Unparsed {
    bytes: Vec<u8>,
    /// Where the message starts (with its index and pointer).
    pos: Position,
    index: u64,
    end_line: u64,
    x_escapes: bool,
    /// Set when the bytes were cut out by their layout, not walked through
    /// the [`Repairer`]: they are repaired (and the repairs recorded here)
    /// only if they do not parse as they are.
    unrepaired: Option<Arc<RepairLog>>,
    /// The chat, already decided when the message is handed out unparsed.
    chat: ChatState,
}

impl Unparsed {
    /// The message's size in bytes, as cut out of the file.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Parses and maps the message.
    pub fn parse(mut self) -> Result<Post> {
        let mut chat = std::mem::take(&mut self.chat);
        self.parse_with(&mut chat)
    }

    fn parse_with(&self, chat: &mut ChatState) -> Result<Post> {
        let mut ctx = MapContext {
            file: &self.pos.file,
            index: self.index,
            line: self.pos.line.unwrap_or(1),
            end_line: self.end_line,
            byte: self.pos.byte.unwrap_or(0),
            x_escapes: self.x_escapes,
        };
        let first = map_slice(&self.bytes, &ctx, chat, &self.pos);
        let (log, e) = match (&self.unrepaired, first) {
            (Some(log), Err(e)) => (log, e),
            (_, first) => return first,
        };
        // Unrepaired bytes that do not parse: repair them as the scanner
        // would have, and parse again. Valid JSON is never changed by the
        // repairs, so a message that parsed needed none.
        let mut rep = Repairer::at(ctx.line, self.pos.column.unwrap_or(1));
        let Some(fixed) = rep.repair_slice(&self.bytes) else {
            return Err(e);
        };
        log.record(&rep);
        ctx.x_escapes = rep.x_escapes.count > 0;
        map_slice(&fixed, &ctx, chat, &self.pos)
    }
}

/// The repairs made in one file: by the reader's scanner, and by workers
/// repairing messages that were cut out unrepaired ([`Unparsed::parse`]).
/// Each record updates the summary's note and `repairs` counter, so the note
/// is right whichever thread finishes last.
#[derive(Debug)]
struct RepairLog {
    file: String,
    notes: Notes,
    tallies: Mutex<[repair::Tally; 2]>,
}

impl RepairLog {
    /// Adds a machine's repairs (first positions: the earliest in the file).
    fn record(&self, rep: &Repairer) {
        let found = [rep.x_escapes, rep.document_ids];
        if found.iter().all(|t| t.count == 0) {
            return;
        }
        let Ok(mut tallies) = self.tallies.lock() else {
            return;
        };
        let kinds = [repair::RepairKind::XEscape, repair::RepairKind::UnquotedDocumentId];
        let (mut parts, mut typed) = (Vec::new(), Vec::new());
        for ((kind, total), new) in kinds.into_iter().zip(tallies.iter_mut()).zip(found) {
            total.count += new.count;
            total.first = match (total.first, new.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if total.count > 0 {
                let (line, column) = total.first.unwrap_or((0, 0));
                parts.push(format!(
                    "{} × {} first at line {line} col {column}",
                    total.count,
                    kind.as_str()
                ));
                typed.push(Repair { kind: kind.code(), count: total.count, line, column });
            }
        }
        let added = found.iter().map(|t| t.count).sum::<u64>();
        self.notes.file(&self.file, |r| {
            r.counters.repairs += added;
            r.repairs = typed;
            r.say("repair", parts.join("; "));
        });
    }
}

/// Whether `rest`, what follows an array element, is `,` and the next
/// object's `{`, or the array's `]` (whitespace allowed around both);
/// `None` when it ends before that can be told (more input is needed), and
/// at the end of the input, which is for the walker to report.
fn follows_element(rest: &[u8]) -> Option<bool> {
    let ws = |b: &&u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut bytes = rest.iter().skip_while(ws);
    match bytes.next()? {
        b']' => Some(true),
        b',' => Some(*bytes.find(|b| !ws(b))? == b'{'),
        _ => Some(false),
    }
}

/// What the reader has learnt of the file's layout: the indentation of the
/// last messages walked byte by byte, and how many in a row had it.
#[derive(Debug, Default)]
struct Layout {
    indent: Option<usize>,
    agree: u32,
}

impl Layout {
    /// The indentation by which messages may be cut out, once trusted.
    fn trusted(&self) -> Option<usize> {
        self.indent.filter(|_| self.agree >= LAYOUT_TRUST)
    }

    /// Notes a message walked byte by byte, whose `{` was at `column`.
    fn learn(&mut self, bytes: &[u8], column: u64) {
        let indent = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        if !indented_alike(bytes, indent) {
            *self = Layout::default();
        } else if self.indent == Some(indent) {
            self.agree = self.agree.saturating_add(1);
        } else {
            *self = Layout { indent: Some(indent), agree: 1 };
        }
    }
}

/// How a line starts, against the indentation of the object it is in.
enum LineStart {
    /// More than `indent` spaces: a line inside the object.
    Deeper,
    /// Exactly `indent` spaces and `}`: the object's closing line.
    Closing,
    /// Anything else: the layout does not hold.
    Other,
}

/// Classifies the line starting at `after` (the bytes after a newline).
fn line_start(after: &[u8], indent: usize) -> LineStart {
    let spaces = after.iter().take(indent + 1).take_while(|&&b| b == b' ').count();
    if spaces > indent {
        LineStart::Deeper
    } else if spaces == indent && after.get(indent) == Some(&b'}') {
        LineStart::Closing
    } else {
        LineStart::Other
    }
}

/// Whether an object whose `{` is at column `indent + 1` ends at its first
/// line back at that indentation, as [`Scanner::cut_indented`] assumes.
fn indented_alike(bytes: &[u8], indent: usize) -> bool {
    for p in memchr::memchr_iter(b'\n', bytes) {
        let after = bytes.get(p + 1..).unwrap_or_default();
        match line_start(after, indent) {
            LineStart::Deeper => continue,
            // The closing line must end the object.
            LineStart::Closing => return after.len() == indent + 1,
            LineStart::Other => return false,
        }
    }
    false
}

/// Whether `bytes` hold exactly one value whose first bracket closes at
/// the last byte, its strings found as the walker finds them (through
/// [`Repairer`]'s rules: escapes, and the unquoted `document_id` values,
/// which run to the end of their line). A message cut out by its layout is
/// kept only when this holds, so that the cut ends where walking would end
/// it (a valid file can hold a line that looks like the message's end).
/// Strings are skipped with a SIMD search; only the bytes between them are
/// looked at one by one.
fn one_value(bytes: &[u8]) -> bool {
    let mut depth = 0u64;
    let mut i = 0;
    let (mut after_doc_key, mut doc_value) = (false, false);
    while let Some(&b) = bytes.get(i) {
        let rest = bytes.get(i..).unwrap_or_default();
        if doc_value && !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            doc_value = false;
            if !repair::doc_value_is_json(rest) {
                // An unquoted value: a string up to the end of its line.
                i += memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
                continue;
            }
        }
        match b {
            b'"' => {
                let Some(end) = string_end(rest) else { return false };
                after_doc_key = rest.get(1..end) == Some(b"document_id");
                i += end + 1;
                continue;
            }
            b':' => {
                doc_value = after_doc_key;
                after_doc_key = false;
            }
            b'{' | b'[' => {
                depth += 1;
                after_doc_key = false;
            }
            b'}' | b']' => {
                after_doc_key = false;
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                if depth == 0 {
                    return i + 1 == bytes.len();
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => after_doc_key = false,
        }
        i += 1;
    }
    false
}

/// The index of the `"` that closes the string opening `s` (at `s[0]`):
/// a backslash escapes the byte after it, whatever it is.
fn string_end(s: &[u8]) -> Option<usize> {
    let mut at = 1;
    loop {
        let found = at + memchr::memchr2(b'"', b'\\', s.get(at..)?)?;
        match s.get(found) {
            Some(b'\\') => at = found + 2,
            _ => return Some(found),
        }
    }
}

fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02X}")
    }
}

/// serde_json appends " at line L column C"; our position already says it.
fn strip_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
        None => msg,
    }
}

// ---------------------------------------------------------------------------
// The scanner: structure only, never values.

enum ScanError {
    Io(std::io::Error),
    Eof,
    TooLarge,
    Unbalanced(u8),
}

/// Pulls bytes through the repairer and knows where JSON values end.
struct Scanner<R> {
    src: R,
    buf: Vec<u8>,
    at: usize,
    len: usize,
    eof: bool,
    rep: Repairer,
    /// Input byte offset of the next byte.
    byte: u64,
    sink: Vec<u8>,
}

impl<R: Read> Scanner<R> {
    fn new(src: R) -> Scanner<R> {
        Scanner {
            src,
            buf: vec![0; 256 * 1024],
            at: 0,
            len: 0,
            eof: false,
            rep: Repairer::new(),
            byte: 0,
            sink: Vec::new(),
        }
    }

    #[inline]
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if self.at >= self.len {
            if self.eof {
                return Ok(None);
            }
            loop {
                match self.src.read(&mut self.buf) {
                    Ok(0) => {
                        self.eof = true;
                        return Ok(None);
                    }
                    Ok(n) => {
                        self.at = 0;
                        self.len = n;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.buf.get(self.at).copied())
    }

    /// Consumes the next byte through the repairer into `out`.
    #[inline]
    fn bump(&mut self, out: &mut Vec<u8>) -> std::io::Result<Option<(u8, Class)>> {
        let Some(b) = self.peek()? else {
            return Ok(None);
        };
        self.at += 1;
        self.byte += 1;
        Ok(Some((b, self.rep.feed(b, out))))
    }

    fn bump_discard(&mut self) -> std::io::Result<()> {
        let mut sink = std::mem::take(&mut self.sink);
        self.bump(&mut sink)?;
        sink.clear();
        self.sink = sink;
        Ok(())
    }

    /// Skips whitespace; returns the next byte without consuming it.
    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.bump_discard()?,
                other => return Ok(other),
            }
        }
    }

    /// Consumes one JSON value (the scanner is at its first byte), appending
    /// its repaired bytes to `out` up to `limit` bytes.
    /// A value over `limit` is still consumed to its end (so the caller can go
    /// on with the next one) but not kept, and gives `TooLarge`.
    fn capture(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), ScanError> {
        self.walk(out, limit)
    }

    /// Consumes one value without keeping it.
    fn skip(&mut self) -> Result<(), ScanError> {
        let mut sink = std::mem::take(&mut self.sink);
        let result = self.walk(&mut sink, 0);
        sink.clear();
        self.sink = sink;
        match result {
            Err(ScanError::TooLarge) => Ok(()),
            other => other,
        }
    }

    /// The value walker behind [`Scanner::capture`] and [`Scanner::skip`]:
    /// bulk copies where nothing can happen (string runs, found with SIMD;
    /// runs of indentation), the repairer byte by byte everywhere else.
    fn walk(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), ScanError> {
        let mut depth = 0u64;
        let mut over = false;
        let done = |over: bool| if over { Err(ScanError::TooLarge) } else { Ok(()) };
        loop {
            self.bulk(out, depth > 0);
            let Some((b, class)) = self.bump(out).map_err(ScanError::Io)? else {
                return Err(ScanError::Eof);
            };
            // `limit` 0 (skipping), or a value found too large: emptied as
            // it goes, never holding more than 64 KiB (the memory of a
            // value over `limit` is given back at once).
            if out.len() > if limit == 0 || over { 64 * 1024 } else { limit } {
                if over || limit == 0 {
                    out.clear();
                } else {
                    *out = Vec::new();
                }
                over = true;
            }
            match class {
                Class::Outside => match b {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            return Err(ScanError::Unbalanced(b));
                        }
                        depth -= 1;
                        if depth == 0 {
                            return done(over);
                        }
                    }
                    _ if depth == 0 => {
                        // A number or literal at the top: it ends before the
                        // next delimiter.
                        match self.peek().map_err(ScanError::Io)? {
                            Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') | None => {
                                return done(over)
                            }
                            Some(_) => {}
                        }
                    }
                    _ => {}
                },
                Class::StringEnd if depth == 0 => return done(over),
                _ => {}
            }
        }
    }

    /// Cuts out the object that starts at the scanner (a `{` at column
    /// `indent + 1`) by its layout alone: it ends at the first line made of
    /// `indent` spaces and `}`, and every line before that must be indented
    /// deeper. Returns the object's raw (unrepaired) bytes and the number of
    /// newlines in it, or `None`, having consumed nothing, when the layout
    /// does not hold within `limit` bytes (or the file ends first): the
    /// caller then walks the object byte by byte.
    ///
    /// Sound because a raw newline cannot occur inside a JSON string: in a
    /// file indented consistently, the first line back at the object's own
    /// indentation is its closing line. (A Telegram Desktop value repaired
    /// by [`Repairer`] also ends at its line's end.)
    fn cut_indented(
        &mut self,
        indent: usize,
        limit: usize,
    ) -> std::io::Result<Option<(Vec<u8>, u64)>> {
        let mut searched = 1; // bytes of the window known to hold no end
        let mut newlines = 0u64;
        loop {
            let window = self.buf.get(self.at..self.len).unwrap_or_default();
            let mut short = false;
            for nl in memchr::memchr_iter(b'\n', window.get(searched..).unwrap_or_default()) {
                let p = searched + nl;
                let Some(after) = window.get(p + 1..p + 2 + indent) else {
                    // The line's start is not in the window yet.
                    searched = p;
                    short = true;
                    break;
                };
                newlines += 1;
                match line_start(after, indent) {
                    LineStart::Deeper => continue,
                    LineStart::Other => return Ok(None),
                    LineStart::Closing => {}
                }
                let end = p + 2 + indent;
                // What follows must be `,` and the next `{`, or the
                // array's `]`; otherwise the layout was wrong after all
                // (a raw newline in a broken string): walk instead.
                match follows_element(window.get(end..).unwrap_or_default()) {
                    Some(true) => {}
                    Some(false) => return Ok(None),
                    None => {
                        // Undecided: the window ends too soon.
                        searched = p;
                        short = true;
                        newlines -= 1;
                        break;
                    }
                }
                let bytes = window.get(..end).unwrap_or_default();
                // A line that only looks like the end (a valid file may
                // indent a nested value's `}` at the message's level): the
                // cut must be exactly one value, or the message is walked.
                if !one_value(bytes) {
                    return Ok(None);
                }
                let bytes = bytes.to_vec();
                self.at += end;
                self.byte += end as u64;
                return Ok(Some((bytes, newlines)));
            }
            if !short {
                searched = window.len();
            }
            if window.len() >= limit || !self.fill_more()? {
                return Ok(None);
            }
            // A short line was not counted: it is looked at again after the
            // refill.
        }
    }

    /// Reads more input after what the buffer holds (moving the unread
    /// bytes to its front, growing it when they fill it); `false` at end of
    /// input.
    fn fill_more(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let unread = self.len - self.at;
        self.buf.copy_within(self.at..self.len, 0);
        self.at = 0;
        self.len = unread;
        if self.len == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            let Some(room) = self.buf.get_mut(self.len..) else { return Ok(false) };
            match self.src.read(room) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Copies, from the buffer, a run of bytes that needs no attention:
    /// string bytes up to the next quote, backslash or newline, or (inside
    /// a value, `nested`) bytes between tokens up to the next quote, colon
    /// or bracket. Both runs are found with SIMD.
    #[inline]
    fn bulk(&mut self, out: &mut Vec<u8>, nested: bool) {
        let avail = self.buf.get(self.at..self.len).unwrap_or_default();
        let (n, in_string) = if self.rep.in_plain_string() {
            (memchr::memchr3(b'"', b'\\', b'\n', avail).unwrap_or(avail.len()), true)
        } else if self.rep.in_string() || !nested || self.rep.expects_value_check() {
            return;
        } else {
            let stop = |b: &u8| matches!(b, b'"' | b':' | b'{' | b'}' | b'[' | b']');
            (avail.iter().position(stop).unwrap_or(avail.len()), false)
        };
        if n == 0 {
            return;
        }
        let chunk = avail.get(..n).unwrap_or_default();
        if in_string {
            self.rep.advance_plain(chunk);
        } else {
            self.rep.advance_between(chunk);
        }
        out.extend_from_slice(chunk);
        self.at += n;
        self.byte += n as u64;
    }
}

// ---------------------------------------------------------------------------
// One message: the raw shape (serde) and its mapping onto the model.

/// An object key, borrowed from the slice when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One text part: a bare string (plain) or `{"type", "text", …attrs}`.
#[derive(Clone, Debug, PartialEq)]
struct Part {
    kind: Option<String>,
    text: String,
    attrs: Extra,
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Part;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text part (a string or an object with `type` and `text`)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Part, E> {
                Ok(Part { kind: None, text: v.to_owned(), attrs: Extra::new() })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Part, E> {
                Ok(Part { kind: None, text: v, attrs: Extra::new() })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Part, A::Error> {
                let mut kind = None;
                let mut text = None;
                let mut attrs = Extra::new();
                while let Some(Key(k)) = map.next_key()? {
                    match k.as_ref() {
                        "type" if kind.is_none() => kind = Some(map.next_value::<String>()?),
                        "text" if text.is_none() => text = Some(map.next_value::<String>()?),
                        // No writer repeats these in a part; which one would
                        // be meant cannot be told (serde's own structs
                        // reject duplicate fields too).
                        "type" | "text" => {
                            return Err(de::Error::custom(format!(
                                "a text part with a second `{k}`"
                            )))
                        }
                        _ => {
                            let v: Value = map.next_value()?;
                            attrs.insert(k.into_owned(), v);
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::custom("text part without `type`"))?;
                let text = text.ok_or_else(|| de::Error::custom("text part without `text`"))?;
                Ok(Part { kind: Some(kind), text, attrs })
            }
        }
        d.deserialize_any(V)
    }
}

/// A text value: a string, or an array of parts.
#[derive(Clone, Debug)]
enum TextValue {
    Plain(String),
    Parts(Vec<Part>),
}

impl<'de> Deserialize<'de> for TextValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`text` as a string or an array of parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextValue, E> {
                Ok(TextValue::Plain(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextValue, E> {
                Ok(TextValue::Plain(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextValue, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(p) = seq.next_element::<Part>()? {
                    parts.push(p);
                }
                Ok(TextValue::Parts(parts))
            }
        }
        d.deserialize_any(V)
    }
}

impl TextValue {
    fn to_value(&self) -> Value {
        match self {
            TextValue::Plain(s) => Value::String(s.clone()),
            TextValue::Parts(parts) => {
                Value::Array(parts.iter().map(|p| part_value(p, false)).collect())
            }
        }
    }
}

fn part_value(p: &Part, entities: bool) -> Value {
    match &p.kind {
        None if !entities => Value::String(p.text.clone()),
        kind => {
            let mut m = Extra::new();
            m.insert("type".into(), Value::String(kind.clone().unwrap_or_else(|| "plain".into())));
            m.insert("text".into(), Value::String(p.text.clone()));
            for (k, v) in &p.attrs {
                m.insert(k.clone(), v.clone());
            }
            Value::Object(m)
        }
    }
}

enum Field {
    Text(TextValue),
    Entities(Vec<Part>),
    Value(Value),
}

/// A message as its keys and values, in input order. Only `text` and
/// `text_entities` are typed while parsing (they are most of the bytes);
/// everything else is a small `Value` checked by the mapping.
struct RawMessage<'de> {
    fields: Vec<(Cow<'de, str>, Field)>,
}

impl<'de> Deserialize<'de> for RawMessage<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMessage<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMessage<'de>, A::Error> {
                let mut fields = Vec::with_capacity(24);
                while let Some(Key(k)) = map.next_key()? {
                    let f = match k.as_ref() {
                        "text" => Field::Text(
                            map.next_value()
                                .map_err(|e: A::Error| de::Error::custom(format!("`text`: {e}")))?,
                        ),
                        "text_entities" => {
                            Field::Entities(map.next_value().map_err(|e: A::Error| {
                                de::Error::custom(format!("`text_entities`: {e}"))
                            })?)
                        }
                        _ => Field::Value(map.next_value()?),
                    };
                    fields.push((k, f));
                }
                Ok(RawMessage { fields })
            }
        }
        d.deserialize_map(V)
    }
}

/// What the mapping needs to know about where a message came from.
struct MapContext<'a> {
    file: &'a str,
    index: u64,
    line: u64,
    end_line: u64,
    byte: u64,
    x_escapes: bool,
}

/// Parses one message slice and maps it; errors carry `pos` (message start)
/// refined by serde_json's line and column inside the slice.
fn map_slice(buf: &[u8], ctx: &MapContext, chat: &mut ChatState, pos: &Position) -> Result<Post> {
    // One UTF-8 check for the whole message (cheaper than one per string).
    // simdutf8 checks valid input several times faster than `std` (Arabic
    // and Cyrillic text is mostly multi-byte); on failure `std` says where.
    let checked = match simdutf8::basic::from_utf8(buf) {
        Ok(t) => Ok(t),
        Err(_) => std::str::from_utf8(buf),
    };
    let text = match checked {
        Ok(t) => t,
        Err(e) => {
            let valid = buf.get(..e.valid_up_to()).unwrap_or_default();
            let (line, column) = where_in(valid, pos);
            let mut p = pos.clone();
            p.line = Some(line);
            p.column = Some(column);
            let lossy = String::from_utf8_lossy(buf);
            let id = peek_id(lossy.as_bytes()).map(|id| format!("message {id}: "));
            let id = id.unwrap_or_default();
            let byte = buf.get(e.valid_up_to()).copied().unwrap_or(0);
            return Err(Error::new(
                p,
                ErrorKind::Encoding(format!("{id}invalid UTF-8 (byte 0x{byte:02X})")),
            ));
        }
    };
    let raw: RawMessage = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let mut p = pos.clone();
            if e.line() > 0 {
                let line = e.line() as u64;
                p.line = Some(pos.line.unwrap_or(1) + line - 1);
                // serde_json's column is 0 before a line's first character.
                let column = (e.column() as u64).max(1);
                p.column =
                    Some(if line == 1 { pos.column.unwrap_or(1) + column - 1 } else { column });
            }
            let id = peek_id(buf).map(|id| format!("message {id}: ")).unwrap_or_default();
            let kind = if e.is_syntax() || e.is_eof() {
                ErrorKind::Json(format!("{id}{}", strip_position(&e)))
            } else {
                ErrorKind::Data(format!("{id}{}", strip_position(&e)))
            };
            return Err(Error::new(p, kind));
        }
    };
    map_message(raw, ctx, chat).map_err(|(id, field, what)| {
        let mut p = pos.clone();
        if let (Some(ptr), Some(field)) = (p.pointer.as_mut(), field) {
            ptr.push('/');
            ptr.push_str(&field.replace('~', "~0").replace('/', "~1"));
        }
        let id = id.map(|id| format!("message {id}: ")).unwrap_or_default();
        Error::data(p, format!("{id}{what}"))
    })
}

/// The line and 1-based column in the file of the byte after `before`, the
/// start of a message that begins at `start`. Columns count characters.
fn where_in(before: &[u8], start: &Position) -> (u64, u64) {
    let (line, column) = (start.line.unwrap_or(1), start.column.unwrap_or(1));
    let chars = |b: &[u8]| String::from_utf8_lossy(b).chars().count() as u64;
    match memchr::memrchr(b'\n', before) {
        Some(last) => (
            line + memchr::memchr_iter(b'\n', before).count() as u64,
            1 + chars(before.get(last + 1..).unwrap_or_default()),
        ),
        None => (line, column + chars(before)),
    }
}

/// The `id` of a message that failed to parse, if it can be found at all.
fn peek_id(buf: &[u8]) -> Option<i64> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<i64>,
    }
    serde_json::from_slice::<IdOnly>(buf).ok()?.id
}

type MapError = (Option<i64>, Option<String>, String);

const USER_TYPES: [&str; 5] =
    ["personal_chat", "bot_chat", "saved_messages", "replies", "verification_codes"];

/// The peer-id prefix a chat type implies (`user`, `chat`, `channel`).
pub fn chat_prefix(kind: &str) -> Option<&'static str> {
    if USER_TYPES.contains(&kind) {
        Some("user")
    } else if kind == "private_group" {
        Some("chat")
    } else if kind.ends_with("_supergroup") || kind.ends_with("_channel") {
        Some("channel")
    } else {
        None
    }
}

fn is_peer_id(s: &str) -> bool {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let prefix_len = s.len() - digits.len();
    prefix_len > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl ChatState {
    /// The chat of every post, decided at the first message: the id is
    /// decoded only when the file is known to write bare ids (string peer
    /// ids or `date_unixtime`, i.e. 2021-04 or later).
    fn chat(&mut self, modern: Option<bool>) -> (Option<Chat>, Option<Value>) {
        if let Some(d) = &self.decided {
            return d.clone();
        }
        let modern = modern.or(self.era);
        self.era = modern;
        let name = self.name.clone().flatten();
        let kind = self.kind.clone().flatten();
        let mut raw_id = None;
        let mut id = None;
        if let Some(v) = &self.id {
            let prefix = kind.as_deref().and_then(chat_prefix);
            match (modern, prefix, v.as_i64()) {
                (Some(true), Some(p), Some(n)) if n >= 0 => id = Some(format!("{p}{n}")),
                _ => raw_id = Some(v.clone()),
            }
        }
        let chat = if name.is_none() && kind.is_none() && id.is_none() && raw_id.is_none() {
            None
        } else {
            Some(Chat { name, id, username: None, kind })
        };
        self.decided = Some((chat, raw_id));
        self.decided.clone().unwrap_or((None, None))
    }
}

/// Media keys that start a media entry, and the `type` it gets.
fn media_start(key: &str) -> Option<&'static str> {
    Some(match key {
        "photo" => "photo",
        "file" | "media_type" => "document",
        "contact_information" | "contact_vcard" => "contact",
        "location_information" => "location",
        "place_name" => "venue",
        "game_title" => "game",
        "invoice_information" => "invoice",
        "poll" => "poll",
        "todo_list" => "todo_list",
        "giveaway_information" => "giveaway",
        "giveaway_results" => "giveaway_results",
        "paid_stars_amount" => "paid_media",
        _ => return None,
    })
}

/// Keys that describe the current media entry.
fn media_attr(key: &str) -> bool {
    matches!(
        key,
        "photo_file_size"
            | "file_name"
            | "file_size"
            | "thumbnail"
            | "thumbnail_file_size"
            | "media_type"
            | "sticker_emoji"
            | "performer"
            | "title"
            | "mime_type"
            | "duration_seconds"
            | "width"
            | "height"
            | "media_spoiler"
            | "self_destruct_period_seconds"
            | "contact_vcard"
            | "contact_vcard_file_size"
            | "location_information"
            | "live_location_period_seconds"
            | "address"
            | "game_description"
            | "game_link"
    )
}

/// `media_type` → the model's media type (DESIGN.md names).
pub fn media_kind(media_type: &str) -> &str {
    match media_type {
        "video_file" => "video",
        "audio_file" => "audio",
        other => other,
    }
}

fn status_of(path: &str) -> MediaStatus {
    match path {
        NOT_INCLUDED => MediaStatus::NotIncluded,
        TOO_BIG => MediaStatus::TooBig,
        UNAVAILABLE => MediaStatus::Unavailable,
        _ => MediaStatus::Ok,
    }
}

/// Model fields that tgnorm writes under the `tgnorm` key of a message.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Hint {
    views: Option<u64>,
    cleaned: Vec<String>,
    flags: Vec<String>,
    #[serde(default, deserialize_with = "some")]
    chat: Option<Option<Chat>>,
    chat_id: Option<Value>,
    trailing_empty: bool,
    x_escapes: bool,
    id_assigned: bool,
    date_unknown: bool,
    edited: bool,
    reply_to: Option<ReplyHint>,
    forwarded_from: Option<ForwardHint>,
    media: Vec<Media>,
}

fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ReplyHint {
    author: Option<String>,
    quote: Option<String>,
    source_line: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ForwardHint {
    username: Option<String>,
    message_id: Option<i64>,
    date: Option<String>,
}

fn map_message(raw: RawMessage, ctx: &MapContext, chat: &mut ChatState) -> Result<Post, MapError> {
    let mut id: Option<i64> = None;
    // Errors name the message by id once it is known.
    macro_rules! fail {
        ($field:expr, $($arg:tt)*) => {
            return Err((id, Some($field.to_string()), format!($($arg)*)))
        };
    }
    let mut post = Post {
        source: Source {
            format: FORMAT.into(),
            file: ctx.file.to_owned(),
            line: Some(ctx.line),
            end_line: Some(ctx.end_line),
            index: Some(ctx.index),
            byte: Some(ctx.byte),
            ..Source::default()
        },
        ..Post::default()
    };
    let mut kind: Option<Kind> = None;
    let mut date: Option<String> = None;
    let mut date_unixtime: Option<Value> = None;
    let mut edited: Option<Value> = None;
    let mut edited_unixtime: Option<Value> = None;
    let mut text: Option<TextValue> = None;
    let mut entities: Option<Vec<Part>> = None;
    let mut service = Service::default();
    let mut is_service_data = false;
    let mut media: Option<Media> = None;
    let mut hint: Option<Hint> = None;
    let mut hint_raw: Option<Value> = None;
    let mut layout = Extra::new();
    let mut modern: Option<bool> = None;

    let str_or_null = |v: &Value| -> Option<Option<String>> {
        match v {
            Value::String(s) => Some(Some(s.clone())),
            Value::Null => Some(None),
            _ => None,
        }
    };

    for (key, field) in raw.fields {
        let key: &str = key.as_ref();
        let value = match field {
            Field::Text(t) => {
                if let Some(prev) = text.replace(t) {
                    // A duplicate `text` (send_webview_data, send_star_gift):
                    // the first one is the action's.
                    let v = prev.to_value();
                    if kind == Some(Kind::Service) {
                        service.details.insert("text".into(), v);
                    } else {
                        post.extra.insert("text".into(), v);
                    }
                }
                continue;
            }
            Field::Entities(e) => {
                entities = Some(e);
                continue;
            }
            Field::Value(v) => v,
        };
        let in_service = kind == Some(Kind::Service);
        match key {
            "id" => match value.as_i64() {
                Some(n) => id = Some(n),
                None => fail!("id", "`id` must be an integer, found {}", brief(&value)),
            },
            "type" => {
                kind = Some(match value.as_str() {
                    Some("message") => Kind::Message,
                    Some("service") => Kind::Service,
                    Some("unsupported") => Kind::Unsupported,
                    _ => fail!("type", "unknown message type {}", brief(&value)),
                })
            }
            // Dates are checked here so that no impossible date reaches a
            // post, not even in `extra`.
            "date" | "edited" => match value {
                Value::String(s) if dates::is_instant(&s) => {
                    if key == "date" {
                        date = Some(s);
                    } else {
                        edited = Some(Value::String(s));
                    }
                }
                other => fail!(key, "`{key}` is not a date and time: {}", brief(&other)),
            },
            "date_unixtime" | "edited_unixtime" => {
                if !value.as_str().is_some_and(dates::is_unixtime) {
                    fail!(key, "`{key}` is not a Unix time (an integer string): {}", brief(&value));
                }
                if key == "date_unixtime" {
                    modern = modern.or(Some(true));
                    date_unixtime = Some(value);
                } else {
                    edited_unixtime = Some(value);
                }
            }
            "actor" if in_service && text.is_none() => match str_or_null(&value) {
                Some(name) => service.actor.get_or_insert_with(Peer::default).name = name,
                None => fail!("actor", "`actor` must be a string or null, found {}", brief(&value)),
            },
            "actor_id" if in_service && text.is_none() => match &value {
                Value::String(s) if is_peer_id(s) => {
                    modern = modern.or(Some(true));
                    service.actor.get_or_insert_with(Peer::default).id = Some(s.clone());
                }
                Value::Number(_) => {
                    modern = modern.or(Some(false));
                    post.extra.insert(key.into(), value);
                }
                _ => fail!("actor_id", "`actor_id` is not a peer id: {}", brief(&value)),
            },
            "action" if in_service && text.is_none() => match value {
                Value::String(s) => {
                    service.action = Some(s);
                    is_service_data = true;
                }
                other => fail!("action", "`action` must be a string, found {}", brief(&other)),
            },
            _ if in_service && text.is_none() && !matches!(key, "reactions" | TGNORM_KEY) => {
                // Everything a service message says before its text belongs to
                // the action (§2.5), `from`/`photo`/… included.
                is_service_data = true;
                service.details.insert(key.into(), value);
            }
            "from" => match str_or_null(&value) {
                Some(name) => post.from.get_or_insert_with(Peer::default).name = name,
                None => fail!("from", "`from` must be a string or null, found {}", brief(&value)),
            },
            "from_id" => match &value {
                Value::String(s) if is_peer_id(s) => {
                    modern = modern.or(Some(true));
                    post.from.get_or_insert_with(Peer::default).id = Some(s.clone());
                }
                Value::Number(_) => {
                    modern = modern.or(Some(false));
                    post.extra.insert(key.into(), value);
                }
                _ => fail!(
                    "from_id",
                    "`from_id` is not a peer id (userN, chatN, channelN or an integer): {}",
                    brief(&value)
                ),
            },
            "author" => match value {
                Value::String(s) => post.author = Some(s),
                other => fail!("author", "`author` must be a string, found {}", brief(&other)),
            },
            "forwarded_from" => match str_or_null(&value) {
                Some(name) => post.forwarded_from.get_or_insert_with(Forward::default).name = name,
                None => fail!(
                    "forwarded_from",
                    "`forwarded_from` must be a string or null, found {}",
                    brief(&value)
                ),
            },
            "forwarded_from_id" => match value {
                Value::String(s) => {
                    post.forwarded_from.get_or_insert_with(Forward::default).id = Some(s)
                }
                other => {
                    post.forwarded_from.get_or_insert_with(Forward::default);
                    post.extra.insert(key.into(), other);
                }
            },
            "reply_to_message_id" => match value.as_i64() {
                Some(n) => post.reply_to.get_or_insert_with(Reply::default).message_id = Some(n),
                None => fail!(
                    "reply_to_message_id",
                    "`reply_to_message_id` must be an integer, found {}",
                    brief(&value)
                ),
            },
            "reply_to_peer_id" => match value {
                Value::String(s) => {
                    post.reply_to.get_or_insert_with(Reply::default).peer_id = Some(s)
                }
                other => {
                    post.reply_to.get_or_insert_with(Reply::default);
                    post.extra.insert(key.into(), other);
                }
            },
            "via_bot" => match value {
                Value::String(s) => post.via_bot = Some(s),
                other => fail!("via_bot", "`via_bot` must be a string, found {}", brief(&other)),
            },
            "reactions" => {
                post.reactions =
                    reactions(value).map_err(|what| (id, Some(key.to_string()), what))?
            }
            TGNORM_KEY => match serde_json::from_value::<Hint>(value.clone()) {
                Ok(h) => (hint, hint_raw) = (Some(h), Some(value)),
                Err(_) => {
                    post.extra.insert(key.into(), value);
                }
            },
            _ => {
                let starts = media_start(key);
                let attaches = media.as_ref().is_some_and(|m| {
                    media_attr(key)
                        && !(key == "location_information" && m.kind != "venue")
                        && !(key == "contact_vcard" && m.kind != "contact")
                        && !(key == "media_type" && m.kind != "document")
                });
                if attaches {
                    if let Some(m) = media.as_mut() {
                        media_field(m, key, value)
                            .map_err(|what| (id, Some(key.to_string()), what))?;
                    }
                } else if let Some(start) = starts {
                    if let Some(done) = media.take() {
                        post.media.push(done);
                    }
                    let mut m = Media::new(start, MediaStatus::Ok);
                    media_field(&mut m, key, value)
                        .map_err(|what| (id, Some(key.to_string()), what))?;
                    media = Some(m);
                } else {
                    post.extra.insert(key.into(), value);
                }
            }
        }
    }
    if let Some(m) = media.take() {
        post.media.push(m);
    }
    let Some(id_value) = id else {
        return Err((None, None, "message without `id`".into()));
    };
    post.id = Some(id_value);
    let Some(kind) = kind else {
        fail!("type", "message without `type`");
    };
    post.kind = kind;

    // Dates.
    match (date, kind) {
        (Some(d), _) => {
            match date_unixtime.as_ref().and_then(Value::as_str).and_then(|u| dates::join(&d, u)) {
                Some(joined) => post.date = Some(joined),
                None => {
                    if let Some(u) = date_unixtime {
                        post.extra.insert("date_unixtime".into(), u);
                    }
                    post.date = Some(d);
                }
            }
        }
        (None, Kind::Unsupported) => {
            if let Some(u) = date_unixtime {
                post.extra.insert("date_unixtime".into(), u);
            }
        }
        (None, _) => fail!("date", "message without `date`"),
    }
    if let Some(e) = edited {
        let joined = match (&e, &edited_unixtime) {
            (Value::String(d), Some(Value::String(u))) => dates::join(d, u),
            _ => None,
        };
        match (joined, e) {
            (Some(j), _) => post.edited = Some(Edited::At(j)),
            (None, Value::String(d))
                if edited_unixtime.is_none() && !d.starts_with("1970-01-01") =>
            {
                post.edited = Some(Edited::At(d));
            }
            (None, e) => {
                // Before 2.1.9 `edited` was always written, 1970 meaning "not
                // edited" (§2.3); anything else unjoinable is kept as it was.
                post.extra.insert("edited".into(), e);
                if let Some(u) = edited_unixtime {
                    post.extra.insert("edited_unixtime".into(), u);
                }
            }
        }
    } else if let Some(u) = edited_unixtime {
        post.extra.insert("edited_unixtime".into(), u);
    }

    // Text.
    match text {
        Some(t) => {
            match entities {
                None => {
                    layout.insert("text_entities".into(), Value::Bool(false));
                }
                Some(e) => {
                    if !entities_match(&t, &e) {
                        post.extra.insert(
                            "text_entities".into(),
                            Value::Array(e.iter().map(|p| part_value(p, true)).collect()),
                        );
                    }
                }
            }
            let (spans, trailing) = spans_of(t);
            post.text = spans;
            if trailing {
                layout.insert("trailing_empty".into(), Value::Bool(true));
            }
        }
        None if kind == Kind::Message && !post.extra.contains_key(rich::KEY) => {
            fail!("text", "message without `text`")
        }
        None => {
            if let Some(e) = entities {
                post.extra.insert(
                    "text_entities".into(),
                    Value::Array(e.iter().map(|p| part_value(p, true)).collect()),
                );
            } else if kind != Kind::Unsupported {
                layout.insert("text".into(), Value::Bool(false));
            }
        }
    }
    if kind == Kind::Service || is_service_data {
        post.service = Some(service);
    }
    if ctx.x_escapes {
        layout.insert("x_escapes".into(), Value::Bool(true));
    }

    // Chat.
    let (chat_ref, raw_chat_id) = chat.chat(modern);
    post.chat = chat_ref;
    if let Some(raw) = raw_chat_id {
        layout.insert("chat_id".into(), raw);
    }

    if let Some(mut h) = hint {
        if let Some(raw) = h.chat_id.take() {
            layout.insert("chat_id".into(), raw);
        }
        if h.trailing_empty {
            layout.insert("trailing_empty".into(), Value::Bool(true));
        }
        if h.x_escapes {
            layout.insert("x_escapes".into(), Value::Bool(true));
        }
        apply_hint(&mut post, h);
    }
    if let Some(raw) = hint_raw {
        crate::format::tdesktop_json::apply_hint(&mut post, &raw);
    }
    rich::recover(&mut post);
    if !layout.is_empty() {
        // One fixed key order, whichever way each fact arrived.
        let mut ordered = Extra::new();
        for key in ["text", "text_entities", "trailing_empty", "x_escapes", "chat_id"] {
            if let Some(v) = layout.remove(key) {
                ordered.insert(key.into(), v);
            }
        }
        ordered.extend(layout);
        post.extra.insert(LAYOUT_KEY.into(), Value::Object(ordered));
    }
    Ok(post)
}

fn apply_hint(post: &mut Post, h: Hint) {
    post.views = h.views.or(post.views);
    post.cleaned = h.cleaned;
    for f in h.flags {
        post.source.flag(&f);
    }
    if let Some(chat) = h.chat {
        post.chat = chat;
    }
    if h.id_assigned {
        post.source.flag("id_assigned");
    }
    if h.date_unknown {
        post.date = None;
    }
    if h.edited && post.edited.is_none() {
        post.edited = Some(Edited::Unknown);
    }
    if let Some(r) = h.reply_to {
        let reply = post.reply_to.get_or_insert_with(Reply::default);
        reply.author = r.author;
        reply.quote = r.quote;
        reply.source_line = r.source_line;
    }
    if let Some(f) = h.forwarded_from {
        let fwd = post.forwarded_from.get_or_insert_with(Forward::default);
        fwd.username = f.username;
        fwd.message_id = f.message_id;
        fwd.date = f.date;
    }
    post.media.extend(h.media);
}

fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn u64_of(v: &Value, key: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| format!("`{key}` must be a non-negative integer, found {}", brief(v)))
}

fn str_of(v: Value, key: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(format!("`{key}` must be a string, found {}", brief(&other))),
    }
}

/// Puts one media key into a media entry.
fn media_field(m: &mut Media, key: &str, value: Value) -> Result<(), String> {
    match key {
        "photo" | "file" => {
            let path = str_of(value, key)?;
            m.status = status_of(&path);
            if m.status == MediaStatus::Ok {
                m.file = Some(path);
            }
        }
        "media_type" => {
            let t = str_of(value, key)?;
            m.kind = media_kind(&t).to_owned();
        }
        "photo_file_size" | "file_size" => m.file_size = Some(u64_of(&value, key)?),
        "file_name" => m.file_name = Some(str_of(value, key)?),
        "mime_type" => m.mime_type = Some(str_of(value, key)?),
        "duration_seconds" => m.duration_seconds = Some(u64_of(&value, key)?),
        "width" => m.width = Some(u64_of(&value, key)?),
        "height" => m.height = Some(u64_of(&value, key)?),
        "title" if m.kind != "venue" && m.kind != "game" => m.title = Some(str_of(value, key)?),
        "place_name" | "game_title" if m.title.is_none() => m.title = Some(str_of(value, key)?),
        _ => {
            m.extra.insert(key.into(), value);
        }
    }
    Ok(())
}

fn reactions(value: Value) -> Result<Vec<Reaction>, String> {
    let Value::Array(items) = value else {
        return Err(format!("`reactions` must be an array, found {}", brief(&value)));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = item else {
            return Err(format!("a reaction must be an object, found {}", brief(&item)));
        };
        let mut kind = None;
        let mut count = None;
        let mut emoji = None;
        let mut extra = Extra::new();
        for (k, v) in map {
            match k.as_str() {
                "type" if kind.is_none() => kind = Some(str_of(v, "reactions[].type")?),
                "count" if count.is_none() => count = Some(u64_of(&v, "reactions[].count")?),
                "emoji" if emoji.is_none() && v.is_string() => {
                    emoji = v.as_str().map(str::to_owned)
                }
                _ => {
                    extra.insert(k, v);
                }
            }
        }
        let kind = kind.ok_or("a reaction without `type`")?;
        let count = count.ok_or("a reaction without `count`")?;
        out.push(Reaction { kind, count, emoji, extra });
    }
    Ok(out)
}

/// Spans of a text value, and whether it ended with an empty plain part
/// after an entity (the UTF-8/UTF-16 length bug of §2.6).
/// Takes the value (its strings are moved, not copied: a message's text is
/// most of its bytes).
fn spans_of(t: TextValue) -> (Text, bool) {
    match t {
        TextValue::Plain(s) => (Text::plain(s), false),
        TextValue::Parts(parts) => {
            let mut text = Text::default();
            let last = parts.len().saturating_sub(1);
            let mut trailing = false;
            for (i, p) in parts.into_iter().enumerate() {
                match p.kind {
                    None => {
                        if p.text.is_empty() && i == last && i > 0 {
                            trailing = true;
                        }
                        match text.spans.last() {
                            Some(prev) if prev.style.is_none() => text.push(&p.text, None),
                            _ if p.text.is_empty() => {}
                            _ => text.spans.push(Span { text: p.text, style: None }),
                        }
                    }
                    Some(kind) => text
                        .spans
                        .push(Span { text: p.text, style: Some(Style { kind, attrs: p.attrs }) }),
                }
            }
            (text, trailing)
        }
    }
}

/// True when `text_entities` says exactly what `text` says (the normal
/// case), so that the writer can derive it again.
fn entities_match(t: &TextValue, e: &[Part]) -> bool {
    match t {
        TextValue::Plain(s) if s.is_empty() => e.is_empty(),
        TextValue::Plain(s) => {
            matches!(e, [p] if p.kind.as_deref() == Some("plain") && &p.text == s && p.attrs.is_empty())
        }
        TextValue::Parts(parts) => {
            parts.len() == e.len()
                && parts.iter().zip(e).all(|(a, b)| {
                    a.text == b.text
                        && a.attrs == b.attrs
                        && match (&a.kind, &b.kind) {
                            (None, Some(k)) => k == "plain",
                            (Some(x), Some(y)) => x == y,
                            _ => false,
                        }
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(json: &str) -> Vec<Result<Post>> {
        Reader::new(json.as_bytes(), "t.json".into(), Notes::default()).collect()
    }

    fn ok(json: &str) -> Vec<Post> {
        read_all(json).into_iter().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn reads_a_single_chat() {
        let posts = ok(r#"{
 "name": "C",
 "type": "public_channel",
 "id": 42,
 "messages": [
  {
   "id": 1,
   "type": "message",
   "date": "2026-06-17T16:24:01",
   "date_unixtime": "1781699041",
   "from": "C",
   "from_id": "channel42",
   "text": ["a ", {"type": "bold", "text": "b"}, ""],
   "text_entities": [{"type": "plain", "text": "a "}, {"type": "bold", "text": "b"}, {"type": "plain", "text": ""}]
  }
 ]
}"#);
        assert_eq!(posts.len(), 1);
        let p = &posts[0];
        assert_eq!(p.chat.as_ref().unwrap().id.as_deref(), Some("channel42"));
        assert_eq!(p.date.as_deref(), Some("2026-06-17T16:24:01+04:00"));
        assert_eq!(p.text.to_plain_string(), "a b");
        assert_eq!(p.extra[LAYOUT_KEY]["trailing_empty"], true);
        assert_eq!(p.source.line, Some(6));
        assert!(p.extra.get("text_entities").is_none());
    }

    #[test]
    fn reads_a_full_export_and_skips_other_sections() {
        let notes = Notes::default();
        let json = r#"{"about": "x", "personal_information": {"user_id": 1, "bio": "\x01"},
 "chats": {"about": "y", "list": [
   {"name": "A", "type": "personal_chat", "id": 5, "messages": [{"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "date_unixtime": "1704067200", "text": ""}]},
   {"name": "B", "type": "private_group", "id": 6, "messages": [{"id": 2, "type": "unsupported"}]}
 ]},
 "left_chats": {"about": "z", "list": [{"name": "L", "type": "public_channel", "id": 7, "messages": [{"id": -999999939, "type": "service", "date": "2020-01-01T00:00:00", "actor": null, "action": "migrate_to_supergroup", "text": ""}]}]}
}"#;
        let posts: Vec<Post> = Reader::new(json.as_bytes(), "f.json".into(), notes.clone())
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(posts.len(), 3);
        assert_eq!(posts[0].chat.as_ref().unwrap().id.as_deref(), Some("user5"));
        assert_eq!(posts[1].kind, Kind::Unsupported);
        assert_eq!(posts[2].id, Some(-999999939));
        assert_eq!(
            posts[2].service.as_ref().unwrap().action.as_deref(),
            Some("migrate_to_supergroup")
        );
        let n = notes.snapshot();
        assert!(n["skipped f.json"].contains("personal_information"), "{n:?}");
        assert_eq!(notes.counters().repairs, 1);
    }

    /// Issue 12, faults stay local: a chat whose `messages` is not an array
    /// is one rejection at its place; the chats after it are still read.
    #[test]
    fn a_chat_without_a_messages_array_is_rejected_alone() {
        let items = read_all(
            "{\"chats\": {\"list\": [\n{\"name\": \"A\", \"id\": 1, \"messages\": [{\"id\": 1, \"type\": \"unsupported\"}]},\n{\"name\": \"B\", \"id\": 2, \"messages\": \"oops\"},\n{\"name\": \"C\", \"id\": 3, \"messages\": [{\"id\": 7, \"type\": \"unsupported\"}]}\n]}}",
        );
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap().id, Some(1));
        let err = items[1].as_ref().unwrap_err().to_string();
        assert_eq!(
            err,
            "t.json:3:36: expected `[` (the messages array), found `\"`: this chat's messages are skipped"
        );
        assert_eq!(items[2].as_ref().unwrap().id, Some(7));
        assert_eq!(items[2].as_ref().unwrap().chat.as_ref().unwrap().name.as_deref(), Some("C"));
    }

    #[test]
    fn a_broken_message_is_rejected_alone() {
        let items = read_all(
            "{\"messages\": [\n{\"id\": 1, \"type\": \"message\", \"date\": \"2020-01-01T00:00:00\", \"text\": {}},\n{\"id\": 2 \"type\": 1},\n{\"id\": 3, \"type\": \"unsupported\"}\n]}",
        );
        assert_eq!(items.len(), 3);
        let e0 = items[0].as_ref().unwrap_err();
        assert!(e0.to_string().contains("message 1:"), "{e0}");
        assert_eq!(e0.position().line, Some(2));
        let e1 = items[1].as_ref().unwrap_err();
        assert_eq!(e1.position().line, Some(3));
        assert!(items[2].is_ok());
    }

    #[test]
    fn truncation_ends_the_file_with_a_position() {
        let items =
            read_all("{\"messages\": [\n{\"id\": 1, \"type\": \"unsupported\"},\n{\"id\": 2, \"ty");
        assert_eq!(items.len(), 2);
        let e = items[1].as_ref().unwrap_err();
        assert!(e.to_string().contains("end of file"), "{e}");
        assert_eq!(e.position().line, Some(3));
    }

    #[test]
    fn garbage_and_wrong_top_levels_are_errors() {
        for bad in [
            "[1, 2]",
            "{\"messages\": 5}",
            "{\"messages\": [1]}",
            "{} x",
            "{\"a\" 1}",
            "",
            "{\"messages\": [}",
        ] {
            let items = read_all(bad);
            assert!(items.iter().any(|r| r.is_err()), "{bad}: {items:?}");
        }
    }

    #[test]
    fn old_integer_ids_are_kept_raw() {
        let posts = ok(r#"{"name": "t", "type": "private_channel", "id": 9882011936, "messages": [
 {"id": 1, "type": "message", "date": "2020-11-12T12:54:07", "edited": "1970-01-01T03:00:00", "from": "t", "from_id": 9882011936, "text": "x"}]}"#);
        let p = &posts[0];
        assert_eq!(p.chat.as_ref().unwrap().id, None);
        assert_eq!(p.extra["tdesktop"]["chat_id"], 9882011936u64);
        assert_eq!(p.extra["from_id"], 9882011936u64);
        assert_eq!(p.extra["edited"], "1970-01-01T03:00:00");
        assert_eq!(p.edited, None);
        assert_eq!(p.extra["tdesktop"]["text_entities"], false);
    }

    #[test]
    fn duplicate_text_of_send_webview_data() {
        let posts = ok(
            r#"{"messages": [{"id": 1, "type": "service", "date": "2024-01-01T00:00:00", "action": "send_webview_data", "text": "payload", "text": "", "text_entities": []}]}"#,
        );
        let s = posts[0].service.as_ref().unwrap();
        assert_eq!(s.details["text"], "payload");
        assert!(posts[0].text.is_empty());
    }

    #[test]
    fn media_placeholders_become_status() {
        let posts = ok(&format!(
            r#"{{"messages": [{{"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "file": "{TOO_BIG}", "thumbnail": "{TOO_BIG}", "media_type": "video_file", "mime_type": "video/mp4", "duration_seconds": 2, "text": ""}}]}}"#
        ));
        let m = &posts[0].media[0];
        assert_eq!(m.kind, "video");
        assert_eq!(m.status, MediaStatus::TooBig);
        assert_eq!(m.file, None);
        assert_eq!(m.extra["thumbnail"], TOO_BIG);
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    /// A single-chat export in Telegram Desktop's layout: `n` plain messages,
    /// with `special` messages put in at the given indexes.
    fn export(n: usize, special: &[(usize, &str)]) -> String {
        let mut s = String::from(
            "{\n \"name\": \"C\",\n \"type\": \"public_channel\",\n \"id\": 42,\n \"messages\": [",
        );
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            match special.iter().find(|(at, _)| *at == i) {
                Some((_, body)) => s.push_str(body),
                None => s.push_str(&format!(
                    "\n  {{\n   \"id\": {i},\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": \"m{i} é\",\n   \"text_entities\": [\n    {{\n     \"type\": \"plain\",\n     \"text\": \"m{i} é\"\n    }}\n   ]\n  }}"
                )),
            }
        }
        s.push_str("\n ]\n}");
        s
    }

    /// Everything a read gives: each post or error (debug-printed), the
    /// notes and the counters.
    fn outcome(json: &str) -> (Vec<String>, BTreeMap<String, String>, crate::account::Counters) {
        let notes = Notes::default();
        let items = Reader::new(json.as_bytes(), "t.json".into(), notes.clone())
            .map(|r| match r {
                Ok(p) => format!("{p:?}"),
                Err(e) => format!("error {e}"),
            })
            .collect();
        (items, notes.snapshot(), notes.counters())
    }

    use std::collections::BTreeMap;

    /// Messages cut out by their layout give exactly what walking them byte
    /// by byte gives: posts, repairs (count and first position), rejections
    /// with their positions. The walked variant closes every message with a
    /// tab in place of its last space (same lines, columns and bytes), so
    /// the layout is never trusted.
    #[test]
    fn cutting_by_layout_is_walking() {
        let specials = [
            (12, "\n  {\n   \"id\": 12,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": \"a\\x0Bb\\x1f\",\n   \"text_entities\": []\n  }"),
            (14, "\n  {\n   \"id\": 14,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": [\n    {\n     \"type\": \"custom_emoji\",\n     \"text\": \"x\",\n     \"document_id\": stickers/s (1).webp\n    }\n   ]\n  }"),
            (15, "\n  {\n   \"id\": 15,\n   \"type\": \"message\"\n   \"date\": \"2026-06-17T16:24:01\"\n  }"),
            (16, "\n  {\n   \"id\": 16,\n   \"type\": \"message\",\n   \"date\": 7,\n   \"text\": \"\\x41\"\n  }"),
            (17, "\n  {\n   \"id\": 17,\n   \"text\": \"\\q\"\n  }"),
            (18, "\n  {\n   \"id\": 18,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": \"\\x0\"\n  }"),
        ];
        let fast = export(24, &specials);
        let walked = fast.replace("\n  }", "\n \t}");
        assert_eq!(fast.len(), walked.len());
        let cut = |json: &str| {
            Reader::new(json.as_bytes(), "t.json".into(), Notes::default())
                .pending()
                .filter(|p| matches!(p, Ok(Pending::Unparsed(u)) if u.unrepaired.is_some()))
                .count()
        };
        // After eight messages walked, every message left is cut by layout.
        assert_eq!((cut(&fast), cut(&walked)), (24 - 8, 0));
        let (a, b) = (outcome(&fast), outcome(&walked));
        assert_eq!(a, b);
        // The file really has what the comparison is about.
        assert_eq!(a.0.len(), 24);
        assert_eq!(a.0.iter().filter(|s| s.starts_with("error")).count(), 4, "{:#?}", a.0);
        assert_eq!(a.2.repairs, 5, "{:?}", a.2);
        assert_eq!(
            a.1.get("repair t.json").map(String::as_str),
            Some("4 × \\xHH escape first at line 154 col 14; 1 × unquoted document_id first at line 177 col 21"),
        );
    }

    /// Once the layout is trusted, a message whose brackets do not balance
    /// is not cut where its layout seems to end it: what that cut would give
    /// is not one value, so the message is walked, as without the layout
    /// (one reader path, one answer).
    #[test]
    fn an_unbalanced_message_is_walked_as_without_the_layout() {
        let unbalanced = "\n  {\n   \"id\": 12,\n   \"type\": \"message\",\n   \"text\": [\n    {\n     \"type\": \"bold\",\n     \"text\": \"b\"\n    [\n   ]\n  }";
        let json = export(16, &[(12, unbalanced)]);
        let (cut, notes, counters) = outcome(&json);
        let walked_notes = Notes::default();
        let walked: Vec<String> =
            Reader::new(json.as_bytes(), "t.json".into(), walked_notes.clone())
                .walk_only()
                .map(|r| r.map_or_else(|e| format!("error {e}"), |p| format!("{p:?}")))
                .collect();
        let walked_outcome = (walked.clone(), walked_notes.snapshot(), walked_notes.counters());
        assert_eq!((cut, notes, counters), walked_outcome);
        // 12 posts, the message (its brackets close far too late), the end.
        assert_eq!(walked.len(), 12 + 2, "{walked:#?}");
        assert!(walked.last().is_some_and(|s| s.contains("unexpected end of file")), "{walked:#?}");
    }

    /// A message whose inner lines come back to its own indentation (valid
    /// JSON, odd layout) is walked, not cut there.
    #[test]
    fn a_layout_break_falls_back_to_walking() {
        let odd = "\n  {\n   \"id\": 10,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": [\n  {\"type\": \"bold\", \"text\": \"b\"}\n   ]\n  }";
        let nested = "\n  {\n   \"id\": 11,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"text\": [{\"type\": \"bold\",\n  \"text\": \"c\"}\n   ]\n  }";
        let (items, _, _) = outcome(&export(14, &[(10, odd), (11, nested)]));
        assert_eq!(items.len(), 14);
        assert!(items.iter().all(|s| !s.starts_with("error")), "{items:#?}");
    }
}
