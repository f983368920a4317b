//! Facts about an archive format that its reader and its writer share.
//!
//! A reader and a writer of the same format must agree on more than the
//! format's own keys: on the marks tgnorm adds when it writes (which values
//! it derived, which it could not place) and on how to take them back off.
//! Keeping those facts here lets either side change without reaching into
//! the other's module.

pub mod tdesktop_json;

#[cfg(feature = "parquet")]
pub mod arrow;
