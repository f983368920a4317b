//! `tgnorm validate` on HTML: Telegram Desktop pages and saved web pages.
//! Every real page is clean, every page tgnorm writes is clean, problems are
//! pinned (the single-fault cases are `fixtures/invalid/{html,web}-*`), and
//! no input makes it panic.

use crate::util::*;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    root().join("fixtures/corpus/tdesktop")
}

const CORPUS_FOLDERS: [&str; 4] =
    ["cyber-news-2022", "civil-updates-2023", "quoxent-group-2020", "teleaudio-2025"];

/// `div.message` elements of a page (Telegram Desktop writes `class` first).
fn count_messages(html: &str) -> usize {
    html.matches("<div class=\"message ").count()
}

fn checked(stderr: &str) -> String {
    stderr.lines().find(|l| l.starts_with("tgnorm: checked")).unwrap_or_default().to_owned()
}

/// Every corpus page, alone: no problem at all, and every `div.message`
/// (date separators too) counted.
#[test]
fn corpus_pages_validate_clean() {
    let mut pages = 0;
    for folder in CORPUS_FOLDERS {
        for entry in std::fs::read_dir(corpus().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let html = std::fs::read_to_string(&path).unwrap();
            let run = tgnorm(&["validate", path.to_str().unwrap()]);
            assert_eq!(run.code, 0, "{}: {}{}", path.display(), run.stdout, run.stderr);
            assert_eq!(run.stdout, "", "{}", path.display());
            let n = count_messages(&html);
            assert_eq!(
                checked(&run.stderr),
                format!("tgnorm: checked {n} messages in 1 file: 0 errors, 0 warnings")
            );
            pages += 1;
        }
    }
    assert_eq!(pages, 5);
}

/// The corpus folders read as exports: no errors; the warnings say which
/// pages the corpus did not copy (it holds page 40 of 40, page 7 of at
/// least 8, page 4 of 4, and both pages of civil-updates).
#[test]
fn corpus_folders_warn_about_missing_pages_only() {
    let mut args = vec!["validate"];
    args.extend(CORPUS_FOLDERS);
    let run = tgnorm_in(&corpus(), &args, b"");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_snapshot("tests/snapshots/validate-html-corpus-folders.txt", &run.stdout);
    assert_eq!(
        checked(&run.stderr),
        "tgnorm: checked 4819 messages in 5 files: 0 errors, 4 warnings"
    );
}

/// Every web fixture validates clean, and counts the posts the reader reads.
#[test]
fn web_fixtures_validate_clean() {
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("fixtures/web")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let input = if dir.join("input.html").exists() { "input.html" } else { "input" };
        let run = tgnorm_in(&dir, &["validate", input], b"");
        assert_eq!(run.code, 0, "{name}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.stdout, "", "{name}");
        // The folder case holds 13 posts, 3 of them twice (dropped by dedup
        // when converting); every other case is one page.
        let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
        let (posts, files) = match name.as_str() {
            "overlapping-pages" => (13, "2 files"),
            _ => (expected.lines().count(), "1 file"),
        };
        let noun = if posts == 1 { "message" } else { "messages" };
        assert_eq!(
            checked(&run.stderr),
            format!("tgnorm: checked {posts} {noun} in {files}: 0 errors, 0 warnings"),
            "{name}"
        );
        cases += 1;
    }
    assert!(cases >= 36, "{cases} web fixtures");
}

/// Converts `input` to a Telegram Desktop HTML folder and validates it;
/// returns the folder.
fn write_and_validate(input: &Path, what: &str) -> PathBuf {
    let out = scratch(&format!("vhtml-written-{what}"));
    std::fs::remove_dir(&out).unwrap();
    let run = tgnorm(&[
        input.to_str().unwrap(),
        "--to",
        "tdesktop-html",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(run.code, 0, "{what}: {}", run.stderr);
    let run = tgnorm(&["validate", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{what}: {}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "", "{what}");
    assert!(checked(&run.stderr).ends_with(": 0 errors, 0 warnings"), "{what}: {}", run.stderr);
    out
}

/// Pages written by `--to tdesktop-html` validate clean, from every source
/// that has ids and dates: every single-chat corpus `result.json`, every
/// corpus page folder, the web fixtures with posts, and 2,500 posts (three
/// pages with pagination and separators counting down across them).
/// (`full-export` is left out: the writer puts an account's chats into one
/// page sequence, so ids step back where one chat ends and the next begins,
/// which `validate` reports as `id-order` warnings.)
#[test]
fn pages_tgnorm_writes_validate_clean() {
    for case in [
        "pachum-channel",
        "salaf-channel-rtl",
        "ragtgbot-group",
        "tg2md-2020",
        "tg2md-2021",
        "repairs-2022",
    ] {
        write_and_validate(&root().join(format!("fixtures/tdesktop/{case}/result.json")), case);
    }
    for folder in CORPUS_FOLDERS {
        write_and_validate(&corpus().join(folder), folder);
    }
    for case in ["mchs-bryansk-2024", "synthetic-2024", "xcareers-2020", "tchantest-poll"] {
        write_and_validate(&root().join(format!("fixtures/web/{case}/input.html")), case);
    }
    write_and_validate(&root().join("fixtures/web/overlapping-pages/input"), "overlapping");

    let d = scratch("vhtml-2500");
    let mut jsonl = String::new();
    for i in 1..=2500 {
        let day = 1 + (i - 1) / 400;
        let (h, m) = ((i / 60) % 24, i % 60);
        jsonl += &format!(
            "{{\"chat\":{{\"name\":\"Chan\",\"id\":null,\"username\":null,\"type\":null}},\"id\":{i},\"kind\":\"message\",\"date\":\"2024-03-{day:02}T{h:02}:{m:02}:00+01:00\",\"edited\":null,\"edited_at\":null,\"from\":{{\"name\":\"Chan\",\"id\":null}},\"author\":null,\"forwarded_from\":null,\"reply_to\":null,\"via_bot\":null,\"text\":\"post {i}\",\"entities\":[],\"media\":[],\"service\":null,\"reactions\":[],\"views\":null,\"source\":{{\"format\":\"jsonl\",\"file\":\"x\"}},\"cleaned\":[]}}\n"
        );
    }
    std::fs::write(d.join("posts.jsonl"), jsonl).unwrap();
    let out = write_and_validate(&d.join("posts.jsonl"), "2500");
    let run = tgnorm(&["validate", out.to_str().unwrap()]);
    // 2,500 posts and a date separator for each day and at the top of each
    // page.
    let pages: usize = (1..=3)
        .map(|k| {
            let name = if k == 1 { "messages.html".into() } else { format!("messages{k}.html") };
            count_messages(&std::fs::read_to_string(out.join(name)).unwrap())
        })
        .sum();
    assert!(pages > 2500);
    assert_eq!(
        checked(&run.stderr),
        format!("tgnorm: checked {pages} messages in 3 files: 0 errors, 0 warnings")
    );
}

/// `--format json` names each rule; `--max-errors` stops the run.
#[test]
fn json_output_and_max_errors() {
    let d = scratch("vhtml-json");
    let page =
        std::fs::read_to_string(root().join("fixtures/invalid/html-bad-message-id/input.html"))
            .unwrap()
            .replace("id=\"message1034\"", "id=\"m1034\"")
            .replace("id=\"message1035\"", "id=\"message1035x\"");
    std::fs::write(d.join("page.html"), page).unwrap();
    let run = tgnorm_in(&d, &["validate", "page.html"], b"");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "page.html:166:6: message-id: id \"message_1033\" is not message<N> (message-?[0-9]+)\n\
         page.html:226:6: message-id: id \"m1034\" is not message<N> (message-?[0-9]+)\n\
         page.html:274:6: message-id: id \"message1035x\" is not message<N> (message-?[0-9]+)\n"
    );
    let run =
        tgnorm_in(&d, &["validate", "page.html", "--format", "json", "--max-errors", "2"], b"");
    assert_eq!(run.code, 1);
    let objects: Vec<serde_json::Value> =
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 3, "two problems and the summary: {}", run.stdout);
    assert_eq!(
        objects[0],
        serde_json::json!({"severity": "error", "file": "page.html", "line": 166, "column": 6,
            "rule": "message-id", "message": "id \"message_1033\" is not message<N> (message-?[0-9]+)"})
    );
    assert_eq!(objects[1]["line"], 226);
    assert_eq!(objects[2]["summary"]["truncated"], true);
    assert_eq!(objects[2]["summary"]["errors"], 2);
}

/// `--schema tdesktop-html` / `web-html` on a file that plainly is the
/// other kind of page is an error, never "0 errors".
#[test]
fn schema_flag_that_does_not_fit_is_an_error() {
    let dir = root().join("fixtures/web/tchantest-poll");
    let run = tgnorm_in(&dir, &["validate", "input.html", "--schema", "tdesktop-html"], b"");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "input.html:1:1: format: input.html does not look like a Telegram Desktop HTML page \
         (it looks like a saved t.me/s page)\n"
    );
    let dir = root().join("fixtures/tdesktop-html/hand-quirks-2024");
    let run = tgnorm_in(&dir, &["validate", "messages.html", "--schema", "web-html"], b"");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        "messages.html:1:1: format: messages.html does not look like a saved t.me/s page \
         (it looks like a Telegram Desktop HTML page)\n"
    );
    assert_eq!(checked(&run.stderr), "tgnorm: checked 0 messages in 1 file: 1 error, 0 warnings");
}

/// Cut, spliced and garbled pages: always a verdict (exit 0 or 1), never a
/// panic or a hang, in one run over a folder of them.
#[test]
fn mutated_pages_never_panic() {
    let tdesktop =
        std::fs::read(root().join("fixtures/tdesktop-html/hand-quirks-2024/messages.html"))
            .unwrap();
    let web = std::fs::read(root().join("fixtures/web/synthetic-2024/input.html")).unwrap();
    for (name, page) in [("vhtml-mutated-tdesktop", &tdesktop), ("vhtml-mutated-web", &web)] {
        let d = scratch(name);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        for k in 0..80 {
            let mut bytes = page.clone();
            match k % 4 {
                0 => bytes.truncate(next(page.len())),
                1 => {
                    let at = next(bytes.len());
                    let junk: &[u8] = [
                        &b"<"[..],
                        b"&",
                        b"\"",
                        b">",
                        b"</div>",
                        b"<div class=\"message\">",
                        b"\xff",
                    ][next(7)];
                    bytes.splice(at..at, junk.iter().copied());
                }
                2 => {
                    let a = next(bytes.len());
                    let b = (a + next(4000)).min(bytes.len());
                    bytes.drain(a..b);
                }
                _ => {
                    let a = next(bytes.len());
                    let b = (a + next(4000)).min(bytes.len());
                    let copy = bytes[a..b].to_vec();
                    let at = next(bytes.len());
                    bytes.splice(at..at, copy);
                }
            }
            // Web pages keep their marker so that they are read as pages.
            if name.ends_with("web") {
                bytes.splice(
                    0..0,
                    b"<div class=\"tgme_widget_message_wrap\"></div>".iter().copied(),
                );
            }
            let file =
                if k == 0 { "messages.html".to_owned() } else { format!("messages{}.html", k + 1) };
            std::fs::write(d.join(file), bytes).unwrap();
        }
        let mut files: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut args = vec!["validate", "--schema"];
        args.push(if name.ends_with("web") { "web-html" } else { "tdesktop-html" });
        args.extend(files.iter().map(String::as_str));
        let run = tgnorm(&args);
        assert!(run.code == 0 || run.code == 1, "{name}: exit {}: {}", run.code, run.stderr);
        assert!(checked(&run.stderr).contains(" in 80 files: "), "{name}: {}", run.stderr);
    }
}

/// A full-account export (a folder of pages per chat) is validated chat by
/// chat: each chat's pages are one export, so ids, date separators and
/// Next links do not carry over from one chat to the next (they did: one
/// error and three warnings on this clean fixture), and the export's other
/// pages (`export_results.html`, `lists/`) are not taken for pages. A gap
/// in one chat is still reported, in that chat's folder.
#[test]
fn an_account_export_is_validated_chat_by_chat() {
    let fixture = root().join("fixtures/tdesktop-html/account-export");
    let run = tgnorm(&["validate", fixture.to_str().unwrap()]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert_eq!(checked(&run.stderr), "tgnorm: checked 9 messages in 4 files: 0 errors, 0 warnings");

    let copy = scratch("validate-account-gap");
    copy_tree(&fixture, &copy);
    std::fs::remove_file(copy.join("chats/chat_1/messages2.html")).unwrap();
    let run = tgnorm(&["validate", copy.to_str().unwrap()]);
    let warnings: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", run.stdout);
    assert!(
        warnings[0].contains("chats/chat_1/messages.html:")
            && warnings[0].contains("warning: page-gap: Next messages links to messages2.html"),
        "{}",
        run.stdout
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
