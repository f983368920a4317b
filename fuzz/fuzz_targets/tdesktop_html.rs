//! Fuzzes the Telegram Desktop HTML reader: any bytes, read to the end,
//! must give posts and errors, never a panic; every post must serialise,
//! and writing the posts back as HTML must not panic either. Reading the
//! same bytes through a small window (refilled many times) must give the
//! same items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::{tdesktop_html::Reader, Notes};

fuzz_target!(|data: &[u8]| {
    let reader = Reader::new(data, "fuzz.html".into(), Notes::default());
    let mut writer = tgnorm::write::tdesktop_html::Writer::new(Vec::new(), "-".into());
    let mut whole = Vec::new();
    for item in reader.take(100_000) {
        whole.push(format!("{item:?}"));
        if let Ok(post) = item {
            let _ = serde_json::to_string(&post);
            let _ = writer.write(&post);
        }
    }
    let _ = writer.finish();
    let chunk = usize::from(data.first().copied().unwrap_or(1) % 64) + 1;
    let windowed: Vec<String> =
        Reader::with_chunk(data, "fuzz.html".into(), Notes::default(), chunk)
            .take(100_000)
            .map(|item| format!("{item:?}"))
            .collect();
    assert_eq!(windowed, whole, "window of {chunk} bytes");
});
