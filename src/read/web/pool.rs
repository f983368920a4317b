//! The web reader's worker threads: started once per reader, not per chunk,
//! and each tree is dropped by the thread that built it.
//!
//! **Why.** A chunk is parsed in two parallel passes (trees built, then
//! posts read from them; see `Reader::parse`). With a scoped thread spawned
//! for each pass, every chunk started two threads, and a tree built on one
//! thread was read and freed on another: mimalloc then takes the slow path
//! for a block freed away from its heap, and each new thread's heap is
//! fresh memory (page faults). On the 100 MiB bench file two threads used
//! about 12% more CPU than one. Here the helper threads live as long as the
//! reader; each keeps the trees it built until the reading pass, and the
//! reading pass of a region runs on the thread that holds its trees.
//!
//! **Order.** Regions are taken from a shared counter (the next region not
//! taken), so the threads share the work whatever the regions' sizes; the
//! answers carry their region's number and are put back in order by the
//! caller. What each region gives does not depend on the thread that ran it.

use super::{prepare, Plan, Prepared, Span, Trees};
use crate::model::Post;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// One chunk being parsed: its bytes, its regions and the next region not
/// taken.
pub(super) struct Chunk {
    pub(super) bytes: Vec<u8>,
    pub(super) regions: Vec<Range<usize>>,
    pub(super) reference: bool,
    next: AtomicUsize,
}

impl Chunk {
    pub(super) fn new(bytes: Vec<u8>, regions: Vec<Range<usize>>, reference: bool) -> Chunk {
        Chunk { bytes, regions, reference, next: AtomicUsize::new(0) }
    }

    pub(super) fn region(&self, i: usize) -> &[u8] {
        let range = self.regions.get(i).cloned().unwrap_or_default();
        self.bytes.get(range).unwrap_or_default()
    }
}

/// What building gives for one region: its number, what the reader needs
/// to know and its span.
pub(super) type BuiltRegion = (usize, Prepared, Span);

/// The posts read from one region (its number first).
pub(super) type ReadRegion = (usize, Vec<std::result::Result<Post, super::post::Fault>>);

/// The trees a thread built and holds until the reading pass.
#[derive(Default)]
pub(super) struct Held(Vec<(usize, Option<Trees>)>);

impl Held {
    /// Takes regions of `chunk` until none is left, building their trees.
    pub(super) fn build(&mut self, chunk: &Chunk) -> Vec<BuiltRegion> {
        let mut built = Vec::new();
        loop {
            let i = chunk.next.fetch_add(1, Ordering::Relaxed);
            if i >= chunk.regions.len() {
                return built;
            }
            let region = chunk.region(i);
            let (prepared, trees, span) = prepare(region, chunk.reference);
            built.push((i, prepared, span));
            self.0.push((i, trees));
        }
    }

    /// Reads the posts of the regions held, with their plans (one per
    /// region held, in the same order), and drops the trees.
    pub(super) fn read(&mut self, plans: Vec<Plan>, file: &str) -> Vec<ReadRegion> {
        let held = std::mem::take(&mut self.0);
        held.into_iter().zip(plans).map(|((i, trees), plan)| (i, plan.read(trees, file))).collect()
    }
}

enum Job {
    Build(Arc<Chunk>),
    Read(Vec<Plan>, Arc<str>),
}

enum Done {
    Built(Vec<BuiltRegion>),
    Read(Vec<ReadRegion>),
}

/// A helper thread and its two channels.
struct Helper {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    handle: Option<JoinHandle<()>>,
}

/// The helper threads (the reader's own thread is the other worker).
pub(super) struct Pool {
    helpers: Vec<Helper>,
}

impl Pool {
    /// `helpers` threads besides the caller's (none: everything runs on
    /// the caller's thread).
    pub(super) fn new(helpers: usize) -> Pool {
        let helpers = (0..helpers).filter_map(|_| Helper::start()).collect();
        Pool { helpers }
    }

    /// Builds the trees of every region of `chunk` on all threads, the
    /// caller's included (its trees go to `own`). The answers, per thread:
    /// the caller's first, then each helper's.
    pub(super) fn build(&mut self, chunk: Chunk, own: &mut Held) -> (Vec<Vec<BuiltRegion>>, Chunk) {
        let chunk = Arc::new(chunk);
        for helper in &self.helpers {
            helper.send(Job::Build(chunk.clone()));
        }
        let mut all = vec![own.build(&chunk)];
        for helper in &mut self.helpers {
            match helper.receive() {
                Done::Built(built) => all.push(built),
                Done::Read(_) => all.push(Vec::new()),
            }
        }
        // Every helper dropped its handle on the chunk before answering.
        let chunk = Arc::try_unwrap(chunk).unwrap_or_else(|shared| {
            Chunk::new(shared.bytes.clone(), shared.regions.clone(), shared.reference)
        });
        (all, chunk)
    }

    /// Reads the posts of every region: `plans[0]` for the caller's own
    /// regions (`own`), `plans[k]` for helper k's, each in the order its
    /// regions were built. The answers of all threads, in no order.
    pub(super) fn read(
        &mut self,
        mut plans: Vec<Vec<Plan>>,
        own: &mut Held,
        file: &Arc<str>,
    ) -> Vec<ReadRegion> {
        let mut rest = plans.drain(1..);
        for helper in &self.helpers {
            helper.send(Job::Read(rest.next().unwrap_or_default(), file.clone()));
        }
        drop(rest);
        let mut all = own.read(plans.pop().unwrap_or_default(), file);
        for helper in &mut self.helpers {
            if let Done::Read(read) = helper.receive() {
                all.extend(read);
            }
        }
        all
    }
}

impl Helper {
    fn start() -> Option<Helper> {
        let (jobs, inbox) = channel::<Job>();
        let (outbox, done) = channel::<Done>();
        let handle = std::thread::Builder::new()
            .name("tgnorm-web".into())
            .spawn(move || work(&inbox, &outbox))
            .ok()?;
        Some(Helper { jobs: Some(jobs), done, handle: Some(handle) })
    }

    fn send(&self, job: Job) {
        // A helper that is gone answers nothing: `receive` passes its
        // panic on.
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    /// The helper's answer; if it panicked, its panic goes on here.
    fn receive(&mut self) -> Done {
        match self.done.recv() {
            Ok(done) => done,
            Err(_) => {
                self.jobs = None;
                match self.handle.take().map(JoinHandle::join) {
                    Some(Err(panic)) => std::panic::resume_unwind(panic),
                    _ => std::panic::panic_any("a web reader thread stopped"),
                }
            }
        }
    }
}

/// A helper's life: jobs until the reader is dropped.
fn work(inbox: &Receiver<Job>, outbox: &Sender<Done>) {
    let mut held = Held::default();
    while let Ok(job) = inbox.recv() {
        let done = match job {
            Job::Build(chunk) => {
                let built = held.build(&chunk);
                drop(chunk);
                Done::Built(built)
            }
            Job::Read(plans, file) => Done::Read(held.read(plans, &file)),
        };
        if outbox.send(done).is_err() {
            return;
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for helper in &mut self.helpers {
            helper.jobs = None;
        }
        for helper in &mut self.helpers {
            if let Some(handle) = helper.handle.take() {
                let _ = handle.join();
            }
        }
    }
}
