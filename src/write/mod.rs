//! Writers: from posts to bytes, one module per output format.
//!
//! [`Writer`] is an enum over the concrete writers (as ripgrep's `Printer`),
//! so the pipeline holds one value and calls [`Writer::write`] per post and
//! [`Writer::finish`] once: `finish` writes any footer and flushes, because
//! `Drop` cannot report errors.

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod compact;
pub mod csv;
pub mod jsonl;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "parquet")]
pub mod partition;
pub mod tdesktop_html;
pub mod tdesktop_json;
pub mod text;

use crate::error::Result;
use crate::model::Post;
use std::io::Write;
use std::path::PathBuf;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// tgnorm's JSONL (the default).
    Jsonl,
    /// Plain text, one block per post, in the common dump flavour.
    Text,
    /// Telegram Desktop's HTML export: a folder of pages (or one page on a
    /// stream).
    TdesktopHtml,
    /// Telegram Desktop `result.json` (single-chat layout).
    TdesktopJson,
    /// CSV, one row per post (output only).
    Csv,
    /// Parquet, one row per post, the Arrow schema of `format::arrow`.
    #[cfg(feature = "parquet")]
    Parquet,
}

impl Format {
    /// Every output format id, for help texts.
    #[cfg(not(feature = "parquet"))]
    pub const ALL: [&'static str; 5] = ["jsonl", "text", "tdesktop-html", "tdesktop-json", "csv"];
    /// Every output format id, for help texts.
    #[cfg(feature = "parquet")]
    pub const ALL: [&'static str; 6] =
        ["jsonl", "text", "tdesktop-html", "tdesktop-json", "csv", "parquet"];

    /// The format id.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Text => "text",
            Format::TdesktopHtml => "tdesktop-html",
            Format::TdesktopJson => "tdesktop-json",
            Format::Csv => "csv",
            #[cfg(feature = "parquet")]
            Format::Parquet => "parquet",
        }
    }

    /// True for formats whose natural output is a folder of files
    /// (`-o DIR`), not one file.
    pub fn is_folder(self) -> bool {
        matches!(self, Format::TdesktopHtml)
    }

    /// True for formats whose posts may be encoded ahead, away from the
    /// writer (the pipeline does it on its workers), by an [`Encoder`], and
    /// handed to [`Writer::write_ahead`]: JSONL, CSV and Parquet.
    pub(crate) fn encodes_ahead(self) -> bool {
        match self {
            Format::Jsonl | Format::Csv => true,
            #[cfg(feature = "parquet")]
            Format::Parquet => true,
            _ => false,
        }
    }
}

/// Encodes posts ahead of the writer, one batch at a time, as the writer
/// of a format that [`Format::encodes_ahead`] would: JSONL lines or CSV
/// rows into one buffer, Parquet rows into Arrow columns. Each post's
/// place in the batch is a range ([`Encoder::encode`]) that the writer
/// is handed back with the batch ([`Writer::write_ahead`]), so posts
/// dropped later (duplicates) are simply not written.
pub(crate) enum Encoder {
    /// JSONL lines, each with its `\n`.
    Jsonl(Vec<u8>),
    /// CSV rows, each with its `\r\n` (no header).
    Csv(Vec<u8>),
    /// Parquet rows (boxed: a builder per column).
    #[cfg(feature = "parquet")]
    Parquet(Box<arrow::Columns>),
}

/// A batch of posts an [`Encoder`] made.
pub(crate) enum Encoded {
    /// Lines or rows, as bytes: a post is a byte range.
    Bytes(Vec<u8>),
    /// Arrow rows: a post is a row range.
    #[cfg(feature = "parquet")]
    Rows(arrow_array::RecordBatch),
    /// The batch could not be assembled (a bug, not a bad post): writing
    /// any of its posts stops the run with this message.
    #[cfg(feature = "parquet")]
    Failed(String),
}

impl Encoder {
    /// An encoder for `format`, `None` when the format does not encode
    /// ahead; `capacity` is the bytes a byte buffer starts with.
    pub(crate) fn new(format: Format, capacity: usize) -> Option<Encoder> {
        match format {
            Format::Jsonl => Some(Encoder::Jsonl(Vec::with_capacity(capacity))),
            Format::Csv => Some(Encoder::Csv(Vec::with_capacity(capacity))),
            #[cfg(feature = "parquet")]
            Format::Parquet => Some(Encoder::Parquet(Box::default())),
            _ => None,
        }
    }

    /// Encodes one post; returns where it is in the batch. On an error
    /// nothing of the post is kept.
    pub(crate) fn encode(&mut self, post: &Post) -> Result<std::ops::Range<usize>> {
        type Encode = fn(&Post, &mut Vec<u8>) -> Result<()>;
        let (bytes, encode): (&mut Vec<u8>, Encode) = match self {
            Encoder::Jsonl(lines) => (lines, jsonl::encode),
            Encoder::Csv(rows) => (rows, self::csv::encode),
            #[cfg(feature = "parquet")]
            Encoder::Parquet(columns) => {
                let row = columns.rows();
                columns.push(post, "-")?;
                return Ok(row..row + 1);
            }
        };
        let start = bytes.len();
        match encode(post, bytes) {
            Ok(()) => Ok(start..bytes.len()),
            Err(e) => {
                bytes.truncate(start);
                Err(e)
            }
        }
    }

    /// The batch.
    pub(crate) fn finish(self) -> Encoded {
        match self {
            Encoder::Jsonl(bytes) | Encoder::Csv(bytes) => Encoded::Bytes(bytes),
            #[cfg(feature = "parquet")]
            Encoder::Parquet(mut columns) => match columns.finish("-") {
                Ok(batch) => Encoded::Rows(batch),
                Err(e) => Encoded::Failed(e.to_string()),
            },
        }
    }
}

impl Encoded {
    /// Bytes of lines or rows held, to size the next batch's buffer.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Encoded::Bytes(bytes) => bytes.len(),
            #[cfg(feature = "parquet")]
            Encoded::Rows(_) | Encoded::Failed(_) => 0,
        }
    }
}

crate::format::format_ids!(Format, "output", {
    "jsonl" => Jsonl,
    "text" | "txt" => Text,
    "tdesktop-html" => TdesktopHtml,
    "tdesktop-json" | "json" => TdesktopJson,
    "csv" => Csv,
    #[cfg(feature = "parquet")]
    "parquet" => Parquet,
});

/// Whether a post's reply is to a message of another chat, whose id counts
/// there and names no message of the post's own chat: `reply_to.peer_id`
/// names another chat (Telegram Desktop), or the replied post's channel
/// (`extra.reply_to_chat`, saved web pages) is not the post's own.
pub(crate) fn reply_elsewhere(post: &Post) -> bool {
    let Some(reply) = &post.reply_to else { return false };
    let chat = post.chat.as_ref();
    let own_id = chat.and_then(|c| c.id.as_ref());
    if reply.peer_id.as_ref().is_some_and(|peer| Some(peer) != own_id) {
        return true;
    }
    let own_username = chat.and_then(|c| c.username.as_deref());
    let replied = post.extra.get("reply_to_chat").and_then(serde_json::Value::as_str);
    replied.is_some_and(|r| !own_username.is_some_and(|own| own.eq_ignore_ascii_case(r)))
}

/// The bytes at `at`, or none when out of range (never: the ranges come
/// from the encoder that made the bytes).
fn bytes_at(bytes: &[u8], at: std::ops::Range<usize>) -> &[u8] {
    bytes.get(at).unwrap_or_default()
}

/// A writer of any output format.
pub enum Writer<W: Write> {
    /// JSONL.
    Jsonl(jsonl::Writer<W>),
    /// Plain text.
    Text(text::Writer<W>),
    /// Telegram Desktop HTML (boxed: it carries page state).
    TdesktopHtml(Box<tdesktop_html::Writer<W>>),
    /// Telegram Desktop `result.json`.
    TdesktopJson(tdesktop_json::Writer<W>),
    /// CSV.
    Csv(self::csv::Writer<W>),
    /// Parquet (boxed: it holds a builder per column).
    #[cfg(feature = "parquet")]
    Parquet(Box<self::parquet::Writer<W>>),
    /// Partitioned files in a folder (`--partition-by`); `W` is handed
    /// back untouched.
    #[cfg(feature = "parquet")]
    Partitioned(Box<partition::Writer>, W),
}

impl<W: Write> Writer<W> {
    /// A writer of `format` to `out`; `name` names the output in errors.
    pub fn new(format: Format, out: W, name: String) -> Writer<W> {
        match format {
            Format::Jsonl => Writer::Jsonl(jsonl::Writer::new(out, name)),
            Format::Text => Writer::Text(text::Writer::new(out, name)),
            Format::TdesktopHtml => {
                Writer::TdesktopHtml(Box::new(tdesktop_html::Writer::new(out, name)))
            }
            Format::TdesktopJson => Writer::TdesktopJson(tdesktop_json::Writer::new(out, name)),
            Format::Csv => Writer::Csv(self::csv::Writer::new(out, name)),
            #[cfg(feature = "parquet")]
            Format::Parquet => Writer::Parquet(Box::new(self::parquet::Writer::new(out, name))),
        }
    }

    /// A writer of a folder format into `dir` (see [`Format::is_folder`]);
    /// other formats write to `out` as [`Writer::new`] does. `out` is handed
    /// back by [`Writer::finish`].
    pub fn to_folder(format: Format, dir: PathBuf, out: W, name: String) -> Writer<W> {
        match format {
            Format::TdesktopHtml => {
                Writer::TdesktopHtml(Box::new(tdesktop_html::Writer::to_folder(dir, out, name)))
            }
            other => Writer::new(other, out, name),
        }
    }

    /// True for a partitioned dataset (`--partition-by`), which takes
    /// posts, not encoded lines.
    pub fn is_partitioned(&self) -> bool {
        #[cfg(feature = "parquet")]
        if let Writer::Partitioned(..) = self {
            return true;
        }
        false
    }

    /// Writes one post.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        match self {
            Writer::Jsonl(w) => w.write(post),
            Writer::Text(w) => w.write(post),
            Writer::TdesktopHtml(w) => w.write(post),
            Writer::TdesktopJson(w) => w.write(post),
            Writer::Csv(w) => w.write(post),
            #[cfg(feature = "parquet")]
            Writer::Parquet(w) => w.write(post),
            #[cfg(feature = "parquet")]
            Writer::Partitioned(w, _) => w.write(post),
        }
    }

    /// Writes a post [`jsonl::encode`] already made into a line; only for a
    /// JSONL writer (the pipeline encodes on worker threads), others get
    /// an error.
    pub(crate) fn write_encoded(&mut self, line: &[u8]) -> Result<()> {
        match self {
            Writer::Jsonl(w) => w.write_line(line),
            _ => Err(crate::error::Error::new(
                crate::error::Position::file("-"),
                crate::error::ErrorKind::Data(
                    "a pre-encoded line given to a non-JSONL writer".into(),
                ),
            )),
        }
    }

    /// Writes the post at `at` of a batch an [`Encoder`] of this writer's
    /// format made (the pipeline encodes on worker threads).
    pub(crate) fn write_ahead(
        &mut self,
        batch: &Encoded,
        at: std::ops::Range<usize>,
    ) -> Result<()> {
        match (self, batch) {
            (Writer::Jsonl(w), Encoded::Bytes(lines)) => w.write_line(bytes_at(lines, at)),
            (Writer::Csv(w), Encoded::Bytes(rows)) => w.write_row(bytes_at(rows, at)),
            #[cfg(feature = "parquet")]
            (Writer::Parquet(w), Encoded::Rows(rows)) => w.write_rows(rows, at),
            #[cfg(feature = "parquet")]
            (_, Encoded::Failed(message)) => {
                Err(crate::error::Error::io("-", std::io::Error::other(message.clone())))
            }
            // A bug, not a bad post: it stops the run.
            _ => Err(crate::error::Error::io(
                "-",
                std::io::Error::other("posts encoded for another format given to a writer"),
            )),
        }
    }

    /// Writes the footer, flushes, and returns the inner writer.
    pub fn finish(self) -> Result<W> {
        match self {
            Writer::Jsonl(w) => w.finish(),
            Writer::Text(w) => w.finish(),
            Writer::TdesktopHtml(w) => w.finish(),
            Writer::TdesktopJson(w) => w.finish(),
            Writer::Csv(w) => w.finish(),
            #[cfg(feature = "parquet")]
            Writer::Parquet(w) => w.finish(),
            #[cfg(feature = "parquet")]
            Writer::Partitioned(w, out) => w.finish().map(|()| out),
        }
    }

    /// Sets how a tdesktop-json writer writes; other writers ignore it.
    pub fn set_tdesktop_json_options(&mut self, options: tdesktop_json::Options) {
        if let Writer::TdesktopJson(w) = self {
            w.set_options(options);
        }
    }

    /// Gives the writer the run's notes, for what it has to tell the summary
    /// (ids it assigned). Writers with nothing to tell ignore it.
    pub fn set_notes(&mut self, notes: &crate::account::Notes) {
        match self {
            Writer::TdesktopJson(w) => w.set_notes(notes.clone()),
            Writer::TdesktopHtml(w) => w.set_notes(notes.clone()),
            _ => {}
        }
    }
}
