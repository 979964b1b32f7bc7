// `crate = ".."` names the spike crate when it is known under another name.
extern crate spike as my_spike;

use my_spike::prelude::{ms, rps, Ctx, Scenario, Shape};

#[my_spike::spike_test(crate = "my_spike")]
async fn through_a_renamed_crate() {
    let shape = Shape::builder().hold(rps(10), ms(100)).build().unwrap();
    let report = Scenario::new("renamed")
        .shape(shape)
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    assert!(my_spike::TestContext::current().is_some());
    assert_eq!(report.total.errors, 0);
}

mod nested {
    pub(crate) use my_spike as reexported;
}

#[my_spike::spike_test(crate = "crate::nested::reexported")]
fn through_a_reexport() {}

fn main() {}
