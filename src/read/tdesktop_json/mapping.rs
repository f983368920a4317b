//! One message mapped onto the model: its keys by group (identity,
//! dates, service, sender and links, reactions, media, the rest to
//! `extra`), then the post assembled (dates joined, text spans, the chat,
//! tgnorm's own hints, layout facts in `extra.tdesktop`).

use super::raw::{part_value, Entities, Field, Part, RawMessage, TextValue};
use super::{rich, FORMAT};
use crate::error::{serde_message, Error, ErrorKind, Position, Result};
use crate::format::tdesktop_json::{
    chat_prefix, dates, LAYOUT_KEY, NOT_INCLUDED, TGNORM_KEY, TOO_BIG, UNAVAILABLE,
};
use crate::model::{
    Chat, Edited, Extra, Forward, Kind, Media, MediaStatus, Peer, Post, Reaction, Reply, Service,
    Source, Span, Style, Text,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// What the mapping needs to know about where a message came from.
pub(super) struct MapContext<'a> {
    pub(super) file: &'a str,
    pub(super) index: u64,
    pub(super) line: u64,
    pub(super) end_line: u64,
    pub(super) byte: u64,
    pub(super) x_escapes: bool,
}

/// Parses one message slice and maps it; errors carry `pos` (message start)
/// refined by serde_json's line and column inside the slice.
pub(super) fn map_slice(
    buf: &[u8],
    ctx: &MapContext,
    chat: &mut ChatState,
    pos: &Position,
) -> Result<Post> {
    // One UTF-8 check for the whole message (cheaper than one per string).
    // simdutf8 checks valid input several times faster than `std` (Arabic
    // and Cyrillic text is mostly multi-byte); on failure `std` says where.
    let checked = match simdutf8::basic::from_utf8(buf) {
        Ok(t) => Ok(t),
        Err(_) => std::str::from_utf8(buf),
    };
    let text = match checked {
        Ok(t) => t,
        Err(e) => {
            let valid = buf.get(..e.valid_up_to()).unwrap_or_default();
            let (line, column) = where_in(valid, pos);
            let mut p = pos.clone();
            p.line = Some(line);
            p.column = Some(column);
            let lossy = String::from_utf8_lossy(buf);
            let id = peek_id(lossy.as_bytes()).map(|id| format!("message {id}: "));
            let id = id.unwrap_or_default();
            let byte = buf.get(e.valid_up_to()).copied().unwrap_or(0);
            return Err(Error::new(
                p,
                ErrorKind::Encoding(format!("{id}invalid UTF-8 (byte 0x{byte:02X})")),
            ));
        }
    };
    let raw = match RawMessage::parse(text) {
        Ok(r) => r,
        Err(e) => {
            let mut p = pos.clone();
            if e.line() > 0 {
                let line = e.line() as u64;
                p.line = Some(pos.line.unwrap_or(1) + line - 1);
                // serde_json's column is 0 before a line's first character.
                let column = (e.column() as u64).max(1);
                p.column =
                    Some(if line == 1 { pos.column.unwrap_or(1) + column - 1 } else { column });
            }
            let id = peek_id(buf).map(|id| format!("message {id}: ")).unwrap_or_default();
            let kind = if e.is_syntax() || e.is_eof() {
                ErrorKind::Json(format!("{id}{}", serde_message(&e)))
            } else {
                ErrorKind::Data(format!("{id}{}", serde_message(&e)))
            };
            return Err(Error::new(p, kind));
        }
    };
    map_message(raw, ctx, chat).map_err(|(id, field, what)| {
        let mut p = pos.clone();
        if let (Some(ptr), Some(field)) = (p.pointer.as_mut(), field) {
            ptr.push('/');
            ptr.push_str(&field.replace('~', "~0").replace('/', "~1"));
        }
        let id = id.map(|id| format!("message {id}: ")).unwrap_or_default();
        Error::data(p, format!("{id}{what}"))
    })
}

/// The line and 1-based column in the file of the byte after `before`, the
/// start of a message that begins at `start`. Columns count characters.
fn where_in(before: &[u8], start: &Position) -> (u64, u64) {
    let (line, column) = (start.line.unwrap_or(1), start.column.unwrap_or(1));
    let chars = |b: &[u8]| String::from_utf8_lossy(b).chars().count() as u64;
    match memchr::memrchr(b'\n', before) {
        Some(last) => (
            line + memchr::memchr_iter(b'\n', before).count() as u64,
            1 + chars(before.get(last + 1..).unwrap_or_default()),
        ),
        None => (line, column + chars(before)),
    }
}

/// The `id` of a message that failed to parse, if it can be found at all.
fn peek_id(buf: &[u8]) -> Option<i64> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<i64>,
    }
    serde_json::from_slice::<IdOnly>(buf).ok()?.id
}

pub(super) type MapError = (Option<i64>, Option<String>, String);

fn is_peer_id(s: &str) -> bool {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let prefix_len = s.len() - digits.len();
    prefix_len > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The chat header (`name`, `type`, `id`) and what became of it.
#[derive(Clone, Debug, Default)]
pub(super) struct ChatState {
    pub(super) name: Option<Option<String>>,
    pub(super) kind: Option<Option<String>>,
    pub(super) id: Option<Value>,
    /// Decided at the first message: the chat for every post, and the raw
    /// id to keep when it could not be decoded.
    pub(super) decided: Option<(Option<Chat>, Option<Value>)>,
    /// Whether the file writes bare ids (2021-04 or later), once a message
    /// of any chat in it has said so.
    pub(super) era: Option<bool>,
}

impl ChatState {
    /// The chat of every post, decided at the first message: the id is
    /// decoded only when the file is known to write bare ids (string peer
    /// ids or `date_unixtime`, i.e. 2021-04 or later).
    fn chat(&mut self, modern: Option<bool>) -> (Option<Chat>, Option<Value>) {
        if let Some(d) = &self.decided {
            return d.clone();
        }
        let modern = modern.or(self.era);
        self.era = modern;
        let name = self.name.clone().flatten();
        let kind = self.kind.clone().flatten();
        let mut raw_id = None;
        let mut id = None;
        if let Some(v) = &self.id {
            let prefix = kind.as_deref().and_then(chat_prefix);
            match (modern, prefix, v.as_i64()) {
                (Some(true), Some(p), Some(n)) if n >= 0 => id = Some(format!("{p}{n}")),
                _ => raw_id = Some(v.clone()),
            }
        }
        let chat = if name.is_none() && kind.is_none() && id.is_none() && raw_id.is_none() {
            None
        } else {
            Some(Chat { name, id, username: None, kind })
        };
        self.decided = Some((chat, raw_id));
        self.decided.clone().unwrap_or((None, None))
    }
}

/// Media keys that start a media entry, and the `type` it gets.
fn media_start(key: &str) -> Option<&'static str> {
    Some(match key {
        "photo" => "photo",
        "file" | "media_type" => "document",
        "contact_information" | "contact_vcard" => "contact",
        "location_information" => "location",
        "place_name" => "venue",
        "game_title" => "game",
        "invoice_information" => "invoice",
        "poll" => "poll",
        "todo_list" => "todo_list",
        "giveaway_information" => "giveaway",
        "giveaway_results" => "giveaway_results",
        "paid_stars_amount" => "paid_media",
        _ => return None,
    })
}

/// Keys that describe the current media entry.
fn media_attr(key: &str) -> bool {
    matches!(
        key,
        "photo_file_size"
            | "file_name"
            | "file_size"
            | "thumbnail"
            | "thumbnail_file_size"
            | "media_type"
            | "sticker_emoji"
            | "performer"
            | "title"
            | "mime_type"
            | "duration_seconds"
            | "width"
            | "height"
            | "media_spoiler"
            | "self_destruct_period_seconds"
            | "contact_vcard"
            | "contact_vcard_file_size"
            | "location_information"
            | "live_location_period_seconds"
            | "address"
            | "game_description"
            | "game_link"
    )
}

/// `media_type` → the model's media type (DESIGN.md names).
fn media_kind(media_type: &str) -> &str {
    match media_type {
        "video_file" => "video",
        "audio_file" => "audio",
        other => other,
    }
}

fn status_of(path: &str) -> MediaStatus {
    match path {
        NOT_INCLUDED => MediaStatus::NotIncluded,
        TOO_BIG => MediaStatus::TooBig,
        UNAVAILABLE => MediaStatus::Unavailable,
        _ => MediaStatus::Ok,
    }
}

/// Model fields that tgnorm writes under the `tgnorm` key of a message.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Hint {
    views: Option<u64>,
    cleaned: Vec<String>,
    flags: Vec<String>,
    #[serde(default, deserialize_with = "some")]
    chat: Option<Option<Chat>>,
    chat_id: Option<Value>,
    trailing_empty: bool,
    x_escapes: bool,
    id_assigned: bool,
    date_unknown: bool,
    edited: bool,
    reply_to: Option<ReplyHint>,
    forwarded_from: Option<ForwardHint>,
    media: Vec<Media>,
}

fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ReplyHint {
    author: Option<String>,
    quote: Option<String>,
    source_line: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ForwardHint {
    username: Option<String>,
    message_id: Option<i64>,
    date: Option<String>,
}

/// Maps a parsed message onto a post: its keys are gathered in input order
/// ([`Gathered::take`], one function per key group), then the post is
/// assembled ([`Gathered::finish`]). Errors name the message by id once it
/// is known, and the key they are about.
pub(super) fn map_message(
    raw: RawMessage,
    ctx: &MapContext,
    chat: &mut ChatState,
) -> Result<Post, MapError> {
    let mut gathered = Gathered::new(ctx);
    for (key, field) in raw.fields {
        let key: &str = key.as_ref();
        if let Err(what) = gathered.take(key, field) {
            return Err((gathered.id, Some(key.to_string()), what));
        }
    }
    gathered.finish(ctx, chat)
}

/// What a message's keys said, gathered in input order before the post is
/// assembled.
struct Gathered {
    post: Post,
    id: Option<i64>,
    kind: Option<Kind>,
    date: Option<String>,
    date_unixtime: Option<Value>,
    edited: Option<Value>,
    edited_unixtime: Option<Value>,
    text: Option<TextValue>,
    entities: Option<Entities>,
    service: Service,
    /// Whether a key of the service action was seen.
    is_service_data: bool,
    /// The media entry being filled (keys describing it follow its start).
    media: Option<Media>,
    hint: Option<Hint>,
    hint_raw: Option<Value>,
    /// Whether the file writes bare ids (2021-04 or later), as far as this
    /// message tells.
    modern: Option<bool>,
}

impl Gathered {
    fn new(ctx: &MapContext) -> Gathered {
        let post = Post {
            source: Source {
                format: FORMAT.into(),
                file: ctx.file.to_owned(),
                line: Some(ctx.line),
                end_line: Some(ctx.end_line),
                index: Some(ctx.index),
                byte: Some(ctx.byte),
                ..Source::default()
            },
            ..Post::default()
        };
        Gathered {
            post,
            id: None,
            kind: None,
            date: None,
            date_unixtime: None,
            edited: None,
            edited_unixtime: None,
            text: None,
            entities: None,
            service: Service::default(),
            is_service_data: false,
            media: None,
            hint: None,
            hint_raw: None,
            modern: None,
        }
    }

    /// Takes one key and its value; an error says what is wrong with it.
    fn take(&mut self, key: &str, field: Field) -> Result<(), String> {
        let value = match field {
            Field::Text(t) => {
                self.take_text(t);
                return Ok(());
            }
            Field::Entities(e) => {
                self.entities = Some(e);
                return Ok(());
            }
            Field::Value(v) => v,
        };
        let in_service = self.kind == Some(Kind::Service);
        match key {
            "id" | "type" => self.identity(key, value),
            // Dates are checked here so that no impossible date reaches a
            // post, not even in `extra`.
            "date" | "edited" | "date_unixtime" | "edited_unixtime" => self.date_key(key, value),
            _ if in_service && self.text.is_none() && !matches!(key, "reactions" | TGNORM_KEY) => {
                self.service_key(key, value)
            }
            "from" | "from_id" | "author" | "via_bot" => self.sender(key, value),
            "forwarded_from"
            | "forwarded_from_id"
            | "reply_to_message_id"
            | "reply_to_peer_id"
            | "reply_to_top_message_id" => self.link(key, value),
            "reactions" => {
                self.post.reactions = reactions(value)?;
                Ok(())
            }
            TGNORM_KEY => {
                self.tgnorm(key, value);
                Ok(())
            }
            _ => self.media_or_extra(key, value),
        }
    }

    fn take_text(&mut self, t: TextValue) {
        if let Some(prev) = self.text.replace(t) {
            // A duplicate `text` (send_webview_data, send_star_gift): the
            // first one is the action's.
            let v = prev.to_value();
            if self.kind == Some(Kind::Service) {
                self.service.details.insert("text".into(), v);
            } else {
                self.post.extra.insert("text".into(), v);
            }
        }
    }

    /// `id` and `type`.
    fn identity(&mut self, key: &str, value: Value) -> Result<(), String> {
        if key == "id" {
            match value.as_i64() {
                Some(n) => self.id = Some(n),
                None => return Err(format!("`id` must be an integer, found {}", brief(&value))),
            }
            return Ok(());
        }
        self.kind = Some(match value.as_str() {
            Some("message") => Kind::Message,
            Some("service") => Kind::Service,
            Some("unsupported") => Kind::Unsupported,
            _ => return Err(format!("unknown message type {}", brief(&value))),
        });
        Ok(())
    }

    /// `date`, `edited` and their `_unixtime` companions.
    fn date_key(&mut self, key: &str, value: Value) -> Result<(), String> {
        match key {
            "date" | "edited" => match value {
                Value::String(s) if dates::is_instant(&s) => {
                    if key == "date" {
                        self.date = Some(s);
                    } else {
                        self.edited = Some(Value::String(s));
                    }
                }
                other => return Err(format!("`{key}` is not a date and time: {}", brief(&other))),
            },
            _ => {
                if !value.as_str().is_some_and(dates::is_unixtime) {
                    return Err(format!(
                        "`{key}` is not a Unix time (an integer string): {}",
                        brief(&value)
                    ));
                }
                if key == "date_unixtime" {
                    self.modern = self.modern.or(Some(true));
                    self.date_unixtime = Some(value);
                } else {
                    self.edited_unixtime = Some(value);
                }
            }
        }
        Ok(())
    }

    /// A key of a service message before its text: everything it says
    /// there belongs to the action (§2.5), `from`/`photo`/… included.
    fn service_key(&mut self, key: &str, value: Value) -> Result<(), String> {
        match key {
            "actor" => match str_or_null(&value) {
                Some(name) => self.service.actor.get_or_insert_with(Peer::default).name = name,
                None => {
                    return Err(format!(
                        "`actor` must be a string or null, found {}",
                        brief(&value)
                    ))
                }
            },
            "actor_id" => match &value {
                Value::String(s) if is_peer_id(s) => {
                    self.modern = self.modern.or(Some(true));
                    self.service.actor.get_or_insert_with(Peer::default).id = Some(s.clone());
                }
                Value::Number(_) => {
                    self.modern = self.modern.or(Some(false));
                    self.post.extra.insert(key.into(), value);
                }
                _ => return Err(format!("`actor_id` is not a peer id: {}", brief(&value))),
            },
            "action" => match value {
                Value::String(s) => {
                    self.service.action = Some(s);
                    self.is_service_data = true;
                }
                other => return Err(format!("`action` must be a string, found {}", brief(&other))),
            },
            _ => {
                self.is_service_data = true;
                self.service.details.insert(key.into(), value);
            }
        }
        Ok(())
    }

    /// Who sent the message: `from`, `from_id`, `author`, `via_bot`.
    fn sender(&mut self, key: &str, value: Value) -> Result<(), String> {
        let post = &mut self.post;
        match key {
            "from" => match str_or_null(&value) {
                Some(name) => post.from.get_or_insert_with(Peer::default).name = name,
                None => {
                    return Err(format!("`from` must be a string or null, found {}", brief(&value)))
                }
            },
            "from_id" => match &value {
                Value::String(s) if is_peer_id(s) => {
                    self.modern = self.modern.or(Some(true));
                    post.from.get_or_insert_with(Peer::default).id = Some(s.clone());
                }
                Value::Number(_) => {
                    self.modern = self.modern.or(Some(false));
                    post.extra.insert(key.into(), value);
                }
                _ => {
                    return Err(format!(
                        "`from_id` is not a peer id (userN, chatN, channelN or an integer): {}",
                        brief(&value)
                    ))
                }
            },
            "author" => match value {
                Value::String(s) => post.author = Some(s),
                other => return Err(format!("`author` must be a string, found {}", brief(&other))),
            },
            _ => match value {
                Value::String(s) => post.via_bot = Some(s),
                other => {
                    return Err(format!("`via_bot` must be a string, found {}", brief(&other)))
                }
            },
        }
        Ok(())
    }

    /// What the message points to: `forwarded_from(_id)`,
    /// `reply_to_message_id`, `reply_to_peer_id`, and the forum topic it is
    /// in, `reply_to_top_message_id` (issue 17: not in the 2025-09 source
    /// nor in the corpus; read when present, kept in `extra` when it is not
    /// an integer).
    fn link(&mut self, key: &str, value: Value) -> Result<(), String> {
        let post = &mut self.post;
        match key {
            "forwarded_from" => match str_or_null(&value) {
                Some(name) => post.forwarded_from.get_or_insert_with(Forward::default).name = name,
                None => {
                    return Err(format!(
                        "`forwarded_from` must be a string or null, found {}",
                        brief(&value)
                    ))
                }
            },
            "forwarded_from_id" => match value {
                Value::String(s) => {
                    post.forwarded_from.get_or_insert_with(Forward::default).id = Some(s)
                }
                other => {
                    post.forwarded_from.get_or_insert_with(Forward::default);
                    post.extra.insert(key.into(), other);
                }
            },
            "reply_to_top_message_id" => match value.as_i64() {
                Some(n) => post.topic_id = Some(n),
                None => {
                    post.extra.insert(key.into(), value);
                }
            },
            "reply_to_message_id" => match value.as_i64() {
                Some(n) => post.reply_to.get_or_insert_with(Reply::default).message_id = Some(n),
                None => {
                    return Err(format!(
                        "`reply_to_message_id` must be an integer, found {}",
                        brief(&value)
                    ))
                }
            },
            _ => match value {
                Value::String(s) => {
                    post.reply_to.get_or_insert_with(Reply::default).peer_id = Some(s)
                }
                other => {
                    post.reply_to.get_or_insert_with(Reply::default);
                    post.extra.insert(key.into(), other);
                }
            },
        }
        Ok(())
    }

    /// The `tgnorm` key: tgnorm's own hints, or `extra` when it is not
    /// tgnorm's.
    fn tgnorm(&mut self, key: &str, value: Value) {
        match serde_json::from_value::<Hint>(value.clone()) {
            Ok(h) => (self.hint, self.hint_raw) = (Some(h), Some(value)),
            Err(_) => {
                self.post.extra.insert(key.into(), value);
            }
        }
    }

    /// A media key (starting an entry, or describing the current one), or
    /// a key for `extra`.
    fn media_or_extra(&mut self, key: &str, value: Value) -> Result<(), String> {
        let attaches = self.media.as_ref().is_some_and(|m| {
            media_attr(key)
                && !(key == "location_information" && m.kind != "venue")
                && !(key == "contact_vcard" && m.kind != "contact")
                && !(key == "media_type" && m.kind != "document")
        });
        if attaches {
            if let Some(m) = self.media.as_mut() {
                media_field(m, key, value)?;
            }
        } else if let Some(start) = media_start(key) {
            if let Some(done) = self.media.take() {
                self.post.media.push(done);
            }
            let mut m = Media::new(start, MediaStatus::Ok);
            media_field(&mut m, key, value)?;
            self.media = Some(m);
        } else {
            self.post.extra.insert(key.into(), value);
        }
        Ok(())
    }

    /// Assembles the post from what the keys said.
    fn finish(self, ctx: &MapContext, chat: &mut ChatState) -> Result<Post, MapError> {
        let Gathered { mut post, id, kind, media, .. } = self;
        if let Some(m) = media {
            post.media.push(m);
        }
        let Some(id) = id else {
            return Err((None, None, "message without `id`".into()));
        };
        let fail = |field: &str, what: &str| (Some(id), Some(field.to_owned()), what.to_owned());
        post.id = Some(id);
        let Some(kind) = kind else {
            return Err(fail("type", "message without `type`"));
        };
        post.kind = kind;
        if !set_date(&mut post, kind, self.date, self.date_unixtime) {
            return Err(fail("date", "message without `date`"));
        }
        set_edited(&mut post, self.edited, self.edited_unixtime);
        let mut layout = Extra::new();
        if !set_text(&mut post, kind, self.text, self.entities, &mut layout) {
            return Err(fail("text", "message without `text`"));
        }
        if kind == Kind::Service || self.is_service_data {
            post.service = Some(self.service);
        }
        crate::model::topic_of_its_own(&mut post);
        if ctx.x_escapes {
            layout.insert("x_escapes".into(), Value::Bool(true));
        }
        let (chat_ref, raw_chat_id) = chat.chat(self.modern);
        post.chat = chat_ref;
        if let Some(raw) = raw_chat_id {
            layout.insert("chat_id".into(), raw);
        }
        if let Some(mut h) = self.hint {
            if let Some(raw) = h.chat_id.take() {
                layout.insert("chat_id".into(), raw);
            }
            if h.trailing_empty {
                layout.insert("trailing_empty".into(), Value::Bool(true));
            }
            if h.x_escapes {
                layout.insert("x_escapes".into(), Value::Bool(true));
            }
            apply_hint(&mut post, h);
        }
        if let Some(raw) = self.hint_raw {
            crate::format::tdesktop_json::apply_hint(&mut post, &raw);
        }
        rich::recover(&mut post);
        put_layout(&mut post, layout);
        Ok(post)
    }
}

fn str_or_null(v: &Value) -> Option<Option<String>> {
    match v {
        Value::String(s) => Some(Some(s.clone())),
        Value::Null => Some(None),
        _ => None,
    }
}

/// Sets the post's date (joined with `date_unixtime` when they agree);
/// `false` when a message that must have a date has none.
fn set_date(post: &mut Post, kind: Kind, date: Option<String>, unixtime: Option<Value>) -> bool {
    match (date, kind) {
        (Some(d), _) => {
            match unixtime.as_ref().and_then(Value::as_str).and_then(|u| dates::join(&d, u)) {
                Some(joined) => post.date = Some(joined),
                None => {
                    if let Some(u) = unixtime {
                        post.extra.insert("date_unixtime".into(), u);
                    }
                    post.date = Some(d);
                }
            }
        }
        (None, Kind::Unsupported) => {
            if let Some(u) = unixtime {
                post.extra.insert("date_unixtime".into(), u);
            }
        }
        (None, _) => return false,
    }
    true
}

/// Sets the post's `edited`, or keeps the source's values in `extra`.
fn set_edited(post: &mut Post, edited: Option<Value>, unixtime: Option<Value>) {
    let Some(e) = edited else {
        if let Some(u) = unixtime {
            post.extra.insert("edited_unixtime".into(), u);
        }
        return;
    };
    let joined = match (&e, &unixtime) {
        (Value::String(d), Some(Value::String(u))) => dates::join(d, u),
        _ => None,
    };
    match (joined, e) {
        (Some(j), _) => post.edited = Some(Edited::At(j)),
        (None, Value::String(d)) if unixtime.is_none() && !d.starts_with("1970-01-01") => {
            post.edited = Some(Edited::At(d));
        }
        (None, e) => {
            // Before 2.1.9 `edited` was always written, 1970 meaning "not
            // edited" (§2.3); anything else unjoinable is kept as it was.
            post.extra.insert("edited".into(), e);
            if let Some(u) = unixtime {
                post.extra.insert("edited_unixtime".into(), u);
            }
        }
    }
}

/// Sets the post's text from `text` and `text_entities`, noting layout
/// facts in `layout`; `false` when a message that must have a text has
/// none.
fn set_text(
    post: &mut Post,
    kind: Kind,
    text: Option<TextValue>,
    entities: Option<Entities>,
    layout: &mut Extra,
) -> bool {
    let entities_value = |e: &[Part]| Value::Array(e.iter().map(|p| part_value(p, true)).collect());
    match text {
        Some(t) => {
            match entities {
                None => {
                    layout.insert("text_entities".into(), Value::Bool(false));
                }
                Some(Entities::SameAsText) => {}
                Some(Entities::Parts(e)) => {
                    if !entities_match(&t, &e) {
                        post.extra.insert("text_entities".into(), entities_value(&e));
                    }
                }
            }
            let (spans, trailing) = spans_of(t);
            post.text = spans;
            if trailing {
                layout.insert("trailing_empty".into(), Value::Bool(true));
            }
        }
        None if kind == Kind::Message && !post.extra.contains_key(rich::KEY) => return false,
        None => {
            // `SameAsText` needs a `text`: it does not come without one.
            if let Some(Entities::Parts(e)) = entities {
                post.extra.insert("text_entities".into(), entities_value(&e));
            } else if kind != Kind::Unsupported {
                layout.insert("text".into(), Value::Bool(false));
            }
        }
    }
    true
}

/// Puts the layout facts into `extra.tdesktop`, in one fixed key order
/// whichever way each fact arrived.
fn put_layout(post: &mut Post, mut layout: Extra) {
    if layout.is_empty() {
        return;
    }
    let mut ordered = Extra::new();
    for key in ["text", "text_entities", "trailing_empty", "x_escapes", "chat_id"] {
        if let Some(v) = layout.remove(key) {
            ordered.insert(key.into(), v);
        }
    }
    ordered.extend(layout);
    post.extra.insert(LAYOUT_KEY.into(), Value::Object(ordered));
}

fn apply_hint(post: &mut Post, h: Hint) {
    post.views = h.views.or(post.views);
    post.cleaned = h.cleaned;
    for f in h.flags {
        post.source.flag(&f);
    }
    if let Some(chat) = h.chat {
        post.chat = chat;
    }
    if h.id_assigned {
        post.source.flag("id_assigned");
    }
    if h.date_unknown {
        post.date = None;
    }
    if h.edited && post.edited.is_none() {
        post.edited = Some(Edited::Unknown);
    }
    if let Some(r) = h.reply_to {
        let reply = post.reply_to.get_or_insert_with(Reply::default);
        reply.author = r.author;
        reply.quote = r.quote;
        reply.source_line = r.source_line;
    }
    if let Some(f) = h.forwarded_from {
        let fwd = post.forwarded_from.get_or_insert_with(Forward::default);
        fwd.username = f.username;
        fwd.message_id = f.message_id;
        fwd.date = f.date;
    }
    post.media.extend(h.media);
}

fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn u64_of(v: &Value, key: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| format!("`{key}` must be a non-negative integer, found {}", brief(v)))
}

fn str_of(v: Value, key: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(format!("`{key}` must be a string, found {}", brief(&other))),
    }
}

/// Puts one media key into a media entry.
fn media_field(m: &mut Media, key: &str, value: Value) -> Result<(), String> {
    match key {
        "photo" | "file" => {
            let path = str_of(value, key)?;
            m.status = status_of(&path);
            if m.status == MediaStatus::Ok {
                m.file = Some(path);
            }
        }
        "media_type" => {
            let t = str_of(value, key)?;
            m.kind = media_kind(&t).to_owned();
        }
        "photo_file_size" | "file_size" => m.file_size = Some(u64_of(&value, key)?),
        "file_name" => m.file_name = Some(str_of(value, key)?),
        "mime_type" => m.mime_type = Some(str_of(value, key)?),
        "duration_seconds" => m.duration_seconds = Some(u64_of(&value, key)?),
        "width" => m.width = Some(u64_of(&value, key)?),
        "height" => m.height = Some(u64_of(&value, key)?),
        "title" if m.kind != "venue" && m.kind != "game" => m.title = Some(str_of(value, key)?),
        "place_name" | "game_title" if m.title.is_none() => m.title = Some(str_of(value, key)?),
        _ => {
            m.extra.insert(key.into(), value);
        }
    }
    Ok(())
}

fn reactions(value: Value) -> Result<Vec<Reaction>, String> {
    let Value::Array(items) = value else {
        return Err(format!("`reactions` must be an array, found {}", brief(&value)));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = item else {
            return Err(format!("a reaction must be an object, found {}", brief(&item)));
        };
        let mut kind = None;
        let mut count = None;
        let mut emoji = None;
        let mut extra = Extra::new();
        for (k, v) in map {
            match k.as_str() {
                "type" if kind.is_none() => kind = Some(str_of(v, "reactions[].type")?),
                "count" if count.is_none() => count = Some(u64_of(&v, "reactions[].count")?),
                "emoji" if emoji.is_none() && v.is_string() => {
                    emoji = v.as_str().map(str::to_owned)
                }
                _ => {
                    extra.insert(k, v);
                }
            }
        }
        let kind = kind.ok_or("a reaction without `type`")?;
        let count = count.ok_or("a reaction without `count`")?;
        out.push(Reaction { kind, count, emoji, extra });
    }
    Ok(out)
}

/// Spans of a text value, and whether it ended with an empty plain part
/// after an entity (the UTF-8/UTF-16 length bug of §2.6).
/// Takes the value (its strings are moved, not copied: a message's text is
/// most of its bytes).
fn spans_of(t: TextValue) -> (Text, bool) {
    match t {
        TextValue::Plain(s) => (Text::plain(s), false),
        TextValue::Parts(parts) => {
            let mut text = Text::default();
            let last = parts.len().saturating_sub(1);
            let mut trailing = false;
            for (i, p) in parts.into_iter().enumerate() {
                match p.kind {
                    None => {
                        if p.text.is_empty() && i == last && i > 0 {
                            trailing = true;
                        }
                        match text.spans.last() {
                            Some(prev) if prev.style.is_none() => text.push(&p.text, None),
                            _ if p.text.is_empty() => {}
                            _ => text.spans.push(Span { text: p.text, style: None }),
                        }
                    }
                    Some(kind) => text
                        .spans
                        .push(Span { text: p.text, style: Some(Style { kind, attrs: p.attrs }) }),
                }
            }
            (text, trailing)
        }
    }
}

/// True when `text_entities` says exactly what `text` says (the normal
/// case), so that the writer can derive it again.
pub(super) fn entities_match(t: &TextValue, e: &[Part]) -> bool {
    match t {
        TextValue::Plain(s) if s.is_empty() => e.is_empty(),
        TextValue::Plain(s) => {
            matches!(e, [p] if p.kind.as_deref() == Some("plain") && &p.text == s && p.attrs.is_empty())
        }
        TextValue::Parts(parts) => {
            parts.len() == e.len()
                && parts.iter().zip(e).all(|(a, b)| {
                    a.text == b.text
                        && a.attrs == b.attrs
                        && match (&a.kind, &b.kind) {
                            (None, Some(k)) => k == "plain",
                            (Some(x), Some(y)) => x == y,
                            _ => false,
                        }
                })
        }
    }
}
