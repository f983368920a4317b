//! Fuzzes the Telegram Desktop JSON reader, and the writer on whatever the
//! reader accepts: no input may panic, and whatever the writer writes must
//! read back as the same number of posts without an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::tdesktop_json::Reader;
use tgnorm::read::Notes;
use tgnorm::write::tdesktop_json::Writer;

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
});
