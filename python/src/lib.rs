//! `tgnorm._tgnorm`: the Rust half of the Python package.
//!
//! It is a thin layer over the library's front door ([`tgnorm::Reader`],
//! [`tgnorm::convert::run`], [`tgnorm::validate::run`]): the Python half
//! (`tgnorm/__init__.py`) gives the public API its shape (iterators of
//! dicts, Arrow tables, keyword options, docstrings). Why the split:
//!
//! - **Posts cross as the CLI's JSONL bytes.** A batch of posts is encoded
//!   by `write::jsonl::encode`, the very function behind `tgnorm FILE`, into
//!   one JSON array, and Python's `json.loads` turns it into dicts. So a dict
//!   is the CLI's JSONL object by construction (same keys, same order, same
//!   values), and one C-speed parse per batch is cheaper than building
//!   objects field by field through the FFI.
//! - **The GIL is released while reading**: a batch (up to a number of posts
//!   and of bytes, so memory stays flat whatever the posts' size) is read
//!   and encoded under `Python::detach`; other Python threads run meanwhile.
//! - **Errors keep their position**: a `tgnorm::Error` becomes a
//!   `tgnorm.Error` (a `ValueError`) with `file`, `line`, `column`,
//!   `pointer`, `index` and `kind` attributes. Bad options (an unknown pass
//!   name) are plain `ValueError`s: they are about the call, not the input.

mod arrow;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::fs;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tgnorm::clean::{self, EmojiMode, Pass};
use tgnorm::convert::{self, Rejection};
use tgnorm::error::ErrorKind;
use tgnorm::read::{self, ReadOptions};
use tgnorm::{validate, write, Error as TgError, Post, ReaderBuilder};

create_exception!(
    tgnorm,
    Error,
    PyValueError,
    "An input tgnorm cannot read, with its position.\n\n\
     Attributes: `file` (str), `line` and `column` (1-based, or None), \
     `pointer` (JSON pointer or None), `index` (0-based message index or None), \
     `kind` ('io', 'encoding', 'json', 'data', 'format', 'usage'), \
     `message` (the reason without the position)."
);

/// The name of an error kind, as the Python side shows it.
fn kind_name(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Io(_) => "io",
        ErrorKind::Encoding(_) => "encoding",
        ErrorKind::Json(_) => "json",
        ErrorKind::Data(_) => "data",
        ErrorKind::Format(_) => "format",
        ErrorKind::Usage(_) => "usage",
        _ => "other",
    }
}

/// A `tgnorm.Error` carrying the error's position as attributes.
fn to_py_err(py: Python<'_>, err: &TgError) -> PyErr {
    let py_err = Error::new_err(err.to_string());
    let value = py_err.value(py);
    let pos = err.position();
    let attributes: [(&str, Option<String>); 3] = [
        ("file", Some(pos.file.clone())),
        ("pointer", pos.pointer.clone()),
        ("kind", Some(kind_name(err.kind()).to_owned())),
    ];
    let numbers = [("line", pos.line), ("column", pos.column), ("index", pos.index)];
    // Setting an attribute on a fresh exception instance cannot fail short
    // of memory exhaustion; the error itself is what matters then.
    for (name, text) in attributes {
        let _ = value.setattr(name, text);
    }
    for (name, number) in numbers {
        let _ = value.setattr(name, number);
    }
    let _ = value.setattr("message", err.message());
    py_err
}

fn bad_option(what: String) -> PyErr {
    PyValueError::new_err(what)
}

/// The reading options every entry point takes, as Python passes them.
struct Options {
    format: Option<String>,
    encoding: Option<String>,
    passes: Option<Vec<String>>,
    no: Vec<String>,
    emoji: String,
    chat: Option<String>,
    strict: bool,
}

impl Options {
    /// The passes these options leave on (`off` are switched off whatever
    /// the options say, as `--to tdesktop-json` does).
    fn passes(&self, off: &[Pass]) -> PyResult<Vec<Pass>> {
        let parse = |names: &[String]| -> PyResult<Vec<Pass>> {
            names.iter().map(|n| n.parse::<Pass>().map_err(bad_option)).collect()
        };
        let on = match &self.passes {
            Some(names) => parse(names)?,
            None => Pass::ALL.to_vec(),
        };
        let no = parse(&self.no)?;
        Ok(Pass::ALL
            .into_iter()
            .filter(|p| on.contains(p) && !no.contains(p) && !off.contains(p))
            .collect())
    }

    fn emoji(&self) -> PyResult<EmojiMode> {
        self.emoji.parse::<EmojiMode>().map_err(bad_option)
    }

    fn format(&self) -> PyResult<Option<read::Format>> {
        self.format.as_deref().map(|f| f.parse::<read::Format>().map_err(bad_option)).transpose()
    }

    fn encoding(&self) -> PyResult<Option<&'static encoding_rs::Encoding>> {
        let Some(label) = self.encoding.as_deref() else { return Ok(None) };
        match tgnorm::decode::encoding_for_label(label) {
            Some(encoding) => Ok(Some(encoding)),
            None => Err(bad_option(format!("unknown encoding `{label}`"))),
        }
    }

    fn chat(&self) -> PyResult<Option<tgnorm::model::Chat>> {
        self.chat.as_deref().map(|c| read::text::parse_chat(c).map_err(bad_option)).transpose()
    }

    /// A `ReaderBuilder` set as these options say.
    fn builder(&self) -> PyResult<ReaderBuilder> {
        let mut builder = ReaderBuilder::new();
        builder.passes(&self.passes(&[])?).emoji(self.emoji()?).strict(self.strict);
        if let Some(format) = self.format()? {
            builder.format(format);
        }
        if let Some(encoding) = self.encoding()? {
            builder.encoding(encoding);
        }
        if let Some(chat) = self.chat()? {
            builder.chat(chat);
        }
        Ok(builder)
    }

    /// The options of a conversion to `to`, resolved as the CLI resolves
    /// them.
    fn convert(&self, inputs: Vec<PathBuf>, to: write::Format) -> PyResult<convert::Options> {
        let off: &[Pass] = if to == write::Format::TdesktopJson {
            &[Pass::Unicode, Pass::Emoji, Pass::Whitespace]
        } else {
            &[]
        };
        let clean = clean::Config { passes: self.passes(off)?, emoji: self.emoji()? };
        let text =
            read::text::Options { chat: self.chat()?, ..read::text::Options::for_passes(&clean) };
        let read = ReadOptions {
            format: self.format()?,
            encoding: self.encoding()?,
            text,
            ..ReadOptions::default()
        };
        Ok(convert::Options {
            inputs,
            read,
            clean,
            to: Some(to),
            strict: self.strict,
            ..Default::default()
        })
    }
}

/// One batch of posts: a JSON array of the posts' JSONL objects, their
/// fingerprints, and the records rejected while reading them.
type Batch = (Py<PyBytes>, Vec<u64>, Vec<Py<PyAny>>);

/// The reading state, behind a lock so that the object can be shared with
/// Python threads (a batch is read by one of them at a time).
struct State {
    reader: tgnorm::Reader,
    /// An error that ends the iteration, raised after the posts before it.
    stop: Option<TgError>,
    done: bool,
}

/// Cleaned posts of files or export folders, read in batches.
#[pyclass(module = "tgnorm._tgnorm", name = "_Reader", frozen)]
struct Reader {
    state: Mutex<State>,
    strict: bool,
}

/// What one batch read: JSON array bytes, fingerprints, rejected records,
/// and the error that ended the reading, if one did.
struct Read {
    json: Vec<u8>,
    fingerprints: Vec<u64>,
    rejected: Vec<TgError>,
}

/// A reading state that hands out batches: what `read` and `read_arrow`
/// share, so that both take a batch the same way ([`next_read`]).
pub(crate) trait Batches: Send {
    /// What one batch read.
    type Read: Send;
    /// Reads up to `max_posts` posts or about `max_bytes` bytes.
    fn read_batch(&mut self, strict: bool, max_posts: usize, max_bytes: usize) -> Self::Read;
    /// Nothing more to read.
    fn done(&self) -> bool;
    /// The error that ended the reading, once.
    fn take_stop(&mut self) -> Option<TgError>;
}

/// The next batch of `state`, read with the GIL released: `None` at the
/// end; the error that ended the reading is raised once, after the batches
/// before it.
pub(crate) fn next_read<S: Batches>(
    py: Python<'_>,
    state: &Mutex<S>,
    strict: bool,
    max_posts: usize,
    max_bytes: usize,
) -> PyResult<Option<S::Read>> {
    let read = py.detach(|| {
        let mut state = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.done() {
            return Err(state.take_stop());
        }
        Ok(state.read_batch(strict, max_posts.max(1), max_bytes))
    });
    match read {
        Ok(read) => Ok(Some(read)),
        Err(Some(stop)) => Err(to_py_err(py, &stop)),
        Err(None) => Ok(None),
    }
}

impl Batches for State {
    type Read = Read;

    fn done(&self) -> bool {
        self.done
    }

    fn take_stop(&mut self) -> Option<TgError> {
        self.stop.take()
    }

    fn read_batch(&mut self, strict: bool, max_posts: usize, max_bytes: usize) -> Read {
        let mut batch = Read { json: vec![b'['], fingerprints: Vec::new(), rejected: Vec::new() };
        while !self.done && batch.fingerprints.len() < max_posts && batch.json.len() < max_bytes {
            match self.reader.next() {
                None => self.done = true,
                Some(Ok(post)) => {
                    let start = batch.json.len();
                    if !batch.fingerprints.is_empty() {
                        batch.json.push(b',');
                    }
                    if let Err(e) = write::jsonl::encode(&post, &mut batch.json) {
                        batch.json.truncate(start);
                        self.stop = Some(e);
                        self.done = true;
                    } else {
                        batch.fingerprints.push(clean::fingerprint(&post));
                    }
                }
                Some(Err(e)) if e.is_record_error() && !strict => batch.rejected.push(e),
                Some(Err(e)) => {
                    self.stop = Some(e);
                    self.done = true;
                }
            }
        }
        batch.json.push(b']');
        batch
    }
}

#[pymethods]
impl Reader {
    #[new]
    #[pyo3(signature = (paths, *, format=None, encoding=None, passes=None, no=Vec::new(), emoji="qualify".to_owned(), chat=None, strict=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        format: Option<String>,
        encoding: Option<String>,
        passes: Option<Vec<String>>,
        no: Vec<String>,
        emoji: String,
        chat: Option<String>,
        strict: bool,
    ) -> PyResult<Reader> {
        let options = Options { format, encoding, passes, no, emoji, chat, strict };
        let builder = options.builder()?;
        let reader = py.detach(|| builder.from_paths(&paths)).map_err(|e| to_py_err(py, &e))?;
        let state = State { reader, stop: None, done: false };
        Ok(Reader { state: Mutex::new(state), strict })
    }

    /// The next batch, or None at the end; raises the error that ended the
    /// reading after the posts read before it.
    fn next_batch(
        &self,
        py: Python<'_>,
        max_posts: usize,
        max_bytes: usize,
    ) -> PyResult<Option<Batch>> {
        let Some(read) = next_read(py, &self.state, self.strict, max_posts, max_bytes)? else {
            return Ok(None);
        };
        let rejected =
            read.rejected.iter().map(|e| to_py_err(py, e).into_value(py).into_any()).collect();
        Ok(Some((PyBytes::new(py, &read.json).unbind(), read.fingerprints, rejected)))
    }

    /// The accounting so far, as the CLI's `--summary` JSON.
    fn summary(&self) -> PyResult<String> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        serde_json::to_string(&state.reader.summary()).map_err(|e| bad_option(e.to_string()))
    }
}

/// Cleaned posts as Arrow record batches (`read_arrow`): `read`'s options,
/// and whether to add the `fingerprint` column.
#[pyfunction]
#[pyo3(signature = (paths, *, format=None, encoding=None, passes=None, no=Vec::new(), emoji="qualify".to_owned(), chat=None, strict=false, fingerprint=true))]
#[allow(clippy::too_many_arguments)]
fn open_arrow(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    format: Option<String>,
    encoding: Option<String>,
    passes: Option<Vec<String>>,
    no: Vec<String>,
    emoji: String,
    chat: Option<String>,
    strict: bool,
    fingerprint: bool,
) -> PyResult<arrow::ArrowReader> {
    let options = Options { format, encoding, passes, no, emoji, chat, strict };
    let builder = options.builder()?;
    let reader = py.detach(|| builder.from_paths(&paths)).map_err(|e| to_py_err(py, &e))?;
    Ok(arrow::ArrowReader::new(reader, strict, fingerprint))
}

/// The fingerprint tgnorm's `dedup` pass tells this post apart by (see
/// `clean::fingerprint`), from the post's JSONL object.
#[pyfunction]
fn fingerprint(py: Python<'_>, post_json: &str) -> PyResult<u64> {
    match serde_json::from_str::<Post>(post_json) {
        Ok(post) => Ok(clean::fingerprint(&post)),
        Err(e) => {
            let err =
                TgError::data(tgnorm::Position::file("<post>"), format!("not a tgnorm post: {e}"));
            Err(to_py_err(py, &err))
        }
    }
}

/// Validates inputs; returns the problems (a JSON array) and the report
/// (a JSON object).
#[pyfunction]
#[pyo3(name = "validate", signature = (paths, *, schema="auto".to_owned(), max_errors=None, encoding=None))]
fn validate_paths(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    schema: String,
    max_errors: Option<u64>,
    encoding: Option<String>,
) -> PyResult<(String, String)> {
    let schema = schema.parse::<validate::Schema>().map_err(bad_option)?;
    let reading = Options {
        format: None,
        encoding,
        passes: None,
        no: Vec::new(),
        emoji: "qualify".into(),
        chat: None,
        strict: false,
    };
    let read = ReadOptions { encoding: reading.encoding()?, ..ReadOptions::default() };
    let options = validate::Options { inputs: paths, schema, max_errors, read, progress: false };
    let result = py.detach(|| {
        let mut problems = Vec::new();
        let report = validate::run(&options, &mut |p| {
            problems.push(p.clone());
            Ok(())
        })?;
        Ok::<_, TgError>((problems, report))
    });
    let (problems, report) = result.map_err(|e| to_py_err(py, &e))?;
    let text = |v: serde_json::Result<String>| v.map_err(|e| bad_option(e.to_string()));
    Ok((text(serde_json::to_string(&problems))?, text(serde_json::to_string(&report))?))
}

/// Converts inputs into `output` (a file, or a folder for `tdesktop-html`);
/// returns the summary and the rejected records (JSON). Written under a
/// temporary name beside `output` and renamed at the end: a run that fails
/// leaves no output and no temporary file.
#[pyfunction]
#[pyo3(name = "convert", signature = (inputs, output, *, to="jsonl".to_owned(), format=None, encoding=None, passes=None, no=Vec::new(), emoji="qualify".to_owned(), chat=None, strict=false))]
#[allow(clippy::too_many_arguments)]
fn convert_paths(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    output: PathBuf,
    to: String,
    format: Option<String>,
    encoding: Option<String>,
    passes: Option<Vec<String>>,
    no: Vec<String>,
    emoji: String,
    chat: Option<String>,
    strict: bool,
) -> PyResult<(String, String)> {
    let to = to.parse::<write::Format>().map_err(bad_option)?;
    let options = Options { format, encoding, passes, no, emoji, chat, strict };
    let options = options.convert(inputs, to)?;
    let result = py.detach(|| convert_staged(&options, &output, to));
    let (summary, rejected) = result.map_err(|e| to_py_err(py, &e))?;
    let text = |v: serde_json::Result<String>| v.map_err(|e| bad_option(e.to_string()));
    Ok((text(serde_json::to_string(&summary))?, text(serde_json::to_string(&rejected))?))
}

/// Refuses an output that would destroy something: an input (or a file of
/// an input folder), a folder where a file goes, a non-empty folder where
/// a folder goes, a folder that does not exist.
fn check_output(
    options: &convert::Options,
    output: &Path,
    folder: bool,
) -> Result<PathBuf, TgError> {
    let name = tgnorm::Position::name_of(output);
    let refuse =
        |why: String| TgError::new(tgnorm::Position::file(name.clone()), ErrorKind::Usage(why));
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(refuse(format!(
            "output folder `{}` does not exist; create it first",
            parent.display()
        )));
    }
    if output.is_dir() && !folder {
        return Err(refuse("is a folder; a file output is expected".into()));
    }
    let occupied = fs::read_dir(output).is_ok_and(|mut d| d.next().is_some());
    if folder && (occupied || output.is_file()) {
        return Err(refuse("the output folder must not exist or be empty".into()));
    }
    if let Ok(target) = fs::canonicalize(output) {
        let mut inputs = options.inputs.clone();
        inputs.extend(read::expand(&options.inputs)?);
        if inputs.iter().any(|i| fs::canonicalize(i).is_ok_and(|i| i == target)) {
            return Err(refuse("is an input; tgnorm never writes over an input".into()));
        }
    }
    Ok(parent)
}

fn convert_staged(
    options: &convert::Options,
    output: &Path,
    to: write::Format,
) -> Result<(convert::Summary, Vec<Rejection>), TgError> {
    let name = tgnorm::Position::name_of(output);
    let parent = check_output(options, output, to.is_folder())?;
    let mut rejected = Vec::new();
    let mut keep = |r: &Rejection| {
        rejected.push(r.clone());
        Ok(())
    };
    let io_err = |e: io::Error| TgError::io(name.clone(), e);
    let special = fs::metadata(output).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let outcome = if special && !to.is_folder() {
        // A device, a FIFO, a socket: written into, never replaced.
        let file = fs::OpenOptions::new().write(true).open(output).map_err(io_err)?;
        let (outcome, out) = convert::run(options, BufWriter::new(file), &name, &mut keep)?;
        out.into_inner().map_err(|e| io_err(e.into_error()))?;
        outcome
    } else {
        let prefix =
            format!(".{}.", output.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let mut staging = tempfile::Builder::new();
        staging.prefix(&prefix).suffix(".tgnorm.tmp");
        if to.is_folder() {
            convert_to_folder(options, output, &parent, &staging, &mut keep)?
        } else {
            convert_to_file(options, output, &parent, &staging, &mut keep)?
        }
    };
    match outcome.stopped {
        Some(stop) => Err(stop),
        None => Ok((outcome.summary, rejected)),
    }
}

type Keep<'a> = dyn FnMut(&Rejection) -> Result<(), TgError> + 'a;

/// Writes a file under a temporary name in `parent`, renamed over `output`
/// when the run went through (dropped, so removed, when it did not).
fn convert_to_file(
    options: &convert::Options,
    output: &Path,
    parent: &Path,
    staging: &tempfile::Builder<'_, '_>,
    keep: &mut Keep<'_>,
) -> Result<convert::Outcome, TgError> {
    let name = tgnorm::Position::name_of(output);
    let io_err = |e: io::Error| TgError::io(name.clone(), e);
    let file = staging.tempfile_in(parent).map_err(io_err)?;
    let (outcome, out) = convert::run(options, BufWriter::new(file), &name, keep)?;
    if outcome.stopped.is_none() {
        let file = out.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.as_file().sync_all().map_err(io_err)?;
        file.persist(output).map_err(|e| io_err(e.error))?;
    }
    Ok(outcome)
}

/// Writes a folder format into a temporary folder in `parent`, renamed to
/// `output` (which is absent or empty) when the run went through.
fn convert_to_folder(
    options: &convert::Options,
    output: &Path,
    parent: &Path,
    staging: &tempfile::Builder<'_, '_>,
    keep: &mut Keep<'_>,
) -> Result<convert::Outcome, TgError> {
    let name = tgnorm::Position::name_of(output);
    let io_err = |e: io::Error| TgError::io(name.clone(), e);
    let dir = staging.tempdir_in(parent).map_err(io_err)?;
    let options =
        convert::Options { output_dir: Some(dir.path().to_path_buf()), ..options.clone() };
    let (outcome, _) = convert::run(&options, io::sink(), &name, keep)?;
    if outcome.stopped.is_none() {
        if output.is_dir() {
            fs::remove_dir(output).map_err(io_err)?;
        }
        fs::rename(dir.keep(), output).map_err(io_err)?;
    }
    Ok(outcome)
}

/// The Rust half of the `tgnorm` Python package.
#[pymodule]
fn _tgnorm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", m.py().get_type::<Error>())?;
    // The post schema (JSON Schema), for callers who check posts themselves.
    m.add("POST_SCHEMA", tgnorm::schema::POST)?;
    m.add_class::<Reader>()?;
    m.add_class::<arrow::ArrowReader>()?;
    m.add_class::<arrow::ArrowBatch>()?;
    m.add_function(wrap_pyfunction!(open_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(validate_paths, m)?)?;
    m.add_function(wrap_pyfunction!(convert_paths, m)?)?;
    Ok(())
}
