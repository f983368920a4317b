//! Validating a Telegram Desktop `result.json`, streamed.
//!
//! Each message is checked against `tdesktop-message.schema.json` as it
//! passes, and the rest of the file (chat headers, account sections) against
//! `tdesktop-result.schema.json` with the `messages` arrays emptied, so memory
//! holds one message whatever the file size.
//!
//! serde_json parses the file through [`Tap`], which knows serde_json's place
//! and keeps the raw bytes of the message being read: an offending value is
//! then found in those bytes by its JSON pointer ([`pointer::place`]) and reported at
//! its own line and column. The bytes pass through the reader's repair
//! machine first (`\xHH` escapes, unquoted `document_id`s), so a column on a
//! line that held a repair is counted in repaired bytes (each `\xHH` is two
//! longer).
//!
//! **Speed.** serde_json's `from_reader` asks for one byte per call, so that
//! call is kept to a copy: whole buffers are repaired at once (string runs
//! and indentation copied in bulk, [`repair_into`]), lines are counted only
//! when a message starts, and a message's bytes are copied out in slices.
//! On the 1 GiB benchmark that took CPU time from 31 s to 19 s (35 → 57 MB/s
//! per CPU second; README, Performance).
//!
//! **Two paths.** That serde_json pass is the reference and the slow path
//! (standard input, and any file the fast path cannot vouch for). A regular
//! file is first checked on the fast path (`fast.rs`): the conversion's
//! scanner cuts the messages, workers check them, and a message with a
//! problem is placed by the same [`Message::problems`] as here; the output
//! is the same, problem for problem.
//!
//! Beyond the schema, the checks of `docs/tdesktop-export-format.md` §5 that
//! a schema cannot express:
//! ids increasing within a chat (the migrated negative block first, so ids
//! are unique too), `text_entities` concatenated equal to `text`, and
//! `date_unixtime` consistent with `date` (a whole offset within ±14 h).

use super::explain::Checker;
use super::{pointer, problem, Sink};
use crate::error::{Error, Result};
use crate::read::tdesktop_json::repair::Repairer;
use crate::read::tdesktop_json::MAX_MESSAGE_BYTES;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;
use std::io::{BufRead, Read};
use std::rc::Rc;

mod fast;

/// Bytes kept of a message over [`MAX_MESSAGE_BYTES`] on the slow path:
/// enough to find its `{` after the separator.
const OVER_CAP_KEPT: usize = 4096;

/// The bytes serde_json is reading, and the capture of the current message,
/// shared by the tap and the visitors.
struct TapState {
    /// Repaired bytes of one input buffer; `idx` is serde_json's place.
    chunk: Vec<u8>,
    idx: usize,
    /// Lines are counted lazily, up to `counted`: line and column there.
    counted: usize,
    line: u64,
    column: u64,
    capturing: bool,
    capture: Vec<u8>,
    /// Where in `chunk` the capture goes on from.
    capture_from: usize,
    /// Line and column where the capture started.
    capture_at: (u64, u64),
    /// The message captured is over [`MAX_MESSAGE_BYTES`]: only its first
    /// [`OVER_CAP_KEPT`] bytes are kept (to find where it starts).
    over: bool,
    /// Places of invalid UTF-8 in strings not reported yet (replaced by
    /// U+FFFD so that serde_json reads on).
    invalid: Vec<(u64, u64)>,
}

impl TapState {
    /// Counts lines and columns up to `chunk[..to]`.
    fn count_to(&mut self, to: usize) {
        let part = self.chunk.get(self.counted..to).unwrap_or_default();
        let (line, column) = line_col(part, part.len(), (self.line, self.column));
        self.line = line;
        self.column = column;
        self.counted = to.max(self.counted);
    }

    fn start_capture(&mut self) {
        self.count_to(self.idx);
        self.capturing = true;
        self.over = false;
        self.capture.clear();
        self.capture_from = self.idx;
        self.capture_at = (self.line, self.column);
    }

    /// The message's bytes, where they start, and whether it was over the
    /// cap (then only its first bytes).
    fn take_capture(&mut self) -> (Vec<u8>, (u64, u64), bool) {
        if self.capturing {
            let rest = self.chunk.get(self.capture_from..self.idx).unwrap_or_default();
            keep(&mut self.capture, &mut self.over, rest);
            self.capturing = false;
        }
        (std::mem::take(&mut self.capture), self.capture_at, self.over)
    }
}

/// Adds bytes to a capture, keeping only the start of a message over the
/// cap (`over` then set).
fn keep(capture: &mut Vec<u8>, over: &mut bool, bytes: &[u8]) {
    if *over {
        return;
    }
    capture.extend_from_slice(bytes);
    if capture.len() > MAX_MESSAGE_BYTES {
        capture.truncate(OVER_CAP_KEPT);
        capture.shrink_to_fit();
        *over = true;
    }
}

/// The reader serde_json parses from (it asks for one byte at a time): input
/// bytes are repaired a buffer at a time ([`repair_into`]), and the tap only
/// hands them out; lines are counted when a message starts, and a message's
/// bytes are copied out in slices.
struct Tap<R> {
    inner: R,
    repairer: Repairer,
    utf8: Utf8Guard,
    finished: bool,
    state: Rc<RefCell<TapState>>,
}

/// Invalid UTF-8 in strings, found while repairing (convert rejects such
/// a message alone; validate reports it and goes on).
#[derive(Default)]
struct Utf8Guard {
    /// Continuation bytes still due from a character cut by the end of the
    /// last input buffer.
    due: usize,
    /// Offsets in the repaired bytes of the replacements made.
    found: Vec<usize>,
}

/// Replaces the chunk with the next repaired bytes; false at the end.
fn refill<R: BufRead>(
    inner: &mut R,
    repairer: &mut Repairer,
    utf8: &mut Utf8Guard,
    finished: &mut bool,
    st: &mut TapState,
) -> std::io::Result<bool> {
    let len = st.chunk.len();
    st.count_to(len);
    if st.capturing {
        let TapState { chunk, capture, capture_from, over, .. } = st;
        keep(capture, over, chunk.get(*capture_from..).unwrap_or_default());
    }
    st.chunk.clear();
    st.idx = 0;
    st.counted = 0;
    st.capture_from = 0;
    while st.chunk.is_empty() {
        let raw = inner.fill_buf()?;
        if raw.is_empty() {
            if !*finished {
                repairer.finish(&mut st.chunk);
                *finished = true;
            }
            return Ok(!st.chunk.is_empty());
        }
        let n = raw.len();
        repair_into(repairer, raw, &mut st.chunk, utf8);
        inner.consume(n);
    }
    let start = (st.line, st.column);
    for offset in utf8.found.drain(..) {
        let place = line_col(&st.chunk, offset, start);
        st.invalid.push(place);
    }
    Ok(true)
}

impl<R: BufRead> Read for Tap<R> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Tap { inner, repairer, utf8, finished, state } = self;
        let mut st = state.borrow_mut();
        // serde_json asks for one byte at a time: that path is kept short.
        if let ([slot], Some(&b)) = (&mut *buf, st.chunk.get(st.idx)) {
            *slot = b;
            st.idx += 1;
            return Ok(1);
        }
        if st.idx >= st.chunk.len() && !refill(inner, repairer, utf8, finished, &mut st)? {
            return Ok(0);
        }
        let avail = st.chunk.get(st.idx..).unwrap_or_default();
        let n = avail.len().min(buf.len());
        let (Some(src), Some(dst)) = (avail.get(..n), buf.get_mut(..n)) else { return Ok(0) };
        dst.copy_from_slice(src);
        st.idx += n;
        Ok(n)
    }
}

/// Repairs `raw` into `out` (the reader's repair machine), copying in bulk
/// where it has nothing to do: string bytes up to the next quote, backslash
/// or newline (found with `memchr`), and runs of spaces between tokens.
fn repair_into(rep: &mut Repairer, raw: &[u8], out: &mut Vec<u8>, utf8: &mut Utf8Guard) {
    let mut i = 0;
    while let Some(rest) = raw.get(i..).filter(|r| !r.is_empty()) {
        let run = if rep.in_plain_string() {
            memchr::memchr3(b'"', b'\\', b'\n', rest).unwrap_or(rest.len())
        } else if !rep.in_string() {
            rest.iter().position(|&b| b != b' ').unwrap_or(rest.len())
        } else {
            0
        };
        if let Some(chunk) = rest.get(..run).filter(|c| !c.is_empty()) {
            if rep.in_string() {
                rep.advance_plain(chunk);
                copy_checked(chunk, out, utf8, i + run == raw.len());
            } else {
                rep.advance_spaces(run);
                out.extend_from_slice(chunk);
            }
            i += run;
            continue;
        }
        if let Some(&b) = rest.first() {
            rep.feed(b, out);
            // Keep count of a character begun here and ended in bulk.
            utf8.due = match b {
                0xC2..=0xDF => 1,
                0xE0..=0xEF => 2,
                0xF0..=0xF4 => 3,
                0x80..=0xBF => utf8.due.saturating_sub(1),
                _ => 0,
            };
        }
        i += 1;
    }
}

/// Copies string bytes, each invalid UTF-8 sequence replaced by U+FFFD and
/// its place noted; a character cut by the end of the buffer (`at_end`) is
/// copied as it is, the next buffer completes it.
fn copy_checked(chunk: &[u8], out: &mut Vec<u8>, utf8: &mut Utf8Guard, at_end: bool) {
    let mut rest = chunk;
    while utf8.due > 0 {
        match rest.split_first() {
            Some((&b, tail)) if b & 0xC0 == 0x80 => {
                out.push(b);
                rest = tail;
                utf8.due -= 1;
            }
            // The buffer ended: the next one goes on with the character.
            None => break,
            Some(_) => utf8.due = 0,
        }
    }
    if std::str::from_utf8(rest).is_ok() {
        out.extend_from_slice(rest);
        return;
    }
    let mut pieces = rest.utf8_chunks().peekable();
    while let Some(piece) = pieces.next() {
        out.extend_from_slice(piece.valid().as_bytes());
        let bad = piece.invalid();
        if bad.is_empty() {
            continue;
        }
        let want = match bad.first() {
            Some(0xC2..=0xDF) => 2,
            Some(0xE0..=0xEF) => 3,
            Some(0xF0..=0xF4) => 4,
            _ => 0,
        };
        let cut = pieces.peek().is_none()
            && at_end
            && bad.len() < want
            && std::str::from_utf8(bad).err().is_some_and(|e| e.error_len().is_none());
        if cut {
            out.extend_from_slice(bad);
            utf8.due = want - bad.len();
        } else {
            utf8.found.push(out.len());
            out.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }
}

/// Validates one `result.json`, on the fast path ([`fast`]) when the input
/// can be read again from its start (`reopen`: falling back to the slow
/// path needs that), on the slow path ([`validate`]) otherwise. Both print
/// the same problems in the same order. Returns false when the run must
/// stop.
pub(super) fn validate_input(
    reader: Box<dyn BufRead + Send>,
    reopen: Option<&dyn Fn() -> Result<Box<dyn BufRead + Send>>>,
    name: &str,
    (message_schema, result_schema): (&Checker, &Checker),
    sink: &mut Sink<'_>,
    progress: bool,
) -> Result<bool> {
    let Some(reopen) = reopen else {
        return validate(reader, name, message_schema, result_schema, sink);
    };
    let before = sink.report.clone();
    match fast::validate(reader, name, message_schema, result_schema, sink, progress)? {
        fast::Outcome::Done(go_on) => return Ok(go_on),
        fast::Outcome::Fallback => {}
    }
    // The slow path from the start, without printing again what the fast
    // path printed (the same problems, first).
    let printed = |r: &super::Report| r.errors + r.warnings;
    let mut skip = printed(&sink.report) - printed(&before);
    let reader = reopen()?;
    let outer = &mut *sink.emit;
    let mut emit = |p: &super::Problem| {
        if skip > 0 {
            skip -= 1;
            return Ok(());
        }
        outer(p)
    };
    let mut again = Sink { report: before, max_errors: sink.max_errors, emit: &mut emit };
    let go_on = validate(reader, name, message_schema, result_schema, &mut again);
    sink.report = again.report;
    go_on
}

/// Validates one `result.json`. Returns false when the run must stop.
pub(super) fn validate(
    reader: Box<dyn BufRead + Send>,
    name: &str,
    message_schema: &Checker,
    result_schema: &Checker,
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let state = Rc::new(RefCell::new(TapState {
        chunk: Vec::with_capacity(1 << 18),
        idx: 0,
        counted: 0,
        line: 1,
        column: 1,
        capturing: false,
        capture: Vec::new(),
        capture_from: 0,
        capture_at: (1, 1),
        over: false,
        invalid: Vec::new(),
    }));
    // serde_json reads through `io::Bytes`, one byte per call, so the tap's
    // position is exactly serde_json's.
    let tap = Tap {
        inner: reader,
        repairer: Repairer::new(),
        utf8: Utf8Guard::default(),
        finished: false,
        state: state.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(tap);
    let mut ctx = Ctx {
        name,
        message_schema,
        sink,
        state,
        stop: false,
        error: None,
        last_id: None,
        chat_path: String::new(),
        index: 0,
        keys: Vec::new(),
    };
    let top = TopSeed { ctx: &mut ctx }.deserialize(&mut de);
    if !ctx.stop {
        ctx.report_invalid_utf8(None);
    }
    let top = match top {
        Ok(top) => top,
        Err(e) => {
            if let Some(err) = ctx.error.take() {
                return Err(err);
            }
            if ctx.stop {
                return Ok(false);
            }
            let (line, column) = (e.line() as u64, e.column() as u64);
            let msg = format!("invalid JSON: {}", super::strip_position(&e));
            return ctx.sink.push(problem("syntax", name, line, Some(column), None, msg));
        }
    };
    if let Err(e) = de.end() {
        let (line, column) = (e.line() as u64, e.column() as u64);
        let msg = "trailing characters after the top-level object".to_owned();
        if !ctx.sink.push(problem("syntax", name, line, Some(column), None, msg))? {
            return Ok(false);
        }
    }
    for found in result_schema.problems(&top) {
        let (line, column) = key_place(&ctx.keys, &found.pointer);
        let pointer = Some(found.pointer);
        if !ctx.sink.push(problem(found.rule, name, line, Some(column), pointer, found.message))? {
            return Ok(false);
        }
    }
    Ok(!ctx.stop)
}

struct Ctx<'a, 'b> {
    name: &'a str,
    message_schema: &'a Checker,
    sink: &'a mut Sink<'b>,
    state: Rc<RefCell<TapState>>,
    stop: bool,
    error: Option<Error>,
    last_id: Option<i64>,
    /// JSON pointer of the current `messages` array.
    chat_path: String,
    /// Index of the next message in the current array.
    index: u64,
    /// Where each key outside the messages was read (its pointer, the line
    /// and column just after the key), to place the result schema's
    /// problems: a few keys per chat.
    keys: Vec<(String, (u64, u64))>,
}

impl Ctx<'_, '_> {
    fn start_capture(&mut self) {
        self.state.borrow_mut().start_capture();
    }

    fn take_capture(&mut self) -> (Vec<u8>, (u64, u64), bool) {
        self.state.borrow_mut().take_capture()
    }

    fn push(&mut self, p: super::Problem) {
        match self.sink.push(p) {
            Ok(true) => {}
            Ok(false) => self.stop = true,
            Err(e) => {
                self.error = Some(e);
                self.stop = true;
            }
        }
    }

    /// Notes where the key of `pointer` was read.
    /// serde_json has just read the key: its value starts after the
    /// colon and any white space, which are looked for in the bytes read
    /// ahead (the key's end is used if they are not there yet).
    fn note_key(&mut self, pointer: &str) {
        let mut st = self.state.borrow_mut();
        let idx = st.idx;
        st.count_to(idx);
        let ahead = st.chunk.get(idx..).unwrap_or_default();
        let skip = ahead
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':'))
            .unwrap_or(0);
        let at = line_col(ahead, skip, (st.line, st.column));
        drop(st);
        self.keys.push((pointer.to_owned(), at));
    }

    /// Reports the invalid UTF-8 found up to serde_json's place (`message`:
    /// the pointer and start of the message just read, for the places in it).
    fn report_invalid_utf8(&mut self, message: Option<(&str, (u64, u64))>) {
        let places = {
            let mut st = self.state.borrow_mut();
            let idx = st.idx;
            st.count_to(idx);
            let here = (st.line, st.column);
            let due = st.invalid.iter().take_while(|&&place| place <= here).count();
            st.invalid.drain(..due).collect::<Vec<_>>()
        };
        for (line, column) in places {
            let pointer = message
                .filter(|(_, start)| (line, column) >= *start)
                .map(|(pointer, _)| pointer.to_owned());
            let what = "invalid UTF-8 in a string (converting rejects this message; validation reads on with U+FFFD)";
            self.push(problem("syntax", self.name, line, Some(column), pointer, what.to_owned()));
            if self.stop {
                return;
            }
        }
    }

    /// A message over the cap: reported where it starts, as converting
    /// rejects it, and not checked.
    fn too_large(&mut self, at: (u64, u64)) {
        self.sink.report.messages += 1;
        let pointer = format!("{}/{}", self.chat_path, self.index);
        self.index += 1;
        self.push(too_large(self.name, at, pointer));
    }

    /// Checks one message (its raw bytes, where they start, its value).
    fn message(&mut self, raw: &[u8], at: (u64, u64), value: &Value) {
        self.sink.report.messages += 1;
        let base = format!("{}/{}", self.chat_path, self.index);
        self.index += 1;
        self.report_invalid_utf8(Some((&base, at)));
        if self.stop {
            return;
        }
        let message = Message { raw, at, value, base: &base };
        for p in message.problems(self.name, self.message_schema, &mut self.last_id) {
            self.push(p);
            if self.stop {
                return;
            }
        }
    }
}

/// One message as both paths give it to [`Message::problems`]: its raw
/// (repaired) bytes from its `{` to its `}`, the line and column of its
/// `{`, its value, and its JSON pointer.
struct Message<'m> {
    raw: &'m [u8],
    at: (u64, u64),
    value: &'m Value,
    base: &'m str,
}

impl Message<'_> {
    /// Everything wrong with the message, placed, in the order printed:
    /// the schema's problems, the format's checks (`last_id`: the id of the
    /// chat's previous message, updated), keys written twice.
    fn problems(
        &self,
        name: &str,
        schema: &Checker,
        last_id: &mut Option<i64>,
    ) -> Vec<super::Problem> {
        let Message { raw, at, value, base } = *self;
        let place = |pointer: &str, key: bool| -> (u64, u64) {
            let offset = pointer::place(raw, pointer)
                .map(|p| if key { p.key.unwrap_or(p.value) } else { p.value })
                .unwrap_or(0);
            line_col(raw, offset, at)
        };
        let mut found: Vec<(&'static str, String, bool, String)> = schema
            .problems(value)
            .into_iter()
            .map(|f| (f.rule, f.pointer, f.key, f.message))
            .collect();
        let checked = checks(value, last_id);
        found.extend(checked.into_iter().map(|(p, m)| ("check", p, false, m)));
        let mut at_second: Vec<(String, usize)> = Vec::new();
        for (object, key, offset) in repeated_keys(raw) {
            let p = format!("{object}/{}", key.replace('~', "~0").replace('/', "~1"));
            let message =
                format!("key {key:?} appears twice in one object (which is meant cannot be told)");
            at_second.push((p.clone(), offset));
            found.push(("check", p, true, message));
        }
        let mut out = Vec::with_capacity(found.len());
        for (rule, pointer, key, message) in found {
            let second = at_second.iter().find(|(p, _)| key && *p == pointer).map(|(_, o)| *o);
            let (line, column) = match second {
                Some(offset) => line_col(raw, offset, at),
                None => place(&pointer, key),
            };
            let warning = message.contains("ids must increase");
            let pointer = Some(format!("{base}{pointer}"));
            let mut p = problem(rule, name, line, Some(column), pointer, message);
            if warning {
                // Ids out of order happen in real exports (date-range
                // filters, topic forums); a repeated id never does.
                p.severity = super::Severity::Warning;
            }
            out.push(p);
        }
        out
    }
}

/// Keys written twice in one object of a message ([`pointer::repeated_keys`]),
/// but for the message's own second `text`: a service message's action may
/// have a `text` of its own before the message's (send_webview_data,
/// send_star_gift).
fn repeated_keys(raw: &[u8]) -> Vec<(String, String, usize)> {
    let mut keys = pointer::repeated_keys(raw);
    keys.retain(|(object, key, _)| !(object.is_empty() && key == "text"));
    keys
}

/// The line and column of the nearest key noted on the way to `pointer`
/// (the file's start when there is none); `keys` are the keys outside the
/// messages with the place of their values, in file order.
fn key_place(keys: &[(String, (u64, u64))], pointer: &str) -> (u64, u64) {
    keys.iter()
        .filter(|(p, _)| {
            pointer.strip_prefix(p.as_str()).is_some_and(|r| r.is_empty() || r.starts_with('/'))
        })
        .max_by_key(|(p, _)| p.len())
        .map(|(_, at)| *at)
        .unwrap_or((1, 1))
}

/// Byte offset → line and column, counting from `at` (the start of `raw`).
fn line_col(raw: &[u8], offset: usize, at: (u64, u64)) -> (u64, u64) {
    let (mut line, mut column) = at;
    for &b in raw.get(..offset).unwrap_or_default() {
        if b == b'\n' {
            line += 1;
            column = 1;
        } else if b & 0xC0 != 0x80 {
            column += 1;
        }
    }
    (line, column)
}

/// The checks of `docs/tdesktop-export-format.md` §5 a schema cannot
/// express, on one message.
fn checks(m: &Value, last_id: &mut Option<i64>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(id) = m.get("id").and_then(Value::as_i64) {
        match *last_id {
            Some(prev) if id == prev => out.push((
                "/id".into(),
                format!("duplicate id {id} (the previous message has it too)"),
            )),
            // The migrated block's negative ids (id − 10⁹) come first and
            // increase too, so one rule covers both.
            Some(prev) if id < prev => out.push((
                "/id".into(),
                format!("id {id} after {prev}: ids must increase within a chat"),
            )),
            _ => {}
        }
        *last_id = Some(id);
    }
    if let (Some(text), Some(Value::Array(entities))) = (m.get("text"), m.get("text_entities")) {
        let whole: String = match text {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.as_str(),
                    other => other.get("text").and_then(Value::as_str).unwrap_or(""),
                })
                .collect(),
            _ => String::new(),
        };
        let joined: String =
            entities.iter().map(|e| e.get("text").and_then(Value::as_str).unwrap_or("")).collect();
        if matches!(text, Value::String(_) | Value::Array(_)) && joined != whole {
            out.push(("/text_entities".into(), "text_entities joined differ from text".into()));
        }
    }
    if let (Some(date), Some(unix)) =
        (m.get("date").and_then(Value::as_str), m.get("date_unixtime").and_then(Value::as_str))
    {
        // A date that is not a real one is the schema's to report.
        let real = super::dates::check(date, super::dates::Offset::Forbidden).is_ok();
        let local = crate::read::tdesktop_json::dates::parse_local(date).filter(|_| real);
        match (local, unix.parse::<i64>()) {
            (Some(local), Ok(unix)) => {
                let offset = local - unix;
                if offset % 900 != 0 || offset.abs() > 14 * 3600 {
                    out.push((
                        "/date_unixtime".into(),
                        format!("date_unixtime {unix} is not {date} under any time-zone offset"),
                    ));
                }
            }
            // Digits only (the schema checks that) but beyond 64 bits.
            (Some(_), Err(_))
                if unix.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) =>
            {
                out.push((
                    "/date_unixtime".into(),
                    format!("date_unixtime {unix:?} is beyond the range of a 64-bit integer"),
                ))
            }
            _ => {}
        }
    }
    out
}

/// The top-level object: `messages` arrays are streamed, everything else is
/// collected (with `messages` emptied) for the result schema.
struct TopSeed<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_map(ObjectVisitor { ctx: self.ctx, path: String::new(), level: Level::Top })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The file's object: a chat, or an account export.
    Top,
    /// `chats` / `left_chats`.
    Section,
    /// A chat inside a section's list.
    Chat,
}

struct ObjectVisitor<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
    path: String,
    level: Level,
}

impl<'de> Visitor<'de> for ObjectVisitor<'_, '_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}/{}", self.path, key.replace('~', "~0").replace('/', "~1"));
            self.ctx.note_key(&path);
            let value = match (self.level, key.as_str()) {
                (Level::Top | Level::Chat, "messages") => {
                    self.ctx.chat_path = path.clone();
                    self.ctx.index = 0;
                    self.ctx.last_id = None;
                    map.next_value_seed(MessagesSeed { ctx: self.ctx })?;
                    Value::Array(Vec::new())
                }
                (Level::Top, "chats" | "left_chats") => {
                    map.next_value_seed(ObjectSeed { ctx: self.ctx, path, level: Level::Section })?
                }
                (Level::Section, "list") => {
                    map.next_value_seed(ListSeed { ctx: self.ctx, path })?
                }
                _ => map.next_value::<Value>()?,
            };
            if self.ctx.stop {
                return Err(de::Error::custom("stopped"));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

struct ObjectSeed<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
    path: String,
    level: Level,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(ObjectVisitor { ctx: self.ctx, path: self.path, level: self.level })
    }
}

struct ListSeed<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
    path: String,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_, '_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of chats")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        let mut i = 0u64;
        loop {
            let path = format!("{}/{i}", self.path);
            let seed = ObjectSeed { ctx: self.ctx, path, level: Level::Chat };
            match seq.next_element_seed(seed)? {
                Some(chat) => out.push(chat),
                None => break,
            }
            i += 1;
        }
        Ok(Value::Array(out))
    }
}

struct MessagesSeed<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for MessagesSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MessagesSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of messages")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        loop {
            self.ctx.start_capture();
            let Some(value) = seq.next_element::<Value>()? else { break };
            let (raw, at, over) = self.ctx.take_capture();
            // The capture holds the separator (`[`/`,` and whitespace) too.
            let start = raw
                .iter()
                .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'['))
                .unwrap_or(0);
            let at = line_col(&raw, start, at);
            if over {
                self.ctx.too_large(at);
            } else {
                self.ctx.message(raw.get(start..).unwrap_or_default(), at, &value);
            }
            if self.ctx.stop {
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Runs the slow path, then the fast one (falling back to the slow one
/// from the start when it must), on `bytes`: the problems each printed and
/// its report (`truncated` also set when it said stop). Both must be equal.
/// The problem of a message over [`MAX_MESSAGE_BYTES`], at its `{`, on
/// both paths (converting rejects such a message with the same words).
fn too_large(file: &str, at: (u64, u64), pointer: String) -> super::Problem {
    let what = format!(
        "message larger than {} MiB (converting rejects it; a real one is a few KiB)",
        MAX_MESSAGE_BYTES >> 20
    );
    problem("reader", file, at.0, Some(at.1), Some(pointer), what)
}

pub(super) fn both_paths(
    bytes: &[u8],
    max_errors: Option<u64>,
    schemas: (&Checker, &Checker),
) -> Result<[(Vec<String>, super::Report); 2]> {
    let run = |fast: bool| -> Result<(Vec<String>, super::Report)> {
        let mut seen = Vec::new();
        let mut emit = |p: &super::Problem| {
            seen.push(p.to_string());
            Ok(())
        };
        let mut sink = Sink { report: Default::default(), max_errors, emit: &mut emit };
        let reader = Box::new(std::io::Cursor::new(bytes.to_vec()));
        let reopen = || -> Result<Box<dyn BufRead + Send>> {
            Ok(Box::new(std::io::Cursor::new(bytes.to_vec())))
        };
        let reopen: Option<&dyn Fn() -> Result<Box<dyn BufRead + Send>>> = fast.then_some(&reopen);
        let go_on = validate_input(reader, reopen, "f", schemas, &mut sink, false)?;
        let mut report = sink.report;
        report.truncated |= !go_on;
        Ok((seen, report))
    };
    Ok([run(false)?, run(true)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message schema and the result schema, as `validate` builds them.
    fn schemas() -> (Checker, Checker) {
        let message = Checker::new(crate::schema::TDESKTOP_MESSAGE, &[]).unwrap();
        let result = Checker::new(
            crate::schema::TDESKTOP_RESULT,
            &[(crate::schema::TDESKTOP_MESSAGE_ID, crate::schema::TDESKTOP_MESSAGE)],
        )
        .unwrap();
        (message, result)
    }

    #[test]
    fn bulk_repair_is_the_byte_machine() {
        let inputs: [&[u8]; 4] = [
            br#"{"a": "x\x0By\x1f", "b": "\\x41", "c": "\"\x00"}"#,
            "{\n \"document_id\": stickers/s (1).webp\n, \"t\": \"\\u00e9 é\"}".as_bytes(),
            b"[\"unterminated \\x4",
            "  {  \"\u{e9}l\u{e8}ve\" :   [1, 2,\t3], \"k\":\"v\\\\\"}  ".as_bytes(),
        ];
        for input in inputs {
            let mut want = Vec::new();
            let mut m = Repairer::new();
            for &b in input {
                m.feed(b, &mut want);
            }
            m.finish(&mut want);
            // Every split into two buffers, as refills cut the input.
            for cut in 0..=input.len() {
                let mut got = Vec::new();
                let mut r = Repairer::new();
                let mut utf8 = Utf8Guard::default();
                repair_into(&mut r, &input[..cut], &mut got, &mut utf8);
                repair_into(&mut r, &input[cut..], &mut got, &mut utf8);
                r.finish(&mut got);
                assert_eq!(got, want, "cut at {cut} of {:?}", String::from_utf8_lossy(input));
                assert_eq!(
                    (r.line(), r.column(), r.repairs()),
                    (m.line(), m.column(), m.repairs())
                );
            }
        }
    }

    /// Invalid UTF-8 in a string is reported at its place, in its message,
    /// and validation goes on to the end (the file's other messages are
    /// checked); the same with a refill inside every character.
    #[test]
    fn invalid_utf8_is_reported_and_reading_goes_on() {
        let (message, result) = schemas();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let good = std::fs::read(root.join("fixtures/tdesktop/repairs-2022/result.json")).unwrap();
        let bad = String::from_utf8(good)
            .unwrap()
            .replace("\"from\": \"Ann\"", "\"from\": \"A\u{FFFF}n\"");
        // U+FFFF is EF BF BF: make its last byte a lone lead byte.
        let mut bytes = bad.into_bytes();
        let at = bytes.windows(3).position(|w| w == [0xEF, 0xBF, 0xBF]).unwrap();
        bytes.splice(at..at + 3, [0xFF]);
        let run = |capacity: usize| -> (Vec<String>, u64) {
            let mut seen = Vec::new();
            let mut emit = |p: &super::super::Problem| {
                seen.push(p.to_string());
                Ok(())
            };
            let mut sink = Sink { report: Default::default(), max_errors: None, emit: &mut emit };
            let reader =
                std::io::BufReader::with_capacity(capacity, std::io::Cursor::new(bytes.clone()));
            validate(Box::new(reader), "f", &message, &result, &mut sink).unwrap();
            let messages = sink.report.messages;
            (seen, messages)
        };
        let (whole, messages) = run(1 << 20);
        assert_eq!(whole.len(), 1, "{whole:?}");
        assert!(whole[0].starts_with("f:11:14: /messages/0: invalid UTF-8"), "{whole:?}");
        assert_eq!(messages, 2);
        for capacity in [1, 2, 7] {
            assert_eq!(run(capacity), (whole.clone(), 2), "capacity {capacity}");
        }
    }

    /// The same problems at the same places whether the input comes in one
    /// buffer or in seven-byte pieces (a refill inside every message).
    #[test]
    fn positions_do_not_depend_on_buffering() {
        let (message, result) = schemas();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in [
            "fixtures/tdesktop/innerdvations-parser-tests/error-unexpected.json",
            "fixtures/invalid/tdesktop-date-unixtime-off/input.json",
            "fixtures/invalid/tdesktop-truncated/input.json",
            "fixtures/tdesktop/repairs-2022/result.json",
        ] {
            let bytes = std::fs::read(root.join(file)).unwrap();
            let run = |capacity: usize| -> Vec<String> {
                let mut seen = Vec::new();
                let mut emit = |p: &super::super::Problem| {
                    seen.push(p.to_string());
                    Ok(())
                };
                let mut sink =
                    Sink { report: Default::default(), max_errors: None, emit: &mut emit };
                let reader = std::io::BufReader::with_capacity(
                    capacity,
                    std::io::Cursor::new(bytes.clone()),
                );
                validate(Box::new(reader), "f", &message, &result, &mut sink).unwrap();
                seen
            };
            let whole = run(1 << 20);
            assert_eq!(whole.is_empty(), file.contains("repairs-2022"), "{file}: {whole:?}");
            assert_eq!(run(7), whole, "{file}");
        }
    }

    /// Variants of an export: as it is, minified, with message problems
    /// planted (valid JSON, so the fast path places them), and broken
    /// (truncated, bytes replaced: the fast path falls back).
    fn variants(bytes: &[u8]) -> Vec<Vec<u8>> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let mut out = vec![bytes.to_vec()];
        if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
            out.push(serde_json::to_vec(&value).unwrap());
        }
        let plants = [
            ("\"type\": \"message\"", "\"type\": \"mesage\""),
            ("\"date_unixtime\": \"1", "\"date_unixtime\": \"2"),
            ("\"id\": ", "\"id\": 1.0, \"x\": "),
            ("\"text\": \"", "\"text\": \"x"),
            ("\"from\": ", "\"from\": 7, \"from\": "),
            ("\"id\": 1", "\"id\": -1"),
        ];
        for (from, to) in plants {
            for nth in [0, 3, 9] {
                if let Some((at, _)) = text.match_indices(from).nth(nth) {
                    let mut t = text.clone();
                    t.replace_range(at..at + from.len(), to);
                    out.push(t.into_bytes());
                }
            }
        }
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len().saturating_sub(2)] {
            out.push(bytes[..cut].to_vec());
        }
        for (i, b) in [b'"', b'}', 0xFF, b'\\', b'{'].into_iter().enumerate() {
            let mut v = bytes.to_vec();
            if let Some(slot) = v.get_mut(bytes.len() * (2 * i + 3) / 13) {
                *slot = b;
            }
            out.push(v);
        }
        out
    }

    /// The fast path prints exactly what the slow path prints, with the
    /// same report, on every `result.json` fixture and its variants, with
    /// and without `--max-errors`.
    #[test]
    fn fast_path_agrees_with_slow_path() {
        let (message, result) = schemas();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("fixtures")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json")
                    && !path.to_string_lossy().contains("expected")
                {
                    files.push(path);
                }
            }
        }
        files.sort();
        assert!(files.len() >= 20, "{files:?}");
        let (mut compared, mut with_problems) = (0, 0);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for (n, variant) in variants(&bytes).iter().enumerate() {
                for max_errors in [None, Some(2)] {
                    let [slow, fast] =
                        both_paths(variant, max_errors, (&message, &result)).unwrap();
                    assert_eq!(fast, slow, "{} variant {n}, max {max_errors:?}", file.display());
                    compared += 1;
                    with_problems += usize::from(!slow.0.is_empty());
                }
            }
        }
        assert!(compared > 400 && with_problems > 200, "{compared} {with_problems}");
    }

    /// A message over the cap is reported where it starts, on both paths,
    /// as converting rejects it, and the messages after it are checked.
    #[test]
    fn a_message_over_the_cap_is_reported_on_both_paths() {
        let (message, result) = schemas();
        let one = |id: u32, text: &str| {
            format!(
                "  {{\n   \"id\": {id},\n   \"type\": \"message\",\n   \"date\": \"2024-01-01T00:00:0{id}\",\n   \"date_unixtime\": \"170406720{id}\",\n   \"from\": \"A\",\n   \"from_id\": \"user1\",\n   \"text\": \"{text}\",\n   \"text_entities\": []\n  }}"
            )
        };
        let big = "x".repeat(MAX_MESSAGE_BYTES + 1);
        // The last message breaks the schema: it must still be checked.
        let messages = [
            one(1, ""),
            one(2, &big),
            one(3, ""),
            one(4, "").replace("\"from\": \"A\"", "\"from\": 5"),
        ];
        let file = format!(
            "{{\n \"name\": \"c\",\n \"type\": \"public_channel\",\n \"id\": 1,\n \"messages\": [\n{}\n ]\n}}\n",
            messages.join(",\n")
        );
        // Also behind a repaired byte, which sends the fast path back to
        // the slow one.
        let repaired = file.replacen("\"c\"", "\"c\\x0B\"", 1);
        for bytes in [file.as_bytes(), repaired.as_bytes()] {
            let [slow, fast] = both_paths(bytes, None, (&message, &result)).unwrap();
            assert_eq!(fast, slow);
            let (problems, report) = slow;
            assert_eq!(report.messages, 4);
            assert_eq!(problems.len(), 2, "{problems:?}");
            assert_eq!(
                problems[0],
                "f:16:3: /messages/1: message larger than 16 MiB \
                 (converting rejects it; a real one is a few KiB)"
            );
            assert_eq!(problems[1], "f:41:12: /messages/3/from: 5 should be a string or null");
        }
    }

    /// The fast path itself (no fall back) reports a file whose messages
    /// break the schema and the format's checks, and a large valid one, cut
    /// by its layout.
    #[test]
    fn fast_path_places_message_problems_itself() {
        let (message, result) = schemas();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (file, problems) in [
            ("fixtures/invalid/tdesktop-date-unixtime-off/input.json", 1),
            ("fixtures/invalid/tdesktop-duplicate-id/input.json", 1),
            ("fixtures/invalid/tdesktop-part-repeated-key/input.json", 1),
            ("fixtures/tdesktop/salaf-channel-rtl/result.json", 0),
        ] {
            let bytes = std::fs::read(root.join(file)).unwrap();
            let mut seen = Vec::new();
            let mut emit = |p: &super::super::Problem| {
                seen.push(p.to_string());
                Ok(())
            };
            let mut sink = Sink { report: Default::default(), max_errors: None, emit: &mut emit };
            let outcome =
                fast::validate(&bytes[..], "f", &message, &result, &mut sink, false).unwrap();
            assert!(matches!(outcome, fast::Outcome::Done(true)), "{file}");
            assert!(sink.report.messages > 0, "{file}");
            assert_eq!(seen.len(), problems, "{file}: {seen:?}");
        }
    }
}
