use spike::prelude::*;

#[spike_test(timeout = "90 parsecs")]
async fn bad_unit() {}

#[spike_test(timeout = "90")]
async fn no_unit() {}

#[spike_test(timeout = "0s")]
async fn zero_timeout() {}

#[spike_test(timeout = 90)]
async fn timeout_not_a_string() {}

const LIMIT: &str = "90s";

#[spike_test(timeout = LIMIT)]
async fn timeout_not_a_literal() {}

#[spike_test(worker_threads = "4")]
async fn workers_not_a_number() {}

#[spike_test(worker_threads = 0)]
async fn zero_workers() {}

#[spike_test(flavor = "fast")]
async fn unknown_flavor() {}

#[spike_test(flavor = "current_thread", worker_threads = 2)]
async fn workers_on_current_thread() {}

#[spike_test(crate = "not a path")]
async fn crate_not_a_path() {}

#[spike_test(exclusive = "no")]
async fn exclusive_not_a_bool() {}

#[spike_test(attempts = 0)]
async fn zero_attempts() {}

#[spike_test(attempts = "3")]
async fn attempts_not_a_number() {}

fn main() {}
