//! Readers: from an input (file, folder or standard input) to a stream of posts.
//!
//! One module per format, one [`Format`] enum and one `match` in `read`:
//! there is no reader trait (no outside code plugs formats in). Every reader is an iterator of
//! `Result<Post>` that holds at most one message (or one bounded window of
//! lines) in memory. A bad record is an `Err` in the stream and reading goes
//! on with the next one; an error that makes the rest of the input unreadable
//! ends the stream after it.
//!
//! Readers note what they assumed, counted or repaired (the text flavour,
//! the encoding, `\xHH` escapes fixed…) in a shared [`Notes`], typed and by
//! file ([`crate::account`]), that the run summary aggregates.

pub mod jsonl;
pub(crate) mod lines;
pub mod offset;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod tdesktop_html;
pub mod tdesktop_json;
pub mod text;
pub mod web;
pub mod zip;

use crate::decode::{self, Detection};
use crate::error::{Error, ErrorKind, Position, Result};
pub(crate) use crate::format::tdesktop_html::page_number;
use crate::model::Post;
use encoding_rs::Encoding;
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

/// A stream of posts, one at a time.
pub type Posts<'a> = Box<dyn Iterator<Item = Result<Post>> + Send + 'a>;

/// A reader item that may not be parsed yet: readers whose records can be
/// parsed independently of each other (Telegram Desktop JSON, once a chat's
/// header is read) hand them out cut but unparsed, so that the pipeline can
/// parse them on several threads ([`crate::convert`]).
#[derive(Debug)]
pub(crate) enum Pending {
    /// A post read to the end.
    Ready(Box<Post>),
    /// A Telegram Desktop message still to parse.
    Unparsed(Box<tdesktop_json::Unparsed>),
    /// A page of a Telegram Desktop HTML folder still to read: many posts,
    /// which the caller gets with [`tdesktop_html::PageTask::run`] (only
    /// [`read_with_pages`] hands these out).
    Page(Box<tdesktop_html::PageTask>),
}

impl Pending {
    /// The post, parsing it if needed.
    pub fn resolve(self) -> Result<Post> {
        match self {
            Pending::Ready(post) => Ok(*post),
            Pending::Unparsed(raw) => raw.parse(),
            Pending::Page(task) => Err(task.misrouted()),
        }
    }

    /// The post, parsing it if needed, with every date given an offset
    /// ([`offset::assume`] with `--assume-offset`); a post whose dates had
    /// none is counted in `notes` (`assumed_offset`).
    pub fn settle(self, options: &ReadOptions, notes: &Notes) -> Result<Post> {
        Ok(settle(self.resolve()?, options, notes))
    }
}

/// `post` with every date given an offset, as [`Pending::settle`] does.
pub(crate) fn settle(mut post: Post, options: &ReadOptions, notes: &Notes) -> Post {
    if offset::assume(&mut post, options.assume_offset) {
        notes.count(&post.source.file, |c| &mut c.assumed_offset, 1);
    }
    post
}

/// A stream of [`Pending`] items, as [`read`] gives them.
pub(crate) type PendingPosts<'a> = Box<dyn Iterator<Item = Result<Pending>> + Send + 'a>;

/// Input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// Telegram Desktop `result.json`.
    TdesktopJson,
    /// Telegram Desktop `messages*.html`.
    TdesktopHtml,
    /// Saved public channel pages (`t.me/s/<channel>`).
    WebHtml,
    /// Plain-text dumps of channel posts.
    Text,
    /// tgnorm's own JSONL.
    Jsonl,
    /// A Parquet file tgnorm wrote (`--to parquet`).
    #[cfg(feature = "parquet")]
    Parquet,
}

impl Format {
    /// Every input format id, for help texts.
    #[cfg(not(feature = "parquet"))]
    pub const ALL: [&'static str; 5] =
        ["tdesktop-json", "tdesktop-html", "web-html", "text", "jsonl"];
    /// Every input format id, for help texts.
    #[cfg(feature = "parquet")]
    pub const ALL: [&'static str; 6] =
        ["tdesktop-json", "tdesktop-html", "web-html", "text", "jsonl", "parquet"];

    /// The format id used on the command line and in `source.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TdesktopJson => "tdesktop-json",
            Format::TdesktopHtml => "tdesktop-html",
            Format::WebHtml => "web-html",
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            #[cfg(feature = "parquet")]
            Format::Parquet => "parquet",
        }
    }

    /// Guesses the format from the first decoded bytes of an input. Never
    /// trusts the file name.
    pub fn sniff(head: &[u8]) -> Format {
        let trimmed = trim_start(head);
        if trimmed.starts_with(b"{") {
            // tgnorm's JSONL has `"chat":` as the first key of a one-line object;
            // result.json opens with `{` alone on its line.
            let first_line = trimmed.split(|&b| b == b'\n').next().unwrap_or_default();
            if first_line.starts_with(b"{\"chat\":") || first_line.starts_with(b"{\"chat\": ") {
                return Format::Jsonl;
            }
            // A whole object on the first line without an export's keys
            // (`{}`) is a JSONL line, and is read, and rejected, as one.
            if is_plain_json_line(first_line) {
                return Format::Jsonl;
            }
            return Format::TdesktopJson;
        }
        if contains(head, b"tgme_widget_message")
            || contains(head, b"tgme_channel_history")
            || contains(head, b"tgme_channel_info")
        {
            return Format::WebHtml;
        }
        if contains(head, b"page_wrap") && contains(head, b"history") {
            return Format::TdesktopHtml;
        }
        Format::Text
    }
}

crate::format::format_ids!(Format, "input", {
    "tdesktop-json" | "json" => TdesktopJson,
    "tdesktop-html" => TdesktopHtml,
    "web-html" | "web" => WebHtml,
    "text" | "txt" => Text,
    "jsonl" => Jsonl,
    #[cfg(feature = "parquet")]
    "parquet" => Parquet,
});

/// A complete JSON object with none of the top-level keys of a
/// `result.json` (single-chat or full-account).
fn is_plain_json_line(line: &[u8]) -> bool {
    const EXPORT_KEYS: [&str; 4] = ["messages", "chats", "left_chats", "personal_information"];
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line)
        .is_ok_and(|object| !EXPORT_KEYS.iter().any(|k| object.contains_key(*k)))
}

/// What the file at `path` looks like, by the sniffing [`open`] does
/// (`None` when it is empty): for saying why a forced `--from` found
/// nothing.
///
/// A FIFO or a device cannot be read a second time: for anything but a
/// regular file the answer is `Ok(None)`, as for an empty file.
pub fn looks_like(path: &Path, options: &ReadOptions) -> Result<Option<Format>> {
    let name = Position::name_of(path);
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    #[cfg(feature = "parquet")]
    if parquet::is_parquet(path) {
        return Ok(Some(Format::Parquet));
    }
    let file = File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut decoded =
        decode::decode(Box::new(file), options.encoding).map_err(|e| Error::io(&name, e))?;
    let head = decoded.reader.fill_buf().map_err(|e| Error::io(&name, e))?;
    Ok((!head.is_empty()).then(|| Format::sniff(head)))
}

/// How a CSV written by `--to csv` starts (its first columns): such a file
/// is not a text dump, and reading it as one would give one post holding
/// the whole table.
const TGNORM_CSV_HEADER: &[u8] = b"chat_name,chat_id,chat_username,id,kind,";

/// Starts like an HTML document (`<!DOCTYPE html`, `<html`).
fn looks_like_html(head: &[u8]) -> bool {
    let t = trim_start(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    let starts = |p: &[u8]| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    starts(b"<!doctype html") || starts(b"<html")
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// What readers tell the run summary: typed, one report per file
/// ([`crate::account`]).
pub use crate::account::Notes;

/// How to read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Skip detection and read this format.
    pub format: Option<Format>,
    /// Skip encoding detection.
    pub encoding: Option<&'static Encoding>,
    /// Which structural clean-ups the text reader applies while segmenting.
    pub text: text::Options,
    /// The UTC offset given to dates a source has without one
    /// (`--assume-offset`, default `+00:00`; see [`offset`]).
    pub assume_offset: offset::Offset,
}

/// One opened input, decoded, with its format decided.
pub struct Input {
    /// The name used in positions and `source.file` (`-` for stdin).
    pub name: String,
    /// The format to read it as.
    pub format: Format,
    /// UTF-8 text of the input.
    pub reader: Box<dyn BufRead + Send>,
    /// For a folder of `messages*.html` pages: the folder, whose pages
    /// [`tdesktop_html::Folder`] opens itself; for a Parquet file, its path
    /// (`reader` is then unused).
    pub folder: Option<PathBuf>,
    /// For a zip archive: the archive, whose members [`zip::Reader`] opens
    /// itself (`reader` is then unused).
    pub zip: Option<zip::Archive>,
}

/// Expands command-line paths into input files: `-` is standard input, a
/// folder is an export folder or a folder of saved channel pages.
///
/// Saved channel pages (`t.me/s/<channel>`, read by [`web`]) are put in
/// order: those of a folder, and each run of consecutive page files on the
/// command line, are sorted by channel and first post id
/// ([`web::page_key`]), so that overlapping `?before=N` pages read as one
/// ordered stream (the `dedup` pass drops the posts they share).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(path.clone());
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|e| Error::io(Position::name_of(path), e))?;
        if meta.is_dir() {
            let mut found = export_files(path)?;
            if found.is_empty() {
                found = web_pages(path)?;
            }
            if found.is_empty() {
                return Err(Error::new(
                    Position::file(Position::name_of(path)),
                    ErrorKind::Usage(
                        "folder holds no Telegram export (looked for result.json, messages*.html and saved t.me/s pages)"
                            .into(),
                    ),
                ));
            }
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    order_pages(&mut out);
    Ok(out)
}

/// True when the file at `path` starts like a saved channel page.
fn is_web_page(path: &Path) -> bool {
    // Only a regular file may be opened twice: a FIFO or a device gives its
    // bytes once, and they belong to the reader.
    if path.as_os_str() == "-" || !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = File::open(path) else { return false };
    let mut head = Vec::new();
    if file.take(64 << 10).read_to_end(&mut head).is_err() {
        return false;
    }
    web::looks_like_page(&head)
}

/// Sorts each run of consecutive web pages by [`web::page_key`] (pages
/// without a post last, in their given order).
fn order_pages(files: &mut [PathBuf]) {
    let pages: Vec<bool> = files.iter().map(|f| is_web_page(f)).collect();
    let mut start = 0;
    while start < files.len() {
        if !pages.get(start).copied().unwrap_or(false) {
            start += 1;
            continue;
        }
        let mut end = start;
        while pages.get(end).copied().unwrap_or(false) {
            end += 1;
        }
        if let Some(run) = files.get_mut(start..end) {
            let mut keyed: Vec<(Option<(String, i64)>, PathBuf)> =
                run.iter().map(|p| (web::page_key(p), p.clone())).collect();
            keyed.sort_by(|a, b| match (&a.0, &b.0) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            for (slot, (_, p)) in run.iter_mut().zip(keyed) {
                *slot = p;
            }
        }
        start = end;
    }
}

/// The saved channel pages of a folder (`*.html`, `*.htm`), by name; put
/// in post order by [`order_pages`].
fn web_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(Position::name_of(dir), e))?;
    let mut pages = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(Position::name_of(dir), e))?;
        let path = entry.path();
        let html = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        if html && path.is_file() && is_web_page(&path) {
            pages.push(path);
        }
    }
    pages.sort();
    Ok(pages)
}

/// The export files of a folder: `result.json` if present (it holds
/// everything), else the chat folders of a full-account HTML export, else
/// the folder itself when it holds `messages*.html` pages (read as one
/// input by [`tdesktop_html::Folder`], which follows their links).
fn export_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let json = dir.join("result.json");
    if json.is_file() {
        return Ok(vec![json]);
    }
    if let Some(chats) = tdesktop_html::account_chats(dir) {
        return Ok(chats); // A full-account HTML export: its chat folders.
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(Position::name_of(dir), e))?;
    let mut pages = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(Position::name_of(dir), e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(page) = page_number(&name) {
            pages.push((page, entry.path()));
        }
    }
    Ok(if pages.is_empty() { Vec::new() } else { vec![dir.to_path_buf()] })
}

/// Opens a file found in a folder (a page of a Telegram Desktop export)
/// as [`open`] does, but refuses one that is not a regular file or a
/// folder: opening a FIFO waits for a writer that may never come, and a
/// device never ends. (A file named on the command line may be one:
/// `tgnorm <(…)`.)
pub(crate) fn open_found(path: &Path, options: &ReadOptions, notes: &Notes) -> Result<Input> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let what = "not a regular file (a FIFO, socket or device)";
        let err = io::Error::new(io::ErrorKind::InvalidInput, what);
        return Err(Error::io(Position::name_of(path), err));
    }
    open(path, options, notes)
}

/// Opens and decodes one input and decides its format.
pub fn open(path: &Path, options: &ReadOptions, notes: &Notes) -> Result<Input> {
    let name = Position::name_of(path);
    if path.as_os_str() != "-" && path.is_dir() {
        // A folder of pages (see `expand`): its reader opens them.
        let reader = Box::new(io::BufReader::new(FolderStub));
        let format = options.format.unwrap_or(Format::TdesktopHtml);
        notes.file(&name, |r| r.format = Some(format.as_str()));
        return Ok(Input { name, format, reader, folder: Some(path.to_path_buf()), zip: None });
    }
    if path.as_os_str() != "-" && starts_like_zip(path) {
        // Detected by content; `--from` applies to its members.
        let archive = zip::Archive::open(path, zip::Limits::default())?;
        let reader = Box::new(io::BufReader::new(FolderStub));
        let format = options.format.unwrap_or(Format::TdesktopJson);
        notes.file(&name, |r| r.format = Some("zip"));
        return Ok(Input { name, format, reader, folder: None, zip: Some(archive) });
    }
    // A Parquet file is read from its path (its footer is at the end).
    #[cfg(feature = "parquet")]
    if path.as_os_str() != "-"
        && matches!(options.format, None | Some(Format::Parquet))
        && parquet::is_parquet(path)
    {
        let reader = Box::new(io::BufReader::new(FolderStub));
        notes.file(&name, |r| r.format = Some(Format::Parquet.as_str()));
        return Ok(Input {
            name,
            format: Format::Parquet,
            reader,
            folder: Some(path.to_path_buf()),
            zip: None,
        });
    }
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(&name, e))?)
    };
    open_stream(raw, name, options, notes)
}

/// True when the regular file at `path` starts like a zip archive.
fn starts_like_zip(path: &Path) -> bool {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false; // a FIFO or a device gives its bytes once
    }
    let mut head = Vec::new();
    File::open(path).and_then(|f| f.take(4).read_to_end(&mut head)).is_ok() && zip::is_zip(&head)
}

/// [`open`] for bytes from anywhere (a socket, a buffer, a decompressor):
/// decodes `raw` and decides its format. `name` names it in positions.
///
/// A zip archive is refused here (it is read from its central directory,
/// at its end, so only from a file: [`open`]); that includes a zip inside
/// a zip.
pub fn open_stream(
    raw: Box<dyn Read + Send>,
    name: String,
    options: &ReadOptions,
    notes: &Notes,
) -> Result<Input> {
    let raw = refuse_zip(raw, &name)?;
    let (raw, encoding) = utf8_by_definition(raw, options).map_err(|e| Error::io(&name, e))?;
    let decoded =
        decode::decode_noted(raw, encoding, &name, notes).map_err(|e| Error::io(&name, e))?;
    let by_format = options.encoding.is_none() && encoding.is_some();
    note_encoding(notes, &name, &decoded, by_format);
    let binary = decoded.binary;
    let mut reader = decoded.reader;
    let format = match options.format {
        Some(f) => f,
        None => {
            let head = reader.fill_buf().map_err(|e| Error::io(&name, e))?;
            if head.is_empty() {
                return Err(Error::new(
                    Position::file(&name),
                    ErrorKind::Format("empty input: nothing to read".into()),
                ));
            }
            let format = Format::sniff(head);
            if format == Format::Text && head.starts_with(TGNORM_CSV_HEADER) {
                return Err(Error::new(
                    Position::line(&name, 1, Some(1)),
                    ErrorKind::Format(
                        "a CSV file written by `tgnorm --to csv`: CSV is an output format \
                         only; convert the archive it came from (or its JSONL) instead"
                            .into(),
                    ),
                ));
            }
            if format == Format::Text && looks_like_html(head) {
                return Err(Error::new(
                    Position::file(&name),
                    ErrorKind::Format(
                        "an HTML page that is neither a Telegram Desktop export nor a t.me/s \
                         channel page; use --from to read it as something else"
                            .into(),
                    ),
                ));
            }
            if let (Format::Text, Some(binary)) = (format, &binary) {
                return Err(Error::new(
                    Position::line(&name, binary.line, Some(binary.column)),
                    ErrorKind::Format(format!(
                        "{}; use --from text to read it anyway",
                        binary.reason
                    )),
                ));
            }
            format
        }
    };
    notes.file(&name, |r| r.format = Some(format.as_str()));
    Ok(Input { name, format, reader, folder: None, zip: None })
}

/// Gives `raw` back whole unless it starts like a zip archive.
fn refuse_zip(mut raw: Box<dyn Read + Send>, name: &str) -> Result<Box<dyn Read + Send>> {
    let mut head = Vec::new();
    (&mut raw).take(4).read_to_end(&mut head).map_err(|e| Error::io(name, e))?;
    if zip::is_zip(&head) {
        return Err(Error::new(
            Position::file(name),
            ErrorKind::Format(
                "a zip archive in a stream (standard input, or a zip inside a zip): tgnorm \
                 reads a zip only from a file given by its path, one level deep; unzip it first"
                    .into(),
            ),
        ));
    }
    Ok(Box::new(io::Cursor::new(head).chain(raw)))
}

/// Tells the summary how `name` was decoded (in words only when it was not
/// plain UTF-8), keeping what the line decoder may have said already.
/// `by_format`: UTF-8 because the format says so ([`utf8_by_definition`]).
fn note_encoding(notes: &Notes, name: &str, decoded: &decode::Decoded, by_format: bool) {
    let (detection, how) = match decoded.detection {
        Detection::Forced if by_format => ("format", "--encoding"),
        Detection::Bom => ("bom", "byte-order mark"),
        Detection::Utf8 => ("utf8", "valid UTF-8"),
        Detection::Guessed => ("guessed", "guessed"),
        Detection::Forced => ("forced", "--encoding"),
    };
    let encoding = decoded.encoding.name();
    let unusual = decoded.encoding != encoding_rs::UTF_8 || decoded.detection == Detection::Bom;
    notes.file(name, |r| {
        let report = r.encoding.get_or_insert_with(Default::default);
        report.name = encoding.to_owned();
        report.detection = detection;
        if unusual {
            r.say("encoding", format!("{encoding} ({how})"));
        }
    });
}

/// The encoding to decode an input with: `--encoding` if given; UTF-8 for
/// the formats that are UTF-8 by definition (`result.json` and JSONL, RFC
/// 8259 §8.1), decided from the input's first bytes (a UTF-8 byte-order
/// mark ignored) or `--from`, so that their bytes are never transcoded on a
/// guess and an invalid byte is a positioned rejection of its record;
/// `None` (guess) otherwise. Gives the input back whole.
fn utf8_by_definition(
    mut raw: Box<dyn Read + Send>,
    options: &ReadOptions,
) -> io::Result<(Box<dyn Read + Send>, Option<&'static Encoding>)> {
    if options.encoding.is_some() {
        return Ok((raw, options.encoding));
    }
    let mut head = Vec::new();
    (&mut raw).take(64 << 10).read_to_end(&mut head)?;
    let format = options
        .format
        .unwrap_or_else(|| Format::sniff(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head)));
    let encoding =
        matches!(format, Format::TdesktopJson | Format::Jsonl).then_some(encoding_rs::UTF_8);
    Ok((Box::new(io::Cursor::new(head).chain(raw)), encoding))
}

/// Worker threads for the work that runs on every core (the pipeline's
/// workers, the pages of a Telegram Desktop HTML folder): the number in
/// the environment variable `TGNORM_THREADS` when it is one from 1 to 64,
/// else one per core, at most 8.
pub(crate) fn threads() -> usize {
    let set = std::env::var("TGNORM_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
    match set {
        Some(n @ 1..=64) => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8),
    }
}

/// The `reader` of a folder input: only `tdesktop_html::Folder` reads one.
struct FolderStub;

impl Read for FolderStub {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("a folder of Telegram Desktop HTML pages: read it as tdesktop-html"))
    }
}

/// [`read`], with the pages of a folder of Telegram Desktop HTML pages on
/// disk handed out as [`Pending::Page`] tasks for the caller's workers
/// ([`tdesktop_html::Folder::tasks`]).
pub(crate) fn read_with_pages<'a>(
    input: Input,
    options: &ReadOptions,
    notes: &Notes,
) -> Result<PendingPosts<'a>> {
    match (&input.folder, input.format, &input.zip) {
        (Some(dir), Format::TdesktopHtml, None) => {
            let folder = tdesktop_html::Folder::new(dir.clone(), options.clone(), notes.clone());
            Ok(Box::new(folder.tasks()))
        }
        _ => read(input, options, notes),
    }
}

/// Reads an opened input: the one dispatch over the readers. Parsing is
/// left to the caller where a reader can defer it (see [`Pending`]:
/// Telegram Desktop messages, once their chat is known);
/// [`Pending::resolve`] gives the post.
pub(crate) fn read<'a>(
    input: Input,
    options: &ReadOptions,
    notes: &Notes,
) -> Result<PendingPosts<'a>> {
    let Input { name, format, reader, folder, zip } = input;
    if let Some(archive) = zip {
        return Ok(Box::new(zip::Reader::new(archive, options.clone(), notes.clone())));
    }
    let posts: Posts<'a> =
        match (format, folder) {
            #[cfg(feature = "parquet")]
            (Format::Parquet, Some(path)) => Box::new(parquet::Reader::open(&path, name)?),
            #[cfg(feature = "parquet")]
            (Format::Parquet, None) => return Err(Error::new(
                Position::file(&name),
                ErrorKind::Format(
                    "not a Parquet file (no `PAR1` at its start); Parquet is read from a file, \
                     not from standard input"
                        .into(),
                ),
            )),
            (Format::TdesktopHtml, Some(dir)) => {
                Box::new(tdesktop_html::Folder::new(dir, options.clone(), notes.clone()))
            }
            (Format::Text, _) => {
                Box::new(text::Reader::new(reader, name, options.text.clone(), notes.clone()))
            }
            (Format::Jsonl, _) => Box::new(jsonl::Reader::new(reader, name)),
            (Format::WebHtml, _) => Box::new(web::Reader::new(reader, name, notes.clone())),
            (Format::TdesktopHtml, None) => {
                Box::new(tdesktop_html::Reader::new(reader, name, notes.clone()))
            }
            // Telegram Desktop result.json (issue 3).
            (Format::TdesktopJson, _) => {
                let messages = tdesktop_json::Reader::new(reader, name, notes.clone());
                return Ok(Box::new(messages.pending()));
            }
        };
    Ok(Box::new(posts.map(|item| item.map(|p| Pending::Ready(Box::new(p))))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats() {
        assert_eq!(Format::sniff(b"{\n \"name\": \"x\",\n \"messages\": []"), Format::TdesktopJson);
        assert_eq!(Format::sniff(b"{\"chat\":null,\"id\":1}\n"), Format::Jsonl);
        assert_eq!(Format::sniff(b"{}\n"), Format::Jsonl);
        assert_eq!(Format::sniff(b"{\"name\":\"x\",\"messages\":[]}"), Format::TdesktopJson);
        assert_eq!(Format::sniff(b"{\"name\":\"x\",\"messages\":["), Format::TdesktopJson);
        assert_eq!(Format::sniff(b"<div class=\"tgme_widget_message\">"), Format::WebHtml);
        assert_eq!(
            Format::sniff(b"<div class=\"page_wrap\"><div class=\"history\">"),
            Format::TdesktopHtml
        );
        assert_eq!(Format::sniff(b"Forwarded from X\nhello"), Format::Text);
    }

    #[test]
    fn pages_sort_numerically() {
        assert_eq!(page_number("messages.html"), Some(1));
        assert_eq!(page_number("messages12.html"), Some(12));
        assert_eq!(page_number("messages_x.html"), None);
        assert_eq!(page_number("result.json"), None);
    }
}
