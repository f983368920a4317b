//! Differential fuzz target for the web reader's fast path: on any input, cut
//! into post regions as the reader cuts it, the reader must yield exactly what it yields
//! with html5ever alone (`Reader::reference_only`): the same posts, the same
//! rejections at the same places. Seeds: `fixtures/web/*/input*.html` and the corpus pages.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::web;

fuzz_target!(|data: &[u8]| {
    // The first byte picks a chunk size, so the cutting is exercised too.
    let chunk = match data.first() {
        Some(b) if b % 2 == 1 => 64 + usize::from(*b),
        _ => web::CHUNK,
    };
    let check = web::check_fast_path(data, chunk);
    assert_eq!(check.differ, 0, "the fast path and html5ever disagree: {check:?}");
});
