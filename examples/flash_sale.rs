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
//! time, checks the service's health again and writes every artifact a
//! spike test writes (`report.json`, `report.html`, `timeline.csv`,
//! `latency.hlog`) under the spike home, as a `#[spike_test]` named
//! `flash_sale` would: `$SPIKE_HOME/flash_sale/`, else
//! `$CARGO_TARGET_DIR/spike/flash_sale/`, else `target/spike/flash_sale/`.
//! The last line it prints is the path of `report.html`: open it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    // The last printed snapshot: (whole second, elapsed, completed).
    let last: Mutex<Option<(u64, Duration, u64)>> = Mutex::new(None);
    let started = Instant::now();
    let mut report = Scenario::new("flash_sale")
        .shape(shape)
        .window(ms(500))
        .on_progress(move |p: &Progress| {
            let second = p.elapsed.as_secs();
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_none_or(|(s, _, _)| s != second) {
                // Completions per second since the previous line: now.
                let now = last.and_then(|(_, t, done)| {
                    let span = p.elapsed.checked_sub(t)?.as_secs_f64();
                    (span > 0.0).then(|| p.completed.saturating_sub(done) as f64 / span)
                });
                print_progress(p, now);
                *last = Some((second, p.elapsed, p.completed));
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
    // Every artifact a spike test writes, where a `#[spike_test]` named
    // `flash_sale` would write them.
    let dir = spike::spike_home().join(spike::folder_name(&report.scenario));
    report.artifacts = Some(dir.clone());
    let paths = spike::artifacts::write_all(&report, &dir)?;
    println!("\n  report.json:  {}", paths.report_json.display());
    println!("  timeline.csv: {}", paths.timeline_csv.display());
    if let Some(hlog) = &paths.latency_hlog {
        println!("  latency.hlog: {}", hlog.display());
    }
    println!("  open the report in a browser:");
    println!("{}", absolute(&paths.report_html).display());
    Ok(())
}

/// `path` from the filesystem root, so it can be pasted into a browser.
fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn print_progress(p: &Progress, completing_now: Option<f64>) {
    let now = completing_now.map_or_else(|| "    -".to_owned(), |r| format!("{r:5.0}"));
    let closed = match &p.last_window {
        Some(w) => format!(
            "window {:.1}–{:.1}s (last closed): p95 {:>8}, errors {:5.1}%",
            w.start.as_secs_f64(),
            w.end.as_secs_f64(),
            spike::fmt::duration_us(w.stats.latency.p95_us),
            w.stats.error_rate * 100.0,
        ),
        None => "no window closed yet".to_owned(),
    };
    println!(
        "[{:5.1}s / {:4.1}s] {:<9} now: target {:>5.0} rps, completing {now}/s, in flight {:>4}, done {:>6} | {closed}",
        p.elapsed.as_secs_f64(),
        p.planned.as_secs_f64(),
        p.phase,
        p.target,
        p.in_flight,
        p.completed,
    );
}
