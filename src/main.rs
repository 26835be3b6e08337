//! The `bellows` command: parses arguments, calls the planner (and later the
//! executor), renders output, and maps failures to the documented exit codes.

mod cli;

use std::process::ExitCode;

/// The parser's syntax trees are many small allocations, made and freed per statement:
/// mimalloc lints the shared corpus markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
