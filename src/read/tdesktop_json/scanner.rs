//! The scanner: the structure of a `result.json` only, never its values.
//! It walks a value byte by byte through the [`Repairer`]
//! ([`Scanner::walk`]), or cuts a message out by its layout alone
//! ([`Scanner::cut_indented`]), each cut checked by [`one_value`] to end
//! where walking would end it (see the parent module's "How it streams").

use super::repair::{self, Class, Repairer};
use super::LAYOUT_TRUST;
use std::io::Read;

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
pub(crate) struct Layout {
    indent: Option<usize>,
    agree: u32,
}

impl Layout {
    /// The indentation by which messages may be cut out, once trusted.
    pub(crate) fn trusted(&self) -> Option<usize> {
        self.indent.filter(|_| self.agree >= LAYOUT_TRUST)
    }

    /// Notes a message walked byte by byte, whose `{` was at `column`.
    pub(crate) fn learn(&mut self, bytes: &[u8], column: u64) {
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
/// Strings are skipped by [`quote_or_backslash`] (a word at a time, SIMD
/// search in long strings); only the bytes between them are looked at one
/// by one.
fn one_value(bytes: &[u8]) -> bool {
    let mut depth = 0u64;
    let mut i = 0;
    let (mut after_doc_key, mut doc_value) = (false, false);
    while let Some(&b) = bytes.get(i) {
        // Whitespace (most of it indentation) changes nothing.
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let rest = bytes.get(i..).unwrap_or_default();
        if doc_value {
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
        let found = at + quote_or_backslash(s.get(at..)?)?;
        match s.get(found) {
            Some(b'\\') => at = found + 2,
            _ => return Some(found),
        }
    }
}

/// The index of the first `"` or `\` in `s`. Most strings of a message are
/// short (keys, dates, ids, types): the first 32 bytes are looked at a word
/// of eight at a time, where a call to memchr's SIMD search would cost more
/// than the string; the rest of a long string goes to that search.
#[inline]
fn quote_or_backslash(s: &[u8]) -> Option<usize> {
    let wanted = |b: &u8| *b == b'"' || *b == b'\\';
    let mut at = 0;
    for chunk in s.chunks_exact(8).take(4) {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        if has_quote_or_backslash(u64::from_le_bytes(lanes)) {
            return chunk.iter().position(wanted).map(|n| at + n);
        }
        at += 8;
    }
    let rest = s.get(at..)?;
    if rest.len() < 16 {
        return rest.iter().position(wanted).map(|n| at + n);
    }
    memchr::memchr2(b'"', b'\\', rest).map(|n| at + n)
}

/// Whether a byte of `word` is `"` or `\`: the "has a zero byte" test on
/// `word` XOR each, exact as a yes/no answer.
#[inline(always)]
fn has_quote_or_backslash(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (zero(quote) | zero(backslash)) & (ONES * 0x80) != 0
}

pub(crate) enum ScanError {
    Io(std::io::Error),
    Eof,
    TooLarge,
    Unbalanced(u8),
}

/// Pulls bytes through the repairer and knows where JSON values end.
pub(crate) struct Scanner<R> {
    src: R,
    buf: Vec<u8>,
    at: usize,
    len: usize,
    eof: bool,
    pub(crate) rep: Repairer,
    /// Input byte offset of the next byte.
    pub(super) byte: u64,
    sink: Vec<u8>,
}

impl<R: Read> Scanner<R> {
    pub(crate) fn new(src: R) -> Scanner<R> {
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
    pub(crate) fn peek(&mut self) -> std::io::Result<Option<u8>> {
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

    pub(crate) fn bump_discard(&mut self) -> std::io::Result<()> {
        let mut sink = std::mem::take(&mut self.sink);
        self.bump(&mut sink)?;
        sink.clear();
        self.sink = sink;
        Ok(())
    }

    /// Skips whitespace; returns the next byte without consuming it.
    pub(crate) fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
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
    pub(crate) fn capture(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), ScanError> {
        self.walk(out, limit)
    }

    /// Consumes one value without keeping it.
    pub(super) fn skip(&mut self) -> Result<(), ScanError> {
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
    pub(crate) fn cut_indented(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_or_backslash_is_memchr2() {
        // `"` and `\` at every offset of strings up to 80 bytes long, among
        // ASCII and multi-byte UTF-8 (whose bytes are all >= 0x80).
        let pieces: [&[u8]; 6] = [b"a", b"\"", b"\\", "ب".as_bytes(), b" ", "😀".as_bytes()];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..80 {
            for _ in 0..30 {
                let mut s = Vec::new();
                for _ in 0..len {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Quotes and backslashes rarer than the rest.
                    let pick = (seed % 40) as usize;
                    s.extend_from_slice(
                        pieces[if pick < 2 { pick + 1 } else { [0, 3, 4, 5][pick % 4] }],
                    );
                }
                assert_eq!(quote_or_backslash(&s), memchr::memchr2(b'"', b'\\', &s), "{s:?}");
            }
        }
    }
}
