use spike::prelude::*;

#[spike_test(timeout = "1s", worker_threads = 2, timeout = "2s")]
async fn duplicate_timeout() {}

#[spike_test(crate = "spike", crate = "spike")]
async fn duplicate_crate() {}

fn main() {}
