//! The `ecrm` binary: parse the command line, set up logging, run the command.

use clap::Parser;

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
