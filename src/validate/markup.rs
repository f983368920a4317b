//! One streaming pass over an HTML page for the HTML validators: start and
//! end tags with exact positions, nothing else kept.
//!
//! The tokenizer is quick-xml in the tolerant configuration of the
//! Telegram Desktop HTML reader (`read::tdesktop_html`: end names not
//! checked, unmatched ends and a dangling `&` allowed, its attribute splitter
//! for `<a ="">`, its void elements, and a bogus tag such as `<3` read again
//! as text). On top of it sits a stack of open element names, so that an end
//! tag closes the innermost open element of that name (and everything opened
//! inside it), as HTML does for these pages. The content of `<script>` and
//! `<style>` is skipped as raw text, as HTML does, so that a `<` in a
//! script of a saved web page cannot open a tag.
//!
//! **Positions.** The input goes through [`Tracked`], which counts lines and
//! columns as quick-xml consumes bytes, so the place of every tag is known
//! exactly and in O(1) when the tag starts (one pass of `memchr` and a count
//! of UTF-8 lead bytes over the input; no byte is counted twice).
//!
//! **Memory.** Flat: one tag (or text run) at a time, capped at
//! [`MAX_ITEM_BYTES`]; the stack of open elements is capped at [`MAX_DEPTH`];
//! quick-xml's own stack of open names (it keeps one even when it does not
//! check them, and `<br>` is never closed) is dropped by starting a new
//! tokenizer on the same input when it grows past [`QX_DEPTH`] names.
//! Text is never decoded or kept.
//!
//! **Time.** Linear in the input: an end tag that matches no open element
//! costs one lookup (open elements are counted by name), one that matches
//! scans only the elements it closes, and a bogus tag is read again at most
//! [`MAX_BOGUS_ROUNDS`] times.

use crate::read::tdesktop_html::dom::Tag;
use crate::read::tdesktop_html::{is_void, unescape_into, valid_name, Attributes};
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{self, BufRead, Read};

/// One tag or text run larger than this ends the page with an error.
pub(super) const MAX_ITEM_BYTES: u64 = 32 << 20;
/// Elements nested deeper than this end the page with an error. Real pages
/// nest about 20 deep; the 2024 unclosed-table bug adds a few levels per
/// message with bot buttons.
pub(super) const MAX_DEPTH: usize = 1 << 16;
/// quick-xml's stack of open names is reset past this many.
const QX_DEPTH: usize = 4096;
/// After this many malformed-markup errors in one page, the page is given up.
const MAX_MARKUP_ERRORS: u32 = 100;
/// A bogus tag is read again at most this many times (once per stray `<`
/// in it); the rest of it is left as text. Each round may scan to the end of
/// the tag, so without a bound `<3<3<3…` would cost quadratic time. A real
/// bogus tag (a raw `<` in a Telegram Desktop button label) needs one or two.
const MAX_BOGUS_ROUNDS: u32 = 64;

/// A place in the input: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) line: u64,
    pub(super) column: u64,
    /// Bytes before this place.
    pub(super) byte: u64,
}

impl Mark {
    /// The start of a page.
    pub(super) const START: Mark = Mark { line: 1, column: 1, byte: 0 };

    /// The place after `bytes`, which start here.
    fn advance(self, bytes: &[u8]) -> Mark {
        let byte = self.byte + bytes.len() as u64;
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => Mark {
                line: self.line + memchr::memchr_iter(b'\n', bytes).count() as u64,
                column: 1 + chars(bytes.get(last + 1..).unwrap_or_default()),
                byte,
            },
            None => Mark { line: self.line, column: self.column + chars(bytes), byte },
        }
    }
}

/// A start tag.
pub(super) struct Element<'a> {
    /// The name as written.
    pub(super) name: &'a [u8],
    /// The raw attribute bytes (still escaped).
    attrs: &'a [u8],
    /// Where its `<` is.
    pub(super) at: Mark,
    /// Open elements around it (its own depth; the `html` element is 0).
    pub(super) depth: usize,
}

impl Element<'_> {
    /// True when the element is a `tag` (ASCII case-insensitive).
    pub(super) fn is(&self, tag: &str) -> bool {
        self.name.eq_ignore_ascii_case(tag.as_bytes())
    }

    /// The first attribute called `name`, unescaped.
    pub(super) fn attr(&self, name: &str) -> Option<String> {
        let (_, raw) =
            Attributes(self.attrs).find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))?;
        let mut out = String::new();
        unescape_into(raw, &mut out);
        Some(out)
    }

    /// True when `class` holds `token` as one of its words.
    pub(super) fn has_class(&self, token: &str) -> bool {
        Attributes(self.attrs)
            .find(|(k, _)| k.eq_ignore_ascii_case(b"class"))
            .is_some_and(|(_, v)| v.split(u8::is_ascii_whitespace).any(|t| t == token.as_bytes()))
    }
}

/// What a validator does with the tags of a page.
pub(super) trait Rules {
    /// A start tag (void elements too).
    fn open(&mut self, el: &Element<'_>);
    /// Every element at `depth` or deeper has closed; `at` is the end tag.
    fn close(&mut self, depth: usize, at: Mark);
    /// Markup the tokenizer cannot read.
    fn malformed(&mut self, at: Mark, what: String);
    /// True when the run must stop (`--max-errors`, or an output error).
    fn stopped(&self) -> bool;
}

/// Reads the page `input` and calls `rules` for each tag. Returns the end
/// of the page; an I/O error is returned as it is.
pub(super) fn scan<R: BufRead>(input: R, rules: &mut dyn Rules) -> io::Result<Mark> {
    let mut xml = tokenizer(Tracked::new(input));
    let mut stack = Stack::default();
    let mut qx_depth = 0usize;
    let mut errors = 0u32;
    let mut buf = Vec::with_capacity(4096);
    loop {
        if rules.stopped() {
            return Ok(xml.get_ref().mark());
        }
        xml.get_mut().start_item();
        let at = xml.get_ref().mark();
        buf.clear();
        let mut raw_text = None;
        match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) => return Ok(at),
            Ok(Event::Start(e)) => {
                qx_depth += 1;
                match start(&e, false, at, &mut stack, rules) {
                    Flow::Go => {}
                    Flow::RawText(tag) => raw_text = Some(tag),
                    Flow::Stop => return Ok(xml.get_ref().mark()),
                }
            }
            Ok(Event::Empty(e)) => {
                if let Flow::Stop = start(&e, true, at, &mut stack, rules) {
                    return Ok(xml.get_ref().mark());
                }
            }
            Ok(Event::End(e)) => {
                qx_depth = qx_depth.saturating_sub(1);
                end(e.name().as_ref(), at, &mut stack, rules);
            }
            Ok(_) => {}
            Err(quick_xml::Error::Io(e)) => {
                if xml.get_ref().too_big {
                    rules.malformed(
                        at,
                        format!(
                            "one tag or text run is larger than {} MiB; the rest of the page is not checked",
                            MAX_ITEM_BYTES >> 20
                        ),
                    );
                    return Ok(at);
                }
                return Err(io::Error::new(e.kind(), e.to_string()));
            }
            Err(e) => {
                // Syntax errors (an unclosed comment or tag at the end of
                // the page) end quick-xml's reading; ill-formed ones don't.
                let fatal = matches!(e, quick_xml::Error::Syntax(_));
                errors += 1;
                rules.malformed(at, format!("malformed HTML: {e}"));
                if fatal || errors >= MAX_MARKUP_ERRORS {
                    return Ok(xml.get_ref().mark());
                }
            }
        }
        if let Some(tag) = raw_text {
            let tracked = xml.get_mut();
            tracked.start_item();
            let close = skip_raw_text(tracked, tag)?;
            if xml.get_ref().too_big {
                rules.malformed(at, "a script or style larger than 32 MiB".into());
                return Ok(at);
            }
            if let Some(close) = close {
                end(tag.as_bytes(), close, &mut stack, rules);
            }
        }
        if qx_depth > QX_DEPTH {
            // Right after an event quick-xml is between tokens, and its
            // tokenizer holds no input of its own: a new one goes on exactly
            // where this one stopped, without the stack it does not use.
            xml = tokenizer(xml.into_inner());
            qx_depth = 0;
        }
    }
}

fn tokenizer<R: BufRead>(input: Tracked<R>) -> quick_xml::Reader<Tracked<R>> {
    let mut xml = quick_xml::Reader::from_reader(input);
    crate::read::tdesktop_html::configure(&mut xml);
    xml
}

enum Flow {
    Go,
    /// A `script` or `style` opened: skip its content.
    RawText(&'static str),
    Stop,
}

fn start(
    e: &BytesStart<'_>,
    empty: bool,
    at: Mark,
    stack: &mut Stack,
    rules: &mut dyn Rules,
) -> Flow {
    let name = e.name();
    let name = name.as_ref();
    if !valid_name(name) {
        bogus(e, empty, at, stack, rules);
        return Flow::Go;
    }
    rules.open(&Element { name, attrs: e.attributes_raw(), at, depth: stack.len() });
    if empty || is_void(Tag::of(name), name) {
        return Flow::Go;
    }
    if stack.len() >= MAX_DEPTH {
        rules.malformed(
            at,
            format!("elements nested deeper than {MAX_DEPTH}; the rest of the page is not checked"),
        );
        return Flow::Stop;
    }
    stack.push(name_key(name));
    for raw in ["script", "style"] {
        if name.eq_ignore_ascii_case(raw.as_bytes()) {
            return Flow::RawText(raw);
        }
    }
    Flow::Go
}

fn end(name: &[u8], at: Mark, stack: &mut Stack, rules: &mut dyn Rules) {
    // An end tag with no open element of its name is ignored, as HTML does.
    if let Some(i) = stack.close(name_key(name)) {
        rules.close(i, at);
    }
}

/// The open elements (name keys), and how many of each name are open, so
/// that an end tag nothing matches costs one lookup, not a scan of the
/// stack. A matching one scans only what it closes.
#[derive(Default)]
struct Stack {
    names: Vec<u64>,
    open: HashMap<u64, u32>,
}

impl Stack {
    fn len(&self) -> usize {
        self.names.len()
    }

    fn push(&mut self, key: u64) {
        self.names.push(key);
        *self.open.entry(key).or_default() += 1;
    }

    /// Closes the innermost open `key` and everything inside it; returns
    /// the depth it had.
    fn close(&mut self, key: u64) -> Option<usize> {
        if self.open.get(&key).copied().unwrap_or(0) == 0 {
            return None;
        }
        let i = self.names.iter().rposition(|&k| k == key)?;
        for k in self.names.drain(i..) {
            if let Some(n) = self.open.get_mut(&k) {
                *n = n.saturating_sub(1);
            }
        }
        Some(i)
    }
}

/// A start tag whose name is not a name (`< b`, `<3`): in HTML that is text.
/// quick-xml has read up to the next `>`, which may have swallowed real
/// tags: what follows the `<` is tokenized again (as the reader does).
fn bogus(e: &BytesStart<'_>, empty: bool, at: Mark, stack: &mut Stack, rules: &mut dyn Rules) {
    let mut work: Vec<u8> = e.to_vec();
    if empty {
        work.push(b'/');
    }
    work.push(b'>');
    // `work[0]` is the byte after the `<`.
    let mut base = at.advance(b"<");
    // Each round turns at least one `<` into text, so this ends; the
    // rounds are bounded so that it ends soon.
    for _ in 0..MAX_BOGUS_ROUNDS {
        let Some(cut) = memchr::memchr(b'<', &work) else { return };
        base = base.advance(work.get(..cut).unwrap_or_default());
        let rest = work.get(cut..).unwrap_or_default().to_vec();
        let mut sub = quick_xml::Reader::from_reader(rest.as_slice());
        crate::read::tdesktop_html::configure(&mut sub);
        let mut again: Option<(usize, Vec<u8>)> = None;
        loop {
            let before = usize::try_from(sub.buffer_position()).unwrap_or(usize::MAX);
            let here = base.advance(rest.get(..before).unwrap_or_default());
            match sub.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(Event::Start(s)) | Ok(Event::Empty(s)) if !valid_name(s.name().as_ref()) => {
                    // Another bogus tag: go on after its `<`.
                    again = Some((before + 1, rest.get(before + 1..).unwrap_or_default().to_vec()));
                    break;
                }
                Ok(Event::Start(s)) => {
                    let name = s.name();
                    let name = name.as_ref();
                    rules.open(&Element {
                        name,
                        attrs: s.attributes_raw(),
                        at: here,
                        depth: stack.len(),
                    });
                    if !is_void(Tag::of(name), name) && stack.len() < MAX_DEPTH {
                        stack.push(name_key(name));
                    }
                }
                Ok(Event::Empty(s)) => {
                    let name = s.name();
                    rules.open(&Element {
                        name: name.as_ref(),
                        attrs: s.attributes_raw(),
                        at: here,
                        depth: stack.len(),
                    });
                }
                Ok(Event::End(s)) => end(s.name().as_ref(), here, stack, rules),
                Ok(_) => {}
            }
        }
        match again {
            Some((skip, next)) => {
                base = base.advance(rest.get(..skip).unwrap_or_default());
                work = next;
            }
            None => return,
        }
    }
}

/// A key for an element name, ASCII case-insensitive: the name itself when
/// it fits in 8 bytes (every name these pages use), else a hash.
fn name_key(name: &[u8]) -> u64 {
    if name.len() <= 8 {
        let mut key = 0u64;
        for &b in name {
            key = (key << 8) | u64::from(b.to_ascii_lowercase());
        }
        return key;
    }
    // FNV-1a, with the top bit set so it never equals a short name.
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in name {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h | 1 << 63
}

/// Consumes the content of a raw-text element up to and including its end
/// tag (`</script` … `>`, ASCII case-insensitive), returning where that end
/// tag starts; `None` when the page ends first.
fn skip_raw_text<R: BufRead>(r: &mut Tracked<R>, tag: &str) -> io::Result<Option<Mark>> {
    let tag = tag.as_bytes();
    let mut matched = 0usize;
    let mut close_at = Mark::default();
    loop {
        let start = r.mark();
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let mut used = buf.len();
        let mut done = false;
        for (i, &b) in buf.iter().enumerate() {
            if matched == tag.len() + 2 {
                if b == b'>' {
                    used = i + 1;
                    done = true;
                    break;
                }
                continue;
            }
            let want = match matched {
                0 => b'<',
                1 => b'/',
                k => tag.get(k - 2).copied().unwrap_or(0),
            };
            if b.to_ascii_lowercase() == want {
                if matched == 0 {
                    close_at = start.advance(buf.get(..i).unwrap_or_default());
                }
                matched += 1;
            } else if b == b'<' {
                close_at = start.advance(buf.get(..i).unwrap_or_default());
                matched = 1;
            } else {
                matched = 0;
            }
        }
        r.consume(used);
        if done {
            return Ok(Some(close_at));
        }
    }
}

/// A `BufRead` that knows the line and column of the next byte, and refuses
/// one markup item larger than [`MAX_ITEM_BYTES`].
pub(super) struct Tracked<R> {
    inner: R,
    offset: u64,
    here: Mark,
    item_start: u64,
    too_big: bool,
}

impl<R: BufRead> Tracked<R> {
    fn new(inner: R) -> Tracked<R> {
        Tracked { inner, offset: 0, here: Mark::START, item_start: 0, too_big: false }
    }

    /// The place of the next byte.
    fn mark(&self) -> Mark {
        self.here
    }

    /// A new markup item starts here.
    fn start_item(&mut self) {
        self.item_start = self.offset;
    }
}

impl<R: BufRead> Read for Tracked<R> {
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

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.offset.saturating_sub(self.item_start) > MAX_ITEM_BYTES {
            self.too_big = true;
            return Err(io::Error::new(io::ErrorKind::InvalidData, "markup item too large"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt == 0 {
            return;
        }
        // The bytes being consumed are still in the inner buffer: asking for
        // it again does no I/O.
        let here = self.here;
        let counted = match self.inner.fill_buf() {
            Ok(buf) => Some(here.advance(buf.get(..amt).unwrap_or(buf))),
            Err(_) => None,
        };
        if let Some(mark) = counted {
            self.here = mark;
        }
        self.inner.consume(amt);
        self.offset += amt as u64;
    }
}

/// Characters in UTF-8 bytes (continuation bytes are not counted).
fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

/// `YYYY-MM-DD` and `HH:MM:SS` parts that name a real day and time.
pub(super) fn real_date_time(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> bool {
    super::dates::real(year, month, day, h, m, s).is_ok()
}

/// The number in `bytes` if they are all ASCII digits (at most 9).
pub(super) fn digits(bytes: Option<&[u8]>) -> Option<u32> {
    let bytes = bytes?;
    if bytes.is_empty() || bytes.len() > 9 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Log(Vec<String>);

    impl Rules for Log {
        fn open(&mut self, el: &Element<'_>) {
            let class = el.attr("class").unwrap_or_default();
            let name = String::from_utf8_lossy(el.name);
            self.0.push(format!("{}:{} <{name} {class}> {}", el.at.line, el.at.column, el.depth));
        }
        fn close(&mut self, depth: usize, at: Mark) {
            self.0.push(format!("{}:{} close {depth}", at.line, at.column));
        }
        fn malformed(&mut self, at: Mark, what: String) {
            self.0.push(format!("{}:{} {what}", at.line, at.column));
        }
        fn stopped(&self) -> bool {
            false
        }
    }

    fn log(html: &str) -> Vec<String> {
        let mut l = Log::default();
        scan(html.as_bytes(), &mut l).unwrap();
        l.0
    }

    #[test]
    fn positions_and_depths() {
        let got = log("<div class=\"a b\">\n é<br><span>x</span>\n</div>");
        assert_eq!(
            got,
            ["1:1 <div a b> 0", "2:3 <br > 1", "2:7 <span > 1", "2:14 close 1", "3:1 close 0"]
        );
    }

    #[test]
    fn bogus_tags_are_text_and_swallowed_tags_are_seen() {
        // `<3 w</div>`: quick-xml reads `<3 w</div>` as one tag.
        let got = log("<div>\nx <3 w</div><p>");
        assert_eq!(got, ["1:1 <div > 0", "2:7 close 0", "2:13 <p > 0"]);
    }

    #[test]
    fn script_content_is_raw_text() {
        let got = log("<script>if (a <b) { x = '<div class=\"m\">' }</script>\n<i>");
        assert_eq!(got, ["1:1 <script > 0", "1:44 close 0", "2:1 <i > 0"]);
    }

    #[test]
    fn an_unclosed_tag_at_the_end_is_malformed() {
        let got = log("<div>\n<span class=\"x");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[1].starts_with("2:1 malformed HTML"), "{got:?}");
    }

    #[test]
    fn deep_br_runs_keep_memory_flat() {
        // 100k unclosed <br>: quick-xml's own stack is reset along the way.
        let html = format!("<div>{}</div>", "<br>".repeat(100_000));
        let got = log(&html);
        assert_eq!(got.len(), 100_002);
        assert_eq!(got.last().map(String::as_str), Some("1:400006 close 0"));
    }

    #[test]
    fn hostile_markup_stays_linear() {
        // One bogus tag holding 50k stray `<`: read again at most
        // MAX_BOGUS_ROUNDS times (unbounded, this took minutes).
        let html = format!("<div>{}></div><i>", "<3".repeat(50_000));
        let got = log(&html);
        assert_eq!(got.first().map(String::as_str), Some("1:1 <div > 0"));
        assert_eq!(got.last().map(String::as_str), Some("1:100013 <i > 0"));
        // 50k open elements, then 500k end tags that match none: each is
        // one lookup, not a scan of the stack.
        let html = format!("{}{}<i>", "<b>".repeat(50_000), "</x>".repeat(500_000));
        let got = log(&html);
        assert_eq!(got.len(), 50_001);
        assert_eq!(got.last().map(String::as_str), Some("1:2150001 <i > 50000"));
    }

    #[test]
    fn dates() {
        assert!(real_date_time(2024, 2, 29, 23, 59, 59));
        assert!(!real_date_time(2023, 2, 29, 0, 0, 0));
        assert!(!real_date_time(2023, 13, 1, 0, 0, 0));
        assert!(!real_date_time(2023, 1, 1, 24, 0, 0));
        assert_eq!(digits(Some(b"0042")), Some(42));
        assert_eq!(digits(Some(b"4a")), None);
        assert_eq!(digits(None), None);
    }
}
