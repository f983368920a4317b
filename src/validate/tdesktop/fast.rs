//! The fast path of `result.json` validation: the conversion's scanner and
//! layout cut find the messages, a pool of workers checks them, and only a
//! message that fails is placed by the positioned checker.
//!
//! The slow path ([`super::validate`]) parses the whole file with
//! serde_json through a byte-at-a-time tap, so that every value has a line
//! and column; that costs more than a whole conversion, which cuts messages
//! out by their layout ([`Scanner::cut_indented`]) and parses them from
//! slices on every core. Most messages of a real export are valid, and a
//! valid message needs no position. So here:
//!
//! 1. **cut**, on one thread: the file's structure is walked with the
//!    conversion's [`Scanner`] (top object, `chats`/`left_chats`, `list`,
//!    each `messages` array), messages are cut out as the reader cuts them,
//!    with the line and column of their `{`, and every value outside the
//!    messages is kept (with the place of its key) for the result schema;
//! 2. **check**, on a pool of workers: each message is parsed from its
//!    slice and checked against the message schema, the format's checks
//!    (but the id order, which needs the previous message) and repeated
//!    keys; a valid one is reduced to its id;
//! 3. **report**, on the calling thread, in file order: the ids are checked
//!    to increase, and a message with any problem is given, with its bytes,
//!    start and value, to the very check the slow path runs
//!    ([`Message::problems`]), so the same problems come out at the same
//!    places.
//!
//! **When it cannot tell, it does not guess.** Anything the slow path would
//! report other than a message's problems — a syntax error, a structure
//! serde_json would refuse, a repaired byte (`\xHH`, an unquoted
//! `document_id`: positions then count repaired bytes), invalid UTF-8, a
//! message that is not an object, nesting near serde_json's limit,
//! trailing bytes — makes this path give
//! up ([`Outcome::Fallback`]) before reporting anything beyond that place.
//! The caller then validates the file again from its start on the slow
//! path, skipping the problems already printed: both paths print the same
//! problems in the same order, so those are the slow path's first ones.
//!
//! **Flat memory.** Messages travel in batches of at most [`BATCH`] items
//! or [`BATCH_BYTES`] bytes (plus one message), through channels of
//! [`IN_FLIGHT`] batches: a bounded number of batches is alive at once.

use super::super::explain::Checker;
use super::super::{Problem, Sink};
use super::{checks, key_place, problem, too_large, Message};
use crate::error::Result;
use crate::progress::Progress;
use crate::read::tdesktop_json::scanner::{Layout, ScanError, Scanner};
use crate::read::tdesktop_json::{FAST_CUT_LIMIT, MAX_MESSAGE_BYTES};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Items per batch.
const BATCH: usize = 256;
/// A batch closes when its messages hold this many bytes.
const BATCH_BYTES: usize = 1 << 20;
/// Batches waiting in each channel.
const IN_FLIGHT: usize = 4;
/// A value nested deeper than this (serde_json's limit is 128, counted
/// from the file's top, which the slow path parses as one document) is left
/// to the slow path.
const MAX_DEPTH: usize = 100;

/// How the fast path ended.
pub(super) enum Outcome {
    /// The file was validated; false when the run must stop.
    Done(bool),
    /// Given up: the slow path must validate the file from its start,
    /// skipping the problems printed so far.
    Fallback,
}

/// What the cutter sends, in file order.
enum Item {
    /// A `messages` array starts: its JSON pointer.
    Messages(String),
    /// A message cut out.
    Message(Cut),
    /// A message over [`MAX_MESSAGE_BYTES`], skipped without being held:
    /// the line and column of its `{`.
    TooLarge((u64, u64)),
    /// The file's object read to its end: its value with the `messages`
    /// arrays emptied, and the place of each key outside the messages.
    End(Value, Vec<(String, (u64, u64))>),
    /// The cutter cannot tell what the slow path would report from here.
    Fallback,
}

/// One message: its bytes from `{` to `}`, the line and column of its `{`,
/// and what a worker found.
struct Cut {
    bytes: Vec<u8>,
    at: (u64, u64),
    verdict: Verdict,
}

enum Verdict {
    /// Not checked yet.
    Unchecked,
    /// Valid but for the id order: its id.
    Valid(Option<i64>),
    /// Something to report: its value.
    Problems(Value),
    /// Not for the fast path.
    Fallback,
}

/// A batch of items, numbered in file order.
struct Batch {
    seq: u64,
    items: Vec<Item>,
}

/// Validates one `result.json` read from `reader`, on the fast path.
pub(super) fn validate<R: Read + Send>(
    reader: R,
    name: &str,
    message_schema: &Checker,
    result_schema: &Checker,
    sink: &mut Sink<'_>,
    progress: bool,
) -> Result<Outcome> {
    std::thread::scope(|scope| {
        let (cut_tx, cut_rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (done_tx, done_rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let cut_rx = Arc::new(Mutex::new(cut_rx));
        scope.spawn(move || Cutter::new(reader, cut_tx).run());
        for _ in 0..workers() {
            let (cut_rx, done_tx) = (Arc::clone(&cut_rx), done_tx.clone());
            scope.spawn(move || loop {
                // The lock is held only to take a batch, not to check it.
                let batch = match cut_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(mut batch) = batch else { return };
                for item in &mut batch.items {
                    if let Item::Message(cut) = item {
                        cut.verdict = verdict(&cut.bytes, message_schema);
                    }
                }
                if done_tx.send(batch).is_err() {
                    return; // the report stage stopped
                }
            });
        }
        drop((cut_rx, done_tx));
        let mut report = Report::new(name, message_schema, result_schema, sink, progress);
        // Batches come back in any order; report them in file order.
        let mut waiting: BTreeMap<u64, Batch> = BTreeMap::new();
        let mut next = 0u64;
        for batch in done_rx {
            waiting.insert(batch.seq, batch);
            while let Some(batch) = waiting.remove(&next) {
                next += 1;
                for item in batch.items {
                    if let Some(outcome) = report.item(item)? {
                        report.progress.clear();
                        // Dropping the receivers stops the workers, then the cutter.
                        return Ok(outcome);
                    }
                }
                report.progress.tick(report.sink.report.messages);
            }
        }
        report.progress.clear();
        // The cutter always ends with `End` or `Fallback`: ending without
        // one means a thread died; the slow path tells what is wrong.
        Ok(Outcome::Fallback)
    })
}

/// Worker threads: as many as a conversion's (`TGNORM_THREADS`, else one
/// per core, at most 8).
fn workers() -> usize {
    crate::read::threads()
}

/// What a worker finds in one message (see the module docs).
fn verdict(bytes: &[u8], schema: &Checker) -> Verdict {
    let Some((value, repeated)) = parse(bytes) else {
        return Verdict::Fallback;
    };
    // A key written twice is a problem (but the message's own second
    // `text`, which the positioned check tells apart): checked there.
    if !repeated && schema.is_valid(&value) && checks(&value, &mut None).is_empty() {
        Verdict::Valid(value.get("id").and_then(Value::as_i64))
    } else {
        Verdict::Problems(value)
    }
}

/// Parses one value as serde_json's `Value` does, and tells whether an
/// object in it had a key twice (which a `Value` keeps once); `None` when
/// it is not JSON or not UTF-8, or nests deeper than [`MAX_DEPTH`].
fn parse(bytes: &[u8]) -> Option<(Value, bool)> {
    // Checked once, with SIMD, rather than string by string.
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    let flags = Flags::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Checked { flags: &flags, depth: 0 }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    (!flags.deep.get()).then_some((value, flags.repeated.get()))
}

/// What [`Checked`] noticed while parsing.
#[derive(Default)]
struct Flags {
    repeated: Cell<bool>,
    deep: Cell<bool>,
}

/// A `Value` deserialised as serde_json's own `Deserialize` makes it
/// (numbers, strings, arrays, objects in key order, the last of a repeated
/// key kept), noting repeated keys and nesting depth in [`Flags`].
#[derive(Clone, Copy)]
struct Checked<'f> {
    flags: &'f Flags,
    depth: usize,
}

impl Checked<'_> {
    fn inner(self) -> Self {
        if self.depth >= MAX_DEPTH {
            self.flags.deep.set(true);
        }
        Checked { depth: self.depth + 1, ..self }
    }
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let inner = self.inner();
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let inner = self.inner();
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(inner)?;
            if out.insert(key, value).is_some() {
                self.flags.repeated.set(true);
            }
        }
        Ok(Value::Object(out))
    }
}

/// The report stage: the slow path's per-file state, fed in file order.
struct Report<'r, 'a> {
    name: &'r str,
    message_schema: &'r Checker,
    result_schema: &'r Checker,
    sink: &'r mut Sink<'a>,
    progress: Progress,
    /// JSON pointer of the current `messages` array.
    chat_path: String,
    /// Index of the next message in it.
    index: u64,
    last_id: Option<i64>,
}

impl<'r, 'a> Report<'r, 'a> {
    fn new(
        name: &'r str,
        message_schema: &'r Checker,
        result_schema: &'r Checker,
        sink: &'r mut Sink<'a>,
        progress: bool,
    ) -> Self {
        Report {
            name,
            message_schema,
            result_schema,
            sink,
            progress: Progress::new(progress, "messages checked"),
            chat_path: String::new(),
            index: 0,
            last_id: None,
        }
    }

    /// Reports one item; `Some` when the file is done with.
    fn item(&mut self, item: Item) -> Result<Option<Outcome>> {
        match item {
            Item::Messages(path) => {
                self.chat_path = path;
                self.index = 0;
                self.last_id = None;
                Ok(None)
            }
            Item::Message(cut) => self.message(cut),
            Item::TooLarge(at) => {
                self.sink.report.messages += 1;
                let pointer = format!("{}/{}", self.chat_path, self.index);
                self.index += 1;
                let p = too_large(self.name, at, pointer);
                Ok((!self.push(p)?).then_some(Outcome::Done(false)))
            }
            Item::End(top, keys) => {
                for found in self.result_schema.problems(&top) {
                    let (line, column) = key_place(&keys, &found.pointer);
                    let pointer = Some(found.pointer);
                    let p =
                        problem(found.rule, self.name, line, Some(column), pointer, found.message);
                    if !self.push(p)? {
                        return Ok(Some(Outcome::Done(false)));
                    }
                }
                Ok(Some(Outcome::Done(true)))
            }
            Item::Fallback => Ok(Some(Outcome::Fallback)),
        }
    }

    fn push(&mut self, p: Problem) -> Result<bool> {
        self.progress.clear();
        self.sink.push(p)
    }

    /// One message: counted and passed when valid and in order, checked as
    /// the slow path checks it otherwise.
    fn message(&mut self, cut: Cut) -> Result<Option<Outcome>> {
        let value = match cut.verdict {
            Verdict::Valid(id) => {
                let in_order = match (id, self.last_id) {
                    (Some(id), Some(prev)) => id > prev,
                    _ => true,
                };
                if in_order {
                    self.sink.report.messages += 1;
                    self.index += 1;
                    self.last_id = id.or(self.last_id);
                    return Ok(None);
                }
                match serde_json::from_slice::<Value>(&cut.bytes) {
                    Ok(value) => value,
                    Err(_) => return Ok(Some(Outcome::Fallback)),
                }
            }
            Verdict::Problems(value) => value,
            Verdict::Fallback | Verdict::Unchecked => return Ok(Some(Outcome::Fallback)),
        };
        self.sink.report.messages += 1;
        let base = format!("{}/{}", self.chat_path, self.index);
        self.index += 1;
        let message = Message { raw: &cut.bytes, at: cut.at, value: &value, base: &base };
        for p in message.problems(self.name, self.message_schema, &mut self.last_id) {
            if !self.push(p)? {
                return Ok(Some(Outcome::Done(false)));
            }
        }
        Ok(None)
    }
}

/// Where a value is: the top object, a section (`chats`, `left_chats`), a
/// chat in a section's `list` (the slow path's levels).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Section,
    Chat,
}

/// The cut stage: walks the file's structure, sends messages in batches.
/// Its steps return `None` to give up (or when the report stage stopped).
struct Cutter<R> {
    scan: Scanner<R>,
    layout: Layout,
    tx: mpsc::SyncSender<Batch>,
    batch: Vec<Item>,
    bytes: usize,
    seq: u64,
    /// Keys outside the messages and the place of their values.
    keys: Vec<(String, (u64, u64))>,
    /// Capacity for the next message walked (about the last one's size).
    hint: usize,
}

impl<R: Read> Cutter<R> {
    fn new(reader: R, tx: mpsc::SyncSender<Batch>) -> Cutter<R> {
        Cutter {
            scan: Scanner::new(reader),
            layout: Layout::default(),
            tx,
            batch: Vec::with_capacity(BATCH),
            bytes: 0,
            seq: 0,
            keys: Vec::new(),
            hint: 4096,
        }
    }

    fn run(mut self) {
        let last = match self.file() {
            Some(top) => Item::End(top, std::mem::take(&mut self.keys)),
            None => Item::Fallback,
        };
        self.batch.push(last);
        self.flush();
    }

    fn send(&mut self, item: Item) -> Option<()> {
        if let Item::Message(cut) = &item {
            self.bytes += cut.bytes.len();
        }
        self.batch.push(item);
        if self.batch.len() >= BATCH || self.bytes >= BATCH_BYTES {
            return self.flush();
        }
        Some(())
    }

    fn flush(&mut self) -> Option<()> {
        let items = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.bytes = 0;
        let seq = self.seq;
        self.seq += 1;
        self.tx.send(Batch { seq, items }).ok()
    }

    /// The next byte after white space, not consumed.
    fn next(&mut self) -> Option<u8> {
        self.scan.skip_ws().ok()?
    }

    /// Consumes `want`, the next byte after white space.
    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())?;
        self.scan.bump_discard().ok()
    }

    /// Line and column of the next byte.
    fn place(&self) -> (u64, u64) {
        (self.scan.rep.line(), self.scan.rep.column())
    }

    /// After an element of an array or object closed by `close`: true when
    /// another follows (its `,` consumed), false at the end (`close`
    /// consumed).
    fn more(&mut self, close: u8, first: bool) -> Option<bool> {
        let b = self.next()?;
        if b == close {
            self.scan.bump_discard().ok()?;
            return Some(false);
        }
        if !first {
            (b == b',').then_some(())?;
            self.scan.bump_discard().ok()?;
        }
        Some(true)
    }

    /// One value, parsed whole ([`parse`]); no repair may have been needed.
    fn value(&mut self) -> Option<Value> {
        self.next()?;
        let mut raw = Vec::new();
        self.scan.capture(&mut raw, MAX_MESSAGE_BYTES).ok()?;
        if self.scan.rep.repairs() > 0 {
            return None;
        }
        parse(&raw).map(|(value, _)| value)
    }

    /// The whole file: its object, and nothing after it.
    fn file(&mut self) -> Option<Value> {
        self.expect(b'{')?;
        let top = self.object("", Level::Top)?;
        match self.scan.skip_ws() {
            Ok(None) => Some(top),
            _ => None,
        }
    }

    /// The members of an object whose `{` was consumed, at `level`.
    fn object(&mut self, path: &str, level: Level) -> Option<Value> {
        let mut out = Map::new();
        let mut first = true;
        while self.more(b'}', first)? {
            first = false;
            (self.next()? == b'"').then_some(())?;
            let Value::String(key) = self.value()? else { return None };
            self.expect(b':')?;
            self.next()?;
            let pointer = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
            self.keys.push((pointer.clone(), self.place()));
            let value = match (level, key.as_str()) {
                (Level::Top | Level::Chat, "messages") => {
                    self.messages(pointer)?;
                    Value::Array(Vec::new())
                }
                (Level::Top, "chats" | "left_chats") => {
                    self.expect(b'{')?;
                    self.object(&pointer, Level::Section)?
                }
                (Level::Section, "list") => self.list(&pointer)?,
                _ => self.value()?,
            };
            out.insert(key, value);
        }
        Some(Value::Object(out))
    }

    /// A section's list of chats.
    fn list(&mut self, path: &str) -> Option<Value> {
        self.expect(b'[')?;
        let mut chats = Vec::new();
        while self.more(b']', chats.is_empty())? {
            self.expect(b'{')?;
            let chat = self.object(&format!("{path}/{}", chats.len()), Level::Chat)?;
            chats.push(chat);
        }
        Some(Value::Array(chats))
    }

    /// A `messages` array: each message cut out and sent.
    fn messages(&mut self, pointer: String) -> Option<()> {
        self.expect(b'[')?;
        self.send(Item::Messages(pointer))?;
        let mut first = true;
        while self.more(b']', first)? {
            first = false;
            // A message that is not an object is the slow path's to place.
            (self.next()? == b'{').then_some(())?;
            let at = self.place();
            match self.cut(at)? {
                Some(bytes) => {
                    self.send(Item::Message(Cut { bytes, at, verdict: Verdict::Unchecked }))?
                }
                None => self.send(Item::TooLarge(at))?,
            }
        }
        Some(())
    }

    /// Cuts out the message at the scanner (its `{` at `at`), by its layout
    /// once that is trusted, else walking it (as the reader does); `None`
    /// inside for a message over [`MAX_MESSAGE_BYTES`], walked to its end
    /// holding at most 64 KiB of it, as the reader skips it.
    fn cut(&mut self, at: (u64, u64)) -> Option<Option<Vec<u8>>> {
        if let Some(indent) = self.layout.trusted() {
            if at.1 == indent as u64 + 1 && !self.scan.rep.expects_value_check() {
                if let Some((bytes, newlines)) =
                    self.scan.cut_indented(indent, FAST_CUT_LIMIT).ok()?
                {
                    self.scan.rep.resume_at(at.0 + newlines, at.1 + 1);
                    return Some(Some(bytes));
                }
            }
        }
        let mut buf = Vec::with_capacity(self.hint);
        let captured = self.scan.capture(&mut buf, MAX_MESSAGE_BYTES);
        if self.scan.rep.repairs() > 0 {
            return None;
        }
        match captured {
            Ok(()) => {}
            Err(ScanError::TooLarge) => return Some(None),
            Err(_) => return None,
        }
        self.hint = buf.len().next_power_of_two().clamp(256, 64 * 1024);
        self.layout.learn(&buf, at.1);
        Some(Some(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_notes_depth_and_repeated_keys() {
        let (v, repeated) = parse(br#"{"a": [1, {"b": [], "b": -2.5}], "c": 1.5}"#).unwrap();
        assert!(repeated);
        assert_eq!(v, serde_json::json!({"a": [1, {"b": -2.5}], "c": 1.5}));
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(MAX_DEPTH).as_bytes()).is_some());
        assert!(parse(deep(MAX_DEPTH + 1).as_bytes()).is_none());
        assert!(parse(b"{\"a\": \"\xFF\"}").is_none());
        assert!(parse(b"{} 1").is_none());
        for text in
            [r#"{"a": 1, "b": [true, null, "x\u00e9"], "c": {"d": -1}}"#, "18446744073709551615"]
        {
            assert_eq!(
                parse(text.as_bytes()).unwrap(),
                (serde_json::from_str(text).unwrap(), false)
            );
        }
    }
}
