use spike::prelude::*;

#[spike_test(timeout = "60s")]
async fn checkout_recovers_from_a_burst() {
    let shape = Shape::builder()
        .hold(rps(50), secs(5)).named("baseline")
        .burst(rps(500), secs(5))
        .recover(rps(50), secs(10))
        .build()
        .expect("a valid shape");
    let report = Scenario::new("checkout")
        .shape(shape)
        .run(|_ctx: Ctx| async {
            // call the service on 127.0.0.1 here
        })
        .await
        .expect("the scenario runs");
    expect(&report)
        .error_rate().below(pct(1))
        .recovery().within(secs(5))
        .verify();
}
