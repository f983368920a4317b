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
mod fast;
mod guard;
mod pool;
pub(crate) mod post;
mod text;

use super::Notes;
use crate::error::{Error, Position, Result};
use crate::model::Post;
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;

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
        self.after(Span::of(bytes))
    }

    /// The place after bytes that start here and measure `span`.
    fn after(self, span: Span) -> Place {
        if span.newlines == 0 {
            Place { line: self.line, column: self.column + span.last_chars }
        } else {
            Place { line: self.line + span.newlines, column: 1 + span.last_chars }
        }
    }
}

/// What a run of bytes moves a [`Place`] by: its newlines and the
/// characters after the last one (all of them when it has none). Measured
/// on the worker threads, so that the reader's own thread only adds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    newlines: u64,
    last_chars: u64,
}

impl Span {
    /// The span of `bytes`, which hold `newlines` newlines (counted
    /// already).
    fn with_newlines(bytes: &[u8], newlines: u64) -> Span {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                Span { newlines, last_chars: chars(bytes.get(last + 1..).unwrap_or_default()) }
            }
            None => Span { newlines: 0, last_chars: chars(bytes) },
        }
    }

    fn of(bytes: &[u8]) -> Span {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => Span {
                newlines: memchr::memchr_iter(b'\n', bytes).count() as u64,
                last_chars: chars(bytes.get(last + 1..).unwrap_or_default()),
            },
            None => Span { newlines: 0, last_chars: chars(bytes) },
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
    /// Trees are built by html5ever alone, never by the fast path (the
    /// reference the tests and the fuzz target compare the reader with).
    reference: bool,
    /// The worker threads, started at the first chunk.
    pool: Option<pool::Pool>,
    /// `file`, for the worker threads.
    shared_file: Arc<str>,
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
            shared_file: Arc::from(file.as_str()),
            pool: None,
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
            reference: false,
        }
    }

    /// The same reader with every tree built by html5ever (no fast path):
    /// the reference it must agree with.
    #[doc(hidden)]
    pub fn reference_only(mut self) -> Reader<R> {
        self.reference = true;
        self
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
                let cuts = boundaries(&all);
                self.parse(all, cuts, false, true);
                return Ok(());
            }
            let mut cuts = boundaries(&self.buf);
            if let Some(cut) = cuts.pop() {
                // The boundaries before the last are the chunk's own (see
                // `boundaries`); the buffer is kept, with its capacity, for
                // the bytes after the cut.
                let mut all = std::mem::take(&mut self.buf);
                let rest = all.split_off(cut.min(all.len()));
                let mut buf = self.parse(all, cuts, false, false);
                buf.clear();
                buf.extend_from_slice(&rest);
                self.buf = buf;
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
                let cuts = boundaries(&chunk);
                self.parse(chunk, cuts, true, false);
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
    /// is one post's. `cuts` are the chunk's [`boundaries`]; `last` is true
    /// for the end of the input.
    ///
    /// In three passes: the trees of the posts are built on [`threads`]
    /// threads (the reader's own and the [`pool`]'s helpers; `prepare`,
    /// which also measures each region's lines), each thread keeping the
    /// trees it built; then, in order, the page each post belongs to and
    /// its index are settled (`plan`); then the posts of each region are
    /// read by the thread that holds its trees (which drops them there),
    /// and the items are given out in order (`emit`). The items are the
    /// same as reading one post after the other; only the order of the
    /// work changes. Gives back the chunk's buffer, for the next one.
    fn parse(&mut self, bytes: Vec<u8>, mut cuts: Vec<usize>, blind: bool, last: bool) -> Vec<u8> {
        let mut from = 0;
        cuts.push(bytes.len());
        let regions = cuts
            .into_iter()
            .map(|cut| {
                let region = from..cut.max(from);
                from = cut;
                region
            })
            .collect();
        let mut pool =
            self.pool.take().unwrap_or_else(|| pool::Pool::new(threads().saturating_sub(1)));
        let mut own = pool::Held::default();
        let (built, chunk) = pool.build(pool::Chunk::new(bytes, regions, self.reference), &mut own);
        let count = chunk.regions.len();
        // Each region's answer in its place, and the regions whose trees
        // each thread holds, in the order it built them.
        let mut ready: Vec<Option<(Prepared, Span)>> = (0..count).map(|_| None).collect();
        let mut held_by: Vec<Vec<usize>> = Vec::with_capacity(built.len());
        for answers in built {
            held_by.push(answers.iter().map(|(i, ..)| *i).collect());
            for (i, prepared, span) in answers {
                if let Some(slot) = ready.get_mut(i) {
                    *slot = Some((prepared, span));
                }
            }
        }
        // (Every region has its answer: each was taken once.)
        let (prepared, spans): (Vec<Prepared>, Vec<Span>) =
            ready.into_iter().map(|r| r.unwrap_or((Prepared::Empty, Span::default()))).unzip();
        let (plans, ends) = self.plan(&prepared, &spans);
        let mut plans: Vec<Option<Plan>> = plans.into_iter().map(Some).collect();
        let by_thread = held_by
            .iter()
            .map(|held| {
                let mut take = |i: usize| plans.get_mut(i).and_then(Option::take);
                held.iter().map(|&i| take(i).unwrap_or_default()).collect()
            })
            .collect();
        let mut read: Vec<Vec<_>> = (0..count).map(|_| Vec::new()).collect();
        for (i, posts) in pool.read(by_thread, &mut own, &self.shared_file) {
            if let Some(slot) = read.get_mut(i) {
                *slot = posts;
            }
        }
        self.pool = Some(pool);
        let items = prepared.into_iter().zip(read).zip(ends);
        for (i, ((prepared, read), end)) in items.enumerate() {
            self.emit(chunk.region(i), prepared, read, blind, last && i + 1 == count);
            self.at = end;
        }
        chunk.bytes
    }

    /// Settles, in input order, the page and first index of each region's
    /// posts, as reading them one after the other would; and the place
    /// where each region ends (from the regions' measured spans).
    fn plan(&self, prepared: &[Prepared], spans: &[Span]) -> (Vec<Plan>, Vec<Place>) {
        let (mut page, mut index, mut at) = (self.page.clone(), self.index, self.at);
        let mut plans = Vec::with_capacity(prepared.len());
        let mut ends = Vec::with_capacity(prepared.len());
        for (prepared, span) in prepared.iter().zip(spans) {
            let mut plan = Plan { page: None, index, line_offset: at.line - 1 };
            match prepared {
                Prepared::Empty => {}
                Prepared::TooBig => index += 1,
                Prepared::Refused { post, .. } => index += u64::from(*post),
                Prepared::Built { tree, open, .. } => {
                    match tree {
                        Built::Nothing => {}
                        Built::Over { post } => index += u64::from(*post),
                        Built::Trees { page: found, messages, .. } => {
                            page.update(found);
                            plan =
                                Plan { page: Some(page.clone()), index, line_offset: at.line - 1 };
                            index += *messages as u64;
                        }
                    }
                    index += u64::from(open.is_some());
                }
            }
            plans.push(plan);
            at = at.after(*span);
            ends.push(at);
        }
        (plans, ends)
    }

    /// Gives out the items of one region, prepared and read (the caller
    /// then moves `self.at` past it).
    fn emit(
        &mut self,
        region: &[u8],
        prepared: Prepared,
        read: Vec<std::result::Result<Post, post::Fault>>,
        blind: bool,
        last: bool,
    ) {
        match prepared {
            Prepared::Empty => {}
            Prepared::TooBig => self.reject_too_big(),
            Prepared::Refused { post, problem } => {
                let part = if post { "this post" } else { "this part of the page" };
                let what = format!(
                    "{} at line {}; {part} was skipped",
                    problem.what,
                    self.at.line + problem.line - 1
                );
                self.reject(self.at, post, what);
                self.cut_blind = blind;
            }
            Prepared::Built { tree, open } => {
                let whole = region.get(..open.unwrap_or(region.len())).unwrap_or_default();
                match tree {
                    Built::Nothing => {}
                    Built::Over { post } => {
                        let what = format!(
                            "markup that makes a tree of more than {} nodes, {} attributes or {} MiB of attribute values; skipped",
                            dom::MAX_NODES,
                            dom::MAX_ATTRS,
                            dom::MAX_ATTR_BYTES >> 20
                        );
                        self.reject(self.at, post, what);
                    }
                    Built::Trees { page, no_posts, .. } => {
                        self.page.update(&page);
                        self.take_posts(whole, read, blind);
                        self.saw_no_posts |= no_posts;
                    }
                }
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
        }
    }

    /// Gives out the posts read from a region's tree (`bytes`: the markup
    /// they were read from), rejections with their line and column.
    fn take_posts(
        &mut self,
        bytes: &[u8],
        read: Vec<std::result::Result<Post, post::Fault>>,
        blind: bool,
    ) {
        let uncertain = blind || self.cut_blind;
        for item in read {
            match item {
                Ok(mut p) => {
                    debug_assert_eq!(p.source.index, Some(self.index));
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
    }
}

/// A region made ready to read: checked, its trees built.
enum Prepared {
    /// Nothing at all.
    Empty,
    /// A post over [`MAX_POST`].
    TooBig,
    /// Refused by the guard (`post`: the region is a post).
    Refused { post: bool, problem: guard::Problem },
    /// Its trees, and the byte where a post left open starts.
    Built { tree: Built, open: Option<usize> },
}

/// The trees of a region that the guard let through.
enum Built {
    /// No markup before the post left open.
    Nothing,
    /// Over the caps of the tree (`post`: the region is a post).
    Over { post: bool },
    /// Trees were built (they travel beside, see [`prepare`]), with what
    /// the reader needs from them before reading posts.
    Trees { page: post::Page, messages: usize, no_posts: bool },
}

/// Checks a region and builds its trees (on any thread): what the reader
/// needs to know of them, the trees themselves when there are some (apart,
/// so that reading the posts can take them and drop them on its thread),
/// and the region's [`Span`].
///
/// The fast path runs first: when it builds the whole region and finds it
/// clear ([`fast::Split::clear`]), the guard would find nothing and is not
/// run; else the guard decides, as with html5ever alone.
fn prepare(region: &[u8], reference: bool) -> (Prepared, Option<Trees>, Span) {
    // simdutf8 checks valid text several times faster than `std`; the
    // lossy copy (below) only for bad bytes.
    let text = simdutf8::basic::from_utf8(region).ok();
    let fast = if reference { None } else { text.and_then(fast::split) };
    let span = match &fast {
        // The fast path counted the region's newlines.
        Some(split) => Span::with_newlines(region, split.newlines),
        None => Span::of(region),
    };
    debug_assert_eq!(span, Span::of(region));
    let (prepared, trees) = prepare_with(region, text, reference, fast);
    (prepared, trees, span)
}

/// [`prepare`], with the region's text (`None` when it is not UTF-8) and
/// what the fast path made of it (`None` when it was not asked, or gave
/// up).
fn prepare_with<'a>(
    region: &[u8],
    text: Option<&'a str>,
    reference: bool,
    fast: Option<fast::Split<'a>>,
) -> (Prepared, Option<Trees>) {
    if region.is_empty() {
        return (Prepared::Empty, None);
    }
    let post = starts_post(region);
    if post && region.len() > MAX_POST {
        return (Prepared::TooBig, None);
    }
    let report = match &fast {
        Some(split) if split.clear => guard::Report::default(),
        _ => guard::scan(region),
    };
    if let Some(problem) = report.problem {
        return (Prepared::Refused { post, problem }, None);
    }
    let open = report.open_post;
    let whole = region.get(..open.unwrap_or(region.len())).unwrap_or_default();
    if whole.is_empty() {
        return (Prepared::Built { tree: Built::Nothing, open }, None);
    }
    if let (Some(text), None) = (text, open) {
        // The fast path has read this very text already.
        return survey(whole, text, fast, open);
    }
    drop(fast);
    let html = match simdutf8::basic::from_utf8(whole) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(whole),
    };
    let fast = if reference { None } else { fast::split(&html) };
    survey(whole, &html, fast, open)
}

/// The trees of `html` (the text of `whole`, which ends where a post left
/// open starts, at `open`) and what the reader needs of them.
fn survey(
    whole: &[u8],
    html: &str,
    fast: Option<fast::Split<'_>>,
    open: Option<usize>,
) -> (Prepared, Option<Trees>) {
    let (tree, built) = match trees(html, fast) {
        None => (Built::Over { post: starts_post(whole) }, None),
        Some(trees) => {
            let (mut page, mut no_posts, messages) = post::survey(trees.post.root());
            if let Some(tail) = &trees.tail {
                let (more, none_there, _) = post::survey(tail.root());
                page = page.or(more);
                no_posts |= none_there;
            }
            (Built::Trees { page, messages, no_posts }, Some(trees))
        }
    };
    (Prepared::Built { tree, open }, built)
}

/// What reading the posts of one region needs besides its trees: the page
/// they belong to, the index of the first and the line the region starts
/// on.
#[derive(Default)]
struct Plan {
    page: Option<post::Page>,
    index: u64,
    line_offset: u64,
}

impl Plan {
    /// Reads the posts of the region from its trees (on any thread), and
    /// drops the trees there.
    fn read(self, trees: Option<Trees>, file: &str) -> Vec<std::result::Result<Post, post::Fault>> {
        let (Some(trees), Some(page)) = (&trees, &self.page) else { return Vec::new() };
        post::messages(trees.post.root())
            .zip(self.index..)
            .map(|(msg, index)| post::read(msg, page, file, index, self.line_offset))
            .collect()
    }
}

/// Threads that build and read posts' trees: `TGNORM_THREADS`, else one
/// per core, at most 8 (the pipeline's own rule, `read::threads`).
fn threads() -> usize {
    super::threads()
}

/// The trees of one region: `post`, and `tail` when the fast path built the
/// post and html5ever the rest (the end of a page and the next one's head,
/// which hold no post).
struct Trees {
    post: dom::Dom,
    tail: Option<dom::Dom>,
}

/// The trees of `html`: by the fast path where it applies (`fast`, what
/// [`fast::split`] made of `html`), else (or when it was not asked, for
/// the reference) by html5ever alone; `None` when the tree would be over
/// the caps.
fn trees(html: &str, fast: Option<fast::Split<'_>>) -> Option<Trees> {
    let whole = || dom::parse(html).map(|post| Trees { post, tail: None });
    match fast {
        None => whole(),
        Some(fast::Split { tree, rest: None, .. }) => Some(Trees { post: tree, tail: None }),
        Some(fast::Split { tree, rest: Some(rest), .. }) => {
            let tail = dom::parse(rest)?;
            if fast::plain_tail(&tail) {
                Some(Trees { post: tree, tail: Some(tail) })
            } else {
                whole()
            }
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

/// Every post boundary in `buf` after its start, in order. `buf` starts at
/// a post boundary or at the start of the input, outside any script.
fn boundaries(buf: &[u8]) -> Vec<usize> {
    let mut hidden = Hidden { buf, from: 0, current: None };
    let mut out: Vec<usize> = memchr::memmem::find_iter(buf, WRAP)
        .filter(|&at| !hidden.covers(at))
        .filter_map(|at| tag_start(buf, at))
        .filter(|&lt| lt > 0)
        .collect();
    out.dedup();
    out
}

/// The parts of a buffer that are not markup to a browser: `<script>` and
/// `<style>` bodies and comments. A post boundary written inside one (a
/// script string holding a post's markup) is text, not a boundary.
struct Hidden<'a> {
    buf: &'a [u8],
    /// Where the search for the next hidden part goes on.
    from: usize,
    /// The last hidden part found, `start..end`.
    current: Option<(usize, usize)>,
}

impl Hidden<'_> {
    /// True when byte `at` is inside a hidden part; calls come with
    /// increasing `at`.
    fn covers(&mut self, at: usize) -> bool {
        loop {
            match self.current {
                Some((start, end)) if at < end => return at >= start,
                _ if self.from > at => return false,
                _ => {}
            }
            match next_hidden(self.buf, self.from) {
                Some((start, end)) => {
                    self.current = Some((start, end));
                    self.from = end.max(start + 1);
                }
                None => {
                    self.current = None;
                    self.from = usize::MAX;
                    return false;
                }
            }
        }
    }
}

/// The next hidden part at or after `from`: a comment to its `-->`, a
/// script or style element's body to its end tag (to the end of `buf` when
/// it does not end there).
fn next_hidden(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let rest = buf.get(from..)?;
    for lt in memchr::memchr_iter(b'<', rest).map(|i| from + i) {
        let tail = buf.get(lt + 1..).unwrap_or_default();
        if tail.starts_with(b"!--") {
            let body = tail.get(3..).unwrap_or_default();
            let end = memchr::memmem::find(body, b"-->").map_or(buf.len(), |e| lt + 4 + e + 3);
            return Some((lt, end));
        }
        for name in [b"script".as_slice(), b"style"] {
            let named = tail.get(..name.len()).is_some_and(|t| t.eq_ignore_ascii_case(name));
            let ends = tail
                .get(name.len())
                .is_none_or(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace());
            if named && ends {
                let body_at = lt + 1 + name.len();
                let end = raw_end(buf, body_at, name).unwrap_or(buf.len());
                return Some((lt, end));
            }
        }
    }
    None
}

/// Where the body of a raw-text element `name` that starts at `from` ends:
/// the `<` of its end tag (`</script`, any case).
fn raw_end(buf: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let rest = buf.get(from..)?;
    memchr::memmem::find_iter(rest, b"</").map(|i| from + i).find(|&lt| {
        buf.get(lt + 2..lt + 2 + name.len()).is_some_and(|t| t.eq_ignore_ascii_case(name))
    })
}

/// The first post boundary in `buf` (its start included).
fn first_boundary(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(buf, WRAP).find_map(|at| tag_start(buf, at))
}

/// Where to cut `buf` so that the first part ends right before a post: the
/// `<` of the last `<div class="tgme_widget_message_wrap…` outside scripts,
/// if it is not at the very start.
#[cfg(test)]
fn boundary(buf: &[u8]) -> Option<usize> {
    boundaries(buf).last().copied()
}

/// What the fast path made of an input: its regions (the markup before the
/// first post and each post's, as the reader cuts them), how many the fast
/// path built whole or in part, and how many items the reader yields that
/// differ from what it yields with html5ever alone ([`Reader::reference_only`]),
/// plus the regions the fast path finds clear where the guard finds
/// something ([`fast::Split::clear`]): must be none. For the differential fuzz target and
/// `examples/web_fast_check.rs`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FastCheck {
    pub regions: usize,
    pub fast: usize,
    pub items: usize,
    pub differ: usize,
}

#[doc(hidden)]
pub fn check_fast_path(html: &[u8], chunk: usize) -> FastCheck {
    let read = |reference: bool| -> Vec<std::result::Result<Post, String>> {
        let reader = Reader::with_chunk(html, "check.html".into(), Notes::default(), chunk);
        let reader = if reference { reader.reference_only() } else { reader };
        reader.map(|item| item.map_err(|e| e.to_string())).collect()
    };
    let (fast, reference) = (read(false), read(true));
    let mut check = FastCheck {
        items: reference.len(),
        differ: fast.len().abs_diff(reference.len()),
        ..FastCheck::default()
    };
    check.differ += fast.iter().zip(&reference).filter(|(a, b)| a != b).count();
    let mut from = 0;
    let mut cuts = boundaries(html);
    cuts.push(html.len());
    for cut in cuts {
        let region = String::from_utf8_lossy(html.get(from..cut).unwrap_or_default());
        from = cut;
        check.regions += 1;
        let split = fast::split(&region);
        check.fast += usize::from(split.is_some());
        // Where the fast path says the guard need not run, the guard must
        // indeed find nothing.
        if split.is_some_and(|s| s.clear)
            && guard::scan(region.as_bytes()) != guard::Report::default()
        {
            check.differ += 1;
        }
    }
    check
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

    /// Lines and columns measured in two parts add up to the whole's, at
    /// every cut (multi-byte characters, lines with and without ends).
    #[test]
    fn spans_add_up() {
        let text = "ab\ncé\n\nд x\nlast";
        let start = Place { line: 3, column: 5 };
        for cut in (0..=text.len()).filter(|&c| text.is_char_boundary(c)) {
            let (a, b) = text.split_at(cut);
            let two = start.after(Span::of(a.as_bytes())).after(Span::of(b.as_bytes()));
            assert_eq!(two, start.advance(text.as_bytes()), "cut {cut}");
        }
        assert_eq!(start.advance(text.as_bytes()), Place { line: 7, column: 5 });
        assert_eq!(start.advance("dé".as_bytes()), Place { line: 3, column: 7 });
    }

    /// The reader cuts a chunk at the buffer's last boundary and takes the
    /// boundaries before it as the chunk's own: they are.
    #[test]
    fn a_chunks_boundaries_are_the_buffers_before_the_cut() {
        let fake = post(77, "fake").replace('\n', " ").replace('"', "\\\"");
        let script = format!("<script>var s = \"{fake}\";</script>\n<!-- {} -->\n", post(78, "x"));
        let unended = format!("{}<!-- {}", post(5, "e"), post(6, "f"));
        for html in [
            TWO.to_owned(),
            format!("{}{}{script}{}{}", post(1, "a"), post(2, "b"), post(3, "c"), post(4, "d")),
            format!("{}{}{}<script>{}", post(1, "a"), post(2, "b"), post(3, "c"), post(4, "d")),
            unended,
        ] {
            let mut cuts = boundaries(html.as_bytes());
            let Some(cut) = cuts.pop() else { continue };
            assert_eq!(boundaries(&html.as_bytes()[..cut]), cuts, "{html}");
        }
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
    fn a_post_written_inside_a_script_is_not_a_boundary() {
        let fake = post(77, "fake").replace('\n', " ").replace('"', "\\\"");
        let script = format!("<script>var s = \"{fake}\";</script>\n<!-- {} -->\n", post(78, "x"));
        let html = format!("{}{}{script}{}", post(1, "a"), post(2, "b"), post(3, "c"));
        for chunk in [10, 100, CHUNK] {
            assert_eq!(items(&html, chunk), ["post 1", "post 2", "post 3"], "chunk {chunk}");
        }
        assert_eq!(boundaries(html.as_bytes()).len(), 2);
        // A script that never ends hides the rest of the buffer.
        assert_eq!(
            boundaries(format!("{}<script>{}", post(1, "a"), post(2, "b")).as_bytes()),
            Vec::<usize>::new()
        );
        assert_eq!(next_hidden(b"<b><STYLE>x</style >", 0), Some((3, 11)));
        assert_eq!(next_hidden(b"<scripts>", 0), None);
    }

    /// Every saved page among the fixtures: the fast path builds the trees
    /// of (nearly) all posts, each exactly html5ever's.
    #[test]
    fn the_fast_path_agrees_on_every_fixture_page() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/web");
        let mut pages = Vec::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            let inputs = dir.join("input");
            let files = if inputs.is_dir() {
                std::fs::read_dir(inputs).unwrap().map(|f| f.unwrap().path()).collect()
            } else {
                vec![dir.join("input.html")]
            };
            pages.extend(files.into_iter().filter(|f| f.is_file()));
        }
        assert!(pages.len() > 30);
        let mut total = FastCheck::default();
        for page in &pages {
            let html = std::fs::read(page).unwrap();
            let check = check_fast_path(&html, CHUNK);
            assert_eq!(check.differ, 0, "{}", page.display());
            assert_eq!(check_fast_path(&html, 100).differ, 0, "{}", page.display());
            total.regions += check.regions;
            total.fast += check.fast;
        }
        // The regions left to html5ever whole are the pages' heads.
        assert!(total.fast + pages.len() >= total.regions, "{total:?}");
    }

    #[test]
    fn garbage_gives_no_posts() {
        assert!(read("<<<>>>&&&", CHUNK).is_empty());
        assert!(read("", CHUNK).is_empty());
    }
}
