//! A `BufRead` that can say on which line and column a byte offset lies,
//! so that quick-xml's byte positions become `file:line:col`, and that
//! refuses a single markup item (one tag or one run of text) larger than a
//! limit, so that hostile input cannot make quick-xml buffer gigabytes.
//!
//! Lines are counted lazily: consuming only moves an offset (quick-xml
//! consumes in many small steps), and newlines are counted in bulk with
//! `memchr` when a position is asked for or the buffer is refilled. Positions
//! are asked for in increasing order (message starts, ends, errors), so every
//! byte is counted about once.

use std::io::{self, BufRead, Read};

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

/// The wrapper.
pub struct Counted<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Offset of `buf[0]` in the input.
    base: u64,
    /// How far newlines have been counted (an index into `buf`), the line
    /// there, and where in `buf` that line starts (`None`: before `buf`,
    /// `start_column` characters before `buf[0]`).
    counted: usize,
    line: u64,
    line_start: Option<usize>,
    start_column: u64,
    /// Byte offset where the current markup item started.
    item_start: u64,
    /// Largest markup item allowed, in bytes.
    limit: u64,
}

impl<R: Read> Counted<R> {
    /// Wraps `inner`; one markup item may be at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Counted<R> {
        Counted {
            inner,
            buf: vec![0u8; 128 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            base: 0,
            counted: 0,
            line: 1,
            line_start: None,
            start_column: 0,
            item_start: 0,
            limit,
        }
    }

    /// Offset of the next byte to be consumed.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Says that a new markup item starts here (between events).
    pub fn start_item(&mut self) {
        self.item_start = self.offset();
    }

    /// Counts newlines up to index `to` of the buffer.
    fn count_to(&mut self, to: usize) {
        let to = to.min(self.filled);
        if to <= self.counted {
            return;
        }
        let part = self.buf.get(self.counted..to).unwrap_or_default();
        if let Some(last) = memchr::memrchr(b'\n', part) {
            self.line += memchr::memchr_iter(b'\n', part).count() as u64;
            self.line_start = Some(self.counted + last + 1);
        }
        self.counted = to;
    }

    /// Line and column of byte offset `byte`. Exact for offsets in the
    /// current buffer at or after the last position asked for; an offset
    /// already dropped from the buffer gets the first place still held.
    pub fn mark_at(&mut self, byte: u64) -> Mark {
        let idx = byte.saturating_sub(self.base).min(self.filled as u64) as usize;
        let (line, line_start) = if idx >= self.counted {
            self.count_to(idx);
            (self.line, self.line_start)
        } else {
            // Behind the counter: step back over the newlines in between.
            let back = self.buf.get(idx..self.counted).unwrap_or_default();
            let lines = memchr::memchr_iter(b'\n', back).count() as u64;
            let before = self.buf.get(..idx).unwrap_or_default();
            (self.line.saturating_sub(lines).max(1), memchr::memrchr(b'\n', before).map(|i| i + 1))
        };
        let column = match line_start {
            Some(s) => 1 + chars(self.buf.get(s.min(idx)..idx).unwrap_or_default()),
            None => 1 + self.start_column + chars(self.buf.get(..idx).unwrap_or_default()),
        };
        Mark { byte: self.base + idx as u64, line, column }
    }

    /// The place of the next byte to be consumed.
    pub fn mark(&mut self) -> Mark {
        self.mark_at(self.offset())
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), buf.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            // Checked on refills only: an item over the limit spans many.
            if self.offset().saturating_sub(self.item_start) > self.limit {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "one tag or text run is larger than {} MiB; this is not a Telegram Desktop page",
                        self.limit >> 20
                    ),
                ));
            }
            // Count what is about to be dropped, then refill.
            self.count_to(self.filled);
            let tail_start = self.line_start.unwrap_or(0);
            let tail = self.buf.get(tail_start..self.filled).unwrap_or_default();
            self.start_column = match self.line_start {
                Some(_) => chars(tail),
                None => self.start_column + chars(tail),
            };
            self.base += self.filled as u64;
            self.line_start = None;
            self.pos = 0;
            self.counted = 0;
            self.filled = 0;
            loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => {
                        self.filled = n;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.buf.get(self.pos..self.filled).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

/// Characters in UTF-8 bytes (continuation bytes are not counted).
fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_columns() {
        let mut c = Counted::new("ab\ncdé\nf".as_bytes(), 1 << 20);
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        assert_eq!(c.mark(), Mark { byte: 9, line: 3, column: 2 });
    }

    #[test]
    fn positions_across_refills_and_backwards() {
        // Small reads from the inner reader force many refills.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(out.len()).min(3);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "x\nyy\nzzz é\n";
        let mut c = Counted::new(Trickle(text.as_bytes()), 1 << 20);
        let mut seen = Vec::new();
        loop {
            let at = c.mark();
            let buf = c.fill_buf().unwrap();
            if buf.is_empty() {
                break;
            }
            seen.push(at);
            c.consume(1);
        }
        let expect: Vec<(u64, u64)> = {
            let (mut line, mut col) = (1, 1);
            let mut v = Vec::new();
            for ch in text.chars() {
                v.push((line, col));
                for _ in 1..ch.len_utf8() {
                    v.push((line, col + 1));
                }
                if ch == '\n' {
                    line += 1;
                    col = 1;
                } else {
                    col += 1;
                }
            }
            v
        };
        let got: Vec<(u64, u64)> = seen.iter().map(|m| (m.line, m.column)).collect();
        // Mid-character offsets aside, every byte's place is right.
        for (i, (g, e)) in got.iter().zip(&expect).enumerate() {
            if text.is_char_boundary(i) {
                assert_eq!(g, e, "byte {i}");
            }
        }
        let mut c = Counted::new(text.as_bytes(), 1 << 20);
        c.fill_buf().unwrap();
        c.consume(text.len());
        assert_eq!(c.mark_at(7).line, 3);
        assert_eq!(c.mark_at(2), Mark { byte: 2, line: 2, column: 1 });
        assert_eq!(c.mark_at(0).line, 1);
    }

    #[test]
    fn refuses_huge_items() {
        let data = vec![b'x'; 500_000];
        let mut c = Counted::new(&data[..], 1000);
        let mut s = Vec::new();
        assert!(c.read_to_end(&mut s).is_err());
    }
}
