//! Laws that hold on every input: cleaning is idempotent (tgnorm on its own
//! JSONL gives the same bytes back), JSONL round-trips, every line fits the
//! schema, and `read = written + rejected + duplicates`.

use crate::util::*;
use std::path::{Path, PathBuf};

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

/// Repeats are dropped however far apart they are within the window, and
/// however the work was shared: saved pages of three channels given 120
/// times over (many batches, so the workers find most repeats already
/// written and skip cleaning and encoding them) give exactly their own
/// output, at 1, 2 and 8 threads, every other copy counted as duplicates.
/// (Not a text dump: its posts without text or id repeat legitimately,
/// told apart by their place, `clean::fingerprint`.)
#[test]
fn saved_pages_repeated_give_their_posts_once() {
    let d = scratch("repeated");
    let page = std::fs::read(root().join("fixtures/web/two-channels-one-file/input.html")).unwrap();
    // One name, two folders: the posts' `source` names the file.
    let (once, many) = (d.join("once"), d.join("many"));
    for (dir, copies) in [(&once, 1), (&many, 120)] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("pages.html"), page.repeat(copies)).unwrap();
    }
    let run = |dir: &Path, threads: &str| {
        let sum = dir.join(format!("summary-{threads}.json"));
        let args = ["pages.html", "--summary", sum.to_str().unwrap()];
        let run = tgnorm_within_a_minute(dir, &args, threads);
        assert_eq!(run.code, 0, "{}", run.stderr);
        (run.stdout, summary(&sum))
    };
    let (alone, counts) = run(&once, "2");
    let posts = alone.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(posts >= 10, "{posts} posts");
    for threads in ["1", "2", "8"] {
        let (out, s) = run(&many, threads);
        assert!(out == alone, "{threads} threads: not the pages' own output");
        assert_accounting(threads, &s);
        assert_eq!(s["written"], posts, "{threads} threads");
        assert_eq!(s["read"], counts["read"].as_u64().unwrap() * 120);
        assert_eq!(s["cleaned"], counts["cleaned"], "cleaned counts");
    }
}
