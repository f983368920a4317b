//! The allocator: mimalloc, returning freed memory within 50 ms.
//!
//! **Why mimalloc.** Posts are built on the reader thread and the workers,
//! and freed on the writer thread; glibc's arenas serialise that on a lock
//! (a quarter of the CPU time went to futex wake-ups; issue 3).
//!
//! **Why the purge delay.** mimalloc 3 keeps the pages it frees for a
//! second (`purge_delay`, 1000 ms) before it gives them back to the system,
//! in case they are wanted again. A conversion frees memory on another
//! thread than the one that made it (Arrow batches are built on the workers
//! and encoded and dropped on the writer), so for that second every thread
//! holds the pages of its own high-water mark, and peak RSS is their sum:
//! 69–80 MB for `--to parquet` on the 1 GiB benchmark export, against 41 MB
//! with immediate purging. 50 ms keeps most of the speed of the default
//! (pages reused within a batch are still reused) and brings that peak
//! under the 64 MB the project promises (issue 15; figures in the README's
//! benchmark section, `scripts/bench.sh`).
//!
//! The one call that sets it is the only `unsafe` of tgnorm (the library
//! forbids it); the tests below check that the option it sets is the one
//! mimalloc calls `purge_delay`, so that a renumbering of mimalloc's option
//! list in a later version fails a test instead of setting another option.

use libmimalloc_sys::mi_option_t;
use std::ffi::c_long;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc 3's `mimalloc.h` (`libmimalloc-sys`
/// names the options of mimalloc 2, where this index had another name).
const PURGE_DELAY: mi_option_t = 15;

/// Milliseconds a freed page is kept before it is returned to the system.
const PURGE_DELAY_MS: c_long = 50;

/// mimalloc's default for [`PURGE_DELAY`]: what the tests expect to read
/// there before it is set.
#[cfg(test)]
const DEFAULT_PURGE_DELAY_MS: c_long = 1000;

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`]; call it once, first
/// thing in `main`. `MIMALLOC_PURGE_DELAY` in the environment still wins:
/// a user who set it meant it.
pub fn return_freed_memory_sooner() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table
    // (a relaxed atomic store); it is documented as callable at any time,
    // from any thread, and reads no memory of ours. `PURGE_DELAY` is the
    // index of `mi_option_purge_delay` in the bundled mimalloc 3, which
    // `purge_delay_is_the_option_set` checks against its default value.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(option: mi_option_t) -> c_long {
        // SAFETY: `mi_option_get` reads an integer of mimalloc's option
        // table (initialising it from the environment once); any index
        // below `_mi_option_last` is valid, and 15 is.
        unsafe { libmimalloc_sys::mi_option_get(option) }
    }

    #[test]
    fn the_bundled_mimalloc_is_version_3() {
        // SAFETY: `mi_version` returns a constant (major, two digits of
        // minor, two of patch: 30302 is 3.3.2).
        let version = unsafe { libmimalloc_sys::mi_version() };
        assert!(
            (30_000..40_000).contains(&version),
            "mimalloc {version}: check PURGE_DELAY's index"
        );
    }

    /// Option 15 holds mimalloc 3's default purge delay (its neighbours,
    /// 14 and 16, are 0 by default), and setting it changes what mimalloc
    /// reads back.
    #[test]
    fn purge_delay_is_the_option_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        assert_eq!(get(PURGE_DELAY), DEFAULT_PURGE_DELAY_MS);
        assert_ne!(get(PURGE_DELAY - 1), DEFAULT_PURGE_DELAY_MS);
        assert_ne!(get(PURGE_DELAY + 1), DEFAULT_PURGE_DELAY_MS);
        return_freed_memory_sooner();
        assert_eq!(get(PURGE_DELAY), PURGE_DELAY_MS);
    }
}
