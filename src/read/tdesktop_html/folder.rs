//! A folder of pages (`messages.html`, `messages2.html`, …) as one stream
//! of posts, in the order the pages link to each other.
//!
//! Telegram Desktop ends every page but the last with a "Next messages"
//! link (tdesktop-export-format.md §3.3). The folder is read from
//! `messages.html` (or, when a cut-down folder lacks it, its first page)
//! along those links, one page at a time: a page's link is known once the
//! page has been read. The chain stops at the last page, at a link to a
//! file the folder does not have, at a link outside the folder, or at a
//! link back to a page already read (a cycle). Pages the chain did not
//! reach are then read in page-number order, so that nothing is dropped;
//! every such irregularity is noted in the run summary (`pages FOLDER`).
//!
//! **A bad page is rejected alone.** Every `messages*.html` of the folder
//! is read as a Telegram Desktop page (UTF-8, never sniffed as another
//! format). A page that cannot be opened or read, is empty, or is not a
//! page (no `div.history`, markup that stops the page) is one rejected
//! record: its error names the file and the line where it fails (line 1
//! when there is no better place), it is counted, and reading goes on with
//! the next page, along the links when the page's link was read, else with
//! the pages left in page order. The messages it gave before the fault
//! stay written.
//!
//! **Pages are parsed on every core.** With more than one worker thread
//! ([`read::threads`]), pages of a folder on disk are parsed ahead of the
//! chain on worker threads, one page per task ([`ahead`]); the chain is
//! still decided here, from each page's own link, so the posts, their
//! order and the summary are the same as with one thread. Read by the
//! conversion pipeline ([`Folder::tasks`]), the pages are handed out as
//! tasks that the pipeline's own workers parse, clean and encode
//! ([`task`]), and no thread is started here.

mod ahead;
mod task;

use self::ahead::{Ahead, Parsed};
pub(crate) use self::task::PageTask;
use self::task::{Handle, PageEnd};
use super::Reader;
use crate::error::{Error, Position, Result};
use crate::format::tdesktop_html::page_number;
use crate::model::Post;
use crate::read::{self, zip, Format, Notes, Pending, ReadOptions};
use std::collections::VecDeque;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The pages of one folder, read in link order.
pub struct Folder {
    dir: PathBuf,
    /// For a folder inside a zip archive: the archive and the folder's
    /// path in it (`ChatExport/`); `dir` is then only its name.
    zip: Option<(Arc<zip::Archive>, String)>,
    options: ReadOptions,
    notes: Notes,
    /// The folder's pages by page number (`None` until listed).
    pages: Option<Vec<Page>>,
    /// The page being read.
    current: Option<Current>,
    /// Page to read next (an index in `pages`), when known.
    next: Option<usize>,
    /// The link chain has ended; the pages left are read in order.
    chain_over: bool,
    /// What was irregular, for the summary.
    issues: Vec<String>,
    /// Worker threads parsing pages ahead (1: none, pages are read here).
    threads: usize,
    /// The workers, once the pages are listed (folders on disk only).
    ahead: Option<Ahead>,
    /// Pages that may be parsed ahead are handed out as tasks
    /// ([`Folder::tasks`]) instead of parsed by `ahead`.
    tasks: bool,
    /// Page tasks to hand out next.
    to_hand: VecDeque<PageTask>,
    /// The page task handed out on a guess ([`task`]), and its ends.
    guessed: Option<(usize, Handle)>,
    /// An error to yield before going on (listing or opening failed).
    pending: VecDeque<Result<Post>>,
    done: bool,
}

struct Page {
    number: u64,
    name: String,
    read: bool,
    /// Its size, when it may be parsed ahead (a regular file of at most
    /// `ahead::MAX_AHEAD_PAGE` bytes, in a folder on disk).
    ahead: Option<u64>,
}

enum Current {
    /// A page: its link is asked for at its end.
    Html(usize, Box<Reader<Box<dyn BufRead + Send>>>),
    /// A page parsed ahead: its items left, and its link.
    Parsed(usize, std::vec::IntoIter<Result<Post>>, Option<String>),
    /// A page handed out as a task: how it ended, once read.
    Task(usize, Handle),
}

impl Folder {
    /// Reads the pages of `dir` with `options` (encoding, …).
    pub fn new(dir: PathBuf, options: ReadOptions, notes: Notes) -> Folder {
        Folder::with_threads(dir, options, notes, read::threads())
    }

    /// [`Folder::new`] with `threads` workers parsing pages ahead (1: none).
    pub(crate) fn with_threads(
        dir: PathBuf,
        options: ReadOptions,
        notes: Notes,
        threads: usize,
    ) -> Folder {
        Folder {
            dir,
            zip: None,
            options,
            notes,
            pages: None,
            current: None,
            next: None,
            chain_over: false,
            issues: Vec::new(),
            threads,
            ahead: None,
            tasks: false,
            to_hand: VecDeque::new(),
            guessed: None,
            pending: VecDeque::new(),
            done: false,
        }
    }

    /// The folder as the conversion pipeline reads it: with more than one
    /// worker thread, each page on disk of at most 4 MiB is one
    /// [`Pending::Page`] item, a task the pipeline's workers run ([`task`]);
    /// the other items are posts and rejections, as [`Folder`] yields them.
    pub(crate) fn tasks(mut self) -> Tasks {
        self.tasks = true;
        Tasks(self)
    }

    /// Reads the pages of the folder `folder` (`ChatExport/`) of a zip
    /// archive, as [`Folder::new`] reads a folder on disk.
    pub fn in_zip(
        archive: Arc<zip::Archive>,
        folder: String,
        options: ReadOptions,
        notes: Notes,
    ) -> Folder {
        let dir = PathBuf::from(Position::member(archive.name(), &folder));
        Folder { zip: Some((archive, folder)), ..Folder::new(dir, options, notes) }
    }

    /// The names of the folder's files.
    fn file_names(&self) -> Result<Vec<String>> {
        if let Some((archive, folder)) = &self.zip {
            return Ok(archive.files_in(folder));
        }
        let name = Position::name_of(&self.dir);
        let entries = std::fs::read_dir(&self.dir).map_err(|e| crate::Error::io(&name, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| crate::Error::io(&name, e))?;
            if let Some(file) = entry.file_name().to_str() {
                files.push(file.to_owned());
            }
        }
        Ok(files)
    }

    /// Lists the folder and picks the first page of the chain.
    fn list(&mut self) -> Result<()> {
        let mut pages = Vec::new();
        for file in self.file_names()? {
            if let Some(number) = page_number(&file) {
                pages.push(Page { number, name: file, read: false, ahead: None });
            }
        }
        if self.threads > 1 && self.zip.is_none() && pages.len() > 1 {
            for page in &mut pages {
                let size = std::fs::metadata(self.dir.join(&page.name))
                    .ok()
                    .filter(|m| m.is_file() && m.len() <= ahead::MAX_AHEAD_PAGE)
                    .map(|m| m.len());
                page.ahead = size;
            }
            if !self.tasks {
                self.ahead = Some(Ahead::new(self.threads));
            }
        }
        pages.sort_by(|a, b| (a.number, &a.name).cmp(&(b.number, &b.name)));
        self.next = pages.iter().position(|p| p.name == "messages.html");
        if self.next.is_none() && !pages.is_empty() {
            self.next = Some(0);
            if let Some(first) = pages.first() {
                self.issues.push(format!("no messages.html: reading starts at {}", first.name));
            }
        }
        self.pages = Some(pages);
        Ok(())
    }

    /// Where the page `from` (an index) links to: the next page of the
    /// chain, or `None` with the reason noted.
    fn follow(&mut self, from: usize, link: Option<&str>) -> Option<usize> {
        let pages = self.pages.as_ref()?;
        let from_name = pages.get(from).map(|p| p.name.clone()).unwrap_or_default();
        let link = link?;
        let Some(target) = link_file(link) else {
            self.issues.push(format!(
                "{from_name} links to `{link}`, not a page of this folder: not followed"
            ));
            return None;
        };
        match pages.iter().position(|p| p.name == target) {
            None => {
                self.issues
                    .push(format!("{from_name} links to {target}, which is not in the folder"));
                None
            }
            Some(i) if pages.get(i).is_some_and(|p| p.read) => {
                self.issues
                    .push(format!("{from_name} links back to {target} (a cycle): not followed"));
                None
            }
            Some(i) => Some(i),
        }
    }

    /// The chain has ended: the pages it did not reach come next, in order.
    fn end_chain(&mut self) {
        self.chain_over = true;
        let Some(pages) = &self.pages else { return };
        let left: Vec<&str> = pages.iter().filter(|p| !p.read).map(|p| p.name.as_str()).collect();
        if !left.is_empty() {
            self.issues.push(format!(
                "not reached by the links, so read last in page order: {}",
                left.join(", ")
            ));
        }
    }

    /// Opens page `i`; an error is yielded and the page skipped.
    fn open(&mut self, i: usize) {
        let Some(page) = self.pages.as_mut().and_then(|p| p.get_mut(i)) else { return };
        page.read = true;
        let name = page.name.clone();
        let path = self.dir.join(&name);
        // A wrong guess is dropped here: its worker drops the page.
        let guessed = self.guessed.take();
        if let Some(bytes) = page.ahead.filter(|_| self.tasks) {
            let handle = match guessed {
                Some((j, handle)) if j == i => handle,
                _ => self.hand_out(i, bytes),
            };
            self.current = Some(Current::Task(i, handle));
            self.guess_after(i);
            return;
        }
        if let Some(parsed) = self.parsed_ahead(i) {
            ahead::absorb(&self.notes, &parsed.notes);
            let Parsed { items, opened, link, .. } = parsed;
            if opened {
                self.current = Some(Current::Parsed(i, items.into_iter(), link));
            } else {
                self.pending.extend(items);
            }
            return;
        }
        // Every page of the folder is a page: sniffing would read a page
        // that is damaged at its start as a text dump.
        let options = ReadOptions { format: Some(Format::TdesktopHtml), ..self.options.clone() };
        let opened = match &self.zip {
            Some((archive, folder)) => {
                let member = format!("{folder}{name}");
                let name = Position::member(archive.name(), &member);
                archive
                    .open_member(&member)
                    .map_err(|e| Error::io(&name, e))
                    .and_then(|raw| read::open_stream(raw, name, &options, &self.notes))
            }
            None => read::open_found(&path, &options, &self.notes),
        };
        match opened {
            Ok(input) => {
                let reader = Reader::new(input.reader, input.name, self.notes.clone());
                self.current = Some(Current::Html(i, Box::new(reader)));
            }
            Err(e) => self.pending.push_back(Err(e.skipping("page"))),
        }
    }

    /// Hands out page `i` (of `bytes` bytes) as a task.
    fn hand_out(&mut self, i: usize, bytes: u64) -> Handle {
        let name = self.pages.as_ref().and_then(|p| p.get(i)).map(|p| p.name.as_str());
        let path = self.dir.join(name.unwrap_or_default());
        // Every page of the folder is a page (see `open`).
        let options = ReadOptions { format: Some(Format::TdesktopHtml), ..self.options.clone() };
        let (task, handle) = PageTask::new(path, options, bytes);
        self.to_hand.push_back(task);
        handle
    }

    /// Hands out, right after page `i`'s task, the page likely read after
    /// it: the next page not read in page order (the first one once the
    /// chain is over: that guess is always right).
    fn guess_after(&mut self, i: usize) {
        let Some(pages) = &self.pages else { return };
        let unread = |j: &usize| pages.get(*j).is_some_and(|p| !p.read);
        let guess = match self.chain_over {
            true => (0..pages.len()).find(unread),
            false => (i + 1..pages.len()).chain(0..i).find(unread),
        };
        let Some((j, bytes)) = guess.and_then(|j| Some((j, pages.get(j)?.ahead?))) else {
            return;
        };
        let handle = self.hand_out(j, bytes);
        self.guessed = Some((j, handle));
    }

    /// Page `i` parsed by a worker, when it may be parsed ahead; the
    /// workers are given the pages likely wanted after it first.
    fn parsed_ahead(&mut self, i: usize) -> Option<Parsed> {
        let (ahead, pages) = (self.ahead.as_mut()?, self.pages.as_ref()?);
        // Every page of the folder is a page: sniffing would read a page
        // that is damaged at its start as a text dump.
        let options = ReadOptions { format: Some(Format::TdesktopHtml), ..self.options.clone() };
        let dir = &self.dir;
        let job = |j: usize| {
            let page = pages.get(j)?;
            let bytes = page.ahead.filter(|_| !page.read)?;
            Some((j, dir.join(&page.name), bytes))
        };
        // The page wanted now (`read` is already set on it).
        let must = pages.get(i).and_then(|p| Some((i, dir.join(&p.name), p.ahead?)));
        // After it, the pages after it in page order, then those before.
        let after = (i + 1..pages.len()).chain(0..i).filter_map(job);
        ahead.fill(must, after, &options);
        let parsed = ahead.take(i);
        // The budget `i` held is free again: give out one more.
        let after = (i + 1..pages.len()).chain(0..i).filter_map(job);
        ahead.fill(None, after, &options);
        parsed
    }

    fn finish(&mut self) {
        self.done = true;
        self.guessed = None;
        if !self.issues.is_empty() {
            self.notes.say(&Position::name_of(&self.dir), "pages", self.issues.join("; "));
        }
    }
}

impl Folder {
    /// Page `i` has been read to its end: its link decides what comes next,
    /// while the chain lasts.
    fn page_done(&mut self, i: usize, link: Option<&str>) {
        if !self.chain_over {
            self.next = self.follow(i, link);
            if self.next.is_none() {
                self.end_chain();
            }
        }
    }
}

impl Folder {
    /// The next post or rejection; `None` at the end, or when a page task
    /// is to be handed out first (`task`, only with [`Folder::tasks`]).
    fn step(&mut self) -> Option<Result<Post>> {
        loop {
            if !self.to_hand.is_empty() {
                return None;
            }
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            if self.pages.is_none() {
                if let Err(e) = self.list() {
                    self.pages = Some(Vec::new());
                    self.done = true;
                    return Some(Err(e));
                }
            }
            match &mut self.current {
                Some(Current::Html(i, reader)) => {
                    if let Some(item) = reader.next() {
                        return Some(item.map_err(|e| e.skipping("page")));
                    }
                    let (i, link) = (*i, reader.next_page().map(str::to_owned));
                    self.current = None;
                    self.page_done(i, link.as_deref());
                }
                Some(Current::Parsed(i, items, link)) => {
                    if let Some(item) = items.next() {
                        return Some(item);
                    }
                    let (i, link) = (*i, link.take());
                    self.current = None;
                    self.page_done(i, link.as_deref());
                }
                Some(Current::Task(i, handle)) => {
                    let (i, end) = (*i, handle.end.recv());
                    let Ok(PageEnd { opened, link, notes }) = end else {
                        // The task was dropped unread: the run is stopping.
                        self.done = true;
                        return None;
                    };
                    ahead::absorb(&self.notes, &notes);
                    let _ = handle.go.send(true);
                    self.current = None;
                    // Not opened: its error is its one item, and the chain
                    // ends, as when the page is opened here.
                    if opened {
                        self.page_done(i, link.as_deref());
                    }
                }
                None => {
                    let next = match self.next.take() {
                        Some(i) => Some(i),
                        None if !self.chain_over => {
                            // A chain that never started (no pages) or
                            // whose first page failed to open.
                            self.end_chain();
                            continue;
                        }
                        None => {
                            self.pages.as_ref().and_then(|pages| pages.iter().position(|p| !p.read))
                        }
                    };
                    match next {
                        Some(i) => self.open(i),
                        None => self.finish(),
                    }
                }
            }
        }
    }
}

impl Iterator for Folder {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        match self.step() {
            Some(item) => Some(item),
            // Never: only `Tasks` asks for tasks.
            None => self.to_hand.pop_front().map(|task| Err(task.misrouted())),
        }
    }
}

/// A [`Folder`] whose pages are handed out as tasks ([`Folder::tasks`]).
pub(crate) struct Tasks(Folder);

impl Iterator for Tasks {
    type Item = Result<Pending>;

    fn next(&mut self) -> Option<Result<Pending>> {
        match self.0.step() {
            Some(item) => Some(item.map(|post| Pending::Ready(Box::new(post)))),
            None => self.0.to_hand.pop_front().map(|task| Ok(Pending::Page(Box::new(task)))),
        }
    }
}

/// The chat folders of a full-account HTML export (`export_results.html`
/// with `chats/chat_NN/messages*.html`, tdesktop-export-format.md §1, §3.9)
/// in chat order, or `None` when `dir` is not one. Each chat folder is read
/// as a [`Folder`]; its pages' header names the chat, so every post carries
/// its own chat.
pub fn account_chats(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.join("export_results.html").is_file() {
        return None;
    }
    let mut chats: Vec<(u64, String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir.join("chats")).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(number) = name.strip_prefix("chat_").and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        let has_pages = std::fs::read_dir(&path).is_ok_and(|pages| {
            pages.flatten().any(|p| p.file_name().to_str().and_then(page_number).is_some())
        });
        if has_pages {
            chats.push((number, name, path));
        }
    }
    chats.sort();
    Some(chats.into_iter().map(|(_, _, path)| path).collect())
}

/// The file a pagination link names, if it is a page of the same folder
/// (`messages2.html`, `./messages2.html`, with or without a `#fragment`).
fn link_file(href: &str) -> Option<&str> {
    let href = href.split(['#', '?']).next().unwrap_or_default();
    let href = href.strip_prefix("./").unwrap_or(href);
    (page_number(href).is_some() && !href.contains(['/', '\\'])).then_some(href)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_pages_and_links() {
        assert_eq!(page_number("messages.html"), Some(1));
        assert_eq!(page_number("messages12.html"), Some(12));
        assert_eq!(page_number("messages_x.html"), None);
        assert_eq!(link_file("messages2.html"), Some("messages2.html"));
        assert_eq!(link_file("./messages2.html#go_to_message5"), Some("messages2.html"));
        assert_eq!(link_file("../other/messages2.html"), None);
        assert_eq!(link_file("https://t.me/x"), None);
        assert_eq!(link_file("lists/chats.html"), None);
    }

    /// Every item of the folder `dir` read with `threads` workers (as
    /// printed, positions and all), and what the run's notes hold after.
    fn read_with(dir: &Path, threads: usize) -> (Vec<String>, Vec<crate::account::FileReport>) {
        let notes = Notes::default();
        let folder =
            Folder::with_threads(dir.to_path_buf(), ReadOptions::default(), notes.clone(), threads);
        let items = folder.map(|item| format!("{item:?}")).collect();
        (items, notes.inputs())
    }

    /// Every item of the folder `dir` handed out as tasks with `threads`
    /// workers, each page task run on a thread of its own (as a pipeline
    /// worker runs it), and what the run's notes hold after; the number of
    /// tasks last.
    fn read_tasks(dir: &Path, threads: usize) -> ReadAsTasks {
        let notes = Notes::default();
        let folder =
            Folder::with_threads(dir.to_path_buf(), ReadOptions::default(), notes.clone(), threads);
        let mut items = Vec::new();
        for item in folder.tasks() {
            items.push(match item {
                Ok(Pending::Page(task)) => Err(std::thread::spawn(move || task.run())),
                item => Ok(format!("{:?}", item.and_then(Pending::resolve))),
            });
        }
        let tasks = items.iter().filter(|item| item.is_err()).count();
        let items = items.into_iter().flat_map(|item| match item {
            Ok(item) => vec![item],
            Err(task) => task.join().unwrap().iter().map(|item| format!("{item:?}")).collect(),
        });
        ((items.collect(), notes.inputs()), tasks)
    }

    type ReadAsTasks = ((Vec<String>, Vec<crate::account::FileReport>), usize);

    /// Pages parsed ahead on workers read exactly as pages read one after
    /// the other: the same items in the same order, the same notes, on
    /// every fixture folder (the reordered chain, the missing page and the
    /// cycle among them, where the guessed order is wrong).
    #[test]
    fn pages_parsed_ahead_read_as_pages_read_in_turn() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut folders = Vec::new();
        for parent in ["fixtures/tdesktop-html", "fixtures/corpus/tdesktop"] {
            for case in std::fs::read_dir(root.join(parent)).unwrap() {
                let case = case.unwrap().path();
                if !case.is_dir() {
                    continue;
                }
                folders.extend(account_chats(&case).unwrap_or_default());
                let pages = std::fs::read_dir(&case)
                    .unwrap()
                    .flatten()
                    .filter(|f| f.file_name().to_str().and_then(page_number).is_some());
                if pages.count() > 0 {
                    folders.push(case);
                }
            }
        }
        assert!(folders.len() >= 10, "{folders:?}");
        let (mut items, mut pages_as_tasks) = (0, 0);
        for dir in folders {
            let one = read_with(&dir, 1);
            items += one.0.len();
            for threads in [2, 3, 8] {
                assert!(read_with(&dir, threads) == one, "{dir:?} with {threads} threads");
                let (tasks, handed_out) = read_tasks(&dir, threads);
                assert!(tasks == one, "{dir:?} as tasks, {threads} threads");
                pages_as_tasks += handed_out;
            }
        }
        assert!(items > 4000, "{items}");
        assert!(pages_as_tasks > 30, "{pages_as_tasks}");
    }

    /// A bad page (empty, binary, not a page, a folder named like a page)
    /// is rejected alone with workers too, in the chain's order, and the
    /// link chain goes on from the pages that have a link.
    #[test]
    fn bad_pages_are_rejected_alone_with_workers() {
        let cycle =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tdesktop-html/pages-cycle");
        let good = std::fs::read_to_string(cycle.join("messages.html")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // messages → 5 → 3 → (2, empty: the chain ends) then 4, 6 in order.
        let link = |to: &str| good.replace("messages2.html", to);
        std::fs::write(dir.path().join("messages.html"), link("messages5.html")).unwrap();
        std::fs::write(dir.path().join("messages2.html"), "").unwrap();
        std::fs::write(dir.path().join("messages3.html"), link("messages2.html")).unwrap();
        std::fs::write(dir.path().join("messages4.html"), [0xFFu8, 0xFE, 0, 1, 2]).unwrap();
        std::fs::write(dir.path().join("messages5.html"), link("messages3.html")).unwrap();
        std::fs::create_dir(dir.path().join("messages6.html")).unwrap();
        std::fs::write(dir.path().join("messages7.html"), "<html><p>hi</p></html>").unwrap();
        let one = read_with(dir.path(), 1);
        let rejected = one.0.iter().filter(|i| i.starts_with("Err")).count();
        assert_eq!(rejected, 4, "{:#?}", one.0);
        assert!(one.0.iter().any(|i| i.contains("this page is skipped")), "{:#?}", one.0);
        for threads in [2, 4] {
            assert!(read_with(dir.path(), threads) == one, "{threads} threads");
            // 1, 2, 3, 4, 5 and 7 as tasks, and two wrong guesses (2 after
            // 1, 4 after 3) handed out and dropped.
            let (tasks, handed_out) = read_tasks(dir.path(), threads);
            assert!(tasks == one, "as tasks, {threads} threads: {:#?}", tasks.0);
            assert_eq!(handed_out, 8, "{threads} threads");
        }
    }
}
