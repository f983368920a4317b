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
use crate::model::Post;
use crate::read::{self, Notes, Pending, ReadOptions};
use crate::select::Selection;
use crate::write::{self, Writer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
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
}

impl Rejection {
    fn from_error(err: &Error) -> Rejection {
        Rejection { position: err.position().clone(), error: err.message() }
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
    /// Posts dropped because they were already written.
    pub duplicates: u64,
    /// Posts the selection (`--since`, `--chat`, …) left out.
    pub selected_out: u64,
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
            (c.boilerplate_lines, "boilerplate ", " lines"),
            (c.chrome_lines, "chrome ", " lines"),
            (c.repeated_bodies, "repeated bodies ", ""),
            (c.boundary_uncertain, "boundary uncertain ", ""),
            (c.truncated_repeats, "truncated repeats ", ""),
        ];
        for (n, before, after) in optional {
            if n > 0 {
                parts.push(format!("{before}{}{after}", thousands(n)));
            }
        }
        parts.join(" · ")
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The accounting.
    pub summary: Summary,
    /// The first error when the run stopped early (strict mode, or a fatal
    /// error such as an unreadable file).
    pub stopped: Option<Error>,
}

/// A progress line on standard error, redrawn at most every 200 ms.
struct Progress {
    on: bool,
    last: std::time::Instant,
    drawn: bool,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress { on, last: std::time::Instant::now(), drawn: false }
    }

    fn tick(&mut self, read: u64) {
        if self.on && self.last.elapsed() >= std::time::Duration::from_millis(200) {
            self.last = std::time::Instant::now();
            self.drawn = true;
            eprint!("\rtgnorm: {} posts read…", thousands(read));
        }
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
        }
    }
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
    items: Vec<Result<Pending>>,
    /// The items' size ([`item_bytes`]), given back to the [`Budget`] once
    /// the batch is written.
    bytes: usize,
}

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
fn read_stage(posts: read::PendingPosts<'_>, job_tx: mpsc::SyncSender<Job>, budget: &Budget) {
    let mut batch = Vec::with_capacity(BATCH);
    let (mut bytes, mut seq) = (0, 0);
    for item in posts {
        bytes += item_bytes(&item);
        batch.push(item);
        if batch.len() == BATCH || bytes >= BATCH_BYTES {
            let items = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            budget.take(bytes);
            if job_tx.send(Job { seq, items, bytes }).is_err() {
                return;
            }
            seq += 1;
            bytes = 0;
            if !budget.wait_below(IN_FLIGHT_BYTES) {
                return;
            }
        }
    }
    budget.take(bytes);
    let _ = job_tx.send(Job { seq, items: batch, bytes });
}

/// What a worker made of one reader item.
enum Done {
    /// A cleaned post: the post itself for writers that need it, or (JSONL)
    /// its line, `line` in the batch's buffer.
    Post { post: Option<Box<Post>>, line: Range<usize>, cleaned: Vec<String>, key: Option<u64> },
    /// A record that could not be read.
    Failed(Error),
    /// A post the selection left out.
    SelectedOut,
}

/// A batch done by a worker.
struct Finished {
    seq: u64,
    /// The batch's input size, to give back to the [`Budget`].
    bytes: usize,
    items: Vec<Done>,
    /// The JSONL lines of the batch's posts, when the output is JSONL.
    lines: Vec<u8>,
}

/// The work stage for one batch: parse, fingerprint, clean, encode.
/// `lines_hint` is the size of the worker's last batch of lines, so that the
/// buffer is allocated once instead of grown (and copied) a dozen times.
fn work(
    job: Job,
    clean: &CleanConfig,
    select: &Selection,
    dedup: bool,
    encode: bool,
    lines_hint: &mut usize,
) -> Finished {
    let mut lines = Vec::with_capacity(if encode { *lines_hint } else { 0 });
    let items = job
        .items
        .into_iter()
        .map(|item| {
            let mut post = match item.and_then(Pending::resolve) {
                Ok(post) => post,
                Err(e) => return Done::Failed(e),
            };
            if !select.keeps(&post) {
                return Done::SelectedOut;
            }
            let key = dedup.then(|| clean::fingerprint(&post));
            clean::clean_post(&mut post, clean);
            if !encode {
                let cleaned = post.cleaned.clone();
                return Done::Post { post: Some(Box::new(post)), line: 0..0, cleaned, key };
            }
            let start = lines.len();
            if let Err(e) = write::encode_ahead(&post, &mut lines) {
                lines.truncate(start);
                return Done::Failed(e);
            }
            let cleaned = std::mem::take(&mut post.cleaned);
            Done::Post { post: None, line: start..lines.len(), cleaned, key }
        })
        .collect();
    *lines_hint = (lines.len() + lines.len() / 8).min(BATCH_BYTES * 2);
    Finished { seq: job.seq, bytes: job.bytes, items, lines }
}

/// Worker threads: one per core, at least one.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// Runs a conversion: reads every input, cleans, writes to `out`, and sends
/// each rejected record to `reject`.
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
    let mut progress = Progress::new(options.progress);
    // One window for all inputs: overlapping pages are separate files.
    let mut seen = clean::Seen::default();
    let dedup = options.clean.has(Pass::Dedup);
    let encode = to.encodes_ahead() && !writer.is_partitioned();

    for path in &files {
        let posts = read::open(path, &options.read, &notes)
            .and_then(|input| read::read(input, &options.read, &notes));
        let posts = match posts {
            Ok(p) => p,
            Err(e) => {
                stopped = Some(e);
                break;
            }
        };
        let budget = &Budget::default();
        let result: Result<Option<Error>> = std::thread::scope(|scope| {
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
                let (clean, select) = (&options.clean, &options.select);
                scope.spawn(move || {
                    let mut lines_hint = 0;
                    loop {
                        // The lock is held only to take a job, not to do it.
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let finished = work(job, clean, select, dedup, encode, &mut lines_hint);
                        if done_tx.send(finished).is_err() {
                            return; // the writer stopped
                        }
                    }
                });
            }
            drop((job_rx, done_tx));
            // Batches come back in any order; write them in input order.
            let mut waiting: BTreeMap<u64, Finished> = BTreeMap::new();
            let mut next = 0u64;
            for finished in done_rx {
                waiting.insert(finished.seq, finished);
                while let Some(batch) = waiting.remove(&next) {
                    next += 1;
                    progress.tick(summary.read);
                    let bytes = batch.bytes;
                    let stop = write_batch(
                        batch,
                        &mut writer,
                        &mut seen,
                        &mut summary,
                        options.strict,
                        reject,
                    )?;
                    budget.give(bytes);
                    if stop.is_some() {
                        // Dropping the receivers stops the workers, then the reader.
                        return Ok(stop);
                    }
                }
            }
            Ok(None)
        });
        match result {
            Ok(None) => {}
            Ok(Some(e)) => {
                stopped = Some(e);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    progress.clear();
    let out = writer.finish()?;
    summary.take_notes(&notes);
    Ok((Outcome { summary, stopped }, out))
}

/// The write stage for one batch, in input order: drops duplicates, writes
/// posts, reports rejections, counts. Returns the error that stops the run
/// (strict mode, or an error that ends a file), if any.
fn write_batch<W: Write>(
    batch: Finished,
    writer: &mut Writer<W>,
    seen: &mut clean::Seen,
    summary: &mut Summary,
    strict: bool,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
) -> Result<Option<Error>> {
    for item in batch.items {
        summary.read += 1;
        match item {
            Done::Post { post, line, cleaned, key } => {
                if key.is_some_and(|k| !seen.first_time_key(k)) {
                    summary.duplicates += 1;
                    continue;
                }
                for c in cleaned {
                    *summary.cleaned.entry(c).or_default() += 1;
                }
                let written = match post {
                    Some(post) => writer.write(&post),
                    None => writer.write_encoded(batch.lines.get(line).unwrap_or_default()),
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
                Done::Post { post: Some(Box::new(post)), line: 0..0, cleaned: vec![], key: None },
                Done::Failed(stop),
            ],
            lines: Vec::new(),
        };
        let mut writer = Writer::new(write::Format::Jsonl, Vec::new(), "out".into());
        let (mut seen, mut summary, mut reported) =
            (clean::Seen::default(), Summary::default(), vec![]);
        let mut reject = |r: &Rejection| {
            reported.push(r.to_string());
            Ok(())
        };
        let stopped = write_batch(batch, &mut writer, &mut seen, &mut summary, false, &mut reject);
        assert!(stopped.unwrap().is_some_and(|e| !e.is_record_error()));
        assert_eq!((summary.read, summary.written, summary.rejected), (2, 1, 1));
        assert_eq!(reported, ["in.json: disk gone"]);
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
