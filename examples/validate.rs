//! Checks archives against tgnorm's bundled schemas and prints every
//! problem with its position:
//! `cargo run --example validate -- fixtures/invalid/post-id-string/input.jsonl`.

use tgnorm::validate::{self, Schema};

fn main() -> Result<(), tgnorm::Error> {
    let options = validate::Options {
        inputs: std::env::args_os().skip(1).map(Into::into).collect(),
        schema: Schema::Auto,
        max_errors: None,
        read: Default::default(),
        progress: false,
    };
    let report = validate::run(&options, &mut |problem| {
        println!("{problem}");
        Ok(())
    })?;
    eprintln!("{}", report.line());
    std::process::exit(if report.errors > 0 { 1 } else { 0 })
}
