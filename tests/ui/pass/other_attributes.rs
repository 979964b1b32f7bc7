// Other attributes pass through; a user-defined `test` macro does not
// capture the generated test attribute.
#![deny(unused_attributes, unexpected_cfgs)]

use spike::prelude::*;

#[allow(unused_macros)]
macro_rules! test {
    () => {};
}

/// Doc comments stay.
#[spike_test]
#[should_panic(expected = "boom")]
async fn should_panic_passes_through() {
    panic!("boom");
}

#[spike_test(timeout = "1s")]
#[ignore = "has its own reason, kept instead of the feature hint"]
async fn own_ignore() {}

#[spike_test]
#[allow(clippy::unused_async)]
#[cfg(not(any()))]
async fn lint_and_cfg() {}

#[deny(unused_variables)]
#[spike_test]
async fn attribute_before_the_macro() {}

fn main() {}
