//! Posts → an HTML archive in Telegram Desktop's structure and classes
//! (tdesktop-export-format.md §3), readable in a browser with no network.
//!
//! Two targets:
//! - **a folder** ([`Writer::to_folder`], `tgnorm … --to tdesktop-html -o
//!   DIR`): pages of [`PER_PAGE`] messages, `messages.html`,
//!   `messages2.html`, … with pagination links, plus `css/style.css` and
//!   `js/script.js` (tgnorm's own, bundled with `include_str!`). Media paths
//!   stay relative to the export root, so the pages show the files when they
//!   sit next to the export's media folders. Posts of several chats make a
//!   full-account export instead (see `account`): `export_results.html`,
//!   `lists/chats.html` and each chat's pages in `chats/chat_N/`.
//! - **one stream** ([`Writer::new`], standard output): a single page with
//!   every message and the stylesheet and script inlined (one page holds one
//!   chat's header: posts of several chats are all on it, noted in the
//!   summary).
//!
//! Everything from a post is escaped (§3.2), and links whose scheme could
//! run code (`javascript:`, `vbscript:`, `data:`) are neutralised as
//! `unsafe:…`, which browsers do not follow and tgnorm's reader undoes. The
//! only `<script>` elements are the page's own.
//!
//! What the markup has no place for (sender ids, `edited`, views, file
//! sizes, …) is not written; `read(write(posts))` gives the posts back up to
//! those fields. Service messages carry their date as a `title` on the body,
//! which Telegram Desktop leaves out.
//!
//! **What the page needs and the source may lack** (text dumps have no id,
//! date, sender or chat name). Nothing is made up without a rule, and each
//! rule is counted in the run summary:
//! - *id*: every message needs one (`message-id`). A post without one gets
//!   the largest id written so far in its chat plus one (so ids number the
//!   posts in input order, from 1, when the source has none).
//! - *chat name* (the page header): the chat's name; for Saved Messages,
//!   Replies and Verification Codes Telegram Desktop's own names for them
//!   (`Saved messages`, …); else `@username`, else its id, else the name of
//!   the input file the posts came from (noted in the summary).
//! - *sender*: a dated message that is not `joined` needs a `from_name`. A
//!   post without a sender is shown as sent by its chat (the header name), as
//!   Telegram Desktop shows channel posts, when the chat is a channel or of
//!   unknown type (text dumps and web pages are channels); in a chat known
//!   to be a group or a private chat it is shown as `Deleted Account`,
//!   Telegram Desktop's words for a sender it cannot name (read back as a
//!   sender without a name, as the `result.json` writer writes `"from":
//!   null`).
//! - *date*: never made up. A service message whose source showed only
//!   its day (`extra.date_day`, from a page's date separator) gets that
//!   day's date separator before it and no time; one with no day at all
//!   gets no separator. A message without a date is written as
//!   `div.message.undated` (tgnorm's class, not Telegram Desktop's: its
//!   messages always have a date) with no date element and no date
//!   separator; it reads back as a message without a date.
//! - *unsupported posts*: Telegram Desktop's "not supported by this version"
//!   sentence only for its own unsupported messages; a post a web page or a
//!   dump could not show keeps its placeholder media (`Not supported by the
//!   source of this archive.`, with the source's label as the title).

mod account;

use crate::account::{ChatReport, Notes};
use crate::error::{Error, Result};
use crate::format::tdesktop_html::separator_text;
use crate::model::{Kind, Media, MediaStatus, Post, Service, Span};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What Telegram Desktop shows for a message it cannot export.
pub const UNSUPPORTED: &str =
    "This message is not supported by this version of Telegram Desktop. Please update the application.";

/// Messages per page, as Telegram Desktop writes them.
pub const PER_PAGE: usize = 1000;

const CSS: &str = include_str!("assets/style.css");
const JS: &str = include_str!("assets/script.js");

/// Where pages go.
enum Target<W: Write> {
    /// One stream, one page.
    Stream(W),
    /// A folder of pages; `W` is handed back by `finish`.
    Folder { dir: PathBuf, out: W },
}

/// Which chat a post belongs to: its chat id, else its chat name and
/// username together (two channels may share a title, never a username;
/// two chats of one name in a Telegram Desktop HTML export have their own
/// folders), else (sources that do not name the chat, such as text dumps) its input
/// file.
#[derive(Clone, PartialEq, Eq, Hash)]
enum ChatKey {
    Id(String),
    /// `folder`: [`crate::clean::chat_folder`], for Telegram Desktop pages.
    Named {
        name: Option<String>,
        username: Option<String>,
        folder: Option<String>,
    },
    File(String),
}

impl ChatKey {
    fn of(post: &Post) -> ChatKey {
        let chat = post.chat.as_ref();
        if let Some(id) = chat.and_then(|c| c.id.clone()) {
            ChatKey::Id(id)
        } else if let Some(c) = chat.filter(|c| c.name.is_some() || c.username.is_some()) {
            let folder = crate::clean::chat_folder(post).map(str::to_owned);
            ChatKey::Named { name: c.name.clone(), username: c.username.clone(), folder }
        } else {
            ChatKey::File(post.source.file.clone())
        }
    }
}

/// One chat's pages and what carries over from page to page.
struct Pages {
    /// The folder of its pages under the output folder: empty at the root
    /// (a single-chat export), `chats/chat_N` in a full-account export.
    folder: String,
    /// The header name.
    name: String,
    /// The page being written (1-based); 0 before the first.
    page: u32,
    on_page: usize,
    /// Date separators written so far (their ids count down across pages).
    separators: i64,
    last_day: Option<(u32, u32, u32)>,
    /// The previous message on the page, for `joined` runs.
    run: Option<Run>,
    /// Smallest and largest id on each finished page, for reply links.
    pages: Vec<(i64, i64)>,
    page_ids: Option<(i64, i64)>,
    /// The largest id written, for posts without one.
    last_id: Option<i64>,
    /// Posts written.
    messages: u64,
    /// The open page file, while this chat is the one being written.
    file: Option<BufWriter<File>>,
}

impl Pages {
    fn new(folder: String, name: String) -> Pages {
        Pages {
            folder,
            name,
            page: 0,
            on_page: 0,
            separators: 0,
            last_day: None,
            run: None,
            pages: Vec::new(),
            page_ids: None,
            last_id: None,
            messages: 0,
            file: None,
        }
    }

    /// The way from a page up to the export root.
    fn up(&self) -> &'static str {
        if self.folder.is_empty() {
            ""
        } else {
            "../../"
        }
    }

    fn page_path(&self, dir: &Path, page: u32) -> PathBuf {
        dir.join(&self.folder).join(page_file(page))
    }
}

/// What was derived because the source lacked it, for the summary.
#[derive(Default)]
struct Derived {
    ids: u64,
    senders: u64,
    undated: u64,
    chat_names: Vec<String>,
}

/// Writes posts as Telegram Desktop HTML.
pub struct Writer<W: Write> {
    target: Target<W>,
    name: String,
    /// The chat being written.
    cur: Pages,
    cur_index: usize,
    /// Every chat by its number; the current one's slot is empty.
    parked: Vec<Option<Pages>>,
    keys: HashMap<ChatKey, usize>,
    assets: bool,
    html: String,
    notes: Option<Notes>,
    derived: Derived,
}

#[derive(Clone, PartialEq)]
struct Run {
    from: Option<String>,
    via: Option<String>,
    forward: Option<String>,
    day: (u32, u32, u32),
    seconds: i64,
}

impl<W: Write> Writer<W> {
    /// One page with everything, stylesheet and script inlined, to `out`.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer::with_target(Target::Stream(out), name)
    }

    /// Pages, `css/` and `js/` into the folder `dir` (created if missing);
    /// `out` is only handed back by [`Writer::finish`].
    pub fn to_folder(dir: PathBuf, out: W, name: String) -> Writer<W> {
        Writer::with_target(Target::Folder { dir, out }, name)
    }

    fn with_target(target: Target<W>, name: String) -> Writer<W> {
        Writer {
            target,
            name,
            cur: Pages::new(String::new(), String::new()),
            cur_index: 0,
            parked: Vec::new(),
            keys: HashMap::new(),
            assets: false,
            html: String::with_capacity(8192),
            notes: None,
            derived: Derived::default(),
        }
    }

    /// The run's notes, where the summary learns what was derived.
    pub fn set_notes(&mut self, notes: Notes) {
        self.notes = Some(notes);
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(self.name.clone(), e)
    }

    fn dir(&self) -> Option<&Path> {
        match &self.target {
            Target::Folder { dir, .. } => Some(dir),
            Target::Stream(_) => None,
        }
    }

    fn flush_html(&mut self) -> Result<()> {
        let result = match &mut self.target {
            Target::Stream(w) => w.write_all(self.html.as_bytes()),
            Target::Folder { .. } => match &mut self.cur.file {
                Some(f) => f.write_all(self.html.as_bytes()),
                None => Ok(()),
            },
        };
        self.html.clear();
        result.map_err(|e| self.io(e))
    }

    /// Flushes and closes the current chat's page file (its page stays
    /// open: the footer is written when the chat ends).
    fn park_file(&mut self) -> Result<()> {
        self.flush_html()?;
        if let Some(mut f) = self.cur.file.take() {
            f.flush().map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    /// Makes the chat of `post` the current one (folder target): a new chat
    /// gets its own pages, and a second chat turns the export into a
    /// full-account one.
    fn select_chat(&mut self, post: &Post) -> Result<()> {
        let key = ChatKey::of(post);
        if let Some(&i) = self.keys.get(&key) {
            return self.switch_to(i);
        }
        let i = self.parked.len();
        let name = header_name(post, &mut self.derived);
        self.keys.insert(key, i);
        if i == 0 {
            self.cur = Pages::new(String::new(), name);
            self.parked.push(None);
            return Ok(());
        }
        if i == 1 {
            self.promote_first()?;
        }
        self.parked.push(Some(Pages::new(account::chat_folder(i), name)));
        self.switch_to(i)
    }

    /// Parks the current chat and resumes chat `index` (its last page
    /// reopened to append to it).
    fn switch_to(&mut self, index: usize) -> Result<()> {
        if index == self.cur_index {
            return Ok(());
        }
        let Some(next) = self.parked.get_mut(index).and_then(Option::take) else {
            return Ok(());
        };
        self.park_file()?;
        let old = std::mem::replace(&mut self.cur, next);
        if let Some(slot) = self.parked.get_mut(self.cur_index) {
            *slot = Some(old);
        }
        self.cur_index = index;
        if self.cur.page > 0 {
            self.reopen()?;
        }
        Ok(())
    }

    /// Reopens the current chat's last page to append to it.
    fn reopen(&mut self) -> Result<()> {
        let Some(dir) = self.dir() else { return Ok(()) };
        let path = self.cur.page_path(dir, self.cur.page);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        self.cur.file = Some(BufWriter::with_capacity(1 << 16, file));
        Ok(())
    }

    /// The first chat (the current one when the second arrives), written
    /// at the root, moves to `chats/chat_1/` ([`account::relocate`]); its
    /// last page is reopened there when it is written to again.
    fn promote_first(&mut self) -> Result<()> {
        let Some(dir) = self.dir().map(Path::to_path_buf) else { return Ok(()) };
        self.park_file()?;
        let folder = account::chat_folder(0);
        account::relocate(&dir, &folder, self.cur.page)?;
        self.cur.folder = folder;
        Ok(())
    }

    fn start_assets(&mut self) -> Result<()> {
        if self.assets {
            return Ok(());
        }
        self.assets = true;
        if let Some(dir) = self.dir() {
            write_assets(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        }
        Ok(())
    }

    fn open_page(&mut self) -> Result<()> {
        let p = &mut self.cur;
        p.page += 1;
        p.on_page = 0;
        p.run = None;
        p.last_day = None;
        p.page_ids = None;
        let folder = matches!(self.target, Target::Folder { .. });
        if let Target::Folder { dir, .. } = &self.target {
            let path = p.page_path(dir, p.page);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| Error::io(parent.display().to_string(), e))?;
            }
            let file = File::create(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
            p.file = Some(BufWriter::with_capacity(1 << 16, file));
        }
        let up = p.up();
        let h = &mut self.html;
        h.push_str("<!DOCTYPE html>\n<html>\n\n <head>\n\n  <meta charset=\"utf-8\"/>\n<title>Exported Data</title>\n  <meta content=\"width=device-width, initial-scale=1.0\" name=\"viewport\"/>\n\n");
        if folder {
            let _ = write!(h, "  <link href=\"{up}css/style.css\" rel=\"stylesheet\"/>\n\n  <script src=\"{up}js/script.js\" type=\"text/javascript\">\n\n  </script>\n\n");
        } else {
            let _ = write!(h, "  <style>\n{CSS}  </style>\n\n  <script type=\"text/javascript\">\n{JS}  </script>\n\n");
        }
        h.push_str(" </head>\n\n <body onload=\"CheckLocation();\">\n\n  <div class=\"page_wrap\">\n\n   <div class=\"page_header\">\n");
        let link = !p.folder.is_empty();
        h.push_str(if link { account::HEADER_LINK } else { "\n    <div class=\"content\">\n" });
        h.push_str("\n     <div class=\"text bold\">\n");
        esc(&p.name, h);
        h.push_str("\n     </div>\n");
        h.push_str(if link { "\n    </a>\n" } else { "\n    </div>\n" });
        h.push_str("\n   </div>\n\n   <div class=\"page_body chat_page\">\n\n    <div class=\"history\">\n");
        if p.page > 1 {
            let _ = write!(
                h,
                "\n     <a class=\"pagination block_link\" href=\"{}\">\nPrevious messages\n     </a>\n",
                page_file(p.page - 1)
            );
        }
        self.flush_html()
    }

    fn close_page(&mut self, next: bool) -> Result<()> {
        if next {
            let _ = write!(
                self.html,
                "\n     <a class=\"pagination block_link\" href=\"{}\">\nNext messages\n     </a>\n",
                page_file(self.cur.page + 1)
            );
        }
        self.html.push_str("\n    </div>\n\n   </div>\n\n  </div>\n\n </body>\n\n</html>\n");
        self.flush_html()?;
        let ids = self.cur.page_ids.take().unwrap_or((i64::MAX, i64::MIN));
        self.cur.pages.push(ids);
        if let Some(mut f) = self.cur.file.take() {
            f.flush().map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    /// Writes one post.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        let stream = matches!(self.target, Target::Stream(_));
        if stream {
            if self.parked.is_empty() {
                self.parked.push(None);
                self.cur.name = header_name(post, &mut self.derived);
                self.keys.insert(ChatKey::of(post), 0);
            } else if !self.keys.contains_key(&ChatKey::of(post)) {
                // One page, one header: counted, noted at the end.
                let n = self.keys.len();
                self.keys.insert(ChatKey::of(post), n);
            }
        } else {
            self.select_chat(post)?;
        }
        if self.cur.page == 0 {
            self.start_assets()?;
            self.open_page()?;
        } else if !stream && self.cur.on_page >= PER_PAGE {
            self.close_page(true)?;
            self.open_page()?;
        }
        self.cur.on_page += 1;
        self.cur.messages += 1;
        let id = match post.id {
            Some(id) => id,
            None => {
                self.derived.ids += 1;
                self.cur.last_id.map_or(1, |last| last.saturating_add(1))
            }
        };
        self.cur.last_id = Some(self.cur.last_id.map_or(id, |last| last.max(id)));
        let (lo, hi) = self.cur.page_ids.unwrap_or((id, id));
        self.cur.page_ids = Some((lo.min(id), hi.max(id)));
        // A date whose offset the reader assumed goes back as the source
        // had it: a title without ` UTC±hh:mm`.
        let date = post.source.local_date("date").or(post.date.as_deref()).and_then(Date::parse);
        let day = date.as_ref().map(Date::day).or_else(|| known_day(post));
        if let Some(day) = day {
            self.separator(day);
        }
        self.message(post, id, date.as_ref());
        if self.html.len() >= 1 << 16 {
            self.flush_html()?;
        }
        Ok(())
    }

    /// A date separator when `day` is not the day of the one before (and at
    /// the top of each page).
    fn separator(&mut self, day: (u32, u32, u32)) {
        if self.cur.last_day == Some(day) {
            return;
        }
        self.cur.last_day = Some(day);
        self.cur.separators += 1;
        let (y, m, d) = day;
        let _ = write!(
            self.html,
            "\n     <div class=\"message service\" id=\"message-{}\">\n\n      <div class=\"body details\">\n{}\n      </div>\n\n     </div>\n",
            self.cur.separators,
            separator_text(y, m, d),
        );
    }

    fn message(&mut self, post: &Post, id: i64, date: Option<&Date>) {
        match post.kind {
            Kind::Service if !is_call(post) => self.service(post, id, date),
            // Telegram Desktop's own form is a service sentence; one that
            // says more (a sender, a forward, placeholders) is written as a
            // default message with the sentence as its text. A post whose
            // source showed a placeholder keeps the placeholder instead.
            Kind::Unsupported if shown_by_source(post) => self.default_message(post, id, date),
            Kind::Unsupported
                if post.from.is_none()
                    && post.forwarded_from.is_none()
                    && post.reply_to.is_none()
                    && post.media.is_empty() =>
            {
                self.cur.run = None;
                self.open_service(id, date);
                self.html.push_str(UNSUPPORTED);
                self.close_service();
            }
            Kind::Unsupported => {
                let mut shown = post.clone();
                shown.text = crate::model::Text::plain(UNSUPPORTED);
                self.default_message(&shown, id, date);
            }
            _ => self.default_message(post, id, date),
        }
    }

    /// Closes every chat's last page (or writes an empty one), writes the
    /// full-account pages when there are several chats, flushes, and returns
    /// the inner writer.
    pub fn finish(mut self) -> Result<W> {
        if self.parked.is_empty() {
            self.start_assets()?;
            self.open_page()?;
            self.html.push_str("\n     <div class=\"message service\" id=\"message-1\">\n\n      <div class=\"body details\">\nNo exported messages\n      </div>\n\n     </div>\n");
        }
        self.close_page(false)?;
        let folder = matches!(self.target, Target::Folder { .. });
        let chats = self.parked.len();
        if folder {
            for i in 0..chats {
                let Some(mut pages) = self.parked.get_mut(i).and_then(Option::take) else {
                    continue;
                };
                std::mem::swap(&mut self.cur, &mut pages);
                self.reopen()?;
                self.close_page(false)?;
                std::mem::swap(&mut self.cur, &mut pages);
                if let Some(slot) = self.parked.get_mut(i) {
                    *slot = Some(pages);
                }
            }
            if chats > 1 {
                if let Some(slot) = self.parked.get_mut(self.cur_index) {
                    *slot = Some(std::mem::replace(
                        &mut self.cur,
                        Pages::new(String::new(), String::new()),
                    ));
                }
                let chats: Vec<(&str, u64)> =
                    self.parked.iter().flatten().map(|p| (p.name.as_str(), p.messages)).collect();
                if let Some(dir) = self.dir() {
                    account::write_index(dir, &chats)?;
                }
            }
        }
        self.tell_summary(chats);
        let name = self.name.clone();
        match self.target {
            Target::Stream(mut w) => {
                w.flush().map_err(|e| Error::io(name, e))?;
                Ok(w)
            }
            Target::Folder { out, .. } => Ok(out),
        }
    }

    /// What was derived, and a stream page holding several chats, as notes.
    fn tell_summary(&self, chats: usize) {
        let Some(notes) = &self.notes else { return };
        let d = &self.derived;
        let mut said = Vec::new();
        let stream = matches!(self.target, Target::Stream(_));
        let written_chats = if stream { self.keys.len() } else { chats };
        notes.output(&self.name, |r| {
            r.format = Some("tdesktop-html");
            r.counters.html_ids_numbered += d.ids;
            r.counters.html_senders_derived += d.senders;
            r.counters.html_undated += d.undated;
            if written_chats > 0 {
                let count = Some(written_chats as u64);
                r.chats = Some(ChatReport { count, ..ChatReport::default() });
            }
        });
        if d.ids > 0 {
            said.push(format!("{} posts without an id numbered in input order", d.ids));
        }
        if d.senders > 0 {
            said.push(format!("{} posts without a sender given one by rule", d.senders));
        }
        if d.undated > 0 {
            said.push(format!("{} posts without a date written undated", d.undated));
        }
        if !d.chat_names.is_empty() {
            said.push(format!(
                "chat named after its input file (the source names none): {}",
                d.chat_names.join(", ")
            ));
        }
        let stream_chats = self.keys.len();
        if matches!(self.target, Target::Stream(_)) && stream_chats > 1 {
            said.push(format!(
                "{stream_chats} chats on one page under the first one's name (write with -o DIR to keep them apart)"
            ));
        } else if chats > 1 {
            said.push(format!(
                "{chats} chats: a full-account export (chats/chat_1 … chat_{chats})"
            ));
        }
        if !said.is_empty() {
            notes.output(&self.name, |r| r.say("tdesktop-html", said.join("; ")));
        }
    }

    fn open_service(&mut self, id: i64, date: Option<&Date>) {
        let h = &mut self.html;
        let _ = write!(h, "\n     <div class=\"message service\" id=\"message{id}\">\n\n      <div class=\"body details\"");
        if let Some(d) = date {
            let _ = write!(h, " title=\"{}\"", d.title());
        }
        h.push_str(">\n");
    }

    fn close_service(&mut self) {
        self.html.push_str("\n      </div>\n\n     </div>\n");
    }

    fn service(&mut self, post: &Post, id: i64, date: Option<&Date>) {
        self.cur.run = None;
        self.open_service(id, date);
        let link = |id: i64, this: &Self| this.reply_href(id);
        let mut body = String::new();
        let recognised = match &post.service {
            Some(s) => sentence(s, &|id| link(id, self), &mut body),
            None => false,
        };
        if !recognised || post.service.is_none() {
            body.clear();
            let text = post.text.to_plain_string();
            if text.is_empty() {
                let action = post.service.as_ref().and_then(|s| s.action.clone());
                let actor = post
                    .service
                    .as_ref()
                    .and_then(|s| s.actor.as_ref())
                    .and_then(|a| a.name.clone());
                let words = action.unwrap_or_else(|| "service message".into()).replace('_', " ");
                match actor {
                    Some(a) => esc(&format!("{a}: {words}"), &mut body),
                    None => esc(&words, &mut body),
                }
            } else {
                esc(&text, &mut body);
            }
        }
        self.html.push_str(&body);
        self.close_service();
    }

    /// `href` (and `onclick`) of a link to message `id` (§3.4: a target on
    /// an earlier page links to that page).
    fn reply_href(&self, id: i64) -> String {
        let earlier = self
            .cur
            .pages
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (lo, hi))| (*lo..=*hi).contains(&id))
            .map(|(i, _)| i as u32 + 1);
        let here = self.cur.page_ids.is_some_and(|(lo, _)| id >= lo);
        match earlier {
            Some(p) if !here && matches!(self.target, Target::Folder { .. }) => {
                format!("href=\"{}#go_to_message{id}\"", page_file(p))
            }
            _ => format!("href=\"#go_to_message{id}\" onclick=\"return GoToMessage({id})\""),
        }
    }

    /// Whether the message joins the run of the one before (and it starts
    /// or continues the run). Joined (§3.4, H:1746-1772): same sender, via
    /// and forward origin, same day, at most 900 s apart (1 s for
    /// forwards), not first on its page.
    fn joins(
        &mut self,
        post: &Post,
        date: Option<&Date>,
        from: &Option<String>,
        forward: &Option<String>,
    ) -> bool {
        let run = date.map(|d| Run {
            from: from.clone(),
            via: post.via_bot.clone(),
            forward: forward.clone(),
            day: d.day(),
            seconds: d.seconds(),
        });
        let joined = match (&self.cur.run, &run) {
            (Some(prev), Some(cur)) => {
                let gap = cur.seconds - prev.seconds;
                let limit = if cur.forward.is_some() { 1 } else { 900 };
                from.is_some()
                    && prev.from == cur.from
                    && prev.via == cur.via
                    && prev.forward == cur.forward
                    && prev.day == cur.day
                    && (0..=limit).contains(&gap)
            }
            _ => false,
        };
        self.cur.run = run;
        joined
    }

    fn default_message(&mut self, post: &Post, id: i64, date: Option<&Date>) {
        let mut from =
            post.from.as_ref().map(|f| f.name.clone().unwrap_or_else(|| "Deleted Account".into()));
        if from.is_none() && date.is_some() {
            // A dated message needs a sender (`from-name`).
            self.derived.senders += 1;
            from = Some(match post.chat.as_ref().and_then(|c| c.kind.as_deref()) {
                Some(kind) if !kind.ends_with("channel") => "Deleted Account".into(),
                _ => self.cur.name.clone(),
            });
        }
        if date.is_none() {
            self.derived.undated += 1;
        }
        let forward = post
            .forwarded_from
            .as_ref()
            .map(|f| f.name.clone().unwrap_or_else(|| "Deleted Account".into()));
        let joined = self.joins(post, date, &from, &forward);
        let mut h = std::mem::take(&mut self.html);
        h.push_str(if date.is_some() {
            "\n     <div class=\"message default clearfix"
        } else {
            "\n     <div class=\"message undated clearfix"
        });
        if joined {
            h.push_str(" joined");
        }
        let _ = writeln!(h, "\" id=\"message{id}\">");
        if !joined {
            if let Some(name) = &from {
                userpic(name, &mut h);
            }
        }
        h.push_str("\n      <div class=\"body\">\n");
        if let Some(d) = date {
            let _ = write!(
                h,
                "\n       <div class=\"pull_right date details\" title=\"{}\">\n{:02}:{:02}\n       </div>\n",
                d.title(),
                d.hh,
                d.mm
            );
        }
        if !joined {
            if let Some(name) = &from {
                h.push_str("\n       <div class=\"from_name\">\n");
                esc(name, &mut h);
                if post.forwarded_from.is_none() {
                    via(post.via_bot.as_deref(), &mut h);
                }
                h.push_str("\n       </div>\n");
            }
        }
        if let Some(fwd) = &post.forwarded_from {
            let name = forward.clone().unwrap_or_default();
            h.push_str("\n       <div class=\"pull_left forwarded userpic_wrap\">\n");
            initials_block(&name, &mut h);
            h.push_str("\n       </div>\n\n       <div class=\"forwarded body\">\n\n        <div class=\"from_name\">\n");
            esc(&name, &mut h);
            via(post.via_bot.as_deref(), &mut h);
            let fwd_date = post.source.local_date("forwarded_from_date").or(fwd.date.as_deref());
            if let Some(d) = fwd_date.and_then(Date::parse) {
                let _ = write!(
                    h,
                    "<span class=\"date details\" title=\"{}\"> {:02}.{:02}.{} {:02}:{:02}:{:02}</span>",
                    d.title(),
                    d.d,
                    d.m,
                    d.y,
                    d.hh,
                    d.mm,
                    d.ss
                );
            }
            h.push_str("\n        </div>\n");
        }
        self.html = h;
        self.content(post);
        let mut h = std::mem::take(&mut self.html);
        if post.forwarded_from.is_some() {
            h.push_str("\n       </div>\n");
        }
        reactions(post, self.cur.up(), &mut h);
        h.push_str("\n      </div>\n\n     </div>\n");
        self.html = h;
    }

    /// Reply, media, text, buttons and signature: inside the forwarded
    /// body for forwards (§3.4).
    fn content(&mut self, post: &Post) {
        if let Some(reply) = &post.reply_to {
            // A reply into another chat names no message of this one: its
            // id counts in the other chat (Telegram Desktop writes it so).
            let elsewhere = super::reply_elsewhere(post);
            let link = reply.message_id.filter(|_| !elsewhere).map(|id| self.reply_href(id));
            let h = &mut self.html;
            h.push_str("\n       <div class=\"reply_to details\">\n");
            match link {
                Some(l) => {
                    let _ = write!(h, "In reply to <a {l}>this message</a>");
                }
                None if elsewhere || reply.peer_id.is_some() => {
                    h.push_str("In reply to a message in another chat")
                }
                None => h.push_str("In reply to a message"),
            }
            h.push_str("\n       </div>\n");
        }
        let up = self.cur.up();
        let h = &mut self.html;
        let call = is_call(post);
        if !post.media.is_empty() || call {
            h.push_str("\n       <div class=\"media_wrap clearfix\">\n");
            for m in &post.media {
                media(m, up, h);
            }
            if call {
                if let Some(s) = &post.service {
                    call_block(post, s, h);
                }
            }
            h.push_str("\n       </div>\n");
        }
        if !post.text.is_empty() {
            h.push_str("\n       <div class=\"text\">\n");
            for span in &post.text.spans {
                text_span(span, up, h);
            }
            h.push_str("\n       </div>\n");
        }
        if let Some(Value::Array(rows)) = post.extra.get("inline_bot_buttons") {
            buttons(rows, h);
        }
        if let Some(author) = &post.author {
            h.push_str("\n       <div class=\"signature details\">\n");
            esc(author, h);
            h.push_str("\n       </div>\n");
        }
    }
}

/// True for an unsupported post whose source showed a placeholder (a web
/// page or a dump: `Please open Telegram to view this post`), not Telegram
/// Desktop's own sentence: it keeps its placeholder media.
fn shown_by_source(post: &Post) -> bool {
    post.media.iter().any(|m| m.status == MediaStatus::NotSupported)
}

/// The header name of the chat of `post` (see the module docs); a name
/// that is not the chat's own is remembered for the summary.
fn header_name(post: &Post, derived: &mut Derived) -> String {
    let chat = post.chat.as_ref();
    if let Some(name) = chat.and_then(|c| c.name.clone()).filter(|n| !n.trim().is_empty()) {
        return name;
    }
    // Telegram Desktop's names for the chats that have none (its chat
    // list, `NameString`).
    let own = match chat.and_then(|c| c.kind.as_deref()) {
        Some("saved_messages") => Some("Saved messages"),
        Some("replies") => Some("Replies"),
        Some("verification_codes") => Some("Verification Codes"),
        _ => None,
    };
    if let Some(own) = own {
        return own.to_owned();
    }
    let name = if let Some(user) = chat.and_then(|c| c.username.as_deref()) {
        format!("@{user}")
    } else if let Some(id) = chat.and_then(|c| c.id.clone()) {
        id
    } else {
        Path::new(&post.source.file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .filter(|f| !f.is_empty() && f != "-")
            .unwrap_or_else(|| "standard input".into())
    };
    derived.chat_names.push(name.clone());
    name
}

/// Where the HTML reader keeps the day a service message's date separator
/// shows when the page gives it no time (`"2023-03-12"`).
const DAY_KEY: &str = "date_day";

/// The day of a post that has no time: [`DAY_KEY`], or a `date` that is
/// a bare day. Its date separator comes back before it; no time is written.
fn known_day(post: &Post) -> Option<(u32, u32, u32)> {
    let day = post.extra.get(DAY_KEY).and_then(Value::as_str).or(post.date.as_deref());
    day.and_then(day_only)
}

/// The day of a date that has no time (`YYYY-MM-DD`).
fn day_only(s: &str) -> Option<(u32, u32, u32)> {
    let d = Date::parse(&format!("{s}T00:00:00")).filter(|_| s.len() == 10)?;
    Some(d.day())
}

/// `path` with `up` in front when it is a path inside the export (not a
/// URL, an absolute path or a fragment): pages in `chats/chat_N/` reach the
/// export root through `../../`.
fn local(up: &str, path: &str) -> String {
    if up.is_empty() || !account::is_local(path) {
        path.to_owned()
    } else {
        format!("{up}{path}")
    }
}

fn is_call(post: &Post) -> bool {
    post.kind == Kind::Service
        && post.service.as_ref().and_then(|s| s.action.as_deref()) == Some("phone_call")
}

fn page_file(page: u32) -> String {
    if page <= 1 {
        "messages.html".into()
    } else {
        format!("messages{page}.html")
    }
}

fn write_assets(dir: &std::path::Path) -> std::io::Result<()> {
    fs::create_dir_all(dir.join("css"))?;
    fs::create_dir_all(dir.join("js"))?;
    fs::write(dir.join("css/style.css"), CSS)?;
    fs::write(dir.join("js/script.js"), JS)
}

/// A post date, as the page shows it.
struct Date {
    y: u32,
    m: u32,
    d: u32,
    hh: u32,
    mm: u32,
    ss: u32,
    /// `+05:30`, or empty when the date has no offset.
    offset: String,
}

impl Date {
    /// RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.f][Z|±hh:mm]`).
    fn parse(s: &str) -> Option<Date> {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
        };
        let sep = |i: usize, c: u8| s.as_bytes().get(i) == Some(&c);
        if !(sep(4, b'-')
            && sep(7, b'-')
            && (sep(10, b'T') || sep(10, b' '))
            && sep(13, b':')
            && sep(16, b':'))
        {
            return None;
        }
        let mut rest = s.get(19..)?;
        if let Some(frac) = rest.strip_prefix('.') {
            rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        let offset = match rest {
            "" => String::new(),
            "Z" => "+00:00".into(),
            o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => o.to_owned(),
            _ => return None,
        };
        let date = Date {
            y: num(0..4)?,
            m: num(5..7)?,
            d: num(8..10)?,
            hh: num(11..13)?,
            mm: num(14..16)?,
            ss: num(17..19)?,
            offset,
        };
        ((1..=12).contains(&date.m) && (1..=31).contains(&date.d)).then_some(date)
    }

    /// `DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]` (§3.4).
    fn title(&self) -> String {
        let mut t = format!(
            "{:02}.{:02}.{:04} {:02}:{:02}:{:02}",
            self.d, self.m, self.y, self.hh, self.mm, self.ss
        );
        if !self.offset.is_empty() {
            t.push_str(" UTC");
            t.push_str(&self.offset);
        }
        t
    }

    fn day(&self) -> (u32, u32, u32) {
        (self.y, self.m, self.d)
    }

    /// Seconds since 1970 in local time (for gaps between messages).
    fn seconds(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m, d) = (i64::from(self.y), i64::from(self.m), i64::from(self.d));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146097 + doe - 719468;
        days * 86400 + i64::from(self.hh) * 3600 + i64::from(self.mm) * 60 + i64::from(self.ss)
    }
}

/// Telegram Desktop's `SerializeString` (§3.2): the five XML characters as
/// entities, newlines as `<br>`, other C0 controls as `&#xHH;`.
pub fn esc(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("<br>"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "&#x{:02X};", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// An attribute value: like [`esc`], with newlines as a character reference
/// (Telegram Desktop writes a raw `<br>`; a reference is valid and reads the same).
fn esc_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("&#x0A;"),
            c => {
                let mut b = [0u8; 4];
                esc(c.encode_utf8(&mut b), out);
            }
        }
    }
}

/// A link target that cannot run code: `javascript:`, `vbscript:` and
/// `data:` (in any case, with any whitespace or controls inside the scheme,
/// as browsers strip them) become `unsafe:…`.
pub fn safe_href(href: &str) -> String {
    let scheme: String = href
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    if ["javascript:", "vbscript:", "data:"].iter().any(|s| scheme.starts_with(s)) {
        format!("unsafe:{href}")
    } else {
        href.to_owned()
    }
}

fn href_attr(href: &str, out: &mut String) {
    out.push_str("href=\"");
    esc_attr(&safe_href(href), out);
    out.push('"');
}

fn via(bot: Option<&str>, h: &mut String) {
    if let Some(bot) = bot {
        h.push_str(" via @");
        esc(bot.trim_start_matches('@'), h);
    }
}

fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().and_then(|w| w.chars().next());
    let last = words.last().and_then(|w| w.chars().next());
    first.into_iter().chain(last).collect()
}

fn initials_block(name: &str, h: &mut String) {
    let color =
        name.bytes().fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b))) % 8 + 1;
    let _ = write!(
        h,
        "\n        <div class=\"userpic userpic{color}\" style=\"width: 42px; height: 42px\">\n\n         <div class=\"initials\" style=\"line-height: 42px\">\n"
    );
    esc(&initials(name), h);
    h.push_str("\n         </div>\n\n        </div>\n");
}

fn userpic(name: &str, h: &mut String) {
    h.push_str("\n      <div class=\"pull_left userpic_wrap\">\n");
    initials_block(name, h);
    h.push_str("\n      </div>\n");
}

/// One span of text (§3.6).
fn text_span(span: &Span, up: &str, h: &mut String) {
    let text = span.text.as_str();
    let Some(style) = &span.style else {
        esc(text, h);
        return;
    };
    let attr = |k: &str| style.attrs.get(k).and_then(Value::as_str);
    let wrap = |tag: &str, h: &mut String| {
        let _ = write!(h, "<{tag}>");
        esc(text, h);
        let _ = write!(h, "</{tag}>");
    };
    let link = |href: &str, h: &mut String| {
        h.push_str("<a ");
        href_attr(href, h);
        h.push('>');
        esc(text, h);
        h.push_str("</a>");
    };
    let call = |f: &str, h: &mut String| {
        // The argument is never read back (the link text is); keep it inert.
        let arg: String = text
            .chars()
            .skip(1)
            .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '@')
            .collect();
        let _ = write!(h, "<a href=\"\" onclick=\"return {f}(&quot;");
        esc(&arg, h);
        h.push_str("&quot;)\">");
        esc(text, h);
        h.push_str("</a>");
    };
    match style.kind.as_str() {
        "bold" => wrap("strong", h),
        "italic" => wrap("em", h),
        "underline" => wrap("u", h),
        "strikethrough" => wrap("s", h),
        "code" => wrap("code", h),
        "pre" => wrap("pre", h),
        "blockquote" => wrap("blockquote", h),
        "link" => link(text, h),
        "text_link" => link(attr("href").unwrap_or_default(), h),
        "mention" => link(&format!("https://t.me/{}", text.trim_start_matches('@')), h),
        "email" => link(&format!("mailto:{text}"), h),
        "phone" => link(&format!("tel:{text}"), h),
        "hashtag" => call("ShowHashtag", h),
        "cashtag" => call("ShowCashtag", h),
        "bot_command" => call("ShowBotCommand", h),
        "mention_name" => {
            h.push_str("<a href=\"\" onclick=\"return ShowMentionName()\">");
            esc(text, h);
            h.push_str("</a>");
        }
        "spoiler" => {
            h.push_str("<span class=\"spoiler hidden\" onclick=\"ShowSpoiler(this)\"><span aria-hidden=\"true\">");
            esc(text, h);
            h.push_str("</span></span>");
        }
        "custom_emoji" => match attr("document_id") {
            Some("(unavailable)") => {
                h.push_str("<a href=\"\" onclick=\"return ShowNotAvailableEmoji();\">");
                esc(text, h);
                h.push_str("</a>");
            }
            Some(path) if is_file_path(path) => {
                h.push_str("<a href = \"");
                esc_attr(&local(up, path), h);
                h.push_str("\">");
                esc(text, h);
                h.push_str("</a>");
            }
            _ => {
                h.push_str("<a href=\"\" onclick=\"return ShowNotLoadedEmoji();\">");
                esc(text, h);
                h.push_str("</a>");
            }
        },
        _ => esc(text, h),
    }
}

/// True for a custom emoji's `document_id` that is the path of its file in
/// the export (Telegram Desktop links it); a bare document id (saved web
/// pages and 2022 `result.json` files give those) or a placeholder in
/// brackets is not, and shows as not loaded.
fn is_file_path(doc: &str) -> bool {
    !doc.is_empty()
        && !doc.contains(':')
        && !doc.starts_with('(')
        && !doc.bytes().all(|b| b.is_ascii_digit())
}

/// `M:SS` as Telegram Desktop shows durations (`H:MM:SS` past an hour).
fn duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{:02}:{:02}", secs / 60, secs % 60)
    }
}

fn str_extra<'a>(m: &'a Media, k: &str) -> Option<&'a str> {
    m.extra.get(k).and_then(Value::as_str)
}

/// The thumbnail path, when there is one (result.json puts a placeholder
/// sentence in brackets there when the file was skipped).
fn thumbnail(m: &Media) -> Option<&str> {
    str_extra(m, "thumbnail").filter(|t| !t.is_empty() && !t.starts_with('('))
}

/// A text value: a string, or Telegram Desktop's array of parts.
fn text_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                Value::Object(o) => o.get("text").and_then(Value::as_str).unwrap_or("").to_owned(),
                _ => String::new(),
            })
            .collect(),
        _ => String::new(),
    }
}

fn media(m: &Media, up: &str, h: &mut String) {
    let file = m.file.as_deref().filter(|_| m.status == MediaStatus::Ok);
    match (m.kind.as_str(), file) {
        ("photo", Some(f)) | ("sticker", Some(f)) => {
            let (wrap, img) = if m.kind == "photo" {
                ("photo_wrap", "photo")
            } else {
                ("sticker_wrap", "sticker")
            };
            let _ = write!(h, "\n        <a class=\"{wrap} clearfix pull_left\" ");
            href_attr(&local(up, f), h);
            let _ = write!(h, ">\n\n         <img class=\"{img}\" src=\"");
            esc_attr(&local(up, &safe_href(thumbnail(m).unwrap_or(f))), h);
            h.push('"');
            if let (Some(w), Some(ht)) = (m.width, m.height) {
                // Telegram Desktop's thumbnails fit in 260×260 on screen.
                let scale = (260.0 / w.max(ht).max(1) as f64).min(1.0);
                let _ = write!(
                    h,
                    " style=\"width: {}px; height: {}px\"",
                    (w as f64 * scale).round() as u64,
                    (ht as f64 * scale).round() as u64
                );
            }
            h.push_str("/>\n\n        </a>\n");
        }
        ("poll" | "todo_list", _) => poll(m, h),
        ("giveaway", _) => {
            h.push_str("\n        <div class=\"media_giveaway\">\n\n         <div class=\"section_title bold\">\n");
            esc(m.title.as_deref().unwrap_or("Giveaway"), h);
            h.push_str("\n         </div>\n\n         <div class=\"section_body\">\n");
            esc(str_extra(m, "description").unwrap_or_default(), h);
            h.push_str("\n         </div>\n\n        </div>\n");
        }
        _ => generic(m, file, up, h),
    }
}

fn generic(m: &Media, file: Option<&str>, up: &str, h: &mut String) {
    let (class, title, status) = generic_shown(m);
    let description = generic_description(m);
    let target = file.map(str::to_owned).or_else(|| generic_url(m));
    let tag = if target.is_some() { "a" } else { "div" };
    let _ = write!(h, "\n        <{tag} class=\"media clearfix pull_left");
    if target.is_some() {
        h.push_str(" block_link");
    }
    let _ = write!(h, " {class}\"");
    if let Some(t) = &target {
        h.push(' ');
        href_attr(&local(up, t), h);
    }
    h.push_str(">\n");
    match thumbnail(m) {
        Some(t) => {
            h.push_str("\n         <img class=\"thumb pull_left\" src=\"");
            esc_attr(&local(up, &safe_href(t)), h);
            h.push_str("\"/>\n");
        }
        None => h.push_str("\n         <div class=\"fill pull_left\">\n\n         </div>\n"),
    }
    h.push_str("\n         <div class=\"body\">\n\n          <div class=\"title bold\">\n");
    esc(&title, h);
    h.push_str("\n          </div>\n");
    if let Some(d) = description {
        h.push_str("\n          <div class=\"description\">\n");
        esc(&d, h);
        h.push_str("\n          </div>\n");
    }
    if !status.is_empty() {
        h.push_str("\n          <div class=\"status details\">\n");
        esc(&status, h);
        h.push_str("\n          </div>\n");
    }
    let _ = write!(h, "\n         </div>\n\n        </{tag}>\n");
}

/// The class, title and status line of a generic media block.
fn generic_shown(m: &Media) -> (String, String, String) {
    let label = str_extra(m, "label");
    let size = str_extra(m, "size");
    let with_size = |main: String| match (main.is_empty(), size) {
        (false, Some(s)) => format!("{main}, {s}"),
        (true, Some(s)) => s.to_owned(),
        (_, None) => main,
    };
    let dur = m.duration_seconds.map(duration).unwrap_or_default();
    let (class, title, status): (&str, String, String) = match m.kind.as_str() {
        "photo" => {
            let dims = match (m.width, m.height) {
                (Some(w), Some(ht)) => format!("{w}×{ht}"),
                _ => String::new(),
            };
            ("media_photo", label.unwrap_or("Photo").to_owned(), with_size(dims))
        }
        "sticker" => (
            "media_photo",
            "Sticker".into(),
            with_size(str_extra(m, "sticker_emoji").unwrap_or_default().to_owned()),
        ),
        "video" => ("media_video", label.unwrap_or("Video file").to_owned(), with_size(dur)),
        "animation" => ("media_video", "Animation".into(), with_size(dur)),
        "video_message" => ("media_video", "Video message".into(), with_size(dur)),
        "voice_message" => ("media_voice_message", "Voice message".into(), with_size(dur)),
        "audio" => {
            let title =
                match (str_extra(m, "performer"), m.title.as_deref(), m.file_name.as_deref()) {
                    (Some(p), Some(t), _) => format!("{p} – {t}"),
                    (None, Some(t), _) => t.to_owned(),
                    (_, None, Some(f)) => f.to_owned(),
                    _ => "Audio file".into(),
                };
            ("media_audio_file", title, with_size(dur))
        }
        "document" => (
            "media_file",
            // Saved web pages give the shown name as the title.
            m.file_name.clone().or_else(|| m.title.clone()).unwrap_or_else(|| "File".into()),
            with_size(String::new()),
        ),
        "contact" => (
            "media_contact",
            m.title.clone().unwrap_or_else(|| "Contact".into()),
            str_extra(m, "phone_number").unwrap_or_default().to_owned(),
        ),
        "location" => {
            let live = m.extra.get("live") == Some(&Value::Bool(true));
            let coords = match (m.extra.get("latitude"), m.extra.get("longitude")) {
                (Some(a), Some(b)) => format!("{a}, {b}"),
                _ => String::new(),
            };
            if live {
                ("media_live_location", "Live location".into(), coords)
            } else {
                ("media_location", "Location".into(), coords)
            }
        }
        "venue" => ("media_venue", m.title.clone().unwrap_or_default(), String::new()),
        "game" => (
            "media_game",
            m.title.clone().unwrap_or_default(),
            str_extra(m, "link").unwrap_or_default().to_owned(),
        ),
        "invoice" => (
            "media_invoice",
            m.title.clone().unwrap_or_default(),
            str_extra(m, "amount").unwrap_or_default().to_owned(),
        ),
        _ => (
            "",
            m.title.clone().unwrap_or_default(),
            // What a web page or a dump showed instead (`Please open
            // Telegram to view this post`), when the source kept it.
            str_extra(m, "status_text").or(label).unwrap_or_default().to_owned(),
        ),
    };
    let class = if class.is_empty() {
        let safe =
            m.kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !m.kind.is_empty();
        format!("media_{}", if safe { m.kind.as_str() } else { "unknown" })
    } else {
        class.to_owned()
    };
    (class, title, status)
}

/// The description line: a venue's address, a game's or an invoice's
/// description, or what a placeholder says.
fn generic_description(m: &Media) -> Option<String> {
    match m.status {
        MediaStatus::Ok => match m.kind.as_str() {
            "venue" => str_extra(m, "address"),
            "game" | "invoice" => str_extra(m, "description"),
            _ => None,
        }
        .map(str::to_owned),
        MediaStatus::NotIncluded => {
            Some("Not included, change data exporting settings to download.".into())
        }
        MediaStatus::TooBig => {
            Some("Exceeds maximum size, change data exporting settings to download.".into())
        }
        MediaStatus::Unavailable => Some("Unavailable, please try again later.".into()),
        MediaStatus::NotSupported => Some("Not supported by the source of this archive.".into()),
    }
}

/// Where a block without a file links: a location's map, a page's URL.
fn generic_url(m: &Media) -> Option<String> {
    match m.kind.as_str() {
        "location" => match (m.extra.get("latitude"), m.extra.get("longitude")) {
            (Some(a), Some(b)) => {
                Some(format!("https://maps.google.com/maps?q={a},{b}&ll={a},{b}&z=16"))
            }
            _ => None,
        },
        _ => str_extra(m, "url").map(str::to_owned),
    }
}

fn call_block(post: &Post, s: &Service, h: &mut String) {
    let mut m = Media::new("call", MediaStatus::Ok);
    let peer = s
        .actor
        .as_ref()
        .or(post.from.as_ref())
        .map(|p| p.name.clone().unwrap_or_else(|| "Deleted Account".into()))
        .unwrap_or_default();
    let word =
        s.details.get("call_status").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(
            || match s.details.get("discard_reason").and_then(Value::as_str) {
                Some("missed") => "Missed".into(),
                Some("busy") => "Declined".into(),
                _ => "Call".into(),
            },
        );
    let status = match s.details.get("duration_seconds").and_then(Value::as_u64) {
        Some(n) => format!("{word} ({n} seconds)"),
        None => word,
    };
    m.title = Some(peer);
    m.extra.insert("status_text".into(), Value::String(status));
    generic(&m, None, "", h);
}

fn poll(m: &Media, h: &mut String) {
    // `extra.poll` / `extra.todo_list` with result.json's keys (§2.4).
    let empty = serde_json::Map::new();
    let poll = m
        .extra
        .get("poll")
        .or_else(|| m.extra.get("todo_list"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let question = poll
        .get("question")
        .or_else(|| poll.get("title"))
        .map(text_value)
        .or_else(|| m.title.clone())
        .unwrap_or_default();
    h.push_str("\n        <div class=\"media_poll\">\n\n         <div class=\"question bold\">\n");
    esc(&question, h);
    h.push_str("\n         </div>\n\n         <div class=\"details\">\n");
    let details = match str_extra(m, "details") {
        Some(d) => d.to_owned(),
        None if m.kind == "todo_list" => "To-do List".into(),
        None if poll.get("closed") == Some(&Value::Bool(true)) => "Final results".into(),
        None => "Poll".into(),
    };
    esc(&details, h);
    h.push_str("\n         </div>\n");
    if let Some(Value::Array(answers)) = poll.get("answers") {
        for a in answers {
            h.push_str("\n         <div class=\"answer\">\n- ");
            esc(&a.get("text").map(text_value).unwrap_or_default(), h);
            if let Some(v) = a.get("voters").and_then(Value::as_u64) {
                let _ = write!(h, " <span class=\"details\">{}", votes(v));
                if a.get("chosen") == Some(&Value::Bool(true)) {
                    h.push_str(", chosen vote");
                }
                h.push_str("</span>");
            }
            h.push_str("\n         </div>\n");
        }
    }
    if let Some(v) = poll.get("total_voters").and_then(Value::as_u64) {
        let _ = write!(
            h,
            "\n         <div class=\"total details&#x09;\">\n{}\n         </div>\n",
            votes(v)
        );
    }
    h.push_str("\n        </div>\n");
}

fn votes(n: u64) -> String {
    if n == 1 {
        "1 vote".into()
    } else {
        format!("{n} votes")
    }
}

fn buttons(rows: &[Value], h: &mut String) {
    h.push_str("\n       <table class=\"bot_buttons_table\">\n\n        <tbody>\n");
    for row in rows {
        let Value::Array(row) = row else { continue };
        h.push_str("\n         <tr>\n\n          <td class=\"bot_button_row\">\n");
        for (i, b) in row.iter().enumerate() {
            if i > 0 {
                h.push_str("\n           <div class=\"bot_button_column_separator\"></div>\n");
            }
            let label = b.get("text").and_then(Value::as_str).unwrap_or_default();
            let data = b.get("data").and_then(Value::as_str).filter(|d| {
                let d = d.to_ascii_lowercase();
                d.starts_with("http://") || d.starts_with("https://") || d.starts_with("tg://")
            });
            h.push_str("\n           <div class=\"bot_button\">\n\n            <a ");
            href_attr(data.unwrap_or_default(), h);
            h.push_str(">\n\n             <div>\n");
            esc(label, h);
            h.push_str("\n             </div>\n\n            </a>\n\n           </div>\n");
        }
        h.push_str("\n          </td>\n\n         </tr>\n");
    }
    h.push_str("\n        </tbody>\n\n       </table>\n");
}

fn reactions(post: &Post, up: &str, h: &mut String) {
    if post.reactions.is_empty() {
        return;
    }
    h.push_str("\n       <span class=\"reactions\">\n");
    for r in &post.reactions {
        h.push_str("\n        <span class=\"reaction");
        if r.kind == "paid" {
            h.push_str(" paid");
        }
        h.push_str("\">\n\n         <span class=\"emoji\">\n");
        match (r.kind.as_str(), r.extra.get("document_id").and_then(Value::as_str)) {
            ("custom_emoji", Some(doc)) if is_file_path(doc) => {
                h.push_str("<a href = \"");
                esc_attr(&local(up, doc), h);
                h.push_str("\">👋</a>");
            }
            ("paid", _) => h.push('⭐'),
            _ => esc(r.emoji.as_deref().unwrap_or("👋"), h),
        }
        let _ = write!(
            h,
            "\n         </span>\n\n         <span class=\"count\">\n{}\n         </span>\n\n        </span>\n",
            r.count
        );
    }
    h.push_str("\n       </span>\n");
}

/// The §3.7 sentence for a recognised action, as HTML, into `out`; false
/// when the action has no sentence here.
fn sentence(s: &Service, link: &dyn Fn(i64) -> String, out: &mut String) -> bool {
    let Some(action) = s.action.as_deref() else { return false };
    let actor_name =
        s.actor.as_ref().map(|a| a.name.clone().unwrap_or_else(|| "Deleted Account".into()));
    let actor = actor_name.clone().unwrap_or_else(|| "Deleted Account".into());
    let d = |k: &str| s.details.get(k);
    let title = || d("title").and_then(Value::as_str).unwrap_or_default().to_owned();
    let members = || -> String {
        let names: Vec<String> = match d("members") {
            Some(Value::Array(list)) => {
                list.iter().map(|v| v.as_str().unwrap_or("Deleted Account").to_owned()).collect()
            }
            _ => Vec::new(),
        };
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, head)) => format!("{} and {last}", head.join(", ")),
            None => String::new(),
        }
    };
    let q = |t: &str, out: &mut String| {
        out.push_str("&laquo;");
        esc(t, out);
        out.push_str("&raquo;");
    };
    let a = |out: &mut String| esc(&actor, out);
    match action {
        "clear_history" => out.push_str("History cleared"),
        "create_channel" if title().is_empty() => out.push_str("Channel created"),
        "create_channel" => {
            out.push_str("Channel ");
            q(&title(), out);
            out.push_str(" created");
        }
        "edit_group_title" | "edit_group_photo" | "delete_group_photo" if actor_name.is_none() => {
            match action {
                "edit_group_title" => {
                    out.push_str("Channel title changed to ");
                    q(&title(), out);
                }
                "edit_group_photo" => out.push_str("Channel photo changed"),
                _ => out.push_str("Channel photo removed"),
            }
        }
        "edit_group_title" => {
            a(out);
            out.push_str(" changed group title to ");
            q(&title(), out);
        }
        "edit_group_photo" => {
            a(out);
            out.push_str(" changed group photo");
        }
        "delete_group_photo" => {
            a(out);
            out.push_str(" removed group photo");
        }
        "create_group" => {
            a(out);
            out.push_str(" created group ");
            q(&title(), out);
            let m = members();
            if !m.is_empty() {
                out.push_str(" with members ");
                esc(&m, out);
            }
        }
        "join_group_by_request" => {
            a(out);
            out.push_str(" joined group by request");
        }
        "migrate_to_supergroup" => {
            a(out);
            out.push_str(" converted this group to a supergroup");
        }
        "migrate_from_group" => {
            a(out);
            out.push_str(" converted a basic group to this supergroup ");
            q(&title(), out);
        }
        "take_screenshot" => {
            a(out);
            out.push_str(" took a screenshot");
        }
        "joined_telegram" => {
            a(out);
            out.push_str(" joined Telegram");
        }
        "pin_message" => {
            a(out);
            match d("message_id").and_then(Value::as_i64) {
                Some(id) => {
                    let _ = write!(out, " pinned <a {}>this message</a>", link(id));
                }
                None => out.push_str(" pinned this message"),
            }
        }
        "score_in_game" => {
            let Some(score) = d("score").and_then(Value::as_i64) else { return false };
            a(out);
            let _ = write!(out, " scored {score} in ");
            match d("game_message_id").and_then(Value::as_i64) {
                Some(id) => {
                    let _ = write!(out, "<a {}>this game</a>", link(id));
                }
                None => out.push_str("this game"),
            }
        }
        "group_call" => {
            if actor_name.is_some() {
                a(out);
                out.push_str(" started voice chat");
            } else {
                out.push_str("Voice chat");
            }
            if let Some(n) = d("duration").and_then(Value::as_u64) {
                let _ = write!(out, " ({n} seconds)");
            }
        }
        "invite_to_group_call" => {
            a(out);
            out.push_str(" invited ");
            esc(&members(), out);
            out.push_str(" to the voice chat");
        }
        "topic_created" => {
            a(out);
            out.push_str(" created topic ");
            q(&title(), out);
        }
        "join_group_by_link" => {
            a(out);
            out.push_str(" joined group by link from ");
            esc(d("inviter").and_then(Value::as_str).unwrap_or("Deleted Account"), out);
        }
        "edit_chat_theme" => {
            let Some(e) = d("emoticon").and_then(Value::as_str) else { return false };
            a(out);
            out.push_str(" changed chat theme to ");
            esc(e, out);
        }
        "invite_members" => {
            a(out);
            out.push_str(" invited ");
            esc(&members(), out);
        }
        "remove_members" => {
            a(out);
            out.push_str(" removed ");
            esc(&members(), out);
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::tdesktop_html::parse_service;
    use serde_json::json;

    #[test]
    fn escapes_like_tdesktop() {
        let mut s = String::new();
        esc("<a href=\"x\">'&'\n\t", &mut s);
        assert_eq!(s, "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;<br>&#x09;");
    }

    #[test]
    fn neutralises_script_links() {
        assert_eq!(safe_href("javascript:alert(1)"), "unsafe:javascript:alert(1)");
        assert_eq!(safe_href(" JaVa\tScRiPt:x"), "unsafe: JaVa\tScRiPt:x");
        assert_eq!(safe_href("https://a.b"), "https://a.b");
    }

    /// The header name's fallbacks, in their order, and what is noted.
    #[test]
    fn header_names() {
        let post = |chat: Value, file: &str| -> Post {
            let mut p = Post { chat: serde_json::from_value(chat).ok(), ..Post::default() };
            p.source.file = file.into();
            p
        };
        let mut d = Derived::default();
        let full = json!({"name": "Chan ", "id": "channel1", "username": "ch", "type": null});
        assert_eq!(header_name(&post(full, "a/b.txt"), &mut d), "Chan ");
        let saved = json!({"name": null, "id": null, "username": null, "type": "saved_messages"});
        assert_eq!(header_name(&post(saved, "x"), &mut d), "Saved messages");
        assert!(d.chat_names.is_empty(), "Telegram Desktop's own names are not noted");
        let user = json!({"name": " ", "id": "channel1", "username": "ch", "type": null});
        assert_eq!(header_name(&post(user, "x"), &mut d), "@ch");
        let id = json!({"name": null, "id": "channel1", "username": null, "type": null});
        assert_eq!(header_name(&post(id, "x"), &mut d), "channel1");
        assert_eq!(header_name(&post(Value::Null, "dumps/d.txt"), &mut d), "d.txt");
        assert_eq!(header_name(&post(Value::Null, "-"), &mut d), "standard input");
        assert_eq!(d.chat_names, ["@ch", "channel1", "d.txt", "standard input"]);
    }

    /// A day without a time: from `extra.date_day` or a bare-day `date`;
    /// never from anything else.
    #[test]
    fn known_days() {
        let mut p = Post::default();
        assert_eq!(known_day(&p), None);
        p.extra.insert(DAY_KEY.into(), json!("2023-03-12"));
        assert_eq!(known_day(&p), Some((2023, 3, 12)));
        p.extra.insert(DAY_KEY.into(), json!("2023-03-12T10:00:00"));
        assert_eq!(known_day(&p), None, "a day is ten characters");
        p.extra.clear();
        p.date = Some("2024-02-29".into());
        assert_eq!(known_day(&p), Some((2024, 2, 29)));
        p.date = Some("2024-13-01".into());
        assert_eq!(known_day(&p), None);
    }

    #[test]
    fn custom_emoji_files_and_ids() {
        assert!(is_file_path("stickers/s.webp"));
        assert!(!is_file_path("5208811735292590251"), "a document id is no file");
        assert!(!is_file_path("(File not included. Change data exporting settings to download.)"));
        assert!(!is_file_path(""));
    }

    #[test]
    fn dates_round_trip() {
        let d = Date::parse("2022-03-08T11:10:02+05:30").unwrap();
        assert_eq!(d.title(), "08.03.2022 11:10:02 UTC+05:30");
        assert_eq!(Date::parse("2022-03-08T11:10:02").unwrap().title(), "08.03.2022 11:10:02");
        assert!(Date::parse("yesterday").is_none());
        let a = Date::parse("2024-02-28T23:59:59").unwrap().seconds();
        let b = Date::parse("2024-02-29T00:00:09").unwrap().seconds();
        assert_eq!(b - a, 10);
    }

    /// Every sentence the writer makes, the reader recognises as the same
    /// action, actor and details.
    #[test]
    fn sentences_read_back() {
        let cases = [
            ("clear_history", None, json!({})),
            ("create_channel", None, json!({"title": "T «x»"})),
            ("edit_group_title", None, json!({"title": "T"})),
            ("edit_group_title", Some("A B"), json!({"title": "T"})),
            ("edit_group_photo", Some("A"), json!({})),
            ("delete_group_photo", None, json!({})),
            ("create_group", Some("A"), json!({"title": "G", "members": ["B", "C", "D"]})),
            ("join_group_by_request", Some("A"), json!({})),
            ("migrate_to_supergroup", Some("A"), json!({})),
            ("migrate_from_group", Some("A"), json!({"title": "Old"})),
            ("take_screenshot", Some("A"), json!({})),
            ("joined_telegram", Some("A"), json!({})),
            ("pin_message", Some("A"), json!({"message_id": 15})),
            ("score_in_game", Some("A"), json!({"game_message_id": 3, "score": 12})),
            ("group_call", Some("A"), json!({"duration": 60})),
            ("group_call", None, json!({})),
            ("invite_to_group_call", Some("A"), json!({"members": ["B"]})),
            ("topic_created", Some("A"), json!({"title": "Topic"})),
            ("join_group_by_link", Some("A"), json!({"inviter": "B"})),
            ("edit_chat_theme", Some("A"), json!({"emoticon": "😀"})),
            ("invite_members", Some("A"), json!({"members": ["B", "C"]})),
            ("remove_members", Some("A"), json!({"members": ["B"]})),
        ];
        for (action, actor, details) in cases {
            let s = Service {
                action: Some(action.into()),
                actor: actor.map(|n| crate::model::Peer { name: Some(n.into()), id: None }),
                details: details.as_object().unwrap().clone(),
            };
            let mut html = String::new();
            assert!(
                sentence(&s, &|id| format!("href=\"#go_to_message{id}\""), &mut html),
                "{action}"
            );
            // What the reader's DOM gives: entities resolved, tags dropped.
            let text = html
                .replace("&laquo;", "«")
                .replace("&raquo;", "»")
                .replace("&amp;", "&")
                .replace(&format!("<a href=\"#go_to_message{}\">", 15), "")
                .replace(&format!("<a href=\"#go_to_message{}\">", 3), "")
                .replace("</a>", "");
            let target = s
                .details
                .get("message_id")
                .or(s.details.get("game_message_id"))
                .and_then(Value::as_i64);
            let (a, who, d) = parse_service(&text, target).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(a, action, "{text}");
            assert_eq!(who.as_deref(), actor, "{text}");
            assert_eq!(Value::Object(d), details, "{text}");
        }
    }
}
