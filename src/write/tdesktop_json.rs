//! Posts → a Telegram Desktop `result.json`, in Telegram Desktop's own bytes.
//!
//! The layout is the hand-written serializer's (docs/tdesktop-export-format.md
//! §2.1): one space of indent per level, `": "` and `",\n"`, its key order
//! (§2.3–§2.5), its escaping, `reactions` one level too deep, doubles with
//! six decimals, and no newline at the end. A file this module writes from
//! posts read out of a current export is that export, byte for byte.
//!
//! Where the posts came from elsewhere, it writes a valid single-chat export:
//! every message gets an `id` (numbered from 1 when the source has none), a
//! `type`, a `date` and `text` + `text_entities` in Telegram's part encoding.
//! Model fields that Telegram Desktop has no key for (views, reply quotes,
//! forward usernames, albums, …) go under one `tgnorm` key at the end of the
//! message, which Telegram-aware tools ignore and tgnorm reads back, so that
//! `JSONL → tdesktop-json → JSONL` loses nothing.
//!
//! Escaping of C0 control characters: Telegram Desktop writes `\xHH`, which
//! is not JSON. This writer writes `\xHH` only for messages whose source had
//! such escapes (the reader marks them) and `\u00hh` otherwise: it reproduces
//! what the source had and never makes a valid file invalid.
//!
//! Output is always the single-chat layout. Posts of several chats (a full
//! export read back) keep their own chat under `tgnorm.chat`.

use crate::error::{Error, Result};
use crate::model::{Chat, Edited, Kind, Media, MediaStatus, Post, Text};
use crate::read::tdesktop_json::{
    chat_prefix, dates, LAYOUT_KEY, NOT_INCLUDED, TGNORM_KEY, TOO_BIG, UNAVAILABLE,
};
use crate::read::Notes;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::io::Write;

/// The date written for a message whose source has none (with
/// `tgnorm.date_unknown`), as old exports wrote 1970 for "no edit".
pub const UNKNOWN_DATE: &str = "1970-01-01T00:00:00";

/// Writes posts as one Telegram Desktop single-chat export.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    started: bool,
    /// The chat as a reader will see it from the header.
    header: Option<Chat>,
    next_id: i64,
    assigned: u64,
    notes: Option<Notes>,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer {
            out,
            name,
            started: false,
            header: None,
            next_id: 1,
            assigned: 0,
            notes: None,
            buf: Vec::new(),
        }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Where to count the ids this writer had to assign.
    pub fn set_notes(&mut self, notes: Notes) {
        self.notes = Some(notes);
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(self.name.clone(), e)
    }

    /// Writes one post as one message.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        self.buf.clear();
        if self.started {
            self.buf.extend_from_slice(b",\n");
        } else {
            self.started = true;
            let layout = layout(post);
            self.header =
                header(&mut self.buf, post.chat.as_ref(), layout.and_then(|l| l.get("chat_id")));
            self.buf.extend_from_slice(b" \"messages\": [\n");
        }
        let id = match post.id {
            Some(id) => {
                self.next_id = self.next_id.max(id.saturating_add(1));
                id
            }
            None => {
                let id = self.next_id;
                self.next_id = self.next_id.saturating_add(1);
                self.assigned += 1;
                id
            }
        };
        let entries = entries(post, id, self.header.as_ref());
        let x =
            layout(post).and_then(|l| l.get("x_escapes")).and_then(Value::as_bool).unwrap_or(false);
        self.buf.extend_from_slice(b"  {\n");
        let mut first = true;
        for (_, key, value) in &entries {
            if !first {
                self.buf.extend_from_slice(b",\n");
            }
            first = false;
            self.buf.extend_from_slice(b"   ");
            write_str(&mut self.buf, key, x);
            self.buf.extend_from_slice(b": ");
            // The reactions quirk: one extra level of indent (J:1090-1095).
            let indent = if key == "reactions" { 4 } else { 3 };
            write_value(&mut self.buf, value, indent, x);
        }
        self.buf.extend_from_slice(b"\n  }");
        let buf = std::mem::take(&mut self.buf);
        let result = self.out.write_all(&buf).map_err(|e| self.io(e));
        self.buf = buf;
        result
    }

    /// Closes the export (no newline at the end, as Telegram Desktop) and
    /// flushes.
    pub fn finish(mut self) -> Result<W> {
        let mut tail = Vec::new();
        if self.started {
            tail.extend_from_slice(b"\n ]\n}");
        } else {
            header(&mut tail, None, None);
            tail.extend_from_slice(b" \"messages\": []\n}");
        }
        self.out.write_all(&tail).map_err(|e| self.io(e))?;
        self.out.flush().map_err(|e| self.io(e))?;
        if self.assigned > 0 {
            if let Some(notes) = &self.notes {
                notes.add("ids_assigned", self.assigned);
                notes.set(
                    &format!("ids {}", self.name),
                    format!(
                        "{} messages had no id and were numbered (tgnorm.id_assigned)",
                        self.assigned
                    ),
                );
            }
        }
        Ok(self.out)
    }
}

fn layout(post: &Post) -> Option<&Map<String, Value>> {
    post.extra.get(LAYOUT_KEY).and_then(Value::as_object)
}

const NO_NAME_TYPES: [&str; 3] = ["saved_messages", "replies", "verification_codes"];

/// Writes the chat keys; returns the chat a reader will make of them.
fn header(out: &mut Vec<u8>, chat: Option<&Chat>, raw_id: Option<&Value>) -> Option<Chat> {
    out.extend_from_slice(b"{\n");
    let Some(chat) = chat else {
        out.extend_from_slice(b" \"name\": null,\n \"type\": null,\n");
        return None;
    };
    let no_name =
        chat.name.is_none() && chat.kind.as_deref().is_some_and(|k| NO_NAME_TYPES.contains(&k));
    if !no_name {
        out.extend_from_slice(b" \"name\": ");
        write_opt_str(out, chat.name.as_deref());
        out.extend_from_slice(b",\n");
    }
    out.extend_from_slice(b" \"type\": ");
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
        out.extend_from_slice(format!(" \"id\": {n},\n").as_bytes());
        read_back.id = chat.id.clone();
    } else if let Some(raw @ Value::Number(_)) = raw_id {
        out.extend_from_slice(b" \"id\": ");
        write_value(out, raw, 1, false);
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

fn entries<'a>(post: &'a Post, id: i64, header: Option<&Chat>) -> Vec<Entry<'a>> {
    let mut e: Vec<Entry> = Vec::with_capacity(24);
    let mut hint = Map::new();
    let lay = layout(post);
    let flag = |k: &str| lay.and_then(|l| l.get(k)).and_then(Value::as_bool);
    let put = |e: &mut Vec<Entry<'a>>, key: &'static str, v: Value| {
        e.push((rank(key), Cow::Borrowed(key), v))
    };

    put(&mut e, "id", Value::from(id));
    if post.id.is_none() {
        hint.insert("id_assigned".into(), Value::Bool(true));
    }
    put(&mut e, "type", s(&post.kind.to_string()));
    match &post.date {
        Some(d) => {
            let (local, unix) = dates::split(d);
            put(&mut e, "date", s(local));
            if let Some(u) = unix {
                put(&mut e, "date_unixtime", s(&u.to_string()));
            }
        }
        None if post.kind != Kind::Unsupported => {
            put(&mut e, "date", s(UNKNOWN_DATE));
            hint.insert("date_unknown".into(), Value::Bool(true));
        }
        None => {}
    }
    match &post.edited {
        Some(Edited::At(d)) => {
            let (local, unix) = dates::split(d);
            put(&mut e, "edited", s(local));
            if let Some(u) = unix {
                put(&mut e, "edited_unixtime", s(&u.to_string()));
            }
        }
        Some(Edited::Unknown) => {
            hint.insert("edited".into(), Value::Bool(true));
        }
        None => {}
    }
    if let Some(service) = &post.service {
        if let Some(actor) = &service.actor {
            put(&mut e, "actor", opt_s(actor.name.as_deref()));
            if let Some(id) = &actor.id {
                put(&mut e, "actor_id", s(id));
            }
        }
        if let Some(action) = &service.action {
            put(&mut e, "action", s(action));
        }
        for (k, v) in &service.details {
            e.push((DETAILS, Cow::Borrowed(k.as_str()), v.clone()));
        }
    }
    if let Some(from) = &post.from {
        put(&mut e, "from", opt_s(from.name.as_deref()));
        if let Some(id) = &from.id {
            put(&mut e, "from_id", s(id));
        }
    }
    if let Some(author) = &post.author {
        put(&mut e, "author", s(author));
    }
    if let Some(f) = &post.forwarded_from {
        put(&mut e, "forwarded_from", opt_s(f.name.as_deref()));
        if let Some(id) = &f.id {
            put(&mut e, "forwarded_from_id", s(id));
        }
        let mut h = Map::new();
        if let Some(u) = &f.username {
            h.insert("username".into(), s(u));
        }
        if let Some(m) = f.message_id {
            h.insert("message_id".into(), Value::from(m));
        }
        if let Some(d) = &f.date {
            h.insert("date".into(), s(d));
        }
        if !h.is_empty() {
            hint.insert("forwarded_from".into(), Value::Object(h));
        }
    }
    if let Some(r) = &post.reply_to {
        if let Some(m) = r.message_id {
            put(&mut e, "reply_to_message_id", Value::from(m));
        }
        if let Some(p) = &r.peer_id {
            put(&mut e, "reply_to_peer_id", s(p));
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
        put(&mut e, "via_bot", s(bot));
    }
    let mut rest: &[Media] = &post.media;
    if let Some(first) = post.media.first() {
        if native(first) {
            media_entries(first, &mut e);
            rest = post.media.get(1..).unwrap_or_default();
        }
    }
    if !rest.is_empty() {
        hint.insert("media".into(), serde_json::to_value(rest).unwrap_or(Value::Null));
    }
    let write_text = match post.kind {
        Kind::Unsupported => !post.text.is_empty(),
        Kind::Service => flag("text") != Some(false) || !post.text.is_empty(),
        Kind::Message => true,
    };
    if write_text {
        let trailing = flag("trailing_empty") == Some(true);
        if trailing && post.text.spans.last().is_none_or(|s| s.style.is_none()) {
            // Nothing to hang the empty part on (cleaning changed the end):
            // keep the fact for the way back.
            hint.insert("trailing_empty".into(), Value::Bool(true));
        }
        let (text, entities) = text_values(&post.text, trailing);
        put(&mut e, "text", text);
        if flag("text_entities") != Some(false) {
            put(&mut e, "text_entities", entities);
        }
    }
    if !post.reactions.is_empty() {
        put(&mut e, "reactions", serde_json::to_value(&post.reactions).unwrap_or(Value::Null));
    }
    // Source values kept by the reader win over what the model derives.
    for (k, v) in &post.extra {
        match k.as_str() {
            LAYOUT_KEY => continue,
            "text" => e.push((FIRST_TEXT, Cow::Borrowed(k.as_str()), v.clone())),
            _ => {
                e.retain(|(r, key, _)| *r == DETAILS || key != k);
                e.push((rank(k), Cow::Borrowed(k.as_str()), v.clone()));
            }
        }
    }
    if let Some(v) = post.views {
        hint.insert("views".into(), Value::from(v));
    }
    if !post.cleaned.is_empty() {
        hint.insert("cleaned".into(), serde_json::to_value(&post.cleaned).unwrap_or(Value::Null));
    }
    let flags: Vec<&String> =
        post.source.flags.iter().filter(|f| f.as_str() != "id_assigned").collect();
    if !flags.is_empty() {
        hint.insert("flags".into(), serde_json::to_value(flags).unwrap_or(Value::Null));
    }
    if post.chat.as_ref() != header {
        hint.insert("chat".into(), serde_json::to_value(&post.chat).unwrap_or(Value::Null));
        if let Some(raw) = lay.and_then(|l| l.get("chat_id")) {
            hint.insert("chat_id".into(), raw.clone());
        }
    }
    if flag("x_escapes") == Some(true)
        && !e.iter().any(|(_, k, v)| has_control(k) || value_has_control(v))
    {
        hint.insert("x_escapes".into(), Value::Bool(true));
    }
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
    // Keys Telegram Desktop has no media key for would come back as message
    // keys: such an entry goes whole under `tgnorm.media`.
    if m.extra.keys().any(|k| !MEDIA_KEYS.contains(&rank(k))) {
        return false;
    }
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

fn media_entries<'a>(m: &'a Media, e: &mut Vec<Entry<'a>>) {
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
        e.retain(|(_, key, _)| key != k);
        e.push((rank(k), Cow::Borrowed(k.as_str()), v.clone()));
    }
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

    fn round_trip(input: &str) -> String {
        let posts: Vec<Post> = Reader::new(input.as_bytes(), "t".into(), Notes::default())
            .map(|p| p.unwrap())
            .collect();
        let mut w = Writer::new(Vec::new(), "-".into());
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
        assert_eq!(round_trip(input), input);
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
    fn posts_without_ids_dates_or_chat_get_numbered() {
        let mut w = Writer::new(Vec::new(), "-".into());
        let notes = Notes::default();
        w.set_notes(notes.clone());
        let mut p = Post { text: Text::plain("hi"), views: Some(7), ..Post::default() };
        p.source.format = "text".into();
        w.write(&p).unwrap();
        w.write(&p).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["messages"][1]["id"], 2);
        assert_eq!(v["messages"][0]["date"], UNKNOWN_DATE);
        assert_eq!(v["messages"][0]["text_entities"][0]["type"], "plain");
        assert_eq!(v["messages"][0]["tgnorm"]["views"], 7);
        assert_eq!(notes.counters()["ids_assigned"], 2);
        let back: Vec<Post> =
            Reader::new(out.as_bytes(), "t".into(), Notes::default()).map(|p| p.unwrap()).collect();
        assert_eq!(back[0].id, Some(1));
        assert_eq!(back[0].date, None);
        assert_eq!(back[0].views, Some(7));
        assert_eq!(back[0].chat, None);
        assert_eq!(back[0].source.flags, ["id_assigned"]);
    }
}
