//! Fuzz target for the saved-web-page reader: any bytes, no panic, no hang,
//! and every post it yields survives cleaning, JSONL and the text writer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::clean::{clean_post, Config};
use tgnorm::model::Post;
use tgnorm::read::{web, Notes};

fuzz_target!(|data: &[u8]| {
    // The first byte picks a chunk size, so the cutting at post boundaries
    // is exercised too.
    let chunk = match data.first() {
        Some(b) if b % 2 == 1 => 64 + usize::from(*b),
        _ => web::CHUNK,
    };
    let reader = web::Reader::with_chunk(data, "fuzz.html".into(), Notes::default(), chunk);
    for item in reader {
        let Ok(mut post) = item else { continue };
        let json = serde_json::to_string(&post).expect("a post serialises");
        let back: Post = serde_json::from_str(&json).expect("its JSON reads back");
        assert_eq!(back, post, "JSON round trip");
        clean_post(&mut post, &Config::default());
        let once = post.clone();
        clean_post(&mut post, &Config::default());
        assert_eq!(once.text, post.text, "cleaning is idempotent");
        let _ = tgnorm::write::text::render(&post);
    }
});
