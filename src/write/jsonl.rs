//! Posts → JSONL: one post per line, keys in the model's order.
//!
//! The bytes are deterministic: serde_json's compact form, non-ASCII written
//! as UTF-8 (never `\u` escapes), `\n` after every line. This is the format
//! `schemas/post.schema.json` describes and [`crate::read::jsonl`] reads.

use crate::error::{Error, Result};
use crate::model::Post;
use std::io::Write;

/// Writes posts as JSONL.
pub struct Writer<W: Write> {
    out: W,
    name: String,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer { out, name }
    }

    /// Writes one post as one line.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        serde_json::to_writer(&mut self.out, post).map_err(|e| {
            let io = e
                .io_error_kind()
                .map(std::io::Error::from)
                .unwrap_or_else(|| std::io::Error::other(e));
            Error::io(self.name.clone(), io)
        })?;
        self.out.write_all(b"\n").map_err(|e| Error::io(self.name.clone(), e))
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|e| Error::io(self.name.clone(), e))?;
        Ok(self.out)
    }
}
