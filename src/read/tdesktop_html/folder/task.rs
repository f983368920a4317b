//! Pages of a folder parsed on the conversion's own workers (issue 18
//! item 3).
//!
//! [`ahead`](super::ahead) parses pages on threads of their own: a post is
//! then made on a page worker, cleaned and encoded on a pipeline worker and
//! freed there, and two more threads allocate. Profiles of two threads
//! showed what that costs: page faults more than doubled (fresh pages of
//! the extra heaps), cross-thread frees, one more move of every post, and
//! twice the peak RSS of one thread (`docs/notes/2026-12-06-h-html2.md`).
//!
//! So when the folder is read by the conversion pipeline
//! ([`crate::convert`]), it hands a page out as one item, a [`PageTask`]
//! ([`Pending::Page`](crate::read::Pending::Page)), and the worker that
//! takes it reads the page to its end ([`PageTask::run`]) and then cleans
//! and encodes its posts itself: a post is made, cleaned, encoded and freed
//! on one thread, and no thread is started for pages.
//!
//! **The chain is still decided by the folder, from the page's own link.**
//! The worker sends the page's end (opened or not, its "Next messages"
//! link, what its reader told its own notes) back to the folder as soon as
//! the page is parsed, and waits for the folder's word before it goes on:
//! the folder replays the page's notes into the run's
//! ([`ahead::absorb`](super::ahead::absorb)) and says go when the page is
//! the chain's, so the reports come in the order the folder takes the
//! pages, as when it reads them itself.
//!
//! **One page is parsed on a guess.** Parsing is most of a page's cost, so
//! waiting for a page's link before handing out the next would put every
//! page's parsing on one chain. So right after a page task the folder hands
//! out the page it guesses comes next (the next page not read in page
//! order: how Telegram Desktop links them). When the link confirms the
//! guess, the guessed page goes on; when it does not, the folder drops it
//! (its worker gives back an empty batch and its notes are not told) and
//! reads it again when the chain or the pages left reach it. The guess is
//! made from the folder's state only, never from timing, so the batches,
//! and what is written, are the same on every run.

use super::ahead;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::Post;
use crate::read::{Notes, ReadOptions};
use std::path::PathBuf;
use std::sync::mpsc;

/// A page to read to its end on the worker that takes it.
#[derive(Debug)]
pub(crate) struct PageTask {
    path: PathBuf,
    /// Options with the format set to Telegram Desktop HTML.
    options: ReadOptions,
    /// The page's size in bytes (for the pipeline's budget).
    bytes: u64,
    /// Where the page's end goes: the folder waits for it.
    end: mpsc::SyncSender<PageEnd>,
    /// The folder's word: true when the page is the chain's.
    go: mpsc::Receiver<bool>,
}

/// How a page read by a worker ended: what the folder needs to go on.
#[derive(Debug)]
pub(super) struct PageEnd {
    /// False when the page could not be opened (its one item is the error).
    pub opened: bool,
    /// Where its "Next messages" link points.
    pub link: Option<String>,
    /// What its reader told, to be replayed into the run's notes.
    pub notes: Notes,
}

/// The folder's ends of a page task: the page's end, and the word to go.
pub(super) struct Handle {
    pub end: mpsc::Receiver<PageEnd>,
    pub go: mpsc::SyncSender<bool>,
}

impl PageTask {
    /// The task of reading the page at `path` (of `bytes` bytes), and the
    /// folder's ends of it.
    pub(super) fn new(path: PathBuf, options: ReadOptions, bytes: u64) -> (PageTask, Handle) {
        let (end, ended) = mpsc::sync_channel(1);
        let (said, go) = mpsc::sync_channel(1);
        (PageTask { path, options, bytes, end, go }, Handle { end: ended, go: said })
    }

    /// The page's size in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads the page to its end and tells the folder how it ended; its
    /// items (posts and rejections, marked as the page's) once the folder
    /// says the page is the chain's, none when it was a wrong guess (or the
    /// folder has gone: the run is stopping).
    pub(crate) fn run(self) -> Vec<Result<Post>> {
        let ahead::Parsed { items, opened, link, notes } = ahead::parse(self.path, &self.options);
        if self.end.send(PageEnd { opened, link, notes }).is_err() {
            return Vec::new();
        }
        match self.go.recv() {
            Ok(true) => items,
            Ok(false) | Err(_) => Vec::new(),
        }
    }

    /// The error for a page task read where one post was expected (only
    /// the conversion pipeline asks for page tasks, and it runs them).
    pub(crate) fn misrouted(&self) -> Error {
        Error::new(
            Position::file(Position::name_of(&self.path)),
            ErrorKind::Format("a page handed out as a task was not read (internal error)".into()),
        )
    }
}
