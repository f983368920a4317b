//! The conversion pipeline: read → de-duplicate → clean → write, with the
//! run's accounting.
//!
//! Reading (parsing) runs on one thread and cleaning + writing on the other,
//! joined by a bounded channel of small batches, so memory stays flat and
//! both cores work. Every item a reader yields is counted: a post is
//! written, dropped as a duplicate, or rejected with its position, so the
//! summary always shows `read = written + rejected + duplicates`
//! (ARCHITECTURE.md, invariant 3).

use crate::clean::{self, Config as CleanConfig, Pass};
use crate::error::{Error, ErrorKind, Position, Result};
use crate::model::Post;
use crate::read::{self, Notes, ReadOptions};
use crate::write::{self, Writer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

/// Everything a conversion needs to know.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Input paths (`-` for standard input, folders for exports).
    pub inputs: Vec<PathBuf>,
    /// How to read them.
    pub read: ReadOptions,
    /// Which passes run.
    pub clean: CleanConfig,
    /// Output format.
    pub to: Option<write::Format>,
    /// Stop at the first bad record instead of rejecting it.
    pub strict: bool,
    /// Show a progress line on standard error (when it is a terminal).
    pub progress: bool,
    /// For folder formats (`tdesktop-html`, see `write::Format::is_folder`):
    /// the folder the pages go into. The CLI passes a staging folder and
    /// renames it at the end, as it does with files. `None` writes such a
    /// format to the output stream in its one-file form.
    pub output_dir: Option<PathBuf>,
}

/// A record that could not be read, for the rejects file: where (the
/// error's own [`Position`]) and why.
#[derive(Clone, Debug, Serialize)]
pub struct Rejection {
    /// Where the record is.
    #[serde(flatten)]
    pub position: Position,
    /// What was wrong.
    pub error: String,
}

impl Rejection {
    fn from_error(err: &Error) -> Rejection {
        Rejection { position: err.position().clone(), error: err.message() }
    }
}

impl std::fmt::Display for Rejection {
    /// `file:line:col: reason`, as errors print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.position, self.error)
    }
}

/// The run's accounting, printed as one line and written as JSON by
/// `--summary`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Items the readers yielded (posts and bad records).
    pub read: u64,
    /// Posts written.
    pub written: u64,
    /// Bad records reported.
    pub rejected: u64,
    /// Posts dropped because they were already written.
    pub duplicates: u64,
    /// Placeholder lines (`Media is too big`, `VIEW IN TELEGRAM`, …) turned into fields.
    pub boilerplate_lines: u64,
    /// Chrome lines (owner titles, views, times, dates) dropped from text dumps.
    pub chrome_lines: u64,
    /// Posts whose body a dump printed twice.
    pub repeated_bodies: u64,
    /// Lines removed as repeats.
    pub repeated_lines: u64,
    /// Text lines in the posts read from text dumps.
    pub text_lines: u64,
    /// Posts whose boundaries the text alone could not decide.
    pub boundary_uncertain: u64,
    /// Repeats cut short at the end of a file.
    pub truncated_repeats: u64,
    /// Posts changed by each pass (`cleaned` entries).
    pub cleaned: BTreeMap<String, u64>,
    /// What readers assumed or repaired (encoding, text flavour, …).
    pub notes: BTreeMap<String, String>,
}

impl Summary {
    /// The one-line form: `read 15 · written 15 · rejected 0 · …`.
    pub fn line(&self) -> String {
        let mut parts = vec![
            format!("read {}", thousands(self.read)),
            format!("written {}", thousands(self.written)),
            format!("rejected {}", thousands(self.rejected)),
        ];
        let optional = [
            (self.duplicates, "duplicates ", ""),
            (self.boilerplate_lines, "boilerplate ", " lines"),
            (self.chrome_lines, "chrome ", " lines"),
            (self.repeated_bodies, "repeated bodies ", ""),
            (self.boundary_uncertain, "boundary uncertain ", ""),
            (self.truncated_repeats, "truncated repeats ", ""),
        ];
        for (n, before, after) in optional {
            if n > 0 {
                parts.push(format!("{before}{}{after}", thousands(n)));
            }
        }
        parts.join(" · ")
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The accounting.
    pub summary: Summary,
    /// The first error when the run stopped early (strict mode, or a fatal
    /// error such as an unreadable file).
    pub stopped: Option<Error>,
}

/// A progress line on standard error, redrawn at most every 200 ms.
struct Progress {
    on: bool,
    last: std::time::Instant,
    drawn: bool,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress { on, last: std::time::Instant::now(), drawn: false }
    }

    fn tick(&mut self, read: u64) {
        if self.on && self.last.elapsed() >= std::time::Duration::from_millis(200) {
            self.last = std::time::Instant::now();
            self.drawn = true;
            eprint!("\rtgnorm: {} posts read…", thousands(read));
        }
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
        }
    }
}

/// A batch of reader items crossing the thread boundary.
type Batch = Vec<Result<Post>>;
const BATCH: usize = 256;
const IN_FLIGHT: usize = 16;

/// Runs a conversion: reads every input, cleans, writes to `out`, and sends
/// each rejected record to `reject`.
///
/// Returns the summary; a fatal error (unreadable input, failed write) is an
/// `Err` only when nothing sensible can be reported, otherwise it is in
/// [`Outcome::stopped`] with the summary so far.
pub fn run<W: Write>(
    options: &Options,
    out: W,
    out_name: &str,
    reject: &mut dyn FnMut(&Rejection) -> Result<()>,
) -> Result<(Outcome, W)> {
    let files = read::expand(&options.inputs)?;
    let notes = Notes::default();
    let to = options.to.unwrap_or(write::Format::Jsonl);
    let mut writer = match &options.output_dir {
        Some(dir) if to.is_folder() => Writer::to_folder(to, dir.clone(), out, out_name.to_owned()),
        _ => Writer::new(to, out, out_name.to_owned()),
    };
    writer.set_notes(&notes);
    let mut summary = Summary::default();
    let duplicates = Arc::new(AtomicU64::new(0));
    let mut stopped: Option<Error> = None;
    let mut progress = Progress::new(options.progress);
    let mut seen = clean::Seen::default();

    'inputs: for path in &files {
        let input = match read::open(path, &options.read, &notes) {
            Ok(i) => i,
            Err(e) => {
                stopped = Some(e);
                break;
            }
        };
        let posts = match read::read(input, &options.read, &notes) {
            Ok(p) => p,
            Err(e) => {
                stopped = Some(e);
                break;
            }
        };
        let dedup_on = options.clean.has(Pass::Dedup);
        let (tx, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let dup = duplicates.clone();
        // One window for all inputs: overlapping pages are separate files.
        let seen = &mut seen;
        let result: Result<Option<Error>> = std::thread::scope(|scope| {
            scope.spawn(move || {
                let posts: Box<dyn Iterator<Item = Result<Post>> + Send> =
                    if dedup_on { Box::new(clean::dedup_with(posts, seen, dup)) } else { posts };
                let mut batch = Vec::with_capacity(BATCH);
                for item in posts {
                    batch.push(item);
                    if batch.len() == BATCH
                        && tx
                            .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                            .is_err()
                    {
                        return;
                    }
                }
                let _ = tx.send(batch);
            });
            for batch in rx {
                progress.tick(summary.read);
                for item in batch {
                    summary.read += 1;
                    match item {
                        Ok(mut post) => {
                            clean::clean_post(&mut post, &options.clean);
                            for c in &post.cleaned {
                                *summary.cleaned.entry(c.clone()).or_default() += 1;
                            }
                            writer.write(&post)?;
                            summary.written += 1;
                        }
                        Err(e) if e.is_record_error() && !options.strict => {
                            summary.rejected += 1;
                            reject(&Rejection::from_error(&e))?;
                        }
                        Err(e) => {
                            if e.is_record_error() {
                                summary.rejected += 1;
                            }
                            // Dropping the receiver stops the reader thread.
                            return Ok(Some(e));
                        }
                    }
                }
            }
            Ok(None)
        });
        match result {
            Ok(None) => {}
            Ok(Some(e)) => {
                stopped = Some(e);
                break 'inputs;
            }
            Err(e) => return Err(e),
        }
    }
    progress.clear();
    let out = writer.finish()?;
    summary.duplicates = duplicates.load(Ordering::Relaxed);
    // Duplicates were counted out before the writer saw them: they were read.
    summary.read += summary.duplicates;
    let counters = notes.counters();
    let get = |k: &str| counters.get(k).copied().unwrap_or(0);
    summary.boilerplate_lines = get("boilerplate_lines");
    summary.chrome_lines = get("chrome_lines");
    summary.repeated_bodies = get("repeated_bodies");
    summary.repeated_lines = get("repeated_lines");
    summary.text_lines = get("text_lines");
    summary.boundary_uncertain = get("boundary_uncertain");
    summary.truncated_repeats = get("truncated_repeats");
    summary.notes = notes.snapshot();
    Ok((Outcome { summary, stopped }, out))
}

/// Convenience for tests and library users: converts in-memory text to JSONL.
///
/// ```
/// let dump = "Forwarded from Russian MFA 🇷🇺\nHello\nMedia is too big\nVIEW IN TELEGRAM\nCaption";
/// let jsonl = tgnorm::convert::text_to_jsonl(dump).unwrap();
/// let lines: Vec<&str> = jsonl.lines().collect();
/// assert_eq!(lines.len(), 2);
/// assert!(lines[1].contains(r#""media":[{"type":"video","status":"too_big"}]"#));
/// ```
pub fn text_to_jsonl(text: &str) -> Result<String> {
    use crate::read::text;
    let notes = Notes::default();
    let reader = text::Reader::new(text.as_bytes(), "-".into(), text::Options::default(), notes);
    let config = CleanConfig::default();
    let mut writer = write::jsonl::Writer::new(Vec::new(), "-".into());
    for post in clean::dedup(reader, Arc::new(AtomicU64::new(0))) {
        let mut post = post?;
        clean::clean_post(&mut post, &config);
        writer.write(&post)?;
    }
    let bytes = writer.finish()?;
    String::from_utf8(bytes)
        .map_err(|e| Error::new(Position::file("-"), ErrorKind::Encoding(e.to_string())))
}
