//! Integration tests: the real binary on fixtures, compared with snapshot
//! files. An index, one module per concern.

mod util;

// Text dumps: the rusembindia oracle, flavours, encodings, emoji modes.
mod text;
// Bad input: every case names its position and exits with the documented code.
mod bad_input;
// Laws: idempotent cleaning, JSONL round trip, schema conformance, accounting.
mod laws;
// Telegram Desktop result.json: reader and writer.
mod tdesktop_json;
// Hostile result.json and JSONL: odd layouts, bad bytes, bad dates, stops.
mod hostile_json;
// Telegram Desktop messages*.html: reader and writer.
mod tdesktop_html;
// Telegram Desktop HTML folders parsed on the workers: as with one thread.
mod html_page_tasks;
// The Telegram Desktop HTML writer from every reader: valid, faithful, chats apart.
mod tdesktop_html_writer;
// Saved t.me/s web pages, and web pages ↔ text dumps agreeing.
mod web_html;
// `tgnorm validate` and the schemas.
mod validate;
// `tgnorm validate` on Telegram Desktop pages and saved web pages.
mod validate_html;
// The command line: output safety, signals, no quiet success, completions.
mod cli;
// Encodings decided per evidence (issue 12): stray bytes, mixed files, binary.
mod encodings;
// Text dumps know their channel (issue 13 item 5).
mod text_chat;
// `X → text → posts` gives the same posts, for every reader's fixtures (issue 11 item 5).
mod text_roundtrip;
// Issue 11: every reader through the tdesktop-json writer.
mod tdesktop_json_writer;
// Hostile HTML: faults stay local, truncations and impossible dates rejected.
mod hostile_html;
// `tgnorm validate`: planted faults reported at their place, in plain words.
mod validate_messages;
// validate ≡ convert on hostile inputs.
mod validate_agrees;
// `--to csv` (issue 15 item 3): golden files, rows = written, quoting.
mod csv_writer;
// The library API: `tgnorm::Reader` and `tgnorm::Writer` give what the CLI gives.
mod api;
// Zip archives as input (issue 17 item 2): members as streams, bombs refused.
mod zip_input;
// Selection (issue 17 item 4): --since/--until/--chat/--sender/--kind/--topic, counted.
mod select;
// `--to parquet`, reading it back, `--partition-by` (issue 15 items 2 and 4).
#[cfg(feature = "parquet")]
mod parquet;
// Dependency rules between layers (ARCHITECTURE.md): readers and writers never import each other.
mod architecture;
// The run summary: versioned JSON, its schema, every counter reaching it (issue 14 item 3).
mod summary;
// Issue 15 item 1: one JSON type per key (dates with offsets, `edited` + `edited_at`).
mod offsets;
// Merging overlapping exports and `--into` (issue 17 items 1, 3, 5).
mod merge;
// `--into` a Parquet file or a partitioned dataset (issue 17 item 3).
#[cfg(feature = "parquet")]
mod into_parquet;
// The JSONL encoder (write::compact) against serde_json on every fixture post (issue 18).
mod compact_json;
// One chat's identity never leaks into another's (h-ident).
mod chat_identity;
