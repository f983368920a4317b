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
//! link) back to the folder as soon as the page is parsed, before its posts
//! are cleaned; the folder waits for it before it hands out the next page.
//! Only parsing is on that chain, so the cleaning and encoding of one page
//! overlap the parsing of the next on another worker, and no page is ever
//! parsed on a guess: the pages, their order, the rejections and the
//! summary are those of [`Folder`](super::Folder) reading them in turn.
//!
//! **Notes.** The page's reader tells notes of its own; the worker replays
//! them into the run's ([`ahead::absorb`](super::ahead::absorb)) before it
//! sends the page's end, so the reports come in the order the folder took
//! the pages, as when it reads them itself.

use super::ahead;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::Post;
use crate::read::{Notes, ReadOptions};
use std::path::PathBuf;
use std::sync::mpsc;

/// A page to read to its end on the worker that takes it.
#[derive(Debug)]
pub(crate) struct PageTask {
    pub(super) path: PathBuf,
    /// Options with the format set to Telegram Desktop HTML.
    pub(super) options: ReadOptions,
    /// The page's size in bytes (for the pipeline's budget).
    pub(super) bytes: u64,
    /// Where the page's end goes: the folder waits for it.
    pub(super) end: mpsc::SyncSender<PageEnd>,
}

/// How a page read by a worker ended: what the folder needs to go on.
#[derive(Debug)]
pub(super) struct PageEnd {
    /// False when the page could not be opened (its one item is the error).
    pub opened: bool,
    /// Where its "Next messages" link points.
    pub link: Option<String>,
}

impl PageTask {
    /// The page's size in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads the page to its end: its items (posts and rejections, marked
    /// as the page's), after telling the run's `notes` what the page told
    /// and the folder how the page ended.
    pub(crate) fn run(self, notes: &Notes) -> Vec<Result<Post>> {
        let parsed = ahead::parse(self.path, &self.options);
        ahead::absorb(notes, &parsed.notes);
        let ahead::Parsed { items, opened, link, .. } = parsed;
        // The folder may have gone (the run is stopping): nobody waits.
        let _ = self.end.send(PageEnd { opened, link });
        items
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
