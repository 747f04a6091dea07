//! The `ecrm` binary: parse the command line, set up logging, run the command.

use clap::Parser;

/// mimalloc instead of the system allocator: the batch passes allocate and free millions of
/// small strings on one thread and free them on another (the trait builder and the store's
/// writer), where glibc's malloc spent a third of the profile phase of `ecrm compute`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = ecrm::cli::Cli::parse();
    ecrm::telemetry::init_logging(cli.global.log_format);
    match ecrm::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A reader that went away (`ecrm segments export X | head`) is not an error.
        Err(err) if ecrm::cli::out::is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
