//! tgnorm turns messy Telegram archives into clean, typed, validated posts.
//!
//! The library reads like the architecture: bytes are [`decode`]d, a reader
//! in [`read`] turns them into a stream of [`model::Post`]s, the passes in
//! [`clean`] tidy each post, and a writer in [`write`](mod@write) renders them.
//! [`convert`] is that pipeline with its accounting.
//!
//! Most programs need only [`Reader`] (the cleaned posts of a file or an
//! export folder, as `tgnorm FILE` gives them) and [`Writer`] ([`api`]);
//! the example below joins the modules by hand.
//!
//! ```
//! use tgnorm::read::{text, Notes};
//! use tgnorm::clean::{clean_post, Config};
//! use tgnorm::write::jsonl;
//!
//! let dump = "Forwarded from Russian MFA 🇷🇺\n🎙 Remarks\n";
//! let posts = text::Reader::new(dump.as_bytes(), "dump.txt".into(), text::Options::default(), Notes::default());
//! let mut out = jsonl::Writer::new(Vec::new(), "-".into());
//! for post in posts {
//!     let mut post = post?;
//!     clean_post(&mut post, &Config::default());
//!     out.write(&post)?;
//! }
//! let jsonl = String::from_utf8(out.finish()?).unwrap();
//! assert!(jsonl.starts_with(r#"{"chat":null,"id":null,"kind":"message""#));
//! assert!(jsonl.contains(r#""forwarded_from":{"name":"Russian MFA 🇷🇺","#));
//! # Ok::<(), tgnorm::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod account;
pub mod api;
pub mod clean;
pub mod convert;
pub mod decode;
pub mod error;
pub mod format;
#[cfg(feature = "parquet")]
pub mod into;
pub mod merge;
pub mod model;
mod progress;
pub mod read;
pub mod schema;
pub mod select;
pub mod validate;
pub mod write;

pub use api::{Reader, ReaderBuilder, Writer};

/// Internals the fuzz targets and the integration tests drive directly:
/// not part of the API, and may change in any release.
#[doc(hidden)]
pub mod fuzzing {
    use crate::read::tdesktop_json::Reader;

    /// A Telegram Desktop JSON reader that walks every message byte by
    /// byte, never cutting by layout: the reference its layout cut is
    /// compared with.
    pub fn walk_only<R: std::io::Read>(reader: Reader<R>) -> Reader<R> {
        reader.walk_only()
    }

    /// The validator fuzz targets' one check: `tgnorm validate` of `data`
    /// as `format` does not panic, and every problem (and a fatal error)
    /// has a place: 1-based line and column, or a JSON pointer, and a
    /// message. Panics, for the fuzzer, when one has not.
    pub fn validate_places(data: &[u8], format: crate::read::Format) {
        let mut emit = |p: &crate::validate::Problem| {
            assert!(p.line.is_none_or(|l| l >= 1), "line 0: {p}");
            assert!(p.column.is_none_or(|c| c >= 1), "column 0: {p}");
            assert!(p.column.is_none() || p.line.is_some(), "a column without a line: {p}");
            assert!(p.line.is_some() || p.pointer.is_some(), "no place: {p}");
            assert!(!p.message.is_empty(), "no message: {p}");
            Ok(())
        };
        if let Err(e) = crate::validate::check_bytes(data, "fuzz", format, &mut emit) {
            let at = e.position();
            assert!(at.line.is_none_or(|l| l >= 1) && at.column.is_none_or(|c| c >= 1), "{e}");
        }
    }

    /// `tgnorm validate` on a `result.json`: the fast path (workers, falling
    /// back to the one-thread path) prints exactly what the one-thread path
    /// prints, with the same report.
    pub fn validate_paths_agree(data: &[u8]) {
        if let Ok([slow, fast]) = crate::validate::result_json_both_paths(data) {
            assert_eq!(slow, fast, "the fast path differs from the one-thread path");
        }
    }
}
pub use error::{Error, ErrorKind, Position, Result};
pub use model::Post;
