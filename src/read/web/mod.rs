//! Saved public channel web pages (`t.me/s/<channel>`) → posts.
//!
//! Input is a whole saved page, a fragment of one (a few
//! `div.tgme_widget_message_wrap`s), or several pages concatenated. Markup
//! of 2020, 2023 and 2024 is read alike (docs/web-preview-format.md §1–§2):
//! every field the page shows goes into the post, and what the model has no
//! name for goes into `extra` (`data_view`, `grouped`, `link_preview`,
//! `inline_bot_buttons`, `nested_entities`, media URLs).
//!
//! **Parsing.** A real HTML5 tree builder (html5ever, see [`dom`]): these
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
//! in flat memory. A chunk with no boundary in [`MAX_CHUNK`] bytes is parsed
//! as it is and its posts are flagged `boundary_uncertain`.
//!
//! **Time.** HTML5 tree construction is quadratic on hostile markup (every
//! start tag scans the stack of open elements; every attribute is compared
//! with the tag's others). Before a chunk is parsed, a linear scan
//! ([`guard`]) refuses markup nested deeper than 512 levels (Blink's own
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

/// Bytes after which a chunk is parsed even without a post boundary.
pub const MAX_CHUNK: usize = 16 << 20;

/// The marker of a post boundary.
const WRAP: &[u8] = b"tgme_widget_message_wrap";

/// Streams posts out of saved web pages.
pub struct Reader<R> {
    inner: R,
    file: String,
    notes: Notes,
    buf: Vec<u8>,
    eof: bool,
    out: VecDeque<Result<Post>>,
    page: post::Page,
    /// Lines before the current chunk.
    line_offset: u64,
    /// Posts read so far (the next post's `source.index`).
    index: u64,
    /// The previous chunk was cut without a post boundary.
    cut_blind: bool,
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
            line_offset: 0,
            index: 0,
            cut_blind: false,
            chunk: chunk.max(1),
            saw_no_posts: false,
        }
    }

    /// Reads until the buffer holds a chunk (or the input ends), then parses
    /// the part before the last post boundary.
    fn next_chunk(&mut self) -> Result<()> {
        let cap = MAX_CHUNK.max(self.chunk);
        loop {
            if !self.eof && self.buf.len() < self.chunk {
                self.fill()?;
                continue;
            }
            if self.eof {
                let all = std::mem::take(&mut self.buf);
                self.parse(&all, false);
                return Ok(());
            }
            if let Some(cut) = boundary(&self.buf) {
                let rest = self.buf.split_off(cut);
                let chunk = std::mem::replace(&mut self.buf, rest);
                self.parse(&chunk, false);
                return Ok(());
            }
            if self.buf.len() >= cap {
                let chunk = std::mem::take(&mut self.buf);
                self.notes.set(
                    &format!("web pages {}", self.file),
                    format!("no post boundary in {cap} bytes; cut there (posts flagged boundary_uncertain)"),
                );
                self.parse(&chunk, true);
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

    fn parse(&mut self, bytes: &[u8], blind: bool) {
        if bytes.is_empty() {
            return;
        }
        if let Some(problem) = guard::check(bytes) {
            // Read the posts before the problem; refuse the rest.
            let head = bytes.get(..problem.byte).and_then(boundary).unwrap_or(0);
            if head > 0 {
                self.parse(bytes.get(..head).unwrap_or_default(), blind);
            }
            let rest = bytes.get(head..).unwrap_or_default();
            let line = guard::check(rest).map_or(1, |p| p.line);
            let pos = Position::line(self.file.clone(), self.line_offset + line, None);
            let what = format!("{}; this part of the page was skipped", problem.what);
            self.out.push_back(Err(Error::data(pos, what)));
            self.cut_blind = blind;
            self.line_offset += rest.iter().filter(|&&b| b == b'\n').count() as u64;
            return;
        }
        let html = String::from_utf8_lossy(bytes);
        let dom = dom::parse(&html);
        let root = dom.root();
        let page = post::page_info(root);
        if page.title.is_some() {
            self.page.title = page.title;
        }
        if page.username.is_some() {
            self.page.username = page.username;
        }
        let uncertain = blind || self.cut_blind;
        for msg in post::messages(root) {
            let mut p = post::read(msg, &self.page, &self.file, self.index, self.line_offset);
            if uncertain {
                p.source.flag("boundary_uncertain");
            }
            self.index += 1;
            self.out.push_back(Ok(p));
        }
        if post::says_no_posts(root) {
            self.saw_no_posts = true;
        }
        self.cut_blind = blind;
        self.line_offset += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.eof && self.buf.is_empty() {
                if self.index == 0 {
                    let what = if self.saw_no_posts {
                        "the page says \"No posts found\""
                    } else {
                        "no tgme_widget_message element: not a saved channel page?"
                    };
                    self.notes
                        .set(&format!("web pages {}", self.file), format!("no posts ({what})"));
                    self.index = u64::MAX;
                }
                return None;
            }
            if let Err(e) = self.next_chunk() {
                self.eof = true;
                self.buf.clear();
                return Some(Err(e));
            }
        }
    }
}

/// Where to cut `buf` so that the first part ends right before a post: the
/// `<` of the last `<div class="tgme_widget_message_wrap…`, if it is not at
/// the very start.
fn boundary(buf: &[u8]) -> Option<usize> {
    let mut end = buf.len();
    while let Some(at) = rfind(buf.get(..end)?, WRAP) {
        end = at;
        // Back up to the tag's `<`, over `div class="` and other attributes.
        let start = at.saturating_sub(256);
        let before = buf.get(start..at)?;
        let Some(lt) = before.iter().rposition(|&b| b == b'<') else { continue };
        let tag_start = start + lt;
        let between = buf.get(tag_start..at)?;
        let is_div = between.get(..4).is_some_and(|t| t.eq_ignore_ascii_case(b"<div"));
        if is_div && !between.contains(&b'>') && tag_start > 0 {
            return Some(tag_start);
        }
    }
    None
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).rev().find(|&i| hay.get(i..i + needle.len()) == Some(needle))
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

    #[test]
    fn hostile_nesting_is_a_rejection_not_a_hang() {
        let html = format!("{TWO}{}", "<div>".repeat(200_000));
        let items: Vec<_> =
            Reader::new(html.as_bytes(), "p.html".into(), Notes::default()).collect();
        let err = items.iter().find_map(|i| i.as_ref().err()).unwrap();
        assert!(err.to_string().starts_with("p.html:"), "{err}");
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }

    #[test]
    fn garbage_gives_no_posts() {
        assert!(read("<<<>>>&&&", CHUNK).is_empty());
        assert!(read("", CHUNK).is_empty());
    }
}
