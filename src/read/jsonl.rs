//! Reads tgnorm's own JSONL back, so a cleaned archive can be converted
//! onward or cleaned again (cleaning is idempotent).
//!
//! Every line must be one post object with exactly the keys of
//! `schemas/post.schema.json`, valid under it as `tgnorm validate` checks it
//! ([`crate::validate::post_line_problem`]). Blank lines are skipped. A bad line is an error
//! naming the line and column, and reading goes on with the next line.

use super::lines::Lines;
use crate::error::{serde_message, Error, ErrorKind, Position, Result};
use crate::model::Post;
use std::io::BufRead;

/// Streams posts from JSONL.
pub struct Reader<R> {
    lines: Lines<R>,
    file: String,
}

impl<R: BufRead> Reader<R> {
    /// Reads `inner`; `file` names it in positions.
    pub fn new(inner: R, file: String) -> Reader<R> {
        Reader { lines: Lines::new(inner, file.clone()), file }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        loop {
            let line = match self.lines.next()? {
                Ok(line) => line,
                Err(e) => return Some(Err(e)),
            };
            let trimmed = line.text.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            if !trimmed.starts_with('{') {
                let column = (line.text.len() - trimmed.len()) as u64 + 1;
                return Some(Err(Error::data(
                    Position::line(self.file.clone(), line.number, Some(column)),
                    "not a tgnorm post: a JSONL line must be one JSON object",
                )));
            }
            let post = serde_json::from_str::<Post>(&line.text).map_err(|e| {
                // serde_json's column is 0 before the line's first character.
                let column = (e.column() as u64).max(1);
                let pos = Position::line(self.file.clone(), line.number, Some(column));
                let kind = if e.is_data() {
                    let what = serde_message(&e)
                        .replacen("missing field", "missing key", 1)
                        .replacen("unknown field", "unknown key", 1);
                    // The line itself, when it is short enough to read.
                    let line = line.text.trim();
                    let shown = if line.chars().count() <= 40 { line } else { "" };
                    let sep = if shown.is_empty() { "" } else { " is " };
                    ErrorKind::Data(format!("{shown}{sep}not a tgnorm post: {what}"))
                } else {
                    ErrorKind::Json(serde_message(&e))
                };
                Error::new(pos, kind)
            });
            // What `tgnorm validate` reports, the reader rejects, in the same
            // words (the post schema: real dates, known names, entity
            // ranges…); broken JSON keeps the parser's message.
            if post.as_ref().map_or_else(|e| !is_syntax(e), |_| true) {
                if let Some((column, what)) = crate::validate::post_line_problem(&line.text) {
                    let pos = Position::line(self.file.clone(), line.number, Some(column));
                    return Some(Err(Error::data(pos, format!("not a tgnorm post: {what}"))));
                }
            }
            return Some(post);
        }
    }
}

/// True for a JSON syntax error (not a post's shape or values).
fn is_syntax(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Json(_))
}
