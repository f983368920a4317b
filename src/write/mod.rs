//! Writers: from posts to bytes, one module per output format.
//!
//! [`Writer`] is an enum over the concrete writers (as ripgrep's `Printer`),
//! so the pipeline holds one value and calls [`Writer::write`] per post and
//! [`Writer::finish`] once: `finish` writes any footer and flushes, because
//! `Drop` cannot report errors.

pub mod jsonl;
pub mod text;

use crate::error::Result;
use crate::model::Post;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// tgnorm's JSONL (the default).
    Jsonl,
    /// Plain text, one block per post, in the common dump flavour.
    Text,
}

impl Format {
    /// Every output format id, for help texts.
    pub const ALL: [&'static str; 2] = ["jsonl", "text"];

    /// The format id.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Text => "text",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Format, String> {
        match s {
            "jsonl" => Ok(Format::Jsonl),
            "text" | "txt" => Ok(Format::Text),
            "tdesktop-json" | "tdesktop-html" => {
                Err(format!("writing {s} is not available in this version of tgnorm"))
            }
            _ => Err(format!(
                "unknown output format `{s}` (expected one of: {})",
                Format::ALL.join(", ")
            )),
        }
    }
}

/// A writer of any output format.
pub enum Writer<W: Write> {
    /// JSONL.
    Jsonl(jsonl::Writer<W>),
    /// Plain text.
    Text(text::Writer<W>),
}

impl<W: Write> Writer<W> {
    /// A writer of `format` to `out`; `name` names the output in errors.
    pub fn new(format: Format, out: W, name: String) -> Writer<W> {
        match format {
            Format::Jsonl => Writer::Jsonl(jsonl::Writer::new(out, name)),
            Format::Text => Writer::Text(text::Writer::new(out, name)),
        }
    }

    /// Writes one post.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        match self {
            Writer::Jsonl(w) => w.write(post),
            Writer::Text(w) => w.write(post),
        }
    }

    /// Writes the footer, flushes, and returns the inner writer.
    pub fn finish(self) -> Result<W> {
        match self {
            Writer::Jsonl(w) => w.finish(),
            Writer::Text(w) => w.finish(),
        }
    }
}
