//! The `pmivec` command line: a thin layer over the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pmivec: {e:#}");
            ExitCode::from(2)
        }
    }
}
