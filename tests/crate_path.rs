//! `#[spike_test(crate = "..")]` with the crate known under another name:
//! the generated code must reach `my_spike::__private`, and the test must
//! run in its context like any other spike test.

extern crate spike as my_spike;

use my_spike::prelude::{ms, rps, Ctx, Scenario, Shape};

#[my_spike::spike_test(crate = "my_spike", flavor = "current_thread")]
async fn through_a_renamed_crate() {
    let ctx = my_spike::TestContext::current().expect("inside a spike test");
    assert_eq!(ctx.name(), "through_a_renamed_crate");
    let shape = Shape::builder().hold(rps(20), ms(200)).build().unwrap();
    let report = Scenario::new("renamed")
        .shape(shape)
        .window(ms(100))
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    assert_eq!(report.total.completed, 4);
    let saved = report.artifacts.expect("saved inside a spike test");
    assert!(
        saved.ends_with("through_a_renamed_crate/renamed"),
        "{}",
        saved.display()
    );
}

mod nested {
    pub(crate) use my_spike as reexported;
}

#[my_spike::spike_test(crate = "crate::nested::reexported")]
fn through_a_reexport() {
    let ctx = nested::reexported::TestContext::current().expect("inside a spike test");
    assert_eq!(ctx.name(), "through_a_reexport");
}
