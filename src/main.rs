//! The `bellows` command: parses arguments, calls the planner (and later the
//! executor), renders output, and maps failures to the documented exit codes.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
