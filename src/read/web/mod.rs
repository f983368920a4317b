//! Saved public channel web pages (`t.me/s/<channel>`) → posts.
//!
//! Input is a whole saved page, a fragment of one (a few
//! `div.tgme_widget_message_wrap`s), or several pages concatenated. Markup
//! of 2020, 2023 and 2024 is read alike (docs/web-preview-format.md §1–§2):
//! every field the page shows goes into the post, and what the model has no
//! name for goes into `extra` (`data_view`, `grouped`, `link_preview`,
//! `inline_bot_buttons`, `nested_entities`, media URLs).
//!
//! **Parsing.** A real HTML5 tree builder (html5ever, see `dom`): these
//! pages carry scripts, SVG and re-indented markup, and only the HTML5
//! algorithm sees the nesting a browser saw. Measured on the corpus, it reads
//! about 60 MB/s, so a saved page (≈ 20 posts, 5–100 KB) takes about a
//! millisecond. A streaming rewriter (`lol_html`) is about 4× faster but
//! builds no tree and hands out undecoded text (`&nbsp;`, `&#33;`), so
//! nesting rules and character references would have to be redone by hand.
//!
//! **Memory.** A DOM is built per *chunk*, not per file: the input is read
//! in chunks of about [`CHUNK`] bytes cut just before a
//! `<div class="tgme_widget_message_wrap`, the boundary between two posts.
//! A saved page is one chunk; a multi-gigabyte concatenation of pages is read
//! in flat memory. A chunk with no boundary in `MAX_CHUNK` bytes is parsed
//! as it is and its posts are flagged `boundary_uncertain`.
//!
//! **Time.** HTML5 tree construction is quadratic on hostile markup (every
//! start tag scans the stack of open elements; every attribute is compared
//! with the tag's others). Before a chunk is parsed, a linear scan
//! (`guard`) refuses markup nested deeper than 512 levels (Blink's own
//! parser limit) or tags with more than 1024 attributes: such a chunk is
//! reported as a rejected record with its line, never parsed. Real pages
//! nest about 20 deep.
//!
//! **Several pages.** Pages of one channel overlap (`?before=N` pages, or the
//! same page saved twice). [`page_key`] reads the first `data-post` of a page
//! without parsing it, so that `read::expand` can order the pages of a
//! folder (or of the command line) by channel and first post id; the pages
//! are then read one at a time, and posts seen twice are dropped by the
//! pipeline's `dedup` adapter (same chat and id), which spans all inputs of
//! a run. Because t.me pages are contiguous, oldest-first id ranges, reading
//! them in order of their first id gives one ordered stream.

mod dom;
mod guard;
pub(crate) mod post;
mod text;

use super::Notes;
use crate::error::{Error, Position, Result};
use crate::model::Post;
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::Path;

/// Bytes read before a chunk is cut at the next post boundary.
pub const CHUNK: usize = 1 << 20;

/// The most markup one post may have, from its
/// `div.tgme_widget_message_wrap` to the next one (real posts have a few
/// KB; 4096 emoji drawn as images make about 400 KB). A longer post is
/// rejected with its position and skipped without being held. It is also
/// where a chunk with no post boundary at all is cut blind.
pub const MAX_POST: usize = 1 << 20;

/// The marker of a post boundary.
const WRAP: &[u8] = b"tgme_widget_message_wrap";

/// How far before [`WRAP`] the `<div` of its tag may start.
const TAG_REACH: usize = 256;

/// A place in the file: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    line: u64,
    column: u64,
}

impl Place {
    /// The place after `bytes`, which start here.
    fn advance(self, bytes: &[u8]) -> Place {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => Place {
                line: self.line + memchr::memchr_iter(b'\n', bytes).count() as u64,
                column: 1 + chars(bytes.get(last + 1..).unwrap_or_default()),
            },
            None => Place { line: self.line, column: self.column + chars(bytes) },
        }
    }
}

fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

/// Streams posts out of saved web pages.
pub struct Reader<R> {
    inner: R,
    file: String,
    notes: Notes,
    buf: Vec<u8>,
    eof: bool,
    out: VecDeque<Result<Post>>,
    page: post::Page,
    /// Where `buf` starts in the file.
    at: Place,
    /// Posts read so far, rejected ones included (the next post's
    /// `source.index`).
    index: u64,
    /// The previous chunk was cut without a post boundary.
    cut_blind: bool,
    /// A post over [`MAX_POST`] was rejected: its bytes are being dropped
    /// up to the next post boundary.
    skipping: bool,
    chunk: usize,
    saw_no_posts: bool,
}

impl<R: BufRead> Reader<R> {
    /// Reads `inner` (UTF-8 HTML); `file` names it in sources and errors.
    pub fn new(inner: R, file: String, notes: Notes) -> Reader<R> {
        Reader::with_chunk(inner, file, notes, CHUNK)
    }

    /// Like [`Reader::new`] with another chunk size (tests and fuzzing use
    /// small chunks to exercise the cutting).
    pub fn with_chunk(inner: R, file: String, notes: Notes, chunk: usize) -> Reader<R> {
        Reader {
            inner,
            file,
            notes,
            buf: Vec::new(),
            eof: false,
            out: VecDeque::new(),
            page: post::Page::default(),
            at: Place { line: 1, column: 1 },
            index: 0,
            cut_blind: false,
            skipping: false,
            chunk: chunk.max(1),
            saw_no_posts: false,
        }
    }

    /// Reads until the buffer holds a chunk (or the input ends), then parses
    /// the part before the last post boundary.
    fn next_chunk(&mut self) -> Result<()> {
        loop {
            if self.skipping {
                if !self.skip()? {
                    return Ok(());
                }
                continue;
            }
            if !self.eof && self.buf.len() < self.chunk {
                self.fill()?;
                continue;
            }
            if self.eof {
                let all = std::mem::take(&mut self.buf);
                self.parse(&all, false, true);
                return Ok(());
            }
            if let Some(cut) = boundary(&self.buf) {
                let rest = self.buf.split_off(cut);
                let chunk = std::mem::replace(&mut self.buf, rest);
                self.parse(&chunk, false, false);
                return Ok(());
            }
            if self.buf.len() >= MAX_POST {
                if starts_post(&self.buf) {
                    self.reject_too_big();
                    // Past the post's own boundary, to the next one.
                    let first: Vec<u8> = self.buf.drain(..1).collect();
                    self.at = self.at.advance(&first);
                    self.skipping = true;
                    return Ok(());
                }
                let chunk = std::mem::take(&mut self.buf);
                self.notes.say(
                    &self.file,
                    "web pages",
                    format!(
                        "no post boundary in {MAX_POST} bytes; cut there (posts flagged boundary_uncertain)"
                    ),
                );
                self.parse(&chunk, true, false);
                return Ok(());
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> Result<()> {
        let want = self.chunk.saturating_sub(self.buf.len()).clamp(64 << 10, 1 << 20);
        let mut limited = (&mut self.inner).take(want as u64);
        let n = limited.read_to_end(&mut self.buf).map_err(|e| Error::io(self.file.clone(), e))?;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Rejects the post at `self.at`, which has more than [`MAX_POST`]
    /// bytes.
    fn reject_too_big(&mut self) {
        let what = format!(
            "a post larger than {} MiB (from its tgme_widget_message_wrap to the next); skipped",
            MAX_POST >> 20
        );
        self.reject(self.at, true, what);
    }

    /// Drops bytes of a rejected post until the next post boundary; false
    /// when the input ended.
    fn skip(&mut self) -> Result<bool> {
        if let Some(cut) = first_boundary(&self.buf) {
            let rest = self.buf.split_off(cut);
            self.at = self.at.advance(&self.buf);
            self.buf = rest;
            self.skipping = false;
            // The next post follows a dropped one: as after a blind cut,
            // nothing is known about what came before it.
            self.cut_blind = false;
            return Ok(true);
        }
        if self.eof {
            self.at = self.at.advance(&self.buf);
            self.buf.clear();
            self.skipping = false;
            return Ok(false);
        }
        // Keep what may be the start of a boundary's tag.
        let keep = self.buf.len().min(TAG_REACH + WRAP.len());
        let rest = self.buf.split_off(self.buf.len() - keep);
        self.at = self.at.advance(&self.buf);
        self.buf = rest;
        self.fill()?;
        Ok(true)
    }

    /// Rejects the part of the input at `at` (a post when `post`).
    fn reject(&mut self, at: Place, post: bool, what: String) {
        let mut pos = Position::line(self.file.clone(), at.line, Some(at.column));
        if post {
            pos.index = Some(self.index);
            self.index += 1;
        }
        self.out.push_back(Err(Error::data(pos, what)));
    }

    /// Parses a chunk one post at a time (each post from its boundary to
    /// the next), so that a fault stays with its post and the tree built
    /// is one post's. `last` is true for the end of the input.
    fn parse(&mut self, bytes: &[u8], blind: bool, last: bool) {
        let mut from = 0;
        let mut cuts = boundaries(bytes);
        cuts.push(bytes.len());
        for cut in cuts {
            let region = bytes.get(from..cut).unwrap_or_default();
            let at = self.at;
            self.parse_post(region, blind, last && cut == bytes.len());
            self.at = at.advance(region);
            from = cut;
        }
    }

    /// Parses the markup of one post (or of the page before the first):
    /// rejected whole when it is too big, nested too deep, or does not end.
    fn parse_post(&mut self, bytes: &[u8], blind: bool, last: bool) {
        if bytes.is_empty() {
            return;
        }
        let post = starts_post(bytes);
        if post && bytes.len() > MAX_POST {
            self.reject_too_big();
            return;
        }
        let report = guard::scan(bytes);
        if let Some(problem) = report.problem {
            let part = if post { "this post" } else { "this part of the page" };
            let what = format!(
                "{} at line {}; {part} was skipped",
                problem.what,
                self.at.line + problem.line - 1
            );
            self.reject(self.at, post, what);
            self.cut_blind = blind;
            return;
        }
        let (whole, open) = match report.open_post {
            Some(open) => (bytes.get(..open).unwrap_or_default(), Some(open)),
            None => (bytes, None),
        };
        self.build(whole, blind);
        if open.is_some() {
            let at = self.at.advance(whole);
            let what = if last && !blind {
                "the file ends inside this post (a truncated page?); not written"
            } else {
                "this post does not end before the next post begins; not written"
            };
            self.reject(at, true, what.to_owned());
        }
        self.cut_blind = blind;
    }

    /// Builds the tree of `bytes` (safe to parse) and reads its posts.
    fn build(&mut self, bytes: &[u8], blind: bool) {
        if bytes.is_empty() {
            return;
        }
        let html = String::from_utf8_lossy(bytes);
        let Some(dom) = dom::parse(&html) else {
            let what = format!(
                "markup that makes a tree of more than {} nodes, {} attributes or {} MiB of attribute values; skipped",
                dom::MAX_NODES,
                dom::MAX_ATTRS,
                dom::MAX_ATTR_BYTES >> 20
            );
            self.reject(self.at, starts_post(bytes), what);
            return;
        };
        let root = dom.root();
        let page = post::page_info(root);
        if page.title.is_some() {
            self.page.title = page.title;
        }
        if page.username.is_some() {
            self.page.username = page.username;
        }
        let uncertain = blind || self.cut_blind;
        let line_offset = self.at.line - 1;
        for msg in post::messages(root) {
            match post::read(msg, &self.page, &self.file, self.index, line_offset) {
                Ok(mut p) => {
                    if uncertain {
                        p.source.flag("boundary_uncertain");
                    }
                    self.index += 1;
                    self.out.push_back(Ok(p));
                }
                Err(fault) => {
                    let column = column_of(bytes, self.at, fault.line, fault.tag);
                    self.reject(Place { line: fault.line, column }, true, fault.what);
                }
            }
        }
        if post::says_no_posts(root) {
            self.saw_no_posts = true;
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.eof && self.buf.is_empty() && !self.skipping {
                if self.index == 0 {
                    let what = if self.saw_no_posts {
                        "the page says \"No posts found\""
                    } else {
                        "no tgme_widget_message element: not a saved channel page?"
                    };
                    self.notes.say(&self.file, "web pages", format!("no posts ({what})"));
                    self.index = u64::MAX;
                }
                return None;
            }
            if let Err(e) = self.next_chunk() {
                self.eof = true;
                self.skipping = false;
                self.buf.clear();
                return Some(Err(e));
            }
        }
    }
}

/// The 1-based column of the first `<tag` on line `line` of the file, in
/// `bytes`, which start at `at` (1 when the line has none).
fn column_of(bytes: &[u8], at: Place, line: u64, tag: &str) -> u64 {
    let skip = line.saturating_sub(at.line) as usize;
    let start = if skip == 0 {
        0
    } else {
        memchr::memchr_iter(b'\n', bytes).nth(skip - 1).map_or(bytes.len(), |nl| nl + 1)
    };
    let rest = bytes.get(start..).unwrap_or_default();
    let text = rest.get(..memchr::memchr(b'\n', rest).unwrap_or(rest.len())).unwrap_or_default();
    let open = format!("<{tag}");
    let Some(i) = memchr::memmem::find(text, open.as_bytes()) else { return 1 };
    let first = if skip == 0 { at.column } else { 1 };
    first + chars(text.get(..i).unwrap_or_default())
}

/// True when `region` opens with the tag of a post boundary (leading
/// white space aside).
fn starts_post(region: &[u8]) -> bool {
    let start = region.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(region.len());
    let head = region.get(start..).unwrap_or_default();
    let head = head.get(..TAG_REACH + WRAP.len()).unwrap_or(head);
    let tag_end = memchr::memchr(b'>', head).unwrap_or(head.len());
    head.get(..4).is_some_and(|t| t.eq_ignore_ascii_case(b"<div"))
        && memchr::memmem::find(head.get(..tag_end).unwrap_or_default(), WRAP).is_some()
}

/// The `<` of the tag of the post boundary whose marker is at `at`, if it
/// is one.
fn tag_start(buf: &[u8], at: usize) -> Option<usize> {
    let start = at.saturating_sub(TAG_REACH);
    let before = buf.get(start..at)?;
    let lt = start + memchr::memrchr(b'<', before)?;
    let between = buf.get(lt..at)?;
    let is_div = between.get(..4).is_some_and(|t| t.eq_ignore_ascii_case(b"<div"));
    (is_div && !between.contains(&b'>')).then_some(lt)
}

/// Every post boundary in `buf` after its start, in order.
fn boundaries(buf: &[u8]) -> Vec<usize> {
    let mut out: Vec<usize> = memchr::memmem::find_iter(buf, WRAP)
        .filter_map(|at| tag_start(buf, at))
        .filter(|&lt| lt > 0)
        .collect();
    out.dedup();
    out
}

/// The first post boundary in `buf` (its start included).
fn first_boundary(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(buf, WRAP).find_map(|at| tag_start(buf, at))
}

/// Where to cut `buf` so that the first part ends right before a post: the
/// `<` of the last `<div class="tgme_widget_message_wrap…`, if it is not at
/// the very start.
fn boundary(buf: &[u8]) -> Option<usize> {
    memchr::memmem::rfind_iter(buf, WRAP).filter_map(|at| tag_start(buf, at)).find(|&lt| lt > 0)
}

/// How far [`page_key`] looks for the first post.
const KEY_SCAN: u64 = 8 << 20;

/// The sort key of a saved page: the channel (lower case) and id of its
/// first post, read from the first `data-post="…"` without parsing the
/// page. `None` when the file has none in its first 8 MiB (or is unreadable:
/// the reader reports that later, with its position).
pub fn page_key(path: &Path) -> Option<(String, i64)> {
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::new();
    // Read in pieces so a page whose first post comes early costs little.
    let mut reader = std::io::BufReader::new(file).take(KEY_SCAN);
    let mut piece = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut piece).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(piece.get(..n)?);
        if let Some(key) = first_data_post(&head) {
            return Some(key);
        }
    }
}

fn first_data_post(head: &[u8]) -> Option<(String, i64)> {
    const ATTR: &[u8] = b"data-post=\"";
    let at = head.windows(ATTR.len()).position(|w| w == ATTR)?;
    let rest = head.get(at + ATTR.len()..)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let value = std::str::from_utf8(rest.get(..end)?).ok()?;
    let (channel, id) = value.rsplit_once('/')?;
    Some((channel.to_ascii_lowercase(), id.parse().ok()?))
}

/// True when the first bytes of a file look like a saved channel page.
pub fn looks_like_page(head: &[u8]) -> bool {
    [b"tgme_widget_message".as_slice(), b"tgme_channel_history", b"tgme_channel_info"]
        .iter()
        .any(|m| head.windows(m.len()).any(|w| w == *m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(html: &str, chunk: usize) -> Vec<Post> {
        Reader::with_chunk(html.as_bytes(), "p.html".into(), Notes::default(), chunk)
            .map(|p| p.unwrap())
            .collect()
    }

    const TWO: &str = "<div class=\"tgme_widget_message_wrap\"><div class=\"tgme_widget_message\" data-post=\"ch/1\"><div class=\"tgme_widget_message_text js-message_text\">one</div></div></div>\n<div class=\"tgme_widget_message_wrap\"><div class=\"tgme_widget_message\" data-post=\"ch/2\"><div class=\"tgme_widget_message_text js-message_text\">two</div></div></div>\n";

    #[test]
    fn chunks_give_the_same_posts() {
        let whole = read(TWO, CHUNK);
        let cut = read(TWO, 10);
        assert_eq!(whole.len(), 2);
        assert_eq!(cut.len(), 2);
        for (a, b) in whole.iter().zip(&cut) {
            assert_eq!(a.text, b.text);
            assert_eq!(a.id, b.id);
            assert_eq!(a.source.line, b.source.line);
        }
        assert_eq!(cut[1].source.line, Some(2));
        assert_eq!(cut[1].source.index, Some(1));
    }

    #[test]
    fn keys_and_boundaries() {
        assert_eq!(first_data_post(TWO.as_bytes()), Some(("ch".into(), 1)));
        let cut = boundary(TWO.as_bytes()).unwrap();
        assert!(TWO.get(cut..).unwrap().starts_with("<div class=\"tgme_widget_message_wrap"));
        assert_eq!(boundary(b"<div class=\"tgme_widget_message_wrap\">"), None);
        assert!(looks_like_page(TWO.as_bytes()));
    }

    /// Every item, posts as their ids and errors as their text.
    fn items(html: &str, chunk: usize) -> Vec<String> {
        Reader::with_chunk(html.as_bytes(), "p.html".into(), Notes::default(), chunk)
            .map(|i| match i {
                Ok(p) => format!("post {}", p.id.unwrap_or(-1)),
                Err(e) => e.to_string(),
            })
            .collect()
    }

    fn post(id: u32, body: &str) -> String {
        format!("<div class=\"tgme_widget_message_wrap\">\n<div class=\"tgme_widget_message\" data-post=\"ch/{id}\"><div class=\"tgme_widget_message_text js-message_text\">{body}</div></div></div>\n")
    }

    #[test]
    fn hostile_nesting_rejects_its_post_alone() {
        let deep = "<b>".repeat(600);
        let html = format!("{}{}{}{}", post(1, "a"), post(2, &deep), post(3, "c"), post(4, "d"));
        for chunk in [10, 100, CHUNK] {
            let got = items(&html, chunk);
            assert_eq!(
                got,
                [
                    "post 1",
                    "p.html:3:1: message #1: markup nested deeper than 512 levels at line 4; this post was skipped",
                    "post 3",
                    "post 4"
                ],
                "chunk {chunk}"
            );
        }
        // Depth hidden from a naive count by stray end tags.
        let stray =
            format!("{}{}{}", post(1, "a"), post(2, &"<div></x>".repeat(600)), post(3, "c"));
        assert_eq!(items(&stray, CHUNK).len(), 3);
        assert!(items(&stray, CHUNK)[1].contains("nested deeper"));
    }

    #[test]
    fn a_truncated_post_is_rejected_not_written() {
        let html = format!("{}{}", post(1, "a"), post(2, "half a post"));
        let cut = html.find("half").unwrap() + 4;
        for chunk in [10, CHUNK] {
            assert_eq!(
                items(&html[..cut], chunk),
                ["post 1", "p.html:4:1: message #1: the file ends inside this post (a truncated page?); not written"]
            );
        }
        // Cut inside a tag, after the post's element but before it closes.
        let cut = html.rfind("</div></div></div>").unwrap() + 8;
        assert_eq!(items(&html[..cut], CHUNK).len(), 2);
        assert!(items(&html[..cut], CHUNK)[1].contains("ends inside this post"));
        // A post whose element never closes before the next one begins.
        let html = format!(
            "{}{}{}",
            post(1, "a"),
            post(2, "b<div>").replacen("</div>", "", 1),
            post(3, "c")
        );
        let got = items(&html, CHUNK);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "post 1");
        assert!(got[1].starts_with("p.html:4:1: message #1: this post does not end"), "{got:?}");
        assert_eq!(got[2], "post 3");
    }

    #[test]
    fn a_post_over_the_cap_is_rejected_and_skipped() {
        let big = "x ".repeat(MAX_POST / 2 + 10);
        let html = format!("{}{}{}", post(1, "a"), post(2, &big), post(3, "c"));
        for chunk in [4096, CHUNK] {
            let got = items(&html, chunk);
            assert_eq!(got.len(), 3, "{got:?}");
            assert_eq!(got[0], "post 1");
            assert!(
                got[1].starts_with("p.html:3:1: message #1: a post larger than 1 MiB"),
                "{got:?}"
            );
            assert_eq!(got[2], "post 3");
        }
        // The last post of the file, over the cap.
        let html = format!("{}{}", post(1, "a"), post(2, &big));
        assert_eq!(items(&html, 4096).len(), 2);
    }

    #[test]
    fn garbage_gives_no_posts() {
        assert!(read("<<<>>>&&&", CHUNK).is_empty());
        assert!(read("", CHUNK).is_empty());
    }
}
