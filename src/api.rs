//! The library's front door, in the style of the `csv` crate: a [`Reader`]
//! that iterates cleaned posts, a [`ReaderBuilder`] for its options, and a
//! [`Writer`] that renders posts in any output format.
//!
//! The modules underneath ([`crate::read`], [`crate::clean`],
//! [`crate::write`]) stay the way to build something else; this module only
//! joins them the way the command line does, so that three lines of Rust
//! give the posts `tgnorm FILE` prints:
//!
//! - the input's format is detected (or forced), and a folder is read as an
//!   export folder, as [`crate::read::expand`] expands it;
//! - posts are cleaned by the same passes as the command line's defaults,
//!   de-duplicated within the same window, fingerprinted before cleaning;
//! - every item read is accounted for: the [`Summary`] at the end says
//!   `read = written + rejected + duplicates + selected_out`, where
//!   `written` counts the posts the reader yielded.
//!
//! It runs on the caller's thread, one post at a time: the multi-threaded
//! pipeline is [`crate::convert::run`], which writes instead of yielding.

use crate::clean::{self, Config as CleanConfig, EmojiMode, Pass};
use crate::convert::Summary;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::{Chat, Post};
use crate::read::{self, Notes, Pending, PendingPosts, ReadOptions};
use crate::select::Selection;
use crate::write::{self, Format};
use encoding_rs::Encoding;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Options for a [`Reader`]: format, passes, emoji mode, encoding, strict.
///
/// ```
/// use tgnorm::clean::{EmojiMode, Pass};
///
/// let reader = tgnorm::ReaderBuilder::new()
///     .format(tgnorm::read::Format::Text)
///     .pass(Pass::Dedup, false)
///     .emoji(EmojiMode::Keep)
///     .strict(true)
///     .from_path("fixtures/text/rusembindia-2024/input.txt")?;
/// assert_eq!(reader.count(), 15);
/// # Ok::<(), tgnorm::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ReaderBuilder {
    read: ReadOptions,
    clean: CleanConfig,
    strict: bool,
    name: Option<String>,
    select: Selection,
}

impl ReaderBuilder {
    /// The command line's defaults: format and encoding detected, every
    /// pass on, emoji qualified, bad records yielded as errors and skipped.
    pub fn new() -> ReaderBuilder {
        ReaderBuilder::default()
    }

    /// Reads this format instead of detecting it (`--from`).
    pub fn format(&mut self, format: read::Format) -> &mut ReaderBuilder {
        self.read.format = Some(format);
        self
    }

    /// Decodes from this encoding instead of detecting it (`--encoding`);
    /// [`crate::decode::encoding_for_label`] finds one by name.
    pub fn encoding(&mut self, encoding: &'static Encoding) -> &mut ReaderBuilder {
        self.read.encoding = Some(encoding);
        self
    }

    /// Gives dates without an offset this one (`--assume-offset`; default
    /// UTC): such posts are flagged `assumed_offset`, keep the source's local
    /// date in `source.local_dates`, and are counted in the summary.
    pub fn assume_offset(&mut self, offset: read::offset::Offset) -> &mut ReaderBuilder {
        self.read.assume_offset = offset;
        self
    }

    /// Switches one pass on or off (`--no-<pass>`).
    pub fn pass(&mut self, pass: Pass, on: bool) -> &mut ReaderBuilder {
        self.clean.passes.retain(|p| *p != pass);
        if on {
            self.clean.passes.push(pass);
            // Passes run in their own order whatever the order of the calls.
            self.clean.passes.sort_by_key(|p| Pass::ALL.iter().position(|q| q == p));
        }
        self
    }

    /// Runs exactly these passes (an empty list: the posts as read).
    pub fn passes(&mut self, passes: &[Pass]) -> &mut ReaderBuilder {
        self.clean.passes = Pass::ALL.into_iter().filter(|p| passes.contains(p)).collect();
        self
    }

    /// What the emoji pass does (`--emoji`).
    pub fn emoji(&mut self, mode: EmojiMode) -> &mut ReaderBuilder {
        self.clean.emoji = mode;
        self
    }

    /// The chat a text dump's posts belong to (`--as-chat`).
    pub fn chat(&mut self, chat: Chat) -> &mut ReaderBuilder {
        self.read.text.chat = Some(chat);
        self
    }

    /// Stops at the first bad record (`--strict`): it is yielded as an
    /// error and the iteration ends. Otherwise reading goes on after it.
    pub fn strict(&mut self, strict: bool) -> &mut ReaderBuilder {
        self.strict = strict;
        self
    }

    /// Keeps only the posts `selection` keeps (`--since`, `--chat`, …);
    /// the others are counted in [`Summary::selected_out`].
    ///
    /// ```
    /// use tgnorm::select::Selection;
    ///
    /// let only_service = Selection { kinds: vec![tgnorm::model::Kind::Service], ..Selection::default() };
    /// let mut reader = tgnorm::ReaderBuilder::new()
    ///     .select(only_service)
    ///     .from_path("fixtures/text/rusembindia-2024/input.txt")?;
    /// assert_eq!(reader.by_ref().count(), 0);
    /// assert_eq!(reader.summary().selected_out, 15);
    /// # Ok::<(), tgnorm::Error>(())
    /// ```
    pub fn select(&mut self, selection: Selection) -> &mut ReaderBuilder {
        self.select = selection;
        self
    }

    /// The name a stream given to [`ReaderBuilder::from_reader`] has in
    /// positions and `source.file` (default `-`, as standard input).
    pub fn name(&mut self, name: impl Into<String>) -> &mut ReaderBuilder {
        self.name = Some(name.into());
        self
    }

    /// A reader of a file or an export folder.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<Reader> {
        self.from_paths([path.as_ref()])
    }

    /// A reader of several files or folders, one after the other, as
    /// `tgnorm A B C` reads them (one de-duplication window for all).
    pub fn from_paths<P: AsRef<Path>>(&self, paths: impl IntoIterator<Item = P>) -> Result<Reader> {
        let paths: Vec<PathBuf> = paths.into_iter().map(|p| p.as_ref().to_path_buf()).collect();
        let files = read::expand(&paths)?;
        let mut reader = Reader::new(self.options(), files);
        reader.next_input()?;
        Ok(reader)
    }

    /// A reader of bytes from anywhere; the format is detected from them.
    pub fn from_reader(&self, raw: impl Read + Send + 'static) -> Result<Reader> {
        let mut reader = Reader::new(self.options(), Vec::new());
        let name = self.name.clone().unwrap_or_else(|| "-".into());
        let input = read::open_stream(Box::new(raw), name, &reader.read, &reader.notes)?;
        reader.stream = Some(read::read(input, &reader.read, &reader.notes)?);
        Ok(reader)
    }

    /// The reading options as the command line resolves them: the text
    /// reader's structural clean-ups follow the passes.
    fn options(&self) -> (ReadOptions, CleanConfig, bool, Selection) {
        let text = read::text::Options {
            chat: self.read.text.chat.clone(),
            ..read::text::Options::for_passes(&self.clean)
        };
        let read = ReadOptions { text, ..self.read.clone() };
        (read, self.clean.clone(), self.strict, self.select.clone())
    }
}

/// Cleaned posts from a file, an export folder or a stream, one at a time.
///
/// Iterates `Result<Post>`: a bad record is an `Err` carrying its position,
/// and reading goes on with the next one (unless [`ReaderBuilder::strict`]);
/// an error that makes the rest unreadable (an I/O error, an input in no
/// known format) is the last item. [`Reader::summary`] gives the
/// accounting so far.
///
/// ```
/// let mut reader = tgnorm::Reader::from_path("fixtures/text/rusembindia-2024/input.txt")?;
/// let first = reader.next().unwrap()?;
/// let from = first.forwarded_from.as_ref().and_then(|f| f.name.as_deref());
/// assert_eq!(from, Some("Russian MFA 🇷🇺"));
/// assert_eq!(first.cleaned, ["repeated-body", "forward"]);
/// let rest = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
/// let summary = reader.summary();
/// assert_eq!((summary.read, summary.written), (15, 1 + rest.len() as u64));
/// # Ok::<(), tgnorm::Error>(())
/// ```
pub struct Reader {
    read: ReadOptions,
    clean: CleanConfig,
    strict: bool,
    select: Selection,
    files: std::vec::IntoIter<PathBuf>,
    stream: Option<PendingPosts<'static>>,
    notes: Notes,
    seen: clean::Seen,
    summary: Summary,
    done: bool,
}

impl Reader {
    /// A reader of a file or an export folder with the default options
    /// ([`ReaderBuilder::new`]).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Reader> {
        ReaderBuilder::new().from_path(path)
    }

    /// A reader of bytes from anywhere with the default options.
    pub fn from_reader(raw: impl Read + Send + 'static) -> Result<Reader> {
        ReaderBuilder::new().from_reader(raw)
    }

    fn new(
        (read, clean, strict, select): (ReadOptions, CleanConfig, bool, Selection),
        files: Vec<PathBuf>,
    ) -> Reader {
        Reader {
            read,
            clean,
            strict,
            select,
            files: files.into_iter(),
            stream: None,
            notes: Notes::default(),
            seen: clean::Seen::default(),
            summary: Summary::default(),
            done: false,
        }
    }

    /// Opens the next input file, if there is one.
    fn next_input(&mut self) -> Result<()> {
        self.stream = None;
        if let Some(path) = self.files.next() {
            let input = read::open(&path, &self.read, &self.notes)?;
            self.stream = Some(read::read(input, &self.read, &self.notes)?);
        }
        Ok(())
    }

    /// The accounting so far (all of it once the iteration ended): items
    /// read, posts yielded (`written`), records rejected, duplicates
    /// dropped, what the passes changed and what the readers noted.
    pub fn summary(&self) -> Summary {
        let mut summary = self.summary.clone();
        summary.take_notes(&self.notes);
        summary
    }

    /// Accounts for one reader item; `None` when it was a duplicate or
    /// selected out.
    fn take(&mut self, item: Result<Pending>) -> Option<Result<Post>> {
        self.summary.read += 1;
        let mut post = match item.and_then(|p| p.settle(&self.read, &self.notes)) {
            Ok(post) => post,
            Err(e) => {
                // A bad record, or an error that stops the input: one item
                // read and one rejected, as the pipeline counts it.
                self.summary.rejected += 1;
                self.done = self.strict || !e.is_record_error();
                return Some(Err(e));
            }
        };
        if !self.select.keeps(&post) {
            self.summary.selected_out += 1;
            return None;
        }
        if self.clean.has(Pass::Dedup) && !self.seen.first_time(&post) {
            self.summary.duplicates += 1;
            return None;
        }
        clean::clean_post(&mut post, &self.clean);
        for pass in &post.cleaned {
            *self.summary.cleaned.entry(pass.clone()).or_default() += 1;
        }
        self.summary.written += 1;
        Some(Ok(post))
    }
}

impl Iterator for Reader {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        while !self.done {
            let Some(stream) = self.stream.as_mut() else {
                self.done = true;
                return None;
            };
            match stream.next() {
                Some(item) => {
                    if let Some(out) = self.take(item) {
                        return Some(out);
                    }
                }
                None => {
                    if let Err(e) = self.next_input() {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
        }
        None
    }
}

/// Posts rendered in an output format: JSONL, text, Telegram Desktop JSON
/// or HTML. [`Writer::finish`] must be called at the end: it writes what
/// closes the output and reports the errors that dropping could not.
///
/// ```
/// use tgnorm::write::Format;
///
/// let mut writer = tgnorm::Writer::from_writer(Vec::new(), Format::Text);
/// for post in tgnorm::Reader::from_path("fixtures/text/rusembindia-2024/input.txt")? {
///     writer.write(&post?)?;
/// }
/// let text = String::from_utf8(writer.finish()?).expect("text is UTF-8");
/// assert!(text.starts_with("tgnorm text dump v1"));
/// assert!(text.contains("\nForwarded from Russian MFA 🇷🇺\n"));
/// # Ok::<(), tgnorm::Error>(())
/// ```
pub struct Writer<W: Write> {
    inner: write::Writer<W>,
    notes: Notes,
}

impl Writer<BufWriter<File>> {
    /// A writer to the file at `path`, created or truncated. For a folder
    /// format (`tdesktop-html`) use [`Writer::to_folder`].
    ///
    /// Unlike the command line, it does not check that `path` is none of
    /// the inputs, nor write under a temporary name: that is the caller's.
    pub fn to_path(path: impl AsRef<Path>, format: Format) -> Result<Writer<BufWriter<File>>> {
        let path = path.as_ref();
        let name = Position::name_of(path);
        if format.is_folder() {
            return Err(Error::new(
                Position::file(name),
                ErrorKind::Usage(format!("{format} writes a folder: use Writer::to_folder")),
            ));
        }
        let file = File::create(path).map_err(|e| Error::io(&name, e))?;
        Ok(Writer::named(BufWriter::new(file), format, name))
    }
}

impl Writer<io::Sink> {
    /// A writer of a folder format (`tdesktop-html`: pages, `css/`, `js/`)
    /// into `dir`, which must not exist or be empty. Other formats are
    /// refused: they write one file.
    pub fn to_folder(dir: impl AsRef<Path>, format: Format) -> Result<Writer<io::Sink>> {
        let dir = dir.as_ref();
        let name = Position::name_of(dir);
        if !format.is_folder() {
            return Err(Error::new(
                Position::file(name),
                ErrorKind::Usage(format!("{format} writes one file: use Writer::to_path")),
            ));
        }
        let occupied = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
        if occupied || dir.is_file() {
            return Err(Error::new(
                Position::file(name),
                ErrorKind::Usage("the output folder must not exist or be empty".into()),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(&name, e))?;
        let mut inner = write::Writer::to_folder(format, dir.to_path_buf(), io::sink(), name);
        let notes = Notes::default();
        inner.set_notes(&notes);
        Ok(Writer { inner, notes })
    }
}

impl<W: Write> Writer<W> {
    /// A writer to any byte sink (a folder format writes its one-page form).
    pub fn from_writer(out: W, format: Format) -> Writer<W> {
        Writer::named(out, format, "-".into())
    }

    fn named(out: W, format: Format, name: String) -> Writer<W> {
        let mut inner = write::Writer::new(format, out, name);
        let notes = Notes::default();
        inner.set_notes(&notes);
        Writer { inner, notes }
    }

    /// Writes one post. A post the format cannot hold is an error about
    /// that post ([`Error::is_record_error`]); writing can go on after it.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        self.inner.write(post)
    }

    /// What the writer had to decide (ids it assigned, …), by topic.
    pub fn notes(&self) -> std::collections::BTreeMap<String, String> {
        self.notes.snapshot()
    }

    /// Writes the end of the output, flushes, and gives the sink back.
    pub fn finish(self) -> Result<W> {
        self.inner.finish()
    }
}
