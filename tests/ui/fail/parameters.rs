use spike::prelude::*;

#[spike_test]
async fn takes_a_parameter(rate: u64) {
    let _ = rate;
}

#[spike_test]
fn takes_two(a: u8, b: u8) {
    let _ = (a, b);
}

fn main() {}
