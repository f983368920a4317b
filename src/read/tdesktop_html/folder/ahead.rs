//! Pages of a folder parsed ahead of the link chain, on worker threads
//! (issue 18 item 3).
//!
//! [`Folder`](super::Folder) reads its pages one after the other along
//! their "Next messages" links, and a page's link is known only once the
//! page is read; parsing a page is most of the cost of reading a folder, so
//! read that way it runs on one core. Two facts make it parallel without
//! changing a byte of what is read:
//!
//! - **a page reads the same whenever and wherever it is read**: each page
//!   gets a fresh [`Reader`] (nothing carries over from the page before),
//!   and what it tells the run summary goes to notes of its own, replayed
//!   into the run's when the folder takes the page ([`absorb`]);
//! - **every page of a folder is read exactly once**, along the chain or
//!   after it, in page order.
//!
//! So workers parse pages in the order the folder will *probably* want
//! them (page order after the page taken last: how Telegram Desktop links
//! them), one page per task, while the folder still decides each next page
//! from the link found by that page's own reader, exactly as it does
//! without workers. A wrong guess (a reordered chain, a cycle) costs
//! waiting, never a different output: no pre-scan has to agree with the
//! reader, because none decides anything.
//!
//! **Memory.** A page parsed ahead is held whole (its posts) until the
//! folder takes it, so the pages given out and not yet taken are bounded:
//! at most one more than there are workers (one being parsed by each, one
//! ready), holding at most [`AHEAD_BYTES`] of markup a worker, plus the one
//! page the folder waits for; only regular files of at most
//! [`MAX_AHEAD_PAGE`] bytes are parsed ahead.
//! Larger pages (a real one is about 1 MB), FIFOs and pages in a zip
//! archive are read by the folder itself, streaming, as before.

use super::super::Reader;
use crate::account::FileReport;
use crate::error::Result;
use crate::model::Post;
use crate::read::{self, Notes, ReadOptions};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

/// Markup bytes of the pages given to the workers and not yet taken, per
/// worker.
pub(super) const AHEAD_BYTES: u64 = 2 << 20;
/// The largest page parsed ahead; a larger one is read streaming.
pub(super) const MAX_AHEAD_PAGE: u64 = 4 << 20;

/// A page read to its end by a worker.
pub(super) struct Parsed {
    /// Its items (posts and rejections, already marked as the page's), or
    /// the one error that kept it from being opened.
    pub items: Vec<Result<Post>>,
    /// False when the page could not be opened (`items` is its error).
    pub opened: bool,
    /// Where its "Next messages" link points.
    pub link: Option<String>,
    /// What its reader told, to be replayed into the run's notes.
    pub notes: Notes,
}

/// A page to parse.
struct Job {
    path: PathBuf,
    options: ReadOptions,
    reply: mpsc::SyncSender<Parsed>,
}

/// A page given to the workers and not yet taken.
struct Flight {
    reply: mpsc::Receiver<Parsed>,
    bytes: u64,
}

/// The workers and the pages given to them.
pub(super) struct Ahead {
    jobs: Option<mpsc::Sender<Job>>,
    /// Set when the folder goes: workers start no other page.
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    /// Pages given out, by their index in the folder's list.
    flights: HashMap<usize, Flight>,
    /// Their bytes (`Flight::bytes` summed).
    bytes: u64,
    /// The most pages and bytes given out while the folder does not wait.
    most: (usize, u64),
}

impl Ahead {
    /// Starts `threads` workers.
    pub fn new(threads: usize) -> Ahead {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<JoinHandle<()>> = (0..threads.max(1))
            .map(|_| {
                let (queue, stop) = (queue.clone(), stop.clone());
                std::thread::spawn(move || work(&queue, &stop))
            })
            .collect();
        let threads = workers.len();
        let most = (threads + 1, AHEAD_BYTES.saturating_mul(threads as u64));
        Ahead { jobs: Some(jobs), stop, workers, flights: HashMap::new(), bytes: 0, most }
    }

    /// True when page `i` has been given out and not taken yet.
    pub fn has(&self, i: usize) -> bool {
        self.flights.contains_key(&i)
    }

    /// Gives out pages from `candidates` (index, path, bytes; in the order
    /// they are likely wanted; those already given out are skipped) while
    /// fewer than `most` pages and bytes are out; the first one that does
    /// not fit ends the round, so that the order holds.
    /// `must` is given out whatever the budget (the folder waits for it).
    pub fn fill(
        &mut self,
        must: Option<(usize, PathBuf, u64)>,
        candidates: impl Iterator<Item = (usize, PathBuf, u64)>,
        options: &ReadOptions,
    ) {
        if let Some((i, path, bytes)) = must {
            if !self.has(i) {
                self.give(i, path, bytes, options);
            }
        }
        for (i, path, bytes) in candidates {
            if self.has(i) {
                continue;
            }
            let (pages, most_bytes) = self.most;
            if self.flights.len() >= pages || self.bytes.saturating_add(bytes) > most_bytes {
                return;
            }
            self.give(i, path, bytes, options);
        }
    }

    fn give(&mut self, i: usize, path: PathBuf, bytes: u64, options: &ReadOptions) {
        let Some(jobs) = &self.jobs else { return };
        let (reply, answer) = mpsc::sync_channel(1);
        if jobs.send(Job { path, options: options.clone(), reply }).is_ok() {
            self.flights.insert(i, Flight { reply: answer, bytes });
            self.bytes = self.bytes.saturating_add(bytes);
        }
    }

    /// Waits for page `i` (given out before) and takes it; `None` when it
    /// was never given out or its worker went away.
    pub fn take(&mut self, i: usize) -> Option<Parsed> {
        let flight = self.flights.remove(&i)?;
        self.bytes = self.bytes.saturating_sub(flight.bytes);
        flight.reply.recv().ok()
    }
}

impl Drop for Ahead {
    /// Stops the workers after the page each is parsing, and waits for them.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// A worker: parses the pages it is given, one at a time, until the
/// folder goes.
fn work(queue: &Mutex<mpsc::Receiver<Job>>, stop: &AtomicBool) {
    loop {
        // The lock is held only to take a job, not to do it.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        // The folder may have gone meanwhile: then nobody waits.
        let _ = job.reply.send(parse(job.path, &job.options));
    }
}

/// Reads the page at `path` to its end, as the folder reads a page itself
/// (`Folder::open`), with notes of its own.
pub(super) fn parse(path: PathBuf, options: &ReadOptions) -> Parsed {
    let notes = Notes::default();
    let input = match read::open(&path, options, &notes) {
        Ok(input) => input,
        Err(e) => {
            return Parsed {
                items: vec![Err(e.skipping("page"))],
                opened: false,
                link: None,
                notes,
            }
        }
    };
    let mut reader = Reader::new(input.reader, input.name, notes.clone());
    let items = reader.by_ref().map(|item| item.map_err(|e| e.skipping("page"))).collect();
    let link = reader.next_page().map(str::to_owned);
    // The reader tells its message count when it goes: before the notes
    // are handed over.
    drop(reader);
    Parsed { items, opened: true, link, notes }
}

/// Replays what a page told its own notes into the run's, as if it had
/// told them there: a page's report is new when the folder takes the page
/// (every page is read once), so this gives the same report in the same
/// place in the order of reports.
pub(super) fn absorb(run: &Notes, page: &Notes) {
    for report in page.inputs() {
        let file = report.file.clone();
        run.file(&file, |into| merge(into, report));
    }
}

/// `from` told after what `into` holds.
fn merge(into: &mut FileReport, from: FileReport) {
    let FileReport { file: _, format, encoding, chats, counters, repairs, skipped, notes } = from;
    if format.is_some() {
        into.format = format;
    }
    if encoding.is_some() {
        into.encoding = encoding;
    }
    if chats.is_some() {
        into.chats = chats;
    }
    into.counters.add(&counters);
    into.repairs.extend(repairs);
    into.skipped.extend(skipped);
    into.notes.extend(notes);
}
