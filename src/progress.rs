//! Progress reporting hook. The library never prints: stages report through
//! this trait and the CLI draws bars from it.

/// Receives stage starts, increments and ends. Implementations must be cheap
/// and thread-safe: `inc` is called from worker threads.
pub trait Progress: Sync {
    /// A stage named `stage` starts with `total` units of work (0 = unknown).
    fn start(&self, stage: &str, total: u64);
    /// `n` more units are done.
    fn inc(&self, n: u64);
    /// The current stage is done.
    fn finish(&self);
    /// Whether the caller wants the run stopped (a binding's Ctrl-C): long
    /// stages poll it and return [`crate::error::Error::Interrupted`]. Default: never.
    fn cancelled(&self) -> bool {
        false
    }
}

/// [`crate::error::Error::Interrupted`] if `progress` asks to stop.
pub(crate) fn check(progress: &dyn Progress) -> crate::error::Result<()> {
    if progress.cancelled() { Err(crate::error::Error::Interrupted) } else { Ok(()) }
}

/// Reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn inc(&self, _: u64) {}
    fn finish(&self) {}
}
