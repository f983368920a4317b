//! The repair filter: makes Telegram Desktop's almost-JSON into JSON, byte by
//! byte, and says what it changed.
//!
//! Telegram Desktop serialises by hand (docs/tdesktop-export-format.md §2.1)
//! and two of its habits are not JSON:
//!
//! - **`\xHH` escapes** for C0 control characters other than `\n`, `\r`,
//!   `\t` (§2.1, §2.7: `request_poll` buttons give `"\x00"`). They become
//!   `\u00HH`, which means the same character.
//! - **Unquoted `document_id` values** of custom emoji, written by 4.0.4–4.1.1
//!   (2022-08, tdesktop #24961): `"document_id": stickers/sticker (2).webm`.
//!   The value runs to the end of its line (the writer always ends the part
//!   object there) and becomes a JSON string. Only a value that is not JSON
//!   is repaired: a string, an object, an array, and a number or literal
//!   followed (after spaces) by `,`, `}`, `]` or the line's end are left as
//!   they are, so a valid file is never changed. To tell, the bytes of a
//!   number or literal are held back until what follows them decides
//!   (at most [`MAX_HELD`] bytes: a longer run of number characters is
//!   taken for a number, which no path the old writer wrote could be).
//!
//! Nothing else is touched: any other invalid byte goes to serde_json as is
//! and is reported with its position. The machine is string-aware and
//! escape-aware (`"\\x41"` is a backslash and `x41`, not a repair), which a
//! regex cannot be. It keeps input line and column so that every repair and
//! every error can be pointed at in the original file.

use std::io::{self, Read};

/// What a repair fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepairKind {
    /// `\xHH` turned into `\u00HH`.
    XEscape,
    /// An unquoted `document_id` value turned into a string.
    UnquotedDocumentId,
}

impl RepairKind {
    /// Short name for the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            RepairKind::XEscape => "\\xHH escape",
            RepairKind::UnquotedDocumentId => "unquoted document_id",
        }
    }

    /// Its name in the summary JSON (`files[].repairs[].kind`).
    pub fn code(self) -> &'static str {
        match self {
            RepairKind::XEscape => "x-escape",
            RepairKind::UnquotedDocumentId => "unquoted-document-id",
        }
    }
}

/// Count and first position (1-based line and column) of one kind of repair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many times.
    pub count: u64,
    /// Line and column of the first one.
    pub first: Option<(u64, u64)>,
}

/// How a byte fed to the [`Repairer`] relates to JSON structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Outside any string: a structural character, whitespace or part of a
    /// number or literal.
    Outside,
    /// The `"` that opens a string (or the start of a repaired unquoted value).
    StringStart,
    /// Inside a string.
    Inside,
    /// The `"` that closes a string (or the end of a repaired unquoted value).
    StringEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Outside,
    Str,
    Escape,
    /// Inside `\u00HH` produced from `\xHH`: this many hex digits to go.
    Hex(u8),
    /// Inside a repaired unquoted `document_id` value.
    Unquoted,
    /// A `document_id` value that may be a JSON number or literal: its bytes
    /// are held back until what follows tells.
    DocToken(Token),
    /// Such a value, complete, then spaces or tabs.
    DocTokenEnd,
}

/// Longest `document_id` number or literal held back (see the module docs).
pub const MAX_HELD: usize = 1024;

/// How far a JSON number (RFC 8259 §6) or literal has been read: the
/// automaton behind the unquoted `document_id` check, shared with the
/// reader's check of messages cut out by their layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// `-`.
    Minus,
    /// A leading `0`.
    Zero,
    /// Integer digits.
    Int,
    /// `.` after the integer part.
    Dot,
    /// Fraction digits.
    Frac,
    /// `e` or `E`.
    Exp,
    /// The exponent's sign.
    ExpSign,
    /// Exponent digits.
    ExpInt,
    /// The first bytes of `true`, `false` or `null`.
    Literal {
        /// Which literal (0, 1, 2 in that order).
        which: u8,
        /// How many of its bytes.
        len: u8,
    },
}

const LITERALS: [&[u8]; 3] = [b"true", b"false", b"null"];

impl Token {
    /// The token a value starting with `b` begins, if any.
    pub fn start(b: u8) -> Option<Token> {
        match b {
            b'-' => Some(Token::Minus),
            b'0' => Some(Token::Zero),
            b'1'..=b'9' => Some(Token::Int),
            _ => {
                let which = LITERALS.iter().position(|l| l.first() == Some(&b))?;
                Some(Token::Literal { which: which as u8, len: 1 })
            }
        }
    }

    /// The token after one more byte, or `None` when `b` cannot continue it.
    pub fn step(self, b: u8) -> Option<Token> {
        use Token::*;
        let digit = b.is_ascii_digit();
        match (self, b) {
            (Minus, b'0') => Some(Zero),
            (Minus, b'1'..=b'9') => Some(Int),
            (Int, _) if digit => Some(Int),
            (Zero | Int, b'.') => Some(Dot),
            (Zero | Int | Frac, b'e' | b'E') => Some(Exp),
            (Dot | Frac, _) if digit => Some(Frac),
            (Exp, b'+' | b'-') => Some(ExpSign),
            (Exp | ExpSign | ExpInt, _) if digit => Some(ExpInt),
            (Literal { which, len }, _) => {
                let word = LITERALS.get(usize::from(which))?;
                (word.get(usize::from(len)) == Some(&b)).then_some(Literal { which, len: len + 1 })
            }
            _ => None,
        }
    }

    /// Whether the bytes so far are a whole number or literal.
    pub fn complete(self) -> bool {
        match self {
            Token::Zero | Token::Int | Token::Frac | Token::ExpInt => true,
            Token::Literal { which, len } => {
                LITERALS.get(usize::from(which)).is_some_and(|w| w.len() == usize::from(len))
            }
            _ => false,
        }
    }
}

/// What may follow a JSON value inside an object or array, on its line: the
/// byte that ends a held-back `document_id` number or literal.
pub fn ends_value(b: u8) -> bool {
    matches!(b, b',' | b'}' | b']' | b'\n' | b'\r')
}

/// The byte-level state machine. Feed it every input byte in order; it
/// appends the repaired bytes to an output buffer.
#[derive(Clone, Debug)]
pub struct Repairer {
    state: State,
    /// First bytes of the string being read, to recognise the key
    /// `document_id`.
    key: [u8; 12],
    key_len: usize,
    /// The last string closed was `"document_id"`.
    after_doc_key: bool,
    /// A `:` followed `"document_id"`: the next value is checked.
    expect_doc_value: bool,
    line: u64,
    column: u64,
    /// The bytes of a `document_id` value held back (see [`State::DocToken`]),
    /// and the line and column of the first.
    held: Vec<u8>,
    held_at: (u64, u64),
    /// `\xHH` repairs.
    pub x_escapes: Tally,
    /// Unquoted `document_id` repairs.
    pub document_ids: Tally,
}

impl Default for Repairer {
    fn default() -> Repairer {
        Repairer::new()
    }
}

const DOC_KEY: &[u8] = b"document_id";

impl Repairer {
    /// A machine at line 1, column 1, outside any string.
    pub fn new() -> Repairer {
        Repairer {
            state: State::Outside,
            key: [0; 12],
            key_len: 0,
            after_doc_key: false,
            expect_doc_value: false,
            line: 1,
            column: 1,
            held: Vec::new(),
            held_at: (1, 1),
            x_escapes: Tally::default(),
            document_ids: Tally::default(),
        }
    }

    /// A machine outside any string whose next byte is at `line`, `column`
    /// of the file: for repairing one message cut out of it.
    pub fn at(line: u64, column: u64) -> Repairer {
        Repairer { line, column, ..Repairer::new() }
    }

    /// Accounts for a whole value (a message) that the caller cut out and
    /// copied itself, without repairing it: the machine resumes outside any
    /// string at `line`, `column`. Only valid between values.
    pub fn resume_at(&mut self, line: u64, column: u64) {
        debug_assert!(self.state == State::Outside && !self.expect_doc_value);
        self.line = line;
        self.column = column;
        self.after_doc_key = false;
    }

    /// Repairs a whole slice; `None` when nothing needed repair.
    pub fn repair_slice(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        let before = self.repairs();
        let mut out = Vec::with_capacity(bytes.len() + 64);
        for &b in bytes {
            self.feed(b, &mut out);
        }
        (self.repairs() > before).then_some(out)
    }

    /// Line (1-based) of the next byte to be fed.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Column (1-based, in characters) of the next byte to be fed.
    pub fn column(&self) -> u64 {
        self.column
    }

    /// Total repairs so far.
    pub fn repairs(&self) -> u64 {
        self.x_escapes.count + self.document_ids.count
    }

    /// True while inside a string (or a repaired unquoted value).
    pub fn in_string(&self) -> bool {
        self.state != State::Outside
    }

    /// True inside a string and not in an escape: bytes other than `"`,
    /// `\` and controls can be passed with [`Repairer::advance_plain`].
    #[inline]
    pub fn in_plain_string(&self) -> bool {
        self.state == State::Str
    }

    /// Accounts for a run of spaces outside strings that the caller copied
    /// itself.
    #[inline]
    pub fn advance_spaces(&mut self, n: usize) {
        debug_assert!(self.state == State::Outside);
        self.column += n as u64;
    }

    /// True while the byte after a `"document_id":` is awaited: the caller
    /// must feed bytes one at a time.
    #[inline]
    pub fn expects_value_check(&self) -> bool {
        self.expect_doc_value || matches!(self.state, State::DocToken(_) | State::DocTokenEnd)
    }

    /// Accounts for a run of bytes outside strings that the caller copied
    /// itself: whitespace, commas, numbers, literals; no `"`, `:` or
    /// bracket. Only valid outside strings when
    /// [`Repairer::expects_value_check`] is false.
    #[inline]
    pub fn advance_between(&mut self, chunk: &[u8]) {
        debug_assert!(self.state == State::Outside && !self.expect_doc_value);
        if chunk.iter().any(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.after_doc_key = false;
        }
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', chunk).count() as u64;
                self.column = 1 + chars(chunk.get(last + 1..).unwrap_or_default());
            }
            None => self.column += chars(chunk),
        }
    }

    /// Accounts for a run of plain string bytes (no `"`, `\` or newline)
    /// that the caller copied itself; only valid when
    /// [`Repairer::in_plain_string`].
    #[inline]
    pub fn advance_plain(&mut self, chunk: &[u8]) {
        self.column += chars(chunk);
        let end = self.key_len.saturating_add(chunk.len());
        match self.key.get_mut(self.key_len..end) {
            Some(slot) => {
                slot.copy_from_slice(chunk);
                self.key_len = end;
            }
            None => self.key_len = usize::MAX,
        }
    }

    fn note(tally: &mut Tally, line: u64, column: u64) {
        tally.count += 1;
        if tally.first.is_none() {
            tally.first = Some((line, column));
        }
    }

    /// Feeds one input byte, appending its repaired form to `out`.
    #[inline]
    pub fn feed(&mut self, b: u8, out: &mut Vec<u8>) -> Class {
        let (line, column) = (self.line, self.column);
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            self.column += 1;
        }
        match self.state {
            State::Str => self.feed_string(b, out),
            State::Escape => {
                if b == b'x' {
                    Self::note(&mut self.x_escapes, line, column.saturating_sub(1));
                    out.extend_from_slice(b"u00");
                    self.state = State::Hex(2);
                } else {
                    out.push(b);
                    self.state = State::Str;
                }
                Class::Inside
            }
            State::Hex(left) => {
                if b.is_ascii_hexdigit() {
                    out.push(b);
                    self.state = if left <= 1 { State::Str } else { State::Hex(left - 1) };
                    Class::Inside
                } else {
                    // Not `\xHH` after all: leave the rest to serde_json, which
                    // reports the bad escape at this position.
                    self.state = State::Str;
                    self.undo_position(b, line, column);
                    self.feed(b, out)
                }
            }
            State::Unquoted => match b {
                b'\n' | b'\r' => {
                    self.state = State::Outside;
                    out.push(b'"');
                    out.push(b);
                    Class::StringEnd
                }
                _ => {
                    push_unquoted(b, out);
                    Class::Inside
                }
            },
            State::DocToken(token) => {
                if let Some(next) = token.step(b) {
                    self.held.push(b);
                    self.state = State::DocToken(next);
                    if self.held.len() >= MAX_HELD {
                        self.release(out);
                    }
                    return Class::Outside;
                }
                self.after_held(token.complete(), b, line, column, out)
            }
            State::DocTokenEnd => self.after_held(true, b, line, column, out),
            State::Outside => self.feed_outside(b, line, column, out),
        }
    }

    /// [`Repairer::feed`] inside a string: the end of a key is checked for
    /// `document_id`.
    #[inline]
    fn feed_string(&mut self, b: u8, out: &mut Vec<u8>) -> Class {
        match b {
            b'"' => {
                self.state = State::Outside;
                self.after_doc_key =
                    self.key_len == DOC_KEY.len() && self.key.get(..DOC_KEY.len()) == Some(DOC_KEY);
                out.push(b);
                Class::StringEnd
            }
            b'\\' => {
                self.state = State::Escape;
                self.key_len = usize::MAX;
                out.push(b);
                Class::Inside
            }
            _ => {
                if let Some(slot) = self.key.get_mut(self.key_len) {
                    *slot = b;
                    self.key_len += 1;
                } else {
                    self.key_len = usize::MAX;
                }
                out.push(b);
                Class::Inside
            }
        }
    }

    /// [`Repairer::feed`] between values: where a `document_id` value starts
    /// (held back, or quoted when it is not JSON), and strings open.
    #[inline]
    fn feed_outside(&mut self, b: u8, line: u64, column: u64, out: &mut Vec<u8>) -> Class {
        if self.expect_doc_value && !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            self.expect_doc_value = false;
            if let Some(token) = Token::start(b) {
                self.held.clear();
                self.held.push(b);
                self.held_at = (line, column);
                self.state = State::DocToken(token);
                return Class::Outside;
            }
            if !matches!(b, b'"' | b'{' | b'[') {
                Self::note(&mut self.document_ids, line, column);
                self.state = State::Unquoted;
                out.push(b'"');
                self.undo_position(b, line, column);
                self.feed(b, out);
                return Class::StringStart;
            }
        }
        match b {
            b'"' => {
                self.state = State::Str;
                self.key_len = 0;
                out.push(b);
                Class::StringStart
            }
            b':' => {
                self.expect_doc_value = self.after_doc_key;
                self.after_doc_key = false;
                out.push(b);
                Class::Outside
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.push(b);
                Class::Outside
            }
            _ => {
                self.after_doc_key = false;
                out.push(b);
                Class::Outside
            }
        }
    }

    /// After a held-back `document_id` value (`complete` when it is a whole
    /// number or literal), the byte `b` decides: spaces wait, a byte that may
    /// follow a value makes it JSON, anything else makes it the start of an
    /// unquoted value.
    fn after_held(
        &mut self,
        complete: bool,
        b: u8,
        line: u64,
        column: u64,
        out: &mut Vec<u8>,
    ) -> Class {
        if complete && matches!(b, b' ' | b'\t') && self.held.len() < MAX_HELD {
            self.held.push(b);
            self.state = State::DocTokenEnd;
            return Class::Outside;
        }
        self.undo_position(b, line, column);
        if complete && (ends_value(b) || matches!(b, b' ' | b'\t')) {
            self.release(out);
            return self.feed(b, out);
        }
        let (at_line, at_column) = self.held_at;
        Self::note(&mut self.document_ids, at_line, at_column);
        out.push(b'"');
        for &h in &self.held {
            push_unquoted(h, out);
        }
        self.held.clear();
        self.state = State::Unquoted;
        self.feed(b, out)
    }

    /// Writes a held-back `document_id` value out as it was (JSON).
    fn release(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.held);
        self.state = State::Outside;
    }

    /// Rewinds the position bookkeeping of a byte about to be fed again.
    fn undo_position(&mut self, _b: u8, line: u64, column: u64) {
        self.line = line;
        self.column = column;
    }

    /// Ends the input: closes a repaired value still open at end of file.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            State::Unquoted => {
                out.push(b'"');
                self.state = State::Outside;
            }
            State::DocToken(_) | State::DocTokenEnd => self.release(out),
            _ => {}
        }
    }
}

/// Characters in `bytes`: the bytes that are not UTF-8 continuation bytes
/// (so a stray byte of invalid input counts as one). Counted in blocks
/// without early exit, which the compiler vectorises.
#[inline]
fn chars(bytes: &[u8]) -> u64 {
    let mut n = 0u64;
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        n += u64::from(block.iter().map(|&b| u8::from(b & 0xC0 != 0x80)).sum::<u8>());
    }
    n + blocks.remainder().iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

/// Whether the [`Repairer`] leaves a `document_id` value as it is (JSON),
/// given the bytes from its first non-blank byte on: the machine's decision
/// as a pure function, for checking a message without feeding it through
/// the machine (and tested against it).
pub fn doc_value_is_json(value: &[u8]) -> bool {
    let Some(&first) = value.first() else { return true };
    if matches!(first, b'"' | b'{' | b'[') {
        return true;
    }
    let Some(mut token) = Token::start(first) else { return false };
    let mut held = 1;
    while let Some(next) = value.get(held).and_then(|&b| token.step(b)) {
        token = next;
        held += 1;
        if held >= MAX_HELD {
            return true;
        }
    }
    if value.len() == held {
        return true; // released at the end of the input
    }
    if !token.complete() {
        return false;
    }
    loop {
        match value.get(held) {
            None => return true,
            Some(b' ' | b'\t') if held < MAX_HELD => held += 1,
            Some(b' ' | b'\t') => return true,
            Some(&b) => return ends_value(b),
        }
    }
}

/// One byte of an unquoted value, as a JSON string's content.
fn push_unquoted(b: u8, out: &mut Vec<u8>) {
    match b {
        b'"' | b'\\' => {
            out.push(b'\\');
            out.push(b);
        }
        0..=0x1F => push_u_escape(b, out),
        _ => out.push(b),
    }
}

fn push_u_escape(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u00");
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xF)]);
}

/// A `Read` adapter that repairs a whole stream: put it in front of any JSON
/// parser to read a Telegram Desktop file that is not quite JSON.
///
/// ```
/// use std::io::Read;
/// use tgnorm::read::tdesktop_json::repair::RepairRead;
///
/// let raw = br#"{"text": "a\x0Bb", "document_id": stickers/s (1).webp
/// }"#;
/// let mut fixed = String::new();
/// let mut r = RepairRead::new(&raw[..]);
/// r.read_to_string(&mut fixed).unwrap();
/// let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
/// assert_eq!(v["text"], "a\u{b}b");
/// assert_eq!(v["document_id"], "stickers/s (1).webp");
/// assert_eq!(r.repairer().repairs(), 2);
/// ```
pub struct RepairRead<R> {
    inner: R,
    machine: Repairer,
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: Read> RepairRead<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> RepairRead<R> {
        RepairRead {
            inner,
            machine: Repairer::new(),
            raw: vec![0; 64 * 1024],
            out: Vec::new(),
            at: 0,
            done: false,
        }
    }

    /// The machine, for its counts and position.
    pub fn repairer(&self) -> &Repairer {
        &self.machine
    }
}

impl<R: Read> Read for RepairRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.at = 0;
            let n = self.inner.read(&mut self.raw)?;
            if n == 0 {
                self.machine.finish(&mut self.out);
                self.done = true;
                continue;
            }
            for &b in self.raw.get(..n).unwrap_or_default() {
                self.machine.feed(b, &mut self.out);
            }
        }
        let pending = self.out.get(self.at..).unwrap_or_default();
        let n = pending.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), pending.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repair(input: &str) -> (String, Repairer) {
        let mut m = Repairer::new();
        let mut out = Vec::new();
        for &b in input.as_bytes() {
            m.feed(b, &mut out);
        }
        m.finish(&mut out);
        (String::from_utf8(out).unwrap(), m)
    }

    #[test]
    fn x_escapes_become_u_escapes() {
        let (out, m) = repair(r#"{"a": "x\x0By\x1f"}"#);
        assert_eq!(out, r#"{"a": "x\u000By\u001f"}"#);
        assert_eq!(m.x_escapes.count, 2);
        assert_eq!(m.x_escapes.first, Some((1, 9)));
    }

    #[test]
    fn escaped_backslash_is_not_a_repair() {
        let (out, m) = repair(r#"["\\x41", "\"\x00"]"#);
        assert_eq!(out, r#"["\\x41", "\"\u0000"]"#);
        assert_eq!(m.x_escapes.count, 1);
    }

    #[test]
    fn x_outside_strings_and_bad_hex_are_left_alone() {
        let (out, m) = repair(r#"{"k": x, "b": "\xZZ"}"#);
        assert_eq!(out, r#"{"k": x, "b": "\u00ZZ"}"#);
        assert_eq!(m.x_escapes.count, 1);
        // A quote right after `\x` still closes the string.
        let (out, _) = repair("[\"\\x\", 1]");
        assert_eq!(out, "[\"\\u00\", 1]");
    }

    #[test]
    fn unquoted_document_ids_become_strings() {
        let input =
            "{\n \"type\": \"custom_emoji\",\n \"document_id\": video_files/sticker (2).webm\n}";
        let (out, m) = repair(input);
        assert_eq!(out, "{\n \"type\": \"custom_emoji\",\n \"document_id\": \"video_files/sticker (2).webm\"\n}");
        assert_eq!(m.document_ids.count, 1);
        assert_eq!(m.document_ids.first, Some((3, 17)));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["document_id"], "video_files/sticker (2).webm");
    }

    #[test]
    fn quoted_document_ids_and_other_keys_pass() {
        let input = r#"{"document_id": "a", "document_idx": 5, "x": "document_id", "y": 1}"#;
        let (out, m) = repair(input);
        assert_eq!(out, input);
        assert_eq!(m.repairs(), 0);
    }

    #[test]
    fn unquoted_value_with_quotes_is_escaped_and_closed_at_eof() {
        let (out, _) = repair("{\"document_id\": a\"b\\c");
        assert_eq!(out, "{\"document_id\": \"a\\\"b\\\\c\"");
    }

    #[test]
    fn read_adapter_matches_machine() {
        let input = "[\"\\x01\", {\"document_id\": 12345x\n}]";
        let mut s = String::new();
        RepairRead::new(input.as_bytes()).read_to_string(&mut s).unwrap();
        assert_eq!(s, "[\"\\u0001\", {\"document_id\": \"12345x\"\n}]");
    }

    /// The pure decision is the machine's, on every prefix of tricky values.
    #[test]
    fn doc_value_is_json_is_the_machine() {
        let long_number = "9".repeat(MAX_HELD + 3);
        let long_spaces = format!("1{}x", " ".repeat(MAX_HELD + 3));
        let values = [
            "5368324170671202286}",
            "-1.5e+3 \n",
            "0\t,",
            "null}",
            "true]",
            "false,",
            "{\"a\": 1}",
            "[1]",
            "\"s\"",
            "12 (2).webm\n",
            "1.webp\n",
            "true.tgs\n",
            "nul\n",
            "-\t}\n",
            "7 8\n",
            "01\n",
            "1e\n",
            "1.\n",
            "-0.0E-0 ,",
            "x\n",
            "1 \r",
            "1\r",
            &long_number,
            &long_spaces,
            "9 ",
            "tru",
        ];
        for v in values {
            for end in 0..=v.len() {
                let value = &v[..end];
                let input = format!("{{\"document_id\": {value}");
                let (_, m) = repair(&input);
                let json = m.document_ids.count == 0;
                assert_eq!(doc_value_is_json(value.as_bytes()), json, "{value:?}");
            }
        }
    }

    /// A `document_id` that is valid JSON is never touched, in any layout;
    /// one that is not becomes a string running to the end of its line.
    #[test]
    fn only_invalid_document_ids_are_repaired() {
        let valid = [
            "{\"document_id\": 5368324170671202286}",
            "{\"document_id\":5368324170671202286,\"x\":1}",
            "{\"document_id\": -1.5e+3 \n}",
            "{\"document_id\": 0\t,\"a\": [true]}",
            "[{\"document_id\": null}, {\"document_id\": true}, {\"document_id\": false}]",
            "{\"document_id\": {\"a\": 1}, \"b\": [\"document_id\"]}",
            "{\"document_id\": [1, 2]}",
            "{\"document_id\": \"\"}",
        ];
        for input in valid {
            let (out, m) = repair(input);
            assert_eq!((out.as_str(), m.repairs()), (input, 0), "{input}");
        }
        let repaired = [
            ("{\"document_id\": 12 (2).webm\n}", "{\"document_id\": \"12 (2).webm\"\n}"),
            ("{\"document_id\": 1.webp\n}", "{\"document_id\": \"1.webp\"\n}"),
            ("{\"document_id\": true.tgs\n}", "{\"document_id\": \"true.tgs\"\n}"),
            ("{\"document_id\": nul\n}", "{\"document_id\": \"nul\"\n}"),
            ("{\"document_id\": -\t}\n}", "{\"document_id\": \"-\\u0009}\"\n}"),
            ("{\"document_id\": 7 8\n}", "{\"document_id\": \"7 8\"\n}"),
        ];
        for (input, want) in repaired {
            let (out, m) = repair(input);
            assert_eq!((out.as_str(), m.document_ids.count), (want, 1), "{input}");
            assert_eq!(m.document_ids.first, Some((1, 17)), "{input}");
        }
    }
}
