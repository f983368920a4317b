//! Selection (issue 17 item 4): each flag keeps exactly the posts it names,
//! the kept lines are the unselected run's lines, and the accounting law
//! `read = written + rejected + duplicates + selected_out` holds.

use crate::util::*;
use std::path::Path;

/// `(chat name, id)` of every line of a JSONL output.
fn keys(jsonl: &str) -> Vec<(String, i64)> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["chat"]["name"].as_str().unwrap_or("").to_owned(), v["id"].as_i64().unwrap())
        })
        .collect()
}

/// Runs `input` in `dir` with `flags`; checks that the output is the
/// unselected output's lines that `want` names, in order, and the law.
fn selects(dir: &Path, input: &str, flags: &[&str], want: &[(&str, i64)]) {
    let all = tgnorm_in(dir, &[input, "-q"], b"");
    assert_eq!(all.code, 0, "{}", all.stderr);
    let sum = scratch(&format!("select-{}", flags.join("_").replace(['/', ':', '+', '@'], "-")))
        .join("summary.json");
    let mut args = vec![input, "-q", "--summary", sum.to_str().unwrap()];
    args.extend_from_slice(flags);
    let run = tgnorm_in(dir, &args, b"");
    assert_eq!(run.code, 0, "{flags:?}: {}", run.stderr);
    let want: Vec<(String, i64)> = want.iter().map(|(c, i)| ((*c).to_owned(), *i)).collect();
    assert_eq!(keys(&run.stdout), want, "{input} {flags:?}");
    let expected: String = all
        .stdout
        .lines()
        .zip(keys(&all.stdout))
        .filter(|(_, k)| want.contains(k))
        .map(|(l, _)| format!("{l}\n"))
        .collect();
    assert_eq!(run.stdout, expected, "{flags:?}: kept lines differ from the unselected run's");
    let s = summary(&sum);
    assert_accounting(&format!("{input} {flags:?}"), &s);
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(n("written"), want.len() as u64);
    assert_eq!(n("selected_out"), all.stdout.lines().count() as u64 - want.len() as u64);
}

const FULL: &str = "fixtures/tdesktop/full-export/result.json";
const TG2MD: &str = "fixtures/tdesktop/tg2md-2021/result.json";

#[test]
fn chat_by_name_id_or_username() {
    let r = root();
    selects(&r, FULL, &["--chat", "Old group"], &[("Old group", -999999939), ("Old group", 2)]);
    selects(&r, FULL, &["--chat", "channel99", "--chat", "5"], &[("Alice", 10), ("Gone", 1)]);
    selects(&r, FULL, &["--chat", "old group"], &[]);
}

#[test]
fn kind_and_sender() {
    let r = root();
    selects(
        &r,
        FULL,
        &["--kind", "service", "--kind", "unsupported"],
        &[("Old group", -999999939), ("Gone", 1)],
    );
    selects(&r, FULL, &["--sender", "user9"], &[("Old group", 2)]);
    selects(&r, FULL, &["--sender", "Alice", "--kind", "message"], &[("Alice", 10)]);
    let html = r.join("fixtures/tdesktop-html/account-export");
    selects(&html, ".", &["--sender", "Alice Smith"], &[("Bob Jones", 11)]);
    selects(&html, ".", &["--chat", "Bob Jones"], &[("Bob Jones", 10), ("Bob Jones", 11)]);
}

#[test]
fn dates_are_inclusive_days_and_dateless_posts_are_kept_unless_dropped() {
    let r = root();
    // 2020-01-01T00:00:00+00:00 and :01, 2024-01-01T03:00:00+03:00; "Gone" has no date.
    selects(
        &r,
        FULL,
        &["--until", "2020-01-01"],
        &[("Old group", -999999939), ("Old group", 2), ("Gone", 1)],
    );
    selects(
        &r,
        FULL,
        &["--until", "2020-01-01", "--dateless", "drop"],
        &[("Old group", -999999939), ("Old group", 2)],
    );
    // An instant against dates with offsets: 2024-01-01T03:00+03:00 is 00:00Z.
    selects(&r, FULL, &["--since", "2024-01-01T00:00:00Z", "--dateless", "drop"], &[("Alice", 10)]);
    selects(&r, FULL, &["--since", "2024-01-01T00:00:01Z", "--dateless", "drop"], &[]);
    // Local times, compared as they read: the last second of a day is in it.
    selects(
        &r,
        TG2MD,
        &["--since", "2021-07-14", "--until", "2021-07-14T18:52:46"],
        &[("test", 22), ("test", 23), ("test", 24), ("test", 25)],
    );
}

#[test]
fn a_bad_bound_is_a_usage_error() {
    let run = tgnorm(&[FULL, "--since", "2024-02-30"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`2024-02-30` is not a date"), "{}", run.stderr);
}

#[test]
fn the_summary_line_counts_what_was_selected_out() {
    let run = tgnorm(&[FULL, "--kind", "message"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("read 4 · written 2 · rejected 0 · selected out 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_library_reader_selects_as_the_command_line_does() {
    use tgnorm::select::Selection;
    let selection = Selection { chats: vec!["Old group".into()], ..Selection::default() };
    let mut reader =
        tgnorm::ReaderBuilder::new().select(selection).from_path(root().join(FULL)).unwrap();
    let ids: Vec<Option<i64>> = reader.by_ref().map(|p| p.unwrap().id).collect();
    assert_eq!(ids, [Some(-999999939), Some(2)]);
    let s = reader.summary();
    assert_eq!((s.read, s.written, s.selected_out), (4, 2, 2));
}

const FORUM: &str = "fixtures/select/forum/result.json";

#[test]
fn topics_come_from_topic_created_and_reply_to_top_message_id() {
    let run = tgnorm(&[FORUM, "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_snapshot("fixtures/select/forum/expected.jsonl", &run.stdout);
    assert_schema_valid(FORUM, &run.stdout);
    let topics: Vec<Option<i64>> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["topic_id"].as_i64())
        .collect();
    assert_eq!(topics, [None, Some(2), Some(2), Some(4), Some(4), Some(4), None]);
    // topic_id survives tgnorm's own JSONL.
    let again = tgnorm_in(&root(), &["-", "--from", "jsonl", "-q"], run.stdout.as_bytes());
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn topic_selects_the_posts_of_a_topic() {
    let r = root();
    selects(&r, FORUM, &["--topic", "2"], &[("Forum", 2), ("Forum", 3)]);
    selects(&r, FORUM, &["--topic", "4", "--sender", "Ann"], &[("Forum", 6)]);
    selects(
        &r,
        FORUM,
        &["--topic", "2", "--topic", "4", "--kind", "service"],
        &[("Forum", 2), ("Forum", 4)],
    );
}

/// A Telegram Desktop HTML page shows a topic only in its `created topic`
/// service sentence: read back, those keep their topic and the messages in
/// the topic have none.
#[test]
fn html_knows_only_the_topics_it_shows() {
    let d = scratch("select-forum-html");
    let out = d.join("html");
    let run = tgnorm(&[FORUM, "--to", "tdesktop-html", "-o", out.to_str().unwrap(), "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    selects(&d, "html", &["--topic", "2", "--topic", "4"], &[("Forum", 2), ("Forum", 4)]);
}
