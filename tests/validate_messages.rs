//! `tgnorm validate` messages a person can act on: one fault planted at a
//! time in a real export, each reported at its own line, column and JSON
//! pointer, in plain words (fixtures/invalid-messages/README.md).

use crate::util::*;

/// The real export the faults are planted in.
const EXPORT: &str = "fixtures/invalid-messages/result.json";

/// (line, what is there, what replaces it, the one problem printed).
const FAULTS: [(usize, &str, &str, &str); 22] = [
    (3, "\"public_channel\"", "\"public channel\"",
        "result.json:3:10: /type: \"public channel\" should be one of \"saved_messages\", \"replies\", \"verification_codes\", \"personal_chat\", \"bot_chat\", \"private_group\", … (10 in all)"),
    (7, "3854", "\"3854\"",
        "result.json:7:10: /messages/0/id: \"3854\" should be an integer"),
    (8, "\"message\"", "\"post\"",
        "result.json:8:12: /messages/0/type: \"post\" should be one of \"message\", \"service\" or \"unsupported\""),
    (9, "2026-06-17T16:24:01", "2026-02-30T16:24:01",
        "result.json:9:12: /messages/0/date: \"2026-02-30T16:24:01\" is not a real date: February 2026 has 28 days"),
    (10, "\"1781699041\"", "\"1781699041.0\"",
        "result.json:10:21: /messages/0/date_unixtime: \"1781699041.0\" should be a Unix time string such as \"1720068300\""),
    (11, "16:29:24", "25:61:61",
        "result.json:11:14: /messages/0/edited: \"2026-06-17T25:61:61\" is not a real time: hour 25 (00 to 23)"),
    (13, "\"ГУЗЕЛЬСКИЕ ПЕРЕЗАЛИВЫ\"", "5",
        "result.json:13:12: /messages/0/from: 5 should be a string or null"),
    (14, "channel2447843635", "chanel2447843635",
        "result.json:14:15: /messages/0/from_id: \"chanel2447843635\" should be a peer id such as \"user123\""),
    (16, "198074", "-1",
        "result.json:16:23: /messages/0/photo_file_size: -1 should be at least 0"),
    (17, "1280", "1280.5",
        "result.json:17:13: /messages/0/width: 1280.5 should be an integer"),
    (18, "720", "720.0",
        "result.json:18:14: /messages/0/height: 720.0 should be a whole number, written without a fraction or exponent"),
    (22, "\"custom_emoji\",", "\"custom_emoji\", \"collapsed\": \"yes\",",
        "result.json:22:43: /messages/0/text/1/collapsed: \"yes\" should be true or false"),
    (28, "\"spoiler\"", "42",
        "result.json:28:14: /messages/0/text/3/type: 42 should be a string (an entity type such as \"bold\")"),
    (41, "\"href\"", "\"hfer\"",
        "result.json:38:5: /messages/0/text/7: missing key \"href\" (a text_link part must have it)"),
    (28, "\"spoiler\",", "\"spoiler\", \"type\": \"bold\",",
        "result.json:28:25: /messages/0/text/3/type: key \"type\" appears twice in one object (which is meant cannot be told)"),
    (162, "4", "\"4\"",
        "result.json:162:16: /messages/0/reactions/0/count: \"4\" should be an integer"),
    (161, "\"emoji\"", "\"Emoji\"",
        "result.json:161:15: /messages/0/reactions/0/type: \"Emoji\" should be a reaction type such as \"emoji\""),
    (168, "3855", "3854",
        "result.json:168:10: /messages/1/id: duplicate id 3854 (the previous message has it too)"),
    (178, "2003698620", "18446744073709551616",
        "result.json:178:17: /messages/1/file_size: 18446744073709551616 is beyond the range of a 64-bit integer"),
    (181, "\"video_file\"", "\"video\"",
        "result.json:181:18: /messages/1/media_type: \"video\" should be one of \"sticker\", \"video_message\", \"voice_message\", \"animation\", \"video_file\" or \"audio_file\""),
    (186, "\"text\": \"\",", "\"text\": {},",
        "result.json:186:12: /messages/1/text: {} should be a string or an array"),
    (187, "[]", "[{\"type\": \"plain\"}]",
        "result.json:187:22: /messages/1/text_entities/0: missing key \"text\" (a text part must have it)"),
];

/// The export with `old` replaced by `new` on (1-based) `line`, once.
fn planted(export: &str, line: usize, old: &str, new: &str) -> String {
    let mut lines: Vec<String> = export.split('\n').map(str::to_owned).collect();
    let target = &mut lines[line - 1];
    assert_eq!(target.matches(old).count(), 1, "line {line} {target:?} holds {old:?} once");
    *target = target.replacen(old, new, 1);
    lines.join("\n")
}

#[test]
fn the_export_is_valid_as_it_is() {
    let run = tgnorm(&["validate", EXPORT]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

/// Each fault is the one problem printed, at its own place, in words.
#[test]
fn each_planted_fault_is_reported_at_its_place() {
    let export = std::fs::read_to_string(root().join(EXPORT)).unwrap();
    let dir = scratch("validate-messages");
    let mut places = std::collections::BTreeSet::new();
    for (line, old, new, expected) in FAULTS {
        std::fs::write(dir.join("result.json"), planted(&export, line, old, new)).unwrap();
        let run = tgnorm_in(&dir, &["validate", "result.json"], b"");
        assert_eq!(run.stdout, format!("{expected}\n"), "fault on line {line}: {old} → {new}");
        assert_eq!(run.code, 1, "fault on line {line}");
        // Every column is 1-based, and no two faults share a place.
        let place: Vec<&str> = expected.splitn(4, ':').collect();
        assert!(place[2].parse::<u64>().unwrap() >= 1, "{expected}");
        assert!(places.insert(place[3].to_owned()), "two faults reported at {}", place[3]);
    }
    assert!(places.len() >= 20);
}

/// The same export converted to JSONL by tgnorm: faults planted in its
/// first post line are reported at their column in the line.
#[test]
fn faults_in_a_jsonl_line_are_reported_at_their_column() {
    let dir = scratch("validate-messages-jsonl");
    let run = tgnorm(&[EXPORT, "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap().to_owned();
    let cases = [
        (",\"cleaned\":", ",\"Ben\":1,\"cleaned\":",
            "posts.jsonl:1:1434: /Ben: unknown key \"Ben\": post objects have no such key"),
        ("\"offset\":15,", "\"offset\":18446744073709551616,",
            "posts.jsonl:1:478: /entities/0/offset: 18446744073709551616 is beyond the range of a 64-bit integer"),
        ("\"offset\":15,", "\"offset\":15.0,",
            "posts.jsonl:1:478: /entities/0/offset: 15.0 should be a whole number, written without a fraction or exponent"),
        ("\"date\":\"2026-06-17T16:24:01+04:00\"", "\"date\":\"2026-02-30T16:24:01+04:00\"",
            "posts.jsonl:1:141: /date: \"2026-02-30T16:24:01+04:00\" is not a real date: February 2026 has 28 days"),
        ("{\"type\":\"custom_emoji\",\"offset\":15,", "{\"type\":42,\"offset\":15,",
            "posts.jsonl:1:454: /entities/0/type: 42 should be a string (an entity type such as \"bold\")"),
        ("\"kind\":\"message\"", "\"kind\":\"message\",\"kind\":\"service\"",
            "posts.jsonl:1:134: /kind: key \"kind\" appears twice in one object (which is meant cannot be told)"),
    ];
    for (old, new, expected) in cases {
        assert_eq!(first.matches(old).count(), 1, "{old:?} in {first}");
        std::fs::write(dir.join("posts.jsonl"), first.replacen(old, new, 1) + "\n").unwrap();
        let run = tgnorm_in(&dir, &["validate", "posts.jsonl"], b"");
        assert_eq!(run.stdout, format!("{expected}\n"), "{old} → {new}");
        assert_eq!(run.code, 1);
        // Converting rejects the same line, at the same place, in the same words.
        let convert = tgnorm_in(&dir, &["posts.jsonl"], b"");
        assert_eq!(convert.code, 1, "convert accepts {new}");
        let (place, what) = expected.split_at(expected.find(": /").unwrap());
        let rejected = format!("rejected: {place}: not a tgnorm post{what}\n");
        assert!(convert.stderr.contains(&rejected), "{rejected}{}", convert.stderr);
    }
}

/// A format forced with `--schema` that the input plainly is not is an
/// error, never "0 errors".
#[test]
fn a_forced_schema_that_does_not_fit_is_an_error() {
    let dir = root().join("fixtures/invalid-messages");
    for (schema, what) in [
        ("web-html", "a saved t.me/s page"),
        ("tdesktop-html", "a Telegram Desktop HTML page"),
        ("post", "tgnorm JSONL"),
    ] {
        let run = tgnorm_in(&dir, &["validate", "--schema", schema, "result.json"], b"");
        assert_eq!(run.code, 1, "{schema}: {}", run.stderr);
        assert_eq!(
            run.stdout,
            format!(
                "result.json:1:1: format: result.json does not look like {what} (it looks like result.json)\n"
            )
        );
    }
    let run = tgnorm_in(&dir, &["validate", "--schema", "tdesktop", "result.json"], b"");
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "the right one passes");
}

/// `tgnorm validate FILE` with `TGNORM_THREADS=threads`: standard output
/// and error, and the exit code.
fn validate_with_threads(file: &std::path::Path, threads: &str) -> (String, String, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tgnorm"))
        .arg("validate")
        .arg(file)
        .env("TGNORM_THREADS", threads)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code())
}

#[test]
fn result_json_is_checked_alike_on_any_number_of_workers() {
    // Every seventh message of a real export gets a type the schema refuses:
    // the workers check messages in any order, the report keeps input order.
    let export =
        std::fs::read_to_string(root().join("fixtures/tdesktop/salaf-channel-rtl/result.json"))
            .unwrap();
    let mut parts = export.split("\"type\": \"message\"");
    let mut faulty = parts.next().unwrap().to_string();
    let mut planted = 0;
    for (i, part) in parts.enumerate() {
        let kind = if i % 7 == 3 { "post" } else { "message" };
        planted += usize::from(kind == "post");
        faulty.push_str(&format!("\"type\": \"{kind}\"{part}"));
    }
    let dir = scratch("validate-threads");
    let file = dir.join("result.json");
    std::fs::write(&file, faulty).unwrap();
    let one = validate_with_threads(&file, "1");
    let refused = "should be one of \"message\", \"service\" or \"unsupported\"";
    let reported = format!("{}{}", one.0, one.1).matches(refused).count();
    assert!(planted > 20, "{planted}");
    assert_eq!(reported, planted, "{one:?}");
    assert_eq!(one.2, Some(1));
    for threads in ["2", "3", "8"] {
        assert_eq!(validate_with_threads(&file, threads), one, "{threads} threads");
    }
}
