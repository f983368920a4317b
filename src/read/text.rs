//! Plain-text dumps of public channel pages → posts.
//!
//! A dump is a run of lines with no ids, no dates and no separators: the
//! only structure is the boilerplate the web preview printed (forward
//! headers, reply headers, `Media is too big` / `VIEW IN TELEGRAM` pairs) and
//! the artefacts of the dumper (a body printed twice, views and times, owner
//! lines, hidden fallbacks). This reader follows the grammar and algorithm of
//! `docs/web-preview-format.md` §6:
//!
//! ```text
//! post        := header? placeholder* body?
//! header      := FWD | REPLY            (REPLY: author line + one-line quote, on evidence)
//! placeholder := LABEL VIEW_IN_TELEGRAM
//! body        := H (B B)? | T T | H
//! ```
//!
//! It streams: lines are read one at a time, a post's lines are capped at
//! 64 KiB (a longer one is closed and flagged `boundary_uncertain`), and the
//! memory of earlier posts (for linking reply quotes) is a bounded window.
//! The first screenful decides the dump's *flavour* (which chrome lines to
//! expect), and the summary says which one was assumed.
//!
//! What cannot be decided from the text alone is flagged, never guessed: two
//! marker-less posts in a row stay one post with `boundary_uncertain`.
//!
//! A dump names no chat. The owner lines of a browser copy do, when they all
//! name one channel (the flavour sniff finds a single owner); `--as-chat`
//! ([`Options::chat`]) sets it; the summary says which (`chat FILE: …`).
//!
//! A dump that tgnorm wrote (`--to text`) opens with a line that says so and
//! is read by [`tgnorm`], exactly, block by block.

pub mod tgnorm;

use super::lines::{Line, Lines};
use super::Notes;
use crate::account::ChatReport;
use crate::clean::boilerplate::{self, Placeholder};
use crate::clean::repeat;
use crate::error::Result;
pub(crate) use crate::format::text::parse_count;
use crate::format::text::{classify, is_clock, parse_footer, parse_views, Class, Flavour};
use crate::model::{Chat, Forward, Kind, Media, Post, Reply, Service, Source, Text};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::BufRead;

/// A post's lines are capped at this many bytes (a Telegram text is at most
/// 4096 UTF-16 units, printed at most twice).
pub const MAX_POST_BYTES: usize = 64 * 1024;

/// Lines looked at to decide the flavour.
const SNIFF_LINES: usize = 200;
/// Bytes looked at to decide the flavour.
const SNIFF_BYTES: usize = 256 * 1024;
/// Earlier posts remembered for matching reply quotes.
const RECENT_POSTS: usize = 256;
/// Longest author name in a reply header, in code points.
const MAX_NAME: usize = 64;
/// Shortest quote matched as a prefix of an earlier post.
const MIN_PREFIX_QUOTE: usize = 16;

/// Which structural clean-ups the reader applies while it segments (the
/// `--no-<pass>` switches). Switched off, the lines stay in the text; they
/// still separate posts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Placeholder and chrome lines become fields.
    pub boilerplate: bool,
    /// A body printed twice is kept once.
    pub repeated_body: bool,
    /// `Forwarded from X` becomes `forwarded_from`.
    pub forward: bool,
    /// Reply headers become `reply_to`.
    pub reply: bool,
    /// The chat every post belongs to (`--as-chat`); when `None`, the
    /// dump's owner lines name it if they all agree.
    pub chat: Option<Chat>,
}

impl Default for Options {
    fn default() -> Options {
        Options { boilerplate: true, repeated_body: true, forward: true, reply: true, chat: None }
    }
}

impl Options {
    /// The structural clean-ups that `config` switches on (the text reader's
    /// share of the passes), without a chat.
    pub fn for_passes(config: &crate::clean::Config) -> Options {
        use crate::clean::Pass;
        Options {
            boilerplate: config.has(Pass::Boilerplate),
            repeated_body: config.has(Pass::RepeatedBody),
            forward: config.has(Pass::Forward),
            reply: config.has(Pass::Reply),
            chat: None,
        }
    }
}

/// Parses `--as-chat NAME[@username]`: the part after the last `@` is the
/// username when it is one (5–32 letters, digits and `_`, starting with a
/// letter); otherwise the whole value is the name.
pub fn parse_chat(value: &str) -> std::result::Result<Chat, String> {
    let value = value.trim();
    let (name, username) = match value.rsplit_once('@') {
        Some((name, user)) if is_username(user) => (name.trim(), Some(user.to_owned())),
        _ => (value, None),
    };
    if name.is_empty() && username.is_none() {
        return Err("a chat name is needed: NAME or NAME@username".into());
    }
    let name = (!name.is_empty()).then(|| name.to_owned());
    Ok(Chat { name, id: None, username, kind: None })
}

/// A public username: 5–32 ASCII letters, digits and `_`, starting with a letter.
fn is_username(s: &str) -> bool {
    (5..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A classified line.
#[derive(Clone, Debug)]
struct CLine {
    number: u64,
    text: String,
    key: String,
    class: Class,
    /// `class` is decided (lines read before the flavour is known wait).
    classified: bool,
}

impl AsRef<str> for CLine {
    /// Lines compare by their key.
    fn as_ref(&self) -> &str {
        &self.key
    }
}

/// The post being assembled.
#[derive(Default)]
struct Building {
    start: Option<u64>,
    end: u64,
    forward: Option<String>,
    reply: Option<Reply>,
    media: Vec<Media>,
    unsupported: bool,
    body: Vec<CLine>,
    body_bytes: usize,
    boilerplate_lines: u64,
    chrome_lines: u64,
    footer: bool,
    cleaned_boilerplate: bool,
    overflow: bool,
    blanks: Vec<CLine>,
    views: Option<(u64, bool)>,
    author: Option<String>,
    edited: bool,
    /// Header and placeholder lines kept as text because their pass is off;
    /// they precede the body and do not count as body for boundaries.
    prefix: Vec<CLine>,
}

impl Building {
    fn is_empty(&self) -> bool {
        self.start.is_none()
    }

    fn touch(&mut self, number: u64) {
        if self.start.is_none() {
            self.start = Some(number);
        }
        self.end = self.end.max(number);
    }

    fn has_body(&self) -> bool {
        !self.body.is_empty()
    }

    fn has_content(&self) -> bool {
        self.has_body()
            || self.forward.is_some()
            || self.reply.is_some()
            || !self.media.is_empty()
            || !self.prefix.is_empty()
    }
}

/// Streams posts out of a text dump.
pub struct Reader<R> {
    lines: Lines<R>,
    file: String,
    options: Options,
    notes: Notes,
    ahead: VecDeque<CLine>,
    out: VecDeque<Result<Post>>,
    eof: bool,
    flavour: Option<Flavour>,
    current: Building,
    recent: VecDeque<(String, u64)>,
    reply_authors: HashSet<String>,
    repeated_posts: u64,
    multi_line_posts: u64,
    /// The chat of every post: `--as-chat`, or the agreeing owner lines.
    chat: Option<Chat>,
    /// In a tgnorm dump: the day of the last date separator, `YYYY-MM-DD`.
    day: Option<String>,
}

impl<R: BufRead> Reader<R> {
    /// Reads `inner` (UTF-8 text); `file` names it in sources and errors.
    pub fn new(inner: R, file: String, options: Options, notes: Notes) -> Reader<R> {
        Reader {
            lines: Lines::new(inner, file.clone()),
            file,
            options,
            notes,
            ahead: VecDeque::new(),
            out: VecDeque::new(),
            eof: false,
            flavour: None,
            current: Building::default(),
            recent: VecDeque::new(),
            reply_authors: HashSet::new(),
            repeated_posts: 0,
            multi_line_posts: 0,
            chat: None,
            day: None,
        }
    }

    /// Reads raw lines until `ahead` holds `n` lines (or the input ends).
    /// Bad lines become errors in the output, in order.
    fn fill(&mut self, n: usize) {
        while self.ahead.len() < n && !self.eof {
            match self.lines.next() {
                None => self.eof = true,
                Some(Err(e)) => self.out.push_back(Err(e)),
                Some(Ok(Line { number, text })) if text.contains('\0') => {
                    // NUL never occurs in text; the line is damaged or binary.
                    let column = text.chars().take_while(|&c| c != '\0').count() as u64 + 1;
                    self.out.push_back(Err(crate::error::Error::data(
                        crate::error::Position::line(self.file.clone(), number, Some(column)),
                        "NUL byte in a text line (binary data?); line skipped",
                    )));
                }
                Some(Ok(Line { number, text })) => {
                    let key = repeat::line_key(&text);
                    self.ahead.push_back(CLine {
                        number,
                        text,
                        key,
                        class: Class::Text,
                        classified: false,
                    });
                }
            }
        }
    }

    fn sniff(&mut self) {
        let mut bytes = 0;
        while !self.eof && self.ahead.len() < SNIFF_LINES && bytes < SNIFF_BYTES {
            let before = self.ahead.len();
            self.fill(before + 1);
            bytes += self.ahead.back().map_or(0, |l| l.text.len());
        }
        let mut flavour = sniff_flavour(self.ahead.iter());
        let signed = self.ahead.front().map(|l| l.text.trim());
        if signed == Some(boilerplate::TGNORM_SIGNATURE) {
            flavour = Flavour { tgnorm: true, ..Flavour::default() };
            self.ahead.pop_front();
            self.notes.count(&self.file, |c| &mut c.chrome_lines, 1);
        }
        self.notes.say(&self.file, "text flavour", flavour.describe());
        self.decide_chat(&flavour);
        let classify = |l: &mut CLine| {
            l.class = classify(&l.text, &l.key, &flavour);
            l.classified = true;
        };
        self.ahead.iter_mut().for_each(classify);
        self.flavour = Some(flavour);
    }

    /// The chat of the dump's posts: `--as-chat`, else the owner lines
    /// when they all name one channel. The summary says which.
    fn decide_chat(&mut self, flavour: &Flavour) {
        if let Some(chat) = &self.options.chat {
            let name = chat.name.as_deref().unwrap_or_default();
            let user = chat.username.as_ref().map(|u| format!(" @{u}")).unwrap_or_default();
            let said = ChatReport {
                name: chat.name.clone(),
                username: chat.username.clone(),
                rule: Some("as-chat"),
                ..ChatReport::default()
            };
            self.tell_chat(said, format!("{name:?}{user} (--as-chat)"));
            self.chat = Some(chat.clone());
            return;
        }
        if flavour.tgnorm {
            let said = ChatReport { rule: Some("each-owner-line"), ..ChatReport::default() };
            self.tell_chat(said, "each post's owner line (tgnorm dump)".into());
            return;
        }
        let Some(owner) = &flavour.owner else { return };
        if flavour.other_owners.is_empty() {
            let said = ChatReport {
                name: Some(owner.clone()),
                rule: Some("owner-lines"),
                ..ChatReport::default()
            };
            self.tell_chat(said, format!("{owner:?} (from the owner lines)"));
            self.chat = Some(Chat { name: Some(owner.clone()), ..Chat::default() });
        } else {
            let owners: Vec<String> =
                std::iter::once(owner).chain(&flavour.other_owners).cloned().collect();
            let names: Vec<String> = owners.iter().map(|o| format!("{o:?}")).collect();
            let text = format!("none: owner lines name {} (use --as-chat)", names.join(", "));
            self.tell_chat(
                ChatReport { rule: Some("none"), owners, ..ChatReport::default() },
                text,
            );
        }
    }

    /// Tells the summary which chat the posts were given, and by which rule.
    fn tell_chat(&self, said: ChatReport, text: String) {
        self.notes.file(&self.file, |r| {
            r.chats = Some(said);
            r.say("chat", text);
        });
    }

    fn peek(&mut self, i: usize) -> Option<&CLine> {
        self.fill(i + 1);
        let line = self.ahead.get_mut(i)?;
        if !line.classified {
            let flavour = self.flavour.as_ref();
            line.class = classify(&line.text, &line.key, flavour.unwrap_or(&Flavour::default()));
            line.classified = true;
        }
        Some(line)
    }

    fn take(&mut self) -> Option<CLine> {
        self.peek(0)?;
        self.ahead.pop_front()
    }

    /// Processes one line; may close posts into `out`.
    fn step(&mut self, line: CLine) {
        let opts = self.options.clone();
        match line.class.clone() {
            Class::Forward(name) => {
                self.close(false);
                self.current.touch(line.number);
                if opts.forward {
                    self.current.forward = Some(name);
                } else {
                    self.current.prefix.push(line);
                }
            }
            Class::Service(action, detail) => {
                self.close(false);
                self.discard_chrome();
                self.emit_service(&line, action, detail);
            }
            Class::Label(label) => self.placeholder(line, label),
            Class::ViewInTelegram => {
                // A VIEW IN TELEGRAM without its label: still chrome.
                if opts.boilerplate {
                    self.current.touch(line.number);
                    self.current.boilerplate_lines += 1;
                    self.current.cleaned_boilerplate = true;
                } else {
                    self.keep_marker(line);
                }
            }
            Class::EmptyPage | Class::DateSeparator => {
                self.close(false);
                self.discard_chrome();
                self.notes.count(&self.file, |c| &mut c.chrome_lines, 1);
            }
            Class::Owner => {
                if self.current.start.is_some()
                    && !self.current.has_content()
                    && !self.current.footer
                {
                    // The owner title again, right after the owner line: the
                    // channel replying to itself (its name is the reply author).
                    self.text_line(line);
                    return;
                }
                self.close(false);
                self.discard_chrome();
                self.current.touch(line.number);
                self.current.chrome_lines += 1;
            }
            Class::Footer | Class::Reactions => {
                if !self.current.has_content() {
                    // Footer of nothing (the dump started mid-post).
                    self.notes.count(&self.file, |c| &mut c.chrome_lines, 1);
                } else {
                    self.current.touch(line.number);
                    self.current.chrome_lines += 1;
                    self.current.footer = true;
                    if let Some(footer) = parse_footer(&line.key) {
                        let cur = &mut self.current;
                        cur.views = footer.views.or(cur.views);
                        cur.author = footer.author.or(cur.author.take());
                        cur.edited |= footer.edited;
                    }
                }
            }
            Class::Clock => {
                if self.current.is_empty() {
                    self.notes.count(&self.file, |c| &mut c.chrome_lines, 1);
                } else if self.current.footer {
                    self.current.touch(line.number);
                    self.current.chrome_lines += 1;
                } else if self.current.has_body() {
                    // A time after the text closes the bubble.
                    self.current.touch(line.number);
                    self.current.chrome_lines += 1;
                    self.current.footer = true;
                } else {
                    // A media duration, before the text.
                    self.current.touch(line.number);
                    self.current.chrome_lines += 1;
                }
            }
            Class::Text => self.text_line(line),
        }
    }

    fn placeholder(&mut self, line: CLine, label: Placeholder) {
        let paired = matches!(self.peek(0), Some(l) if l.class == Class::ViewInTelegram);
        let vit = if paired { self.ahead.pop_front() } else { None };
        let trailer = self.flavour.as_ref().is_some_and(|f| f.trailer)
            && label == Placeholder::OpenTelegram
            && self.current.has_body();
        let hidden = label == Placeholder::NotInBrowser
            && self.flavour.as_ref().is_some_and(|f| f.css_blind)
            && self.current.has_body();
        if !trailer && !hidden && (self.current.has_body() || self.current.footer) {
            // Media come before the text: a placeholder after text opens the
            // next post (§6.4 step 2).
            self.close(false);
        }
        if !self.options.boilerplate {
            self.keep_marker(line);
            if let Some(vit) = vit {
                self.keep_marker(vit);
            }
            return;
        }
        let cur = &mut self.current;
        cur.touch(line.number);
        if let Some(vit) = &vit {
            cur.touch(vit.number);
        }
        cur.boilerplate_lines += 1 + u64::from(vit.is_some());
        cur.cleaned_boilerplate = true;
        if trailer {
            // The hidden 2024 fallback printed after the body: it ends the post.
            cur.footer = true;
            return;
        }
        if hidden {
            return;
        }
        cur.media.push(label.media());
        if label == Placeholder::OpenTelegram {
            cur.unsupported = true;
        }
    }

    fn text_line(&mut self, line: CLine) {
        if line.key.is_empty() {
            // Blank lines belong to a body only when text follows them in the
            // same post; leading and trailing ones are dropped.
            // A run of blank lines is kept as at most two (the whitespace pass
            // folds them anyway), so memory stays bounded.
            if self.current.has_body() {
                if self.current.blanks.len() < 2 {
                    self.current.blanks.push(line);
                } else if let Some(last) = self.current.blanks.last_mut() {
                    *last = line;
                }
            }
            return;
        }
        if self.current.footer {
            self.close(false);
            self.discard_chrome();
        }
        if self.options.reply && self.try_reply(&line) {
            return;
        }
        if self.current.has_body() && self.repeat_complete(&line) {
            self.close(false);
        }
        if self.current.body_bytes + line.text.len() > MAX_POST_BYTES && self.current.has_body() {
            self.current.overflow = true;
            self.close(false);
            self.current.overflow = true;
        }
        self.push_body(line);
    }

    /// A marker line kept as text (its pass is off).
    fn keep_marker(&mut self, line: CLine) {
        if self.current.has_body() {
            self.push_body(line);
        } else {
            self.current.touch(line.number);
            self.current.prefix.push(line);
        }
    }

    fn push_body(&mut self, line: CLine) {
        for blank in std::mem::take(&mut self.current.blanks) {
            self.current.touch(blank.number);
            self.current.body.push(blank);
        }
        self.current.touch(line.number);
        self.current.body_bytes += line.text.len() + 1;
        self.current.body.push(line);
    }

    /// The body ends in a completed `H B B` (or `T T`) and `next` does not
    /// continue it.
    fn repeat_complete(&self, next: &CLine) -> bool {
        if !self.options.repeated_body {
            return false;
        }
        // Only the strict shapes end a post.
        let Some(found) = repeat::find_strict(&self.current.body) else { return false };
        // `next` equal to the block's first line may be a longer repeat.
        self.current.body.get(found.kept.start).map(|l| &l.key) != Some(&next.key)
    }

    /// Lines `N`, `Q` form a reply header (§6.4 step 3)?
    fn try_reply(&mut self, name: &CLine) -> bool {
        if !is_name_like(&name.text) {
            return false;
        }
        let Some(quote) = self.peek(0).cloned() else { return false };
        if quote.class != Class::Text {
            return false;
        }
        let followed =
            matches!(self.peek(1).map(|l| &l.class), Some(Class::Text | Class::Label(_)));
        if !followed {
            return false;
        }
        let complete = self.current_complete();
        let at_start = !self.current.has_content() || complete.is_some();
        // The quote may match the post just completed, which is not in
        // `recent` until it closes.
        let matched = self
            .quoted_post(&quote.key)
            .or_else(|| {
                let (kept, start) = complete?;
                matches_quote(&kept, &quote.key).then_some(start)
            })
            .or_else(|| {
                // The quote may also match the post still open (one whose
                // body did not repeat, so nothing has closed it yet): the
                // reply header is then what ends it.
                let body: Vec<&str> = self
                    .current
                    .body
                    .iter()
                    .map(|l| l.key.as_str())
                    .filter(|k| !k.is_empty())
                    .collect();
                matches_quote(&body.join(" "), &quote.key).then_some(self.current.start?)
            });
        let known_author = self.reply_authors.contains(&name.key)
            || self.flavour.as_ref().and_then(|f| f.owner.as_ref()) == Some(&name.key);
        let evidence = matched.is_some() || (at_start && known_author);
        if !evidence {
            return false;
        }
        self.ahead.pop_front();
        if self.current.has_content() {
            self.close(false);
        }
        self.current.touch(name.number);
        self.current.touch(quote.number);
        if self.reply_authors.len() < 1024 {
            self.reply_authors.insert(name.key.clone());
        }
        self.current.reply = Some(Reply {
            message_id: None,
            author: Some(name.text.trim().to_owned()),
            quote: Some(quote.text.trim().to_owned()),
            peer_id: None,
            source_line: matched,
        });
        true
    }

    /// When the current post's body is a completed repeat (a post
    /// boundary): its kept text joined with single spaces, and its first line.
    fn current_complete(&self) -> Option<(String, u64)> {
        let found = repeat::find_strict(&self.current.body)?;
        let kept: Vec<&str> = self
            .current
            .body
            .get(..found.dropped.start)?
            .iter()
            .map(|l| l.key.as_str())
            .filter(|k| !k.is_empty())
            .collect();
        Some((kept.join(" "), self.current.start?))
    }

    /// The first line of an earlier post whose text (joined with single
    /// spaces) equals or starts with `quote`.
    fn quoted_post(&self, quote: &str) -> Option<u64> {
        let quote = quote_key(quote)?;
        self.recent.iter().rev().find(|(text, _)| text.starts_with(quote)).map(|(_, line)| *line)
    }

    fn emit_service(&mut self, line: &CLine, action: &'static str, detail: Option<String>) {
        let service = service_of_line(line.text.trim(), action, detail);
        let post = Post {
            chat: self.chat.clone(),
            kind: Kind::Service,
            service: Some(service),
            source: Source {
                format: "text".into(),
                file: self.file.clone(),
                line: Some(line.number),
                end_line: Some(line.number),
                ..Source::default()
            },
            ..Post::default()
        };
        self.out.push_back(Ok(post));
    }

    /// Drops a chrome-only post in progress (its lines are counted).
    fn discard_chrome(&mut self) {
        if !self.current.has_content() {
            let b = std::mem::take(&mut self.current);
            self.notes.count(&self.file, |c| &mut c.chrome_lines, b.chrome_lines);
        }
    }

    /// Closes the current post and queues it.
    fn close(&mut self, at_eof: bool) {
        if !self.current.has_content() {
            // Only chrome so far (an owner line, a duration): it belongs to
            // the post that follows, unless the caller discards it.
            if at_eof {
                self.discard_chrome();
            }
            return;
        }
        let mut b = std::mem::take(&mut self.current);
        let Some(start) = b.start else { return };
        self.notes.count(&self.file, |c| &mut c.chrome_lines, b.chrome_lines);
        let mut post = Post {
            chat: self.chat.clone(),
            source: Source {
                format: "text".into(),
                file: self.file.clone(),
                line: Some(start),
                end_line: Some(b.end),
                ..Source::default()
            },
            ..Post::default()
        };
        if b.overflow {
            post.source.flag("boundary_uncertain");
        }
        if self.options.repeated_body && !b.body.is_empty() {
            if let Some(found) = repeat::find(&b.body, at_eof) {
                let line_of = |i: usize| b.body.get(i).map_or(0, |l| l.number);
                let kept = [line_of(found.kept.start), line_of(found.kept.end.saturating_sub(1))];
                let dropped =
                    [line_of(found.dropped.start), line_of(found.dropped.end.saturating_sub(1))];
                post.source.repeat = Some(crate::model::RepeatRange { kept, dropped });
                if found.truncated {
                    post.source.flag("truncated_repeat");
                    self.notes.count(&self.file, |c| &mut c.truncated_repeats, 1);
                }
                self.notes.count(
                    &self.file,
                    |c| &mut c.repeated_lines,
                    (found.dropped.end - found.dropped.start) as u64,
                );
                self.notes.count(&self.file, |c| &mut c.repeated_bodies, 1);
                b.body.truncate(found.dropped.start);
                post.mark_cleaned("repeated-body");
                self.repeated_posts += 1;
            }
        }
        if b.body.len() >= 2 {
            self.multi_line_posts += 1;
        }
        // In a flavour that repeats multi-line bodies, a long body that does
        // not repeat is probably two posts run together (§6.4 step 7).
        if post.source.repeat.is_none()
            && b.body.len() >= 3
            && self.repeated_posts >= 2
            && self.repeated_posts * 2 >= self.multi_line_posts
        {
            post.source.flag("boundary_uncertain");
        }
        if post.source.flags.iter().any(|f| f == "boundary_uncertain") {
            self.notes.count(&self.file, |c| &mut c.boundary_uncertain, 1);
        }
        let mut text = String::new();
        let prefix_len = b.prefix.len();
        for (i, line) in b.prefix.iter().chain(&b.body).enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&line.text);
        }
        self.notes.count(&self.file, |c| &mut c.text_lines, (prefix_len + b.body.len()) as u64);
        self.notes.count(&self.file, |c| &mut c.boilerplate_lines, b.boilerplate_lines);
        headers_onto(&mut post, &mut b);
        if !text.is_empty() {
            let joined = b.body.iter().map(|l| l.key.as_str()).filter(|k| !k.is_empty());
            let joined: Vec<&str> = joined.collect();
            self.recent.push_back((joined.join(" "), start));
            if self.recent.len() > RECENT_POSTS {
                self.recent.pop_front();
            }
        }
        post.text = Text::plain(text);
        self.out.push_back(Ok(post));
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        if self.flavour.is_none() {
            self.sniff();
        }
        if self.flavour.as_ref().is_some_and(|f| f.tgnorm) {
            return self.next_block();
        }
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            match self.take() {
                Some(line) => self.step(line),
                None => {
                    if let Some(item) = self.out.pop_front() {
                        return Some(item);
                    }
                    if self.current.is_empty() {
                        return None;
                    }
                    self.close(true);
                }
            }
        }
    }
}

/// What a post's header, footer and placeholder lines said, onto the post.
fn headers_onto(post: &mut Post, b: &mut Building) {
    if let Some(name) = b.forward.take() {
        post.forwarded_from = Some(Forward { name: Some(name), ..Forward::default() });
        post.mark_cleaned("forward");
    }
    if let Some(reply) = b.reply.take() {
        post.reply_to = Some(reply);
        post.mark_cleaned("reply");
    }
    if b.cleaned_boilerplate || b.chrome_lines > 0 {
        post.mark_cleaned("boilerplate");
    }
    if let Some((views, approximate)) = b.views {
        post.views = Some(views);
        if approximate {
            post.source.flag("views_approximate");
        }
    }
    post.author = b.author.take();
    if b.edited {
        post.edited = Some(crate::model::Edited::Unknown);
    }
    post.kind = if b.unsupported && b.body.is_empty() && b.prefix.is_empty() {
        Kind::Unsupported
    } else {
        Kind::Message
    };
    post.media = std::mem::take(&mut b.media);
}

/// Does a reply quote (flattened to one line, maybe cut with `…`) quote
/// `text` (an earlier post's lines joined with single spaces)? Short quotes
/// prove nothing (a hashtag line matches many posts), so both equality and
/// prefix need [`MIN_PREFIX_QUOTE`] code points.
fn matches_quote(text: &str, quote: &str) -> bool {
    quote_key(quote).is_some_and(|q| text.starts_with(q))
}

/// A quote without its trailing ellipsis, if it is long enough to prove
/// anything.
fn quote_key(quote: &str) -> Option<&str> {
    let quote = quote.trim_end_matches(['…', '.']).trim_end();
    (quote.chars().count() >= MIN_PREFIX_QUOTE).then_some(quote)
}

/// Could this line be the author line of a reply header?
fn is_name_like(line: &str) -> bool {
    let t = line.trim();
    let n = t.chars().count();
    n > 0
        && n <= MAX_NAME
        && !t.contains('#')
        && !t.contains("://")
        && !t.ends_with(['.', '!', '?', ':', ';', ','])
        && Placeholder::parse(t).is_none()
        && !boilerplate::is_view_in_telegram(t)
}

/// Decides the flavour from the first screenful of lines.
fn sniff_flavour<'a>(lines: impl Iterator<Item = &'a CLine> + Clone) -> Flavour {
    let mut f = Flavour::default();
    let (mut views, mut clocks, mut browser, mut post_labels, mut trailers) = (0, 0, 0, 0, 0);
    let mut prev: Option<&CLine> = None;
    for l in lines.clone() {
        if parse_views(&l.key).is_some() || l.key == "edited" {
            views += 1;
        } else if is_clock(&l.key) {
            clocks += 1;
        }
        match Placeholder::parse(&l.key) {
            Some(Placeholder::NotInBrowser) => browser += 1,
            Some(Placeholder::OpenTelegram) => {
                post_labels += 1;
                let after_text = prev.is_some_and(|p| {
                    Placeholder::parse(&p.key).is_none()
                        && !boilerplate::is_view_in_telegram(&p.key)
                        && boilerplate::forward_header(&p.key).is_none()
                });
                if after_text {
                    trailers += 1;
                }
            }
            _ => {}
        }
        prev = Some(l);
    }
    f.chrome = views >= 2 || clocks >= 3;
    f.css_blind = browser >= 1;
    f.trailer = post_labels >= 2 && trailers * 10 >= post_labels * 6;
    if f.chrome {
        // The owner title: a short line seen ≥ 3 times, mostly right after a
        // footer line or at the top.
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut prev: Option<&CLine> = None;
        for l in lines {
            let candidate = !l.key.is_empty()
                && l.key.chars().count() <= MAX_NAME
                && !l.key.starts_with('#')
                && Placeholder::parse(&l.key).is_none()
                && parse_views(&l.key).is_none()
                && !is_clock(&l.key);
            if candidate {
                let after_footer =
                    prev.is_none_or(|p| parse_views(&p.key).is_some() || is_clock(&p.key));
                let e = counts.entry(l.key.as_str()).or_default();
                e.0 += 1;
                e.1 += usize::from(after_footer);
            }
            prev = Some(l);
        }
        let mut owners: Vec<(&str, usize)> = counts
            .into_iter()
            .filter(|(_, (n, after))| *n >= 3 && after * 2 >= *n)
            .map(|(k, (n, _))| (k, n))
            .collect();
        owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut owners = owners.into_iter().map(|(k, _)| k.to_owned());
        f.owner = owners.next();
        f.other_owners = owners.collect();
    }
    f
}

/// The service a web-preview sentence names (`boilerplate::service_line`):
/// a pinned message's actor and quote, or a new title, in `details`.
fn service_of_line(text: &str, action: &'static str, detail: Option<String>) -> Service {
    let mut service = Service { action: Some(action.to_owned()), ..Service::default() };
    match (action, detail) {
        ("pin_message", Some(quoted)) => {
            if let Some((actor, _)) = text.split_once(" pinned «") {
                service.actor = Some(crate::model::Peer { name: Some(actor.to_owned()), id: None });
            }
            service.details.insert("quote".into(), quoted.into());
        }
        (_, Some(title)) => {
            service.details.insert("title".into(), title.into());
        }
        _ => {}
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::text::{is_date_separator, is_reactions, Footer};

    fn read(s: &str) -> Vec<Post> {
        let r = Reader::new(s.as_bytes(), "t.txt".into(), Options::default(), Notes::default());
        r.map(|p| p.unwrap()).collect()
    }

    #[test]
    fn forwards_and_repeats() {
        let long = "A body line that is long enough to count as one";
        let dump = format!("Forwarded from X\nHead\n{long}\n{long}\nForwarded from Y\nOne line");
        let posts = read(&dump);
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].text.to_plain_string(), format!("Head\n{long}"));
        assert_eq!(posts[0].forwarded_from.as_ref().unwrap().name.as_deref(), Some("X"));
        assert_eq!(posts[0].source.line, Some(1));
        assert_eq!(posts[0].source.end_line, Some(4));
        assert_eq!(posts[1].text.to_plain_string(), "One line");
    }

    #[test]
    fn placeholder_after_text_opens_a_post() {
        let posts = read("text\nPlease open Telegram to view this post\nVIEW IN TELEGRAM");
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[1].kind, Kind::Unsupported);
        assert_eq!(posts[1].source.line, Some(2));
    }

    #[test]
    fn counts_and_clocks() {
        assert_eq!(parse_count("1.2K"), Some(1200));
        assert_eq!(parse_count("44"), Some(44));
        assert_eq!(parse_count("x"), None);
        assert_eq!(parse_views("2 views07:33"), Some(2));
        assert_eq!(
            parse_footer("2 views Álvaro Justen, edited 07:29"),
            Some(Footer {
                views: Some((2, false)),
                author: Some("Álvaro Justen".into()),
                edited: true
            })
        );
        assert_eq!(
            parse_footer("3.7K views"),
            Some(Footer { views: Some((3700, true)), author: None, edited: false })
        );
        assert_eq!(parse_footer("edited 07:29").map(|f| f.edited), Some(true));
        assert_eq!(parse_footer("2 viewsy"), None);
        assert_eq!(parse_footer("Some words here"), None);
        assert_eq!(parse_views("1 view"), Some(1));
        assert!(is_clock("07:33") && is_clock("0:06") && is_clock("1:02:03"));
        assert!(!is_clock("12:3") && !is_clock("a:bc"));
        assert!(is_date_separator("July 3") && is_date_separator("July 3, 2023"));
        assert!(!is_date_separator("July the 3rd"));
        assert!(is_reactions("❤1") && is_reactions("👍 12 🔥 3"));
        assert!(!is_reactions("👍") && !is_reactions("12") && !is_reactions("a1"));
    }

    /// Never panics, whatever the bytes (a cheap stand-in for the fuzzer,
    /// run on every `cargo test`).
    #[test]
    fn random_bytes_never_panic() {
        let pieces: [&[u8]; 14] = [
            b"Forwarded from X\n",
            b"Media is too big\n",
            b"VIEW IN TELEGRAM\n",
            b"Please open Telegram to view this post\n",
            b"2 views 07:33\n",
            b"07:33\n",
            b"A long enough repeated body line here\n",
            b"\n",
            b"\r",
            b"\xF0\x9F\x8E\x99",
            b"\xFF",
            b"\x00",
            b"Name\n",
            b"x pinned \xC2\xABy\xC2\xBB\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..1500 {
            let mut input = Vec::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let n = state % 40;
            for _ in 0..n {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                input.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            let r = Reader::new(&input[..], "f".into(), Options::default(), Notes::default());
            for item in r {
                let _ = item;
            }
        }
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert!(read("").is_empty());
    }
}
