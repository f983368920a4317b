//! The bytes of a page, held in memory a window at a time, so that
//! quick-xml can read them borrowed (no copy per event), with UTF-8 checked
//! once per window and lines counted only when a position is asked for.
//!
//! A window is normally the whole page (Telegram Desktop writes 1000
//! messages a page: one to a few MB). A larger input (tgnorm's own
//! one-page output of a big archive, or a hostile file) is read
//! [`WINDOW`] bytes at a time: the reader asks for a [`Window::refill`]
//! when an event runs into the end of the window, and the window then keeps
//! only the bytes from that event on. One event may be at most
//! [`MAX_ITEM_BYTES`](super::MAX_ITEM_BYTES) long, so memory stays bounded
//! whatever the input.
//!
//! When the window is valid UTF-8 (every real page), it is held as a
//! `String` and any range between ASCII delimiters is a `&str` without
//! checking again; otherwise each piece is checked when it is used, so that
//! an invalid byte is still reported where it is.

use std::io::{self, Read};
use std::str::Utf8Error;

/// Bytes read into the window at a time.
pub const WINDOW: usize = 4 << 20;

thread_local! {
    /// A read buffer kept between windows (and pages: a folder's pages are
    /// read one after the other on one thread).
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A place in the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// 0-based byte offset.
    pub byte: u64,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
}

enum Held {
    /// Valid UTF-8.
    Str(String),
    /// Not valid UTF-8 somewhere.
    Raw(Vec<u8>),
}

/// The window and where it lies in the input.
pub struct Window<R> {
    inner: R,
    held: Held,
    /// Bytes after `held` that end in the middle of a character: they go
    /// in front of the next read.
    carry: Vec<u8>,
    /// Offset of the window's first byte in the input.
    base: u64,
    /// The input has no more bytes.
    eof: bool,
    /// Bytes to read at a time ([`WINDOW`]).
    chunk: usize,
}

impl<R: Read> Window<R> {
    /// A window on `inner`; nothing is read yet.
    pub fn new(inner: R) -> Window<R> {
        Window {
            inner,
            held: Held::Str(String::new()),
            carry: Vec::new(),
            base: 0,
            eof: false,
            chunk: WINDOW,
        }
    }

    /// A window reading `chunk` bytes at a time (tests: many refills).
    pub fn with_chunk(inner: R, chunk: usize) -> Window<R> {
        Window { chunk, ..Window::new(inner) }
    }

    /// What the window holds.
    pub fn view(&self) -> View<'_> {
        let (bytes, text) = match &self.held {
            Held::Str(s) => (s.as_bytes(), Some(s.as_str())),
            Held::Raw(b) => (b.as_slice(), None),
        };
        View { bytes, text, base: self.base, eof: self.eof && self.carry.is_empty() }
    }

    /// Drops the bytes before index `keep` and reads more: [`WINDOW`] bytes,
    /// or as many as are kept if that is more, or up to the end of the
    /// input. `lines` is brought past the dropped bytes first.
    pub fn refill(&mut self, keep: usize, lines: &mut Lines) -> io::Result<()> {
        let len = self.view().bytes.len();
        let keep = keep.min(len);
        let kept = len - keep;
        lines.forget_before(&self.view(), self.base + keep as u64);
        self.base += keep as u64;
        let held = std::mem::replace(&mut self.held, Held::Raw(Vec::new()));
        let mut fresh = std::mem::take(&mut self.carry);
        if fresh.is_empty() {
            fresh = SPARE.with(|spare| spare.take());
            fresh.clear();
        }
        let read = if self.eof {
            Ok(())
        } else {
            // At least as much as is kept, so that an event longer than a
            // window is read again only a logarithmic number of times.
            let chunk = self.chunk.max(kept);
            // Room for a whole page at once (untouched memory costs nothing),
            // and `read_to_end` fills it without zeroing it first.
            fresh.reserve(chunk);
            let chunk = chunk as u64;
            (&mut self.inner).take(chunk).read_to_end(&mut fresh).map(|n| {
                self.eof = (n as u64) < chunk;
            })
        };
        // Only the new bytes are checked: the kept ones were text already.
        self.held = match held {
            Held::Str(mut kept) if kept.is_char_boundary(keep) => {
                kept.drain(..keep);
                if kept.is_empty() {
                    self.held_from(fresh)
                } else {
                    match self.held_from(fresh) {
                        Held::Str(more) => {
                            kept.push_str(&more);
                            Held::Str(kept)
                        }
                        Held::Raw(more) => {
                            let mut bytes = kept.into_bytes();
                            bytes.extend_from_slice(&more);
                            Held::Raw(bytes)
                        }
                    }
                }
            }
            held => {
                let mut bytes = match held {
                    Held::Str(s) => s.into_bytes(),
                    Held::Raw(b) => b,
                };
                bytes.drain(..keep);
                bytes.append(&mut fresh);
                self.held_from(bytes)
            }
        };
        read
    }

    /// `bytes` as text if they are valid UTF-8, a character cut by the end
    /// of the read aside (it goes to `carry`, for the next read).
    fn held_from(&mut self, bytes: Vec<u8>) -> Held {
        // simdutf8 checks valid text several times faster than `std` (a
        // page is mostly multi-byte text), and copying the checked text
        // costs less than checking it again (no `unsafe` here); on failure
        // `std` says where.
        if let Ok(text) = simdutf8::basic::from_utf8(&bytes) {
            let text = text.to_owned();
            // The read buffer serves the next read, of this page or the next
            // (a new buffer a page, freed at once, raised the peak RSS).
            if bytes.capacity() <= 2 * WINDOW {
                SPARE.with(|spare| spare.replace(bytes));
            }
            return Held::Str(text);
        }
        match String::from_utf8(bytes) {
            Ok(s) => Held::Str(s),
            Err(e) => {
                let cut = e.utf8_error();
                let mut bytes = e.into_bytes();
                if cut.error_len().is_none() && !self.eof {
                    self.carry = bytes.split_off(cut.valid_up_to());
                    match String::from_utf8(bytes) {
                        Ok(s) => Held::Str(s),
                        Err(e) => Held::Raw(e.into_bytes()),
                    }
                } else {
                    Held::Raw(bytes)
                }
            }
        }
    }
}

/// The bytes of a window, borrowed.
#[derive(Clone, Copy)]
pub struct View<'a> {
    bytes: &'a [u8],
    /// The same bytes, when they are valid UTF-8.
    text: Option<&'a str>,
    base: u64,
    eof: bool,
}

impl<'a> View<'a> {
    /// The bytes held.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset of the first byte in the input.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// True when the window reaches the end of the input.
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// Where `piece` lies in the input, and its text, when it is a part of
    /// a valid UTF-8 window (else `None`: check it with [`View::str_of`]).
    pub fn locate<'b>(&self, piece: &'b [u8]) -> Option<(u64, &'b str)>
    where
        'a: 'b,
    {
        let text = self.text?;
        let start = offset_in(text.as_bytes(), piece)?;
        let t = text.get(start..start + piece.len())?;
        Some((self.base + start as u64, t))
    }

    /// `piece` (a part of [`View::bytes`], or any other bytes) as text:
    /// a slice of the window when it is valid UTF-8, else checked here.
    pub fn str_of<'b>(&self, piece: &'b [u8]) -> Result<&'b str, Utf8Error>
    where
        'a: 'b,
    {
        if let Some(text) = self.text {
            if let Some(start) = offset_in(text.as_bytes(), piece) {
                if let Some(t) = text.get(start..start + piece.len()) {
                    return Ok(t);
                }
            }
        }
        std::str::from_utf8(piece)
    }
}

/// Where `inner` starts in `outer`, if it lies inside it.
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

/// Lazy line counting over a [`Window`]: newlines are counted in bulk with
/// `memchr` when a position is asked for, and before bytes are dropped.
/// Positions are asked for in increasing order (message starts, ends,
/// errors), so every byte is counted about once.
#[derive(Debug)]
pub struct Lines {
    /// How far newlines have been counted (an input offset), and the line
    /// there.
    counted: u64,
    line: u64,
    /// Input offset where that line starts.
    line_start: u64,
    /// When `line_start` is before the window: the characters between it
    /// and the window's first byte.
    start_column: u64,
}

impl Default for Lines {
    fn default() -> Lines {
        Lines { counted: 0, line: 1, line_start: 0, start_column: 0 }
    }
}

impl Lines {
    /// Counts newlines up to input offset `to` (within the window).
    fn count_to(&mut self, w: &View<'_>, to: u64) {
        let bytes = w.bytes;
        let to = to.min(w.base + bytes.len() as u64);
        if to <= self.counted {
            return;
        }
        let from = self.counted.saturating_sub(w.base) as usize;
        let part = bytes.get(from..(to - w.base) as usize).unwrap_or_default();
        if let Some(last) = memchr::memrchr(b'\n', part) {
            self.line += memchr::memchr_iter(b'\n', part).count() as u64;
            self.line_start = w.base + (from + last + 1) as u64;
        }
        self.counted = to;
    }

    /// Makes the count independent of the bytes before input offset `at`,
    /// which the window is about to drop.
    fn forget_before(&mut self, w: &View<'_>, at: u64) {
        self.count_to(w, at);
        if self.line_start >= at {
            self.start_column = 0;
        } else {
            let bytes = w.bytes;
            let end = (at - w.base) as usize;
            self.start_column = if self.line_start >= w.base {
                let from = (self.line_start - w.base) as usize;
                chars(bytes.get(from..end).unwrap_or_default())
            } else {
                self.start_column + chars(bytes.get(..end).unwrap_or_default())
            };
        }
    }

    /// Line and column of input offset `byte`. Exact for offsets in the
    /// window; an offset already dropped gets the window's first place.
    pub fn mark_at(&mut self, w: &View<'_>, byte: u64) -> Mark {
        let bytes = w.bytes;
        let byte = byte.clamp(w.base, w.base + bytes.len() as u64);
        let idx = (byte - w.base) as usize;
        let (line, line_start) = if byte >= self.counted {
            self.count_to(w, byte);
            (self.line, self.line_start)
        } else {
            // Behind the counter: step back over the newlines in between.
            let from = self.counted.saturating_sub(w.base) as usize;
            let back = bytes.get(idx..from).unwrap_or_default();
            let lines = memchr::memchr_iter(b'\n', back).count() as u64;
            let before = bytes.get(..idx).unwrap_or_default();
            let start = match memchr::memrchr(b'\n', before) {
                Some(i) => w.base + i as u64 + 1,
                // Not in the window: the line of its first byte, which
                // `start_column` describes.
                None if lines == 0 => self.line_start,
                None => w.base.saturating_sub(1),
            };
            (self.line.saturating_sub(lines).max(1), start)
        };
        let column = if line_start >= w.base {
            let from = ((line_start - w.base) as usize).min(idx);
            1 + chars(bytes.get(from..idx).unwrap_or_default())
        } else {
            1 + self.start_column + chars(bytes.get(..idx).unwrap_or_default())
        };
        Mark { byte, line, column }
    }
}

/// Characters in UTF-8 bytes (continuation bytes are not counted).
fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives at most `n` bytes a call.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(self.1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn counts_lines_and_columns() {
        let mut w = Window::new("ab\ncdé\nf".as_bytes());
        let mut l = Lines::default();
        w.refill(0, &mut l).unwrap();
        let v = w.view();
        assert!(v.at_eof());
        assert_eq!(l.mark_at(&v, 9), Mark { byte: 9, line: 3, column: 2 });
        assert_eq!(l.mark_at(&v, 2), Mark { byte: 2, line: 1, column: 3 });
        assert_eq!(l.mark_at(&v, 4), Mark { byte: 4, line: 2, column: 2 });
        assert_eq!(l.mark_at(&v, 0), Mark { byte: 0, line: 1, column: 1 });
    }

    #[test]
    fn positions_survive_dropped_bytes() {
        let text = "x\nyy\nzzz é\nlast line é";
        let expect = |at: usize| {
            let before = &text[..at];
            let line = 1 + before.matches('\n').count() as u64;
            let col = 1 + before.rsplit('\n').next().unwrap().chars().count() as u64;
            (line, col)
        };
        let mut w = Window::with_chunk(Trickle(text.as_bytes(), 3), 3);
        let mut l = Lines::default();
        w.refill(0, &mut l).unwrap();
        // Walk the input, dropping everything before the current place.
        let mut at = 0usize;
        while at < text.len() {
            let idx = at - w.view().base() as usize;
            if idx >= w.view().bytes().len() {
                w.refill(idx, &mut l).unwrap();
                continue;
            }
            if text.is_char_boundary(at) {
                let m = l.mark_at(&w.view(), at as u64);
                assert_eq!((m.line, m.column), expect(at), "byte {at}");
                if at >= 2 && text.is_char_boundary(at - 2) {
                    // A step back, within the window.
                    let back = l.mark_at(&w.view(), at as u64 - 2);
                    if back.byte == at as u64 - 2 {
                        assert_eq!((back.line, back.column), expect(at - 2), "byte {at} - 2");
                    }
                    l.mark_at(&w.view(), at as u64);
                }
            }
            at += 1;
        }
    }

    #[test]
    fn characters_cut_by_a_read_are_carried() {
        // 2-byte reads cut `é` and `€` (3 bytes); the window must still be text.
        let text = "aé€b";
        let mut w = Window::with_chunk(Trickle(text.as_bytes(), 2), 2);
        let mut l = Lines::default();
        w.refill(0, &mut l).unwrap();
        let mut got = String::new();
        let mut refills = 0;
        loop {
            let v = w.view();
            got.push_str(v.str_of(v.bytes()).unwrap());
            if v.at_eof() {
                break;
            }
            let len = v.bytes().len();
            w.refill(len, &mut l).unwrap();
            refills += 1;
        }
        assert_eq!(got, text);
        assert!(refills >= 3, "{refills}");
        assert_eq!(l.mark_at(&w.view(), text.len() as u64).column, 5);
    }

    #[test]
    fn invalid_bytes_are_reported_where_used() {
        let mut w = Window::new(&b"ok \xff bad"[..]);
        let mut l = Lines::default();
        w.refill(0, &mut l).unwrap();
        let v = w.view();
        let bytes = v.bytes();
        assert_eq!(v.str_of(&bytes[..3]).unwrap(), "ok ");
        assert_eq!(v.str_of(bytes).unwrap_err().valid_up_to(), 3);
    }
}
