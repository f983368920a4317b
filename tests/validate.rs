//! `tgnorm validate`: exact problems with positions, exit codes, summaries.

use crate::util::*;

#[test]
fn every_jsonl_tgnorm_writes_validates_clean() {
    let d = scratch("validate-clean");
    for case in [
        "rusembindia-2024",
        "browser-copy-tchantest-2023",
        "css-blind-mchs-2024",
        "scraper-album-2023",
        "emoji",
    ] {
        let out = d.join(format!("{case}.jsonl"));
        let input = root().join(format!("fixtures/text/{case}/input.txt"));
        let run = tgnorm(&[input.to_str().unwrap(), "-o", out.to_str().unwrap(), "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let run = tgnorm(&["validate", out.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{case}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.stdout, "");
        assert!(run.stderr.contains(": 0 errors, 0 warnings"), "{}", run.stderr);
    }
}

#[test]
fn invalid_jsonl_is_pinned() {
    let d = scratch("validate-invalid");
    let good = tgnorm_in(&d, &["-", "-q"], b"Forwarded from X\nhello world").stdout;
    let good = good.trim_end();
    let lines = [
        good.to_owned(),
        good.replacen("\"kind\":\"message\"", "\"kind\":\"story\"", 1),
        good.replacen(
            "\"entities\":[]",
            "\"entities\":[{\"type\":\"bold\",\"offset\":4,\"length\":40}]",
            1,
        ),
        good.replacen("\"views\":null", "\"views\":-3", 1),
        "{\"chat\": oops}".to_owned(),
        good.replacen("\"media\":[]", "\"media\":[{\"type\":\"video\",\"status\":\"lost\"}]", 1),
    ];
    std::fs::write(d.join("posts.jsonl"), lines.join("\n") + "\n").unwrap();
    let run = tgnorm_in(&d, &["validate", "posts.jsonl"], b"");
    assert_eq!(run.code, 1);
    assert_snapshot("tests/snapshots/validate-invalid-jsonl.txt", &run.stdout);
    assert!(
        run.stderr.contains("checked 6 messages in 1 file: 5 errors, 0 warnings"),
        "{}",
        run.stderr
    );
    let run =
        tgnorm_in(&d, &["validate", "posts.jsonl", "--max-errors", "2", "--format", "json"], b"");
    assert_eq!(run.code, 1);
    let objects: Vec<serde_json::Value> =
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 3, "two problems and the summary");
    assert_eq!(objects[0]["line"], 2);
    assert_eq!(objects[0]["pointer"], "/kind");
    assert_eq!(objects[2]["summary"]["truncated"], true);
}

#[test]
fn text_dump_warnings() {
    let dir = root().join("fixtures/text/scraper-album-2023");
    let run = tgnorm_in(&dir, &["validate", "input.txt"], b"");
    assert_eq!(run.code, 0, "warnings are not errors: {}", run.stderr);
    assert_snapshot("tests/snapshots/validate-text-warnings.txt", &run.stdout);
}

#[test]
fn schema_command_prints_the_bundled_schema() {
    let run = tgnorm(&["schema", "post"]);
    assert_eq!(run.code, 0);
    let on_disk = std::fs::read_to_string(root().join("schemas/post.schema.json")).unwrap();
    assert_eq!(run.stdout, on_disk);
    assert_eq!(tgnorm(&["schema", "nope"]).code, 2);
}

/// Every `fixtures/invalid/<case>/input.*` (or `input/`, a folder) has
/// exactly one planted fault: `tgnorm validate` prints the problems pinned
/// in `expected.txt`, and exits 1 when one of them is an error (0 when all
/// are warnings: a folder with a stray page name is suspicious, not invalid).
#[test]
fn invalid_fixtures() {
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("fixtures/invalid")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|f| f.starts_with("input.") || f == "input")
            .unwrap_or_else(|| panic!("{name}: no input file"));
        let run = tgnorm_in(&dir, &["validate", &input], b"");
        assert!(!run.stdout.is_empty(), "{name}: no problem printed");
        assert_snapshot(&format!("fixtures/invalid/{name}/expected.txt"), &run.stdout);
        let errors = run.stdout.lines().filter(|l| !l.contains(": warning: ")).count();
        let want = if errors > 0 { 1 } else { 0 };
        assert_eq!(run.code, want, "{name}: {}{}", run.stdout, run.stderr);
        cases += 1;
    }
    assert!(cases >= 40, "only {cases} invalid fixtures");
}

// The schemas' verdicts are checked against another implementation (Python's
// `jsonschema`) by `tests/python/crosscheck.py`, which `.ci/run` runs in a
// venv: `cargo test` needs nothing but Rust.

/// The model and the post schema cannot drift apart: a post with every
/// optional field filled serialises to exactly the keys the schema lists,
/// object by object.
#[test]
fn schema_and_model_have_the_same_keys() {
    let full = r#"{"chat":{"name":"C","id":"channel1","username":"c","type":"public_channel"},"id":5,"kind":"message","date":"2024-07-04T10:15:00+05:30","edited":true,"edited_at":"2024-07-05T00:00:00Z","from":{"name":"C","id":"channel1"},"author":"A","forwarded_from":{"name":"F","id":"channel2","username":"f","message_id":7,"date":"2024-07-01T00:00:00+03:00"},"reply_to":{"message_id":4,"author":"C","quote":"q","peer_id":"channel3","source_line":3},"via_bot":"@bot","text":"hello","entities":[{"type":"text_link","offset":0,"length":5,"href":"https://x"}],"media":[{"type":"video","status":"ok","file":"v.mp4","file_name":"v.mp4","mime_type":"video/mp4","file_size":1,"duration_seconds":2,"width":3,"height":4,"title":"t","extra":{"k":1}}],"service":null,"reactions":[{"type":"emoji","count":1,"emoji":"👍"}],"views":9,"source":{"format":"text","file":"f","line":1,"end_line":2,"index":0,"byte":0,"repeat":{"kept":[1,1],"dropped":[2,2]},"flags":["boundary_uncertain"],"local_dates":{"date":"2024-07-04T10:15:00","edited_at":"2024-07-05T00:00:00","forwarded_from_date":"2024-07-01T00:00:00"},"merged_from":[{"format":"tdesktop-html","file":"g","line":4,"index":1}]},"cleaned":["unicode"],"topic_id":3,"extra":{"x":1}}"#;
    // Through tgnorm (read as JSONL, written back), so the model decides the keys.
    let args = ["-", "--from", "jsonl", "-q", "--no-unicode", "--no-emoji", "--no-whitespace"];
    let run = tgnorm_in(&root(), &args, full.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_schema_valid("full post", &run.stdout);
    let post: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/post.schema.json")).unwrap(),
    )
    .unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let props = &schema["properties"];
    let defs = &schema["$defs"];
    for (value, schema_props, what) in [
        (&post, props, "post"),
        (&post["chat"], &props["chat"]["properties"], "chat"),
        (&post["forwarded_from"], &props["forwarded_from"]["properties"], "forwarded_from"),
        (&post["reply_to"], &props["reply_to"]["properties"], "reply_to"),
        (&post["source"], &props["source"]["properties"], "source"),
        (
            &post["source"]["local_dates"],
            &props["source"]["properties"]["local_dates"]["properties"],
            "local_dates",
        ),
        (
            &post["source"]["merged_from"][0],
            &props["source"]["properties"]["merged_from"]["items"]["properties"],
            "merged_from",
        ),
        (&post["media"][0], &defs["media"]["properties"], "media"),
        (&post["from"], &defs["peer"]["properties"], "peer"),
    ] {
        assert_eq!(keys(value), keys(schema_props), "{what}: model and schema disagree");
    }
    // And the order of the core keys is the schema's `required` order.
    let order: Vec<&str> = post.as_object().unwrap().keys().map(String::as_str).collect();
    let required: Vec<&str> =
        schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(&order[..required.len()], &required[..]);
}

/// `innerdvations-parser-tests/error-unexpected.json` fails with one error
/// per planted fault, each with line, column and pointer.
#[test]
fn error_unexpected_is_pinned() {
    let dir = root().join("fixtures/tdesktop/innerdvations-parser-tests");
    let run = tgnorm_in(&dir, &["validate", "error-unexpected.json"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_snapshot("tests/snapshots/validate-error-unexpected.txt", &run.stdout);
    for planted in [
        "/messages/0/type",
        "/messages/1/id: duplicate id",
        "/messages/1/from_id",
        "/messages/2/text",
        "/messages/4: missing key \"from_id\"",
        "/messages/5/media_type",
        "/messages/6: missing key \"text\"",
        "/messages/7: missing key \"id\"",
        "/messages/8/from",
    ] {
        assert!(run.stdout.contains(planted), "{planted} not reported:\n{}", run.stdout);
    }
}

/// Every corpus `result.json` validates clean, streamed.
#[test]
fn corpus_result_json_validates_clean() {
    for case in [
        "pachum-channel",
        "salaf-channel-rtl",
        "ragtgbot-group",
        "tg2md-2020",
        "tg2md-2021",
        "full-export",
        "repairs-2022",
    ] {
        let dir = root().join(format!("fixtures/tdesktop/{case}"));
        let run = tgnorm_in(&dir, &["validate", "result.json"], b"");
        assert_eq!(run.code, 0, "{case}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(": 0 errors, 0 warnings"), "{case}: {}", run.stderr);
    }
}

/// The validator fuzz targets' check holds on the invalid fixtures: every
/// problem has a place and a message.
#[test]
fn every_problem_of_the_invalid_fixtures_has_a_place() {
    use tgnorm::read::Format;
    for (file, format) in [
        ("fixtures/invalid/post-views-negative/input.jsonl", Format::Jsonl),
        ("fixtures/invalid/html-missing-history/input.html", Format::TdesktopHtml),
        ("fixtures/invalid-messages/result.json", Format::TdesktopJson),
    ] {
        let data = std::fs::read(crate::util::root().join(file)).unwrap();
        tgnorm::fuzzing::validate_places(&data, format);
    }
}
