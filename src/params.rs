//! What every config shares: consuming setters and range checks that name
//! the parameter. Below every stage, so stage configs and the composed
//! configs of [`crate::config`] use it without import cycles.

use crate::error::{Error, Result};

/// Check a condition for a named parameter.
pub(crate) fn check(ok: bool, param: &'static str, reason: &str) -> Result<()> {
    if ok { Ok(()) } else { Err(Error::invalid(param, reason)) }
}

/// The windows every path accepts: contexts up to this many steps (graphs)
/// or words (text) away. Checked here once for configs and saved models.
pub(crate) const WINDOWS: std::ops::RangeInclusive<usize> = 1..=1000;

/// Check a window against [`WINDOWS`].
pub(crate) fn check_window(window: usize) -> Result<()> {
    check(WINDOWS.contains(&window), "window", "must be in [1, 1000]")
}

/// Consuming setters `fn field(self, value) -> Self` for the listed fields.
macro_rules! setters {
    ($ty:ty { $($(#[$m:meta])* $name:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $( $(#[$m])* pub fn $name(mut self, value: $t) -> Self { self.$name = value; self } )*
        }
    };
}
pub(crate) use setters;
