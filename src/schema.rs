//! The JSON Schemas tgnorm ships, bundled into the binary.
//!
//! `schemas/post.schema.json` is the contract of one JSONL line; the test
//! suite validates every line tgnorm writes against it. `summary.schema.json`
//! and `validate-report.schema.json` are the contracts of tgnorm's own
//! reports (`--summary FILE`, `validate --format json`).

/// The schema of one tgnorm JSONL line (JSON Schema 2020-12).
pub const POST: &str = include_str!("../schemas/post.schema.json");

/// Telegram Desktop's `result.json`, single-chat and full-account shapes.
pub const TDESKTOP_RESULT: &str = include_str!("../schemas/tdesktop-result.schema.json");

/// One message of a `result.json`, referenced from [`TDESKTOP_RESULT`].
pub const TDESKTOP_MESSAGE: &str = include_str!("../schemas/tdesktop-message.schema.json");

/// The `$id` of [`TDESKTOP_MESSAGE`].
pub const TDESKTOP_MESSAGE_ID: &str =
    "https://github.com/tgnorm/tgnorm/schemas/tdesktop-message.schema.json";

/// The JSON `--summary FILE` writes (`convert::Summary`).
pub const SUMMARY: &str = include_str!("../schemas/summary.schema.json");

/// One line of `tgnorm validate --format json` (a problem or the summary).
pub const VALIDATE_REPORT: &str = include_str!("../schemas/validate-report.schema.json");

/// A bundled schema by name: `post`, `tdesktop` (the result schema),
/// `tdesktop-message`, `summary`, `validate-report`.
pub fn by_name(name: &str) -> Option<&'static str> {
    match name {
        "post" => Some(POST),
        "tdesktop" | "tdesktop-result" => Some(TDESKTOP_RESULT),
        "tdesktop-message" => Some(TDESKTOP_MESSAGE),
        "summary" => Some(SUMMARY),
        "validate-report" => Some(VALIDATE_REPORT),
        _ => None,
    }
}
