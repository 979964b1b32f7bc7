use spike::prelude::*;

#[spike_test]
struct Load {
    rate: u64,
}

#[spike_test]
mod spikes {}

#[spike_test]
const RATE: u64 = 10;

fn main() {
    let _ = Load { rate: RATE };
}
