//! Accounting: what readers and writers tell the run summary, typed.
//!
//! A reader learns things a script reading the summary wants as numbers:
//! how many lines were chrome, which encoding a file was in, how many
//! `\xHH` escapes were repaired and where the first one was. They are kept
//! here as typed values, one [`FileReport`] per input file (and one per
//! output, for what writers derive), in a shared [`Notes`] that every
//! reader and writer of a run holds a clone of. `convert::Summary` takes
//! them at the end of the run: its totals are the sums of the
//! [`Counters`], and its `files` and `outputs` are these reports. Words for
//! people (`notes`, printed on standard error) are kept beside the typed
//! values, never instead of them.
//!
//! # Adding a counter
//!
//! A counter a reader or writer raises is **one line** in the `counters!`
//! list below (a doc comment and a name). It then appears in every
//! report's `counters` (when not zero), in the summary's totals (always),
//! and the summary schema accepts it (`schemas/summary.schema.json` allows
//! any further counter; give it a `properties` entry there to describe it).
//! A reader raises it with `notes.count(&file, |c| &mut c.my_counter, n)`;
//! `tests/summary.rs` checks that each counter reaches the summary. A count
//! the pipeline keeps itself (read, written, `selected_out`) is one field
//! in `convert::Summary` instead.

use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Serialises as the number `N`: the version of a JSON shape tgnorm writes
/// (`"summary_version": 1`), as a field that needs no value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Version<const N: u32>;

impl<const N: u32> Serialize for Version<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(N)
    }
}

/// Defines [`Counters`] from a list of documented names (see the module
/// docs: adding a counter is one line here).
macro_rules! counters {
    ($($(#[doc = $doc:literal])+ $name:ident,)+) => {
        /// What readers and writers counted, by name. Each field is one
        /// counter; the summary JSON uses the field names.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
        pub struct Counters {
            $($(#[doc = $doc])+ pub $name: u64,)+
        }

        impl Counters {
            /// Every counter's name, in the order the summary lists them.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];

            /// Every counter's name and value, in [`Counters::NAMES`] order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$((stringify!($name), self.$name)),+].into_iter()
            }

            /// Adds `other`'s counts to these.
            pub fn add(&mut self, other: &Counters) {
                $(self.$name = self.$name.saturating_add(other.$name);)+
            }

            /// The counter named `name`, for tests and tools.
            pub fn get_mut(&mut self, name: &str) -> Option<&mut u64> {
                match name {
                    $(stringify!($name) => Some(&mut self.$name),)+
                    _ => None,
                }
            }
        }
    };
}

counters! {
    /// Placeholder lines (`Media is too big`, `VIEW IN TELEGRAM`, …) turned into fields.
    boilerplate_lines,
    /// Chrome lines (owner titles, views, times, dates) dropped from text dumps.
    chrome_lines,
    /// Posts whose body a dump printed twice.
    repeated_bodies,
    /// Lines removed as repeats.
    repeated_lines,
    /// Text lines in the posts read from text dumps.
    text_lines,
    /// Posts whose boundaries the text alone could not decide.
    boundary_uncertain,
    /// Repeats cut short at the end of a file.
    truncated_repeats,
    /// Messages the Telegram Desktop HTML reader read from its pages.
    tdesktop_html_messages,
    /// Bytes of `result.json` repaired before parsing (every kind; each
    /// kind with its first position is in the file's `repairs`).
    repairs,
    /// Posts without an id numbered within their chat by the tdesktop-json writer.
    ids_assigned,
    /// Posts given values their source lacks, by rule, by the tdesktop-json writer.
    values_derived,
    /// Posts without an id numbered in input order by the tdesktop-html writer.
    html_ids_numbered,
    /// Posts without a sender given one by rule by the tdesktop-html writer.
    html_senders_derived,
    /// Posts without a date written undated by the tdesktop-html writer.
    html_undated,
}

/// Serialises only the counters that are not zero, as an object.
fn nonzero<S: Serializer>(counters: &Counters, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(counters.iter().filter(|(_, n)| *n > 0))
}

/// How an input's bytes were decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EncodingReport {
    /// The encoding of the whole input (`UTF-8`, `windows-1251`, `UTF-16LE`).
    pub name: String,
    /// How it was decided: `bom`, `utf8` (valid UTF-8), `format` (UTF-8
    /// by the format's definition: `result.json`, JSONL), `guessed`,
    /// `forced` (`--encoding`).
    pub detection: &'static str,
    /// For a text dump decoded line by line, when some line was not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<LineCounts>,
}

/// Lines of a text dump by how they were decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    /// Lines with non-ASCII bytes that were valid UTF-8.
    pub utf8: u64,
    /// Lines decoded with the legacy encoding `legacy_encoding`.
    pub legacy: u64,
    /// Lines that were neither: rejected with their position.
    pub rejected: u64,
    /// The legacy encoding the evidence chose, if any.
    pub legacy_encoding: Option<String>,
}

/// Which chats a file held, or which chat its posts were given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChatReport {
    /// Chats read (a full-account `result.json`) or written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The chat given to a text dump's posts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its username (`--as-chat NAME@username`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The rule that chose it: `as-chat`, `owner-lines`, `each-owner-line`
    /// (a tgnorm dump), `none` (owner lines name several channels, listed
    /// in `owners`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The channels the owner lines name, when they name several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
}

/// One kind of repair made in a file, with its count and first place.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// What was repaired: `x-escape` (`\xHH` → `\u00HH`),
    /// `unquoted-document-id`.
    pub kind: &'static str,
    /// How many times.
    pub count: u64,
    /// 1-based line of the first one.
    pub line: u64,
    /// 1-based column of the first one.
    pub column: u64,
}

/// What the readers (or a writer) learnt about one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file's name as positions give it (`-` for standard input).
    pub file: String,
    /// The format it was read (or written) as.
    pub format: Option<&'static str>,
    /// How its bytes were decoded (inputs only).
    pub encoding: Option<EncodingReport>,
    /// Its chats.
    pub chats: Option<ChatReport>,
    /// Its counters that are not zero.
    #[serde(serialize_with = "nonzero")]
    pub counters: Counters,
    /// Repairs made before parsing, by kind.
    pub repairs: Vec<Repair>,
    /// Sections that hold no messages and were not read.
    pub skipped: Vec<String>,
    /// The same facts and the rest in words, by topic (`text flavour`,
    /// `pages`, …), as standard error prints them.
    pub notes: BTreeMap<String, String>,
}

impl FileReport {
    /// Says `text` under `topic` (replacing an earlier one).
    pub fn say(&mut self, topic: &str, text: impl Into<String>) {
        self.notes.insert(topic.to_owned(), text.into());
    }
}

/// What readers and writers tell the run summary: one [`FileReport`] per
/// input file and per output, in the order they were first told about.
/// Clones share the same reports.
#[derive(Clone, Debug, Default)]
pub struct Notes(Arc<Mutex<Ledger>>);

#[derive(Debug, Default)]
struct Ledger {
    inputs: Vec<FileReport>,
    outputs: Vec<FileReport>,
}

/// The report of `file` in `reports`, made on first use. Searched from the
/// end: the file a reader is reading is the last one opened.
fn report_of<'a>(reports: &'a mut Vec<FileReport>, file: &str) -> Option<&'a mut FileReport> {
    let at = match reports.iter().rposition(|r| r.file == file) {
        Some(at) => at,
        None => {
            reports.push(FileReport { file: file.to_owned(), ..FileReport::default() });
            reports.len() - 1
        }
    };
    reports.get_mut(at)
}

impl Notes {
    /// Runs `tell` on the report of the input `file`.
    pub fn file(&self, file: &str, tell: impl FnOnce(&mut FileReport)) {
        let Ok(mut ledger) = self.0.lock() else { return };
        if let Some(report) = report_of(&mut ledger.inputs, file) {
            tell(report);
        }
    }

    /// Runs `tell` on the report of the output `file` (a writer's).
    pub fn output(&self, file: &str, tell: impl FnOnce(&mut FileReport)) {
        let Ok(mut ledger) = self.0.lock() else { return };
        if let Some(report) = report_of(&mut ledger.outputs, file) {
            tell(report);
        }
    }

    /// Adds `n` to the counter `which` of the input `file`:
    /// `notes.count(&file, |c| &mut c.chrome_lines, 1)`.
    pub fn count(&self, file: &str, which: fn(&mut Counters) -> &mut u64, n: u64) {
        if n > 0 {
            self.file(file, |r| {
                let counter = which(&mut r.counters);
                *counter = counter.saturating_add(n);
            });
        }
    }

    /// Says `text` about the input `file` under `topic`.
    pub fn say(&self, file: &str, topic: &str, text: impl Into<String>) {
        let text = text.into();
        self.file(file, |r| r.say(topic, text));
    }

    /// The inputs' reports, in the order they were first told about.
    pub fn inputs(&self) -> Vec<FileReport> {
        self.0.lock().map(|l| l.inputs.clone()).unwrap_or_default()
    }

    /// The outputs' reports.
    pub fn outputs(&self) -> Vec<FileReport> {
        self.0.lock().map(|l| l.outputs.clone()).unwrap_or_default()
    }

    /// Every note in words, keyed `TOPIC FILE` (`text flavour dump.txt`),
    /// sorted: the lines standard error prints.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        let Ok(ledger) = self.0.lock() else { return BTreeMap::new() };
        let reports = ledger.inputs.iter().chain(&ledger.outputs);
        reports
            .flat_map(|r| {
                r.notes.iter().map(|(topic, text)| (format!("{topic} {}", r.file), text.clone()))
            })
            .collect()
    }

    /// The sums of every report's counters.
    pub fn counters(&self) -> Counters {
        let mut total = Counters::default();
        if let Ok(ledger) = self.0.lock() {
            for report in ledger.inputs.iter().chain(&ledger.outputs) {
                total.add(&report.counters);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_file_and_in_total() {
        let notes = Notes::default();
        notes.count("a.txt", |c| &mut c.chrome_lines, 2);
        notes.count("b.txt", |c| &mut c.chrome_lines, 3);
        notes.count("a.txt", |c| &mut c.text_lines, 0);
        notes.output("-", |r| r.counters.ids_assigned += 1);
        let inputs = notes.inputs();
        let files: Vec<&str> = inputs.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(files, ["a.txt", "b.txt"]);
        assert_eq!(inputs[0].counters.chrome_lines, 2);
        assert_eq!(notes.counters().chrome_lines, 5);
        assert_eq!(notes.counters().ids_assigned, 1);
        let json = serde_json::to_value(&inputs[0]).unwrap();
        assert_eq!(json["counters"], serde_json::json!({"chrome_lines": 2}));
    }

    #[test]
    fn snapshot_keys_are_topic_then_file() {
        let notes = Notes::default();
        notes.say("d.txt", "text flavour", "plain");
        notes.output("out.json", |r| r.say("ids", "2 numbered"));
        let want = [("ids out.json", "2 numbered"), ("text flavour d.txt", "plain")];
        let got: Vec<(String, String)> = notes.snapshot().into_iter().collect();
        let want: Vec<(String, String)> =
            want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn every_counter_has_a_name_and_is_reachable_by_it() {
        let mut c = Counters::default();
        for (i, name) in Counters::NAMES.iter().enumerate() {
            *c.get_mut(name).unwrap() = i as u64 + 1;
        }
        let values: Vec<u64> = c.iter().map(|(_, n)| n).collect();
        assert_eq!(values, (1..=Counters::NAMES.len() as u64).collect::<Vec<_>>());
    }
}
