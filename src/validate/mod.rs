//! `tgnorm validate`: check archives against the bundled schemas, streaming,
//! with problems that point at the exact place.
//!
//! JSONL is checked line by line against `schemas/post.schema.json`, plus
//! what a schema cannot say (entities inside the text, in order, not
//! overlapping). `result.json` is checked message by message
//! (`tdesktop.rs`). HTML has no schema: Telegram Desktop pages
//! (`tdesktop_html.rs`) and saved web pages (`web.rs`) are checked against the
//! rules their format documents state, in one tokenizer pass (`markup.rs`),
//! each problem naming its rule. Text dumps are not checked against a
//! schema: the text reader's doubts (uncertain boundaries, truncated repeats)
//! are reported as warnings with their lines. Memory stays flat: one line
//! (or one message, or one tag) at a time.
//!
//! **Problems a person can act on.** Schema errors are narrowed to the
//! innermost wrong value and put in words from the schemas' own `title`
//! and `examples` (`explain.rs`), placed at their line and column through
//! their JSON pointer (`pointer.rs`); `format` keywords are assertions (a
//! real date and time, `dates.rs`). Every line and column is 1-based.
//!
//! **validate ≡ convert.** What a reader rejects is reported here too:
//! integers a 64-bit reader cannot hold, keys written twice, oversized or
//! too deeply nested HTML; and the JSONL reader rejects exactly what this
//! module reports ([`post_line_problem`]). A format forced with `--schema`
//! that the input plainly is not is an error, not "0 errors".
//!
//! **`--format json`** prints one [`Problem`] object a line, then one
//! `{"summary": Report}` line with `"report_version": 1`; both shapes are
//! in `schemas/validate-report.schema.json` (one line validates against
//! it), versioned like the conversion summary's (`convert::Summary`).

mod dates;
mod explain;
mod markup;
mod pointer;
mod tdesktop;
mod tdesktop_html;
mod web;

use crate::account::Version;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::read::{self, lines::Lines, Format, Notes, ReadOptions};
use explain::Checker;
use serde::Serialize;
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input breaks the contract.
    Error,
    /// Suspicious, but valid.
    Warning,
}

/// One problem found.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Input file.
    pub file: String,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// JSON pointer of the offending value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Which rule: `syntax` (not JSON), `schema` (the bundled JSON Schema),
    /// `check` (a rule a schema cannot express) or `reader` (a reader's
    /// doubt); for HTML, the name of the rule itself (`date-title`,
    /// `data-post`, …: see [`Problem::names_rule`]).
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// True when `rule` is a rule's own name (the HTML validators), not one
    /// of the kinds `syntax`, `schema`, `check` or `reader`: the text line
    /// then shows it.
    pub fn names_rule(&self) -> bool {
        !matches!(self.rule, "syntax" | "schema" | "check" | "reader")
    }
}

impl std::fmt::Display for Problem {
    /// `file:LINE[:COL]: /pointer: message`, or `file:LINE:COL: rule:
    /// message` for HTML (warnings say so).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(pointer) = &self.pointer {
            write!(f, ": {}", if pointer.is_empty() { "/" } else { pointer })?;
        }
        if self.severity == Severity::Warning {
            f.write_str(": warning")?;
        }
        if self.names_rule() {
            write!(f, ": {}", self.rule)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Which schema to check against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Decide from the content.
    Auto,
    /// tgnorm's post schema (JSONL).
    Post,
    /// Telegram Desktop's `result.json`.
    Tdesktop,
    /// Telegram Desktop's `messages*.html` pages.
    TdesktopHtml,
    /// Saved `t.me/s/<channel>` pages.
    Web,
}

impl std::str::FromStr for Schema {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Schema, String> {
        match s {
            "auto" => Ok(Schema::Auto),
            "post" => Ok(Schema::Post),
            "tdesktop" | "tdesktop-json" => Ok(Schema::Tdesktop),
            "tdesktop-html" => Ok(Schema::TdesktopHtml),
            "web-html" | "web" => Ok(Schema::Web),
            _ => Err(format!(
                "unknown schema `{s}` (expected auto, post, tdesktop, tdesktop-html or web-html)"
            )),
        }
    }
}

/// What was checked, and what was found.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// The version of this JSON shape: 1 (`schemas/validate-report.schema.json`).
    pub report_version: Version<1>,
    /// Messages (JSONL lines, posts) checked.
    pub messages: u64,
    /// Files checked.
    pub files: u64,
    /// Errors found.
    pub errors: u64,
    /// Warnings found.
    pub warnings: u64,
    /// Stopped early because `--max-errors` was reached.
    pub truncated: bool,
}

impl Report {
    /// `checked N messages in M files: K errors, W warnings`.
    pub fn line(&self) -> String {
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "checked {} in {}: {}, {}{}",
            plural(self.messages, "message", "messages"),
            plural(self.files, "file", "files"),
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
            if self.truncated { " (stopped at --max-errors)" } else { "" }
        )
    }
}

/// Options of a validation run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Inputs (files, folders, `-`).
    pub inputs: Vec<PathBuf>,
    /// Which schema.
    pub schema: Schema,
    /// Stop after this many errors.
    pub max_errors: Option<u64>,
    /// Reading options (encoding).
    pub read: ReadOptions,
    /// Show a progress line on standard error (`result.json`; the caller
    /// decides whether it is a terminal).
    pub progress: bool,
}

/// Longest problem message printed, in characters.
const MAX_MESSAGE_CHARS: usize = 240;

struct Sink<'a> {
    report: Report,
    max_errors: Option<u64>,
    emit: &'a mut dyn FnMut(&Problem) -> Result<()>,
}

impl Sink<'_> {
    /// A reader's record error becomes a `syntax` problem; a fatal error
    /// (I/O) ends the run.
    fn record_error(&mut self, name: &str, e: Error) -> Result<bool> {
        if !e.is_record_error() {
            return Err(e);
        }
        let pos = e.position();
        let mut p = problem("syntax", name, pos.line.unwrap_or(1), pos.column, None, e.message());
        p.line = pos.line;
        self.push(p)
    }

    /// Records a problem; returns false when the run must stop.
    fn push(&mut self, mut problem: Problem) -> Result<bool> {
        // Positions are 1-based; a parser's 0 means the start of the line.
        problem.line = problem.line.map(|l| l.max(1));
        problem.column = problem.column.map(|c| c.max(1));
        // Schema messages quote the offending value whole; a long text array
        // would drown the line.
        if problem.message.chars().count() > MAX_MESSAGE_CHARS {
            let cut: String = problem.message.chars().take(MAX_MESSAGE_CHARS).collect();
            problem.message = format!("{cut}…");
        }
        match problem.severity {
            Severity::Error => self.report.errors += 1,
            Severity::Warning => self.report.warnings += 1,
        }
        (self.emit)(&problem)?;
        if let Some(max) = self.max_errors {
            if self.report.errors >= max {
                self.report.truncated = true;
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Validates every input; `emit` receives each problem as it is found.
/// Fatal errors (unreadable file) are returned as `Err`.
///
/// A folder of Telegram Desktop pages is validated as one export (pages in
/// order, ids carried over, page names and gaps checked); every other file
/// on its own.
pub fn run(options: &Options, emit: &mut dyn FnMut(&Problem) -> Result<()>) -> Result<Report> {
    // Every input is expanded first, so that a missing one stops the run
    // before anything is printed.
    let mut inputs: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for input in &options.inputs {
        let files = pages_of(read::expand(std::slice::from_ref(input))?)?;
        inputs.extend(by_folder(input, files));
    }
    // A schema named on the command line decides the format (no sniffing).
    let mut read_options = options.read.clone();
    read_options.format = match options.schema {
        Schema::Auto => options.read.format,
        Schema::Post => Some(Format::Jsonl),
        Schema::Tdesktop => Some(Format::TdesktopJson),
        Schema::TdesktopHtml => Some(Format::TdesktopHtml),
        Schema::Web => Some(Format::WebHtml),
    };
    let mut sink = Sink { report: Report::default(), max_errors: options.max_errors, emit };
    let [post_schema, message_schema, result_schema] = bundled_schemas()?;
    for (input, files) in &inputs {
        let folder = if is_page_folder(input, files) {
            let (folder, go_on) = tdesktop_html::folder(input, &mut sink)?;
            if !go_on {
                break;
            }
            Some(folder)
        } else {
            None
        };
        let mut chat = tdesktop_html::Chat::default();
        let mut go_on = true;
        // A page found in a folder is refused if it is a FIFO or device.
        let found_in_folder = input.is_dir();
        for path in files {
            let notes = Notes::default();
            let input = if found_in_folder {
                read::open_found(path, &read_options, &notes)?
            } else {
                read::open(path, &read_options, &notes)?
            };
            if input.zip.is_some() {
                return Err(Error::new(
                    Position::file(&input.name),
                    ErrorKind::Format(
                        "a zip archive: `tgnorm validate` does not read inside zip archives; \
                         unzip it and validate the folder"
                            .into(),
                    ),
                ));
            }
            sink.report.files += 1;
            let read::Input { name, mut reader, format, .. } = input;
            if options.schema != Schema::Auto || options.read.format.is_some() {
                if let Some(p) = mismatch(&mut reader, &name, format)? {
                    go_on = sink.push(p)?;
                    if !go_on {
                        break;
                    }
                    continue;
                }
            }
            go_on = match format {
                Format::Jsonl => jsonl(reader, &name, post_schema, &mut sink)?,
                Format::TdesktopJson => {
                    // The fast path may need to read the file again: only
                    // a regular file can be.
                    let reopen = || Ok(read::open(path, &read_options, &Notes::default())?.reader);
                    let regular = path.as_os_str() != "-"
                        && std::fs::metadata(path).is_ok_and(|m| m.is_file());
                    tdesktop::validate_input(
                        reader,
                        regular.then_some(&reopen as _),
                        &name,
                        (message_schema, result_schema),
                        &mut sink,
                        options.progress,
                    )?
                }
                Format::TdesktopHtml => {
                    // Single pages are checked each on its own.
                    if folder.is_none() {
                        chat = tdesktop_html::Chat::default();
                    }
                    tdesktop_html::validate(
                        reader,
                        &name,
                        path,
                        folder.as_ref(),
                        &mut chat,
                        &mut sink,
                    )?
                }
                Format::WebHtml => web::validate(reader, &name, &mut sink)?,
                Format::Text => text(reader, &name, &options.read, &mut sink)?,
                #[cfg(feature = "parquet")]
                Format::Parquet => parquet(path, &name, post_schema, &mut sink)?,
            };
            if !go_on {
                break;
            }
        }
        if !go_on {
            break;
        }
    }
    Ok(sink.report)
}

/// The bundled schemas, compiled once per process (a fuzzer validates
/// millions of inputs, the Python package one per call): the post
/// schema, a Telegram Desktop message and a whole `result.json`.
fn bundled_schemas() -> Result<&'static [Checker; 3]> {
    static SCHEMAS: std::sync::OnceLock<std::result::Result<[Checker; 3], String>> =
        std::sync::OnceLock::new();
    let compiled = SCHEMAS.get_or_init(|| {
        let compile = || -> Result<[Checker; 3]> {
            Ok([
                Checker::new(crate::schema::POST, &[])?,
                Checker::new(crate::schema::TDESKTOP_MESSAGE, &[])?,
                Checker::new(
                    crate::schema::TDESKTOP_RESULT,
                    &[(crate::schema::TDESKTOP_MESSAGE_ID, crate::schema::TDESKTOP_MESSAGE)],
                )?,
            ])
        };
        compile().map_err(|e| e.to_string())
    });
    compiled
        .as_ref()
        .map_err(|e| Error::new(Position::file("<bundled schema>"), ErrorKind::Data(e.clone())))
}

/// What the one-thread path and the fast path of `result.json` validation
/// make of `bytes`: each one's problems, as printed, and report. They must
/// be equal: the differential fuzz target `validate_result_json_paths`
/// asserts it ([`crate::fuzzing::validate_paths_agree`]).
#[doc(hidden)]
pub fn result_json_both_paths(bytes: &[u8]) -> Result<[(Vec<String>, Report); 2]> {
    let [_, message, result] = bundled_schemas()?;
    tdesktop::both_paths(bytes, None, (message, result))
}

/// Validates `bytes` as one file of `format` named `name`, with no file
/// system and no sniffing (the fuzz targets' entry; Telegram Desktop pages
/// are checked as a single page).
pub fn check_bytes(
    bytes: &[u8],
    name: &str,
    format: Format,
    emit: &mut dyn FnMut(&Problem) -> Result<()>,
) -> Result<Report> {
    let [post, message, result] = bundled_schemas()?;
    let mut sink =
        Sink { report: Report { files: 1, ..Report::default() }, max_errors: None, emit };
    let reader: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
    match format {
        Format::Jsonl => {
            jsonl(reader, name, post, &mut sink)?;
        }
        Format::TdesktopJson => {
            let reopen = || -> Result<Box<dyn BufRead + Send>> {
                Ok(Box::new(std::io::Cursor::new(bytes.to_vec())))
            };
            tdesktop::validate_input(
                reader,
                Some(&reopen),
                name,
                (message, result),
                &mut sink,
                false,
            )?;
        }
        Format::TdesktopHtml => {
            let mut chat = tdesktop_html::Chat::default();
            let path = std::path::Path::new(name);
            tdesktop_html::validate(reader, name, path, None, &mut chat, &mut sink)?;
        }
        Format::WebHtml => {
            web::validate(reader, name, &mut sink)?;
        }
        Format::Text => {
            text(reader, name, &ReadOptions::default(), &mut sink)?;
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            return Err(Error::usage("a Parquet file is checked from its path, not from bytes"));
        }
    }
    Ok(sink.report)
}

/// A forced format (`--schema`, `--from`) that the input plainly is not:
/// its first bytes are another format's (a `result.json` checked as a web
/// page would otherwise give "0 errors"). Input that looks like nothing in
/// particular (plain text) is checked as asked.
fn mismatch(
    reader: &mut Box<dyn BufRead + Send>,
    name: &str,
    forced: Format,
) -> Result<Option<Problem>> {
    let head = reader.fill_buf().map_err(|e| Error::io(name, e))?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let sniffed = Format::sniff(head);
    let first_line = head.split(|&b| b == b'\n').find(|l| !l.trim_ascii().is_empty());
    let pretty_json = first_line.is_some_and(|l| l.trim_ascii() == b"{");
    let clash = match (forced, sniffed) {
        (_, Format::Text) => false,
        (Format::Jsonl, Format::TdesktopJson) => pretty_json,
        (Format::TdesktopJson, Format::Jsonl) => true,
        (f, s) => f != s && f != Format::Text,
    };
    if !clash {
        return Ok(None);
    }
    let what = |f: Format| match f {
        Format::Jsonl => "tgnorm JSONL",
        Format::TdesktopJson => "result.json",
        Format::TdesktopHtml => "a Telegram Desktop HTML page",
        Format::WebHtml => "a saved t.me/s page",
        Format::Text => "a text dump",
        #[cfg(feature = "parquet")]
        Format::Parquet => "a Parquet file",
    };
    let message =
        format!("{name} does not look like {} (it looks like {})", what(forced), what(sniffed));
    Ok(Some(Problem {
        severity: Severity::Error,
        file: name.to_owned(),
        line: Some(1),
        column: Some(1),
        pointer: None,
        rule: "format",
        message,
    }))
}

/// True when `input` is a folder read as a Telegram Desktop HTML export
/// (`read::expand` found `messages*.html` pages in it).
/// `read::expand` gives a folder of Telegram Desktop pages as the folder
/// (its reader follows the pagination links); the validator checks page by
/// page, so a folder becomes its `messages*.html` files in page order.
fn pages_of(files: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in files {
        if path.as_os_str() == "-" || !path.is_dir() {
            out.push(path);
            continue;
        }
        let entries = std::fs::read_dir(&path)
            .map_err(|e| Error::io(crate::error::Position::name_of(&path), e))?;
        let mut pages = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(crate::error::Position::name_of(&path), e))?;
            if let Some(n) = read::page_number(&entry.file_name().to_string_lossy()) {
                pages.push((n, entry.path()));
            }
        }
        pages.sort();
        out.extend(pages.into_iter().map(|(_, p)| p));
    }
    Ok(out)
}

/// The files of a command-line input, by the folder they are in: a folder
/// given whole (a full-account export holds a folder of pages per chat)
/// gives one group per folder, in the order of `files`, so that each chat's
/// pages are validated as one export and not as pages of one chat. A file
/// given by name is its own group.
fn by_folder(input: &Path, files: Vec<PathBuf>) -> Vec<(PathBuf, Vec<PathBuf>)> {
    if !input.is_dir() {
        return vec![(input.to_path_buf(), files)];
    }
    let mut groups: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for file in files {
        let folder = file.parent().map_or_else(|| input.to_path_buf(), Path::to_path_buf);
        match groups.last_mut() {
            Some((last, group)) if *last == folder => group.push(file),
            _ => groups.push((folder, vec![file])),
        }
    }
    groups
}

fn is_page_folder(input: &std::path::Path, files: &[PathBuf]) -> bool {
    input.is_dir()
        && !files.is_empty()
        && files
            .iter()
            .all(|f| f.file_name().and_then(|n| n.to_str()).and_then(read::page_number).is_some())
}

fn problem(
    rule: &'static str,
    file: &str,
    line: u64,
    column: Option<u64>,
    pointer: Option<String>,
    message: String,
) -> Problem {
    Problem {
        severity: Severity::Error,
        file: file.to_owned(),
        line: Some(line),
        column,
        pointer,
        rule,
        message,
    }
}

/// Checks JSONL lines against the post schema. Returns false to stop.
fn jsonl(
    reader: Box<dyn BufRead + Send>,
    name: &str,
    schema: &Checker,
    sink: &mut Sink<'_>,
) -> Result<bool> {
    for line in Lines::new(reader, name.to_owned()) {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                sink.report.messages += 1;
                if !sink.record_error(name, e)? {
                    return Ok(false);
                }
                continue;
            }
        };
        if line.text.trim().is_empty() {
            continue;
        }
        sink.report.messages += 1;
        let value: Value = match serde_json::from_str(&line.text) {
            Ok(v) => v,
            Err(e) => {
                let msg = format!("invalid JSON: {}", strip_position(&e));
                let column = char_column(&line.text, e.column().saturating_sub(1));
                let p = problem("syntax", name, line.number, Some(column), None, msg);
                if !sink.push(p)? {
                    return Ok(false);
                }
                continue;
            }
        };
        for (rule, pointer, column, message) in post_problems(&line.text, &value, schema) {
            let p = problem(rule, name, line.number, Some(column), Some(pointer), message);
            if !sink.push(p)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Checks the rows of a Parquet file tgnorm wrote: its Arrow schema, then
/// each row's JSON form against the post schema, as a JSONL line would be.
/// A problem names its row group and row in the message (a Parquet file has
/// no lines). Returns false to stop.
#[cfg(feature = "parquet")]
fn parquet(
    path: &std::path::Path,
    name: &str,
    schema: &Checker,
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let whole_file = |rule, message| Problem {
        severity: Severity::Error,
        file: name.to_owned(),
        line: None,
        column: None,
        pointer: None,
        rule,
        message,
    };
    let rows = match read::parquet::Rows::open(path, name) {
        Ok(rows) => rows,
        Err(e) if matches!(e.kind(), crate::error::ErrorKind::Io(_)) => return Err(e),
        Err(e) => return sink.push(whole_file("schema", e.message())),
    };
    for row in rows {
        sink.report.messages += 1;
        let (place, value) = match row {
            Ok(row) => row,
            Err(e) => {
                let go_on = sink.push(whole_file("syntax", e.message()))?;
                if !go_on || !e.is_record_error() {
                    return Ok(go_on);
                }
                continue;
            }
        };
        let text = value.to_string();
        for (rule, pointer, _, message) in post_problems(&text, &value, schema) {
            let mut p = whole_file(rule, format!("{}: {message}", place.describe()));
            p.pointer = Some(pointer);
            if !sink.push(p)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Everything wrong with one JSONL line (`value` parsed from `text`), as
/// (rule, pointer, column, message): the schema's problems, the entity
/// checks and, when those find nothing, what reading the line as a post
/// finds that a schema cannot (an integer written `1.0`, or beyond 64
/// bits), so that `validate` rejects exactly what converting rejects.
fn post_problems(
    text: &str,
    value: &Value,
    schema: &Checker,
) -> Vec<(&'static str, String, u64, String)> {
    let raw = text.as_bytes();
    let column_of = |pointer: &str, key: bool| -> u64 {
        let at = pointer::place(raw, pointer)
            .map(|p| if key { p.key.unwrap_or(p.value) } else { p.value })
            .unwrap_or(0);
        char_column(text, at)
    };
    let mut out: Vec<(&'static str, String, u64, String)> = schema
        .problems(value)
        .into_iter()
        .map(|f| (f.rule, f.pointer.clone(), column_of(&f.pointer, f.key), f.message))
        .collect();
    for (pointer, message) in entity_problems(value) {
        let column = column_of(&pointer, false);
        out.push(("check", pointer, column, message));
    }
    for (object, key, offset) in pointer::repeated_keys(raw) {
        let message =
            format!("key {key:?} appears twice in one object (which is meant cannot be told)");
        let pointer = format!("{object}/{}", key.replace('~', "~0").replace('/', "~1"));
        out.push(("check", pointer, char_column(text, offset), message));
    }
    if out.is_empty() {
        if let Err(e) = serde_json::from_str::<crate::model::Post>(text) {
            let at = e.column().saturating_sub(1);
            let pointer = pointer::pointer_at(raw, at);
            let message = model_message(raw, &pointer, &e);
            out.push(("check", pointer.clone(), column_of(&pointer, false), message));
        }
    }
    out
}

/// The first problem `validate` finds in one JSONL line, as its 1-based
/// column and `pointer: message`: the JSONL reader rejects a line exactly
/// when `validate` reports it (the post schema, with dates and entity
/// ranges checked), so the two never disagree. `None` for a valid line.
pub fn post_line_problem(text: &str) -> Option<(u64, String)> {
    static POST: std::sync::OnceLock<Option<Checker>> = std::sync::OnceLock::new();
    let schema = POST.get_or_init(|| Checker::new(crate::schema::POST, &[]).ok()).as_ref()?;
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let column = char_column(text, e.column().saturating_sub(1));
            return Some((column, format!("invalid JSON: {}", strip_position(&e))));
        }
    };
    let (_, pointer, column, message) = post_problems(text, &value, schema).into_iter().next()?;
    Some((column, format!("{}: {message}", if pointer.is_empty() { "/" } else { &pointer })))
}

/// A post the schema accepts but the model cannot hold, in words.
fn model_message(raw: &[u8], pointer: &str, e: &serde_json::Error) -> String {
    let token = pointer::locate(raw, pointer)
        .and_then(|at| raw.get(at..))
        .map(|rest| {
            let end = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' '))
                .unwrap_or(rest.len());
            String::from_utf8_lossy(rest.get(..end).unwrap_or_default()).into_owned()
        })
        .unwrap_or_default();
    let number = token.bytes().next().is_some_and(|b| b == b'-' || b.is_ascii_digit());
    if number && strip_position(e).contains("floating point") {
        if token.contains(['.', 'e', 'E']) {
            return format!(
                "{token} should be a whole number, written without a fraction or exponent"
            );
        }
        return format!("{token} is beyond the range of a 64-bit integer");
    }
    format!("not a tgnorm post: {}", strip_position(e))
}

/// The 1-based column (in characters) of byte `at` of a line.
fn char_column(text: &str, at: usize) -> u64 {
    let at = at.min(text.len());
    let head = text.get(..at).map(|h| h.chars().count()).unwrap_or(at);
    head as u64 + 1
}

/// What the schema cannot say: entities lie inside the text, in order,
/// without overlapping.
fn entity_problems(post: &Value) -> Vec<(String, String)> {
    let (Some(text), Some(entities)) = (post["text"].as_str(), post["entities"].as_array()) else {
        return Vec::new();
    };
    let len = text.chars().count() as u64;
    let mut out = Vec::new();
    let mut end = 0u64;
    for (i, e) in entities.iter().enumerate() {
        let (Some(offset), Some(length)) = (e["offset"].as_u64(), e["length"].as_u64()) else {
            continue;
        };
        let stop = offset.saturating_add(length);
        if stop > len {
            out.push((
                format!("/entities/{i}"),
                format!(
                    "entity {offset}+{length} runs past the end of the text ({len} code points)"
                ),
            ));
        } else if offset < end {
            out.push((
                format!("/entities/{i}"),
                format!("entity at {offset} overlaps the previous one (which ends at {end})"),
            ));
        }
        end = end.max(stop);
    }
    out
}

/// Reads a text dump and reports the reader's doubts as warnings.
fn text(
    reader: Box<dyn BufRead + Send>,
    name: &str,
    options: &ReadOptions,
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let notes = Notes::default();
    let posts = read::text::Reader::new(reader, name.to_owned(), options.text.clone(), notes);
    for post in posts {
        sink.report.messages += 1;
        let post = match post {
            Ok(p) => p,
            Err(e) => {
                if !sink.record_error(name, e)? {
                    return Ok(false);
                }
                continue;
            }
        };
        for flag in &post.source.flags {
            let message = match flag.as_str() {
                "boundary_uncertain" => format!(
                    "lines {}-{} may hold more than one post (no marker between them)",
                    post.source.line.unwrap_or(0),
                    post.source.end_line.unwrap_or(0)
                ),
                "truncated_repeat" => {
                    "the repeated copy of this body is cut short (file truncated?)".into()
                }
                _ => continue,
            };
            let p = Problem {
                severity: Severity::Warning,
                file: name.to_owned(),
                line: post.source.line,
                column: None,
                pointer: None,
                rule: "reader",
                message,
            };
            if !sink.push(p)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// A serde_json error's message without its position (one copy, in `error`).
pub(crate) use crate::error::serde_message as strip_position;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line() {
        let r = Report { messages: 1, files: 2, errors: 0, warnings: 3, ..Report::default() };
        assert_eq!(r.line(), "checked 1 message in 2 files: 0 errors, 3 warnings");
    }

    /// The fuzz targets' entry on a few hostile inputs of every format:
    /// problems, each with a 1-based place, and no panic.
    #[test]
    fn check_bytes_places_every_problem() {
        let inputs: [&[u8]; 5] = [
            b"",
            b"{\"chat\":null,\"id\":1.0}\n{\"messages\": [{\"id\": 1e400}]}\n\xFF",
            b"{\n \"messages\": [\n  {\"id\": 1, \"type\": \"message\", \"text\": [{\"type\": 42}]},\n  {\"id\": 1.0",
            b"<div class=\"history\"><div class=\"message default\" id=\"message0\">",
            b"<div class=\"tgme_widget_message\" data-post=\"x/0\"><a class=\"tgme_widget_message_date\">",
        ];
        let formats = [
            Format::Jsonl,
            Format::TdesktopJson,
            Format::TdesktopHtml,
            Format::WebHtml,
            Format::Text,
        ];
        let mut problems = 0;
        for bytes in inputs {
            for format in formats {
                let mut emit = |p: &Problem| {
                    assert!(p.line.is_some_and(|l| l >= 1) || p.pointer.is_some(), "{p}");
                    assert!(p.column.is_none_or(|c| c >= 1), "{p}");
                    problems += 1;
                    Ok(())
                };
                let _ = check_bytes(bytes, "f", format, &mut emit);
            }
        }
        assert!(problems >= 10, "{problems}");
    }

    #[test]
    fn entity_checks() {
        let post: Value = serde_json::json!({"text": "abc", "entities": [
            {"type": "bold", "offset": 0, "length": 2},
            {"type": "bold", "offset": 1, "length": 1},
            {"type": "bold", "offset": 2, "length": 5}
        ]});
        let found = entity_problems(&post);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "/entities/1");
        assert_eq!(found[1].0, "/entities/2");
    }
}
