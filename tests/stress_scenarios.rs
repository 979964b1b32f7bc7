//! Capacity and early-stop scenarios of issue 13 as `#[spike_test]`s
//! against the demo service on 127.0.0.1. Skipped unless the `spike`
//! feature is on: `cargo test --features spike,http --test stress_scenarios`.
#![cfg(feature = "http")]

use spike::demo::DemoService;
use spike::http::Http;
use spike::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The demo service's capacity, found.
///
/// 1 backend × 4 slots / 5 ms work = 800 requests/s on paper
/// (`capacity_rps()`), the most it can complete. Each slot's cycle is the
/// work's sleep plus what the construction adds: tokio's timer fires on
/// the next 1 ms tick after the 5 ms (up to +1 ms), then the HTTP answer
/// and the hand-over to the next waiting request (a fraction of a
/// millisecond in a debug build on a busy machine; 0.5 ms allowed). So the
/// true capacity lies between 4 / 6.5 ms = 615/s and 800/s, and R* between
/// 615 × 0.97 = 597/s and 800/s.
///
/// Closer, the truth by the service's own counter (`demo.stats().served`,
/// outside spike): offered 800/s, its queue (256 places) is never empty
/// after 0.1 s and never full before 1.7 s, so from 0.2 s to 1.5 s it
/// completes exactly its capacity C per second (±4 requests, one
/// hand-over of the 4 slots, 0.5 % of 1.3 s × 650/s). R* is within 3 %
/// below C (the bracket), or above it by what a 2.5 s step cannot see: a
/// step δ over C queues δ × 2.4 s of extra wait by its 95th percentile,
/// under the 20 ms p95 bound (minus the 7-12 ms request itself near
/// capacity) only while δ < 0.5 %. But C itself moves with the load on two
/// cores shared by client and server: offered 667/s the service served
/// 662/s, offered 800/s 648/s; and the 1.3 s measurement of C itself
/// moved from 637/s to 653/s across runs (±1.3 %). So R* is asserted
/// within the search's ±3 % of C widened by that: [0.95 C, 1.05 C] (a
/// search that only doubled would say 400).
#[spike_test(timeout = "120s")]
async fn demo_service_capacity_is_found() -> TestResult {
    let demo = std::sync::Arc::new(
        DemoService::builder()
            .backends(1)
            .capacity(4)
            .queue(256)
            .work(ms(5))
            .start()
            .await?,
    );
    let nominal = demo.capacity_rps();
    assert_eq!(nominal, 800.0);
    let http = Http::builder(demo.url()).build()?;
    http.health("/health").wait_healthy("before run").await?;
    let sampler = {
        let demo = demo.clone();
        tokio::spawn(async move {
            tokio::time::sleep(ms(200)).await;
            let (before, since) = (demo.stats().served[0], std::time::Instant::now());
            tokio::time::sleep(ms(1_300)).await;
            (demo.stats().served[0] - before) as f64 / since.elapsed().as_secs_f64()
        })
    };
    Scenario::new("demo-saturated")
        .shape(Shape::builder().hold(rps(nominal), ms(1_600)).build()?)
        .run(http.get("/work"))
        .await?;
    let c = sampler.await?;
    println!("capacity by the service's counter: {c:.1}/s");
    // Let the queue drain before the search starts.
    tokio::time::sleep(ms(500)).await;
    // SLO: p95 ≤ 20 ms (a request's own time is 5-7 ms, 12 near capacity).
    let cap = Stress::new("demo-capacity")
        .slo(Slo::new().p95(ms(20)).p99(ms(80)).error_rate(pct(1)))
        .start_rate(100.0)
        .step(ms(500), secs(2))
        .find_capacity(http.get("/work"))
        .await?;
    println!("{cap}");
    let low = 4.0 / 0.0065 * 0.97;
    expect(&cap)
        .capacity()
        .at_least(rps(low))
        .capacity()
        .at_most(rps(nominal))
        .capacity()
        .between(rps(c * 0.95), rps(c * 1.05))
        .verify();
    assert!(cap.steps.len() <= 8, "{cap}");
    // The harness keeps the capacity report for `capacity.json` / `.html`.
    let test = spike::TestContext::current().ok_or("inside #[spike_test]")?;
    assert_eq!(test.capacities().len(), 1);
    Ok(())
}

/// An assertion on a run that an abort rule stopped fails, and its message
/// says why the run stopped; the run is a verdict, not inconclusive.
#[spike_test(timeout = "60s")]
async fn an_aborted_run_fails_its_slo_with_the_reason_shown() -> TestResult {
    // 1 slot / 20 ms = 50 requests/s; at 200/s the queue of 64 fills in
    // under half a second and latency passes 50 ms within the first windows.
    let demo = DemoService::builder()
        .capacity(1)
        .queue(64)
        .work(ms(20))
        .start()
        .await?;
    let http = Http::builder(demo.url()).build()?;
    let report = Scenario::new("aborted")
        .shape(Shape::builder().hold(rps(200), secs(10)).build()?)
        .window(ms(100))
        .abort_when(Abort::when(WindowCheck::p95_above(ms(50))).for_windows(3))
        .run(http.get("/work"))
        .await?;
    let aborted = report.aborted.as_ref().ok_or("the rule fired")?;
    assert!(report.elapsed < secs(5), "{report}");
    assert!(report.is_conclusive(), "{report}");
    let failure = expect(&report)
        .p95()
        .below(ms(50))
        .try_verify()
        .expect_err("the SLO broke");
    let message = failure.to_string();
    assert!(
        message.contains(&format!("ABORTED by rule {}", aborted.rule)),
        "{message}"
    );
    assert!(!message.contains("INCONCLUSIVE"), "{message}");
    Ok(())
}
