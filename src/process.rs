//! Process-wide memory settings of the `bellows` binary, set once at start: the
//! allocator and the C heap that libpg_query uses. The libraries never touch them.
//! The lint benchmark includes this file too, so that its figures match the binary.

/// mimalloc: the parser's syntax trees are many small allocations, made and freed per
/// statement. With mimalloc, `bellows lint --format json` on the corpus's
/// all-shared-migrations.sql took 164 ms (median of 25 runs) against 188 ms with the
/// system allocator (at 80 MB peak memory instead of 45 MB); across the migrations folder
/// the two were even. mimalloc 2 (the `v2` feature) then took 155 ms against mimalloc 3's
/// 165 ms, at 71 MB: it reuses the pages a parse thread frees where mimalloc 3 takes
/// fresh ones.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    // mimalloc.h, linked with the `mimalloc` crate.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_t` (the same in mimalloc 2 and 3).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Sets the process's memory behaviour; call once, first thing in `main`, before any
/// thread is started.
pub fn configure_memory() {
    // bellows runs for a moment and exits: memory mimalloc gives back to the kernel
    // while it runs is only faulted in again (78 MiB of it on the corpus file). Keeping
    // it took the median of 40 runs from 175 ms to 166 ms and the slowest from 333 ms to
    // 302 ms, at the same peak.
    // SAFETY: sets an option; called before any thread is started.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    keep_parser_memory();
}

/// Makes the C allocator keep the memory libpg_query frees, for the next parse.
///
/// Every parse allocates its memory contexts and its protobuf output with glibc's
/// `malloc` and frees them when it returns; glibc then hands the top of the heap back
/// to the kernel (and serves blocks over 128 KiB with fresh `mmap`s), so the next parse
/// faults the same memory in again, zeroed. For `bellows lint` on the corpus's 3.8 MB
/// all-shared-migrations.sql that was 7,900 page faults instead of 900 and about 10 ms.
/// Memory in use is unchanged.
fn keep_parser_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::ffi::c_int;
        // glibc's malloc.h.
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        // SAFETY: mallopt only sets allocator parameters; both values are in range
        // (the mmap threshold's maximum is 32 MiB on 64-bit).
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
        }
    }
}
