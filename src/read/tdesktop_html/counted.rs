//! A `BufRead` that knows the line and column of what has been consumed,
//! so that quick-xml's byte positions become `file:line:col`, and that
//! refuses a single markup item (one tag or one run of text) larger than a
//! limit, so that hostile input cannot make quick-xml buffer gigabytes.

use std::io::{self, BufRead, Read};

/// Where the consumed bytes end.
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
    at: Mark,
    /// Byte offset where the current markup item started.
    item_start: u64,
    /// Largest markup item allowed, in bytes.
    limit: u64,
}

impl<R: BufRead> Counted<R> {
    /// Wraps `inner`; one markup item may be at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Counted<R> {
        Counted { inner, at: Mark { byte: 0, line: 1, column: 1 }, item_start: 0, limit }
    }

    /// The position after the consumed bytes.
    pub fn mark(&self) -> Mark {
        self.at
    }

    /// Says that a new markup item starts here (between events).
    pub fn start_item(&mut self) {
        self.item_start = self.at.byte;
    }
}

impl<R: BufRead> Read for Counted<R> {
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

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at.byte.saturating_sub(self.item_start) > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "one tag or text run is larger than {} MiB; this is not a Telegram Desktop page",
                    self.limit >> 20
                ),
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let part = buf.get(..amt).unwrap_or(buf);
            match part.iter().rposition(|&b| b == b'\n') {
                Some(last) => {
                    self.at.line += part.iter().filter(|&&b| b == b'\n').count() as u64;
                    let tail = part.get(last + 1..).unwrap_or_default();
                    self.at.column = 1 + chars(tail);
                }
                None => self.at.column += chars(part),
            }
        }
        self.at.byte += amt as u64;
        self.inner.consume(amt);
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
    fn refuses_huge_items() {
        let data = vec![b'x'; 5000];
        let mut c = Counted::new(io::BufReader::with_capacity(100, &data[..]), 1000);
        let mut s = Vec::new();
        assert!(c.read_to_end(&mut s).is_err());
    }
}
