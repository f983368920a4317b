//! Merging the versions of one post read from several inputs (issue 17,
//! items 1 and 3).
//!
//! Two exports of the same chat taken at different times overlap: the same
//! message is in both, perhaps edited in between, perhaps once as
//! `result.json` and once as HTML pages. A post is *the same post* when its
//! chat and its message id match ([`ChatKey`]: the chat's id when the source
//! has one, else its name and username). Of several versions one is kept
//! ([`better`]):
//!
//! 1. the newer edit, by `edited` time (a version with an edit time beats
//!    one without: it is known to be an edited version, and the formats
//!    without edit times, HTML pages and dumps, cannot tell);
//! 2. else the richer source: `tdesktop-json` (every field Telegram keeps)
//!    over `tdesktop-html` (no edit times, sender ids or sizes) over
//!    `web-html` (what a public page shows) over `text` (what a copy of a
//!    page kept) ([`rank`]);
//! 3. else the first in input order.
//!
//! Versions whose texts differ and that no edit time told apart are a
//! *conflict*: the kept one is decided by rules 2 and 3 and the other is
//! reported with both positions.
//!
//! # Two passes, a small record per post
//!
//! The pipeline streams, so the decision cannot wait for the posts
//! themselves. The first pass reads every input and keeps, per (chat, id),
//! one [`Slot`]: a fingerprint of the kept version's text, its edit time,
//! its source rank and where it was read (32 bytes, plus the 16-byte key:
//! 48 bytes a post before the hash table's own overhead). Only posts read
//! more than once also keep the places of all their versions ([`Place`],
//! 24 bytes each), for `source.merged_from`. The second pass reads the
//! inputs again and writes each post where its kept version is read, so
//! the output keeps input order; the other versions are dropped and
//! counted. Inputs are read twice: standard input, which cannot be, is
//! refused when a merge is needed.
//!
//! Posts without an id (text dumps) have no identity to merge by: they are
//! de-duplicated as before ([`crate::clean::Seen`]), or against an archive
//! by [`idless_key`].

use crate::model::{Chat, Edited, Origin, Post};
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

/// How rich a source format is; the higher, the more a version from it
/// carries (module docs, rule 2).
pub fn rank(format: &str) -> u8 {
    match format {
        "tdesktop-json" => 4,
        "tdesktop-html" => 3,
        "web-html" => 2,
        "text" => 1,
        _ => 0,
    }
}

/// Where an item was read: the input file's number (0 is the `--into`
/// archive, inputs count from 1) and the item's number in that file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ordinal(u64);

const ITEM_BITS: u32 = 40;

impl Ordinal {
    /// Item `item` of file `file`.
    pub fn new(file: usize, item: u64) -> Ordinal {
        let file = (file as u64) & ((1 << (64 - ITEM_BITS)) - 1);
        Ordinal((file << ITEM_BITS) | (item & ((1 << ITEM_BITS) - 1)))
    }

    /// The file's number.
    pub fn file(self) -> usize {
        (self.0 >> ITEM_BITS) as usize
    }
}

/// The chat part of a post's identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChatKey {
    /// A chat with an id (`channel123`): names may change, the id does not.
    Id(String),
    /// A chat the source names only (HTML pages, web pages, dumps).
    Named {
        /// Its display name.
        name: Option<String>,
        /// Its public username.
        username: Option<String>,
    },
}

impl ChatKey {
    /// The key of a post's chat.
    pub fn of(chat: Option<&Chat>) -> ChatKey {
        match chat {
            Some(Chat { id: Some(id), .. }) => ChatKey::Id(id.clone()),
            Some(c) => ChatKey::Named { name: c.name.clone(), username: c.username.clone() },
            None => ChatKey::Named { name: None, username: None },
        }
    }

    fn describe(&self) -> String {
        match self {
            ChatKey::Id(id) => id.clone(),
            ChatKey::Named { name, username } => match (name, username) {
                (Some(n), Some(u)) => format!("\"{n}\" (@{u})"),
                (Some(n), None) => format!("\"{n}\""),
                (None, Some(u)) => format!("@{u}"),
                (None, None) => "(no chat)".into(),
            },
        }
    }
}

/// A fingerprint of a text, to tell versions apart.
pub fn text_fingerprint(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Seconds since the epoch of an `edited` date: RFC 3339 with an offset
/// (`Z`, `+03:00`), or a local time read as UTC (Telegram Desktop writes
/// local times; two exports of one account share the zone). `None` for
/// `true` (edited at an unknown time) or a date that does not parse.
pub fn edit_seconds(edited: Option<&Edited>) -> Option<i64> {
    let Some(Edited::At(date)) = edited else { return None };
    let local = crate::read::tdesktop_json::dates::parse_local(date.get(..19)?)?;
    let mut rest = date.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest.as_bytes() {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let num = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let minutes = num(*h1, *h2)? * 60 + num(*m1, *m2)?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    Some(local - offset)
}

/// Seconds from 1970-01-01 to 2000-01-01, where edit stamps start.
const STAMP_EPOCH: i64 = 946_684_800;

/// An edit time as a stamp that fits in 32 bits: seconds since 2000-01-01
/// UTC, an edit before that (none is real: Telegram started in 2013) taken
/// as the first second; good until 2136.
pub fn edit_stamp(seconds: i64) -> u32 {
    u32::try_from(seconds.saturating_sub(STAMP_EPOCH).max(1)).unwrap_or(u32::MAX)
}

/// One version of a post with an id: what the decision needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The chat part of its identity.
    pub chat: ChatKey,
    /// The chat's name (for `--match-chats-by-name`).
    pub chat_name: Option<String>,
    /// Its message id.
    pub id: i64,
    /// [`text_fingerprint`] of its (cleaned) text.
    pub text: u64,
    /// [`edit_stamp`] of its `edited`.
    pub edited: Option<u32>,
    /// [`rank`] of its source format.
    pub rank: u8,
    /// Where it was read.
    pub at: Ordinal,
    /// The file it names as its source (a page of an export folder).
    pub file: String,
    /// Its line in that file (line-oriented sources) or message index.
    pub place: Place,
}

impl Version {
    /// The version of a cleaned post read at `at`; `None` without an id.
    pub fn of(post: &Post, at: Ordinal) -> Option<Version> {
        Some(Version {
            chat: ChatKey::of(post.chat.as_ref()),
            chat_name: post.chat.as_ref().and_then(|c| c.name.clone()),
            id: post.id?,
            text: text_fingerprint(&post.text.to_plain_string()),
            edited: edit_seconds(post.edited.as_ref()).map(edit_stamp),
            rank: rank(&post.source.format),
            at,
            file: post.source.file.clone(),
            place: Place::of(post.source.line, post.source.index),
        })
    }
}

/// A line or a message index, packed in 32 bits (the top bit says an
/// index); `0` is unknown. A line or index past 2^31 − 1 (a file of
/// 40 GB and more) is shown as that number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place(u32);

const INDEX_BIT: u32 = 1 << 31;

impl Place {
    /// The place of a post: its line when it has one, else its index.
    pub fn of(line: Option<u64>, index: Option<u64>) -> Place {
        let low = |n: u64| u32::try_from(n).unwrap_or(u32::MAX) & !INDEX_BIT;
        match (line, index) {
            (Some(line), _) => Place(low(line)),
            (None, Some(index)) => Place(low(index) | INDEX_BIT),
            (None, None) => Place(0),
        }
    }

    /// `(line, index)`.
    pub fn parts(self) -> (Option<u64>, Option<u64>) {
        match self.0 {
            0 => (None, None),
            n if n & INDEX_BIT != 0 => (None, Some(u64::from(n & !INDEX_BIT))),
            n => (Some(u64::from(n)), None),
        }
    }
}

/// What the first pass keeps per post: its kept version's text
/// fingerprint, edit stamp, rank, file and place (32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    text: u64,
    at: Ordinal,
    /// [`edit_stamp`], `0` for none.
    edited: u32,
    place: Place,
    /// The number of its source file's name in [`Table::source_files`].
    file: u32,
    rank: u8,
}

impl Slot {
    fn of(v: &Version, file: u32) -> Slot {
        Slot {
            text: v.text,
            edited: v.edited.unwrap_or(0),
            at: v.at,
            place: v.place,
            file,
            rank: v.rank,
        }
    }

    fn edited(&self) -> Option<u32> {
        (self.edited != 0).then_some(self.edited)
    }

    /// What [`better`] compares.
    fn decider(&self) -> (Option<u32>, u8, Ordinal) {
        (self.edited(), self.rank, self.at)
    }

    fn where_read(&self) -> Where {
        Where { at: self.at, place: self.place, file: self.file, rank: self.rank }
    }
}

/// Where one version was read, and its rank (for `merged_from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Where {
    at: Ordinal,
    place: Place,
    file: u32,
    rank: u8,
}

/// True when version `a` is kept over version `b` (module docs: newer edit,
/// then richer source, then input order).
fn better(a: (Option<u32>, u8, Ordinal), b: (Option<u32>, u8, Ordinal)) -> bool {
    match (a.0, b.0) {
        (Some(x), Some(y)) if x != y => return x > y,
        (Some(_), None) => return true,
        (None, Some(_)) => return false,
        _ => {}
    }
    if a.1 != b.1 {
        return a.1 > b.1;
    }
    a.2 < b.2
}

/// True when an edit time decides between two versions (rule 1).
fn edit_decides(a: Option<u32>, b: Option<u32>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x != y,
        (None, None) => false,
        _ => true,
    }
}

/// What becomes of one version in the second pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The kept version: written, with the places of the other versions.
    Keep(Vec<Origin>),
    /// Another version with the same text is kept.
    Duplicate,
    /// A newer edit is kept.
    Replaced,
    /// Another version with another text is kept, and no edit time told
    /// them apart: reported with both places.
    Conflict(Origin),
}

/// The first pass's record of every post with an id, and the chats.
#[derive(Debug, Default)]
pub struct Table {
    chats: Vec<ChatKey>,
    chat_numbers: HashMap<ChatKey, u32>,
    /// The first name seen of each chat with an id.
    chat_names: BTreeMap<u32, String>,
    /// Chat number → the chat it was matched to (itself when not).
    same_as: Vec<u32>,
    /// The posts of the inputs that are not in the archive.
    slots: HashMap<(u32, i64), Slot>,
    /// The posts of the `--into` archive, sorted by key once read: a flat
    /// array of 48 bytes a post (key and [`Slot`]), no hash table.
    archived: Vec<((u32, i64), Slot)>,
    /// Every version of the posts read more than once, in input order.
    versions: HashMap<(u32, i64), Vec<Where>>,
    /// True when file 0 is an `--into` archive.
    archive: bool,
    /// The archive's format, as `merged_from` names it (`jsonl` when unset).
    archive_format: Option<&'static str>,
    /// The source files posts name (pages of a folder), numbered.
    source_files: Vec<String>,
    source_numbers: HashMap<String, u32>,
}

impl Table {
    /// A table; `archive` when file 0 is an `--into` archive.
    pub fn new(archive: bool) -> Table {
        Table { archive, ..Table::default() }
    }

    /// Names the `--into` archive's format (`parquet`) in `merged_from`.
    pub fn set_archive_format(&mut self, format: &'static str) {
        self.archive_format = Some(format);
    }

    /// Posts recorded.
    pub fn len(&self) -> usize {
        self.slots.len() + self.archived.len()
    }

    /// True when no post was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `posts` archive posts at once (the array is not grown
    /// by doubling, which would hold two copies at the end).
    pub fn reserve_archive(&mut self, posts: usize) {
        self.archived.reserve_exact(posts);
    }

    /// Records a post of the `--into` archive (before any input's). Two
    /// lines of the archive with one identity (an archive that was not
    /// made by `--into`) are both left in it.
    pub fn add_archived(&mut self, v: &Version) {
        let (chat, file) = self.numbers(v);
        self.archived.push(((chat, v.id), Slot::of(v, file)));
    }

    /// Sorts the archive's posts for lookups once they are all recorded.
    pub fn end_archive(&mut self) {
        self.archived.sort_unstable_by_key(|(key, slot)| (*key, slot.at));
        self.archived.dedup_by(|later, kept| {
            if later.0 != kept.0 {
                return false;
            }
            if better(later.1.decider(), kept.1.decider()) {
                kept.1 = later.1;
            }
            true
        });
        self.archived.shrink_to_fit();
    }

    fn slot(&self, key: &(u32, i64)) -> Option<&Slot> {
        match self.archived.binary_search_by_key(key, |(k, _)| *k) {
            Ok(i) => self.archived.get(i).map(|(_, slot)| slot),
            Err(_) => self.slots.get(key),
        }
    }

    fn archived_mut(&mut self, key: &(u32, i64)) -> Option<&mut Slot> {
        let i = self.archived.binary_search_by_key(key, |(k, _)| *k).ok()?;
        self.archived.get_mut(i).map(|(_, slot)| slot)
    }

    /// The numbers of a version's chat and source file, given on first sight.
    fn numbers(&mut self, v: &Version) -> (u32, u32) {
        let chat = self.chat_number(&v.chat);
        if let (ChatKey::Id(_), Some(name)) = (&v.chat, &v.chat_name) {
            self.chat_names.entry(chat).or_insert_with(|| name.clone());
        }
        let file = match self.source_numbers.get(&v.file) {
            Some(n) => *n,
            None => {
                let n = self.source_files.len() as u32;
                self.source_files.push(v.file.clone());
                self.source_numbers.insert(v.file.clone(), n);
                n
            }
        };
        (chat, file)
    }

    fn chat_number(&mut self, chat: &ChatKey) -> u32 {
        if let Some(n) = self.chat_numbers.get(chat) {
            return *n;
        }
        let n = self.chats.len() as u32;
        self.chats.push(chat.clone());
        self.same_as.push(n);
        self.chat_numbers.insert(chat.clone(), n);
        n
    }

    /// Records one version (first pass).
    pub fn add(&mut self, v: &Version) {
        let (chat, file) = self.numbers(v);
        let slot = Slot::of(v, file);
        self.join((chat, v.id), slot, vec![slot.where_read()]);
    }

    /// Joins the versions `list` of a post, of which `slot` is the best,
    /// with what is recorded under `key`.
    fn join(&mut self, key: (u32, i64), slot: Slot, list: Vec<Where>) {
        if let Some(old) = self.archived_mut(&key) {
            let kept = *old;
            if better(slot.decider(), kept.decider()) {
                *old = slot;
            }
            let mut all = self.versions.remove(&key).unwrap_or_else(|| vec![kept.where_read()]);
            all.extend(list);
            all.sort_by_key(|w| w.at);
            self.versions.insert(key, all);
            return;
        }
        match self.slots.entry(key) {
            Entry::Vacant(e) => {
                e.insert(slot);
                if list.len() > 1 {
                    self.versions.insert(key, list);
                }
            }
            Entry::Occupied(mut e) => {
                let old = *e.get();
                let mut all = self.versions.remove(&key).unwrap_or_else(|| vec![old.where_read()]);
                all.extend(list);
                all.sort_by_key(|w| w.at);
                self.versions.insert(key, all);
                if better(slot.decider(), old.decider()) {
                    e.insert(slot);
                }
            }
        }
    }

    /// Decides which chats without an id are chats with one. The
    /// `--chat-id` rules were applied to the posts as they were read; with
    /// `by_name`, a named chat whose name is that of exactly one chat with
    /// an id is taken for that chat. Returns one line per decision, and one
    /// per chat left apart that has the name of a chat with an id (never
    /// silently).
    pub fn match_chats(&mut self, by_name: bool) -> Vec<String> {
        let mut by_names: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (n, name) in &self.chat_names {
            by_names.entry(name.as_str()).or_default().push(*n);
        }
        for list in by_names.values_mut() {
            list.sort_unstable();
        }
        let mut lines = Vec::new();
        let mut moves = Vec::new();
        for (n, chat) in self.chats.iter().enumerate() {
            let ChatKey::Named { name: Some(name), .. } = chat else { continue };
            let Some(found) = by_names.get(name.as_str()) else { continue };
            let targets: Vec<String> = found
                .iter()
                .filter_map(|t| self.chats.get(*t as usize))
                .map(ChatKey::describe)
                .collect();
            let (chat, targets) = (chat.describe(), targets.join(", "));
            match (by_name, found.as_slice()) {
                (true, [target]) => {
                    lines.push(format!("{chat} taken for {targets} (same name; --match-chats-by-name)"));
                    moves.push((n, *target));
                }
                (true, _) => lines.push(format!(
                    "{chat} left apart: {} chats have its name ({targets})",
                    found.len()
                )),
                (false, _) => lines.push(format!(
                    "{chat} left apart from {targets} of the same name (to merge them: --chat-id INPUT=ID or --match-chats-by-name)"
                )),
            }
        }
        for (from, to) in &moves {
            if let Some(slot) = self.same_as.get_mut(*from) {
                *slot = *to;
            }
        }
        if !moves.is_empty() {
            self.refold();
        }
        lines
    }

    /// Re-keys the posts of chats matched to others, joining their versions.
    fn refold(&mut self) {
        let slots = std::mem::take(&mut self.slots);
        let mut versions = std::mem::take(&mut self.versions);
        // Archive posts of a matched chat move to the table of the others.
        let same_as = std::mem::take(&mut self.same_as);
        let moves = |chat: u32| same_as.get(chat as usize).is_some_and(|t| *t != chat);
        let (moved, stay): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.archived).into_iter().partition(|((chat, _), _)| moves(*chat));
        self.archived = stay;
        self.same_as = same_as;
        for ((chat, id), slot) in moved.into_iter().chain(slots) {
            let target = self.same_as.get(chat as usize).copied().unwrap_or(chat);
            let list = versions.remove(&(chat, id)).unwrap_or_else(|| vec![slot.where_read()]);
            self.join((target, id), slot, list);
        }
    }

    /// The number of the chat `chat` is taken for.
    fn chat_of(&self, chat: &ChatKey) -> Option<u32> {
        let n = *self.chat_numbers.get(chat)?;
        Some(self.same_as.get(n as usize).copied().unwrap_or(n))
    }

    /// The id of the chat a chat without one was matched to
    /// (`--match-chats-by-name`), to write in its posts.
    pub fn matched_chat_id(&self, chat: &ChatKey) -> Option<&str> {
        let ChatKey::Named { .. } = chat else { return None };
        match self.chats.get(self.chat_of(chat)? as usize)? {
            ChatKey::Id(id) => Some(id),
            ChatKey::Named { .. } => None,
        }
    }

    /// What becomes of version `v` in the second pass.
    pub fn verdict(&self, v: &Version) -> Verdict {
        let slot = self.chat_of(&v.chat).and_then(|chat| {
            let key = (chat, v.id);
            Some((key, self.slot(&key)?))
        });
        // Not seen in the first pass (cannot happen unless an input
        // changed between the passes): written, as it was read.
        let Some((key, slot)) = slot else { return Verdict::Keep(Vec::new()) };
        if slot.at == v.at {
            let others = self.versions.get(&key).map_or_else(Vec::new, |list| {
                list.iter().filter(|w| w.at != v.at).map(|w| self.origin(w)).collect()
            });
            return Verdict::Keep(others);
        }
        if slot.text == v.text {
            Verdict::Duplicate
        } else if edit_decides(slot.edited(), v.edited) {
            Verdict::Replaced
        } else {
            Verdict::Conflict(self.origin(&slot.where_read()))
        }
    }

    /// True when there is an `--into` archive (file 0).
    pub fn has_archive(&self) -> bool {
        self.archive
    }

    /// True when the kept version of `v`'s post is `v` itself.
    pub fn is_kept(&self, v: &Version) -> bool {
        matches!(self.verdict(v), Verdict::Keep(_))
    }

    /// True when `v`'s post is kept in a version from outside the `--into`
    /// archive (a newer edit in an input): its archive line is replaced.
    pub fn kept_elsewhere(&self, v: &Version) -> bool {
        let slot = self.chat_of(&v.chat).and_then(|chat| self.slot(&(chat, v.id)));
        slot.is_some_and(|s| s.at.file() != 0)
    }

    /// Posts whose kept version is not in the `--into` archive (file 0):
    /// posts to add or to replace.
    pub fn kept_outside_archive(&self) -> usize {
        let archived = self.archived.iter().filter(|(_, s)| s.at.file() != 0).count();
        archived + self.slots.values().filter(|s| s.at.file() != 0).count()
    }

    /// The place of a version, as `source.merged_from` and the rejects
    /// file show it.
    fn origin(&self, w: &Where) -> Origin {
        let (line, index) = w.place.parts();
        let format = if w.at.file() == 0 {
            self.archive_format.unwrap_or("jsonl")
        } else {
            format_of_rank(w.rank)
        };
        let file = self.source_files.get(w.file as usize).cloned().unwrap_or_default();
        Origin { format: format.into(), file, line, index }
    }
}

fn format_of_rank(rank: u8) -> &'static str {
    match rank {
        4 => "tdesktop-json",
        3 => "tdesktop-html",
        2 => "web-html",
        1 => "text",
        _ => "jsonl",
    }
}

/// The key of a post without an id in an `--into` archive: its chat (name,
/// username and id), kind, date, text, forward name and media kinds, from the cleaned post
/// (as the archive holds it).
pub fn idless_key(post: &Post) -> u64 {
    idless_key_of(post, post.media.iter().map(|m| m.kind.as_str()))
}

/// [`idless_key`] of a post whose media kinds are given apart (a post
/// read from an archive's identity columns has no `Media`).
pub fn idless_key_of<'a>(post: &Post, media_kinds: impl Iterator<Item = &'a str>) -> u64 {
    let mut h = DefaultHasher::new();
    // The chat's whole identity, as the archive's identity columns hold it:
    // two chats may share a name.
    let chat = post.chat.as_ref();
    chat.and_then(|c| c.name.as_deref()).hash(&mut h);
    chat.and_then(|c| c.username.as_deref()).hash(&mut h);
    chat.and_then(|c| c.id.as_deref()).hash(&mut h);
    post.kind.to_string().hash(&mut h);
    post.date.hash(&mut h);
    post.text.to_plain_string().hash(&mut h);
    post.forwarded_from.as_ref().and_then(|f| f.name.as_deref()).hash(&mut h);
    for kind in media_kinds {
        // `str` hashes as the `String` of `Media::kind` does.
        kind.hash(&mut h);
    }
    h.finish()
}

/// Gives a post without a chat id the one a `--chat-id INPUT=ID` rule
/// names for its input (a post of another chat, in a full-account export,
/// keeps its own). The pages of a full-account HTML export name no chat id
/// at all, and the rule cannot tell which of its chats the id is: they
/// keep none (else every chat of the export would become one): false for
/// those, so that the run can say so.
pub fn assign_chat_id(post: &mut Post, id: &str) -> bool {
    if crate::clean::chat_folder(post).is_some() {
        return false;
    }
    let chat = post.chat.get_or_insert_with(Chat::default);
    if chat.id.is_none() {
        chat.id = Some(id.to_owned());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(
        chat: &str,
        id: i64,
        text: &str,
        edited: Option<u32>,
        rank: u8,
        at: (usize, u64),
    ) -> Version {
        let chat = if chat.starts_with("channel") {
            ChatKey::Id(chat.into())
        } else {
            ChatKey::Named { name: Some(chat.into()), username: None }
        };
        Version {
            chat,
            chat_name: Some("test".into()),
            id,
            text: text_fingerprint(text),
            edited,
            rank,
            at: Ordinal::new(at.0, at.1),
            file: format!("in{}", at.0),
            place: Place::of(Some(at.1 + 1), None),
        }
    }

    #[test]
    fn edit_times_read_offsets_and_local_times() {
        let at = |s: &str| edit_seconds(Some(&Edited::At(s.into())));
        assert_eq!(at("1970-01-01T00:01:00"), Some(60));
        assert_eq!(at("1970-01-01T03:00:00+03:00"), Some(0));
        assert_eq!(at("1970-01-01T00:00:00.250Z"), Some(0));
        assert_eq!(at("1970-01-01T00:00:00-01:30"), Some(5400));
        assert_eq!(at("2024-02-30T00:00:00"), None);
        assert_eq!(at("yesterday"), None);
        assert_eq!(edit_seconds(Some(&Edited::Unknown)), None);
    }

    #[test]
    fn places_and_ordinals_pack_and_unpack() {
        assert_eq!(Place::of(Some(12), Some(3)).parts(), (Some(12), None));
        assert_eq!(Place::of(None, Some(0)).parts(), (None, Some(0)));
        assert_eq!(Place::of(None, None).parts(), (None, None));
        assert_eq!(Ordinal::new(7, 1 << 20).file(), 7);
        assert!(Ordinal::new(1, 5) < Ordinal::new(2, 0));
    }

    /// Newer edit, then richer source, then input order; whatever order
    /// the versions come in.
    #[test]
    fn the_kept_version_does_not_depend_on_the_order_read() {
        let v = [
            version("channel1", 5, "a", None, 3, (1, 0)),
            version("channel1", 5, "b", Some(100), 1, (2, 0)),
            version("channel1", 5, "a", None, 4, (3, 0)),
            version("channel1", 5, "c", Some(50), 4, (4, 0)),
        ];
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            let mut table = Table::new(false);
            for i in order {
                table.add(&v[i]);
            }
            assert!(table.is_kept(&v[1]), "{order:?}");
            assert_eq!(table.verdict(&v[3]), Verdict::Replaced);
            assert_eq!(table.verdict(&v[0]), Verdict::Replaced);
            match table.verdict(&v[1]) {
                Verdict::Keep(others) => {
                    let files: Vec<&str> = others.iter().map(|o| o.file.as_str()).collect();
                    assert_eq!(files, ["in1", "in3", "in4"]);
                }
                other => panic!("{other:?}"),
            }
        }
        // Without edit times: the richer source, and a conflict when texts differ.
        let mut table = Table::new(false);
        table.add(&v[0]);
        table.add(&v[2]);
        let html_b = version("channel1", 5, "b", None, 3, (5, 0));
        table.add(&html_b);
        assert!(table.is_kept(&v[2]));
        assert_eq!(table.verdict(&v[0]), Verdict::Duplicate);
        assert!(matches!(table.verdict(&html_b), Verdict::Conflict(o) if o.file == "in3"));
    }

    /// Archive posts sit in a sorted array; an input's newer edit replaces
    /// one, an identical or older version does not, and two archive lines
    /// with one identity both stay.
    #[test]
    fn archive_posts_are_replaced_only_by_a_newer_edit() {
        let mut table = Table::new(true);
        let lines = [
            version("channel1", 7, "a", Some(10), 4, (0, 1)),
            version("channel1", 3, "b", None, 4, (0, 2)),
            version("channel1", 3, "b", None, 4, (0, 3)),
        ];
        table.reserve_archive(lines.len());
        for v in &lines {
            table.add_archived(v);
        }
        table.end_archive();
        assert_eq!(table.len(), 2);
        let same = version("channel1", 3, "b", None, 4, (1, 0));
        let older = version("channel1", 7, "x", Some(5), 4, (1, 1));
        let newer = version("channel1", 7, "y", Some(20), 3, (1, 2));
        let new_post = version("channel1", 8, "z", None, 1, (1, 3));
        for v in [&same, &older, &new_post] {
            table.add(v);
        }
        assert_eq!(table.kept_outside_archive(), 1);
        table.add(&newer);
        assert_eq!(table.kept_outside_archive(), 2);
        assert!(table.kept_elsewhere(&lines[0]));
        assert!(!table.kept_elsewhere(&lines[1]) && !table.kept_elsewhere(&lines[2]));
        assert_eq!(table.verdict(&same), Verdict::Duplicate);
        assert_eq!(table.verdict(&older), Verdict::Replaced);
        match table.verdict(&newer) {
            Verdict::Keep(others) => assert_eq!(others.len(), 2, "{others:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn chats_are_matched_by_name_only_when_asked_and_unambiguous() {
        let json = version("channel1", 5, "a", None, 4, (1, 0));
        let html = version("test", 5, "a", None, 3, (2, 0));
        let mut table = Table::new(false);
        table.add(&json);
        table.add(&html);
        let lines = table.match_chats(false);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("left apart"), "{lines:?}");
        assert!(table.is_kept(&html) && table.matched_chat_id(&html.chat).is_none());
        assert_eq!(
            table.match_chats(true),
            ["\"test\" taken for channel1 (same name; --match-chats-by-name)"]
        );
        assert!(!table.is_kept(&html));
        assert_eq!(table.matched_chat_id(&html.chat), Some("channel1"));
        // Two chats with the name: left apart, said so.
        let mut table = Table::new(false);
        table.add(&json);
        table.add(&version("channel2", 1, "x", None, 4, (1, 1)));
        table.add(&html);
        let lines = table.match_chats(true);
        assert!(lines[0].contains("2 chats have its name (channel1, channel2)"), "{lines:?}");
        assert!(table.is_kept(&html));
    }
}
