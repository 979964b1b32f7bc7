//! spike's own memory over a long soak (issue 13, `docs/performance.md`,
//! "Soak: spike's own RSS"): an open-model hold at RATE arrivals per
//! second for SECS seconds, sampling this process's RSS, fds and threads
//! once per second, then the first, last and peak RSS after a 10 s
//! warm-up, the Theil–Sen slope with its 95 % band, and the RSS every 30 s.
//!
//! ```sh
//! cargo build --release --example soak_rss
//! nice target/release/examples/soak_rss 600 10000          # no-op workload
//! nice target/release/examples/soak_rss 600 10000 http     # the demo service on 127.0.0.1
//! ```
//!
//! Arguments: `SECS` (default 600), `RATE` (default 10000), and the
//! workload, `noop` (default: an async no-op, so the numbers are the
//! generator's alone) or `http` (GET against the demo service in this
//! process, whose memory is then in the RSS too). Exits non-zero when the
//! verdict says spike's own memory leaks.

use spike::demo::DemoService;
use spike::http::Http;
use spike::prelude::*;
use spike::soak::{fmt_bytes, memory_verdict, SoakCriteria, SELF_SERIES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secs_arg: u64 = args.first().map_or(Ok(600), |s| s.parse())?;
    let rate: f64 = args.get(1).map_or(Ok(10_000.0), |s| s.parse())?;
    let mode = args.get(2).map_or("noop", String::as_str).to_owned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let shape = Shape::builder().hold(rps(rate), secs(secs_arg)).build()?;
        let scenario = Scenario::new("soak_rss")
            .shape(shape)
            .window(secs(1))
            .sample_resources(Resources::this_process());
        let report = match mode.as_str() {
            "noop" => scenario.run(|_ctx: Ctx| async {}).await?,
            "http" => {
                let demo = DemoService::builder().capacity(256).work(ms(1)).start().await?;
                let http = Http::builder(demo.url()).build()?;
                scenario.run(http.get("/health")).await?
            }
            other => return Err(format!("unknown workload `{other}`: noop or http").into()),
        };
        let criteria = SoakCriteria {
            warm_up: secs(10),
            ..SoakCriteria::default()
        };
        let v = memory_verdict(&report, SELF_SERIES, criteria)?;
        println!("{report}");
        println!(
            "soak_rss: {mode} at {rate} rps for {secs_arg}s ({} done, {} dropped, schedule lag p99 {}µs)",
            report.total.completed, report.generator.dropped, report.generator.schedule_lag.p99_us
        );
        println!(
            "spike's own RSS after a 10s warm-up: first {}, last {}, peak {}, growth {}; Theil–Sen slope {}/s [95% band {}/s … {}/s] over {:.0}s → {}",
            fmt_bytes(v.first_bytes),
            fmt_bytes(v.last_bytes),
            fmt_bytes(v.peak_bytes),
            fmt_bytes(v.growth_bytes),
            fmt_bytes(v.slope.estimate),
            fmt_bytes(v.slope.low),
            fmt_bytes(v.slope.high),
            v.span_s(),
            if v.leaking { "LEAKING" } else { "flat (not leaking)" }
        );
        // The curve itself, every 30 windows: a step (a pool, an arena
        // growing once) and a slope (a leak) read differently here.
        let curve: Vec<String> = report
            .windows
            .iter()
            .step_by(30)
            .filter_map(|w| {
                let s = w.resources.get(SELF_SERIES)?;
                Some(format!(
                    "{:.0}s {} ({} fds)",
                    w.end.as_secs_f64(),
                    fmt_bytes(s.rss_bytes as f64),
                    s.fds.map_or_else(|| "?".to_owned(), |n| n.to_string())
                ))
            })
            .collect();
        println!("RSS (open fds) every 30s: {}", curve.join(", "));
        if v.leaking {
            return Err("spike's own memory grows".into());
        }
        Ok(())
    })
}
