//! A flash sale in 20 seconds: the README's first command.
//!
//! ```sh
//! cargo run --example flash_sale
//! ```
//!
//! Starts the built-in demo service on 127.0.0.1 (3 backends × 2 slots,
//! 20 ms of work per request: 300 requests/s, a queue of 30 per backend,
//! 503 beyond it, and an autoscaler that doubles the slots after 2 s of
//! saturation with a 1 s cold start), waits until it is healthy, then
//! drives `POST /login` through it with distinct users:
//!
//! | phase    | load                | what happens                               |
//! |----------|---------------------|--------------------------------------------|
//! | ramp     | 0 → 100 rps, 2 s    | warm-up                                    |
//! | baseline | 100 rps, 5 s        | the normal day: the baseline for recovery  |
//! | sale     | 500 rps, 4 s        | 5x the baseline, above capacity: queues fill, 503s, the autoscaler doubles capacity after 3 s |
//! | recover  | 100 rps, 9 s        | back to normal: how long until healthy?    |
//!
//! It prints progress every second, then the summary with the recovery
//! time, checks the service's health again and writes the report to
//! `target/spike/flash_sale/report.json`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use spike::demo::{Autoscale, DemoEventKind, DemoService};
use spike::http::Http;
use spike::prelude::*;
use spike::Progress;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = DemoService::builder()
        .backends(3)
        .capacity(2)
        .queue(30)
        .work(ms(20))
        .autoscale(Autoscale {
            after: secs(2),
            cold_start: secs(1),
            add: 2,
            max_steps: 1,
        })
        .start()
        .await?;
    println!(
        "demo service on {} — {} backends, capacity {:.0} requests/s, autoscaler on",
        demo.url(),
        3,
        demo.capacity_rps()
    );

    let http = Http::builder(demo.url()).timeout(secs(5)).build()?;
    let health = http.health("/health").timeout(secs(5));
    let before = health.wait_healthy("before run").await?;

    let login = http
        .post("/login")
        .header("content-type", "application/json")
        .body(r#"{"user":"shopper-{iteration}"}"#)
        .expect_status(200)
        .expect_json("/token")
        .tag_from_header("x-backend");

    let shape = Shape::builder()
        .ramp(rps(100), secs(2))
        .hold(rps(100), secs(5))
        .named("baseline")
        .burst(rps(500), secs(4))
        .named("sale")
        .recover(rps(100), secs(9))
        .build()?;

    let last_second = AtomicU64::new(u64::MAX);
    let started = Instant::now();
    let mut report = Scenario::new("flash_sale")
        .shape(shape)
        .window(ms(500))
        .on_progress(move |p: &Progress| {
            let second = p.elapsed.as_secs();
            if last_second.swap(second, Ordering::Relaxed) != second {
                print_progress(p);
            }
        })
        .run(login)
        .await?;

    let after = health.wait("after recovery").await;
    before.record(&mut report);
    after.record(&mut report);

    println!("\n{report}\n");
    for event in demo.events() {
        let at = event.at.saturating_duration_since(started).as_secs_f64();
        match event.kind {
            DemoEventKind::ScaleUpStarted => {
                println!("  autoscaler: saturated, scale-up started at {at:.1}s")
            }
            DemoEventKind::ScaleUpDone { capacity } => println!(
                "  autoscaler: new capacity online at {at:.1}s ({capacity} slots per backend)"
            ),
            _ => {}
        }
    }
    let shares: Vec<String> = report
        .total
        .tag_shares("x-backend")
        .iter()
        .map(|(b, s)| format!("{b} {:.1}%", s * 100.0))
        .collect();
    println!("  load balancer: {}", shares.join(", "));
    println!(
        "  connections opened: {}; distinct shoppers logged in: {}",
        report.total.counter(spike::http::CONNECTIONS_OPENED),
        demo.stats().distinct_users
    );
    println!(
        "  health after recovery: {}",
        if after.healthy {
            "healthy"
        } else {
            "NOT healthy"
        }
    );
    match report.recovery_time() {
        Some(t) => println!(
            "\n  ⇒ recovered {:.1}s after the flash sale ended",
            t.as_secs_f64()
        ),
        None => println!("\n  ⇒ did not recover within the recover phase"),
    }
    let path = report.write_to("target/spike/flash_sale")?;
    println!("  report: {}", path.display());
    Ok(())
}

fn print_progress(p: &Progress) {
    let (p95, errors) = match &p.last_window {
        Some(w) => (
            spike::fmt_micros(w.stats.latency.p95_us),
            format!("{:5.1}%", w.stats.error_rate * 100.0),
        ),
        None => ("-".to_owned(), "    -".to_owned()),
    };
    println!(
        "[{:5.1}s / {:4.1}s] {:<9} target {:>5.0} rps  done {:>6}  in flight {:>4}  last window: p95 {:>8}, errors {}",
        p.elapsed.as_secs_f64(),
        p.planned.as_secs_f64(),
        p.phase,
        p.target,
        p.completed,
        p.in_flight,
        p95,
        errors,
    );
}
