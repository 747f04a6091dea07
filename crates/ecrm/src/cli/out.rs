//! Standard output for the command line: `ecrm customers list | head` closes the pipe early, and a
//! command then stops quietly (exit status 0) instead of panicking in `println!`. The `println!`
//! macro of `cli` (defined in `cli/mod.rs`) writes through [`write_stdout`].

use std::io::Write;

/// Writes to standard output; a closed pipe ends the process quietly, any other write error ends
/// it with a message and status 1.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    let result = std::io::stdout().lock().write_fmt(args);
    if let Err(err) = result {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {err}");
        std::process::exit(1);
    }
}

/// Whether an error comes from writing to a closed pipe (a reader such as `head` went away).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(|csv| {
                matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipes_are_recognised_through_context_and_csv() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&anyhow::Error::new(pipe())));
        assert!(is_broken_pipe(
            &anyhow::Error::new(pipe()).context("writing members")
        ));
        assert!(is_broken_pipe(&anyhow::Error::new(
            csv::Error::from(pipe())
        )));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("Broken pipe")));
    }
}
