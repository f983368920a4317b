//! Shared helpers: run the binary, compare with snapshot files, validate
//! against the post schema.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// What a run of the binary gave.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run gave, stdout as raw bytes (for byte-exact comparisons).
pub struct RawRun {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: i32,
}

/// Runs `tgnorm ARGS` in `dir` with `stdin`; stdout as bytes.
pub fn tgnorm_raw(dir: &Path, args: &[&str], stdin: &[u8]) -> RawRun {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tgnorm"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tgnorm");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait tgnorm");
    feeder.join().unwrap();
    RawRun {
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Runs `tgnorm ARGS` in `dir` with `TGNORM_THREADS=threads` and no
/// input; fails the test when it has not ended within a minute (a wait
/// that never ends is the fault these runs look for).
pub fn tgnorm_within_a_minute(dir: &Path, args: &[&str], threads: &str) -> RawRun {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tgnorm"))
        .args(args)
        .current_dir(dir)
        .env("TGNORM_THREADS", threads)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tgnorm");
    // Both pipes are drained meanwhile, so that a full pipe never stops it.
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes).unwrap()
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr.read_to_end(&mut bytes).map(|_| bytes).unwrap()
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("tgnorm {args:?} with {threads} threads: still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    RawRun {
        stdout: out.join().unwrap(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        code: status.code().unwrap_or(-1),
    }
}

/// Runs `tgnorm ARGS` in `dir` with `stdin`.
pub fn tgnorm_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let raw = tgnorm_raw(dir, args, stdin);
    Run {
        stdout: String::from_utf8(raw.stdout).expect("stdout is UTF-8"),
        stderr: raw.stderr,
        code: raw.code,
    }
}

/// Runs `tgnorm ARGS` in the project root.
pub fn tgnorm(args: &[&str]) -> Run {
    tgnorm_in(&root(), args, b"")
}

/// Compares `actual` with the snapshot file at `path` (relative to the
/// project root). `BLESS=1 cargo test` rewrites the snapshot instead.
pub fn assert_snapshot(path: &str, actual: &str) {
    let full = root().join(path);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with BLESS=1 to create it)"));
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(3)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "{path} differs ({} expected lines, {} actual):\n{}\n(BLESS=1 cargo test rewrites snapshots)",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("schemas/post.schema.json")).unwrap();
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        jsonschema::draft202012::new(&schema).expect("post schema compiles")
    })
}

/// Asserts every line of `jsonl` is valid against `schemas/post.schema.json`,
/// and that entity ranges lie inside the text.
pub fn assert_schema_valid(what: &str, jsonl: &str) {
    for (i, line) in jsonl.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{what}:{}: not JSON: {e}", i + 1));
        let errors: Vec<String> = validator()
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{what}:{}: schema violations: {errors:#?}", i + 1);
        let len = value["text"].as_str().unwrap().chars().count() as u64;
        let mut end = 0;
        for ent in value["entities"].as_array().unwrap() {
            let (o, l) = (ent["offset"].as_u64().unwrap(), ent["length"].as_u64().unwrap());
            assert!(
                o >= end && o + l <= len,
                "{what}:{}: entity out of range or overlapping",
                i + 1
            );
            end = o + l;
        }
    }
}

/// Reads the `--summary` JSON written at `path`.
pub fn summary(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The report of the input `file` in a summary's `files` (`Null` when
/// there is none).
pub fn file_report<'a>(s: &'a serde_json::Value, file: &str) -> &'a serde_json::Value {
    let files = s["files"].as_array().map(Vec::as_slice).unwrap_or_default();
    files.iter().find(|f| f["file"] == file).unwrap_or(&serde_json::Value::Null)
}

/// Asserts `read = written + rejected + duplicates + selected_out` in a summary.
pub fn assert_accounting(what: &str, s: &serde_json::Value) {
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{what}: summary lacks {k}"));
    assert_eq!(
        n("read"),
        n("written") + n("rejected") + n("duplicates") + n("selected_out"),
        "{what}: read != written + rejected + duplicates + selected_out in {s}"
    );
}

/// A fresh scratch directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
