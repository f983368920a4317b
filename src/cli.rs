//! The command line: arguments → a resolved configuration → a run.
//!
//! Arguments are parsed by clap (doc comments are the `--help` text), then
//! resolved into library options before any I/O, as ripgrep separates its
//! low-level and high-level arguments. Where output files go and how they
//! are written without destroying anything is `output.rs`.

use crate::output::{self, Outputs, Sink, Staged};
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tgnorm::clean::{Config as CleanConfig, EmojiMode, Pass};
use tgnorm::convert::{self, Rejection, Summary};
use tgnorm::read::{self, ReadOptions};
use tgnorm::select;
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
    Convert(Box<ConvertArgs>),
    /// Check archives against the bundled schemas, or HTML pages against
    /// their format's rules (exit 0 valid, 1 invalid, 2 could not read).
    Validate(ValidateArgs),
    /// Print a bundled JSON Schema.
    Schema {
        /// Which schema.
        name: SchemaName,
    },
    /// Print a shell completion script: `tgnorm completions bash >
    /// ~/.local/share/bash-completion/completions/tgnorm`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `tgnorm man > ~/.local/share/man/man1/tgnorm.1`.
    Man,
}

/// The bundled schemas (`tgnorm::schema::by_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SchemaName {
    /// One line of tgnorm's JSONL.
    Post,
    /// Telegram Desktop's result.json (same as tdesktop-result).
    Tdesktop,
    /// Telegram Desktop's result.json, single-chat and full-account shapes.
    TdesktopResult,
    /// One message of a result.json.
    TdesktopMessage,
    /// The JSON `--summary FILE` writes.
    Summary,
    /// One line of `tgnorm validate --format json`.
    ValidateReport,
}

impl SchemaName {
    fn text(self) -> &'static str {
        match self {
            SchemaName::Post => tgnorm::schema::POST,
            SchemaName::Tdesktop | SchemaName::TdesktopResult => tgnorm::schema::TDESKTOP_RESULT,
            SchemaName::TdesktopMessage => tgnorm::schema::TDESKTOP_MESSAGE,
            SchemaName::Summary => tgnorm::schema::SUMMARY,
            SchemaName::ValidateReport => tgnorm::schema::VALIDATE_REPORT,
        }
    }
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
    /// faithful Telegram Desktop export: the text passes are off), csv (one
    /// row per post, fixed columns; output only), parquet (one row per post,
    /// typed columns; read back by tgnorm).
    #[arg(long, value_name = "FORMAT")]
    to: Option<write::Format>,
    /// Write to FILE instead of standard output (atomically; never over an
    /// input; a device or FIFO is written into; its folder must exist). For
    /// tdesktop-html this is a folder (it must not exist or be empty): its
    /// pages, css/ and js/; without -o, one self-contained page goes to
    /// standard output.
    #[arg(short, long, value_name = "FILE|DIR")]
    output: Option<PathBuf>,
    /// Input encoding (utf-8, utf-16le, windows-1251, koi8-r, …); detected
    /// when not given.
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,
    /// Write a partitioned dataset into the folder -o DIR (new or empty):
    /// one file per chat and/or month (UTC), in Hive layout
    /// (`chat_id=…/month=2024-03/part-0.parquet`); with --to parquet, jsonl
    /// or csv.
    #[cfg(feature = "parquet")]
    #[arg(long, value_name = "chat|month|chat,month")]
    partition_by: Option<write::partition::By>,
    /// The chat a text dump's posts belong to, NAME or NAME@username
    /// (default: the dump's owner lines, when they all name one channel).
    #[arg(long = "as-chat", value_name = "NAME[@USERNAME]", value_parser = read::text::parse_chat)]
    as_chat: Option<tgnorm::model::Chat>,
    /// The UTC offset of dates a source gives without one (result.json and
    /// Telegram Desktop pages before mid-2022): ±HH:MM, default +00:00. Such
    /// posts are flagged `assumed_offset` and keep the local date in
    /// `source.local_dates`.
    #[arg(long, value_name = "±HH:MM", default_value = "+00:00", allow_hyphen_values = true)]
    assume_offset: read::offset::Offset,
    /// The chat id of the posts of INPUT that have none (HTML exports,
    /// dumps), so that they merge with an export that has it (repeatable):
    /// `--chat-id old/=channel1292077344`.
    #[arg(long = "chat-id", value_name = "INPUT=ID", value_parser = parse_chat_id)]
    chat_id: Vec<(PathBuf, String)>,
    /// When merging several inputs: take a chat without an id for the chat
    /// with an id of the same name, when exactly one has it (each decision
    /// is printed in the summary).
    #[arg(long)]
    match_chats_by_name: bool,
    /// Add the inputs to ARCHIVE (tgnorm JSONL, a tgnorm Parquet file, or a
    /// Parquet dataset folder, whose partitioning is read from its folders):
    /// only posts it lacks are added, a newer edit replaces a post; written
    /// under a temporary name and renamed, and not rewritten at all when
    /// nothing is new.
    #[arg(long, value_name = "ARCHIVE", conflicts_with = "output")]
    into: Option<PathBuf>,
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
    /// Selection: which posts are kept (boxed: the arguments are many).
    #[command(flatten)]
    select: Box<SelectArgs>,
}

/// `--since`, `--until`, `--dateless`, `--chat`, `--sender`, `--kind`,
/// `--topic` (issue 17 item 4; [`select::Selection`]).
#[derive(Args, Debug)]
struct SelectArgs {
    /// Keep posts dated at or after DATE (2024-03-01, or a date-time such as
    /// 2024-03-01T12:00:00+03:00; a date covers its whole day).
    #[arg(long, value_name = "DATE", help_heading = "Selection")]
    since: Option<String>,
    /// Keep posts dated at or before DATE (inclusive; a date covers its
    /// whole day).
    #[arg(long, value_name = "DATE", help_heading = "Selection")]
    until: Option<String>,
    /// With --since/--until: keep (default) or drop posts without a date.
    #[arg(long, value_name = "keep|drop", default_value = "keep", help_heading = "Selection")]
    dateless: select::Dateless,
    /// Keep posts of this chat: name, id (channel123 or 123) or @username
    /// (repeatable: any of them).
    #[arg(long = "chat", value_name = "CHAT", help_heading = "Selection")]
    chats: Vec<String>,
    /// Keep posts by this sender: name or id (user42 or 42) (repeatable).
    #[arg(long = "sender", value_name = "SENDER", help_heading = "Selection")]
    senders: Vec<String>,
    /// Keep posts of this kind: message, service, unsupported (repeatable).
    #[arg(long = "kind", value_name = "KIND", value_parser = select::parse_kind, help_heading = "Selection")]
    kinds: Vec<tgnorm::model::Kind>,
    /// Keep posts in this forum topic (its topic_id; repeatable).
    #[arg(long = "topic", value_name = "ID", help_heading = "Selection")]
    topics: Vec<i64>,
}

/// The subcommands, for telling `tgnorm FILE` from `tgnorm convert FILE`.
const COMMANDS: [&str; 6] = ["convert", "validate", "schema", "completions", "man", "help"];

/// Parses the process arguments, inserting the default `convert` command.
/// A first word that is neither a command nor an existing file, but is
/// close to a command (`valdate`), is an error that suggests it.
pub fn parse() -> Result<Cli, clap::Error> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(first) = args.get(1) {
        let s = first.to_string_lossy();
        let is_flag_for_top = matches!(s.as_ref(), "-h" | "--help" | "-V" | "--version");
        if !COMMANDS.contains(&s.as_ref()) && !is_flag_for_top {
            if let Some(command) = mistyped_command(&s) {
                return Err(Cli::command().error(
                    clap::error::ErrorKind::InvalidSubcommand,
                    format!("`{s}` is neither a file nor a command; did you mean `{command}`?"),
                ));
            }
            args.insert(1, "convert".into());
        }
    }
    Cli::try_parse_from(args)
}

/// The command `word` is a typo of: a word that is not a path, a flag or
/// `-`, within two edits of a command (one for short words).
fn mistyped_command(word: &str) -> Option<&'static str> {
    if word.starts_with('-') || Path::new(word).exists() {
        return None;
    }
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    COMMANDS
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let value = (diagonal + usize::from(ca != *cb)).min(above + 1).min(left + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Convert(args) => convert_cmd(*args),
        Command::Validate(args) => validate_cmd(args),
        Command::Schema { name } => print(name.text().as_bytes()),
        Command::Completions { shell } => {
            let mut page = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tgnorm", &mut page);
            print(&page)
        }
        Command::Man => print(&man_page().map_err(|e| Error::io("<stdout>", e))?),
    }
}

/// One man page for the whole tool: clap_mangen's sections for `tgnorm`,
/// then each command's synopsis and options as subsections (clap_mangen's
/// own page would point to a page per command, which we do not install).
fn man_page() -> io::Result<Vec<u8>> {
    let mut cli = Cli::command();
    cli.build();
    let top = clap_mangen::Man::new(cli.clone());
    let mut page = Vec::new();
    top.render_title(&mut page)?;
    top.render_name_section(&mut page)?;
    top.render_synopsis_section(&mut page)?;
    top.render_description_section(&mut page)?;
    for command in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        let name = command.get_name().to_uppercase();
        let about = command.get_about().map(|a| a.to_string()).unwrap_or_default();
        writeln!(page, ".SH \"COMMAND: {name}\"\n{}", roff_text(&about))?;
        let man = clap_mangen::Man::new(command.clone());
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_options_section(&mut section)?;
        let section = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        page.extend_from_slice(section.as_bytes());
    }
    top.render_version_section(&mut page)?;
    Ok(title_first(&String::from_utf8_lossy(&page)).into_bytes())
}

/// Each clap_mangen section starts with roff's apostrophe definition
/// (`.ie \n(.g .ds Aq …`, `.el .ds Aq '`): keep one, after the `.TH` line, so
/// that the page starts with its title as man pages do.
fn title_first(page: &str) -> String {
    let is_preamble = |l: &&str| l.starts_with(".ie \\n(.g .ds Aq") || l.starts_with(".el .ds Aq");
    let preamble: Vec<&str> = page.lines().filter(is_preamble).take(2).collect();
    let mut out = String::with_capacity(page.len());
    for line in page.lines().filter(|l| !is_preamble(l)) {
        out.push_str(line);
        out.push('\n');
        if line.starts_with(".TH ") {
            for p in &preamble {
                out.push_str(p);
                out.push('\n');
            }
        }
    }
    out
}

/// Text for a roff paragraph: a leading `.` or `'` would be a request, and
/// `\` and `-` are escaped as clap_mangen does.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn print(bytes: &[u8]) -> Result<Exit, Error> {
    let mut out = io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| Error::io("<stdout>", e))?;
    Ok(Exit::Ok)
}

fn convert_cmd(args: ConvertArgs) -> Result<Exit, Error> {
    let options = resolve(&args)?;
    let dataset = into_dataset(&options);
    let folder = options.to.is_some_and(|f| f.is_folder()) || partitioned(&options)?;
    let outputs = Outputs {
        output: args.output.as_deref().or(args.into.as_deref()).filter(|_| dataset.is_none()),
        folder,
        rejects: args.rejects.as_deref(),
        summary: args.summary.as_deref(),
    };
    output::check(&outputs, &options.inputs)?;
    if let Some(root) = dataset {
        output::check_dataset(root, &options.inputs)?;
    }
    let mut rejects = args.rejects.as_deref().map(Sink::create).transpose()?;
    let rejects_name = args.rejects.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let quiet = args.quiet;
    let mut reject = |r: &Rejection| -> Result<(), Error> {
        match rejects.as_mut() {
            Some(sink) => {
                let line =
                    serde_json::to_string(r).map_err(|e| Error::io(&rejects_name, e.into()))?;
                writeln!(sink.out, "{line}").map_err(|e| Error::io(&rejects_name, e))
            }
            None => {
                if !quiet {
                    eprintln!("tgnorm: rejected: {r}");
                }
                Ok(())
            }
        }
    };

    let (outcome, written) = match (&args.output, &args.into) {
        // --into a dataset: built in a staging folder beside it (its
        // files linked, rewritten or added), swapped with it when
        // something changed.
        (_, Some(root)) if dataset.is_some() => {
            let (outcome, staged) = write_folder(&options, root, &mut reject)?;
            let changed = outcome.changed;
            (outcome, Some(Written::Swap(staged)).filter(|_| changed))
        }
        // --into: the new archive is staged beside the old one, and put in
        // its place only when something changed.
        (_, Some(archive)) => {
            let mut sink = Sink::create(archive)?;
            let name = archive.display().to_string();
            let (outcome, _) = convert::run(&options, &mut sink.out, &name, &mut reject)?;
            let changed = outcome.changed;
            (outcome, Some(Written::File(sink)).filter(|_| changed))
        }
        // A folder format (tdesktop-html) with -o DIR: written into a
        // staging folder beside DIR and renamed at the end, like files.
        (Some(path), None) if folder => {
            let (outcome, staged) = write_folder(&options, path, &mut reject)?;
            (outcome, Some(Written::Folder(staged)))
        }
        (Some(path), None) => {
            let mut sink = Sink::create(path)?;
            let name = path.display().to_string();
            let (outcome, _) = convert::run(&options, &mut sink.out, &name, &mut reject)?;
            (outcome, Some(Written::File(sink)))
        }
        (None, None) => {
            let stdout = io::stdout().lock();
            let out = BufWriter::with_capacity(1 << 20, stdout);
            (convert::run(&options, out, "<stdout>", &mut reject)?.0, None)
        }
    };
    let verdict = match outcome.stopped {
        None if outcome.summary.read == 0 => no_posts(&options, args.quiet),
        _ => Ok(()),
    };
    // A run that stopped, or read the wrong thing, leaves no output.
    if let Some(written) = written.filter(|_| outcome.stopped.is_none() && verdict.is_ok()) {
        written.commit()?;
    }
    if let Some(sink) = rejects {
        sink.commit()?;
    }
    report(&outcome.summary, args.quiet, args.summary.as_deref())?;
    verdict?;
    if let Some(err) = outcome.stopped {
        if err.is_broken_pipe() {
            return Ok(Exit::Ok);
        }
        eprintln!("tgnorm: {err}");
        return Ok(Exit::from(err.kind()));
    }
    Ok(if outcome.summary.rejected > 0 { Exit::Invalid } else { Exit::Ok })
}

/// An output written under a temporary name, to put in place at the end.
enum Written {
    File(Sink),
    Folder(Staged),
    /// A dataset built beside the one it replaces (`--into DIR`).
    Swap(Staged),
}

impl Written {
    fn commit(self) -> Result<(), Error> {
        match self {
            Written::File(sink) => sink.commit(),
            Written::Folder(staged) => staged.commit(),
            Written::Swap(staged) => staged.exchange(),
        }
    }
}

/// A run that read no post at all says why (issue 13): an input that is
/// not of the format `--from` forced, or not recognisably an archive at
/// all, is an error (exit 1); an archive of the right kind that holds no
/// posts is a warning.
fn no_posts(options: &convert::Options, quiet: bool) -> Result<(), Error> {
    let warn = |what: String| {
        if !quiet {
            eprintln!("tgnorm: warning: {what}");
        }
    };
    for input in &options.inputs {
        let name = input.display();
        if input.as_os_str() == "-" {
            warn("no posts in standard input".into());
            continue;
        }
        if input.is_dir() {
            warn(format!("the folder `{name}` holds no posts"));
            continue;
        }
        let forced = options.read.format;
        let refuse = |what: String| Err(Error::new(Position::default(), ErrorKind::Format(what)));
        match (forced, read::looks_like(input, &options.read)?) {
            (_, None) => warn(format!("`{name}` is empty")),
            (Some(asked), Some(found)) if asked != found => {
                return refuse(format!(
                    "`{name}` does not look like {} (it looks like {})",
                    described(asked).0,
                    described(found).1
                ));
            }
            (_, Some(read::Format::Text)) => {
                return refuse(format!(
                    "`{name}` does not look like a Telegram archive: no posts found in it"
                ));
            }
            (_, Some(found)) => {
                warn(format!("`{name}` looks like {} but holds no posts", described(found).1))
            }
        }
    }
    Ok(())
}

/// A format for messages: with an article, and as it is usually called.
fn described(format: read::Format) -> (&'static str, &'static str) {
    match format {
        read::Format::TdesktopJson => ("a Telegram Desktop result.json", "result.json"),
        read::Format::TdesktopHtml => {
            ("a Telegram Desktop HTML page", "a Telegram Desktop HTML page")
        }
        read::Format::WebHtml => ("a saved t.me/s page", "a saved t.me/s page"),
        read::Format::Text => ("a text dump", "plain text"),
        read::Format::Jsonl => ("tgnorm JSONL", "tgnorm JSONL"),
        #[cfg(feature = "parquet")]
        read::Format::Parquet => ("a tgnorm Parquet file", "a tgnorm Parquet file"),
        _ => ("that format", "another format"),
    }
}

fn validate_cmd(args: ValidateArgs) -> Result<Exit, Error> {
    let encoding = parse_encoding(args.encoding.as_deref())?;
    let options = validate::Options {
        inputs: args.inputs,
        schema: args.schema,
        max_errors: args.max_errors,
        read: ReadOptions { encoding, ..ReadOptions::default() },
        progress: io::stderr().is_terminal(),
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

/// Runs a conversion into the folder `dir` (issue 4's `-o DIR`, a new or
/// empty folder: `output::check`): the pages go into a staging folder beside
/// it, which the caller renames to `dir` when the run finished.
fn write_folder(
    options: &convert::Options,
    dir: &Path,
    reject: &mut dyn FnMut(&Rejection) -> Result<(), Error>,
) -> Result<(convert::Outcome, Staged), Error> {
    let staged = Staged::folder(dir)?;
    let mut options = options.clone();
    options.output_dir = Some(staged.path().to_path_buf());
    let real = |e: Error| named_for_user(e, staged.path(), dir);
    let (mut outcome, _) =
        convert::run(&options, io::sink(), &dir.display().to_string(), reject).map_err(real)?;
    outcome.stopped = outcome.stopped.map(real);
    Ok((outcome, staged))
}

/// An I/O error about a file in the staging folder `temp`, renamed to be
/// about the same file in `dir`, the folder the user named.
fn named_for_user(err: Error, temp: &Path, dir: &Path) -> Error {
    let file = Path::new(&err.position().file);
    match (file.strip_prefix(temp), err.kind()) {
        (Ok(inside), ErrorKind::Io(io_err)) => {
            let shown = dir.join(inside).display().to_string();
            Error::io(shown, io::Error::new(io_err.kind(), io_err.to_string()))
        }
        _ => err,
    }
}

fn report(summary: &Summary, quiet: bool, file: Option<&Path>) -> Result<(), Error> {
    if !quiet {
        eprintln!("tgnorm: {}", summary.line());
        for (topic, note) in summary.note_lines() {
            eprintln!("tgnorm: {topic}: {note}");
        }
    }
    if let Some(path) = file {
        let name = path.display().to_string();
        let mut json =
            serde_json::to_string_pretty(summary).map_err(|e| Error::io(&name, e.into()))?;
        json.push('\n');
        output::write_file(path, json.as_bytes())?;
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
        chat: args.as_chat.clone(),
        ..read::text::Options::for_passes(&clean)
    };
    let (to, partition_by) = into_format(args)?;
    #[cfg(not(feature = "parquet"))]
    let _ = partition_by;
    if args.into.is_some() && off.contains(&Pass::Dedup) {
        return Err(Error::usage(
            "--into adds only what the archive lacks: it needs the dedup pass",
        ));
    }
    for (input, _) in &args.chat_id {
        if !args.inputs.contains(input) {
            return Err(Error::usage(format!(
                "--chat-id {}=…: `{}` is not one of the inputs",
                input.display(),
                input.display()
            )));
        }
    }
    let merge = convert::MergeOptions {
        chat_ids: args.chat_id.clone(),
        by_name: args.match_chats_by_name,
        into: args.into.clone(),
    };
    Ok(convert::Options {
        merge,
        inputs: args.inputs.clone(),
        read: ReadOptions { format: args.from, encoding, text, assume_offset: args.assume_offset },
        clean,
        to,
        strict: args.strict,
        progress: !args.quiet && io::stderr().is_terminal(),
        output_dir: None,
        tdesktop_json: write::tdesktop_json::Options { tdesktop_escapes: args.tdesktop_escapes },
        select: select::Selection {
            since: args.select.since.as_deref().map(str::parse).transpose()?,
            until: args.select.until.as_deref().map(str::parse).transpose()?,
            dateless: args.select.dateless,
            chats: args.select.chats.clone(),
            from: args.select.senders.clone(),
            kinds: args.select.kinds.clone(),
            topics: args.select.topics.clone(),
        },
        #[cfg(feature = "parquet")]
        partition_by,
    })
}

/// `--to` and `--partition-by` as the run uses them: with `--into` a
/// Parquet file or dataset (`tgnorm::into`), Parquet, and the dataset's own
/// partitioning (read from its folders); a mismatch is a usage error.
#[cfg(feature = "parquet")]
fn into_format(
    args: &ConvertArgs,
) -> Result<(Option<write::Format>, Option<write::partition::By>), Error> {
    use tgnorm::into::{self, Archive};
    let Some(path) = &args.into else {
        if args.partition_by.is_some() && args.output.is_none() {
            return Err(Error::usage(
                "--partition-by writes a dataset into the folder -o DIR (or adds to one: --into DIR)",
            ));
        }
        return Ok((args.to, args.partition_by));
    };
    let kind = Archive::of(path, args.partition_by.is_some());
    if kind == Archive::Jsonl {
        if args.partition_by.is_some() {
            return Err(Error::usage("--partition-by adds to a dataset folder, not a JSONL file"));
        }
        return jsonl_into(args).map(|to| (to, None));
    }
    if args.to.is_some_and(|f| f != write::Format::Parquet) {
        let name = path.display();
        return Err(Error::usage(format!("--into `{name}` is Parquet: --to must be parquet")));
    }
    let by = match kind {
        Archive::Dataset => Some(into::dataset_partitioning(path, args.partition_by)?),
        _ if args.partition_by.is_some() => {
            return Err(Error::usage(format!(
                "--into `{}` is one Parquet file: --partition-by adds to a dataset folder",
                path.display()
            )))
        }
        _ => None,
    };
    Ok((Some(write::Format::Parquet), by))
}

#[cfg(not(feature = "parquet"))]
fn into_format(args: &ConvertArgs) -> Result<(Option<write::Format>, Option<()>), Error> {
    jsonl_into(args).map(|to| (to, None))
}

/// `--to` with `--into` a JSONL archive (or none): jsonl or nothing.
fn jsonl_into(args: &ConvertArgs) -> Result<Option<write::Format>, Error> {
    if args.into.is_some() && args.to.is_some_and(|f| f != write::Format::Jsonl) {
        return Err(Error::usage("--into adds to a tgnorm JSONL archive: --to must be jsonl"));
    }
    Ok(args.to)
}

/// The dataset `--into` adds to, if it is one.
fn into_dataset(options: &convert::Options) -> Option<&Path> {
    #[cfg(feature = "parquet")]
    if options.partition_by.is_some() {
        return options.merge.into.as_deref();
    }
    let _ = options;
    None
}

/// True when the run writes a partitioned dataset (`--partition-by`); an
/// error for an output format that cannot be partitioned.
fn partitioned(options: &convert::Options) -> Result<bool, Error> {
    #[cfg(feature = "parquet")]
    if options.partition_by.is_some() {
        let to = options.to.unwrap_or(write::Format::Jsonl);
        if !write::partition::supports(to) {
            return Err(Error::usage(format!(
                "--partition-by writes jsonl, csv or parquet files, not {to}"
            )));
        }
        return Ok(true);
    }
    let _ = options;
    Ok(false)
}

/// `INPUT=ID` of `--chat-id`: an input path and a chat id as Telegram
/// Desktop writes it (`channel123`, `user42`, `chat7`) or a bare number.
fn parse_chat_id(s: &str) -> Result<(PathBuf, String), String> {
    let (input, id) = s.rsplit_once('=').ok_or("expected INPUT=ID, as in old/=channel123")?;
    let digits = id.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    if input.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}`: expected INPUT=ID, as in old/=channel123"));
    }
    Ok((PathBuf::from(input), id.to_owned()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("valdate", "validate"), 1);
        assert_eq!(edit_distance("convret", "convert"), 2);
        assert_eq!(edit_distance("", "man"), 3);
        assert_eq!(edit_distance("schema", "schema"), 0);
    }

    #[test]
    fn suggests_only_near_commands() {
        assert_eq!(mistyped_command("valdate"), Some("validate"));
        assert_eq!(mistyped_command("shcema"), Some("schema"));
        assert_eq!(mistyped_command("mna"), None);
        assert_eq!(mistyped_command("dump.txt"), None);
        assert_eq!(mistyped_command("-"), None);
    }

    #[test]
    fn errors_in_the_staging_folder_name_the_real_folder() {
        let temp = Path::new("/t/.html.x1.tgnorm.tmp");
        let err =
            Error::io(temp.join("css/style.css").display().to_string(), io::Error::other("full"));
        let err = named_for_user(err, temp, Path::new("out/html"));
        assert_eq!(err.to_string(), "out/html/css/style.css: full");
        let err = named_for_user(Error::usage("other"), temp, Path::new("out/html"));
        assert_eq!(err.to_string(), "other");
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
