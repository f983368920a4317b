//! Command-line entry point: parse arguments, run, map the outcome to an
//! exit code. Everything else is in `cli.rs` and the library.

mod alloc;
mod cli;
mod output;

use std::process::ExitCode;

fn main() -> ExitCode {
    alloc::return_freed_memory_sooner();
    // Without it an interrupted run would leave its temporary file; with
    // it, it does not (and the default action, to end the process, stays).
    if let Err(err) = output::remove_on_signal() {
        eprintln!("tgnorm: warning: no signal handler, an interrupted run may leave a temporary file: {err}");
    }
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout (exit 0), errors to stderr.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(cli) {
        Ok(exit) => exit.into(),
        // Unix convention, as in ripgrep: a closed pipe (`| head`) is not an error.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tgnorm: {err}");
            ExitCode::from(cli::Exit::from(err.kind()))
        }
    }
}
