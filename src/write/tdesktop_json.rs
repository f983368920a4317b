//! Posts → a Telegram Desktop `result.json`, in Telegram Desktop's own bytes.
//!
//! The layout is the hand-written serializer's (docs/tdesktop-export-format.md
//! §2.1): one space of indent per level, `": "` and `",\n"`, its key order
//! (§2.3–§2.5), its escaping, `reactions` one level too deep, doubles with
//! six decimals, and no newline at the end. A file this module writes from
//! posts read out of a current export is that export, byte for byte.
//!
//! Where the posts came from elsewhere, it writes a valid export with the
//! keys every real export has: an `id` (numbered within its chat when the
//! source has none), a `type`, a `date` and `date_unixtime`, `from` and
//! `from_id` on messages, the first media entry in Telegram's own keys
//! (`photo`, `file`, `media_type`, `poll`, …), and `text` + `text_entities`
//! in Telegram's part encoding. A value the source lacks is derived by the
//! rules in [`crate::format::tdesktop_json`] and listed under
//! `tgnorm.derived`; a post without a date is rejected with its position,
//! never given one. Model fields that Telegram Desktop has no key for
//! (views, reply quotes, forward usernames, albums, …) go under one `tgnorm`
//! key at the end of the message, which Telegram-aware tools ignore and
//! tgnorm reads back, so that `JSONL → tdesktop-json → JSONL` loses nothing.
//!
//! # Chats
//!
//! Posts of one chat give a single-chat export; posts of several chats give
//! a full-account export (`chats.list`), each chat with its own name, type,
//! id and messages, in the order the chats first appear. The layout is known
//! only when a second chat appears, so the first chat's messages are spooled
//! (in memory up to [`SPOOL_MEMORY`], then in an anonymous temporary file
//! that disappears with the writer) and copied out once the layout is
//! decided; later chats are written straight through. Memory stays flat.
//! A chat whose posts come back after another chat's (inputs that interleave
//! chats) gets a further entry in `chats.list` with the same name and id:
//! reading the file back still gives each post its own chat.
//!
//! # Escaping
//!
//! C0 control characters are written `\u00hh`: the output is always JSON.
//! Telegram Desktop itself writes `\xHH`, which no JSON parser accepts;
//! [`Options::tdesktop_escapes`] (`--tdesktop-escapes`) writes `\xHH` back
//! for messages whose source had such escapes (the reader marks them), to
//! reproduce such a file byte for byte.

use crate::account::{ChatReport, Notes};
use crate::error::{Error, Position, Result};
use crate::format::tdesktop_json::{
    chat_prefix, dates, derived_peer_id, ACCOUNT_ABOUT, CHATS_ABOUT, LAYOUT_KEY, NOT_INCLUDED,
    RICH_FLAG, RICH_KEY, TGNORM_KEY, TOO_BIG, UNAVAILABLE,
};
use crate::format::ASSUMED_OFFSET;
use crate::model::{Chat, Edited, Kind, Media, MediaStatus, Post, Text};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::io::{Read, Seek, Write};

/// Bytes of the first chat's messages held in memory before they go to a
/// temporary file.
pub const SPOOL_MEMORY: usize = 8 * 1024 * 1024;

/// How the writer writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Write C0 control characters as Telegram Desktop's `\xHH` (not JSON)
    /// in messages whose source had such escapes, to give such a file back
    /// byte for byte. Off: `\u00hh`.
    pub tdesktop_escapes: bool,
}

/// The first chat's messages, until the layout is known.
enum Spool {
    Memory(Vec<u8>),
    File(std::io::BufWriter<std::fs::File>),
}

impl Spool {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if let Spool::Memory(held) = self {
            if held.len() + bytes.len() <= SPOOL_MEMORY {
                held.extend_from_slice(bytes);
                return Ok(());
            }
            let mut file = std::io::BufWriter::new(tempfile::tempfile()?);
            file.write_all(held)?;
            *self = Spool::File(file);
        }
        match self {
            Spool::Memory(held) => held.extend_from_slice(bytes),
            Spool::File(file) => file.write_all(bytes)?,
        }
        Ok(())
    }

    /// Copies what was spooled to `out`, each line indented by `indent`
    /// more spaces (a raw newline never occurs inside a JSON string, so
    /// every newline starts a line of the layout).
    fn copy_to(self, out: &mut impl Write, indent: usize) -> std::io::Result<()> {
        match self {
            Spool::Memory(held) => write_indented(out, &held, indent),
            Spool::File(file) => {
                let mut file = file.into_inner().map_err(|e| e.into_error())?;
                file.rewind()?;
                let mut chunk = vec![0; 64 * 1024];
                loop {
                    let n = file.read(&mut chunk)?;
                    if n == 0 {
                        return Ok(());
                    }
                    write_indented(out, chunk.get(..n).unwrap_or_default(), indent)?;
                }
            }
        }
    }
}

/// Writes `bytes` with `indent` spaces after every newline.
fn write_indented(out: &mut impl Write, bytes: &[u8], indent: usize) -> std::io::Result<()> {
    if indent == 0 {
        return out.write_all(bytes);
    }
    let pad = vec![b' '; indent];
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
            out.write_all(&pad)?;
        }
        out.write_all(line)?;
    }
    Ok(())
}

/// What the writer knows of one chat.
struct ChatOut {
    /// The chat as posts give it (what the posts are grouped by).
    chat: Option<Chat>,
    /// The chat as a reader will see it from the header.
    header: Option<Chat>,
    /// The source's undecodable chat id (layout `chat_id`), for the header.
    raw_id: Option<Value>,
    /// Its Telegram Desktop HTML chat folder ([`crate::clean::chat_folder`]).
    folder: Option<String>,
    /// The next id to assign in this chat.
    next_id: i64,
}

/// Where messages go.
enum Layout {
    /// One chat so far: its messages are spooled.
    Single { spool: Spool, written: u64 },
    /// Several chats: the account header is out, `open` is the chat entry
    /// being written (an index into the chats), `written` its messages.
    Account { open: usize, written: u64 },
}

/// Indent of a message in a full-account export, beyond the single-chat one.
const ACCOUNT_INDENT: usize = 3;

/// Writes posts as one Telegram Desktop export.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    options: Options,
    chats: Vec<ChatOut>,
    layout: Layout,
    assigned: u64,
    derived: u64,
    /// See [`Writer::held_bytes`].
    held: u64,
    /// The chat of the last post written (an index into `chats`).
    last_chat: usize,
    /// Index into `chats` by the chat's JSON.
    by_chat: std::collections::HashMap<String, usize>,
    notes: Option<Notes>,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer {
            out,
            name,
            options: Options::default(),
            chats: Vec::new(),
            layout: Layout::Single { spool: Spool::Memory(Vec::new()), written: 0 },
            assigned: 0,
            derived: 0,
            held: 0,
            last_chat: 0,
            by_chat: std::collections::HashMap::new(),
            notes: None,
            buf: Vec::new(),
        }
    }

    /// Sets how to write.
    pub fn set_options(&mut self, options: Options) {
        self.options = options;
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Bytes of messages held back until the layout is known (the first
    /// chat's, until a second chat appears or [`Writer::finish`]); what
    /// has reached the inner writer plus this is what was written so far.
    pub fn held_bytes(&self) -> u64 {
        self.held
    }

    /// Where to count the ids this writer had to assign.
    pub fn set_notes(&mut self, notes: Notes) {
        self.notes = Some(notes);
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(self.name.clone(), e)
    }

    /// Writes one post as one message. A post that cannot be written (no
    /// date) is an error about that post ([`Error::is_record_error`]):
    /// nothing of it is written and the writer goes on.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        if post.date.is_none() && post.kind != Kind::Unsupported {
            return Err(Error::data(
                position_of(post),
                "post without a date: Telegram Desktop's JSON needs one and tgnorm does not make one up (not written)",
            ));
        }
        let chat = self.chat_index(post);
        let id = self.id_for(post, chat);
        let header = self.chats.get(chat).and_then(|c| c.header.as_ref());
        let entries = entries(post, id, header);
        if derived_any(&entries) {
            self.derived += 1;
        }
        let x = self.options.tdesktop_escapes
            && layout(post).and_then(|l| l.get("x_escapes")).and_then(Value::as_bool) == Some(true);
        self.buf.clear();
        render(&mut self.buf, &entries, x);
        let buf = std::mem::take(&mut self.buf);
        let result = self.put(chat, &buf).map_err(|e| self.io(e));
        self.buf = buf;
        result
    }

    /// The index of the post's chat, registered the first time; switches
    /// the layout to a full-account export when a second chat appears.
    fn chat_index(&mut self, post: &Post) -> usize {
        // Posts of one chat come in runs: the last chat first, then the rest.
        // A chat is its model value and the source's undecodable id, if any.
        let last = self.last_chat;
        // Two chats of one name in a Telegram Desktop HTML export are told
        // apart by their folders (`clean::chat_folder`).
        let raw_id = layout(post).and_then(|l| l.get("chat_id"));
        let folder = crate::clean::chat_folder(post);
        let same = |c: &ChatOut| {
            c.chat == post.chat && c.raw_id.as_ref() == raw_id && c.folder.as_deref() == folder
        };
        if self.chats.get(last).is_some_and(same) {
            return last;
        }
        // Then by their JSON (the model's `Chat` is not `Hash`).
        let key = serde_json::to_string(&(&post.chat, raw_id, folder)).unwrap_or_default();
        let found = self.by_chat.get(&key).copied();
        let index = found.unwrap_or_else(|| {
            let raw_id = raw_id.cloned();
            let header = header(&mut Vec::new(), post.chat.as_ref(), raw_id.as_ref(), 1);
            let folder = folder.map(str::to_owned);
            self.chats.push(ChatOut {
                chat: post.chat.clone(),
                header,
                raw_id,
                folder,
                next_id: 1,
            });
            self.by_chat.insert(key, self.chats.len() - 1);
            self.chats.len() - 1
        });
        self.last_chat = index;
        index
    }

    fn id_for(&mut self, post: &Post, chat: usize) -> i64 {
        let Some(state) = self.chats.get_mut(chat) else { return 1 };
        match post.id {
            Some(id) => {
                state.next_id = state.next_id.max(id.saturating_add(1));
                id
            }
            None => {
                let id = state.next_id;
                state.next_id = state.next_id.saturating_add(1);
                self.assigned += 1;
                id
            }
        }
    }

    /// Puts one rendered message where the layout says.
    fn put(&mut self, chat: usize, message: &[u8]) -> std::io::Result<()> {
        if chat > 0 {
            if let Layout::Single { .. } = self.layout {
                self.begin_account()?;
            }
        }
        match &mut self.layout {
            Layout::Single { spool, written } => {
                if *written > 0 {
                    spool.write_all(b",\n")?;
                    self.held += 2;
                }
                *written += 1;
                self.held += message.len() as u64;
                spool.write_all(message)
            }
            Layout::Account { open, written } => {
                if *open != chat {
                    let entry = entry_header(self.chats.get(chat), true);
                    self.out.write_all(b"\n    ]\n   },\n")?;
                    self.out.write_all(&entry)?;
                    (*open, *written) = (chat, 0);
                }
                if *written > 0 {
                    self.out.write_all(b",\n")?;
                }
                *written += 1;
                self.out.write_all(&[b' '; ACCOUNT_INDENT])?;
                write_indented(&mut self.out, message, ACCOUNT_INDENT)
            }
        }
    }

    /// Writes the full-account header and the first chat's spooled
    /// messages; the first chat's entry stays open.
    fn begin_account(&mut self) -> std::io::Result<()> {
        let single = std::mem::replace(&mut self.layout, Layout::Account { open: 0, written: 0 });
        let Layout::Single { spool, written } = single else { return Ok(()) };
        let mut head = b"{\n \"about\": ".to_vec();
        write_str(&mut head, ACCOUNT_ABOUT, false);
        head.extend_from_slice(b",\n \"chats\": {\n  \"about\": ");
        write_str(&mut head, CHATS_ABOUT, false);
        head.extend_from_slice(b",\n  \"list\": [\n");
        head.extend_from_slice(&entry_header(self.chats.first(), written > 0));
        self.out.write_all(&head)?;
        if written > 0 {
            self.out.write_all(&[b' '; ACCOUNT_INDENT])?;
            spool.copy_to(&mut self.out, ACCOUNT_INDENT)?;
        }
        self.layout = Layout::Account { open: 0, written };
        self.held = 0;
        Ok(())
    }

    /// Closes the export (no newline at the end, as Telegram Desktop) and
    /// flushes.
    pub fn finish(mut self) -> Result<W> {
        let layout = std::mem::replace(&mut self.layout, Layout::Account { open: 0, written: 0 });
        let done = match layout {
            Layout::Single { spool, written } => {
                let first = self.chats.first();
                let mut head = Vec::new();
                head.extend_from_slice(b"{\n");
                header(
                    &mut head,
                    first.and_then(|c| c.chat.as_ref()),
                    first.and_then(|c| c.raw_id.as_ref()),
                    1,
                );
                if written == 0 {
                    head.extend_from_slice(b" \"messages\": []\n}");
                    self.out.write_all(&head)
                } else {
                    head.extend_from_slice(b" \"messages\": [\n");
                    self.out
                        .write_all(&head)
                        .and_then(|()| spool.copy_to(&mut self.out, 0))
                        .and_then(|()| self.out.write_all(b"\n ]\n}"))
                }
            }
            Layout::Account { written, .. } => {
                let close: &[u8] =
                    if written > 0 { b"\n    ]\n   }\n  ]\n }\n}" } else { b"]\n   }\n  ]\n }\n}" };
                self.out.write_all(close)
            }
        };
        done.and_then(|()| self.out.flush()).map_err(|e| self.io(e))?;
        self.tell_notes();
        Ok(self.out)
    }

    fn tell_notes(&self) {
        let Some(notes) = &self.notes else { return };
        notes.output(&self.name, |r| {
            r.format = Some("tdesktop-json");
            r.counters.ids_assigned += self.assigned;
            r.counters.values_derived += self.derived;
            if !self.chats.is_empty() {
                r.chats = Some(ChatReport {
                    count: Some(self.chats.len() as u64),
                    ..ChatReport::default()
                });
            }
            if self.assigned > 0 {
                r.say(
                    "ids",
                    format!(
                        "{} messages had no id and were numbered within their chat (tgnorm.id_assigned)",
                        self.assigned
                    ),
                );
            }
            if self.derived > 0 {
                r.say(
                    "derived",
                    format!(
                        "{} messages got values their source lacks by rule (listed in tgnorm.derived)",
                        self.derived
                    ),
                );
            }
            if self.chats.len() > 1 {
                r.say(
                    "chats",
                    format!(
                        "{} chats: written as a full-account export (chats.list)",
                        self.chats.len()
                    ),
                );
            }
        });
    }
}

/// The post's place in its source, for an error about it.
fn position_of(post: &Post) -> Position {
    let mut p = Position::file(post.source.file.clone());
    p.line = post.source.line;
    p.index = post.source.index;
    p.byte = post.source.byte;
    p
}

/// Whether the `tgnorm` entry lists derived keys.
fn derived_any(entries: &[Entry]) -> bool {
    entries.iter().any(|(_, k, v)| k == TGNORM_KEY && v.get("derived").is_some())
}

/// The opening of a chat entry in `chats.list`, up to its first message
/// (`"messages": [` and a newline), or through `"messages": [` alone when
/// `has_messages` is false (the caller closes it with `]`).
fn entry_header(chat: Option<&ChatOut>, has_messages: bool) -> Vec<u8> {
    let mut out = b"   {\n".to_vec();
    header(&mut out, chat.and_then(|c| c.chat.as_ref()), chat.and_then(|c| c.raw_id.as_ref()), 4);
    out.extend_from_slice(if has_messages {
        b"    \"messages\": [\n"
    } else {
        b"    \"messages\": ["
    });
    out
}

/// One message at the single-chat indent: `  {` … `  }`.
fn render(out: &mut Vec<u8>, entries: &[Entry], x: bool) {
    out.extend_from_slice(b"  {\n");
    let mut first = true;
    for (_, key, value) in entries {
        if !first {
            out.extend_from_slice(b",\n");
        }
        first = false;
        out.extend_from_slice(b"   ");
        write_str(out, key, x);
        out.extend_from_slice(b": ");
        // The reactions quirk: one extra level of indent (J:1090-1095).
        let indent = if key == "reactions" { 4 } else { 3 };
        write_value(out, value, indent, x);
    }
    out.extend_from_slice(b"\n  }");
}

fn layout(post: &Post) -> Option<&Map<String, Value>> {
    post.extra.get(LAYOUT_KEY).and_then(Value::as_object)
}

/// The text written for a rich message.
static NO_TEXT: Text = Text { spans: Vec::new() };

const NO_NAME_TYPES: [&str; 3] = ["saved_messages", "replies", "verification_codes"];

/// Writes the chat keys at `indent` spaces; returns the chat a reader will
/// make of them.
fn header(
    out: &mut Vec<u8>,
    chat: Option<&Chat>,
    raw_id: Option<&Value>,
    indent: usize,
) -> Option<Chat> {
    let pad = " ".repeat(indent);
    let Some(chat) = chat else {
        out.extend_from_slice(format!("{pad}\"name\": null,\n{pad}\"type\": null,\n").as_bytes());
        return None;
    };
    let no_name =
        chat.name.is_none() && chat.kind.as_deref().is_some_and(|k| NO_NAME_TYPES.contains(&k));
    if !no_name {
        out.extend_from_slice(format!("{pad}\"name\": ").as_bytes());
        write_opt_str(out, chat.name.as_deref());
        out.extend_from_slice(b",\n");
    }
    out.extend_from_slice(format!("{pad}\"type\": ").as_bytes());
    write_opt_str(out, chat.kind.as_deref());
    out.extend_from_slice(b",\n");
    let mut read_back =
        Chat { name: chat.name.clone(), id: None, username: None, kind: chat.kind.clone() };
    let bare = chat.id.as_deref().and_then(|id| {
        let digits = id.trim_start_matches(|c: char| c.is_ascii_lowercase());
        let prefix = id.get(..id.len() - digits.len())?;
        let n: i64 = digits.parse().ok()?;
        // Only an id whose prefix the chat type implies comes back the same.
        (chat.kind.as_deref().and_then(chat_prefix) == Some(prefix) && n >= 0).then_some(n)
    });
    if let Some(n) = bare {
        out.extend_from_slice(format!("{pad}\"id\": {n},\n").as_bytes());
        read_back.id = chat.id.clone();
    } else if let Some(raw @ Value::Number(_)) = raw_id {
        out.extend_from_slice(format!("{pad}\"id\": ").as_bytes());
        write_value(out, raw, indent, false);
        out.extend_from_slice(b",\n");
    }
    Some(read_back)
}

/// Telegram Desktop's key order (§2.3–§2.5); keys it does not know go
/// before `text`.
fn rank(key: &str) -> u16 {
    match key {
        "id" => 10,
        "type" => 20,
        "date" => 30,
        "date_unixtime" => 31,
        "edited" => 40,
        "edited_unixtime" => 41,
        "actor" => 50,
        "actor_id" => 51,
        "action" => 52,
        "from" => 60,
        "from_id" => 61,
        "author" => 62,
        "forwarded_from" => 63,
        "forwarded_from_id" => 64,
        "saved_from" => 65,
        "reply_to_message_id" => 66,
        "reply_to_peer_id" => 67,
        "via_bot" => 68,
        "photo" => 70,
        "photo_file_size" => 71,
        "file" => 72,
        "file_name" => 73,
        "file_size" => 74,
        "thumbnail" => 75,
        "thumbnail_file_size" => 76,
        "media_type" => 77,
        "sticker_emoji" => 78,
        "performer" => 79,
        "title" => 80,
        "mime_type" => 81,
        "duration_seconds" => 82,
        "width" => 83,
        "height" => 84,
        "media_spoiler" => 85,
        "self_destruct_period_seconds" => 86,
        "contact_information" => 87,
        "contact_vcard" => 88,
        "contact_vcard_file_size" => 89,
        "place_name" => 90,
        "address" => 91,
        "location_information" => 92,
        "live_location_period_seconds" => 93,
        "game_title" => 94,
        "game_description" => 95,
        "game_link" => 96,
        "invoice_information" => 97,
        "poll" => 98,
        "todo_list" => 99,
        "giveaway_information" => 100,
        "giveaway_results" => 101,
        "paid_stars_amount" => 102,
        "text" => 120,
        "text_entities" => 121,
        "inline_bot_buttons" => 130,
        "reactions" => 140,
        TGNORM_KEY => 200,
        _ => UNKNOWN,
    }
}

/// Rank of a service action's own keys: right after `action`.
const DETAILS: u16 = 53;
/// Ranks of message fields (sender, forward, reply, media) and of keys
/// Telegram Desktop does not write.
const MESSAGE_FIELDS: u16 = 60;
const UNKNOWN: u16 = 110;
/// Where a service post's message fields go: after `text_entities`.
const AFTER_TEXT: u16 = 125;
/// Ranks of media keys.
const MEDIA_KEYS: std::ops::RangeInclusive<u16> = 70..=102;
/// Rank of the first of two `text` keys.
const FIRST_TEXT: u16 = 119;

type Entry<'a> = (u16, Cow<'a, str>, Value);

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn opt_s(v: Option<&str>) -> Value {
    v.map_or(Value::Null, s)
}

/// Telegram Desktop's keys for a post, in its order, with the `tgnorm`
/// key for what Telegram has no key for.
fn entries<'a>(post: &'a Post, id: i64, header: Option<&Chat>) -> Vec<Entry<'a>> {
    let mut e: Vec<Entry> = Vec::with_capacity(24);
    let mut hint = Map::new();
    when_and_what(post, id, &mut e, &mut hint);
    origin(post, &mut e, &mut hint);
    media(post, &mut e, &mut hint);
    text(post, &mut e, &mut hint);
    source_keys(post, &mut e, &mut hint);
    model_hints(post, header, &e, &mut hint);
    if post.kind == Kind::Service {
        // A service message's keys before `text` are its action's (§2.5), and
        // that is how they are read back; message fields that a service post
        // carries (from other sources) go after the text instead.
        for (r, _, _) in e.iter_mut() {
            if (MESSAGE_FIELDS..=UNKNOWN).contains(r) {
                *r = AFTER_TEXT;
            }
        }
    }
    if !hint.is_empty() {
        e.retain(|(_, key, _)| key != TGNORM_KEY);
        e.push((rank(TGNORM_KEY), Cow::Borrowed(TGNORM_KEY), Value::Object(hint)));
    }
    e.sort_by_key(|(r, _, _)| *r);
    e
}

type Hint = Map<String, Value>;

fn put<'a>(e: &mut Vec<Entry<'a>>, key: &'static str, v: Value) {
    e.push((rank(key), Cow::Borrowed(key), v));
}

/// A layout fact the reader recorded (`extra.tdesktop`).
fn flag(post: &Post, key: &str) -> Option<bool> {
    layout(post).and_then(|l| l.get(key)).and_then(Value::as_bool)
}

/// A date as Telegram Desktop writes it: local time and its Unix time. A
/// date whose offset the reader assumed (`source.local_dates`) is written
/// as the source had it, local and without a Unix time, which the assumed
/// offset would make up.
fn local_and_unix<'a>(post: &'a Post, key: &str, date: &'a str) -> (&'a str, Option<i64>) {
    match post.source.local_date(key) {
        Some(local) => (local, None),
        None => dates::split(date),
    }
}

/// `id`, `type`, the dates and a service post's action.
fn when_and_what<'a>(post: &'a Post, id: i64, e: &mut Vec<Entry<'a>>, hint: &mut Hint) {
    put(e, "id", Value::from(id));
    if post.id.is_none() {
        hint.insert("id_assigned".into(), Value::Bool(true));
    }
    put(e, "type", s(&post.kind.to_string()));
    // No date: rejected before (`Writer::write`), or an unsupported post,
    // which Telegram Desktop's reader takes without one.
    if let Some(d) = &post.date {
        let (local, unix) = local_and_unix(post, "date", d);
        put(e, "date", s(local));
        if let Some(u) = unix {
            put(e, "date_unixtime", s(&u.to_string()));
        }
    }
    match &post.edited {
        Some(Edited::At(d)) => {
            let (local, unix) = local_and_unix(post, "edited_at", d);
            put(e, "edited", s(local));
            if let Some(u) = unix {
                put(e, "edited_unixtime", s(&u.to_string()));
            }
        }
        Some(Edited::Unknown) => {
            hint.insert("edited".into(), Value::Bool(true));
        }
        None => {}
    }
    if let Some(service) = &post.service {
        if let Some(actor) = &service.actor {
            put(e, "actor", opt_s(actor.name.as_deref()));
            if let Some(id) = &actor.id {
                put(e, "actor_id", s(id));
            }
        }
        if let Some(action) = &service.action {
            put(e, "action", s(action));
        }
        for (k, v) in &service.details {
            e.push((DETAILS, Cow::Borrowed(k.as_str()), v.clone()));
        }
    }
}

/// Who sent it, and where it came from or answers to.
fn origin<'a>(post: &'a Post, e: &mut Vec<Entry<'a>>, hint: &mut Hint) {
    match (&post.from, post.kind) {
        (_, Kind::Message) => sender(post, e, hint),
        (Some(from), Kind::Service) => {
            // A service message has no sender keys in Telegram's format
            // (its `from` would be read as an action detail).
            hint.insert("from".into(), serde_json::to_value(from).unwrap_or(Value::Null));
        }
        (Some(from), _) => {
            put(e, "from", opt_s(from.name.as_deref()));
            if let Some(id) = &from.id {
                put(e, "from_id", s(id));
            }
        }
        (None, _) => {}
    }
    if let Some(author) = &post.author {
        put(e, "author", s(author));
    }
    if let Some(f) = &post.forwarded_from {
        put(e, "forwarded_from", opt_s(f.name.as_deref()));
        if let Some(id) = &f.id {
            put(e, "forwarded_from_id", s(id));
        }
        let mut h = Map::new();
        if let Some(u) = &f.username {
            h.insert("username".into(), s(u));
        }
        if let Some(m) = f.message_id {
            h.insert("message_id".into(), Value::from(m));
        }
        if let Some(d) = &f.date {
            h.insert("date".into(), s(post.source.local_date("forwarded_from_date").unwrap_or(d)));
        }
        if !h.is_empty() {
            hint.insert("forwarded_from".into(), Value::Object(h));
        }
    }
    if let Some(r) = &post.reply_to {
        if let Some(m) = r.message_id {
            put(e, "reply_to_message_id", Value::from(m));
        }
        if let Some(p) = &r.peer_id {
            put(e, "reply_to_peer_id", s(p));
        }
        let mut h = Map::new();
        if let Some(a) = &r.author {
            h.insert("author".into(), s(a));
        }
        if let Some(q) = &r.quote {
            h.insert("quote".into(), s(q));
        }
        if let Some(l) = r.source_line {
            h.insert("source_line".into(), Value::from(l));
        }
        let raw_peer = post.extra.contains_key("reply_to_peer_id");
        if !h.is_empty() || (r.message_id.is_none() && r.peer_id.is_none() && !raw_peer) {
            hint.insert("reply_to".into(), Value::Object(h));
        }
    }
    if let Some(bot) = &post.via_bot {
        // Telegram writes `@username`; web pages give the bare name.
        if bot.starts_with('@') {
            put(e, "via_bot", s(bot));
        } else {
            put(e, "via_bot", s(&format!("@{bot}")));
            add_derived(hint, "via_bot.@");
        }
    }
}

/// The first media entry in Telegram's keys when they can hold it; the
/// others (albums) under `tgnorm.media`.
fn media<'a>(post: &'a Post, e: &mut Vec<Entry<'a>>, hint: &mut Hint) {
    let mut rest: &[Media] = &post.media;
    if let Some(first) = post.media.first() {
        let (adapted, rule) = adapt(first);
        let first = adapted.as_ref().unwrap_or(first);
        if native(first) {
            if let Some(rule) = rule {
                add_derived(hint, rule);
            }
            let foreign = media_entries(first, e);
            if !foreign.is_empty() {
                hint.insert("media_extra".into(), Value::Object(foreign));
            }
            rest = post.media.get(1..).unwrap_or_default();
        }
    }
    if !rest.is_empty() {
        hint.insert("media".into(), serde_json::to_value(rest).unwrap_or(Value::Null));
    }
}

/// `text` and `text_entities`.
fn text<'a>(post: &'a Post, e: &mut Vec<Entry<'a>>, hint: &mut Hint) {
    // A rich message's text was derived from `rich_message` by the reader
    // (`read::tdesktop_json::rich`): what goes back is the source's own
    // (empty or absent) text, and the reader derives it again.
    let rich =
        post.source.flags.iter().any(|f| f == RICH_FLAG) && post.extra.contains_key(RICH_KEY);
    let text = if rich { &NO_TEXT } else { &post.text };
    let write_text = match post.kind {
        Kind::Unsupported => !text.is_empty(),
        Kind::Service => flag(post, "text") != Some(false) || !text.is_empty(),
        Kind::Message => flag(post, "text") != Some(false) || !text.is_empty(),
    };
    if write_text {
        let trailing = flag(post, "trailing_empty") == Some(true);
        if trailing && text.spans.last().is_none_or(|s| s.style.is_none()) {
            // Nothing to hang the empty part on (cleaning changed the end):
            // keep the fact for the way back.
            hint.insert("trailing_empty".into(), Value::Bool(true));
        }
        let (mut text, mut entities) = text_values(text, trailing);
        if derive_mention_ids(&mut text) | derive_mention_ids(&mut entities) {
            add_derived(hint, "mention_name.user_id");
        }
        put(e, "text", text);
        if flag(post, "text_entities") != Some(false) {
            put(e, "text_entities", entities);
        }
    }
    if !post.reactions.is_empty() {
        put(e, "reactions", serde_json::to_value(&post.reactions).unwrap_or(Value::Null));
    }
}

/// Keys the reader kept from the source, which win over what the model
/// gives.
fn source_keys<'a>(post: &'a Post, e: &mut Vec<Entry<'a>>, hint: &mut Hint) {
    for (k, v) in &post.extra {
        match k.as_str() {
            LAYOUT_KEY => continue,
            "text" => e.push((FIRST_TEXT, Cow::Borrowed(k.as_str()), v.clone())),
            // Buttons without a `type` (Telegram Desktop HTML shows none)
            // are not Telegram's shape: kept under `tgnorm.extra`.
            "inline_bot_buttons" if !buttons_typed(v) => {
                let kept = hint.entry("extra").or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(kept) = kept {
                    kept.insert(k.clone(), v.clone());
                }
            }
            _ => {
                e.retain(|(r, key, _)| *r == DETAILS || key != k);
                e.push((rank(k), Cow::Borrowed(k.as_str()), v.clone()));
            }
        }
    }
}

/// Model fields Telegram has no key for, and facts for the way back.
fn model_hints(post: &Post, header: Option<&Chat>, e: &[Entry], hint: &mut Hint) {
    let lay = layout(post);
    if let Some(v) = post.views {
        hint.insert("views".into(), Value::from(v));
    }
    if !post.cleaned.is_empty() {
        hint.insert("cleaned".into(), serde_json::to_value(&post.cleaned).unwrap_or(Value::Null));
    }
    // Flags the reader sets again by itself are not repeated.
    let flags: Vec<&String> = post
        .source
        .flags
        .iter()
        .filter(|f| !matches!(f.as_str(), "id_assigned" | RICH_FLAG | ASSUMED_OFFSET))
        .collect();
    if !flags.is_empty() {
        hint.insert("flags".into(), serde_json::to_value(flags).unwrap_or(Value::Null));
    }
    if post.chat.as_ref() != header {
        hint.insert("chat".into(), serde_json::to_value(&post.chat).unwrap_or(Value::Null));
        if let Some(raw) = lay.and_then(|l| l.get("chat_id")) {
            hint.insert("chat_id".into(), raw.clone());
        }
    }
    if flag(post, "x_escapes") == Some(true)
        && !e.iter().any(|(_, k, v)| has_control(k) || value_has_control(v))
    {
        hint.insert("x_escapes".into(), Value::Bool(true));
    }
}

fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
}

fn value_has_control(v: &Value) -> bool {
    match v {
        Value::String(s) => has_control(s),
        Value::Array(items) => items.iter().any(value_has_control),
        Value::Object(map) => map.iter().any(|(k, v)| has_control(k) || value_has_control(v)),
        _ => false,
    }
}

const STRUCTURED: [(&str, &str); 9] = [
    ("contact", "contact_information"),
    ("location", "location_information"),
    ("invoice", "invoice_information"),
    ("poll", "poll"),
    ("todo_list", "todo_list"),
    ("giveaway", "giveaway_information"),
    ("giveaway_results", "giveaway_results"),
    ("paid_media", "paid_stars_amount"),
    ("contact", "contact_vcard"),
];

/// Whether a media entry has a native `result.json` form that reads back
/// the same.
fn native(m: &Media) -> bool {
    if m.status == MediaStatus::NotSupported {
        return false;
    }
    // Keys Telegram Desktop has no media key for go under
    // `tgnorm.media_extra` (see `media_entries`).
    let has_file = m.file.is_some() || m.status != MediaStatus::Ok;
    let plain =
        m.file.is_none() && m.file_name.is_none() && m.mime_type.is_none() && m.file_size.is_none();
    match m.kind.as_str() {
        "photo" => {
            has_file
                && m.file_name.is_none()
                && m.mime_type.is_none()
                && m.duration_seconds.is_none()
                && m.title.is_none()
        }
        "venue" | "game" => plain && m.status == MediaStatus::Ok && m.title.is_some(),
        k if STRUCTURED.iter().any(|(kind, _)| *kind == k) => {
            plain
                && m.status == MediaStatus::Ok
                && m.title.is_none()
                && STRUCTURED.iter().any(|(kind, key)| *kind == k && m.extra.contains_key(*key))
        }
        "document" => has_file,
        _ => true,
    }
}

fn placeholder(m: &Media) -> Option<Value> {
    match m.status {
        MediaStatus::Ok => m.file.as_deref().map(s),
        MediaStatus::NotIncluded => Some(s(NOT_INCLUDED)),
        MediaStatus::TooBig => Some(s(TOO_BIG)),
        MediaStatus::Unavailable | MediaStatus::NotSupported => Some(s(UNAVAILABLE)),
    }
}

/// Writes a media entry in Telegram's keys; returns its `extra` keys that
/// Telegram has no media key for (they would read back as message keys).
fn media_entries(m: &Media, e: &mut Vec<Entry<'_>>) -> Map<String, Value> {
    let mut foreign = Map::new();
    let mut put = |key: &'static str, v: Value| e.push((rank(key), Cow::Borrowed(key), v));
    let is_structured =
        STRUCTURED.iter().any(|(k, _)| *k == m.kind) || m.kind == "venue" || m.kind == "game";
    if m.kind == "photo" {
        if let Some(p) = placeholder(m) {
            put("photo", p);
        }
        if let Some(n) = m.file_size {
            put("photo_file_size", Value::from(n));
        }
    } else if m.kind == "venue" {
        put("place_name", opt_s(m.title.as_deref()));
    } else if m.kind == "game" {
        put("game_title", opt_s(m.title.as_deref()));
    } else if !is_structured {
        if let Some(p) = placeholder(m) {
            put("file", p);
        }
        if let Some(n) = &m.file_name {
            put("file_name", s(n));
        }
        if let Some(n) = m.file_size {
            put("file_size", Value::from(n));
        }
        match m.kind.as_str() {
            "document" => {}
            "video" => put("media_type", s("video_file")),
            "audio" => put("media_type", s("audio_file")),
            other => put("media_type", s(other)),
        }
        if let Some(t) = &m.title {
            put("title", s(t));
        }
        if let Some(t) = &m.mime_type {
            put("mime_type", s(t));
        }
        if let Some(d) = m.duration_seconds {
            put("duration_seconds", Value::from(d));
        }
    }
    if let Some(w) = m.width {
        put("width", Value::from(w));
    }
    if let Some(h) = m.height {
        put("height", Value::from(h));
    }
    for (k, v) in &m.extra {
        if !MEDIA_KEYS.contains(&rank(k)) {
            foreign.insert(k.clone(), v.clone());
            continue;
        }
        e.retain(|(_, key, _)| key != k);
        e.push((rank(k), Cow::Owned(k.clone()), v.clone()));
    }
    foreign
}

/// A media entry from a web page or an HTML export in the shape Telegram's
/// keys can hold, and the `tgnorm.derived` mark that undoes it (the rules
/// are in [`crate::format::tdesktop_json`]).
fn adapt(m: &Media) -> (Option<Media>, Option<&'static str>) {
    let structured = m.status == MediaStatus::Ok && m.file.is_none();
    let adapted = match m.kind.as_str() {
        "location" if structured => {
            adapt_structured(m, "location_information", &[], &["latitude", "longitude"], 2)
        }
        "poll" if structured && m.title.is_some() => {
            adapt_structured(m, "poll", &["question"], &["closed", "total_voters", "answers"], 1)
        }
        "contact" if structured => {
            adapt_structured(m, "contact_information", &["first_name"], &["phone_number"], 1)
        }
        _ => None,
    };
    if let Some(a) = adapted {
        let rule = match m.kind.as_str() {
            "location" => "media.location",
            "poll" => "media.poll",
            _ => "media.contact",
        };
        return (Some(a), Some(rule));
    }
    let files = [
        "photo",
        "video",
        "audio",
        "document",
        "animation",
        "voice_message",
        "video_message",
        "sticker",
        "video_file",
        "audio_file",
    ];
    if m.status == MediaStatus::Ok && m.file.is_none() && files.contains(&m.kind.as_str()) {
        let mut a = m.clone();
        a.status = MediaStatus::NotIncluded;
        return (Some(a), Some("media.status"));
    }
    (None, None)
}

/// Gathers a media entry's `title` (as the first of `from_title`, if any)
/// and its `extra` keys `moved` into one object under Telegram's `key`;
/// `None` when the entry already has that key or lacks one of the last
/// `required` keys moved (those Telegram's object cannot be without).
fn adapt_structured(
    m: &Media,
    key: &str,
    from_title: &[&str],
    moved: &[&str],
    required: usize,
) -> Option<Media> {
    let needed = moved.get(moved.len().saturating_sub(required)..).unwrap_or_default();
    if m.extra.contains_key(key) || !needed.iter().all(|k| m.extra.contains_key(*k)) {
        return None;
    }
    let mut object = Map::new();
    if let (Some(name), Some(title)) = (from_title.first(), &m.title) {
        object.insert((*name).into(), s(title));
    }
    for k in moved {
        if let Some(v) = m.extra.get(*k) {
            object.insert((*k).into(), v.clone());
        }
    }
    let mut a = m.clone();
    if !from_title.is_empty() {
        a.title = None;
    }
    a.extra = Map::new();
    a.extra.insert(key.into(), Value::Object(object));
    for (k, v) in m.extra.iter().filter(|(k, _)| !moved.contains(&k.as_str())) {
        a.extra.insert(k.clone(), v.clone());
    }
    Some(a)
}

/// `from` and `from_id` of a message: the source's, or derived by the rules
/// of [`crate::format::tdesktop_json`] and listed in `tgnorm.derived`.
fn sender<'a>(post: &'a Post, e: &mut Vec<Entry<'a>>, hint: &mut Map<String, Value>) {
    let mut put = |key: &'static str, v: Value| e.push((rank(key), Cow::Borrowed(key), v));
    let mut derived = Vec::new();
    let chat = post.chat.as_ref();
    let is_channel = chat.and_then(|c| c.kind.as_deref()).is_some_and(|k| k.ends_with("_channel"));
    let name = match post.from.as_ref() {
        Some(from) => from.name.clone(),
        None if is_channel => {
            derived.push("from");
            chat.and_then(|c| c.name.clone())
        }
        None => {
            derived.push("from");
            None
        }
    };
    put("from", opt_s(name.as_deref()));
    let source_id = post.from.as_ref().and_then(|f| f.id.clone());
    // A pre-2021 integer `from_id` kept in `extra` is written from there.
    if !post.extra.contains_key("from_id") {
        let id = source_id.unwrap_or_else(|| {
            derived.push("from_id");
            let own = name.is_some() && name.as_deref() == chat.and_then(|c| c.name.as_deref());
            match (own, chat.and_then(|c| c.id.clone())) {
                (true, Some(id)) => id,
                (true, None) => derived_peer_id("channel", name.as_deref().unwrap_or_default()),
                (false, _) => derived_peer_id("user", name.as_deref().unwrap_or_default()),
            }
        });
        put("from_id", s(&id));
    }
    for key in derived {
        add_derived(hint, key);
    }
}

/// Lists `key` in `tgnorm.derived`.
fn add_derived(hint: &mut Map<String, Value>, key: &str) {
    if let Value::Array(keys) = hint.entry("derived").or_insert_with(|| Value::Array(Vec::new())) {
        keys.push(s(key));
    }
}

/// Gives every `mention_name` part without a `user_id` (HTML and web
/// sources link the name, not the id) the number of
/// [`derived_peer_id`]`("user", text)`; true if any had none.
fn derive_mention_ids(parts: &mut Value) -> bool {
    let Value::Array(parts) = parts else { return false };
    let mut any = false;
    for part in parts.iter_mut() {
        let Value::Object(part) = part else { continue };
        if part.get("type").and_then(Value::as_str) != Some("mention_name")
            || part.contains_key("user_id")
        {
            continue;
        }
        let text = part.get("text").and_then(Value::as_str).unwrap_or_default();
        let id = derived_peer_id("", text).parse::<u64>().unwrap_or_default();
        part.insert("user_id".into(), Value::from(id));
        any = true;
    }
    any
}

/// Whether every inline button has its `type`, as Telegram writes them.
fn buttons_typed(v: &Value) -> bool {
    v.as_array().is_some_and(|rows| {
        rows.iter().all(|row| {
            row.as_array().is_some_and(|row| row.iter().all(|b| b.get("type").is_some()))
        })
    })
}

/// `text` and `text_entities` in Telegram Desktop's part encoding (§2.6).
fn text_values(text: &Text, trailing: bool) -> (Value, Value) {
    let mut parts = Vec::with_capacity(text.spans.len() + 1);
    let mut ents = Vec::with_capacity(text.spans.len() + 1);
    for span in &text.spans {
        let mut obj = Map::new();
        match &span.style {
            None => {
                obj.insert("type".into(), s("plain"));
                obj.insert("text".into(), s(&span.text));
                parts.push(s(&span.text));
            }
            Some(style) => {
                obj.insert("type".into(), s(&style.kind));
                obj.insert("text".into(), s(&span.text));
                // A part's own `type` and `text` come from the span; an
                // attribute by either name (a duplicate key in the source)
                // must not replace them.
                for (k, v) in
                    style.attrs.iter().filter(|(k, _)| !matches!(k.as_str(), "type" | "text"))
                {
                    obj.insert(k.clone(), v.clone());
                }
                parts.push(Value::Object(obj.clone()));
            }
        }
        ents.push(Value::Object(obj));
    }
    let ends_styled = text.spans.last().is_some_and(|s| s.style.is_some());
    if trailing && ends_styled {
        let mut obj = Map::new();
        obj.insert("type".into(), s("plain"));
        obj.insert("text".into(), s(""));
        parts.push(s(""));
        ents.push(Value::Object(obj));
    }
    let text = match parts.as_slice() {
        [] => s(""),
        [Value::String(one)] => s(one),
        _ => Value::Array(parts),
    };
    (text, Value::Array(ents))
}

fn write_opt_str(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(v) => write_str(out, v, false),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string as Telegram Desktop escapes it (J:26-70); C0 controls as
/// `\xHH` when `x`, else as `\u00hh`.
fn write_str(out: &mut Vec<u8>, v: &str, x: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = v.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1F => Some(b""),
            // U+2028 / U+2029 are E2 80 A8 / E2 80 A9.
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                Some(b"")
            }
            _ => None,
        };
        let Some(esc) = esc else { continue };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if !esc.is_empty() {
            out.extend_from_slice(esc);
            start = i + 1;
        } else if b == 0xE2 {
            out.extend_from_slice(if bytes.get(i + 2) == Some(&0xA8) {
                b"\\u2028"
            } else {
                b"\\u2029"
            });
            start = i + 3;
        } else if x {
            out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ]);
            start = i + 1;
        } else {
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[
                HEX_LOWER[usize::from(b >> 4)],
                HEX_LOWER[usize::from(b & 0xF)],
            ]);
            start = i + 1;
        }
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        // std::to_string(double): six decimals (D:39-46), which is what every
        // double of a real export is; a value that six decimals would change
        // (from another source) keeps its shortest exact form.
        let six = format!("{f:.6}");
        if six.parse::<f64>().ok() == Some(f) {
            out.extend_from_slice(six.as_bytes());
        } else {
            out.extend_from_slice(f.to_string().as_bytes());
        }
    }
}

/// A value in the writer's layout; `indent` is the nesting level of the
/// line the value starts on.
fn write_value(out: &mut Vec<u8>, v: &Value, indent: usize, x: bool) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(st) => write_str(out, st, x),
        Value::Array(items) if items.is_empty() => out.extend_from_slice(b"[]"),
        Value::Object(map) if map.is_empty() => out.extend_from_slice(b"{}"),
        Value::Array(items) => {
            out.extend_from_slice(b"[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",\n");
                }
                out.resize(out.len() + indent + 1, b' ');
                write_value(out, item, indent + 1, x);
            }
            out.push(b'\n');
            out.resize(out.len() + indent, b' ');
            out.push(b']');
        }
        Value::Object(map) => {
            out.extend_from_slice(b"{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",\n");
                }
                out.resize(out.len() + indent + 1, b' ');
                write_str(out, k, x);
                out.extend_from_slice(b": ");
                write_value(out, item, indent + 1, x);
            }
            out.push(b'\n');
            out.resize(out.len() + indent, b' ');
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::tdesktop_json::Reader;

    /// An entity attribute named `type` or `text` (possible in JSONL) never
    /// replaces the part's own type and text.
    #[test]
    fn attributes_do_not_replace_a_parts_type_or_text() {
        use crate::model::{Span, Style};
        let mut attrs = crate::model::Extra::new();
        attrs.insert("text".into(), Value::from(vec![1, 2]));
        attrs.insert("type".into(), Value::from("x"));
        attrs.insert("collapsed".into(), Value::from(false));
        let style = Style { kind: "blockquote".into(), attrs };
        let text = Text { spans: vec![Span { text: "q".into(), style: Some(style) }] };
        let (parts, ents) = text_values(&text, false);
        let want = serde_json::json!([{"type": "blockquote", "text": "q", "collapsed": false}]);
        assert_eq!(parts, want);
        assert_eq!(ents, want);
    }

    fn round_trip(input: &str, options: Options) -> String {
        let posts: Vec<Post> = Reader::new(input.as_bytes(), "t".into(), Notes::default())
            .map(|p| p.unwrap())
            .collect();
        let mut w = Writer::new(Vec::new(), "-".into());
        w.set_options(options);
        for p in &posts {
            w.write(p).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn escapes_like_telegram_desktop() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"\\\n\r\t\u{b}\u{2028}/é\u{7f}", true);
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"\\\\\\n\\r\\t\\x0B\\u2028/é\u{7f}\"");
        let mut out = Vec::new();
        write_str(&mut out, "\u{0}\u{1f}", false);
        assert_eq!(String::from_utf8(out).unwrap(), "\"\\u0000\\u001f\"");
    }

    #[test]
    fn doubles_have_six_decimals() {
        let mut out = Vec::new();
        write_value(&mut out, &serde_json::json!({"latitude": 55.75, "n": -3}), 3, false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n    \"latitude\": 55.750000,\n    \"n\": -3\n   }"
        );
    }

    #[test]
    fn writes_back_byte_for_byte() {
        let input = "{\n \"name\": \"C\",\n \"type\": \"public_channel\",\n \"id\": 42,\n \"messages\": [\n  {\n   \"id\": 1,\n   \"type\": \"message\",\n   \"date\": \"2026-06-17T16:24:01\",\n   \"date_unixtime\": \"1781699041\",\n   \"from\": \"C\",\n   \"from_id\": \"channel42\",\n   \"text\": [\n    \"a\\x0B \",\n    {\n     \"type\": \"bold\",\n     \"text\": \"b\"\n    },\n    \"\"\n   ],\n   \"text_entities\": [\n    {\n     \"type\": \"plain\",\n     \"text\": \"a\\x0B \"\n    },\n    {\n     \"type\": \"bold\",\n     \"text\": \"b\"\n    },\n    {\n     \"type\": \"plain\",\n     \"text\": \"\"\n    }\n   ],\n   \"reactions\": [\n     {\n      \"type\": \"emoji\",\n      \"count\": 4,\n      \"emoji\": \"🔥\"\n     }\n    ]\n  }\n ]\n}";
        let x = Options { tdesktop_escapes: true };
        assert_eq!(round_trip(input, x), input);
        // By default the same file comes back as JSON: `\u000b`.
        assert_eq!(round_trip(input, Options::default()), input.replace("\\x0B", "\\u000b"));
    }

    #[test]
    fn empty_input_is_a_valid_export() {
        let w = Writer::new(Vec::new(), "-".into());
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(out, "{\n \"name\": null,\n \"type\": null,\n \"messages\": []\n}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["messages"], serde_json::json!([]));
    }

    #[test]
    fn posts_without_ids_get_numbered_and_without_dates_are_rejected() {
        let mut w = Writer::new(Vec::new(), "-".into());
        let notes = Notes::default();
        w.set_notes(notes.clone());
        let mut p = Post { text: Text::plain("hi"), views: Some(7), ..Post::default() };
        p.source.format = "text".into();
        p.source.file = "dump.txt".into();
        p.source.line = Some(3);
        let err = w.write(&p).unwrap_err();
        assert!(err.is_record_error());
        assert_eq!(err.position().line, Some(3));
        assert!(err.to_string().starts_with("dump.txt:3: post without a date"), "{err}");
        p.date = Some("2024-07-04T10:00:00+03:00".into());
        w.write(&p).unwrap();
        w.write(&p).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["messages"][1]["id"], 2);
        assert_eq!(v["messages"][0]["date"], "2024-07-04T10:00:00");
        assert_eq!(v["messages"][0]["date_unixtime"], "1720076400");
        assert_eq!(v["messages"][0]["from"], Value::Null);
        let from_id = v["messages"][0]["from_id"].as_str().unwrap();
        assert!(crate::format::tdesktop_json::is_derived_peer_id(from_id), "{from_id}");
        assert_eq!(v["messages"][0]["tgnorm"]["derived"], serde_json::json!(["from", "from_id"]));
        assert_eq!(v["messages"][0]["text_entities"][0]["type"], "plain");
        assert_eq!(v["messages"][0]["tgnorm"]["views"], 7);
        assert_eq!(notes.counters().ids_assigned, 2);
        let back: Vec<Post> =
            Reader::new(out.as_bytes(), "t".into(), Notes::default()).map(|p| p.unwrap()).collect();
        assert_eq!(back[0].id, Some(1));
        assert_eq!(back[0].from, None);
        assert_eq!(back[0].views, Some(7));
        assert_eq!(back[0].chat, None);
        assert_eq!(back[0].source.flags, ["id_assigned"]);
    }

    /// Posts of two chats give a full-account export whose chats read back
    /// apart; a chat that comes back after another gets a further entry.
    #[test]
    fn several_chats_become_a_full_account_export() {
        let chat = |name: &str, id: &str| Chat {
            name: Some(name.into()),
            id: Some(id.into()),
            username: None,
            kind: Some("public_channel".into()),
        };
        let post = |c: &Chat, id: i64| Post {
            chat: Some(c.clone()),
            id: Some(id),
            date: Some("2024-01-01T00:00:00+00:00".into()),
            text: Text::plain(format!("{id}")),
            ..Post::default()
        };
        let (a, b) = (chat("A", "channel1"), chat("B", "channel2"));
        let posts = [post(&a, 1), post(&a, 2), post(&b, 1), post(&a, 3)];
        let mut w = Writer::new(Vec::new(), "-".into());
        for p in &posts {
            w.write(p).unwrap();
        }
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        let list = v["chats"]["list"].as_array().unwrap();
        let names: Vec<&Value> = list.iter().map(|c| &c["name"]).collect();
        assert_eq!(names, ["A", "B", "A"]);
        assert_eq!(list[0]["id"], 1);
        assert_eq!(list[0]["messages"].as_array().unwrap().len(), 2);
        assert!(out.contains("\n    \"messages\": [\n     {\n      \"id\": 1,"), "{out}");
        let back: Vec<Post> =
            Reader::new(out.as_bytes(), "t".into(), Notes::default()).map(|p| p.unwrap()).collect();
        let chats: Vec<Option<&str>> =
            back.iter().map(|p| p.chat.as_ref().and_then(|c| c.name.as_deref())).collect();
        assert_eq!(chats, [Some("A"), Some("A"), Some("B"), Some("A")]);
        assert_eq!(back[2].chat.as_ref().and_then(|c| c.id.as_deref()), Some("channel2"));
        // The channel as sender: written (derived), and taken off again.
        assert_eq!(list[1]["messages"][0]["from_id"], "channel2");
        assert_eq!(list[1]["messages"][0]["from"], "B");
        assert_eq!(back[2].from, None);
    }

    /// The spool goes to a temporary file past its memory budget and comes
    /// back whole.
    #[test]
    fn a_large_first_chat_spools_to_a_file() {
        let mut spool = Spool::Memory(Vec::new());
        let line = vec![b'x'; 1000];
        for _ in 0..(SPOOL_MEMORY / 1000 + 10) {
            spool.write_all(&line).unwrap();
            spool.write_all(b"\n").unwrap();
        }
        assert!(matches!(spool, Spool::File(_)));
        let mut out = Vec::new();
        spool.copy_to(&mut out, 2).unwrap();
        assert_eq!(out.len(), (SPOOL_MEMORY / 1000 + 10) * 1003);
        assert!(out.starts_with(b"xx") && out.ends_with(b"\n  "));
    }
}
