//! Fuzzes the Telegram Desktop JSON reader, and the writer on whatever the
//! reader accepts: no input may panic, and whatever the writer writes must
//! read back as the same number of posts without an error.
//!
//! Also differential: messages cut out by their layout must give what
//! walking every byte gives (posts, positions, notes, repairs), on every
//! input that the walker reads without an error and where the cut's premise
//! holds (no raw newline inside a string).
//! Seed the corpus with real exports (`fuzz/README.md`) so that inputs have
//! the layout at all.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::tdesktop_json::repair::{Class, Repairer};
use tgnorm::read::tdesktop_json::Reader;
use tgnorm::read::Notes;
use tgnorm::write::tdesktop_json::Writer;

fn outcome<R: std::io::Read>(reader: Reader<R>, notes: &Notes) -> (Vec<String>, String) {
    let items = reader
        .map(|r| match r {
            Ok(p) => format!("{p:?}"),
            Err(e) => format!("error {e}"),
        })
        .collect();
    (items, format!("{:?} {:?}", notes.snapshot(), notes.counters()))
}

/// No raw newline inside a string (what cutting by layout relies on).
fn newlines_outside_strings(data: &[u8]) -> bool {
    let mut m = Repairer::new();
    let mut sink = Vec::new();
    data.iter().all(|&b| {
        sink.clear();
        !(m.feed(b, &mut sink) == Class::Inside && b == b'\n')
    })
}

fuzz_target!(|data: &[u8]| {
    let posts: Vec<_> = Reader::new(data, "fuzz".into(), Notes::default()).filter_map(Result::ok).collect();
    let mut w = Writer::new(Vec::new(), "out".into());
    for p in &posts {
        w.write(p).expect("writing to memory");
    }
    let out = w.finish().expect("writing to memory");
    let back: Vec<_> = Reader::new(&out[..], "out".into(), Notes::default()).collect();
    if let Some(Err(e)) = back.iter().find(|r| r.is_err()) {
        panic!("writer output does not read back: {e}\n{}", String::from_utf8_lossy(&out));
    }
    assert_eq!(back.len(), posts.len(), "writer output has another number of posts");

    if newlines_outside_strings(data) {
        let (a, b) = (Notes::default(), Notes::default());
        let walked = outcome(Reader::new(data, "fuzz".into(), b.clone()).walk_only(), &b);
        // Where a message is broken, the two ways may recover differently
        // (a layout cut rejects an unbalanced message alone; walking runs to
        // the end of the file looking for its end): compare on files the
        // walker reads without an error.
        if walked.0.iter().all(|item| !item.starts_with("error")) {
            let cut = outcome(Reader::new(data, "fuzz".into(), a.clone()), &a);
            assert_eq!(cut, walked, "cutting by layout differs from walking");
        }
    }
});
