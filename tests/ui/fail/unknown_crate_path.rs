// The generated code goes through the `crate` path given, so a wrong one
// fails to resolve right there.
use spike::prelude::*;

#[spike_test(crate = "not_spike")]
async fn wrong_crate() {}

fn main() {}
