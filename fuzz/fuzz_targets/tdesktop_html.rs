//! Fuzzes the Telegram Desktop HTML reader: any bytes, read to the end,
//! must give posts and errors, never a panic; every post must serialise,
//! and writing the posts back as HTML must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::{tdesktop_html::Reader, Notes};

fuzz_target!(|data: &[u8]| {
    let reader = Reader::new(data, "fuzz.html".into(), Notes::default());
    let mut writer = tgnorm::write::tdesktop_html::Writer::new(Vec::new(), "-".into());
    for item in reader.take(100_000) {
        if let Ok(post) = item {
            let _ = serde_json::to_string(&post);
            let _ = writer.write(&post);
        }
    }
    let _ = writer.finish();
});
