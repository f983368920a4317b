//! Bytes to UTF-8 text, before any reader sees them.
//!
//! Dumps arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM, or in a
//! legacy encoding (Windows-1251 and KOI8-R are common for Russian dumps).
//! The encoding is decided on evidence, never on a guess alone:
//!
//! - a BOM wins; `--encoding` overrides everything else;
//! - input that opens like markup or a JSON object (HTML pages,
//!   `result.json`, JSONL) is UTF-8 by definition and never transcoded: its
//!   readers report bytes that are not UTF-8 with their positions;
//! - text is decided **line by line**: a line that is valid UTF-8 is UTF-8.
//!   A line that is not is decoded with a legacy encoding only when the
//!   evidence is strong: `chardetng` names one for the file's non-UTF-8
//!   lines (each line votes with its non-ASCII bytes), and under it at least
//!   [`MIN_EVIDENCE`] non-ASCII characters, 90 % of them, are letters inside
//!   words of one script. A byte the chosen encoding leaves unmapped stays
//!   as it is, so the reader rejects its line at that byte's column. Otherwise the line
//!   goes on as it is and the reader rejects it with its line and 1-based
//!   column (an ASCII dump with one stray `0xFF` is UTF-8 with one bad line,
//!   not Windows-1252). A dump that is half Windows-1251 and half UTF-8
//!   comes out right in both halves, and the summary counts each kind;
//! - bytes that are no text at all (NUL bytes, a density of control bytes,
//!   or a mass of bytes that are neither UTF-8 nor a legacy encoding) are
//!   described in [`Decoded::binary`], and the text reader refuses the input.
//!
//! Decoding streams: lines are converted one at a time (each is capped), so
//! memory does not grow with the input.

use crate::account::{LineCounts, Notes};
use encoding_rs::{CoderResult, Decoder, Encoding, UTF_16BE, UTF_16LE, UTF_8};
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read};

/// How many bytes are looked at to decide an encoding or that the input is
/// binary (and how far ahead a decision made later in the file looks).
const SNIFF_LEN: usize = 64 * 1024;

/// Fewest non-ASCII characters that can prove a legacy encoding.
pub const MIN_EVIDENCE: usize = 8;

/// A line longer than this is passed on unconverted (the line reader then
/// rejects it as too long), so memory stays bounded.
const LINE_CAP: usize = crate::read::lines::MAX_LINE + 1;

/// How the encoding was chosen; shown in the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// A byte-order mark.
    Bom,
    /// The sniffed bytes are valid UTF-8 (or markup, UTF-8 by definition).
    Utf8,
    /// The evidence named a legacy encoding (or, without a BOM, UTF-16).
    Guessed,
    /// `--encoding` said so.
    Forced,
}

/// Why an input is not text: where the first sign is, and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binary {
    /// 1-based line of the first offending byte.
    pub line: u64,
    /// 1-based column (in characters) of the first offending byte.
    pub column: u64,
    /// What was found (`binary data (NUL byte), not a text dump`).
    pub reason: String,
}

/// A decoded input: UTF-8 bytes, and what they were decoded from.
pub struct Decoded {
    /// UTF-8 text (not yet validated when the source was UTF-8).
    pub reader: Box<dyn BufRead + Send>,
    /// The source encoding (for text decided line by line: the legacy
    /// encoding the first 64 KiB proved, else UTF-8).
    pub encoding: &'static Encoding,
    /// How it was chosen.
    pub detection: Detection,
    /// Set when the first 64 KiB are not text; the text reader refuses
    /// such an input unless `--from text` forces it.
    pub binary: Option<Binary>,
}

/// Looks up an encoding by its WHATWG label (`utf-8`, `windows-1251`,
/// `koi8-r`, `utf-16le`, …).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes())
}

/// Wraps `input` so that it reads as UTF-8 (see the module docs).
pub fn decode(
    input: Box<dyn Read + Send>,
    forced: Option<&'static Encoding>,
) -> io::Result<Decoded> {
    decode_noted(input, forced, "-", &Notes::default())
}

/// [`decode`], telling the run summary (under `encoding NAME`) which lines
/// were decoded how.
pub fn decode_noted(
    mut input: Box<dyn Read + Send>,
    forced: Option<&'static Encoding>,
    name: &str,
    notes: &Notes,
) -> io::Result<Decoded> {
    let mut head = Vec::with_capacity(4096);
    (&mut input).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    if let Some((enc, len)) = Encoding::for_bom(&head) {
        if forced.is_none() || forced == Some(enc) {
            return Ok(whole(input, head, len, enc, Detection::Bom));
        }
    }
    if let Some(enc) = forced {
        return Ok(whole(input, head, 0, enc, Detection::Forced));
    }
    if let Some(enc) = utf16_without_bom(&head) {
        return Ok(whole(input, head, 0, enc, Detection::Guessed));
    }
    if opens_like_markup(&head) {
        return Ok(whole(input, head, 0, UTF_8, Detection::Utf8));
    }
    let mut binary = binary_evidence(&head);
    let sniffed = sniff_lines(&head);
    let choice = if sniffed.invalid.is_empty() {
        Choice::Undecided
    } else {
        let lines: Vec<&[u8]> =
            sniffed.invalid.iter().map(|&(s, e)| head.get(s..e).unwrap_or_default()).collect();
        match legacy_evidence(&lines) {
            Some((enc, why)) => Choice::Legacy(enc, why),
            None => {
                let dense =
                    sniffed.invalid_bytes >= 16 && sniffed.invalid_bytes * 100 >= head.len();
                if dense && binary.is_none() {
                    binary = sniffed.first_invalid.map(|at| at_position(&head, at, format!(
                        "binary data ({} of the first {} bytes are neither UTF-8 nor text in a legacy encoding), not a text dump",
                        sniffed.invalid_bytes,
                        head.len()
                    )));
                }
                Choice::Utf8Only
            }
        }
    };
    let (encoding, detection) = match &choice {
        Choice::Legacy(enc, _) => (*enc, Detection::Guessed),
        _ => (UTF_8, Detection::Utf8),
    };
    let rest = io::Cursor::new(head).chain(input);
    let lines = LineDecoder::new(BufReader::with_capacity(64 * 1024, rest), choice, name, notes);
    let reader = Box::new(BufReader::with_capacity(256 * 1024, lines));
    Ok(Decoded { reader, encoding, detection, binary })
}

/// Decodes the whole input with one encoding (after `bom_len` bytes).
fn whole(
    input: Box<dyn Read + Send>,
    head: Vec<u8>,
    bom_len: usize,
    encoding: &'static Encoding,
    detection: Detection,
) -> Decoded {
    let head = head.get(bom_len..).unwrap_or_default().to_vec();
    // NUL bytes are UTF-16's own; in any other encoding they are binary.
    let utf16 = encoding == UTF_16LE || encoding == UTF_16BE;
    let binary = if utf16 { None } else { binary_evidence(&head) };
    let rest = io::Cursor::new(head).chain(input);
    let reader: Box<dyn BufRead + Send> = if encoding == UTF_8 {
        Box::new(BufReader::with_capacity(256 * 1024, rest))
    } else {
        let decoder = encoding.new_decoder_without_bom_handling();
        Box::new(BufReader::with_capacity(256 * 1024, Transcoder::new(rest, decoder)))
    };
    Decoded { reader, encoding, detection, binary }
}

/// UTF-16 without a BOM: many NULs in alternate positions.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if head.len() >= 4 && odd_nul * 3 > head.len() / 2 && even_nul * 10 < head.len() / 2 {
        return Some(UTF_16LE);
    }
    if head.len() >= 4 && even_nul * 3 > head.len() / 2 && odd_nul * 10 < head.len() / 2 {
        return Some(UTF_16BE);
    }
    None
}

/// Opens like HTML or XML (`<` and a letter, `!` or `?`) or like a JSON
/// object (`{` and a key): formats that are UTF-8 by definition.
fn opens_like_markup(head: &[u8]) -> bool {
    let mut bytes = head.iter().copied().filter(|b| !b.is_ascii_whitespace());
    match (bytes.next(), bytes.next()) {
        (Some(b'<'), Some(next)) => next.is_ascii_alphabetic() || next == b'!' || next == b'?',
        (Some(b'{'), Some(next)) => next == b'"' || next == b'}',
        _ => false,
    }
}

/// A C0 control byte that text does not hold (tab, line ends, vertical tab,
/// form feed and escape are allowed), or DEL.
fn is_control(b: u8) -> bool {
    matches!(b, 0x01..=0x08 | 0x0E..=0x1A | 0x1C..=0x1F | 0x7F)
}

/// NUL bytes, or at least 8 control bytes making 1 % of the bytes.
fn binary_evidence(head: &[u8]) -> Option<Binary> {
    if let Some(at) = memchr::memchr(0, head) {
        return Some(at_position(head, at, "binary data (NUL byte), not a text dump".into()));
    }
    let controls = head.iter().filter(|&&b| is_control(b)).count();
    if controls >= 8 && controls * 100 >= head.len() {
        let at = head.iter().position(|&b| is_control(b)).unwrap_or(0);
        let reason = format!(
            "binary data ({controls} control bytes in the first {} bytes), not a text dump",
            head.len()
        );
        return Some(at_position(head, at, reason));
    }
    None
}

/// The 1-based line (ends: `\n`, `\r\n`, `\r`, as the line reader counts
/// them) and column (in characters) of byte `at`.
fn at_position(head: &[u8], at: usize, reason: String) -> Binary {
    let before = head.get(..at).unwrap_or_default();
    let mut line = 1u64;
    let mut line_start = 0;
    let mut prev = 0u8;
    for (i, &b) in before.iter().enumerate() {
        if b == b'\r' || (b == b'\n' && prev != b'\r') {
            line += 1;
        }
        if b == b'\r' || b == b'\n' {
            line_start = i + 1;
        }
        prev = b;
    }
    let prefix = before.get(line_start..).unwrap_or_default();
    let column = String::from_utf8_lossy(prefix).chars().count() as u64 + 1;
    Binary { line, column, reason }
}

/// The lines of the head that are not UTF-8 (nor UTF-8 with a few bad
/// bytes), as byte ranges.
#[derive(Default)]
struct Sniffed {
    invalid: Vec<(usize, usize)>,
    invalid_bytes: usize,
    first_invalid: Option<usize>,
}

fn sniff_lines(head: &[u8]) -> Sniffed {
    let mut out = Sniffed::default();
    let mut start = 0;
    while start < head.len() {
        let end = memchr::memchr2(b'\n', b'\r', head.get(start..).unwrap_or_default())
            .map_or(head.len(), |i| start + i + 1);
        let line = head.get(start..end).unwrap_or_default();
        // The last line may be cut by the window: only whole lines count.
        let whole = end < head.len() || head.len() < SNIFF_LEN;
        if whole {
            let utf8 = utf8_shape(line);
            if utf8.kind == LineKind::NotUtf8 {
                out.invalid.push((start, end));
            }
            if utf8.kind != LineKind::Utf8 {
                out.invalid_bytes += utf8.invalid;
                out.first_invalid = out.first_invalid.or(Some(start + utf8.first_invalid));
            }
        }
        start = end;
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineKind {
    /// Valid UTF-8.
    Utf8,
    /// UTF-8 with a few bad bytes: at least as many valid multi-byte
    /// characters as invalid bytes.
    DamagedUtf8,
    /// Not UTF-8: a candidate for a legacy encoding.
    NotUtf8,
}

struct Utf8Shape {
    kind: LineKind,
    invalid: usize,
    first_invalid: usize,
}

fn utf8_shape(line: &[u8]) -> Utf8Shape {
    let mut valid = 0usize;
    let mut invalid = 0usize;
    let mut first_invalid = None;
    let mut offset = 0;
    let mut rest = line;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid += std::str::from_utf8(good)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                first_invalid = first_invalid.or(Some(offset + good.len()));
                let skip = e.error_len().unwrap_or(bad.len()).max(1);
                invalid += skip;
                offset += good.len() + skip;
                rest = bad.get(skip..).unwrap_or_default();
                if rest.is_empty() {
                    break;
                }
            }
        }
    }
    let kind = match invalid {
        0 => LineKind::Utf8,
        _ if valid >= invalid => LineKind::DamagedUtf8,
        _ => LineKind::NotUtf8,
    };
    Utf8Shape { kind, invalid, first_invalid: first_invalid.unwrap_or(0) }
}

/// The legacy encoding `chardetng` names for `lines`, if the evidence is
/// strong (module docs), with the evidence in words.
fn legacy_evidence(lines: &[&[u8]]) -> Option<(&'static Encoding, String)> {
    // Each line votes with its non-ASCII bytes for the encoding `chardetng`
    // names for it alone: one line holding a byte an encoding leaves
    // unmapped (and `chardetng` would then rule out for the whole sample)
    // cannot swing the file.
    let mut votes: Vec<(&'static Encoding, usize)> = Vec::new();
    for line in lines {
        let mut detector = chardetng::EncodingDetector::new();
        detector.feed(line, true);
        let guess = detector.guess(None, false);
        let weight = line.iter().filter(|b| !b.is_ascii()).count();
        match votes.iter_mut().find(|(e, _)| *e == guess) {
            Some((_, w)) => *w += weight,
            None => votes.push((guess, weight)),
        }
    }
    let (encoding, _) = votes.into_iter().max_by_key(|&(_, w)| w)?;
    if encoding == UTF_8 {
        return None;
    }
    let (mut counted, mut in_words) = (0usize, 0usize);
    for line in lines {
        let (text, _) = encoding.decode_without_bom_handling(line);
        score_words(&text, &mut counted, &mut in_words);
    }
    let strong = counted >= MIN_EVIDENCE && in_words * 10 >= counted * 9;
    strong.then(|| {
        let why = format!("{in_words} of {counted} non-ASCII characters are letters in words");
        (encoding, why)
    })
}

/// Counts the non-ASCII characters of `text` that say something (letters,
/// symbols; not typographic punctuation such as `«`, `—`, NBSP), and those
/// of them that are letters in a word of at least two letters of one script.
fn score_words(text: &str, counted: &mut usize, in_words: &mut usize) {
    for word in text.split(|c: char| !c.is_alphabetic()) {
        let non_ascii = word.chars().filter(|c| !c.is_ascii()).count();
        *counted += non_ascii;
        let mut scripts = word.chars().map(script);
        let first = scripts.next();
        if word.chars().nth(1).is_some() && scripts.all(|s| Some(s) == first) {
            *in_words += non_ascii;
        }
    }
    let typographic = |c: char| matches!(c, '\u{A0}'..='\u{BF}' | '\u{2000}'..='\u{206F}' | '\u{2116}' | '\u{FFFD}');
    *counted +=
        text.chars().filter(|&c| !c.is_ascii() && !c.is_alphabetic() && !typographic(c)).count();
}

/// A coarse script of a letter, enough to tell words from mojibake.
fn script(c: char) -> u8 {
    match c {
        'A'..='Z' | 'a'..='z' | '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}' => 0,
        '\u{370}'..='\u{3FF}' => 1,
        '\u{400}'..='\u{52F}' => 2,
        '\u{530}'..='\u{58F}' => 3,
        '\u{590}'..='\u{5FF}' => 4,
        '\u{600}'..='\u{6FF}' => 5,
        _ => 6,
    }
}

/// What becomes of text lines that are not UTF-8.
enum Choice {
    /// No such line seen yet.
    Undecided,
    /// Decoded with this legacy encoding; the evidence in words.
    Legacy(&'static Encoding, String),
    /// No legacy encoding fits: passed on for the reader to reject.
    Utf8Only,
}

/// One raw line, with its terminator when it has one.
struct Piece {
    bytes: Vec<u8>,
    /// Cut at [`LINE_CAP`] before its end.
    long: bool,
}

/// Lines counted by how they were decoded.
#[derive(Default)]
struct Counts {
    utf8: u64,
    legacy: u64,
    rejected: u64,
}

/// Decodes text line by line (module docs): valid UTF-8 lines pass, other
/// lines are decoded with the legacy encoding the evidence chose, or passed
/// on as they are for the reader to reject with their position.
struct LineDecoder<R> {
    inner: R,
    choice: Choice,
    ahead: VecDeque<Piece>,
    ahead_bytes: usize,
    out: Vec<u8>,
    out_pos: usize,
    /// Inside a line longer than [`LINE_CAP`]: passed on unconverted.
    in_long: bool,
    counts: Counts,
    name: String,
    notes: Notes,
    finished: bool,
}

impl<R: BufRead> LineDecoder<R> {
    fn new(inner: R, choice: Choice, name: &str, notes: &Notes) -> LineDecoder<R> {
        LineDecoder {
            inner,
            choice,
            ahead: VecDeque::new(),
            ahead_bytes: 0,
            out: Vec::with_capacity(SNIFF_LEN * 2),
            out_pos: 0,
            in_long: false,
            counts: Counts::default(),
            name: name.to_owned(),
            notes: notes.clone(),
            finished: false,
        }
    }

    /// Reads one raw line, ending at `\n` or `\r` (a `\r\n` is two pieces,
    /// which changes nothing), or [`LINE_CAP`] bytes of a longer one.
    fn read_piece(&mut self) -> io::Result<Option<Piece>> {
        let mut bytes = Vec::new();
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                return Ok((!bytes.is_empty()).then_some(Piece { bytes, long: false }));
            }
            let room = LINE_CAP - bytes.len();
            match memchr::memchr2(b'\n', b'\r', chunk) {
                Some(i) if i < room => {
                    bytes.extend_from_slice(chunk.get(..=i).unwrap_or_default());
                    self.inner.consume(i + 1);
                    return Ok(Some(Piece { bytes, long: false }));
                }
                _ => {
                    let n = chunk.len().min(room);
                    bytes.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    self.inner.consume(n);
                    if bytes.len() >= LINE_CAP {
                        return Ok(Some(Piece { bytes, long: true }));
                    }
                }
            }
        }
    }

    /// The fast path: moves the whole lines at the front of the input
    /// buffer to `out` at once when they are all valid UTF-8.
    fn take_utf8_run(&mut self) -> io::Result<bool> {
        let chunk = self.inner.fill_buf()?;
        let Some(last) = memchr::memrchr2(b'\n', b'\r', chunk) else { return Ok(false) };
        let run = chunk.get(..=last).unwrap_or_default();
        if std::str::from_utf8(run).is_err() {
            return Ok(false);
        }
        if !run.is_ascii() {
            let lines = run.split(|&b| b == b'\n' || b == b'\r');
            self.counts.utf8 += lines.filter(|l| !l.is_ascii()).count() as u64;
        }
        self.out.extend_from_slice(run);
        self.inner.consume(last + 1);
        Ok(true)
    }

    fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        if let Some(piece) = self.ahead.pop_front() {
            self.ahead_bytes -= piece.bytes.len();
            return Ok(Some(piece));
        }
        self.read_piece()
    }

    /// The first line that is not UTF-8 after a UTF-8 start: decide on it
    /// and the not-UTF-8 lines of the next 64 KiB.
    fn decide(&mut self, first: &[u8]) -> io::Result<()> {
        while self.ahead_bytes < SNIFF_LEN {
            let Some(piece) = self.read_piece()? else { break };
            self.ahead_bytes += piece.bytes.len();
            self.ahead.push_back(piece);
        }
        let mut lines = vec![first];
        for piece in &self.ahead {
            if !piece.long && utf8_shape(&piece.bytes).kind == LineKind::NotUtf8 {
                lines.push(&piece.bytes);
            }
        }
        self.choice = match legacy_evidence(&lines) {
            Some((enc, why)) => Choice::Legacy(enc, why),
            None => Choice::Utf8Only,
        };
        Ok(())
    }

    /// Converts one line into `out`.
    fn convert(&mut self, piece: Piece) -> io::Result<()> {
        let raw = self.in_long || piece.long;
        self.in_long = raw && !piece.bytes.ends_with(b"\n") && !piece.bytes.ends_with(b"\r");
        if raw {
            self.out.extend_from_slice(&piece.bytes);
            return Ok(());
        }
        let kind = utf8_shape(&piece.bytes).kind;
        if kind == LineKind::NotUtf8 && matches!(self.choice, Choice::Undecided) {
            self.decide(&piece.bytes)?;
        }
        let legacy = match (&self.choice, kind) {
            (Choice::Legacy(enc, _), LineKind::NotUtf8) => Some(*enc),
            _ => None,
        };
        match (kind, legacy) {
            (LineKind::Utf8, _) => {
                self.counts.utf8 += u64::from(!piece.bytes.is_ascii());
                self.out.extend_from_slice(&piece.bytes);
            }
            (_, Some(enc)) => {
                if decode_line(enc, &piece.bytes, &mut self.out) {
                    self.counts.legacy += 1;
                } else {
                    self.counts.rejected += 1;
                }
            }
            (_, None) => {
                self.counts.rejected += 1;
                self.out.extend_from_slice(&piece.bytes);
            }
        }
        Ok(())
    }

    /// Tells the summary how the lines were decoded (only when some line
    /// was not UTF-8).
    fn note(&self) {
        let c = &self.counts;
        let text = match &self.choice {
            Choice::Legacy(enc, why) => format!(
                "{} (guessed) for {} that {} not UTF-8 ({why}); {} UTF-8{}",
                enc.name(),
                lines(c.legacy),
                if c.legacy == 1 { "is" } else { "are" },
                lines(c.utf8),
                if c.rejected > 0 {
                    format!("; {} neither, rejected", lines(c.rejected))
                } else {
                    String::new()
                }
            ),
            _ if c.rejected > 0 => format!(
                "UTF-8; {} with bytes that are not UTF-8 and fit no legacy encoding \
                 (rejected with their positions)",
                lines(c.rejected)
            ),
            _ => return,
        };
        let legacy_encoding = match &self.choice {
            Choice::Legacy(enc, _) => Some(enc.name().to_owned()),
            _ => None,
        };
        let lines =
            LineCounts { utf8: c.utf8, legacy: c.legacy, rejected: c.rejected, legacy_encoding };
        self.notes.file(&self.name, |r| {
            r.encoding.get_or_insert_with(Default::default).lines = Some(lines);
            r.say("encoding", text);
        });
    }
}

/// Decodes one line with a legacy encoding into `out`; false when some
/// bytes do not fit it. Those are copied as they are: not UTF-8, they make
/// the line reader reject the line at the column of the first of them.
fn decode_line(encoding: &'static Encoding, line: &[u8], out: &mut Vec<u8>) -> bool {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut fits = true;
    let mut rest = line;
    let mut buf = [0u8; 4096];
    loop {
        let (result, read, written) =
            decoder.decode_to_utf8_without_replacement(rest, &mut buf, true);
        out.extend_from_slice(buf.get(..written).unwrap_or_default());
        let consumed = rest.get(..read).unwrap_or_default();
        rest = rest.get(read..).unwrap_or_default();
        match result {
            encoding_rs::DecoderResult::InputEmpty => return fits,
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(bad, extra) => {
                fits = false;
                // The malformed bytes end `extra` bytes before what was read.
                let end = consumed.len().saturating_sub(usize::from(extra));
                let start = end.saturating_sub(usize::from(bad));
                out.extend_from_slice(consumed.get(start..end).unwrap_or_default());
            }
        }
    }
}

/// `1 line`, `2 lines`.
fn lines(n: u64) -> String {
    format!("{n} line{}", if n == 1 { "" } else { "s" })
}

impl<R: BufRead> LineDecoder<R> {
    /// Refills `out`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.len() < SNIFF_LEN {
            if self.ahead.is_empty() && !self.in_long && self.take_utf8_run()? {
                continue;
            }
            match self.next_piece()? {
                Some(piece) => self.convert(piece)?,
                None => break,
            }
        }
        if self.out.is_empty() && !self.finished {
            self.finished = true;
            self.note();
        }
        Ok(!self.out.is_empty())
    }
}

impl<R: BufRead> Read for LineDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let available = self.out.get(self.out_pos..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.out_pos += n;
        Ok(n)
    }
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

    fn decoded(bytes: &[u8]) -> (Vec<u8>, &'static str, Option<Binary>, Notes) {
        let notes = Notes::default();
        let d = decode_noted(Box::new(io::Cursor::new(bytes.to_vec())), None, "f", &notes).unwrap();
        let name = d.encoding.name();
        let binary = d.binary;
        let mut out = Vec::new();
        let mut r = d.reader;
        r.read_to_end(&mut out).unwrap();
        (out, name, binary, notes)
    }

    #[test]
    fn one_stray_byte_keeps_utf8() {
        let input = b"Forwarded from X\nhello\nsome \xFF text\nbye\n";
        let (out, name, binary, notes) = decoded(input);
        assert_eq!((out.as_slice(), name, binary), (&input[..], "UTF-8", None));
        let note = notes.snapshot().get("encoding f").cloned().unwrap_or_default();
        assert!(note.starts_with("UTF-8; 1 line with bytes"), "{note}");
    }

    #[test]
    fn mixed_legacy_and_utf8_lines_both_decode() {
        let ru = "Министерство иностранных дел России сообщает о встрече.\n";
        let (legacy, _, _) = encoding_rs::WINDOWS_1251.encode(ru);
        for legacy_first in [true, false] {
            let mut input = Vec::new();
            for i in 0..4 {
                if (i % 2 == 0) == legacy_first {
                    input.extend_from_slice(&legacy);
                } else {
                    input.extend_from_slice(ru.as_bytes());
                }
            }
            let (out, _, binary, notes) = decoded(&input);
            assert_eq!(String::from_utf8(out).unwrap(), ru.repeat(4));
            assert_eq!(binary, None);
            let note = notes.snapshot().get("encoding f").cloned().unwrap_or_default();
            assert!(note.starts_with("windows-1251 (guessed) for 2 lines"), "{note}");
        }
    }

    #[test]
    fn legacy_lines_after_the_first_64_kib() {
        let mut input = "ascii line\n".repeat(8000).into_bytes();
        let (legacy, _, _) = encoding_rs::KOI8_R.encode("Привет, мир! Как дела у тебя сегодня?\n");
        input.extend_from_slice(&legacy);
        let (out, name, _, _) = decoded(&input);
        assert_eq!(name, "UTF-8");
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("Привет, мир! Как дела у тебя сегодня?\n"));
    }

    #[test]
    fn binary_is_described() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let random: Vec<u8> = (0..70_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let (_, _, binary, _) = decoded(&random);
        assert!(binary.unwrap().reason.starts_with("binary data (NUL byte)"));
        // No NUL, no control byte, no markup: bytes that are no text.
        let high: Vec<u8> =
            random
                .iter()
                .map(|&b| {
                    if b < 0x80 {
                        b"\nabcdefghijklmnopqrstuvwxyz"[usize::from(b % 27)]
                    } else {
                        b
                    }
                })
                .collect();
        let (_, _, binary, _) = decoded(&high);
        let binary = binary.unwrap();
        assert!(
            binary.reason.contains("neither UTF-8 nor text in a legacy encoding"),
            "{binary:?}"
        );
        let (_, _, binary, _) = decoded(b"text\nab\x01\x02\x03\x04\x05\x06\x07\x08 more\n");
        assert_eq!(binary.map(|b| (b.line, b.column)), Some((2, 3)), "control bytes, positioned");
    }

    #[test]
    fn a_byte_that_fits_no_legacy_character_keeps_its_column() {
        // 0xD2 is a byte Greek Windows-1253 (and ISO-8859-7) leave unmapped.
        let greek = "Το Υπουργείο Εξωτερικών ανακοινώνει τη συνάντηση των υπουργών.\n";
        let (legacy, enc, _) = encoding_rs::WINDOWS_1253.encode(greek);
        assert_eq!(enc, encoding_rs::WINDOWS_1253);
        let mut input = legacy.to_vec();
        input.extend_from_slice(&legacy);
        input.extend_from_slice(b"ab \xD2 cd\n");
        let (out, name, _, notes) = decoded(&input);
        assert!(name == "windows-1253" || name == "ISO-8859-7", "{name}");
        let mut want = greek.repeat(2).into_bytes();
        want.extend_from_slice(b"ab \xD2 cd\n");
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
        let note = notes.snapshot().get("encoding f").cloned().unwrap_or_default();
        assert!(note.contains("1 line neither, rejected"), "{note}");
    }

    #[test]
    fn cr_line_ends_in_a_large_legacy_file() {
        let line = "Переговоры прошли в конструктивной атмосфере.\r";
        let text = line.repeat(30_000);
        let (legacy, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
        assert!(legacy.len() > 1 << 20);
        let (out, name, binary, _) = decoded(&legacy);
        assert_eq!((name, binary), ("windows-1251", None));
        assert!(out == text.as_bytes(), "decoded whole, line by line");
    }

    #[test]
    fn only_real_markup_is_markup() {
        assert!(opens_like_markup(b"  <!DOCTYPE html>") && opens_like_markup(b"<div>"));
        assert!(opens_like_markup(b"{\n \"name\": 1}") && opens_like_markup(b"{\"chat\":null}"));
        assert!(!opens_like_markup(b"<3 this channel") && !opens_like_markup(b"{ smile }"));
        assert!(!opens_like_markup(b"[Photo] caption") && !opens_like_markup(b""));
    }

    #[test]
    fn binary_whatever_the_encoding_but_utf16() {
        let forced = |bytes: &[u8], enc| {
            decode(Box::new(io::Cursor::new(bytes.to_vec())), Some(enc)).unwrap().binary
        };
        let nul = b"ok\nab\x00cd\n";
        let at = |b: Option<Binary>| b.map(|b| (b.line, b.column));
        assert_eq!(at(forced(nul, encoding_rs::WINDOWS_1251)), Some((2, 3)));
        assert_eq!(at(forced(nul, UTF_8)), Some((2, 3)));
        assert_eq!(forced(nul, UTF_16LE), None);
    }

    #[test]
    fn markup_is_never_transcoded() {
        let mut input = b"<html><body>".to_vec();
        let (legacy, _, _) =
            encoding_rs::WINDOWS_1251.encode("Министерство иностранных дел России");
        input.extend_from_slice(&legacy);
        let (out, name, binary, _) = decoded(&input);
        assert_eq!((out, name, binary), (input, "UTF-8", None));
    }
}
