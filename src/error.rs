//! The one error type of the crate, and the position every error carries.
//!
//! An error always says *where*: the file, and the line and column, or the
//! message index and JSON pointer, whichever the source has. The position
//! comes first in the message, as compilers print it:
//! `dump.txt:17:1: invalid UTF-8 …`. The error is boxed so that `Result<Post>`
//! stays small on the hot path (serde_json does the same).

use std::fmt;
use std::io;
use std::path::Path;

/// Crate-wide result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the input something happened.
///
/// `line` and `column` are 1-based (column counts characters); `byte` and
/// `index` (the n-th message of the file) are 0-based, as in csv's `Position`.
/// Serialised (unknown parts left out) into the rejects file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    /// Input path as given; `-` for standard input. Empty when not about a
    /// file. A member of a zip archive is named after the archive:
    /// `export.zip!ChatExport/messages3.html` ([`Position::member`]).
    pub file: String,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// 0-based byte offset (not in the rejects file: line and column say it
    /// for people).
    #[serde(skip)]
    pub byte: Option<u64>,
    /// 0-based index of the message in its file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// JSON pointer of the offending value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Position {
    /// A position naming only a file.
    pub fn file(file: impl Into<String>) -> Position {
        Position { file: file.into(), ..Position::default() }
    }

    /// A position at a line (and optionally a column) of a file.
    pub fn line(file: impl Into<String>, line: u64, column: Option<u64>) -> Position {
        Position { file: file.into(), line: Some(line), column, ..Position::default() }
    }

    /// The name of a member of a zip archive in positions:
    /// `export.zip!ChatExport/messages3.html`.
    pub fn member(archive: &str, member: &str) -> String {
        format!("{archive}!{member}")
    }

    /// The display name of a path: `-` stays `-`.
    pub fn name_of(path: &Path) -> String {
        path.display().to_string()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.file.is_empty() { "<input>" } else { &self.file })?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        } else if let Some(byte) = self.byte {
            write!(f, ": byte {byte}")?;
        }
        if let Some(index) = self.index {
            write!(f, ": message #{index}")?;
        }
        if let Some(pointer) = &self.pointer {
            write!(f, ": {pointer}")?;
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[source] io::Error),
    /// Bytes that are not text in the expected encoding.
    #[error("{0}")]
    Encoding(String),
    /// Invalid JSON (syntax), with serde_json's own message.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A record whose shape or values the reader cannot accept.
    #[error("{0}")]
    Data(String),
    /// The input is not in any format tgnorm reads, or not in the one asked for.
    #[error("{0}")]
    Format(String),
    /// A bad command line or a refused operation (such as overwriting an input).
    #[error("{0}")]
    Usage(String),
}

/// An error with the position it happened at.
#[derive(Debug)]
pub struct Error {
    inner: Box<(Position, ErrorKind)>,
}

impl Error {
    /// An error at `pos`.
    pub fn new(pos: Position, kind: ErrorKind) -> Error {
        Error { inner: Box::new((pos, kind)) }
    }

    /// An I/O error about `file`.
    pub fn io(file: impl Into<String>, err: io::Error) -> Error {
        Error::new(Position::file(file), ErrorKind::Io(err))
    }

    /// A data error at `pos`.
    pub fn data(pos: Position, what: impl Into<String>) -> Error {
        Error::new(pos, ErrorKind::Data(what.into()))
    }

    /// An error that ends one part of an input (a page of an export folder,
    /// a member of a zip: it cannot be opened or read, it is not what it
    /// should be) as a rejected record, so that the next part is read:
    /// positioned at line 1 when it has no line of its own. `part` names
    /// what is skipped (`page`, `member`). A record error stays as it is.
    pub(crate) fn skipping(self, part: &str) -> Error {
        if self.is_record_error() {
            return self;
        }
        let mut pos = self.position().clone();
        if pos.line.is_none() {
            pos.line = Some(1);
            pos.column = Some(1);
        }
        Error::data(pos, format!("{}; this {part} is skipped", self.message()))
    }

    /// A usage error (no position in a file).
    pub fn usage(what: impl Into<String>) -> Error {
        Error::new(Position::default(), ErrorKind::Usage(what.into()))
    }

    /// Where it happened.
    pub fn position(&self) -> &Position {
        &self.inner.0
    }

    /// What happened.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.1
    }

    /// True for errors about one record, after which reading can go on
    /// (lenient mode rejects the record); false for errors that end the run.
    pub fn is_record_error(&self) -> bool {
        matches!(self.kind(), ErrorKind::Data(_) | ErrorKind::Json(_) | ErrorKind::Encoding(_))
    }

    /// True when writing failed because the reader of our output went away
    /// (`tgnorm … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self.kind(), ErrorKind::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The message without its position.
    pub fn message(&self) -> String {
        self.kind().to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (pos, kind) = &*self.inner;
        if pos.file.is_empty() && pos.line.is_none() && pos.index.is_none() {
            write!(f, "{kind}")
        } else {
            write!(f, "{pos}: {kind}")
        }
    }
}

/// An I/O error without a file (`File::open(path)?` in a function that
/// returns [`Result`]): the position is empty, so it prints as the I/O
/// error alone. Where the file is known, [`Error::io`] names it.
impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::new(Position::default(), ErrorKind::Io(err))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.kind() {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A serde_json error's message without the " at line L column C" serde_json
/// appends: the [`Position`] tgnorm reports already says where, in the file.
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(&msg).to_owned(),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_position_first() {
        let err = Error::data(Position::line("dump.txt", 17, Some(3)), "bad thing");
        assert_eq!(err.to_string(), "dump.txt:17:3: bad thing");
        let err = Error::usage("no input");
        assert_eq!(err.to_string(), "no input");
    }

    #[test]
    fn stays_small() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
