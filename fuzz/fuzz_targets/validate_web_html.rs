//! Fuzz target for `tgnorm validate` on a saved t.me/s page: any bytes, no panic,
//! no hang, and every problem has a place (1-based line and column, or a
//! JSON pointer) and a message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tgnorm::read::Format;
use tgnorm::validate::{self, Problem};

fuzz_target!(|data: &[u8]| {
    let mut emit = |p: &Problem| {
        assert!(p.line.is_none_or(|l| l >= 1), "line 0: {p}");
        assert!(p.column.is_none_or(|c| c >= 1), "column 0: {p}");
        assert!(p.column.is_none() || p.line.is_some(), "a column without a line: {p}");
        assert!(p.line.is_some() || p.pointer.is_some(), "no place: {p}");
        assert!(!p.message.is_empty(), "no message: {p}");
        Ok(())
    };
    // A fatal error (the validator gives up on the file) has a place too.
    let run = validate::check_bytes(data, "fuzz", Format::WebHtml, &mut emit);
    if let Err(e) = run {
        let at = e.position();
        assert!(at.line.is_none_or(|l| l >= 1) && at.column.is_none_or(|c| c >= 1), "{e}");
    }
});
