use spike::prelude::*;

#[spike_test(file = "examples/spikes/login.toml")]
async fn login_survives_a_burst(report: spike::Report) {
    expect(&report).request("login").error_rate().below(pct(1)).verify();
}
