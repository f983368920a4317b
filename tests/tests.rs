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
// Telegram Desktop messages*.html: reader and writer.
mod tdesktop_html;
// Saved t.me/s web pages, and web pages ↔ text dumps agreeing.
mod web_html;
// `tgnorm validate` and the schemas.
mod validate;
// `tgnorm validate` on Telegram Desktop pages and saved web pages.
mod validate_html;
// `tgnorm validate`: planted faults reported at their place, in plain words.
mod validate_messages;
// validate ≡ convert on hostile inputs.
mod validate_agrees;
