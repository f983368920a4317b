//! The command line: arguments → a resolved configuration → a run.
//!
//! Arguments are parsed by clap (doc comments are the `--help` text), then
//! resolved into library options before any I/O, as ripgrep separates its
//! low-level and high-level arguments. Output to a file goes to a temporary
//! name beside it and is renamed at the end, so a failed run never leaves
//! half a file, and an output path equal to an input is refused.

use clap::{Args, Parser, Subcommand};
use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tgnorm::clean::{Config as CleanConfig, EmojiMode, Pass};
use tgnorm::convert::{self, Rejection, Summary};
use tgnorm::read::{self, ReadOptions};
use tgnorm::validate::{self, Problem, Schema};
use tgnorm::{write, Error, ErrorKind, Position};

/// Exit codes (DESIGN.md): 0 ok, 1 invalid data, 2 usage or I/O error.
pub enum Exit {
    /// Everything read was written.
    Ok,
    /// Some records were rejected, or validation failed.
    Invalid,
    /// Bad usage or an I/O error.
    Error,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Invalid => 1,
            Exit::Error => 2,
        })
    }
}

/// Clean, convert and validate Telegram archives: Desktop exports, saved
/// channel pages and plain-text dumps, to clean JSONL.
#[derive(Parser, Debug)]
#[command(name = "tgnorm", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read archives, clean them and write them in another format (the
    /// default command: `tgnorm FILE` is `tgnorm convert FILE`).
    Convert(ConvertArgs),
    /// Check archives against the bundled schemas, or HTML pages against
    /// their format's rules (exit 0 valid, 1 invalid, 2 could not read).
    Validate(ValidateArgs),
    /// Print a bundled JSON Schema.
    Schema {
        /// Which schema: `post` (one JSONL line).
        name: String,
    },
}

#[derive(Args, Debug)]
struct ValidateArgs {
    /// Files or export folders; `-` is standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Schema: auto (from content), post (tgnorm JSONL), tdesktop (result.json),
    /// tdesktop-html (messages*.html), web-html (t.me/s pages).
    #[arg(long, value_name = "SCHEMA", default_value = "auto")]
    schema: Schema,
    /// Output: text (one line per problem) or json (one object per line).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    format: ProblemFormat,
    /// Stop after N errors.
    #[arg(long, value_name = "N")]
    max_errors: Option<u64>,
    /// Input encoding, as for convert.
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ProblemFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
struct ConvertArgs {
    /// Input files or export folders; `-` is standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Input format (detected from content when not given): tdesktop-json,
    /// tdesktop-html, web-html, text, jsonl.
    #[arg(long, value_name = "FORMAT")]
    from: Option<read::Format>,
    /// Output format: jsonl (default), text, tdesktop-html, tdesktop-json (a
    /// faithful Telegram Desktop export: the text passes are off).
    #[arg(long, value_name = "FORMAT")]
    to: Option<write::Format>,
    /// Write to FILE instead of standard output (atomically). For
    /// tdesktop-html this is a folder (it must not exist or be empty): its
    /// pages, css/ and js/; without -o, one self-contained page goes to
    /// standard output.
    #[arg(short, long, value_name = "FILE|DIR")]
    output: Option<PathBuf>,
    /// Input encoding (utf-8, utf-16le, windows-1251, koi8-r, …); detected
    /// when not given.
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,
    /// Emoji: qualify (default), keep, strip, shortcode.
    #[arg(long, value_name = "MODE", default_value = "qualify")]
    emoji: EmojiMode,
    /// With --to tdesktop-json: write control characters as Telegram
    /// Desktop's `\xHH` (not valid JSON) where the source had them, to give
    /// such a file back byte for byte. Default: `\u00hh`.
    #[arg(long)]
    tdesktop_escapes: bool,
    /// Stop at the first bad record (exit 1) instead of rejecting it.
    #[arg(long, conflicts_with = "rejects")]
    strict: bool,
    /// Write rejected records (position and reason) to FILE as JSONL.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Write the run summary to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Do not run a cleaning pass (repeatable): unicode, boilerplate,
    /// repeated-body, forward, reply, emoji, whitespace, dedup.
    #[arg(long = "no", value_name = "PASS")]
    no: Vec<Pass>,
    /// Switch off the unicode pass.
    #[arg(long)]
    no_unicode: bool,
    /// Switch off the boilerplate pass.
    #[arg(long)]
    no_boilerplate: bool,
    /// Switch off the repeated-body pass.
    #[arg(long)]
    no_repeated_body: bool,
    /// Switch off the forward-header pass.
    #[arg(long)]
    no_forward: bool,
    /// Switch off the reply-header pass.
    #[arg(long)]
    no_reply: bool,
    /// Switch off the emoji pass (same as --emoji keep).
    #[arg(long)]
    no_emoji: bool,
    /// Switch off the whitespace pass.
    #[arg(long)]
    no_whitespace: bool,
    /// Switch off de-duplication.
    #[arg(long)]
    no_dedup: bool,
    /// Do not print the summary line on standard error.
    #[arg(short, long)]
    quiet: bool,
}

/// The subcommands, for telling `tgnorm FILE` from `tgnorm convert FILE`.
const COMMANDS: [&str; 4] = ["convert", "validate", "schema", "help"];

/// Parses the process arguments, inserting the default `convert` command.
pub fn parse() -> Result<Cli, clap::Error> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(first) = args.get(1) {
        let s = first.to_string_lossy();
        let is_flag_for_top = matches!(s.as_ref(), "-h" | "--help" | "-V" | "--version");
        if !COMMANDS.contains(&s.as_ref()) && !is_flag_for_top {
            args.insert(1, "convert".into());
        }
    }
    Cli::try_parse_from(args)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Convert(args) => convert_cmd(args),
        Command::Validate(args) => validate_cmd(args),
        Command::Schema { name } => {
            let schema = tgnorm::schema::by_name(&name)
                .ok_or_else(|| Error::usage(format!("unknown schema `{name}` (expected: post)")))?;
            let mut out = io::stdout().lock();
            out.write_all(schema.as_bytes()).map_err(|e| Error::io("<stdout>", e))?;
            Ok(Exit::Ok)
        }
    }
}

fn convert_cmd(args: ConvertArgs) -> Result<Exit, Error> {
    let options = resolve(&args)?;
    if let Some(out) = &args.output {
        refuse_overwrite(out, &options.inputs)?;
    }
    let mut rejects = match &args.rejects {
        Some(path) => Some(BufWriter::new(
            File::create(path).map_err(|e| Error::io(path.display().to_string(), e))?,
        )),
        None => None,
    };
    let rejects_name = args.rejects.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let quiet = args.quiet;
    let mut reject = |r: &Rejection| -> Result<(), Error> {
        match rejects.as_mut() {
            Some(w) => {
                let line =
                    serde_json::to_string(r).map_err(|e| Error::io(&rejects_name, e.into()))?;
                writeln!(w, "{line}").map_err(|e| Error::io(&rejects_name, e))
            }
            None => {
                if !quiet {
                    eprintln!("tgnorm: rejected: {r}");
                }
                Ok(())
            }
        }
    };

    let outcome = match &args.output {
        // A folder format (tdesktop-html) with -o DIR: written into a
        // staging folder beside DIR and renamed at the end, like files.
        Some(path) if options.to.is_some_and(|f| f.is_folder()) => {
            write_folder(&options, path, &mut reject)?
        }
        Some(path) => {
            let tmp = temp_name(path);
            let file = File::create(&tmp).map_err(|e| Error::io(path.display().to_string(), e))?;
            let result = convert::run(
                &options,
                BufWriter::with_capacity(1 << 20, file),
                &path.display().to_string(),
                &mut reject,
            );
            match result {
                Ok((outcome, w)) if outcome.stopped.is_none() => {
                    let file = w
                        .into_inner()
                        .map_err(|e| Error::io(path.display().to_string(), e.into_error()))?;
                    file.sync_all().map_err(|e| Error::io(path.display().to_string(), e))?;
                    fs::rename(&tmp, path).map_err(|e| Error::io(path.display().to_string(), e))?;
                    outcome
                }
                Ok((outcome, _)) => {
                    let _ = fs::remove_file(&tmp);
                    outcome
                }
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(e);
                }
            }
        }
        None => {
            let stdout = io::stdout().lock();
            convert::run(
                &options,
                BufWriter::with_capacity(1 << 20, stdout),
                "<stdout>",
                &mut reject,
            )?
            .0
        }
    };
    if let Some(mut w) = rejects {
        w.flush().map_err(|e| Error::io(&rejects_name, e))?;
    }
    report(&outcome.summary, args.quiet, args.summary.as_deref())?;
    if let Some(err) = outcome.stopped {
        if err.is_broken_pipe() {
            return Ok(Exit::Ok);
        }
        eprintln!("tgnorm: {err}");
        return Ok(Exit::from(err.kind()));
    }
    Ok(if outcome.summary.rejected > 0 { Exit::Invalid } else { Exit::Ok })
}

fn validate_cmd(args: ValidateArgs) -> Result<Exit, Error> {
    let encoding = parse_encoding(args.encoding.as_deref())?;
    let options = validate::Options {
        inputs: args.inputs,
        schema: args.schema,
        max_errors: args.max_errors,
        read: ReadOptions { encoding, ..ReadOptions::default() },
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let format = args.format;
    let mut emit = |p: &Problem| -> Result<(), Error> {
        let line = match format {
            ProblemFormat::Text => p.to_string(),
            ProblemFormat::Json => {
                serde_json::to_string(p).map_err(|e| Error::io("<stdout>", e.into()))?
            }
        };
        writeln!(out, "{line}").map_err(|e| Error::io("<stdout>", e))
    };
    let report = validate::run(&options, &mut emit)?;
    if format == ProblemFormat::Json {
        let line = serde_json::json!({ "summary": report });
        writeln!(out, "{line}").map_err(|e| Error::io("<stdout>", e))?;
    }
    out.flush().map_err(|e| Error::io("<stdout>", e))?;
    eprintln!("tgnorm: {}", report.line());
    Ok(if report.errors > 0 { Exit::Invalid } else { Exit::Ok })
}

fn parse_encoding(label: Option<&str>) -> Result<Option<&'static encoding_rs::Encoding>, Error> {
    match label {
        Some(label) => Ok(Some(tgnorm::decode::encoding_for_label(label).ok_or_else(|| {
            Error::usage(format!(
                "unknown encoding `{label}` (try utf-8, utf-16le, windows-1251, koi8-r)"
            ))
        })?)),
        None => Ok(None),
    }
}

/// Runs a conversion into the folder `dir` (issue 4's `-o DIR`): refuses a
/// `dir` that holds anything (so nothing of the user's is ever replaced),
/// writes into `.DIR.tgnorm-PID.tmp` beside it, and renames that to `dir`
/// only when the run finished; a failed run leaves no folder behind.
fn write_folder(
    options: &convert::Options,
    dir: &Path,
    reject: &mut dyn FnMut(&Rejection) -> Result<(), Error>,
) -> Result<convert::Outcome, Error> {
    let name = dir.display().to_string();
    let existing_empty = match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::new(
                    Position::file(&name),
                    ErrorKind::Usage(
                        "the output folder is not empty; give a new or empty folder".into(),
                    ),
                ));
            }
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => {
            if dir.exists() && !dir.is_dir() {
                return Err(Error::new(
                    Position::file(&name),
                    ErrorKind::Usage("tdesktop-html writes a folder; this is a file".into()),
                ));
            }
            return Err(Error::io(&name, e));
        }
    };
    let staging = temp_name(dir);
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| Error::io(staging.display().to_string(), e))?;
    let mut options = options.clone();
    options.output_dir = Some(staging.clone());
    let result = convert::run(&options, io::sink(), &name, reject);
    match result {
        Ok((outcome, _)) if outcome.stopped.is_none() => {
            if existing_empty {
                fs::remove_dir(dir).map_err(|e| Error::io(&name, e))?;
            }
            fs::rename(&staging, dir).map_err(|e| Error::io(&name, e))?;
            Ok(outcome)
        }
        Ok((outcome, _)) => {
            let _ = fs::remove_dir_all(&staging);
            Ok(outcome)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn report(summary: &Summary, quiet: bool, file: Option<&Path>) -> Result<(), Error> {
    if !quiet {
        eprintln!("tgnorm: {}", summary.line());
        for (topic, note) in &summary.notes {
            eprintln!("tgnorm: {topic}: {note}");
        }
    }
    if let Some(path) = file {
        let name = path.display().to_string();
        let mut json =
            serde_json::to_string_pretty(summary).map_err(|e| Error::io(&name, e.into()))?;
        json.push('\n');
        fs::write(path, json).map_err(|e| Error::io(&name, e))?;
    }
    Ok(())
}

fn resolve(args: &ConvertArgs) -> Result<convert::Options, Error> {
    let encoding = parse_encoding(args.encoding.as_deref())?;
    let switched_off = [
        (args.no_unicode, Pass::Unicode),
        (args.no_boilerplate, Pass::Boilerplate),
        (args.no_repeated_body, Pass::RepeatedBody),
        (args.no_forward, Pass::Forward),
        (args.no_reply, Pass::Reply),
        (args.no_emoji, Pass::Emoji),
        (args.no_whitespace, Pass::Whitespace),
        (args.no_dedup, Pass::Dedup),
    ];
    let mut off: Vec<Pass> = args.no.clone();
    off.extend(switched_off.iter().filter(|(on, _)| *on).map(|(_, p)| *p));
    // Round trip vs cleaning (issue 3): `--to tdesktop-json` writes a faithful
    // Telegram Desktop export, so the text passes (unicode, emoji,
    // whitespace), which would change a real export's text, are off. To
    // clean the text, convert to JSONL first and write that:
    // `tgnorm X | tgnorm - --to tdesktop-json`. Structural clean-ups of text
    // dumps happen in the text reader and still apply; dedup still applies.
    if args.to == Some(write::Format::TdesktopJson) {
        off.extend([Pass::Unicode, Pass::Emoji, Pass::Whitespace]);
    }
    let passes: Vec<Pass> = Pass::ALL.into_iter().filter(|p| !off.contains(p)).collect();
    let clean = CleanConfig { passes, emoji: args.emoji };
    let text = read::text::Options {
        boilerplate: clean.has(Pass::Boilerplate),
        repeated_body: clean.has(Pass::RepeatedBody),
        forward: clean.has(Pass::Forward),
        reply: clean.has(Pass::Reply),
    };
    Ok(convert::Options {
        inputs: args.inputs.clone(),
        read: ReadOptions { format: args.from, encoding, text },
        clean,
        to: args.to,
        strict: args.strict,
        progress: !args.quiet && io::stderr().is_terminal(),
        output_dir: None,
        tdesktop_json: write::tdesktop_json::Options { tdesktop_escapes: args.tdesktop_escapes },
    })
}

/// Refuses an output path that is one of the inputs (or a file inside an
/// input folder's export files).
fn refuse_overwrite(out: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let out_canon = canonical_target(out);
    for input in inputs {
        if input.as_os_str() == "-" {
            continue;
        }
        let same = match (&out_canon, fs::canonicalize(input)) {
            (Some(o), Ok(i)) => o == &i || o.starts_with(&i) && i.is_dir() && is_export_file(o),
            _ => out == input,
        };
        if same {
            return Err(Error::new(
                Position::file(out.display().to_string()),
                ErrorKind::Usage(format!(
                    "refusing to write the output over the input {}",
                    input.display()
                )),
            ));
        }
    }
    Ok(())
}

fn is_export_file(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name == "result.json" || (name.starts_with("messages") && name.ends_with(".html"))
}

/// The canonical path a file would have, whether or not it exists yet.
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Some(p);
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(fs::canonicalize(parent).ok()?.join(path.file_name()?))
}

fn temp_name(path: &Path) -> PathBuf {
    let name =
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.tgnorm-{}.tmp", std::process::id()))
}

impl From<&ErrorKind> for Exit {
    fn from(kind: &ErrorKind) -> Exit {
        match kind {
            ErrorKind::Data(_)
            | ErrorKind::Json(_)
            | ErrorKind::Encoding(_)
            | ErrorKind::Format(_) => Exit::Invalid,
            _ => Exit::Error,
        }
    }
}
