// The attribute on an `async fn` and on a plain `fn`, bare and through the
// prelude, with and without a return type.
use spike::prelude::*;

#[spike_test]
async fn bare_async() {}

#[spike::spike_test]
fn bare_sync() {}

#[spike_test]
async fn async_result() -> Result<(), SpikeError> {
    let shape = Shape::builder().hold(rps(10), ms(100)).build()?;
    let report = Scenario::new("tiny").shape(shape).run(|_ctx: Ctx| async {}).await?;
    assert_eq!(report.total.errors, 0);
    Ok(())
}

#[spike_test]
fn sync_result() -> Result<(), String> {
    let ctx = spike::TestContext::current().ok_or("no test context")?;
    assert!(ctx.name().ends_with("sync_result"));
    Ok(())
}

#[spike_test]
pub(crate) async fn with_visibility() {}

fn main() {}
