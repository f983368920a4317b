//! Posts → CSV: one row per post, flat columns in a fixed order.
//!
//! For spreadsheets and `pandas.read_csv(path)` with no options: a header
//! row, UTF-8 without a byte-order mark, RFC 4180 quoting and `\r\n` after
//! every record (the `csv` crate; a field is quoted only when it holds a
//! comma, a quote or a line break, and line breaks inside a text stay as
//! they are). The columns are [`COLUMNS`]; what they cannot show is not
//! dropped: the post's entities are the `entities` column, and everything
//! else goes to the `extra` column (see [`rest`]), so a row says all that
//! the JSONL line says.
//!
//! An empty cell is a `null` (or an empty string: CSV has no way to tell
//! them apart); numbers are written as decimal integers. CSV is an output
//! format only: tgnorm does not read it back.
//!
//! Rows stream: each post is rendered into one CSV record's bytes
//! ([`encode`]), which the pipeline does on its worker threads as it does
//! JSONL lines; the writer only writes the header and the bytes, in input
//! order. Nothing is kept between posts.

use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::{Edited, Post, Reaction};
use serde_json::Value;
use std::io::Write;

/// The columns, in the order they are written. The header row is exactly
/// these names; new columns are only ever added before `extra`.
pub const COLUMNS: [&str; 23] = [
    "chat_name",
    "chat_id",
    "chat_username",
    "id",
    "kind",
    "date",
    "edited",
    "from_name",
    "from_id",
    "author",
    "forwarded_from_name",
    "reply_to_id",
    "text",
    "media_types",
    "media_count",
    "views",
    "reactions",
    "source_format",
    "source_file",
    "source_line",
    "entities",
    "edited_at",
    "extra",
];

/// Keys of a post's JSONL object, and of the objects in it, whose values
/// the flat columns show in full: they are left out of `extra`.
const SHOWN: [(&str, &[&str]); 13] = [
    ("chat", &["name", "id", "username"]),
    ("id", &[]),
    ("kind", &[]),
    ("date", &[]),
    ("edited", &[]),
    ("edited_at", &[]),
    ("from", &["name", "id"]),
    ("author", &[]),
    ("forwarded_from", &["name"]),
    ("reply_to", &["message_id"]),
    ("text", &[]),
    ("views", &[]),
    ("source", &["format", "file", "line"]),
];

/// The `csv` crate's writer as every row is written: RFC 4180 quoting
/// where needed, `\r\n` after each record.
fn record_writer(out: &mut Vec<u8>) -> ::csv::Writer<&mut Vec<u8>> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .buffer_capacity(RECORD_BUFFER)
        .from_writer(out)
}

/// The `csv` writer's buffer for one record (a longer record is written
/// through it in pieces).
const RECORD_BUFFER: usize = 4 << 10;

/// Appends `fields` to `out` as one CSV record, with its `\r\n`.
fn encode_record<I, F>(fields: I, out: &mut Vec<u8>) -> std::result::Result<(), ::csv::Error>
where
    I: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = record_writer(out);
    writer.write_record(fields)?;
    writer.flush()?;
    Ok(())
}

/// Appends `post` to `out` as one CSV row (with its `\r\n`), the bytes
/// [`Writer::write`] writes for it. The pipeline encodes on worker threads
/// and hands the rows to [`Writer::write_row`].
pub fn encode(post: &Post, out: &mut Vec<u8>) -> Result<()> {
    let fields = row(post).map_err(|e| encode_error(post, &e))?;
    encode_record(&fields, out).map_err(|e| {
        Error::new(Position::file("-"), ErrorKind::Data(format!("cannot write CSV: {e}")))
    })
}

/// A post whose `extra` cannot be made (a record error: it is rejected).
fn encode_error(post: &Post, e: &dyn std::fmt::Display) -> Error {
    let at = post.source.line.map_or(String::new(), |l| format!(":{l}"));
    Error::new(
        Position::file("-"),
        ErrorKind::Data(format!("cannot encode the post from {}{at}: {e}", post.source.file)),
    )
}

/// Writes posts as CSV.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    /// Whether the header row is written.
    started: bool,
    /// The row being written by [`Writer::write`], kept for its capacity.
    row: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer { out, name, started: false, row: Vec::new() }
    }

    /// Writes one post as one row (after the header row, for the first).
    pub fn write(&mut self, post: &Post) -> Result<()> {
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        let result = encode(post, &mut row).and_then(|()| self.write_row(&row));
        self.row = row;
        result
    }

    /// Writes a row [`encode`] made (after the header row, for the first).
    pub fn write_row(&mut self, row: &[u8]) -> Result<()> {
        self.start()?;
        self.out.write_all(row).map_err(|e| Error::io(self.name.clone(), e))
    }

    /// Writes the header row when no post did (so that an empty run still
    /// gives a file `read_csv` loads), flushes, and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.start()?;
        self.out.flush().map_err(|e| Error::io(self.name.clone(), e))?;
        Ok(self.out)
    }

    fn start(&mut self) -> Result<()> {
        if !self.started {
            self.started = true;
            let mut header = Vec::new();
            encode_record(COLUMNS, &mut header).map_err(|e| {
                Error::new(
                    Position::file(self.name.clone()),
                    ErrorKind::Data(format!("cannot write CSV: {e}")),
                )
            })?;
            self.out.write_all(&header).map_err(|e| Error::io(self.name.clone(), e))?;
        }
        Ok(())
    }
}

/// The fields of one post's row, in [`COLUMNS`] order.
pub fn row(post: &Post) -> std::result::Result<[String; 23], serde_json::Error> {
    let chat = post.chat.as_ref();
    let from = post.from.as_ref();
    let (entities, extra) = rest(post)?;
    Ok([
        text(chat.and_then(|c| c.name.as_deref())),
        text(chat.and_then(|c| c.id.as_deref())),
        text(chat.and_then(|c| c.username.as_deref())),
        number(post.id),
        post.kind.to_string(),
        text(post.date.as_deref()),
        if post.edited.is_some() { "true".to_owned() } else { String::new() },
        text(from.and_then(|p| p.name.as_deref())),
        text(from.and_then(|p| p.id.as_deref())),
        text(post.author.as_deref()),
        text(post.forwarded_from.as_ref().and_then(|f| f.name.as_deref())),
        number(post.reply_to.as_ref().and_then(|r| r.message_id)),
        post.text.to_plain_string(),
        post.media.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>().join(" "),
        post.media.len().to_string(),
        number(post.views),
        post.reactions.iter().map(reaction).collect::<Vec<_>>().join(" "),
        post.source.format.clone(),
        post.source.file.clone(),
        number(post.source.line),
        entities,
        text(post.edited.as_ref().and_then(Edited::at)),
        extra,
    ])
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

fn number<N: ToString>(value: Option<N>) -> String {
    value.map_or(String::new(), |n| n.to_string())
}

/// A reaction in the `reactions` column: `EMOJI:COUNT` for an emoji
/// reaction, `TYPE:COUNT` for others (`custom_emoji:2`, `paid:5`).
fn reaction(r: &Reaction) -> String {
    match (&r.emoji, r.kind.as_str()) {
        (Some(emoji), "emoji") => format!("{emoji}:{}", r.count),
        _ => format!("{}:{}", r.kind, r.count),
    }
}

/// True when the `reactions` column says all the model has of them (no
/// `document_id`, no `recent`, an emoji exactly on emoji reactions).
fn reactions_shown(reactions: &[Reaction]) -> bool {
    reactions.iter().all(|r| {
        r.extra.is_empty()
            && (r.kind == "emoji") == r.emoji.is_some()
            && !r.kind.contains([' ', ':'])
            && !r.emoji.as_deref().unwrap_or_default().contains(' ')
    })
}

/// The `entities` and `extra` columns: the post's entities as compact JSON
/// (the JSONL `entities` array), and the post's JSONL object with every
/// value a flat column shows left out (`SHOWN`; `media` always stays, as
/// `media_types` and `media_count` only sum it up; `reactions` stays when
/// its column does not say all). `null`s, `[]` and `{}` are left out too;
/// both are empty cells when nothing is left.
pub fn rest(post: &Post) -> std::result::Result<(String, String), serde_json::Error> {
    let Value::Object(mut map) = serde_json::to_value(post)? else {
        return Ok((String::new(), String::new()));
    };
    let entities = match map.get("entities") {
        Some(Value::Array(list)) if !list.is_empty() => serde_json::to_string(list)?,
        _ => String::new(),
    };
    let drop_reactions = reactions_shown(&post.reactions);
    map.retain(|key, value| {
        if key == "entities" || (key == "reactions" && drop_reactions) {
            return false;
        }
        if let Some((_, inner)) = SHOWN.iter().find(|(k, _)| k == key) {
            let Value::Object(object) = value else { return false };
            object.retain(|k, v| !inner.contains(&k.as_str()) && !is_empty(v));
        }
        !is_empty(value)
    });
    let extra = if map.is_empty() { String::new() } else { serde_json::to_string(&map)? };
    Ok((entities, extra))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(list) => list.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => false,
    }
}
