//! The `bellows` command: parses arguments, calls the planner and the executor, renders
//! output, and maps failures to the documented exit codes.

mod cli;
mod process;

use std::process::ExitCode;

fn main() -> ExitCode {
    process::configure_memory();
    cli::main()
}
