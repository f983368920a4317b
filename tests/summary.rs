//! The run summary (issue 14 item 3): the `--summary` JSON of every fixture
//! fits `schemas/summary.schema.json` and adds up; a few are exact (golden
//! files in `fixtures/summary/`, paths relative to the fixture); every
//! counter a reader or writer raises reaches the totals and its file's
//! report; `validate --format json` lines fit
//! `schemas/validate-report.schema.json`.

use crate::util::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tgnorm::account::Counters;

fn compile(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{name} compiles: {e}"))
}

fn summary_schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| compile("summary.schema.json"))
}

fn assert_fits(schema: &jsonschema::Validator, what: &str, value: &Value) {
    let errors: Vec<String> =
        schema.iter_errors(value).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: schema violations: {errors:#?}\n{value}");
}

/// Runs tgnorm in `dir` with `args` and `--summary`; the summary.
fn summary_of(dir: &Path, args: &[&str], scratch_name: &str) -> Value {
    let sum = scratch(scratch_name).join("summary.json");
    let mut all = args.to_vec();
    all.extend(["--summary", sum.to_str().unwrap(), "-q"]);
    let run = tgnorm_in(dir, &all, b"");
    assert!(run.code <= 1, "{scratch_name}: exit {}: {}", run.code, run.stderr);
    summary(&sum)
}

/// Every fixture input, as (the folder to run in, the input relative to it).
fn fixture_runs() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let dirs = |group: &str| -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(group))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    };
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for group in ["fixtures/text", "fixtures/web"] {
        for dir in dirs(group) {
            for name in names(&dir).into_iter().filter(|n| n.starts_with("input")) {
                out.push((dir.clone(), name));
            }
        }
    }
    for dir in dirs("fixtures/tdesktop") {
        for name in names(&dir).into_iter().filter(|n| n.ends_with(".json")) {
            out.push((dir.clone(), name));
        }
    }
    for dir in dirs("fixtures/tdesktop-html") {
        out.push((dir, ".".to_owned()));
    }
    out
}

/// The totals of `s` are the sums of its files' and outputs' counters.
fn assert_totals_add_up(what: &str, s: &Value) {
    let reports: Vec<&Value> =
        ["files", "outputs"].iter().flat_map(|k| s[*k].as_array().unwrap()).collect();
    for name in Counters::NAMES {
        let sum: u64 = reports.iter().map(|r| r["counters"][*name].as_u64().unwrap_or(0)).sum();
        assert_eq!(s[*name].as_u64(), Some(sum), "{what}: total {name}");
    }
}

#[test]
fn every_fixture_summary_fits_the_schema_and_adds_up() {
    let runs = fixture_runs();
    assert!(runs.len() >= 40, "{} fixture inputs", runs.len());
    for (i, (dir, input)) in runs.iter().enumerate() {
        let what = format!("{}/{input}", dir.display());
        let s = summary_of(dir, &[input], &format!("summary-fixture-{i}"));
        assert_fits(summary_schema(), &what, &s);
        assert_eq!(s["summary_version"], 1, "{what}");
        assert_accounting(&what, &s);
        assert_totals_add_up(&what, &s);
        let files = s["files"].as_array().unwrap();
        assert!(!files.is_empty(), "{what}: no file reports");
        assert!(files.iter().all(|f| f["format"].is_string()), "{what}: a file without a format");
        assert_eq!(s["outputs"][0]["format"], "jsonl", "{what}");
    }
}

/// Exact summaries of a few fixtures, one per kind of fact: text counters
/// and the chat rule, line-by-line decoding, repairs by kind, skipped
/// sections and chats, a folder's page notes, a writer's derived values.
#[test]
fn golden_summaries() {
    let cases: [(&str, &str, &[&str]); 7] = [
        ("text-rusembindia", "fixtures/text/rusembindia-2024", &["input.txt"]),
        ("text-scraper-album", "fixtures/text/scraper-album-2023", &["input.txt"]),
        ("text-cp1251", "fixtures/text/encodings-ru", &["input.cp1251.txt"]),
        ("tdesktop-repairs", "fixtures/tdesktop/repairs-2022", &["result.json"]),
        ("tdesktop-full-export", "fixtures/tdesktop/full-export", &["result.json"]),
        ("html-missing-page", "fixtures/tdesktop-html/pages-missing-page", &["."]),
        (
            "text-to-tdesktop-json",
            "fixtures/text/rusembindia-2024",
            &["input.txt", "--to", "tdesktop-json"],
        ),
    ];
    for (name, dir, args) in cases {
        let s = summary_of(&root().join(dir), args, &format!("summary-golden-{name}"));
        assert_fits(summary_schema(), name, &s);
        let mut text = serde_json::to_string_pretty(&s).unwrap();
        text.push('\n');
        assert_snapshot(&format!("fixtures/summary/{name}.json"), &text);
    }
}

/// Each counter a reader or writer can raise is raised by one of these
/// runs, and reaches the totals and the report of the file it is about.
#[test]
fn every_counter_reaches_the_summary() {
    let runs: [(&str, &[&str]); 9] = [
        ("fixtures/text/rusembindia-2024", &["input.txt"]),
        ("fixtures/text/scraper-album-2023", &["input.txt"]),
        ("fixtures/text/css-blind-mchs-2024", &["input.txt"]),
        ("fixtures/tdesktop-html/civil-updates-2023", &["."]),
        ("fixtures/tdesktop/repairs-2022", &["result.json"]),
        ("fixtures/text/rusembindia-2024", &["input.txt", "--to", "tdesktop-json"]),
        ("fixtures/web/mchs-bryansk-2024", &["input.html", "--to", "tdesktop-json"]),
        ("fixtures/text/rusembindia-2024", &["input.txt", "--to", "tdesktop-html"]),
        ("fixtures/tdesktop-html/civil-updates-2023", &["expected.jsonl", "--to", "tdesktop-html"]),
    ];
    let mut raised = Counters::default();
    for (i, (dir, args)) in runs.iter().enumerate() {
        let s = summary_of(&root().join(dir), args, &format!("summary-counters-{i}"));
        assert_totals_add_up(dir, &s);
        for name in Counters::NAMES {
            *raised.get_mut(name).unwrap() += s[*name].as_u64().unwrap();
        }
    }
    let never: Vec<&str> = raised.iter().filter(|(_, n)| *n == 0).map(|(k, _)| k).collect();
    assert!(never.is_empty(), "counters no run raised: {never:?}");
}

/// `validate --format json`: every line fits the report schema, and the
/// last is the versioned summary.
#[test]
fn validate_json_lines_fit_their_schema() {
    let schema = compile("validate-report.schema.json");
    let inputs = [
        "fixtures/invalid/html-bad-date-title/input.html",
        "fixtures/invalid/post-date-impossible/input.jsonl",
        "fixtures/tdesktop/repairs-2022/result.json",
        "fixtures/text/rusembindia-2024/expected.jsonl",
    ];
    for input in inputs {
        let run = tgnorm(&["validate", input, "--format", "json"]);
        assert!(run.code <= 1, "{input}: {}", run.stderr);
        let lines: Vec<Value> =
            run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        for line in &lines {
            assert_fits(&schema, input, line);
        }
        let last = lines.last().unwrap();
        assert_eq!(last["summary"]["report_version"], 1, "{input}");
        let errors = last["summary"]["errors"].as_u64().unwrap();
        assert_eq!(errors as usize, lines.iter().filter(|l| l["severity"] == "error").count());
    }
}

/// `tgnorm schema summary` and `tgnorm schema validate-report` print the
/// schemas of `schemas/`, bundled into the binary.
#[test]
fn the_report_schemas_are_bundled() {
    for (name, file) in
        [("summary", "summary.schema.json"), ("validate-report", "validate-report.schema.json")]
    {
        let run = tgnorm(&["schema", name]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let want = std::fs::read_to_string(root().join("schemas").join(file)).unwrap();
        assert_eq!(run.stdout.trim_end(), want.trim_end(), "{name}");
    }
}
