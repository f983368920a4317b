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
