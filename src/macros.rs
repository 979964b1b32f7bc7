//! Small macros the drivers share.

/// Implement `Debug` as the type's `Display` sentence, so that `.unwrap()`
/// and `{:?}` say why a value was refused rather than listing fields.
macro_rules! debug_as_display {
    ($($error:ty),+ $(,)?) => {$(
        /// The `Display` sentence: what `.unwrap()` prints.
        impl ::std::fmt::Debug for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }
    )+};
}
pub(crate) use debug_as_display;
