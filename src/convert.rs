//! The conversion pipeline: read → de-duplicate → clean → write, with the
//! run's accounting.
//!
//! Three stages, joined by bounded channels of numbered batches, so memory
//! stays flat and every core works:
//!
//! 1. **read**, on one thread: the reader cuts the input into items. Where
//!    records can be parsed on their own (Telegram Desktop JSON), the items
//!    are still unparsed (`read::Pending`), because parsing is most of a
//!    reader's cost and would otherwise bound the whole run to one core.
//! 2. **work**, on a pool of threads (one per core): parse, fingerprint for
//!    de-duplication, clean, and for JSONL also encode.
//! 3. **write**, on the calling thread: batches are put back in input order,
//!    duplicates dropped, posts written and counted.
//!
//! Every item a reader yields is counted: a post is written, dropped as a
//! duplicate, or rejected with its position, so the summary always shows
//! `read = written + rejected + duplicates + selected_out` (ARCHITECTURE.md,
//! invariant 3).
//! An error that stops a file (an unreadable byte stream, not one bad
//! record) is counted too, as one rejection with its position.
//!
//! # Bytes in flight
//!
//! Memory is bounded in bytes, not in items: a batch closes at `BATCH`
//! items or `BATCH_BYTES` bytes of input, and the reader cuts nothing more
//! while the batches sent and not yet written hold `IN_FLIGHT_BYTES` or
//! more (`Budget`). So at most `IN_FLIGHT_BYTES + BATCH_BYTES` of input,
//! plus one record (one larger than that goes alone), are between the
//! reader and the writer at any time, whatever the records' sizes; each
//! byte of input becomes about three while a worker parses and encodes it.
//! A record's size is its raw bytes when it is still unparsed (Telegram
//! Desktop messages) and an estimate of its text and extra values otherwise
//! (`post_bytes`).

use crate::account::{Counters, FileReport, Version};
use crate::clean::{self, Config as CleanConfig, Pass};
use crate::error::{Error, ErrorKind, Position, Result};
use crate::merge::{self, Ordinal, Verdict};
use crate::model::Post;
use crate::progress::{thousands, Progress};
use crate::read::{self, Notes, Pending, ReadOptions};
use crate::select::Selection;
use crate::write::{self, Writer};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

/// Everything a conversion needs to know.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Input paths (`-` for standard input, folders for exports).
    pub inputs: Vec<PathBuf>,
    /// How to read them.
    pub read: ReadOptions,
    /// Which passes run.
    pub clean: CleanConfig,
    /// Output format.
    pub to: Option<write::Format>,
    /// Stop at the first bad record instead of rejecting it.
    pub strict: bool,
    /// Show a progress line on standard error (when it is a terminal).
    pub progress: bool,
    /// For folder formats (`tdesktop-html`, see `write::Format::is_folder`):
    /// the folder the pages go into. The CLI passes a staging folder and
    /// renames it at the end, as it does with files. `None` writes such a
    /// format to the output stream in its one-file form.
    pub output_dir: Option<PathBuf>,
    /// How the tdesktop-json writer writes (`--tdesktop-escapes`).
    pub tdesktop_json: write::tdesktop_json::Options,
    /// Which posts are kept (`--since`, `--chat`, …; issue 17 item 4).
    pub select: Selection,
    /// `--partition-by`: write a partitioned dataset into `output_dir`
    /// (`write::partition`) instead of one output.
    #[cfg(feature = "parquet")]
    pub partition_by: Option<write::partition::By>,
    /// How posts read from several inputs are merged (issue 17).
    pub merge: MergeOptions,
}

/// Merging by identity (issue 17, [`crate::merge`]): on whenever several
/// inputs are given or `into` is set, and the `dedup` pass is on.
#[derive(Clone, Debug, Default)]
pub struct MergeOptions {
    /// `--chat-id INPUT=ID`: the chat id of the posts of an input (a file,
    /// or the files of a folder) that have none.
    pub chat_ids: Vec<(PathBuf, String)>,
    /// `--match-chats-by-name`: a chat without an id is the chat with an id
    /// of the same name, when exactly one has it.
    pub by_name: bool,
    /// `--into ARCHIVE`: the tgnorm JSONL archive the inputs are added to.
    /// The output then is the new archive: its lines as they were (less
    /// the posts replaced by a newer edit), then the posts added.
    pub into: Option<PathBuf>,
}

impl MergeOptions {
    /// The `--chat-id` rule for the input file `path`.
    fn chat_id_for(&self, path: &Path) -> Option<&str> {
        self.chat_ids
            .iter()
            .find(|(input, _)| path == input || path.starts_with(input))
            .map(|(_, id)| id.as_str())
    }
}

/// A record that could not be read, for the rejects file: where (the
/// error's own [`Position`]) and why.
#[derive(Clone, Debug, Serialize)]
pub struct Rejection {
    /// Where the record is.
    #[serde(flatten)]
    pub position: Position,
    /// What was wrong.
    pub error: String,
    /// For a merge conflict: where the version kept instead was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Position>,
}

impl Rejection {
    fn from_error(err: &Error) -> Rejection {
        Rejection { position: err.position().clone(), error: err.message(), kept: None }
    }
}

impl std::fmt::Display for Rejection {
    /// `file:line:col: reason`, as errors print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.position, self.error)
    }
}

/// The run's accounting, printed as one line and written as JSON by
/// `--summary` (and by the library's `Reader::summary`).
///
/// # The JSON shape (`"summary_version": 1`, `schemas/summary.schema.json`)
///
/// The totals first, every counter always present: `read`, `written`,
/// `rejected`, `duplicates`, `selected_out` (the pipeline's, `read =
/// written + rejected + duplicates + selected_out`), then the sums of the readers' and writers' typed
/// [`Counters`] (`boilerplate_lines`, `repairs`, `ids_assigned`, …); then
/// `cleaned` (posts changed by each pass), `files` (one [`FileReport`] per
/// input file, in the order they were opened: format, encoding, chats,
/// counters, repairs by kind with counts and first positions, skipped
/// sections, notes in words) and `outputs` (the same for what the writer
/// derived). Paths are as given on the command line.
///
/// A count the pipeline keeps is one field here, after `duplicates`; a
/// count a reader or writer keeps is one line in `account`'s `counters!`
/// (see [`crate::account`]). Either way the schema accepts it; a change
/// that removes or renames a key raises `summary_version`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// The version of this JSON shape: 1.
    pub summary_version: Version<1>,
    /// Items the readers yielded (posts and bad records).
    pub read: u64,
    /// Posts written.
    pub written: u64,
    /// Bad records reported.
    pub rejected: u64,
    /// Posts dropped because they were already written, or because another
    /// version of the same post was kept (merges: `replaced` and
    /// `conflicts` are among them).
    pub duplicates: u64,
    /// Posts the selection (`--since`, `--chat`, …) left out.
    pub selected_out: u64,
    /// Posts written that were read more than once (`source.merged_from`).
    pub merged: u64,
    /// Versions dropped because a newer edit of the post was kept.
    pub replaced: u64,
    /// Versions dropped whose text differed from the kept one's with no
    /// edit time to decide (reported as rejects with both places).
    pub conflicts: u64,
    /// What the readers and writers counted, summed over the files.
    #[serde(flatten)]
    pub counters: Counters,
    /// Posts changed by each pass (`cleaned` entries).
    pub cleaned: BTreeMap<String, u64>,
    /// What the readers found in each input file.
    pub files: Vec<FileReport>,
    /// What the writer derived, per output.
    pub outputs: Vec<FileReport>,
}

impl Summary {
    /// Copies what the readers and writers told into the summary, at the
    /// end of a run (the pipeline's and the library `Reader`'s).
    pub(crate) fn take_notes(&mut self, notes: &Notes) {
        self.counters = notes.counters();
        self.files = notes.inputs();
        self.outputs = notes.outputs();
    }

    /// The notes in words, `(TOPIC FILE, text)` sorted by that key: what
    /// standard error prints under the summary line.
    pub fn note_lines(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = self
            .files
            .iter()
            .chain(&self.outputs)
            .flat_map(|r| r.notes.iter().map(|(t, text)| (format!("{t} {}", r.file), text.clone())))
            .collect();
        lines.sort();
        lines
    }

    /// The one-line form: `read 15 · written 15 · rejected 0 · …`.
    pub fn line(&self) -> String {
        let mut parts = vec![
            format!("read {}", thousands(self.read)),
            format!("written {}", thousands(self.written)),
            format!("rejected {}", thousands(self.rejected)),
        ];
        let c = &self.counters;
        let optional = [
            (self.duplicates, "duplicates ", ""),
            (self.selected_out, "selected out ", ""),
            (self.merged, "merged ", ""),
            (self.replaced, "replaced ", ""),
            (self.conflicts, "conflicts ", ""),
            (c.boilerplate_lines, "boilerplate ", " lines"),
            (c.chrome_lines, "chrome ", " lines"),
            (c.repeated_bodies, "repeated bodies ", ""),
            (c.boundary_uncertain, "boundary uncertain ", ""),
            (c.truncated_repeats, "truncated repeats ", ""),
            (c.assumed_offset, "assumed offset ", ""),
        ];
        for (n, before, after) in optional {
            if n > 0 {
                parts.push(format!("{before}{}{after}", thousands(n)));
            }
        }
        parts.join(" · ")
    }
}

/// The report (in the summary's `outputs`) that holds the merge's
/// decisions about chats.
pub const MERGE_REPORT: &str = "(merge)";

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The accounting.
    pub summary: Summary,
    /// The first error when the run stopped early (strict mode, or a fatal
    /// error such as an unreadable file).
    pub stopped: Option<Error>,
    /// With `--into`: false when the inputs held nothing the archive lacks,
    /// so nothing was written and the archive must be left as it is.
    pub changed: bool,
}

/// Reader items per batch, and batches in flight between two stages.
const BATCH: usize = 256;
const IN_FLIGHT: usize = 4;
/// A batch closes when its items hold this many bytes (see the module docs).
const BATCH_BYTES: usize = 1 << 20;
/// The reader waits while batches holding this many bytes are in flight.
const IN_FLIGHT_BYTES: usize = 8 << 20;

/// A batch of reader items, numbered in input order.
struct Job {
    seq: u64,
    /// The number of the first item in its file.
    first: u64,
    items: Vec<Result<Pending>>,
    /// A page of a Telegram Desktop HTML folder, alone in its batch
    /// (`items` is then empty): the worker reads it and works on its posts
    /// (`read::tdesktop_html::PageTask`).
    page: Option<Box<read::tdesktop_html::PageTask>>,
    /// The items' size ([`item_bytes`]), given back to the [`Budget`] once
    /// the batch is written.
    bytes: usize,
}

/// The item numbers (for [`Ordinal`]) a page task takes: more than a page
/// handed out as a task can hold (at most 4 MiB, one item is at least one
/// byte), so that the numbers stay in input order whatever the page holds.
const PAGE_ITEMS: u64 = 1 << 23;

/// The bytes of the batches sent by the reader and not yet written: the
/// reader waits on it, the writer gives back.
#[derive(Default)]
struct Budget {
    /// Bytes in flight, and whether the writer has stopped.
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl Budget {
    /// Counts a batch sent.
    fn take(&self, bytes: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.0 += bytes;
        }
    }

    /// Gives back a batch written.
    fn give(&self, bytes: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = state.0.saturating_sub(bytes);
        }
        self.changed.notify_all();
    }

    /// The writer stopped: nothing will be given back.
    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
        }
        self.changed.notify_all();
    }

    /// Waits until fewer than `limit` bytes are in flight; `false` when the
    /// writer stopped (the reader should stop too).
    fn wait_below(&self, limit: usize) -> bool {
        let Ok(mut state) = self.state.lock() else { return false };
        while state.0 >= limit && !state.1 {
            state = match self.changed.wait(state) {
                Ok(s) => s,
                Err(_) => return false,
            };
        }
        !state.1
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.state.lock().map_or(0, |s| s.0)
    }
}

/// Closes the [`Budget`] when the write stage ends, however it ends.
struct CloseOnDrop<'a>(&'a Budget);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The size of a reader item for the budget: its raw bytes when unparsed,
/// an estimate of what it holds otherwise.
fn item_bytes(item: &Result<Pending>) -> usize {
    match item {
        Ok(Pending::Unparsed(raw)) => raw.byte_len(),
        Ok(Pending::Page(task)) => usize::try_from(task.bytes()).unwrap_or(usize::MAX),
        Ok(Pending::Ready(post)) => post_bytes(post),
        Err(_) => 256,
    }
}

/// An estimate of the bytes a post holds: its text, media and extra values,
/// plus a fixed part for the rest (never less than the strings it holds).
fn post_bytes(post: &Post) -> usize {
    let text: usize = post
        .text
        .spans
        .iter()
        .map(|s| 32 + s.text.len() + s.style.as_ref().map_or(0, |st| extra_bytes(&st.attrs)))
        .sum();
    let media: usize = post.media.iter().map(|m| 128 + extra_bytes(&m.extra)).sum();
    let service = post.service.as_ref().map_or(0, |s| extra_bytes(&s.details));
    512 + text + media + service + extra_bytes(&post.extra)
}

fn extra_bytes(extra: &crate::model::Extra) -> usize {
    extra.iter().map(|(k, v)| k.len() + value_bytes(v)).sum()
}

fn value_bytes(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    16 + match v {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(value_bytes).sum(),
        Value::Object(map) => extra_bytes(map),
        _ => 0,
    }
}

/// The read stage: cuts the reader's items into batches closed at
/// [`BATCH`] items or [`BATCH_BYTES`] bytes, and sends them while fewer
/// than [`IN_FLIGHT_BYTES`] are in flight.
/// A page task (`read::Pending::Page`) goes at once, alone in its batch
/// (the folder then waits for the page's link), after the wait for the
/// budget: so one page more than the budget may be in flight.
fn read_stage(posts: read::PendingPosts<'_>, job_tx: mpsc::SyncSender<Job>, budget: &Budget) {
    let mut batch = Vec::with_capacity(BATCH);
    let (mut bytes, mut seq, mut first) = (0, 0, 0);
    for item in posts {
        let size = item_bytes(&item);
        let page = match item {
            Ok(Pending::Page(page)) => Some(page),
            item => {
                bytes += size;
                batch.push(item);
                None
            }
        };
        let full = batch.len() == BATCH || bytes >= BATCH_BYTES;
        if full || (page.is_some() && !batch.is_empty()) {
            let items = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            let sent = items.len() as u64;
            if !send(&job_tx, budget, Job { seq, first, items, page: None, bytes }) {
                return;
            }
            (seq, first, bytes) = (seq + 1, first + sent, 0);
        }
        if let Some(page) = page {
            // Waits before the page, not after: the page's worker waits for
            // the folder's word once the page is parsed, so the page cannot
            // be written (and its bytes given back) while the reader waits.
            // Every batch sent before it can, and one page (at most 4 MiB)
            // is less than the budget, so this wait ends.
            let job = Job { seq, first, items: Vec::new(), page: Some(page), bytes: size };
            if !budget.wait_below(IN_FLIGHT_BYTES) || !send_now(&job_tx, budget, job) {
                return;
            }
            (seq, first) = (seq + 1, first + PAGE_ITEMS);
        }
    }
    budget.take(bytes);
    let _ = job_tx.send(Job { seq, first, items: batch, page: None, bytes });
}

/// Sends a batch, then waits while [`IN_FLIGHT_BYTES`] or more are in
/// flight; `false` when the stages after have stopped.
fn send(job_tx: &mpsc::SyncSender<Job>, budget: &Budget, job: Job) -> bool {
    send_now(job_tx, budget, job) && budget.wait_below(IN_FLIGHT_BYTES)
}

/// Sends a batch, its bytes counted in flight; `false` when the stages
/// after have stopped.
fn send_now(job_tx: &mpsc::SyncSender<Job>, budget: &Budget, job: Job) -> bool {
    budget.take(job.bytes);
    job_tx.send(job).is_ok()
}

/// What a worker made of one reader item.
enum Done {
    /// A cleaned post: the post itself for writers that need it, or (JSONL,
    /// CSV, Parquet) where it is in the batch's encoded posts, `line`.
    Post {
        post: Option<Box<Post>>,
        line: Range<usize>,
        cleaned: Vec<String>,
        key: Option<u64>,
        merge: Merge,
    },
    /// A post whose fingerprint ([`clean::fingerprint`]) the writer had
    /// already written ([`Written`]): neither cleaned nor encoded, since the
    /// writer will almost surely drop it as a duplicate.
    Seen(Box<Post>, u64),
    /// A record that could not be read.
    Failed(Error),
    /// A post the selection left out.
    SelectedOut,
}

/// What merging made of a post ([`Stage`]).
enum Merge {
    /// Not merging, or a post without an id: written unless `key` was seen.
    No,
    /// Merging, and this is the version kept; `true` when it had others.
    Kept(bool),
    /// The first pass: the post's version (posts with an id) and its key
    /// without an id ([`merge::idless_key`]).
    Survey(Option<Box<merge::Version>>, u64),
    /// Another version is kept; where this one was read.
    Dropped(Box<(Verdict, Position)>),
}

/// What the workers do besides cleaning.
#[derive(Clone, Copy)]
enum Stage<'t> {
    /// One input: exact repeats dropped in a window ([`clean::Seen`]).
    Single,
    /// The first pass of a merge: only the versions are wanted.
    Survey,
    /// The second pass: write what the table keeps.
    Emit(&'t merge::Table),
}

/// What a worker needs to know about the file it works on.
#[derive(Clone, Copy)]
struct FileJob<'a> {
    /// The file's number for [`Ordinal`] (inputs count from 1).
    number: usize,
    /// The `--chat-id` rule for this file.
    chat_id: Option<&'a str>,
    stage: Stage<'a>,
    /// What the writer has written, when the workers may skip its
    /// repeats (one input, de-duplicating, not merging).
    written: Option<&'a Written>,
}

/// A batch done by a worker.
struct Finished {
    seq: u64,
    /// The batch's input size, to give back to the [`Budget`].
    bytes: usize,
    items: Vec<Done>,
    /// The batch's posts as the output format has them, when it encodes
    /// ahead ([`write::Format::encodes_ahead`]).
    encoded: Option<write::Encoded>,
}

/// The work stage for one batch: parse, fingerprint, clean, merge,
/// encode. `lines_hint` is the size of the worker's last batch of lines, so
/// that the buffer is allocated once instead of grown (and copied) a dozen
/// times.
fn work(
    job: Job,
    (read, notes): (&ReadOptions, &Notes),
    clean: &CleanConfig,
    select: &Selection,
    (dedup, encode): (bool, Option<write::Format>),
    file: FileJob,
    lines_hint: &mut usize,
) -> Finished {
    let mut encoder = encode.and_then(|format| write::Encoder::new(format, *lines_hint));
    let first = job.first;
    // A page task is read here, so that its posts are made, cleaned,
    // encoded and freed on this one thread.
    let posts: Box<dyn Iterator<Item = Result<Post>>> = match job.page {
        Some(page) => Box::new(page.run().into_iter()),
        None => Box::new(job.items.into_iter().map(|item| item.and_then(Pending::resolve))),
    };
    let items = posts
        .enumerate()
        .map(|(i, item)| {
            let mut post = match item {
                Ok(post) => read::settle(post, read, notes),
                Err(e) => return Done::Failed(e),
            };
            if !select.keeps(&post) {
                return Done::SelectedOut;
            }
            if let Some(id) = file.chat_id {
                if !merge::assign_chat_id(&mut post, id) {
                    // Said once per chat, on its folder's report.
                    let folder = Path::new(&post.source.file).parent().unwrap_or(Path::new(""));
                    let why = format!("`{id}` not given: a chat of a full-account export (its pages name no chat id, nor which chat the rule means)");
                    notes.say(&folder.to_string_lossy(), "--chat-id", why);
                }
            }
            let mut key = dedup.then(|| clean::fingerprint(&post));
            if let (Some(k), Some(written)) = (key, file.written) {
                if written.has(k) {
                    return Done::Seen(Box::new(post), k);
                }
            }
            clean::clean_post(&mut post, clean);
            // A page's items stay within the numbers it took (`PAGE_ITEMS`).
            let at = Ordinal::new(file.number, first + (i as u64).min(PAGE_ITEMS - 1));
            let merge = match merge_post(&mut post, at, file.stage) {
                Merge::No => {
                    // Against an archive, posts without an id are told
                    // apart by their cleaned content (`merge::idless_key`).
                    if let Stage::Emit(table) = file.stage {
                        if table.has_archive() {
                            key = dedup.then(|| merge::idless_key(&post));
                        }
                    }
                    Merge::No
                }
                Merge::Kept(others) => {
                    key = None;
                    Merge::Kept(others)
                }
                dropped_or_survey => {
                    let (line, cleaned) = (0..0, Vec::new());
                    return Done::Post {
                        post: None,
                        line,
                        cleaned,
                        key: None,
                        merge: dropped_or_survey,
                    };
                }
            };
            let Some(encoder) = encoder.as_mut() else {
                let cleaned = post.cleaned.clone();
                return Done::Post { post: Some(Box::new(post)), line: 0..0, cleaned, key, merge };
            };
            let line = match encoder.encode(&post) {
                Ok(line) => line,
                Err(e) => return Done::Failed(e),
            };
            let cleaned = std::mem::take(&mut post.cleaned);
            Done::Post { post: None, line, cleaned, key, merge }
        })
        .collect();
    let encoded = encoder.map(write::Encoder::finish);
    if let Some(encoded) = &encoded {
        *lines_hint = (encoded.bytes() + encoded.bytes() / 8).min(BATCH_BYTES * 2);
    }
    Finished { seq: job.seq, bytes: job.bytes, items, encoded }
}

/// The merge step for one cleaned post read at `at`: its version (first
/// pass), or the table's verdict on it (second pass), with the places of
/// the other versions put in the kept one.
fn merge_post(post: &mut Post, at: Ordinal, stage: Stage) -> Merge {
    match stage {
        Stage::Single => Merge::No,
        Stage::Survey => {
            Merge::Survey(merge::Version::of(post, at).map(Box::new), merge::idless_key(post))
        }
        Stage::Emit(table) => {
            let Some(version) = merge::Version::of(post, at) else { return Merge::No };
            match table.verdict(&version) {
                Verdict::Keep(others) => {
                    if let Some(id) = table.matched_chat_id(&version.chat) {
                        merge::assign_chat_id(post, id);
                    }
                    let merged = !others.is_empty();
                    // A post merged before (tgnorm's JSONL) keeps its list.
                    for origin in others {
                        if !post.source.merged_from.contains(&origin) {
                            post.source.merged_from.push(origin);
                        }
                    }
                    Merge::Kept(merged)
                }
                verdict => {
                    let source = &post.source;
                    let position = Position {
                        file: source.file.clone(),
                        line: source.line,
                        index: source.line.is_none().then_some(source.index).flatten(),
                        ..Position::default()
                    };
                    Merge::Dropped(Box::new((verdict, position)))
                }
            }
        }
    }
}

/// Worker threads: one per core, at least one (`TGNORM_THREADS` sets it).
fn workers() -> usize {
    read::threads()
}

/// Runs a conversion: reads every input, cleans, writes to `out`, and sends
/// each rejected record to `reject`.
///
/// With several inputs (or `--into`) posts are merged by identity
/// ([`crate::merge`]): the inputs are read twice, once to decide which
/// version of each post is kept, once to write.
///
/// Returns the summary; a fatal error (unreadable input, failed write) is an
/// `Err` only when nothing sensible can be reported, otherwise it is in
/// [`Outcome::stopped`] with the summary so far.
pub fn run<W: Write>(
    options: &Options,
    out: W,
    out_name: &str,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
) -> Result<(Outcome, W)> {
    // `--into FILE.parquet`: the archive's untouched row groups are copied
    // as they are, around this run's output (`crate::into::run_file`).
    #[cfg(feature = "parquet")]
    if let Some(path) = options.merge.into.as_deref().filter(|p| p.exists()) {
        if parquet_archive(options) == Some(crate::into::Archive::File) {
            return crate::into::run_file(path, out, &mut |side, kept| {
                run_keeping(options, side, out_name, reject, kept)
            });
        }
    }
    run_keeping(options, out, out_name, reject, &mut Vec::new())
}

/// [`run`], telling in `kept_groups` which row groups of an `--into`
/// Parquet file are to be copied as they are (none of their posts replaced).
fn run_keeping<W: Write>(
    options: &Options,
    out: W,
    out_name: &str,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
    kept_groups: &mut Vec<usize>,
) -> Result<(Outcome, W)> {
    let files = read::expand(&options.inputs)?;
    let notes = Notes::default();
    let to = options.to.unwrap_or(write::Format::Jsonl);
    let mut writer = match &options.output_dir {
        #[cfg(feature = "parquet")]
        Some(dir) if options.partition_by.is_some() => {
            let by =
                options.partition_by.unwrap_or(write::partition::By { chat: true, month: false });
            Writer::Partitioned(Box::new(write::partition::Writer::new(dir.clone(), by, to)), out)
        }
        Some(dir) if to.is_folder() => Writer::to_folder(to, dir.clone(), out, out_name.to_owned()),
        _ => Writer::new(to, out, out_name.to_owned()),
    };
    writer.set_notes(&notes);
    notes.output(out_name, |r| r.format = Some(to.as_str()));
    writer.set_tdesktop_json_options(options.tdesktop_json);
    let mut summary = Summary::default();
    let mut stopped: Option<Error> = None;
    let mut progress = Progress::new(options.progress, "posts read");
    let dedup = options.clean.has(Pass::Dedup);
    let encode = (to.encodes_ahead() && !writer.is_partitioned()).then_some(to);
    // `--into` always merges: without it the archive would be replaced by
    // the inputs alone.
    let merging = options.merge.into.is_some() || (dedup && options.inputs.len() > 1);
    let plan = if merging { Some(survey(options, &files, &notes)?) } else { None };
    // One window for all inputs: overlapping pages are separate files.
    let written = Written::new();
    let mut seen = match plan.as_ref().and_then(|p| p.archive.as_ref()) {
        Some(archive) => Dedup::All(archive.idless.clone()),
        None => Dedup::Window(clean::Seen::default(), &written),
    };
    if let (Some(plan), Some(path)) = (&plan, &options.merge.into) {
        if !plan.changed() {
            progress.clear();
            let summary = read_only_summary(options, &files, plan, &notes, reject)?;
            let out = writer.finish()?;
            return Ok((Outcome { summary, stopped: None, changed: false }, out));
        }
        copy_into(options, path, &plan.table, &mut writer, &notes, kept_groups)?;
    }
    let stage = plan.as_ref().map_or(Stage::Single, |p| Stage::Emit(&p.table));
    let skip_repeats = (dedup && matches!(stage, Stage::Single)).then_some(&written);
    for (n, path) in files.iter().enumerate() {
        let chat_id = options.merge.chat_id_for(path);
        let file = FileJob { number: n + 1, chat_id, stage, written: skip_repeats };
        let mut write = |batch: Finished| {
            progress.tick(summary.read);
            let to = (&mut writer, &mut seen, &mut summary);
            write_batch(batch, to, &options.clean, options.strict, reject)
        };
        if let Some(e) = pipeline(path, file, options, &notes, (dedup, encode), &mut write)? {
            stopped = Some(e);
            break;
        }
    }
    progress.clear();
    let out = writer.finish()?;
    summary.take_notes(&notes);
    Ok((Outcome { summary, stopped, changed: true }, out))
}

/// Reads one input file through the stages: the reader on its thread, the
/// workers, and `consume` on the calling thread, batch after batch in input
/// order. Returns the error that stopped the file (an unreadable file, or
/// what `consume` stopped on).
fn pipeline(
    path: &Path,
    file: FileJob,
    options: &Options,
    notes: &Notes,
    (dedup, encode): (bool, Option<write::Format>),
    consume: &mut dyn FnMut(Finished) -> Result<Option<Error>>,
) -> Result<Option<Error>> {
    let posts = read::open(path, &options.read, notes)
        .and_then(|input| read::read_with_pages(input, &options.read, notes));
    let posts = match posts {
        Ok(p) => p,
        Err(e) => return Ok(Some(e)),
    };
    let budget = &Budget::default();
    std::thread::scope(|scope| {
        // Made here so that every end is owned by a stage: when the writer
        // stops early, dropping its receiver stops the workers, and the
        // last worker's end of `job_rx` going stops the reader.
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(IN_FLIGHT);
        let (done_tx, done_rx) = mpsc::sync_channel::<Finished>(IN_FLIGHT);
        let job_rx = Arc::new(Mutex::new(job_rx));
        // Closed when this stage ends, so that a waiting reader stops.
        let _closer = CloseOnDrop(budget);
        scope.spawn(move || read_stage(posts, job_tx, budget));
        for _ in 0..workers() {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            let clean = &options.clean;
            scope.spawn(move || {
                let mut lines_hint = 0;
                loop {
                    // The lock is held only to take a job, not to do it.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let finished = work(
                        job,
                        (&options.read, notes),
                        clean,
                        &options.select,
                        (dedup, encode),
                        file,
                        &mut lines_hint,
                    );
                    if done_tx.send(finished).is_err() {
                        return; // the writer stopped
                    }
                }
            });
        }
        drop((job_rx, done_tx));
        // Batches come back in any order; consume them in input order.
        let mut waiting: BTreeMap<u64, Finished> = BTreeMap::new();
        let mut next = 0u64;
        for finished in done_rx {
            waiting.insert(finished.seq, finished);
            while let Some(batch) = waiting.remove(&next) {
                next += 1;
                let bytes = batch.bytes;
                let stop = consume(batch)?;
                budget.give(bytes);
                if stop.is_some() {
                    // Dropping the receivers stops the workers, then the reader.
                    return Ok(stop);
                }
            }
        }
        Ok(None)
    })
}

/// How the write stage drops repeats of posts that have no identity to
/// merge by.
enum Dedup<'w> {
    /// Within a window of recent posts (one input, or a merge); what is
    /// kept is also told to the workers.
    Window(clean::Seen, &'w Written),
    /// Against every post of an `--into` archive and every post written.
    All(HashSet<u64>),
}

impl Dedup<'_> {
    fn first_time(&mut self, key: u64) -> bool {
        match self {
            Dedup::Window(seen, written) => {
                let first = seen.first_time_key(key);
                if first {
                    written.record(key);
                }
                first
            }
            Dedup::All(set) => set.insert(key),
        }
    }
}

/// The fingerprints the writer has kept, for the workers to look up
/// without a lock, so that they do not clean and encode a post only for
/// the writer to drop it (saved pages overlap: most of their posts are
/// repeats). Only a hint, the writer still decides: a fingerprint found
/// here was kept by the writer, so the post is a repeat unless the
/// fingerprint has since left [`clean::Seen`]'s window, and then the
/// writer cleans and writes it itself ([`Done::Seen`]). A slot holds the
/// last fingerprint that fell in it; a fingerprint of 0 is never found.
struct Written {
    slots: Box<[AtomicU64]>,
}

impl Written {
    /// 512 KiB: repeats of the last 65,536 posts kept, at best.
    const SLOTS: usize = 1 << 16;

    fn new() -> Self {
        Written { slots: (0..Self::SLOTS).map(|_| AtomicU64::new(0)).collect() }
    }

    fn slot(&self, key: u64) -> &AtomicU64 {
        &self.slots[key as usize % Self::SLOTS]
    }

    fn record(&self, key: u64) {
        // Relaxed: the fingerprint itself is all that is shared.
        self.slot(key).store(key, Ordering::Relaxed);
    }

    fn has(&self, key: u64) -> bool {
        key != 0 && self.slot(key).load(Ordering::Relaxed) == key
    }
}

/// What the first pass of a merge found.
struct Plan {
    table: merge::Table,
    /// With `--into`: the archive's side.
    archive: Option<ArchiveSurvey>,
}

/// What `--into` needs to know of the archive and the inputs.
#[derive(Default)]
struct ArchiveSurvey {
    /// Posts in the archive.
    posts: u64,
    /// [`merge::idless_key`] of the archive's posts without an id.
    idless: HashSet<u64>,
    /// Posts without an id in the inputs that the archive lacks.
    idless_new: u64,
}

impl Plan {
    /// With `--into`: true when something is to be added or replaced.
    fn changed(&self) -> bool {
        let archive_idless_new = self.archive.as_ref().map_or(0, |a| a.idless_new);
        self.table.kept_outside_archive() > 0 || archive_idless_new > 0
    }
}

/// The first pass of a merge: the `--into` archive, then every input
/// through the readers and the cleaning passes, each version of a post with
/// an id recorded in the table. It stops where the second pass will stop
/// (an unreadable file, an error that ends a file, `--strict`), so that no
/// version is kept that will not be read again. Standard input cannot be
/// read twice and is refused.
fn survey(options: &Options, files: &[PathBuf], notes: &Notes) -> Result<Plan> {
    if files.iter().any(|f| f.as_os_str() == "-") {
        return Err(Error::usage(
            "standard input cannot be merged with other inputs: merging reads every input twice; save it to a file first",
        ));
    }
    let mut table = merge::Table::new(options.merge.into.is_some());
    let mut archive = match &options.merge.into {
        #[cfg(feature = "parquet")]
        Some(path) if parquet_archive(options).is_some() => {
            let kind = parquet_archive(options).unwrap_or(crate::into::Archive::File);
            let (posts, idless) = crate::into::survey(path, kind, &mut table)?;
            Some(ArchiveSurvey { posts, idless, idless_new: 0 })
        }
        Some(path) => Some(survey_archive(path, &mut table)?),
        None => None,
    };
    // The readers' notes and counters are taken in the second pass.
    let quiet = Notes::default();
    let mut new_idless = HashSet::new();
    for (n, path) in files.iter().enumerate() {
        let file = FileJob {
            number: n + 1,
            chat_id: options.merge.chat_id_for(path),
            stage: Stage::Survey,
            written: None,
        };
        let mut record = |batch: Finished| {
            for item in batch.items {
                match item {
                    Done::Post { merge: Merge::Survey(Some(version), _), .. } => {
                        table.add(&version)
                    }
                    Done::Post { merge: Merge::Survey(None, key), .. } => {
                        if let Some(a) = archive.as_mut() {
                            if !a.idless.contains(&key) && new_idless.insert(key) {
                                a.idless_new += 1;
                            }
                        }
                    }
                    // Selected out: not in the output, so not in the merge.
                    // (No `Seen` here: the survey's workers have no `written`.)
                    Done::Post { .. } | Done::Seen(..) | Done::SelectedOut => {}
                    Done::Failed(e) if e.is_record_error() && !options.strict => {}
                    Done::Failed(e) => return Ok(Some(e)),
                }
            }
            Ok(None)
        };
        if pipeline(path, file, options, &quiet, (true, None), &mut record)?.is_some() {
            break;
        }
    }
    let lines = table.match_chats(options.merge.by_name);
    if !lines.is_empty() {
        // The decisions are the merge's, not one input's: they are told
        // on the output report named `(merge)`.
        notes.output(MERGE_REPORT, |r| r.say("chats", lines.join("; ")));
    }
    Ok(Plan { table, archive })
}

/// Longest archive line read, in bytes (a post is at most a few MB).
const MAX_ARCHIVE_LINE: usize = 64 << 20;

/// What [`archive_lines`] calls with each line: number, raw bytes, post.
type EachLine<'a> = dyn FnMut(u64, &[u8], &Post) -> Result<()> + 'a;

/// Calls `each` with every line of the `--into` archive (number, raw bytes
/// with their `\n`, the post). A line that is not a tgnorm post is an
/// error: the archive must be tgnorm's JSONL, and is left as it is.
fn archive_lines(path: &Path, each: &mut EachLine) -> Result<()> {
    let name = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        // A new archive: the first run makes it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&name, e)),
    };
    let mut input = std::io::BufReader::with_capacity(1 << 20, file);
    let (mut buf, mut number) = (Vec::new(), 0u64);
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut input, MAX_ARCHIVE_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(&name, e))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        let at = || Position::line(name.clone(), number, Some(1));
        if n > MAX_ARCHIVE_LINE {
            return Err(Error::data(at(), "--into: an archive line longer than 64 MiB"));
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let post: Post = serde_json::from_slice(&buf).map_err(|e| {
            Error::data(
                at(),
                format!("--into: not a tgnorm post ({e}); the archive must be tgnorm's JSONL"),
            )
        })?;
        each(number, &buf, &post)?;
    }
}

/// Records the archive's posts in the table (file 0, item = line).
fn survey_archive(path: &Path, table: &mut merge::Table) -> Result<ArchiveSurvey> {
    let mut survey = ArchiveSurvey::default();
    table.reserve_archive(count_lines(path)?);
    archive_lines(path, &mut |number, _, post| {
        survey.posts += 1;
        match merge::Version::of(post, Ordinal::new(0, number)) {
            Some(mut version) => {
                version.place = merge::Place::of(Some(number), None);
                version.file = path.display().to_string();
                table.add_archived(&version);
            }
            None => {
                survey.idless.insert(merge::idless_key(post));
            }
        }
        Ok(())
    })?;
    table.end_archive();
    Ok(survey)
}

/// The lines of a file (0 when it does not exist), to size the archive's
/// array at once.
fn count_lines(path: &Path) -> Result<usize> {
    let name = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(&name, e)),
    };
    let mut input = std::io::BufReader::with_capacity(1 << 20, file);
    let mut lines = 0;
    loop {
        let chunk = input.fill_buf().map_err(|e| Error::io(&name, e))?;
        if chunk.is_empty() {
            return Ok(lines);
        }
        lines += chunk.iter().filter(|&&b| b == b'\n').count();
        let n = chunk.len();
        input.consume(n);
    }
}

/// With `--into` a Parquet file or dataset (`crate::into`): which.
#[cfg(feature = "parquet")]
fn parquet_archive(options: &Options) -> Option<crate::into::Archive> {
    let path = options.merge.into.as_ref()?;
    let kind = crate::into::Archive::of(path, options.partition_by.is_some());
    (kind != crate::into::Archive::Jsonl).then_some(kind)
}

/// Puts what the archive keeps into the new one, before the inputs' posts:
/// a JSONL archive's lines, a Parquet file's posts, or a dataset's files
/// (linked or rewritten into the staging folder `output_dir`).
fn copy_into<W: Write>(
    options: &Options,
    path: &Path,
    table: &merge::Table,
    writer: &mut Writer<W>,
    notes: &Notes,
    kept_groups: &mut Vec<usize>,
) -> Result<()> {
    #[cfg(feature = "parquet")]
    match (parquet_archive(options), &options.output_dir) {
        (Some(crate::into::Archive::Dataset), Some(staging)) => {
            return crate::into::stage_dataset(path, staging, table, notes)
        }
        (Some(crate::into::Archive::Dataset), None) => {
            return Err(Error::usage("--into a dataset needs a staging folder (output_dir)"))
        }
        (Some(_), _) => return crate::into::copy_file(path, table, writer, notes, kept_groups),
        (None, _) => {}
    }
    let _ = (options, kept_groups);
    copy_archive(path, table, writer, notes)
}

/// Copies the archive's lines byte for byte into the new archive, less the
/// posts whose kept version is in the inputs (a newer edit); notes how
/// many.
fn copy_archive<W: Write>(
    path: &Path,
    table: &merge::Table,
    writer: &mut Writer<W>,
    notes: &Notes,
) -> Result<()> {
    let (mut kept, mut replaced) = (0u64, 0u64);
    archive_lines(path, &mut |number, raw, post| {
        let keep = match merge::Version::of(post, Ordinal::new(0, number)) {
            Some(version) => !table.kept_elsewhere(&version),
            None => true,
        };
        if keep {
            kept += 1;
            let mut line = raw.to_vec();
            if line.last() != Some(&b'\n') {
                line.push(b'\n');
            }
            writer.write_encoded(&line)
        } else {
            replaced += 1;
            Ok(())
        }
    })?;
    let name = path.display().to_string();
    let text = format!("{kept} posts kept as they were, {replaced} replaced by a newer version");
    notes.output(&name, |r| r.say("into", text));
    Ok(())
}

/// With `--into` and nothing new: the second pass without writing, for the
/// accounting (every post is a duplicate of the archive's, or rejected).
fn read_only_summary(
    options: &Options,
    files: &[PathBuf],
    plan: &Plan,
    notes: &Notes,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut writer = Writer::new(write::Format::Jsonl, std::io::sink(), String::new());
    let mut seen = Dedup::All(plan.archive.as_ref().map(|a| a.idless.clone()).unwrap_or_default());
    for (n, path) in files.iter().enumerate() {
        let stage = Stage::Emit(&plan.table);
        let chat_id = options.merge.chat_id_for(path);
        let file = FileJob { number: n + 1, chat_id, stage, written: None };
        let mut count = |batch: Finished| {
            let to = (&mut writer, &mut seen, &mut summary);
            write_batch(batch, to, &options.clean, options.strict, reject)
        };
        if pipeline(path, file, options, notes, (true, Some(write::Format::Jsonl)), &mut count)?
            .is_some()
        {
            break;
        }
    }
    let posts = plan.archive.as_ref().map_or(0, |a| a.posts);
    let name = options.merge.into.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let text =
        format!("unchanged ({posts} posts; the inputs hold nothing it lacks), not rewritten");
    notes.output(&name, |r| r.say("into", text));
    summary.take_notes(notes);
    Ok(summary)
}

/// The write stage for one batch, in input order: drops duplicates, writes
/// posts, reports rejections, counts. Returns the error that stops the run
/// (strict mode, or an error that ends a file), if any.
fn write_batch<W: Write>(
    batch: Finished,
    (writer, seen, summary): (&mut Writer<W>, &mut Dedup, &mut Summary),
    clean: &CleanConfig,
    strict: bool,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
) -> Result<Option<Error>> {
    for item in batch.items {
        summary.read += 1;
        let item = match item {
            Done::Seen(post, key) => match seen.first_time(key) {
                true => cleaned_late(post, clean),
                false => {
                    summary.duplicates += 1;
                    continue;
                }
            },
            item => item,
        };
        match item {
            Done::Post { merge: Merge::Dropped(dropped_version), .. } => {
                summary.duplicates += 1;
                let (verdict, position) = *dropped_version;
                dropped(verdict, position, summary, reject)?;
            }
            Done::Post { post, line, cleaned, key, merge } => {
                if key.is_some_and(|k| !seen.first_time(k)) {
                    summary.duplicates += 1;
                    continue;
                }
                if let Merge::Kept(true) = merge {
                    summary.merged += 1;
                }
                for c in cleaned {
                    *summary.cleaned.entry(c).or_default() += 1;
                }
                let written = match (post, &batch.encoded) {
                    (Some(post), _) => writer.write(&post),
                    (None, Some(encoded)) => writer.write_ahead(encoded, line),
                    // Never: a worker keeps the post when it does not encode it.
                    (None, None) => Err(Error::io(
                        "-",
                        std::io::Error::other("a post neither kept nor encoded"),
                    )),
                };
                // A post the output format cannot hold (a writer's record
                // error) is rejected like a bad record; other errors end the run.
                if let Err(e) = written {
                    if !e.is_record_error() {
                        return Err(e);
                    }
                    summary.rejected += 1;
                    if strict {
                        return Ok(Some(e));
                    }
                    reject(&Rejection::from_error(&e))?;
                    continue;
                }
                summary.written += 1;
            }
            Done::SelectedOut => summary.selected_out += 1,
            // Made a post above; were it not, a repeat is all it can be.
            Done::Seen(..) => summary.duplicates += 1,
            Done::Failed(e) if e.is_record_error() && !strict => {
                summary.rejected += 1;
                reject(&Rejection::from_error(&e))?;
            }
            Done::Failed(e) => {
                // An error that stops the file is one item read: counted,
                // and reported with its position, like a bad record.
                summary.rejected += 1;
                if !e.is_record_error() {
                    reject(&Rejection::from_error(&e))?;
                }
                return Ok(Some(e));
            }
        }
    }
    Ok(None)
}

/// A [`Done::Seen`] post that is not a repeat after all (its first copy
/// left [`clean::Seen`]'s window): cleaned here, as the worker would have,
/// and written as it is rather than encoded.
fn cleaned_late(mut post: Box<Post>, clean: &CleanConfig) -> Done {
    clean::clean_post(&mut post, clean);
    let cleaned = post.cleaned.clone();
    Done::Post { post: Some(post), line: 0..0, cleaned, key: None, merge: Merge::No }
}

/// Counts a version another one was kept over; a conflict goes to the
/// rejects with both places.
fn dropped(
    verdict: Verdict,
    position: Position,
    summary: &mut Summary,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
) -> Result<()> {
    match verdict {
        Verdict::Replaced => summary.replaced += 1,
        Verdict::Conflict(kept) => {
            summary.conflicts += 1;
            let kept = Position {
                file: kept.file,
                line: kept.line,
                index: kept.index,
                ..Position::default()
            };
            let error = format!(
                "merge conflict: this version's text differs from the one kept at {kept} and no edit time decides; this version is dropped"
            );
            reject(&Rejection { position, error, kept: Some(kept) })?;
        }
        Verdict::Keep(_) | Verdict::Duplicate => {}
    }
    Ok(())
}

/// Convenience for tests and library users: converts in-memory text to JSONL.
///
/// ```
/// let dump = "Forwarded from Russian MFA 🇷🇺\nHello\nMedia is too big\nVIEW IN TELEGRAM\nCaption";
/// let jsonl = tgnorm::convert::text_to_jsonl(dump).unwrap();
/// let lines: Vec<&str> = jsonl.lines().collect();
/// assert_eq!(lines.len(), 2);
/// assert!(lines[1].contains(r#""media":[{"type":"video","status":"too_big"}]"#));
/// ```
pub fn text_to_jsonl(text: &str) -> Result<String> {
    use crate::read::text;
    let notes = Notes::default();
    let reader = text::Reader::new(text.as_bytes(), "-".into(), text::Options::default(), notes);
    let config = CleanConfig::default();
    let mut writer = Writer::new(write::Format::Jsonl, Vec::new(), "-".into());
    let mut seen = clean::Seen::default();
    for post in reader {
        let mut post = post?;
        if !seen.first_time(&post) {
            continue;
        }
        clean::clean_post(&mut post, &config);
        writer.write(&post)?;
    }
    let bytes = writer.finish()?;
    String::from_utf8(bytes)
        .map_err(|e| Error::new(Position::file("-"), ErrorKind::Encoding(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Text;
    use std::time::Duration;

    fn post_of(len: usize) -> Result<Pending> {
        let post = Post { text: Text::plain("x".repeat(len)), ..Post::default() };
        Ok(Pending::Ready(Box::new(post)))
    }

    /// The read stage never has more than `IN_FLIGHT_BYTES + BATCH_BYTES`
    /// plus one item sent and not given back, whatever the items' sizes; a
    /// batch closes at `BATCH_BYTES`; an item larger than the budget goes
    /// alone; every item arrives, in order.
    #[test]
    fn bytes_in_flight_are_bounded() {
        let big = 40 << 20;
        let sizes: Vec<usize> =
            (0..6000).map(|i| if i == 3000 { big } else { 1000 + i % 7 }).collect();
        let budget = Budget::default();
        let (tx, rx) = mpsc::sync_channel::<Job>(10_000); // only the budget bounds
        let (mut held, mut received, mut most) = (Vec::<Job>::new(), 0usize, 0usize);
        let mut items_seen = Vec::new();
        std::thread::scope(|scope| {
            let items = sizes.clone().into_iter().map(post_of);
            let budget = &budget;
            scope.spawn(move || read_stage(Box::new(items), tx, budget));
            loop {
                match rx.recv_timeout(Duration::from_millis(300)) {
                    Ok(job) => {
                        let last = job.items.last().map_or(0, item_bytes);
                        assert!(job.items.len() <= BATCH && job.bytes - last < BATCH_BYTES);
                        assert_eq!(job.seq as usize, received, "batches in order");
                        received += 1;
                        items_seen.extend(job.items.iter().map(item_bytes));
                        held.push(job);
                        let in_flight = budget.in_flight();
                        most = most.max(in_flight);
                        let largest = post_bytes(&Post::default()) + 32 + big;
                        assert!(in_flight < IN_FLIGHT_BYTES + BATCH_BYTES + largest, "{in_flight}");
                    }
                    // The reader waits for room: make some.
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        for job in held.drain(..) {
                            budget.give(job.bytes);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        let want: Vec<usize> =
            sizes.iter().map(|&n| post_bytes(&Post::default()) + 32 + n).collect();
        assert_eq!(items_seen, want, "every item, in order");
        assert!(most >= IN_FLIGHT_BYTES, "the reader was held back by the budget ({most})");
        assert!(most < IN_FLIGHT_BYTES + BATCH_BYTES + big + 4096, "{most}");
    }

    /// An error that stops a file (here an I/O error, not a record error)
    /// is counted as one rejection and reported with its position, so that
    /// `read = written + rejected + duplicates` still holds.
    #[test]
    fn a_stop_is_counted_as_a_rejection() {
        let post = Post { id: Some(1), ..Post::default() };
        let stop = Error::io("in.json", std::io::Error::other("disk gone"));
        let batch = Finished {
            seq: 0,
            bytes: 0,
            items: vec![
                Done::Post {
                    post: Some(Box::new(post)),
                    line: 0..0,
                    cleaned: vec![],
                    key: None,
                    merge: Merge::No,
                },
                Done::Failed(stop),
            ],
            encoded: None,
        };
        let mut writer = Writer::new(write::Format::Jsonl, Vec::new(), "out".into());
        let written = Written::new();
        let (mut seen, mut summary, mut reported) =
            (Dedup::Window(clean::Seen::default(), &written), Summary::default(), vec![]);
        let mut reject = |r: &Rejection| {
            reported.push(r.to_string());
            Ok(())
        };
        let to = (&mut writer, &mut seen, &mut summary);
        let stopped = write_batch(batch, to, &CleanConfig::default(), false, &mut reject);
        assert!(stopped.unwrap().is_some_and(|e| !e.is_record_error()));
        assert_eq!((summary.read, summary.written, summary.rejected), (2, 1, 1));
        assert_eq!(reported, ["in.json: disk gone"]);
    }

    /// A post the workers skipped as a repeat ([`Done::Seen`]) is a
    /// duplicate when the writer has its fingerprint; when it has not (the
    /// first copy left the window), it is cleaned and written exactly as a
    /// worker would have cleaned and encoded it.
    #[test]
    fn a_skipped_repeat_is_dropped_or_written_as_if_not_skipped() {
        let raw = || {
            let mut post = Post { id: Some(7), ..Post::default() };
            post.text = crate::model::Text::plain("two  spaces and a tail   ");
            post
        };
        let key = clean::fingerprint(&raw());
        let run = |item: Done, seen_before: bool| {
            let written = Written::new();
            let mut seen = Dedup::Window(clean::Seen::default(), &written);
            if seen_before {
                assert!(seen.first_time(key));
            }
            let (mut writer, mut summary) =
                (Writer::new(write::Format::Jsonl, Vec::new(), "out".into()), Summary::default());
            let batch = Finished { seq: 0, bytes: 0, items: vec![item], encoded: None };
            let to = (&mut writer, &mut seen, &mut summary);
            let stopped = write_batch(batch, to, &CleanConfig::default(), false, &mut |_| Ok(()));
            assert!(stopped.unwrap().is_none());
            assert!(written.has(key), "the writer tells the workers what it kept");
            (writer.finish().unwrap(), summary)
        };
        let (out, summary) = run(Done::Seen(Box::new(raw()), key), true);
        assert_eq!((summary.read, summary.written, summary.duplicates), (1, 0, 1));
        assert!(out.is_empty());

        let (late, summary) = run(Done::Seen(Box::new(raw()), key), false);
        assert_eq!((summary.read, summary.written, summary.duplicates), (1, 1, 0));
        assert_eq!(summary.cleaned.get("whitespace"), Some(&1));
        let mut worked = raw();
        clean::clean_post(&mut worked, &CleanConfig::default());
        let mut encoder = write::Encoder::new(write::Format::Jsonl, 0).unwrap();
        let line = encoder.encode(&worked).unwrap();
        let write::Encoded::Bytes(bytes) = encoder.finish() else { panic!("JSONL is bytes") };
        assert_eq!(late, bytes[line].to_vec(), "the same line a worker encodes");
    }

    /// A slot answers only for the fingerprint last recorded in it, and
    /// never for 0 (the empty slot).
    #[test]
    fn written_answers_only_for_what_it_holds() {
        let written = Written::new();
        let (a, b) = (5, 5 + Written::SLOTS as u64);
        assert!(!written.has(a) && !written.has(0));
        written.record(a);
        assert!(written.has(a) && !written.has(b));
        written.record(b);
        assert!(!written.has(a) && written.has(b), "one slot, the last one recorded");
        written.record(0);
        assert!(!written.has(0));
    }

    /// The reader stops waiting when the writer goes away.
    #[test]
    fn a_closed_budget_releases_the_reader() {
        let budget = Budget::default();
        budget.take(IN_FLIGHT_BYTES * 2);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| budget.wait_below(IN_FLIGHT_BYTES));
            std::thread::sleep(Duration::from_millis(50));
            drop(CloseOnDrop(&budget));
            assert!(!waiter.join().unwrap());
        });
    }
}
