//! The small async runtime one exchange runs on. Callers are synchronous (the checks run
//! one after another, the probe on a few threads), so each exchange gets a current-thread
//! tokio runtime of its own, dropped with everything it spawned when the exchange ends.

use std::future::Future;

/// Run `f` to completion on a fresh runtime. From inside another runtime (a caller that is
/// itself async) it runs on a thread of its own, since runtimes do not nest.
pub(crate) fn block_on<F>(f: F) -> std::io::Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let run = move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map(|rt| rt.block_on(f))
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(run)
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the HTTP thread failed")))
        })
    } else {
        run()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_from_plain_code_and_from_inside_a_runtime() {
        assert_eq!(super::block_on(async { 1 }).unwrap(), 1);
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(
            outer.block_on(async { super::block_on(async { 2 }).unwrap() }),
            2
        );
    }
}
