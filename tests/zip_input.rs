//! Zip archives as input (issue 17 item 2): a zipped export reads exactly as
//! its folder does, positions name the member, a zip bomb and a damaged
//! member are rejected alone, and the accounting law holds.

use crate::util::*;
use std::io::Write;
use std::path::Path;

/// The output of reading `input` in `dir`, with `from` replaced by `to` in
/// every `source.file`.
fn run_mapped(dir: &Path, input: &str, from: &str, to: &str) -> String {
    let run = tgnorm_in(dir, &[input, "-q"], b"");
    assert_eq!(run.code, 0, "{input}: {}", run.stderr);
    run.stdout.replace(from, to)
}

#[test]
fn a_zipped_export_folder_reads_as_the_folder() {
    let zipped = run_mapped(
        &root(),
        "fixtures/zip/folder-export.zip",
        "fixtures/zip/folder-export.zip!ChatExport_2023-05-01/",
        "X/",
    );
    let folder = run_mapped(
        &root(),
        "fixtures/tdesktop-html/civil-updates-2023",
        "fixtures/tdesktop-html/civil-updates-2023/",
        "X/",
    );
    assert_eq!(zipped.lines().count(), 58);
    assert_eq!(zipped, folder);
}

#[test]
fn a_zipped_full_account_export_reads_every_chat_in_order() {
    let zipped = run_mapped(
        &root(),
        "fixtures/zip/account-export.zip",
        "fixtures/zip/account-export.zip!DataExport_2025-05-02/",
        "X/",
    );
    let dir = root().join("fixtures/tdesktop-html/account-export");
    let folder = run_mapped(&dir, ".", "\"./", "\"X/");
    assert_eq!(zipped.lines().count(), 5);
    assert_eq!(zipped, folder);
}

#[test]
fn a_mixed_zip_reads_its_exports_and_loose_files_and_rejects_bad_members_alone() {
    let d = scratch("zip-mixed");
    let (rejects, sum) = (d.join("rejects.jsonl"), d.join("summary.json"));
    let run = tgnorm(&[
        "fixtures/zip/mixed.zip",
        "--rejects",
        rejects.to_str().unwrap(),
        "--summary",
        sum.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_snapshot("fixtures/zip/expected-mixed.jsonl", &run.stdout);
    assert_schema_valid("mixed.zip", &run.stdout);
    let rejects = std::fs::read_to_string(&rejects).unwrap();
    let rejected: Vec<serde_json::Value> =
        rejects.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let files: Vec<&str> = rejected.iter().map(|r| r["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["fixtures/zip/mixed.zip!damaged.txt", "fixtures/zip/mixed.zip!inner.zip"]);
    let reason = |i: usize| rejected[i]["error"].as_str().unwrap().to_owned();
    assert!(reason(0).starts_with("damaged member header: "), "{}", reason(0));
    assert!(reason(1).starts_with("a zip archive in a stream"), "{}", reason(1));
    assert!(reason(1).ends_with("; this member is skipped"), "{}", reason(1));
    let s = summary(&sum);
    assert_accounting("mixed.zip", &s);
    // result.json (3 posts: pachum-channel) and the loose dump (15 posts).
    assert_eq!((s["read"].as_u64(), s["written"].as_u64()), (Some(20), Some(18)));
    let sources: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]["file"].to_string()
        })
        .collect();
    assert!(sources[0].contains("mixed.zip!ChatExport_pachum/result.json"), "{}", sources[0]);
    assert!(sources[17].contains("mixed.zip!dumps/rusembindia.txt"), "{}", sources[17]);
    let archive = file_report(&s, "fixtures/zip/mixed.zip");
    assert_eq!(archive["format"], "zip");
    let note = archive["notes"]["zip"].as_str().unwrap();
    assert_eq!(
        note,
        "4 inputs from 4 of its 6 members; 2 not read (folder entries, hidden files, media, \
         styles, pages beside a result.json)"
    );
}

/// A zip of `members` (name, bytes, deflated?) built with the zip crate.
fn build_zip(path: &Path, members: &[(&str, &[u8], bool)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for (name, data, deflate) in members {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

const DUMP: &[u8] = b"Forwarded from Russian MFA\nHello from the zip\n";

#[test]
fn a_zip_bomb_is_refused_with_the_member_named_and_the_rest_read() {
    let d = scratch("zip-bomb");
    let bomb = d.join("bomb.zip");
    // 32 MiB of JSON whitespace deflate to about 32 KiB: a ratio near 1000.
    let mut json = b"{\n \"name\": \"x\",\n \"messages\": [".to_vec();
    json.resize(32 << 20, b' ');
    json.extend_from_slice(b"]\n}\n");
    build_zip(&bomb, &[("a.txt", DUMP, true), ("big/result.json", &json, true)]);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 100_000);
    let sum = d.join("summary.json");
    let run = tgnorm_in(&d, &["bomb.zip", "--summary", sum.to_str().unwrap()], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "the loose dump is read: {}", run.stdout);
    let line = run.stderr.lines().find(|l| l.contains("zip bomb refused")).unwrap_or_else(|| {
        panic!("no bomb refusal: {}", run.stderr);
    });
    assert!(line.starts_with("tgnorm: rejected: bomb.zip!big/result.json:"), "{line}");
    assert!(line.contains("more than 200 to 1"), "{line}");
    assert!(line.ends_with("; this member is skipped"), "{line}");
    let s = summary(&sum);
    assert_accounting("bomb.zip", &s);
    assert_eq!((s["read"].as_u64(), s["rejected"].as_u64()), (Some(2), Some(1)));
}

#[test]
fn a_member_whose_bytes_fail_their_crc_is_rejected() {
    let d = scratch("zip-crc");
    let path = d.join("crc.zip");
    build_zip(&path, &[("a.txt", DUMP, false), ("b.txt", DUMP, false)]);
    // Change one byte of b.txt's data ("Hello" → "Jello"): its CRC-32 no
    // longer matches.
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(5).rposition(|w| w == b"Hello").unwrap();
    bytes[at] = b'J';
    std::fs::write(&path, &bytes).unwrap();
    let run = tgnorm_in(&d, &["crc.zip"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rejected: Vec<&str> = run.stderr.lines().filter(|l| l.contains("rejected:")).collect();
    assert_eq!(rejected.len(), 1, "{}", run.stderr);
    assert!(rejected[0].starts_with("tgnorm: rejected: crc.zip!b.txt:"), "{}", rejected[0]);
    assert!(rejected[0].contains("damaged member: CRC-32"), "{}", rejected[0]);
}

#[test]
fn a_zip_on_standard_input_is_refused() {
    let bytes = std::fs::read(root().join("fixtures/zip/folder-export.zip")).unwrap();
    let run = tgnorm_in(&root(), &["-"], &bytes);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("-: a zip archive in a stream"), "{}", run.stderr);
}

#[test]
fn a_file_named_zip_that_is_not_one_is_read_by_its_content() {
    let d = scratch("zip-name");
    std::fs::write(d.join("dump.zip"), DUMP).unwrap();
    let run = tgnorm_in(&d, &["dump.zip", "-q"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"source\":{\"format\":\"text\",\"file\":\"dump.zip\""));
}

#[test]
fn validate_says_it_does_not_read_zips() {
    let run = tgnorm(&["validate", "fixtures/zip/mixed.zip"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("fixtures/zip/mixed.zip: a zip archive: `tgnorm validate` does not read"),
        "{}",
        run.stderr
    );
}
