//! Fuzz target for `tgnorm validate` on a saved t.me/s page: any bytes, no panic,
//! no hang, and every problem has a place (1-based line and column, or a
//! JSON pointer) and a message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::Format;

// The check is `tgnorm::fuzzing::validate_places`, one for every format.
fuzz_target!(|data: &[u8]| tgnorm::fuzzing::validate_places(data, Format::WebHtml));
