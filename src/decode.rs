//! Bytes to UTF-8 text, before any reader sees them.
//!
//! Dumps arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM, or in a
//! legacy single-byte encoding (Windows-1251 and KOI8-R are common for Russian
//! dumps). The first 64 KiB decide: a BOM wins, then valid UTF-8, then
//! `chardetng`'s guess. `--encoding` overrides all of it. Decoding streams
//! through `encoding_rs`, so memory does not grow with the input.
//!
//! UTF-8 input is passed through unchanged (not even validated here): readers
//! validate line by line, so that an invalid byte is reported with its line
//! and column instead of being silently replaced.

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_16BE, UTF_16LE, UTF_8};
use std::io::{self, BufRead, BufReader, Read};

/// How many bytes are looked at to guess an encoding.
const SNIFF_LEN: usize = 64 * 1024;

/// How the encoding was chosen; shown in the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// A byte-order mark.
    Bom,
    /// The sniffed bytes are valid UTF-8.
    Utf8,
    /// `chardetng` guessed it.
    Guessed,
    /// `--encoding` said so.
    Forced,
}

/// A decoded input: UTF-8 bytes, and what they were decoded from.
pub struct Decoded {
    /// UTF-8 text (not yet validated when the source was UTF-8).
    pub reader: Box<dyn BufRead + Send>,
    /// The source encoding.
    pub encoding: &'static Encoding,
    /// How it was chosen.
    pub detection: Detection,
}

/// Looks up an encoding by its WHATWG label (`utf-8`, `windows-1251`,
/// `koi8-r`, `utf-16le`, …).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes())
}

/// Wraps `input` so that it reads as UTF-8.
pub fn decode(
    mut input: Box<dyn Read + Send>,
    forced: Option<&'static Encoding>,
) -> io::Result<Decoded> {
    let mut head = Vec::with_capacity(4096);
    (&mut input).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    let (encoding, detection, bom_len) = match Encoding::for_bom(&head) {
        Some((enc, len)) if forced.is_none() || forced == Some(enc) => (enc, Detection::Bom, len),
        _ => match forced {
            Some(enc) => (enc, Detection::Forced, 0),
            None => sniff(&head),
        },
    };
    let head = head.get(bom_len..).unwrap_or_default().to_vec();
    let rest = io::Cursor::new(head).chain(input);
    let reader: Box<dyn BufRead + Send> = if encoding == UTF_8 {
        Box::new(BufReader::with_capacity(256 * 1024, rest))
    } else {
        let decoder = encoding.new_decoder_without_bom_handling();
        Box::new(BufReader::with_capacity(256 * 1024, Transcoder::new(rest, decoder)))
    };
    Ok(Decoded { reader, encoding, detection })
}

fn sniff(head: &[u8]) -> (&'static Encoding, Detection, usize) {
    if looks_like_utf8(head) {
        return (UTF_8, Detection::Utf8, 0);
    }
    // UTF-16 without a BOM: many NULs in alternate positions.
    let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if head.len() >= 4 && odd_nul * 3 > head.len() / 2 && even_nul * 10 < head.len() / 2 {
        return (UTF_16LE, Detection::Guessed, 0);
    }
    if head.len() >= 4 && even_nul * 3 > head.len() / 2 && odd_nul * 10 < head.len() / 2 {
        return (UTF_16BE, Detection::Guessed, 0);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(head, true);
    let guess = detector.guess(None, true);
    // chardetng never answers UTF-8 for non-UTF-8 bytes; if the text has a few
    // invalid bytes in otherwise UTF-8 text, keep UTF-8 so the reader reports
    // the bad bytes with their position instead of decoding mojibake.
    if mostly_utf8(head) {
        return (UTF_8, Detection::Utf8, 0);
    }
    (guess, Detection::Guessed, 0)
}

/// Valid UTF-8, allowing a character cut at the end of the sniffed window.
fn looks_like_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() >= SNIFF_LEN,
    }
}

/// More than 90% of the non-ASCII bytes form valid UTF-8 sequences.
fn mostly_utf8(head: &[u8]) -> bool {
    let mut valid = 0usize;
    let mut invalid = 0usize;
    let mut rest = head;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += s.bytes().filter(|b| !b.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid += good.iter().filter(|b| !b.is_ascii()).count();
                let skip = e.error_len().unwrap_or(bad.len()).max(1);
                invalid += skip;
                rest = bad.get(skip..).unwrap_or_default();
                if rest.is_empty() {
                    break;
                }
            }
        }
    }
    valid > 0 && invalid * 10 < valid
}

/// A `Read` that decodes its inner reader's bytes into UTF-8.
///
/// Decoded bytes go through an output buffer of its own, so callers may read
/// with buffers of any size (even one byte) without splitting or losing a
/// character.
struct Transcoder<R> {
    inner: R,
    decoder: Decoder,
    in_buf: Vec<u8>,
    in_len: usize,
    out_buf: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    eof: bool,
    /// The decoder saw the end; encoding_rs must not be called again.
    finished: bool,
}

impl<R: Read> Transcoder<R> {
    fn new(inner: R, decoder: Decoder) -> Transcoder<R> {
        Transcoder {
            inner,
            decoder,
            in_buf: vec![0; 64 * 1024],
            in_len: 0,
            out_buf: vec![0; 128 * 1024],
            out_pos: 0,
            out_len: 0,
            eof: false,
            finished: false,
        }
    }

    /// Decodes more input into `out_buf`; returns false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.out_pos = 0;
        self.out_len = 0;
        while !self.finished {
            if self.in_len == 0 && !self.eof {
                let n = self.inner.read(&mut self.in_buf)?;
                if n == 0 {
                    self.eof = true;
                } else {
                    self.in_len = n;
                }
            }
            let input = self.in_buf.get(..self.in_len).unwrap_or_default();
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(input, &mut self.out_buf, self.eof);
            self.in_buf.copy_within(read..self.in_len, 0);
            self.in_len -= read;
            self.out_len = written;
            if self.eof && self.in_len == 0 && result == CoderResult::InputEmpty {
                self.finished = true;
            }
            if written > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out_len && !self.refill()? {
            return Ok(0);
        }
        let available = self.out_buf.get(self.out_pos..self.out_len).unwrap_or_default();
        let n = available.len().min(out.len());
        out.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], forced: Option<&'static Encoding>) -> (String, &'static str) {
        let d = decode(Box::new(io::Cursor::new(bytes.to_vec())), forced).unwrap();
        let name = d.encoding.name();
        let mut s = String::new();
        let mut r = d.reader;
        r.read_to_string(&mut s).unwrap();
        (s, name)
    }

    #[test]
    fn utf8_bom_is_dropped() {
        assert_eq!(decode_all(b"\xEF\xBB\xBFhi", None), ("hi".into(), "UTF-8"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Привет 🎙".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode_all(&bytes, None), ("Привет 🎙".into(), "UTF-16LE"));
        let mut bytes = vec![0xFE, 0xFF];
        for u in "Привет".encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode_all(&bytes, None), ("Привет".into(), "UTF-16BE"));
    }

    #[test]
    fn windows_1251_is_detected() {
        let text = "Переслано из канала. Министерство иностранных дел России сообщает о встрече.\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        assert_eq!(decode_all(&bytes, None), (text.into(), "windows-1251"));
    }

    #[test]
    fn forced_encoding_wins() {
        let (bytes, _, _) = encoding_rs::KOI8_R.encode("Привет, мир");
        assert_eq!(decode_all(&bytes, Some(encoding_rs::KOI8_R)), ("Привет, мир".into(), "KOI8-R"));
    }

    #[test]
    fn small_reads_work() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Привет, мир");
        let d = decode(Box::new(io::Cursor::new(bytes.to_vec())), Some(encoding_rs::WINDOWS_1251))
            .unwrap();
        let mut r = d.reader;
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while r.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), "Привет, мир");
    }
}
