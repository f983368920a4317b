//! The reader: walks the export's structure (the top object, `chats.list`
//! and `left_chats.list`, each `messages` array) with the [`Scanner`], cuts
//! the messages out one at a time and hands them out, parsed or
//! [`Unparsed`].

use super::mapping::{map_slice, ChatState, MapContext};
use super::repair::{self, Repairer};
use super::scanner::{Layout, ScanError, Scanner};
use super::{FAST_CUT_LIMIT, MAX_MESSAGE_BYTES, MAX_SMALL_VALUE};
use crate::account::{ChatReport, Repair};
use crate::error::{serde_message, Error, ErrorKind, Position, Result};
use crate::model::Post;
use crate::read::{Notes, Pending};
use serde_json::Value;
use std::io::Read;
use std::sync::{Arc, Mutex};

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
    pub(crate) fn walk_only(mut self) -> Reader<R> {
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
            Error::new(pos, ErrorKind::Json(format!("bad key: {}", serde_message(&e))))
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
            .map_err(|e| Error::new(pos, ErrorKind::Json(serde_message(&e))))
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
    /// on another thread ([`crate::read::read`]).
    pub(crate) fn pending(mut self) -> impl Iterator<Item = Result<Pending>> {
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
pub(crate) struct Unparsed {
    bytes: Vec<u8>,
    /// Where the message starts (with its index and pointer).
    pos: Position,
    index: u64,
    end_line: u64,
    x_escapes: bool,
    /// Set when the bytes were cut out by their layout, not walked through
    /// the [`Repairer`]: they are repaired (and the repairs recorded here)
    /// only if they do not parse as they are.
    pub(super) unrepaired: Option<Arc<RepairLog>>,
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
pub(super) struct RepairLog {
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

fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02X}")
    }
}
