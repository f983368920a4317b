//! Writers: from posts to bytes, one module per output format.
//!
//! [`Writer`] is an enum over the concrete writers (as ripgrep's `Printer`),
//! so the pipeline holds one value and calls [`Writer::write`] per post and
//! [`Writer::finish`] once: `finish` writes any footer and flushes, because
//! `Drop` cannot report errors.

#[cfg(feature = "arrow")]
pub mod arrow;
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
    /// writer (the pipeline does it on its workers), by [`encode_ahead`],
    /// and handed to [`Writer::write_encoded`]: JSONL.
    pub(crate) fn encodes_ahead(self) -> bool {
        self == Format::Jsonl
    }
}

/// Appends `post` to `out` as the writer of a format that
/// [`Format::encodes_ahead`] writes it: one JSONL line, with its `\n`.
pub(crate) fn encode_ahead(post: &Post, out: &mut Vec<u8>) -> Result<()> {
    jsonl::encode(post, out)
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
