//! The `pmivec` command line: a thin layer over the library.
//! Exit status: 0 success, 1 ran but some query label was not found, 2 error.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // A bug should read as one line, not a backtrace; exit status 2 as for errors.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("pmivec: internal error (please report): {info}");
        pmivec::output::remove_staged_files();
        std::process::exit(2);
    }));
    match cli::run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            // A closed stdout (e.g. `| head`) is not an error worth reporting.
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            eprintln!("pmivec: {}", cli::in_flags(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
