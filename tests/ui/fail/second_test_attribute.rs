use spike::prelude::*;

#[spike_test]
#[test]
async fn with_test() {}

#[spike_test]
#[tokio::test]
async fn with_tokio_test() {}

#[spike_test]
#[spike::spike_test]
async fn twice() {}

fn main() {}
