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

use super::Reader;
use crate::error::{Error, Position, Result};
use crate::format::tdesktop_html::page_number;
use crate::model::Post;
use crate::read::{self, zip, Format, Notes, ReadOptions};
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
    /// An error to yield before going on (listing or opening failed).
    pending: VecDeque<Result<Post>>,
    done: bool,
}

struct Page {
    number: u64,
    name: String,
    read: bool,
}

enum Current {
    /// A page: its link is asked for at its end.
    Html(usize, Box<Reader<Box<dyn BufRead + Send>>>),
}

impl Folder {
    /// Reads the pages of `dir` with `options` (encoding, …).
    pub fn new(dir: PathBuf, options: ReadOptions, notes: Notes) -> Folder {
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
            pending: VecDeque::new(),
            done: false,
        }
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
                pages.push(Page { number, name: file, read: false });
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
        let path = self.dir.join(&page.name);
        // Every page of the folder is a page: sniffing would read a page
        // that is damaged at its start as a text dump.
        let options = ReadOptions { format: Some(Format::TdesktopHtml), ..self.options.clone() };
        let opened = match &self.zip {
            Some((archive, folder)) => {
                let member = format!("{folder}{}", page.name);
                let name = Position::member(archive.name(), &member);
                archive
                    .open_member(&member)
                    .map_err(|e| Error::io(&name, e))
                    .and_then(|raw| read::open_stream(raw, name, &options, &self.notes))
            }
            None => read::open(&path, &options, &self.notes),
        };
        match opened {
            Ok(input) => {
                let reader = Reader::new(input.reader, input.name, self.notes.clone());
                self.current = Some(Current::Html(i, Box::new(reader)));
            }
            Err(e) => self.pending.push_back(Err(e.skipping("page"))),
        }
    }

    fn finish(&mut self) {
        self.done = true;
        if !self.issues.is_empty() {
            self.notes.say(&Position::name_of(&self.dir), "pages", self.issues.join("; "));
        }
    }
}

impl Iterator for Folder {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        loop {
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
                    if !self.chain_over {
                        self.next = self.follow(i, link.as_deref());
                        if self.next.is_none() {
                            self.end_chain();
                        }
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
}
