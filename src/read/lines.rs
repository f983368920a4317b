//! Bounded line reading shared by the line-oriented readers.
//!
//! A line ends at `\n`, `\r\n` or a lone `\r`. A line longer than the cap is
//! not buffered: it is reported as an error for that line and skipped to its
//! end, so a 50 MB line (or a binary file) cannot make memory grow.

use crate::error::{Error, ErrorKind, Position};
use std::io::BufRead;

/// Longest line kept, in bytes. A Telegram text is at most 4096 UTF-16 units,
/// so a real line is far shorter.
pub const MAX_LINE: usize = 1 << 20;

/// One line, without its terminator.
pub struct Line {
    /// 1-based line number.
    pub number: u64,
    /// The text.
    pub text: String,
}

/// Iterator of lines with their numbers.
pub struct Lines<R> {
    inner: R,
    file: String,
    number: u64,
    buf: Vec<u8>,
    /// The previous line ended in `\r`; a `\n` right after it is its tail.
    after_cr: bool,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    /// Reads lines of `inner`; `file` names it in errors.
    pub fn new(inner: R, file: String) -> Lines<R> {
        Lines { inner, file, number: 0, buf: Vec::new(), after_cr: false, done: false }
    }

    fn pos(&self, column: Option<u64>) -> Position {
        Position::line(self.file.clone(), self.number, column)
    }

    /// Reads raw bytes of one line into `buf`; returns whether a line (possibly
    /// empty) was found, and whether it overflowed the cap.
    fn read_raw(&mut self) -> std::io::Result<Option<bool>> {
        self.buf.clear();
        let mut overflow = false;
        let mut any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                return Ok(if any { Some(overflow) } else { None });
            }
            let mut start = 0;
            if self.after_cr {
                self.after_cr = false;
                if chunk.first() == Some(&b'\n') {
                    start = 1;
                }
            }
            let rest = chunk.get(start..).unwrap_or_default();
            if rest.is_empty() {
                self.inner.consume(start);
                continue;
            }
            any = true;
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    let is_cr = rest.get(i) == Some(&b'\r');
                    let piece = rest.get(..i).unwrap_or_default();
                    if !overflow && self.buf.len() + piece.len() <= MAX_LINE {
                        self.buf.extend_from_slice(piece);
                    } else {
                        overflow = true;
                    }
                    // A `\r\n` inside this chunk is consumed whole; one split
                    // across chunks is handled by `after_cr`.
                    let mut used = start + i + 1;
                    if is_cr {
                        if rest.get(i + 1) == Some(&b'\n') {
                            used += 1;
                        } else if i + 1 == rest.len() {
                            self.after_cr = true;
                        }
                    }
                    self.inner.consume(used);
                    return Ok(Some(overflow));
                }
                None => {
                    let n = rest.len();
                    if !overflow && self.buf.len() + n <= MAX_LINE {
                        self.buf.extend_from_slice(rest);
                    } else {
                        overflow = true;
                        self.buf.clear();
                    }
                    self.inner.consume(start + n);
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<Line, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let overflow = match self.read_raw() {
            Ok(Some(overflow)) => overflow,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(Error::new(self.pos(None), ErrorKind::Io(e))));
            }
        };
        self.number += 1;
        if overflow {
            return Some(Err(Error::new(
                self.pos(None),
                ErrorKind::Data(format!("line longer than {} MiB; skipped", MAX_LINE >> 20)),
            )));
        }
        let bytes = std::mem::take(&mut self.buf);
        match String::from_utf8(bytes) {
            Ok(text) => Some(Ok(Line { number: self.number, text })),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let prefix = e.as_bytes().get(..valid).unwrap_or_default();
                let column = String::from_utf8_lossy(prefix).chars().count() as u64 + 1;
                let byte = e.as_bytes().get(valid).copied().unwrap_or(0);
                Some(Err(Error::new(
                    self.pos(Some(column)),
                    ErrorKind::Encoding(format!(
                        "invalid UTF-8 (byte 0x{byte:02X}); use --encoding if the file is not UTF-8"
                    )),
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn lines(bytes: &[u8], cap: usize) -> Vec<String> {
        let r = BufReader::with_capacity(cap, bytes);
        Lines::new(r, "t".into())
            .map(|l| match l {
                Ok(l) => format!("{}:{}", l.number, l.text),
                Err(e) => e.to_string(),
            })
            .collect()
    }

    #[test]
    fn all_line_ends() {
        for cap in [1, 2, 3, 64] {
            assert_eq!(lines(b"a\r\nb\rc\nd", cap), ["1:a", "2:b", "3:c", "4:d"], "cap {cap}");
            assert_eq!(lines(b"a\r\r\nb\n", cap), ["1:a", "2:", "3:b"], "cap {cap}");
        }
    }

    #[test]
    fn bad_utf8_has_a_column() {
        assert_eq!(
            lines(b"ok\nab\xFFc\n", 64),
            [
                "1:ok".to_string(),
                "t:2:3: invalid UTF-8 (byte 0xFF); use --encoding if the file is not UTF-8".into()
            ]
        );
    }
}
