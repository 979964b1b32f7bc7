//! Prints the message a failing chain of checks produces, from a real run.
//!
//! ```text
//! cargo run -p spike-test-assert --example failure_message
//! ```
//!
//! The workload stands in for a service that slows down and sheds errors
//! during the burst: no network, everything in-process.

use spike_assert::expect;
use spike_core::{ms, pct, rps, spike_home, Ctx, IterError, Scenario, Shape};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shape = Shape::builder()
        .hold(rps(100), ms(500))
        .named("baseline")
        .burst(rps(400), ms(500))
        .recover(rps(100), ms(1_000))
        .build()?;
    let mut report = Scenario::new("failure_message")
        .shape(shape)
        .window(ms(100))
        .run(|ctx: Ctx| async move {
            // Slow in the burst, and for 300 ms after it.
            let slow = ctx.phase() == "burst" || ctx.intended_start() < ms(1_300);
            let slow = slow && ctx.intended_start() >= ms(500);
            tokio::time::sleep(if slow { ms(30) } else { ms(2) }).await;
            if ctx.phase() == "burst" && ctx.iteration().is_multiple_of(20) {
                return Err(IterError::http(503));
            }
            Ok(())
        })
        .await?;
    // Inside `#[spike_test]` the run is saved for you; here, by hand.
    let dir = spike_home().join("failure_message");
    report.write_to(&dir)?;
    report.artifacts = Some(dir);

    let result = expect(&report)
        .error_rate()
        .below(pct(2))
        .p95()
        .below(ms(25))
        .recovery()
        .within(ms(200))
        .phase("burst")
        .p99()
        .below(ms(20))
        .every_window()
        .error_rate()
        .below(pct(2))
        .try_verify();
    match result {
        Ok(_) => println!("every check held (the machine was faster than expected)"),
        Err(failure) => println!("{failure}"),
    }
    Ok(())
}
