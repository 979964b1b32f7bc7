// Every argument, every accepted spelling.
use spike::prelude::*;

#[spike_test(worker_threads = 2)]
async fn workers() {}

#[spike_test(flavor = "multi_thread", worker_threads = 1)]
async fn multi_thread() {}

#[spike_test(flavor = "current_thread")]
async fn current_thread() {}

#[spike_test(timeout = "1500ms")]
async fn timeout_in_ms() {}

#[spike_test(timeout = "90s")]
async fn timeout_in_s() {}

#[spike_test(timeout = "2m")]
fn timeout_in_m() {}

#[spike_test(timeout = " 3 s ")]
async fn timeout_spaced() {}

#[spike_test(crate = "::spike")]
async fn crate_default_spelled_out() {}

#[spike_test(exclusive = false)]
async fn shared() {}

#[spike_test(exclusive = true)]
fn exclusive_spelled_out() {}

#[spike_test(worker_threads = 4, timeout = "10s", flavor = "multi_thread", exclusive = true, crate = "spike",)]
async fn all_of_them_and_a_trailing_comma() {}

fn main() {}
