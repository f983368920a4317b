//! Posts → JSONL: one post per line, keys in the model's order.
//!
//! The bytes are deterministic: serde_json's compact form, non-ASCII written
//! as UTF-8 (never `\u` escapes), `\n` after every line, made by
//! [`super::compact`] (serde_json's bytes, with a faster string escape).
//! This is the format `schemas/post.schema.json` describes and
//! [`crate::read::jsonl`] reads.

use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::Post;
use std::io::Write;

/// Appends `post` to `out` as one JSONL line (with its `\n`). The pipeline
/// encodes on worker threads and hands the lines to [`Writer::write_line`].
pub fn encode(post: &Post, out: &mut Vec<u8>) -> Result<()> {
    super::compact::append(post, out).map_err(|e| {
        Error::new(Position::file("-"), ErrorKind::Data(format!("cannot encode a post: {e}")))
    })?;
    out.push(b'\n');
    Ok(())
}

/// Writes posts as JSONL.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    line: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer { out, name, line: Vec::new() }
    }

    /// Writes one post as one line.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let result = encode(post, &mut line).and_then(|()| self.write_line(&line));
        self.line = line;
        result
    }

    /// Writes a line [`encode`] made.
    pub fn write_line(&mut self, line: &[u8]) -> Result<()> {
        self.out.write_all(line).map_err(|e| Error::io(self.name.clone(), e))
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|e| Error::io(self.name.clone(), e))?;
        Ok(self.out)
    }
}
