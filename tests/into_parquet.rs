//! `--into` a Parquet file or a partitioned Parquet dataset (issue 17
//! item 3), on the three overlapping windows of tg2md-2021
//! (`fixtures/merge/tg2md-2021-windows/`, as `tests/merge.rs` uses them):
//! the archive of the first window plus the rest is the whole, a second run
//! changes nothing (same bytes, same modification times), a newer edit
//! replaces a post and a conflict is reported with both places, and a
//! failing run leaves the archive as it was.

use crate::util::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const WHOLE: &str = "fixtures/tdesktop/tg2md-2021/result.json";
const W1: &str = "fixtures/merge/tg2md-2021-windows/w1.json";
const W2_SOURCE: &str = "fixtures/merge/tg2md-2021-windows/w2-source.json";
const W3: &str = "fixtures/merge/tg2md-2021-windows/w3.json";
const W3_EDITED: &str = "fixtures/merge/tg2md-2021-windows/w3-edited.json";
const CHAT: &str = "channel1292077344";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(args: &[&str]) -> Run {
    let run = tgnorm(args);
    assert_eq!(run.code, 0, "tgnorm {args:?}: {}", run.stderr);
    run
}

/// The posts of a JSONL text, without `source` (where each was read
/// differs by design).
fn without_source(jsonl: &str) -> Vec<Value> {
    jsonl
        .lines()
        .map(|l| {
            let mut p: Value = serde_json::from_str(l).unwrap();
            p.as_object_mut().unwrap().remove("source");
            p
        })
        .collect()
}

fn ids(posts: &[Value]) -> Vec<i64> {
    posts.iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

fn by_id(mut posts: Vec<Value>) -> Vec<Value> {
    posts.sort_by_key(|p| p["id"].as_i64());
    posts
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Each file's bytes and modification time.
fn state(dir: &Path) -> Vec<(String, Vec<u8>, SystemTime)> {
    let one = |name: String| {
        let path = dir.join(&name);
        let time = std::fs::metadata(&path).unwrap().modified().unwrap();
        (name, std::fs::read(&path).unwrap(), time)
    };
    if dir.is_file() {
        let time = std::fs::metadata(dir).unwrap().modified().unwrap();
        return vec![(String::new(), std::fs::read(dir).unwrap(), time)];
    }
    files(dir).into_iter().map(one).collect()
}

/// The JSONL of a Parquet file, or of a dataset's part files one after
/// the other in path order.
fn jsonl_of(archive: &Path) -> String {
    if archive.is_file() {
        return ok(&[s(archive), "-q"]).stdout;
    }
    files(archive).iter().map(|f| ok(&[s(&archive.join(f)), "-q"]).stdout).collect()
}

/// The bytes of the first row group's column chunks of a Parquet file
/// (they start after the `PAR1` magic), and the file's row groups' sizes.
fn first_group(path: &Path) -> (Vec<u8>, Vec<i64>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    let chunks = reader.metadata().row_group(0).columns().to_vec();
    let len: i64 = chunks.iter().map(|c| c.compressed_size()).sum();
    (std::fs::read(path).unwrap()[4..4 + len as usize].to_vec(), groups)
}

/// A scratch folder with the middle window as Telegram Desktop HTML pages.
fn with_html_window(name: &str) -> (PathBuf, String) {
    let dir = scratch(name);
    let w2 = dir.join("w2");
    ok(&[W2_SOURCE, "-q", "--to", "tdesktop-html", "-o", s(&w2)]);
    let w2 = w2.display().to_string();
    (dir, w2)
}

/// The archive of the first window: one Parquet file, or a dataset
/// partitioned by chat and month.
fn first_window(dir: &Path, dataset: bool) -> PathBuf {
    if dataset {
        let ds = dir.join("ds");
        ok(&[W1, "-q", "--to", "parquet", "--partition-by", "chat,month", "-o", s(&ds)]);
        ds
    } else {
        let file = dir.join("archive.parquet");
        ok(&[W1, "-q", "--to", "parquet", "-o", s(&file)]);
        file
    }
}

#[test]
fn into_parquet_adds_exactly_the_rest_and_a_second_run_changes_nothing() {
    let whole = by_id(without_source(&ok(&[WHOLE, "-q"]).stdout));
    for dataset in [false, true] {
        let (dir, w2) = with_html_window(if dataset { "into-pq-ds" } else { "into-pq-file" });
        let archive = first_window(&dir, dataset);
        let before = state(&archive);
        let first_before = (!dataset).then(|| first_group(&archive));
        let rule = format!("{w2}={CHAT}");
        let sum_path = dir.join("summary.json");
        let args = [&w2, W3, "--chat-id", &rule, "--into", s(&archive), "--summary", s(&sum_path)];
        let run = ok(&args);
        assert!(run.stdout.is_empty());
        let got = without_source(&jsonl_of(&archive));
        // The archive's posts first, then the ones added, in input order.
        let added = [14, 15, 21, 22, 23, 24, 25, 26];
        assert_eq!(ids(&got)[11..], added, "dataset {dataset}");
        assert_eq!(by_id(got), whole, "dataset {dataset}");
        let sum = summary(&sum_path);
        assert_accounting("into parquet", &sum);
        assert_eq!((sum["read"].as_u64(), sum["written"].as_u64()), (Some(17), Some(8)));
        if let Some((bytes, groups)) = first_before {
            // The archive's row group is copied as it was, byte for byte;
            // the posts added follow in a row group of their own.
            assert_eq!(groups, [11]);
            let (after, groups) = first_group(&archive);
            assert_eq!(groups, [11, 8]);
            assert!(after == bytes, "the archive's row group was not copied as it was");
        }
        if dataset {
            // The first window's file is untouched (same bytes, same time);
            // the posts of its month went to a new part file.
            let after = state(&archive);
            assert!(after.contains(&before[0]), "{:?}", files(&archive));
            assert_eq!(
                files(&archive),
                [
                    format!("chat_id={CHAT}/month=2020-11/part-0.parquet"),
                    format!("chat_id={CHAT}/month=2020-11/part-1.parquet"),
                    format!("chat_id={CHAT}/month=2021-07/part-0.parquet"),
                ]
            );
        }
        // The same inputs again: nothing is new, nothing is rewritten.
        let written = state(&archive);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let run = ok(&args);
        assert!(
            run.stderr.contains("unchanged (19 posts; the inputs hold nothing it lacks)"),
            "{}",
            run.stderr
        );
        assert_eq!(state(&archive), written, "dataset {dataset}");
        let sum = summary(&sum_path);
        assert_eq!((sum["written"].as_u64(), sum["duplicates"].as_u64()), (Some(0), Some(17)));
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let mut left = vec![name, "summary.json".to_owned(), "w2".to_owned()];
        left.sort();
        let mut entries: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        entries.sort();
        assert_eq!(entries, left, "no staging file or folder left behind");
    }
}

#[test]
fn into_parquet_replaces_a_post_by_its_newer_edit() {
    for dataset in [false, true] {
        let dir = scratch(if dataset { "into-pq-edit-ds" } else { "into-pq-edit-file" });
        let archive = first_window(&dir, dataset);
        let rejects = dir.join("rejects.jsonl");
        let sum_path = dir.join("summary.json");
        let args = [
            W3_EDITED,
            "-q",
            "--into",
            s(&archive),
            "--rejects",
            s(&rejects),
            "--summary",
            s(&sum_path),
        ];
        ok(&args);
        let got = without_source(&jsonl_of(&archive));
        // The archive's posts less 13, then what the input adds.
        let want = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 21, 22, 23, 24, 25, 26];
        assert_eq!(ids(&got), want, "dataset {dataset}");
        let post = |id: i64| got.iter().find(|p| p["id"] == id).unwrap();
        assert_eq!(post(13)["edited_at"], "2021-07-20T10:00:00+00:00");
        // Post 11 differs with no edit time: the archive's stays, reported
        // with the row it was kept at.
        assert_eq!(post(11)["text"], "multiline\nbold\n\ntext");
        let reported: Vec<Value> = std::fs::read_to_string(&rejects)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(reported.len(), 1);
        let kept_file = if dataset {
            archive.join(format!("chat_id={CHAT}/month=2020-11/part-0.parquet"))
        } else {
            archive.clone()
        };
        assert_eq!(reported[0]["kept"], serde_json::json!({"file": s(&kept_file), "index": 9}));
        assert_eq!(reported[0]["line"], 6);
        let sum = summary(&sum_path);
        assert_accounting("into parquet edit", &sum);
        assert_eq!(sum["conflicts"].as_u64(), Some(1));
        // Again: nothing new.
        let written = state(&archive);
        ok(&args);
        assert_eq!(state(&archive), written);
    }
}

#[test]
fn a_failed_into_parquet_leaves_the_archive_untouched() {
    let dir = scratch("into-pq-fail");
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"not\": \"a post\"}\n").unwrap();
    std::fs::create_dir(dir.join("w")).unwrap();
    std::fs::copy(W1, dir.join("w/result.json")).unwrap();
    for dataset in [false, true] {
        let archive = first_window(&dir, dataset);
        let before = state(&archive);
        // A bad record under --strict stops the run after the archive was staged.
        let run = tgnorm(&[W3, s(&bad), "--strict", "--into", s(&archive)]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(state(&archive), before, "dataset {dataset}");
        // Formats and partitionings that are not the archive's are refused.
        let run = tgnorm(&[W3, "--into", s(&archive), "--to", "jsonl"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("--to must be parquet"), "{}", run.stderr);
        let run = tgnorm(&[W3, "--into", s(&archive), "--partition-by", "chat"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(state(&archive), before);
    }
    // A damaged archive file: an error naming it, the file as it was.
    let archive = dir.join("archive.parquet");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.truncate(bytes.len() - 9);
    std::fs::write(&archive, &bytes).unwrap();
    let run = tgnorm(&[W3, "--into", s(&archive)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("archive.parquet"), "{}", run.stderr);
    assert_eq!(std::fs::read(&archive).unwrap(), bytes);
    // The dataset says how it is partitioned.
    let run = tgnorm(&[W3, "--into", s(&dir.join("ds")), "--partition-by", "chat"]);
    assert!(run.stderr.contains("partitioned by chat,month, not chat"), "{}", run.stderr);
    // An empty folder does not say: --partition-by is asked for.
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let run = tgnorm(&[W3, "--into", s(&empty)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("pass --partition-by"), "{}", run.stderr);
    assert!(files(&empty).is_empty());
    // A folder that is not a dataset is not added to.
    let run = tgnorm(&[W3, "--into", s(&dir.join("w")), "--partition-by", "chat"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no Parquet part file: it is not a dataset"), "{}", run.stderr);
    assert_eq!(files(&dir.join("w")), ["result.json"]);
    // An input inside the dataset is refused.
    let run = tgnorm(&[s(&dir.join("ds")), "--into", s(&dir.join("ds"))]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["archive.parquet", "bad.jsonl", "ds", "empty", "w"]);
}

/// A dataset or file that does not exist yet is made by the first run.
#[test]
fn into_parquet_makes_a_new_archive() {
    let dir = scratch("into-pq-new");
    let ds = dir.join("new-ds");
    ok(&[W1, "-q", "--into", s(&ds), "--partition-by", "chat"]);
    assert_eq!(files(&ds), [format!("chat_id={CHAT}/part-0.parquet")]);
    let file = dir.join("new.parquet");
    ok(&[W1, "-q", "--into", s(&file)]);
    let w1 = without_source(&ok(&[W1, "-q"]).stdout);
    assert_eq!(without_source(&jsonl_of(&ds)), w1);
    assert_eq!(without_source(&jsonl_of(&file)), w1);
    // The dataset's own partitioning is used without the flag from now on.
    ok(&[W3, "-q", "--into", s(&ds)]);
    assert_eq!(
        files(&ds),
        [format!("chat_id={CHAT}/part-0.parquet"), format!("chat_id={CHAT}/part-1.parquet")]
    );
}
