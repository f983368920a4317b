//! The post model: one Telegram message, whatever archive it came from.
//!
//! This module knows no format (ARCHITECTURE.md, invariant 1). Readers build
//! [`Post`]s, cleaning passes edit them, writers render them. The JSONL shape of
//! a post (key order, `null` versus absent) is the contract in
//! `schemas/post.schema.json`; the serde attributes here produce exactly it.
//!
//! Text is held as a flat list of [`Span`]s, like Telegram Desktop's own
//! "parts": a pass that edits text edits spans and never does offset
//! arithmetic. Entity offsets (in Unicode code points) are computed only when a
//! post is serialised, and spans are rebuilt from offsets when one is read back.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A JSON object with keys in insertion order, used for everything the model
/// has no name for (ARCHITECTURE.md, invariant 4: lossless).
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// One message, service event or unsupported item of a chat.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Post {
    /// The chat the post belongs to; `null` when the source does not say.
    pub chat: Option<Chat>,
    /// Message id within its chat; `null` when the source has none (text dumps).
    pub id: Option<i64>,
    /// Ordinary message, service event, or an item the source could not show.
    pub kind: Kind,
    /// RFC 3339 date, always with an offset (`--assume-offset` when the
    /// source has none: see `source.local_dates`).
    pub date: Option<String>,
    /// Whether and when the post was edited; serialised as two keys, `edited`
    /// (`true`, or `null` when the source does not say the post was edited)
    /// and `edited_at` (the RFC 3339 date of the last edit, or `null`), so
    /// that each key has one JSON type.
    #[serde(flatten, serialize_with = "edited_keys")]
    pub edited: Option<Edited>,
    /// The sender (for channel posts: the channel itself).
    pub from: Option<Peer>,
    /// Channel post signature.
    pub author: Option<String>,
    /// Where a forwarded post came from.
    pub forwarded_from: Option<Forward>,
    /// The post this one replies to.
    pub reply_to: Option<Reply>,
    /// `@username` of the inline bot the post was sent via.
    pub via_bot: Option<String>,
    /// Text and its formatting; serialised as the `text` and `entities` keys.
    #[serde(flatten)]
    pub text: Text,
    /// Attached media, in order (an album has several).
    pub media: Vec<Media>,
    /// What a service post records.
    pub service: Option<Service>,
    /// Reactions with their counts.
    pub reactions: Vec<Reaction>,
    /// View counter, when the source shows one.
    pub views: Option<u64>,
    /// Where the post came from (ARCHITECTURE.md, invariant 6).
    pub source: Source,
    /// What tgnorm changed in this post, for audit.
    pub cleaned: Vec<String>,
    /// The forum topic the post is in (the id of the topic's
    /// `topic_created` service message), when the source says; written
    /// only then (after the keys every post has), so that archives without
    /// topics keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<i64>,
    /// Source fields the model has no name for, in input order.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A `topic_created` service message opens a forum topic whose id is the
/// message's own id (Telegram's forum topics are named by the id of the
/// message that created them): sets `topic_id` to it when the source said
/// nothing else. Readers of formats that show the action call this.
pub fn topic_of_its_own(post: &mut Post) {
    let created = post.service.as_ref().and_then(|s| s.action.as_deref()) == Some("topic_created");
    if created && post.topic_id.is_none() {
        post.topic_id = post.id;
    }
}

/// Post kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An ordinary message.
    #[default]
    Message,
    /// A service event (pinned message, member joined, …).
    Service,
    /// Something the source could not show (web preview) or export.
    Unsupported,
}

/// An edit mark: a date when the source has one, a bare "edited" otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edited {
    /// RFC 3339 date of the last edit.
    At(String),
    /// Edited at an unknown time.
    Unknown,
}

impl Edited {
    /// The date of the last edit, when the source gives it.
    pub fn at(&self) -> Option<&str> {
        match self {
            Edited::At(date) => Some(date),
            Edited::Unknown => None,
        }
    }
}

/// The `edited` and `edited_at` keys of a post: `true` and a date, `true`
/// and `null`, or `null` and `null`. Never a date in `edited` and never
/// `false` (no source says reliably that a post was *not* edited).
fn edited_keys<S: Serializer>(edited: &Option<Edited>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("edited", &edited.as_ref().map(|_| true))?;
    map.serialize_entry("edited_at", &edited.as_ref().and_then(Edited::at))?;
    map.end()
}

/// `edited` and `edited_at` read back; `edited_at` without `edited: true`
/// is an error (the schema says the same).
fn edited_from_keys(edited: Option<bool>, at: Option<String>) -> Result<Option<Edited>, String> {
    match (edited, at) {
        (Some(true), Some(date)) => Ok(Some(Edited::At(date))),
        (Some(true), None) => Ok(Some(Edited::Unknown)),
        (None, None) => Ok(None),
        (Some(false), _) => Err("`edited` is `true` or null, never `false`".to_owned()),
        (None, Some(_)) => Err("`edited_at` is set but `edited` is not `true`".to_owned()),
    }
}

/// The chat a post belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chat {
    /// Display name (channel title, user's first name).
    pub name: Option<String>,
    /// Peer id with its type prefix, as Telegram Desktop writes it: `channel123`.
    pub id: Option<String>,
    /// Public username without `@`.
    pub username: Option<String>,
    /// `public_channel`, `private_group`, `personal_chat`, … (Telegram Desktop names).
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A user, bot, group or channel named in a post.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Display name; `null` for deleted accounts.
    pub name: Option<String>,
    /// Peer id with its type prefix (`user42`, `channel7`).
    pub id: Option<String>,
}

/// The origin of a forwarded post.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// Name of the original sender or chat (or the hidden-sender name).
    pub name: Option<String>,
    /// Peer id of the origin, when known.
    pub id: Option<String>,
    /// Public username of the origin, when known.
    pub username: Option<String>,
    /// Message id in the origin chat, when known.
    pub message_id: Option<i64>,
    /// Date of the original message, when known.
    pub date: Option<String>,
}

/// What a post replies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Id of the replied message, when known.
    pub message_id: Option<i64>,
    /// Author of the replied message, as the source shows it.
    pub author: Option<String>,
    /// The quoted text (flattened to one line by web previews).
    pub quote: Option<String>,
    /// Chat of the replied message when it is in another chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// First source line of the replied post, when it was found earlier in the
    /// same text dump (which has no message ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_line: Option<u64>,
}

/// Post text as flat, non-overlapping spans in order.
///
/// Concatenating the spans' text gives the post text. On the wire this is two
/// keys, `text` (a string) and `entities` (offsets in Unicode code points).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    /// The spans, in order. Plain spans have `style: None`.
    pub spans: Vec<Span>,
}

/// A run of text with at most one formatting entity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// The characters of this run.
    pub text: String,
    /// The entity covering exactly this run, if any.
    pub style: Option<Style>,
}

/// A formatting entity: its type and the attributes that go with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Style {
    /// Telegram Desktop's entity type name (`bold`, `text_link`, `hashtag`, …).
    /// Names the model does not know are carried through unchanged.
    #[serde(rename = "type")]
    pub kind: String,
    /// Attributes: `href` (text_link), `language` (pre), `user_id`
    /// (mention_name), `document_id` (custom_emoji), `collapsed` (blockquote),
    /// and any the model does not know, in source order.
    #[serde(flatten)]
    pub attrs: Extra,
}

/// One entity on the wire: a style plus where it sits in the text.
#[derive(Serialize, Deserialize)]
struct Entity {
    #[serde(rename = "type")]
    kind: String,
    offset: u64,
    length: u64,
    #[serde(flatten)]
    attrs: Extra,
}

impl Text {
    /// Text made of a single plain span (or no span at all when `text` is empty).
    pub fn plain(text: impl Into<String>) -> Text {
        let text = text.into();
        if text.is_empty() {
            return Text::default();
        }
        Text { spans: vec![Span { text, style: None }] }
    }

    /// The whole text, spans concatenated.
    pub fn to_plain_string(&self) -> String {
        let mut out = String::new();
        for span in &self.spans {
            out.push_str(&span.text);
        }
        out
    }

    /// True when there is no text.
    pub fn is_empty(&self) -> bool {
        self.spans.iter().all(|s| s.text.is_empty())
    }

    /// True when no span carries an entity.
    pub fn is_plain(&self) -> bool {
        self.spans.iter().all(|s| s.style.is_none())
    }

    /// Appends text, merging with the last span when both are plain.
    pub fn push(&mut self, text: &str, style: Option<Style>) {
        if text.is_empty() && style.is_none() {
            return;
        }
        if style.is_none() {
            if let Some(last) = self.spans.last_mut() {
                if last.style.is_none() {
                    last.text.push_str(text);
                    return;
                }
            }
        }
        self.spans.push(Span { text: text.to_owned(), style });
    }

    /// Drops empty spans and merges neighbouring plain spans. Passes call this
    /// after editing so that equal texts have equal span lists.
    /// The spans are moved, not copied (a span is copied only into a plain
    /// span before it).
    pub fn normalize(&mut self) {
        let spans = std::mem::take(&mut self.spans);
        self.spans.reserve(spans.len());
        for span in spans {
            if span.text.is_empty() {
                continue;
            }
            if span.style.is_none() {
                if let Some(last) = self.spans.last_mut().filter(|l| l.style.is_none()) {
                    last.text.push_str(&span.text);
                    continue;
                }
            }
            self.spans.push(span);
        }
    }
}

impl Serialize for Text {
    /// The `text` and `entities` keys, written straight from the spans: the
    /// text as one string without first joining it, the entities with their
    /// offsets counted in code points as they are written.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("text", &Joined(&self.spans))?;
        map.serialize_entry("entities", &Entities(&self.spans))?;
        map.end()
    }
}

/// The spans' text as one string.
struct Joined<'a>(&'a [Span]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|span| f.write_str(&span.text))
    }
}

impl Serialize for Joined<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [] => s.serialize_str(""),
            [one] => s.serialize_str(&one.text),
            _ => s.collect_str(self),
        }
    }
}

/// The styled spans as wire entities.
struct Entities<'a>(&'a [Span]);

/// [`Entity`], borrowed.
#[derive(Serialize)]
struct EntityRef<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    offset: u64,
    length: u64,
    #[serde(flatten)]
    attrs: &'a Extra,
}

impl Serialize for Entities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        let mut offset = 0u64;
        for span in self.0 {
            let length = span.text.chars().count() as u64;
            if let Some(style) = &span.style {
                seq.serialize_element(&EntityRef {
                    kind: &style.kind,
                    offset,
                    length,
                    attrs: &style.attrs,
                })?;
            }
            offset += length;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            text: String,
            entities: Vec<Entity>,
        }
        let wire = Wire::deserialize(d)?;
        Text::from_entities(&wire.text, wire.entities).map_err(D::Error::custom)
    }
}

// serde cannot combine `flatten` with `deny_unknown_fields`, so a post is
// read through this mirror of its wire shape and then converted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostWire {
    chat: Option<Chat>,
    id: Option<i64>,
    kind: Kind,
    date: Option<String>,
    edited: Option<bool>,
    edited_at: Option<String>,
    from: Option<Peer>,
    author: Option<String>,
    forwarded_from: Option<Forward>,
    reply_to: Option<Reply>,
    #[serde(default)]
    topic_id: Option<i64>,
    via_bot: Option<String>,
    text: String,
    entities: Vec<Entity>,
    media: Vec<Media>,
    service: Option<Service>,
    reactions: Vec<Reaction>,
    views: Option<u64>,
    source: Source,
    cleaned: Vec<String>,
    #[serde(default)]
    extra: Extra,
}

impl<'de> Deserialize<'de> for Post {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = PostWire::deserialize(d)?;
        let text = Text::from_entities(&w.text, w.entities).map_err(D::Error::custom)?;
        let edited = edited_from_keys(w.edited, w.edited_at).map_err(D::Error::custom)?;
        Ok(Post {
            chat: w.chat,
            id: w.id,
            kind: w.kind,
            date: w.date,
            edited,
            from: w.from,
            author: w.author,
            forwarded_from: w.forwarded_from,
            reply_to: w.reply_to,
            topic_id: w.topic_id,
            via_bot: w.via_bot,
            text,
            media: w.media,
            service: w.service,
            reactions: w.reactions,
            views: w.views,
            source: w.source,
            cleaned: w.cleaned,
            extra: w.extra,
        })
    }
}

impl Text {
    fn from_entities(text: &str, entities: Vec<Entity>) -> Result<Text, String> {
        // Byte index of every code point boundary, so offsets map in O(1).
        let mut bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        bounds.push(text.len());
        let byte_at = |cp: u64| -> Option<usize> {
            usize::try_from(cp).ok().and_then(|i| bounds.get(i).copied())
        };
        let mut out = Text::default();
        let mut at = 0usize;
        for entity in entities {
            let start = byte_at(entity.offset).ok_or_else(|| {
                format!("entity offset {} is past the end of the text", entity.offset)
            })?;
            let end =
                entity.offset.checked_add(entity.length).and_then(byte_at).ok_or_else(|| {
                    format!(
                        "entity {}+{} runs past the end of the text",
                        entity.offset, entity.length
                    )
                })?;
            if start < at {
                return Err(format!(
                    "entity at offset {} overlaps the previous one (entities must be flat and in order)",
                    entity.offset
                ));
            }
            out.push(text.get(at..start).unwrap_or_default(), None);
            out.spans.push(Span {
                text: text.get(start..end).unwrap_or_default().to_owned(),
                style: Some(Style { kind: entity.kind, attrs: entity.attrs }),
            });
            at = end;
        }
        out.push(text.get(at..).unwrap_or_default(), None);
        Ok(out)
    }
}

/// An attachment, or a placeholder standing where one was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// `photo`, `video`, `animation`, `sticker`, `poll`, … or a name the model
    /// does not know, carried through.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the file itself is there.
    pub status: MediaStatus,
    /// Path relative to the export root, when the file is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Original file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Duration in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Title (audio, documents, games, polls' question…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Everything else the source says about this media (poll answers,
    /// coordinates, thumbnails…), in source order.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Media {
    /// A media entry with only a type and a status.
    pub fn new(kind: impl Into<String>, status: MediaStatus) -> Media {
        Media {
            kind: kind.into(),
            status,
            file: None,
            file_name: None,
            mime_type: None,
            file_size: None,
            duration_seconds: None,
            width: None,
            height: None,
            title: None,
            extra: Extra::new(),
        }
    }
}

/// Whether an attachment's file is available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    /// The file (or its URL) is present.
    Ok,
    /// The exporter was told not to include it.
    NotIncluded,
    /// Larger than the exporter's or the web preview's size limit.
    TooBig,
    /// The file could not be fetched.
    Unavailable,
    /// The source could not show it (web preview "Please open Telegram").
    NotSupported,
}

/// What a service post records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Telegram Desktop's action name (`pin_message`, `create_channel`, …);
    /// `null` when the source's wording was not recognised.
    pub action: Option<String>,
    /// Who did it.
    pub actor: Option<Peer>,
    /// The action's own fields (`title`, `members`, `message_id`, …), in
    /// source order.
    #[serde(flatten)]
    pub details: Extra,
}

/// One reaction and how many gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// `emoji`, `custom_emoji`, `paid`, or a name the model does not know.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many.
    pub count: u64,
    /// The emoji, for `emoji` reactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// Everything else (`document_id`, `recent`), in source order.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where a post came from: the format, the file and the place in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Input format id (`text`, `tdesktop-json`, …).
    pub format: String,
    /// Input path as given on the command line; `-` for standard input.
    pub file: String,
    /// First line (1-based), for line-oriented sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Last line (1-based, inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    /// Position of the message in its file (0-based), for structured sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Byte offset of the message in its file (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte: Option<u64>,
    /// Line ranges of a repeated body: the copy kept and the copy dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatRange>,
    /// Reader's doubts about this post: `boundary_uncertain`,
    /// `truncated_repeat`, `views_approximate`, `id_assigned`, `rich_message`,
    /// `assumed_offset`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// The dates the source gave without an offset, as it gave them (local
    /// `YYYY-MM-DDTHH:MM:SS`), before `--assume-offset` completed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_dates: Option<LocalDates>,
    /// The other versions of this post that were merged into it (the same
    /// chat and id read from several inputs), in input order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<Origin>,
}

/// A post's dates as a source without offsets gave them (local time of the
/// exporting machine), keyed like the dates they became.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalDates {
    /// `date`, before the offset was assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `edited_at`, before the offset was assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    /// `forwarded_from.date`, before the offset was assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from_date: Option<String>,
}

impl LocalDates {
    /// True when no date is kept.
    pub fn is_empty(&self) -> bool {
        self.date.is_none() && self.edited_at.is_none() && self.forwarded_from_date.is_none()
    }
}

impl Source {
    /// The local form of an assumed date, as the source gave it: `date`,
    /// `edited_at` or `forwarded_from_date`. Writers of formats with local
    /// times write this instead of the date with its assumed offset.
    pub fn local_date(&self, key: &str) -> Option<&str> {
        let kept = self.local_dates.as_ref()?;
        match key {
            "date" => kept.date.as_deref(),
            "edited_at" => kept.edited_at.as_deref(),
            "forwarded_from_date" => kept.forwarded_from_date.as_deref(),
            _ => None,
        }
    }
}

/// Where one version of a merged post was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// Input format id of that version (`jsonl` for an `--into` archive).
    pub format: String,
    /// Input path.
    pub file: String,
    /// Its first line (1-based), for line-oriented sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Its position in its file (0-based), for structured sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
}

/// The two copies of a repeated body, as inclusive 1-based line ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatRange {
    /// The copy kept in the text.
    pub kept: [u64; 2],
    /// The copy removed.
    pub dropped: [u64; 2],
}

impl Source {
    /// Adds a flag once.
    pub fn flag(&mut self, flag: &str) {
        if !self.flags.iter().any(|f| f == flag) {
            self.flags.push(flag.to_owned());
        }
    }
}

impl Post {
    /// Records that `what` changed this post (once).
    pub fn mark_cleaned(&mut self, what: &str) {
        if !self.cleaned.iter().any(|c| c == what) {
            self.cleaned.push(what.to_owned());
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Message => "message",
            Kind::Service => "service",
            Kind::Unsupported => "unsupported",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bold() -> Option<Style> {
        Some(Style { kind: "bold".into(), attrs: Extra::new() })
    }

    #[test]
    fn entity_offsets_count_code_points() {
        let mut text = Text::default();
        text.push("🇷🇺 é ", None);
        text.push("bold", bold());
        text.push(" tail", None);
        let json = serde_json::to_string(&text).unwrap();
        assert_eq!(
            json,
            r#"{"text":"🇷🇺 é bold tail","entities":[{"type":"bold","offset":5,"length":4}]}"#
        );
        let back: Text = serde_json::from_str(&json).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn overlapping_entities_are_an_error() {
        let json = r#"{"text":"abcdef","entities":[{"type":"bold","offset":0,"length":4},{"type":"italic","offset":2,"length":2}]}"#;
        let err = serde_json::from_str::<Text>(json).unwrap_err();
        assert!(err.to_string().contains("overlaps"), "{err}");
    }

    #[test]
    fn entity_past_end_is_an_error() {
        let json = r#"{"text":"ab","entities":[{"type":"bold","offset":1,"length":18446744073709551615}]}"#;
        assert!(serde_json::from_str::<Text>(json).is_err());
    }
}
