//! Differential fuzz target for `tgnorm validate` on a `result.json`: the
//! fast path (messages cut by the conversion's scanner, checked by workers)
//! prints exactly the problems, at the same places, and the report of the
//! one-thread serde_json path, on any bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tgnorm::fuzzing::validate_paths_agree(data));
