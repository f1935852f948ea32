//! What every config shares: consuming setters and range checks that name
//! the parameter. Below every stage, so stage configs and the composed
//! configs of [`crate::config`] use it without import cycles.

use crate::error::{Error, Result};

/// Check a condition for a named parameter.
pub(crate) fn check(ok: bool, param: &'static str, reason: &str) -> Result<()> {
    if ok { Ok(()) } else { Err(Error::invalid(param, reason)) }
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
