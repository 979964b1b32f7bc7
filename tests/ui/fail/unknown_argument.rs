use spike::prelude::*;

#[spike_test(threads = 4)]
async fn unknown_key() {}

#[spike_test(spike::timeout = "1s")]
async fn path_key() {}

#[spike_test(timeout)]
async fn key_without_value() {}

fn main() {}
