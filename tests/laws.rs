//! Laws that hold on every input: cleaning is idempotent (tgnorm on its own
//! JSONL gives the same bytes back), JSONL round-trips, every line fits the
//! schema, and `read = written + rejected + duplicates`.

use crate::util::*;
use std::path::PathBuf;

/// Every fixture input tgnorm reads, with the arguments it is read with.
fn fixture_inputs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in ["fixtures/text"] {
        for entry in std::fs::read_dir(root().join(group)).unwrap() {
            let dir = entry.unwrap().path();
            for file in std::fs::read_dir(&dir).unwrap() {
                let path = file.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("input") {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn cleaning_is_idempotent_on_every_fixture() {
    let inputs = fixture_inputs();
    assert!(inputs.len() >= 10);
    for input in inputs {
        for mode in ["qualify", "keep", "strip", "shortcode"] {
            let first = tgnorm(&[input.to_str().unwrap(), "--emoji", mode, "-q"]);
            assert!(first.code == 0, "{}: {}", input.display(), first.stderr);
            assert_schema_valid(&input.display().to_string(), &first.stdout);
            let again = tgnorm_in(
                &root(),
                &["-", "--from", "jsonl", "--emoji", mode, "-q"],
                first.stdout.as_bytes(),
            );
            assert_eq!(again.code, 0, "{}", again.stderr);
            assert_eq!(
                again.stdout,
                first.stdout,
                "{} --emoji {mode}: a second run changed the output",
                input.display()
            );
        }
    }
}

#[test]
fn accounting_holds_on_every_fixture() {
    let d = scratch("accounting");
    for (i, input) in fixture_inputs().iter().enumerate() {
        let sum = d.join(format!("s{i}.json"));
        let run = tgnorm(&[input.to_str().unwrap(), "--summary", sum.to_str().unwrap(), "-q"]);
        let s = summary(&sum);
        assert_accounting(&input.display().to_string(), &s);
        assert_eq!(s["written"].as_u64().unwrap() as usize, run.stdout.lines().count());
    }
}

/// A small deterministic generator (no extra crate): dumps made of the
/// lines that matter for segmentation, in random order.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const VOCABULARY: &[&str] = &[
    "Forwarded from Russian MFA 🇷🇺",
    "Forwarded\u{a0}from RT News",
    "Media is too big",
    "Please open Telegram to view this post",
    "This media is not supported in your browser",
    "VIEW IN TELEGRAM",
    "Russian Embassy in India",
    "🎙 Foreign Minister Sergey Lavrov’s remarks and answers to media questions",
    "A body line that is long enough to be a repeat",
    "Another body line, also long enough to count",
    "#RussiaIndia",
    "Read in full",
    "<...>",
    "⬇️",
    "",
    "2 views 07:33",
    "07:33",
    "0:52",
    "July 3",
    "Channel created",
    "tchan's test channel 👍",
    "x pinned «y»",
    "❤1",
    "\u{feff}zero\u{200b}width",
    "cafe\u{301}",
];

#[test]
fn random_dumps_keep_the_laws() {
    let mut rng = Lcg(0x7467_6e6f_726d);
    for case in 0..60 {
        let n = 1 + rng.next() % 60;
        let mut dump = String::new();
        for _ in 0..n {
            // Sometimes repeat the previous block to exercise the repeat rules.
            if rng.next() % 7 == 0 && !dump.is_empty() {
                let copy = dump.lines().rev().take(3).collect::<Vec<_>>().join("\n");
                dump.push_str(&copy);
                dump.push('\n');
            }
            dump.push_str(rng.pick(VOCABULARY));
            dump.push('\n');
        }
        let d = scratch(&format!("random-{case}"));
        std::fs::write(d.join("dump.txt"), &dump).unwrap();
        let sum = d.join("summary.json");
        let first = tgnorm_in(&d, &["dump.txt", "--summary", sum.to_str().unwrap(), "-q"], b"");
        assert!(first.code == 0, "case {case}: {}\n--- dump ---\n{dump}", first.stderr);
        assert_schema_valid(&format!("case {case}"), &first.stdout);
        assert_accounting(&format!("case {case}"), &summary(&sum));
        let again = tgnorm_in(&d, &["-", "--from", "jsonl", "-q"], first.stdout.as_bytes());
        assert_eq!(again.stdout, first.stdout, "case {case}: not idempotent\n--- dump ---\n{dump}");
        // Source ranges are in order, inside the file, and never overlap.
        let lines = dump.lines().count() as u64;
        let mut last_end = 0;
        for line in first.stdout.lines() {
            let post: serde_json::Value = serde_json::from_str(line).unwrap();
            let (start, end) = (
                post["source"]["line"].as_u64().unwrap(),
                post["source"]["end_line"].as_u64().unwrap(),
            );
            assert!(
                start > last_end && start <= end && end <= lines,
                "case {case}: range {start}-{end} after {last_end}\n{dump}"
            );
            last_end = end;
        }
    }
}

#[test]
fn jsonl_round_trip_is_exact() {
    for input in fixture_inputs() {
        let first = tgnorm(&[input.to_str().unwrap(), "-q", "--emoji", "keep"]);
        // All passes off: the JSONL reader and writer alone.
        let args = [
            "-",
            "--from",
            "jsonl",
            "-q",
            "--no-unicode",
            "--no-emoji",
            "--no-whitespace",
            "--no-dedup",
        ];
        let again = tgnorm_in(&root(), &args, first.stdout.as_bytes());
        assert_eq!(again.stdout, first.stdout, "{}", input.display());
    }
}
