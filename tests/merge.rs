//! Merging overlapping exports (issue 17, items 1, 3 and 5), on real
//! shapes: one chat (the corpus export `tg2md-2021`, 19 posts) cut into
//! three windows that overlap (`fixtures/merge/tg2md-2021-windows/`), the
//! middle one written as Telegram Desktop HTML pages by the tdesktop-html
//! writer, the last one also zipped, and with an edited post changed and a
//! conflicting text. The merge equals the whole, the newer edit wins, the conflict is
//! reported with both places, `--into` adds exactly what an archive lacks,
//! and a second `--into` with the same inputs changes nothing.

use crate::util::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const WHOLE: &str = "fixtures/tdesktop/tg2md-2021/result.json";
const W1: &str = "fixtures/merge/tg2md-2021-windows/w1.json";
const W2_SOURCE: &str = "fixtures/merge/tg2md-2021-windows/w2-source.json";
const W3: &str = "fixtures/merge/tg2md-2021-windows/w3.json";
const W3_EDITED: &str = "fixtures/merge/tg2md-2021-windows/w3-edited.json";
const W3_ZIP: &str = "fixtures/merge/tg2md-2021-windows/w3.zip";
const CHAT: &str = "channel1292077344";

/// A scratch folder holding the middle window as HTML pages (`w2/`),
/// written from `w2-source.json` by the tdesktop-html writer.
fn with_html_window(name: &str) -> (PathBuf, String) {
    let dir = scratch(name);
    let w2 = dir.join("w2");
    let run = tgnorm(&[W2_SOURCE, "-q", "--to", "tdesktop-html", "-o", w2.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let w2 = w2.display().to_string();
    (dir, w2)
}

fn posts(jsonl: &str) -> Vec<Value> {
    jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The posts without `source` (where each was read differs by design).
fn without_source(jsonl: &str) -> Vec<Value> {
    posts(jsonl)
        .into_iter()
        .map(|mut p| {
            p.as_object_mut().unwrap().remove("source");
            p
        })
        .collect()
}

fn ids(posts: &[Value]) -> Vec<i64> {
    posts.iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

fn post(posts: &[Value], id: i64) -> &Value {
    posts.iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("no post {id}"))
}

fn whole() -> String {
    let run = tgnorm(&[WHOLE, "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn the_merge_of_three_windows_is_the_whole() {
    let (dir, w2) = with_html_window("merge-whole");
    let summary = dir.join("summary.json");
    let rule = format!("{w2}={CHAT}");
    let args = [W1, &w2, W3, "--chat-id", &rule, "--summary", summary.to_str().unwrap()];
    let run = tgnorm(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_schema_valid("merge", &run.stdout);
    assert_eq!(without_source(&run.stdout), without_source(&whole()));
    let s = summary_of(&summary);
    assert_accounting("merge", &s);
    // 11 + 7 + 10 versions of 19 posts; 7 posts were in two windows.
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!((n("read"), n("written"), n("duplicates")), (28, 19, 9));
    assert_eq!((n("merged"), n("replaced"), n("conflicts")), (7, 0, 0));
    // Post 11 was in all three windows: kept from the first, the two others named.
    let merged = posts(&run.stdout);
    let eleven = &post(&merged, 11)["source"];
    assert_eq!(eleven["file"], W1);
    let from: Vec<(&str, &str)> = eleven["merged_from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["format"].as_str().unwrap(), o["file"].as_str().unwrap()))
        .collect();
    let page = format!("{w2}/messages.html");
    assert_eq!(from, [("tdesktop-html", page.as_str()), ("tdesktop-json", W3)]);
    assert_eq!(eleven["merged_from"][1]["line"], 6);
    // A post read once names no other version.
    assert!(post(&merged, 2)["source"].get("merged_from").is_none());
}

/// The third window zipped as Telegram Desktop's export folder
/// (`w3.zip!ChatExport_2021-07-15/result.json`) merges as the file does.
#[test]
fn a_zipped_window_merges_like_its_file() {
    let (_dir, w2) = with_html_window("merge-zip");
    let rule = format!("{w2}={CHAT}");
    let zipped = tgnorm(&[W1, &w2, W3_ZIP, "--chat-id", &rule, "-q"]);
    assert_eq!(zipped.code, 0, "{}", zipped.stderr);
    assert_eq!(without_source(&zipped.stdout), without_source(&whole()));
    let member = format!("{W3_ZIP}!ChatExport_2021-07-15/result.json");
    let kept = posts(&zipped.stdout);
    assert_eq!(post(&kept, 26)["source"]["file"], member.as_str());
    let eleven = &post(&kept, 11)["source"]["merged_from"];
    assert_eq!(
        eleven[1],
        serde_json::json!({"format": "tdesktop-json", "file": member, "line": 6})
    );
}

#[test]
fn the_newer_edit_wins_and_a_conflict_is_reported_with_both_places() {
    let (dir, w2) = with_html_window("merge-edit");
    let (summary, rejects) = (dir.join("summary.json"), dir.join("rejects.jsonl"));
    let run = tgnorm(&[
        W1,
        &w2,
        W3_EDITED,
        "--match-chats-by-name",
        "--summary",
        summary.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    // A conflict is reported, not a rejected record: the post is written.
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "chats (merge): \"test\" taken for channel1292077344 (same name; --match-chats-by-name)"
        ),
        "{}",
        run.stderr
    );
    let merged = posts(&run.stdout);
    assert_eq!(ids(&merged), ids(&posts(&whole())));
    // Post 13, edited again in the third window, is that version.
    let thirteen = post(&merged, 13);
    assert_eq!(thirteen["edited_at"], "2021-07-20T10:00:00+00:00");
    assert!(thirteen["text"].as_str().unwrap().starts_with("monospace with one backtick\n"));
    assert_eq!(thirteen["source"]["file"], W3_EDITED);
    // Post 11 has another text in the third window and no edit time: the
    // first window's is kept (same rank, first in input order).
    assert_eq!(post(&merged, 11)["text"], "multiline\nbold\n\ntext");
    let reported: Vec<Value> = posts(&std::fs::read_to_string(&rejects).unwrap());
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0]["file"], W3_EDITED);
    assert_eq!(reported[0]["line"], 6);
    assert_eq!(reported[0]["kept"], serde_json::json!({"file": W1, "line": 144}));
    assert!(reported[0]["error"].as_str().unwrap().starts_with("merge conflict: "));
    let s = summary_of(&summary);
    assert_accounting("edit", &s);
    let n = |k: &str| s[k].as_u64().unwrap();
    // The first window's and the HTML version of 13 were replaced.
    assert_eq!((n("merged"), n("replaced"), n("conflicts")), (7, 2, 1));
    // Every post of the HTML window took the chat it was matched to.
    assert!(merged.iter().all(|p| p["chat"]["id"] == CHAT));
}

#[test]
fn a_chat_without_an_id_is_left_apart_without_a_rule_and_the_summary_says_so() {
    let (_dir, w2) = with_html_window("merge-apart");
    let run = tgnorm(&[W1, &w2]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(posts(&run.stdout).len(), 11 + 7);
    assert!(
        run.stderr.contains(
            "chats (merge): \"test\" left apart from channel1292077344 of the same name (to merge them: --chat-id INPUT=ID or --match-chats-by-name)"
        ),
        "{}",
        run.stderr
    );
    // A rule naming something that is not an input is refused.
    let run = tgnorm(&[W1, &w2, "--chat-id", "elsewhere/=channel1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`elsewhere/` is not one of the inputs"), "{}", run.stderr);
}

#[test]
fn into_adds_exactly_the_rest_and_a_second_run_changes_nothing() {
    let (dir, w2) = with_html_window("merge-into");
    let archive = dir.join("archive.jsonl");
    let archive_arg = archive.to_str().unwrap();
    let run = tgnorm(&[W1, "-q", "-o", archive_arg]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let first = std::fs::read_to_string(&archive).unwrap();
    let rule = format!("{w2}={CHAT}");
    let summary = dir.join("summary.json");
    let args = [
        &w2,
        W3,
        "--chat-id",
        &rule,
        "--into",
        archive_arg,
        "--summary",
        summary.to_str().unwrap(),
    ];
    let run = tgnorm(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let second = std::fs::read_to_string(&archive).unwrap();
    // The archive's lines stay byte for byte, the rest follows.
    assert!(second.starts_with(&first));
    let added = posts(second.strip_prefix(&first).unwrap());
    assert_eq!(ids(&added), [14, 15, 21, 22, 23, 24, 25, 26]);
    assert_schema_valid("into", &second);
    let mut got = without_source(&second);
    got.sort_by_key(|p| p["id"].as_i64());
    assert_eq!(got, without_source(&whole()));
    let s = summary_of(&summary);
    assert_accounting("into", &s);
    assert_eq!((s["read"].as_u64(), s["written"].as_u64()), (Some(17), Some(8)));
    // The same inputs again: nothing is new, the file is not rewritten.
    let before = modified(&archive);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = tgnorm(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stderr
        .contains("unchanged (19 posts; the inputs hold nothing it lacks), not rewritten"));
    assert_eq!(std::fs::read_to_string(&archive).unwrap(), second);
    assert_eq!(modified(&archive), before);
    let s = summary_of(&summary);
    assert_eq!(
        (s["read"].as_u64(), s["written"].as_u64(), s["duplicates"].as_u64()),
        (Some(17), Some(0), Some(17))
    );
    assert_eq!(entries(&dir), ["archive.jsonl", "summary.json", "w2"]);
}

#[test]
fn into_replaces_a_post_by_its_newer_edit() {
    let dir = scratch("merge-into-edit");
    let archive = dir.join("archive.jsonl");
    let archive_arg = archive.to_str().unwrap();
    assert_eq!(tgnorm(&[W1, "-q", "-o", archive_arg]).code, 0);
    let rejects = dir.join("rejects.jsonl");
    let run =
        tgnorm(&[W3_EDITED, "-q", "--into", archive_arg, "--rejects", rejects.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got = posts(&std::fs::read_to_string(&archive).unwrap());
    // The archive's lines less 13, then what the input adds, in input order.
    assert_eq!(ids(&got), [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 21, 22, 23, 24, 25, 26]);
    let thirteen = post(&got, 13);
    assert_eq!(thirteen["edited_at"], "2021-07-20T10:00:00+00:00");
    assert_eq!(
        thirteen["source"]["merged_from"],
        serde_json::json!([{"format": "jsonl", "file": archive_arg, "line": 11}])
    );
    // Post 11 differs with no edit time: the archive's stays, reported.
    assert_eq!(post(&got, 11)["text"], "multiline\nbold\n\ntext");
    let reported = posts(&std::fs::read_to_string(&rejects).unwrap());
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["kept"], serde_json::json!({"file": archive_arg, "line": 10}));
}

#[test]
fn a_failed_into_leaves_the_archive_untouched() {
    let dir = scratch("merge-into-fail");
    let archive = dir.join("archive.jsonl");
    let archive_arg = archive.to_str().unwrap();
    assert_eq!(tgnorm(&[W1, "-q", "-o", archive_arg]).code, 0);
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.extend_from_slice(b"{\"not\": \"a post\"}\n");
    std::fs::write(&archive, &bytes).unwrap();
    let before = modified(&archive);
    let run = tgnorm(&[W3, "--into", archive_arg]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("archive.jsonl:12:1: --into: not a tgnorm post"), "{}", run.stderr);
    assert_eq!(std::fs::read(&archive).unwrap(), bytes);
    assert_eq!(modified(&archive), before);
    assert_eq!(entries(&dir), ["archive.jsonl"]);
    // --into writes JSONL only, and never over an input.
    let run = tgnorm(&[W3, "--into", archive_arg, "--to", "csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = tgnorm(&[W3, "--into", W3]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = tgnorm(&[W3, "--into", archive_arg, "--no-dedup"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(std::fs::read(&archive).unwrap(), bytes);
}

#[test]
fn standard_input_is_not_merged() {
    let run = tgnorm_in(&root(), &["-", W1], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("standard input cannot be merged"), "{}", run.stderr);
}

fn summary_of(path: &Path) -> Value {
    summary(path)
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
