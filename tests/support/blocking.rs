//! Runs the harness's async sqlx code from synchronous tests, whether or not the caller is already inside a runtime.

use std::future::Future;

/// Builds the future with `make` and drives it to completion on a private current-thread runtime on a scoped thread.
///
/// A scoped thread rather than `Runtime::block_on` on the caller's thread: a `#[tokio::test]` calling a synchronous
/// helper would otherwise panic with "cannot start a runtime from within a runtime". The future is built on that
/// thread so that it need not be `Send` (sqlx futures often fail the compiler's higher-ranked `Send` check).
pub fn block_on<F, Fut>(make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send,
    Fut: Future,
    Fut::Output: Send,
{
    // The caller's thread name is the test's name: keep it for panic messages and database names.
    let name = std::thread::current().name().unwrap_or("block_on").to_string();
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name(name)
            .spawn_scoped(scope, || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("invariant: a current-thread tokio runtime can be built");
                runtime.block_on(make())
            })
            .expect("invariant: a thread can be spawned for the runtime")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
