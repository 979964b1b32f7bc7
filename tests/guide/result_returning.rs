use spike::prelude::*;

#[spike_test]
async fn small_burst() -> Result<(), SpikeError> {
    let shape = Shape::builder()
        .hold(rps(20), ms(500))
        .burst(rps(100), ms(500))
        .recover(rps(20), secs(1))
        .build()?;
    let report = Scenario::new("small_burst").shape(shape).window(ms(100))
        .run(|_ctx: Ctx| async {}).await?;
    assert_eq!(report.total.errors, 0);
    Ok(())
}
