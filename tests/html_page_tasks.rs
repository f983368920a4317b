//! Telegram Desktop HTML folders read with two worker threads, where pages
//! are parsed on the conversion's workers (issue 18 item 3): the same
//! output as one thread, and no wait that never ends when two pages of the
//! largest size parsed that way (4 MiB) fill the pipeline's budget.

use crate::util::*;
use std::path::Path;

/// `tgnorm -q --no-dedup DIR` with `TGNORM_THREADS=threads`: its standard
/// output, or a failure when it has not ended within a minute.
fn convert_with(dir: &Path, threads: &str) -> String {
    let run = tgnorm_within_a_minute(dir, &["-q", "--no-dedup", "."], threads);
    String::from_utf8(run.stdout).unwrap()
}

#[test]
fn pages_of_four_mib_read_with_two_threads_as_with_one() {
    let from = root().join("fixtures/tdesktop-html/pages-cycle");
    let dir = tempfile::tempdir().unwrap();
    for page in ["messages.html", "messages2.html", "messages3.html"] {
        let mut bytes = std::fs::read(from.join(page)).unwrap();
        // Padded to the largest page parsed on the workers.
        bytes.resize(4 << 20, b'\n');
        std::fs::write(dir.path().join(page), bytes).unwrap();
    }
    let one = convert_with(dir.path(), "1");
    assert!(one.lines().count() >= 3, "{one}");
    assert_eq!(convert_with(dir.path(), "2"), one);
}
