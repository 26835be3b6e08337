//! The `bellows` command: parses arguments, calls the planner (and later the
//! executor), renders output, and maps failures to the documented exit codes.

mod cli;

use std::process::ExitCode;

/// The parser's syntax trees are many small allocations, made and freed per statement.
/// With mimalloc, `bellows lint --format json` on the corpus's all-shared-migrations.sql
/// took 164 ms (median of 25 runs) against 188 ms with the system allocator (at 80 MB
/// peak memory instead of 45 MB); across the migrations folder the two were even.
/// mimalloc 2 (the `v2` feature) then took 155 ms against mimalloc 3's 165 ms, at 71 MB:
/// it reuses the pages a parse thread frees where mimalloc 3 takes fresh ones.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    // mimalloc.h, linked with the `mimalloc` crate.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_t` (the same in mimalloc 2 and 3).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> ExitCode {
    // bellows runs for a moment and exits: memory mimalloc gives back to the kernel
    // while it runs is only faulted in again (78 MiB of it on the corpus file). Keeping
    // it took the median of 40 runs from 175 ms to 166 ms and the slowest from 333 ms to
    // 302 ms, at the same peak.
    // SAFETY: sets an option; called before any thread is started.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    planner::sql::libpg_query::keep_parser_memory();
    cli::main()
}
