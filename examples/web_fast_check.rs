//! Checks the web reader's fast path against html5ever on saved pages:
//! every post region the fast path builds must give html5ever's tree.
//!
//!     cargo run --release --example web_fast_check -- PAGE.html…
//!
//! Prints, per file, the regions, how many the fast path built and how many
//! differ (must be 0); exits 1 when any differs.

fn main() {
    let mut differ = 0;
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        };
        let check = tgnorm::read::web::check_fast_path(&bytes, tgnorm::read::web::CHUNK);
        println!(
            "{path}: {} regions, {} by the fast path; {} items, {} differ",
            check.regions, check.fast, check.items, check.differ
        );
        differ += check.differ;
    }
    std::process::exit(i32::from(differ > 0));
}
