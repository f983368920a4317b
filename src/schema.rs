//! The JSON Schemas tgnorm ships, bundled into the binary.
//!
//! `schemas/post.schema.json` is the contract of one JSONL line; the test
//! suite validates every line tgnorm writes against it.

/// The schema of one tgnorm JSONL line (JSON Schema 2020-12).
pub const POST: &str = include_str!("../schemas/post.schema.json");

/// A bundled schema by name (`post`).
pub fn by_name(name: &str) -> Option<&'static str> {
    match name {
        "post" => Some(POST),
        _ => None,
    }
}
