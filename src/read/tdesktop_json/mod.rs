//! Telegram Desktop `result.json` → posts, streaming, for every writer
//! version since 2018 (docs/tdesktop-export-format.md §2, §6, §7).
//!
//! # How it streams
//!
//! A `result.json` is one object holding one huge array (`messages`), or, for
//! a full-account export, arrays inside `chats.list[*]` and
//! `left_chats.list[*]`. serde_json cannot stream the elements of an array
//! (serde-rs/json#404); the serde.rs "stream-array" workaround is push-based
//! and would need a parse thread to become a pull iterator. This reader is
//! pull-based instead: a small `Scanner` walks the *structure* of the file
//! (object keys, array commas, nesting depth, strings and escapes) and cuts
//! out one message at a time into a reused buffer; each message is then
//! deserialised from that slice by a serde `Visitor` (`RawMessage`, which
//! keeps keys in input order and types only the text; `text_entities`,
//! which repeats `text`, is compared with it while parsed and kept only
//! when it says something else) and mapped onto the model. Memory holds
//! one message, and sections a tgnorm post has no use for
//! (`personal_information`, `contacts`, `other_data`, …) are skipped byte
//! by byte without being held.
//!
//! Walking every byte is the reader's main cost, so once eight messages in
//! a row were indented alike (every line inside deeper than the message's
//! `{`, the last one back at it), messages are cut out by that layout alone
//! (`Scanner::cut_indented`: one SIMD newline search and a look at each
//! line's indentation). A valid file can still hold a line that looks like
//! the message's end (a nested value's `}` indented at the message's
//! level), so every cut is checked (`one_value`: its strings skipped by
//! SIMD search, its brackets counted) to be exactly one value ending at its
//! last byte, which is where walking would end it; any cut that fails, and
//! any line that breaks the layout, sends the reader back to walking that
//! message. Such messages are repaired only if they fail to parse as they
//! are (valid JSON never needs a repair), on the worker that parses them,
//! with the same positions and the same summary note. Both ways give the
//! same answer on every input: tests and the fuzz target compare them.
//!
//! Cutting messages out first has two more payoffs: parsing from a slice is
//! several times faster than serde_json's `from_reader`, and a message that
//! is broken *inside* (bad syntax, wrong types) is rejected alone with its
//! position while the rest of the file is still read. Only damage to the
//! structure between messages (a truncated file, unbalanced brackets) stops
//! the file, with its line and column.
//!
//! # Repair, never guess
//!
//! Bytes pass through [`repair::Repairer`] on the way (`\xHH` escapes and the
//! unquoted `document_id` of 2022 writers); each repair is counted in the
//! summary with its first position. Values whose meaning is ambiguous are
//! not decoded: the integer peer ids of pre-2021 exports (a plain user id or
//! a shifted PeerId, a chat or a channel?) are kept as they were, in `extra`.
//!
//! # Lossless
//!
//! Keys the model has no field for go to `post.extra` (service fields to
//! `service.details`, media fields to `media.extra`) in input order. When the
//! model's normalised value cannot give the source's bytes back (an old
//! `edited: 1970-…` meaning "not edited", an integer `from_id`, a
//! `date_unixtime` inconsistent with `date`), the source's own value is kept
//! in `extra` under its own key, and the writer prefers it. Layout facts that
//! belong to no field (no `text_entities` in old files, the trailing empty
//! text part, `\xHH` escapes, an undecodable chat id) go to the reserved
//! `extra.tdesktop` object, which the writer consumes. A message written by
//! tgnorm itself may carry a `tgnorm` key with the model fields Telegram
//! Desktop has no key for (views, reply quotes, …); it is read back into
//! those fields.

//!
//! # Where things are
//!
//! `scanner`: the structure of the file, never its values (walking
//! through the repairer, cutting by layout); `reader`: the export's
//! frames (top object, `chats.list`, `messages`), handing out messages;
//! `raw`: a message's keys and values as serde reads them; `mapping`:
//! those keys onto the model, by key group; [`repair`], [`dates`], [`rich`]:
//! the repairs, date formats and rich blocks of the format.

mod mapping;
mod raw;
mod reader;
pub mod repair;
pub mod rich;
pub(crate) mod scanner;
#[cfg(test)]
mod tests;

pub use reader::Reader;
pub(crate) use reader::Unparsed;

// The format's shared facts, at the paths readers of this module knew.
pub use crate::format::tdesktop_json::dates;

/// A message larger than this is rejected with its position (and skipped
/// holding at most 64 KiB of it): a Telegram message is at most 4096
/// characters of text (twice: `text` and `text_entities`) plus a few keys,
/// so this leaves room for any real export a thousand times over, while a
/// message at the cap keeps the whole run's peak memory near 100 MB (it is
/// held raw, then parsed and encoded: about four times its size at once;
/// see `convert`'s module docs).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A message is cut out by its layout (see [`scanner::Scanner::cut_indented`]) only
/// after this many messages in a row, walked byte by byte, were indented
/// alike; and only when it is at most [`FAST_CUT_LIMIT`] bytes long.
const LAYOUT_TRUST: u32 = 8;
/// See [`LAYOUT_TRUST`].
pub(crate) const FAST_CUT_LIMIT: usize = 4 * 1024 * 1024;

/// Object keys and header values larger than this are an error.
const MAX_SMALL_VALUE: usize = 1024 * 1024;

const FORMAT: &str = "tdesktop-json";
