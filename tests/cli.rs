//! The command line's own promises (issues 12 and 13): outputs never
//! destroy an input, a special file or a folder; no temporary file is left
//! behind, even after SIGINT or SIGTERM; a run that reads nothing says so;
//! mistyped commands, completions, the man page.
//!
//! Special files are made here, in a scratch folder (`mkfifo`, and `mknod`
//! when running as root), never the machine's own `/dev/null`.

use crate::util::*;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RESULT_JSON: &str = "fixtures/tdesktop/pachum-channel/result.json";

/// A scratch folder holding a copy of a small `result.json`.
fn with_result_json(name: &str) -> PathBuf {
    let d = scratch(name);
    fs::copy(root().join(RESULT_JSON), d.join("r.json")).unwrap();
    d
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

fn assert_refused(dir: &Path, args: &[&str], stderr_has: &[&str]) {
    let before = names(dir);
    let input = fs::read(dir.join("r.json")).unwrap();
    let run = tgnorm_in(dir, args, b"");
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    for part in stderr_has {
        assert!(run.stderr.contains(part), "{args:?}: {part:?} not in {}", run.stderr);
    }
    assert!(!run.stderr.contains("read "), "{args:?}: refused after reading: {}", run.stderr);
    assert_eq!(fs::read(dir.join("r.json")).unwrap(), input, "{args:?} changed the input");
    assert_eq!(names(dir), before, "{args:?} left files");
}

#[test]
fn rejects_and_summary_never_replace_an_input() {
    let d = with_result_json("cli-rejects-input");
    let over = "refusing to write the output over the input r.json";
    assert_refused(&d, &["r.json", "--rejects", "r.json"], &["r.json:", over, "--rejects"]);
    assert_refused(&d, &["r.json", "--summary", "./r.json"], &[over, "--summary"]);
    assert_refused(&d, &["r.json", "-o", "r.json"], &[over, "-o"]);
}

#[test]
fn links_to_an_input_are_the_input() {
    let d = with_result_json("cli-links");
    fs::hard_link(d.join("r.json"), d.join("hard.json")).unwrap();
    std::os::unix::fs::symlink("r.json", d.join("soft.json")).unwrap();
    let over = "refusing to write the output over the input r.json";
    assert_refused(&d, &["r.json", "-o", "hard.json"], &["hard.json:", over]);
    assert_refused(&d, &["r.json", "--summary", "soft.json"], &["soft.json:", over]);
    assert_refused(&d, &["soft.json", "--rejects", "hard.json"], &["hard.json:"]);
}

#[test]
fn an_export_file_inside_an_input_folder_is_refused() {
    let d = with_result_json("cli-inside-folder");
    fs::create_dir(d.join("export")).unwrap();
    fs::rename(d.join("r.json"), d.join("export/result.json")).unwrap();
    let run = tgnorm_in(&d, &["export", "-o", "export/result.json"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("over the input export"), "{}", run.stderr);
    let run = tgnorm_in(&d, &["export", "-o", "export/messages2.html", "--to", "text"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn two_outputs_may_not_be_one_file() {
    let d = with_result_json("cli-same-outputs");
    assert_refused(
        &d,
        &["r.json", "-o", "o.jsonl", "--summary", "o.jsonl"],
        &["-o `o.jsonl` and --summary `o.jsonl` name the same file"],
    );
    fs::write(d.join("old.jsonl"), "keep").unwrap();
    fs::hard_link(d.join("old.jsonl"), d.join("other.jsonl")).unwrap();
    assert_refused(
        &d,
        &["r.json", "--rejects", "old.jsonl", "--summary", "other.jsonl"],
        &["--rejects `old.jsonl` and --summary `other.jsonl` name the same file"],
    );
    assert_eq!(fs::read_to_string(d.join("old.jsonl")).unwrap(), "keep");
}

#[test]
fn a_missing_output_folder_is_named_for_every_writer() {
    let d = with_result_json("cli-missing-folder");
    for (to, out) in
        [("jsonl", "out/x.jsonl"), ("text", "out/x.txt"), ("tdesktop-html", "out/html")]
    {
        let run = tgnorm_in(&d, &["r.json", "--to", to, "-o", out], b"");
        assert_eq!(run.code, 2, "{to}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!("tgnorm: output folder `out/` does not exist (-o {out}); create it first\n")
        );
    }
    let run = tgnorm_in(&d, &["r.json", "--summary", "nowhere/s.json"], b"");
    assert!(run.stderr.contains("output folder `nowhere/` does not exist"), "{}", run.stderr);
    assert_eq!(names(&d), ["r.json"]);
}

#[test]
fn a_folder_is_not_a_file_output() {
    let d = with_result_json("cli-folder-output");
    fs::create_dir(d.join("dir")).unwrap();
    let run = tgnorm_in(&d, &["r.json", "-o", "dir"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr, "tgnorm: -o `dir`: is a folder; give a file name\n");
    assert_eq!(names(&d), ["dir", "r.json"]);
    assert!(names(&d.join("dir")).is_empty());
    // A folder format takes a new or empty folder, and only that.
    fs::write(d.join("dir/keep.txt"), "mine").unwrap();
    let run = tgnorm_in(&d, &["r.json", "--to", "tdesktop-html", "-o", "dir"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
    let run = tgnorm_in(&d, &["r.json", "--to", "tdesktop-html", "-o", "r.json"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(names(&d), ["dir", "r.json"]);
    assert_eq!(names(&d.join("dir")), ["keep.txt"]);
}

#[test]
fn a_file_output_replaces_a_file_and_leaves_nothing_else() {
    let d = with_result_json("cli-replace");
    let expected = tgnorm_in(&d, &["r.json"], b"").stdout;
    fs::write(d.join("o.jsonl"), "old").unwrap();
    std::os::unix::fs::symlink("o.jsonl", d.join("link.jsonl")).unwrap();
    let run = tgnorm_in(&d, &["r.json", "-o", "link.jsonl", "--summary", "s.json"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(fs::read_to_string(d.join("o.jsonl")).unwrap(), expected);
    assert!(fs::symlink_metadata(d.join("link.jsonl")).unwrap().file_type().is_symlink());
    assert_accounting("replace", &summary(&d.join("s.json")));
    assert_eq!(names(&d), ["link.jsonl", "o.jsonl", "r.json", "s.json"]);
}

#[test]
fn a_run_that_stops_leaves_no_output_but_its_reports() {
    let d = scratch("cli-stopped");
    let input = b"{\"bogus\":1}\n";
    let args = ["-", "--from", "jsonl", "--strict", "-o", "o.jsonl", "--summary", "s.json"];
    let run = tgnorm_in(&d, &args, input);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("-:1:"), "{}", run.stderr);
    assert_eq!(names(&d), ["s.json"]);
    let args = ["-", "--from", "jsonl", "-o", "o.jsonl", "--rejects", "r.jsonl"];
    let run = tgnorm_in(&d, &args, input);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(names(&d), ["o.jsonl", "r.jsonl", "s.json"]);
    assert_eq!(fs::read_to_string(d.join("o.jsonl")).unwrap(), "");
    assert!(fs::read_to_string(d.join("r.jsonl"))
        .unwrap()
        .contains("not a tgnorm post: /: missing 19 keys"));
}

#[test]
fn a_fifo_output_is_written_into_not_replaced() {
    let d = with_result_json("cli-fifo");
    let expected = tgnorm_in(&d, &["r.json"], b"").stdout;
    let fifo = d.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut got = String::new();
            fs::File::open(fifo).unwrap().read_to_string(&mut got).unwrap();
            got
        })
    };
    let run = tgnorm_in(&d, &["r.json", "-o", "pipe"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(reader.join().unwrap(), expected);
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(&d), ["pipe", "r.json"]);
}

#[test]
fn a_device_output_is_written_into_not_replaced() {
    let d = with_result_json("cli-device");
    let node = d.join("null");
    // A null device of our own, in the scratch folder: mknod needs root.
    let made =
        Command::new("mknod").arg(&node).args(["c", "1", "3"]).stderr(Stdio::null()).status();
    if !made.is_ok_and(|s| s.success()) {
        println!("note: not root (mknod failed): the device case is not run here");
        return;
    }
    let run =
        tgnorm_in(&d, &["r.json", "-o", "null", "--summary", "null", "--rejects", "null"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(fs::metadata(&node).unwrap().file_type().is_char_device());
    assert_eq!(names(&d), ["null", "r.json"]);
}

/// Starts tgnorm, feeds it `head` on a standard input held open (so that
/// a run reading `-` is still going when the signal comes), waits for its
/// temporary output to appear, sends `signal`, and returns the exit code.
fn interrupted(dir: &Path, args: &[&str], head: &[u8], signal: &str) -> i32 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tgnorm"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tgnorm");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(head).unwrap();
    let start = Instant::now();
    while !names(dir).iter().any(|n| n.ends_with(".tgnorm.tmp")) {
        assert!(start.elapsed() < Duration::from_secs(30), "no temporary output appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().expect("kill");
    assert!(sent.success());
    let status = child.wait().unwrap();
    drop(stdin);
    status.code().unwrap_or(-1)
}

/// A text dump of `posts` posts, about 400 bytes each.
fn big_dump(posts: usize) -> Vec<u8> {
    let mut dump = Vec::new();
    for i in 0..posts {
        let line = format!("Post number {i}: {}\n\n", "word ".repeat(80));
        dump.extend_from_slice(line.as_bytes());
    }
    dump
}

#[test]
fn sigterm_leaves_no_temporary_file() {
    let d = scratch("cli-sigterm");
    let args = ["-", "--from", "text", "-o", "out.jsonl", "--rejects", "rej.jsonl"];
    let code = interrupted(&d, &args, &big_dump(20_000), "-TERM");
    assert_eq!(code, 143);
    assert!(names(&d).is_empty(), "left behind: {:?}", names(&d));
}

/// A `result.json` of `messages` messages, about 600 bytes each.
fn big_result_json(messages: usize) -> String {
    let mut json = String::from(
        "{\n \"name\": \"Big\",\n \"type\": \"public_channel\",\n \"id\": 1,\n \"messages\": [",
    );
    for id in 1..=messages {
        let comma = if id == 1 { "" } else { "," };
        let text = "word ".repeat(50);
        json.push_str(&format!(
            "{comma}\n  {{\n   \"id\": {id},\n   \"type\": \"message\",\n   \"date\": \"2024-01-01T00:00:00\",\n   \"date_unixtime\": \"1704067200\",\n   \"from\": \"Big\",\n   \"from_id\": \"channel1\",\n   \"text\": \"{text}{id}\",\n   \"text_entities\": [{{\"type\": \"plain\", \"text\": \"{text}{id}\"}}]\n  }}"
        ));
    }
    json.push_str("\n ]\n}\n");
    json
}

#[test]
fn sigterm_on_a_big_file_leaves_no_output() {
    let d = scratch("cli-sigterm-file");
    fs::write(d.join("big.json"), big_result_json(30_000)).unwrap();
    let args = ["big.json", "-o", "out.jsonl", "--summary", "s.json", "-q"];
    let code = interrupted(&d, &args, b"", "-TERM");
    assert_eq!(code, 143, "the run ended before the signal: make the input bigger");
    assert_eq!(names(&d), ["big.json"]);
}

#[test]
fn sigint_leaves_no_temporary_folder() {
    let d = scratch("cli-sigint");
    let args = ["-", "--from", "text", "--to", "tdesktop-html", "-o", "html"];
    let code = interrupted(&d, &args, &big_dump(20_000), "-INT");
    assert_eq!(code, 130);
    assert!(names(&d).is_empty(), "left behind: {:?}", names(&d));
}

#[test]
fn a_forced_format_that_finds_nothing_is_an_error() {
    let d = with_result_json("cli-wrong-format");
    let run = tgnorm_in(&d, &["--from", "web-html", "r.json", "-o", "o.jsonl"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "tgnorm: `r.json` does not look like a saved t.me/s page (it looks like result.json)\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(names(&d), ["r.json"], "no output for a wrong format");
    fs::write(d.join("blank.txt"), "\n\n \n").unwrap();
    let run = tgnorm_in(&d, &["blank.txt"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`blank.txt` does not look like a Telegram archive: no posts found"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_empty_object_is_a_rejected_post() {
    let d = scratch("cli-empty-object");
    let run = tgnorm_in(&d, &["-"], b"{}\n");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "rejected: -:1:1: not a tgnorm post: /: missing 19 keys: \"chat\", \"id\", \"kind\", …"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_archive_without_posts_is_a_warning() {
    let d = scratch("cli-empty-archive");
    fs::write(
        d.join("r.json"),
        "{\n \"name\": \"x\",\n \"type\": \"public_channel\",\n \"id\": 1,\n \"messages\": []\n}\n",
    )
    .unwrap();
    let run = tgnorm_in(&d, &["r.json"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("tgnorm: warning: `r.json` looks like result.json but holds no posts"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn a_mistyped_command_suggests_the_nearest() {
    let d = scratch("cli-typo");
    let run = tgnorm_in(&d, &["valdate", "x"], b"");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: `valdate` is neither a file nor a command; did you mean `validate`?\n"
        ),
        "{}",
        run.stderr
    );
    // A file of that name is read, not corrected.
    fs::write(d.join("valdate"), "hello").unwrap();
    let run = tgnorm_in(&d, &["valdate"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"text\":\"hello\""), "{}", run.stdout);
}

#[test]
fn schema_lists_and_prints_every_bundled_schema() {
    let help = tgnorm(&["schema", "--help"]).stdout;
    for name in ["post", "tdesktop", "tdesktop-result", "tdesktop-message"] {
        assert!(help.contains(&format!("- {name}:")), "{name} not in {help}");
    }
    for (name, file) in [
        ("post", "post.schema.json"),
        ("tdesktop", "tdesktop-result.schema.json"),
        ("tdesktop-result", "tdesktop-result.schema.json"),
        ("tdesktop-message", "tdesktop-message.schema.json"),
    ] {
        let run = tgnorm(&["schema", name]);
        assert_eq!(run.code, 0);
        assert_eq!(run.stdout, fs::read_to_string(root().join("schemas").join(file)).unwrap());
    }
    let run = tgnorm(&["schema", "nope"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("tdesktop-message"), "{}", run.stderr);
}

#[test]
fn completions_name_the_commands_and_flags() {
    let bash = tgnorm(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    for word in ["convert", "validate", "schema", "completions", "man", "--to", "--rejects"] {
        assert!(bash.stdout.contains(word), "{word} not in the bash completions");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let run = tgnorm(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("validate"), "{shell}");
    }
}

#[test]
fn the_man_page_is_roff() {
    let run = tgnorm(&["man"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with(".TH tgnorm 1 "), "{}", run.stdout);
    assert_eq!(run.stdout.matches(".ds Aq").count(), 2, "one apostrophe definition");
    assert!(run.stdout.contains("validate"));
    for section in ["COMMAND: CONVERT", "COMMAND: VALIDATE", "COMMAND: SCHEMA"] {
        assert!(run.stdout.contains(&format!(".SH \"{section}\"")), "{section}");
    }
    assert!(run.stdout.contains("\\fB\\-\\-rejects\\fR"), "the options of convert");
}
