//! Resource sampling end to end on a short real run: one sample per
//! window per series, filed under the window it ends, and shown in
//! `timeline.csv` and `report.html`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use spike_core::artifacts::{report_html, timeline_csv};
use spike_core::soak::{Resources, SELF_SERIES};
use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_window_gets_one_sample_of_each_series() {
    let calls = Arc::new(AtomicU64::new(0));
    let probe_calls = calls.clone();
    let report = Scenario::new("soak_artifacts")
        .shape(Shape::builder().hold(rps(50), ms(1_050)).build().unwrap())
        .window(ms(100))
        .lag_budget(secs(1))
        .sample_resources(Resources::this_process().and_probe("calls", move || {
            // The probe returns how many times it was called before: the
            // k-th window's sample must read k.
            probe_calls.fetch_add(1, Ordering::SeqCst) * 1_000
        }))
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    // 1,050 ms in 100 ms windows: 11 windows, the last one 50 ms long.
    assert_eq!(report.windows.len(), 11);
    assert_eq!(calls.load(Ordering::SeqCst), 11, "one call per window");
    for (k, w) in report.windows.iter().enumerate() {
        assert_eq!(
            w.resources["calls"].rss_bytes,
            k as u64 * 1_000,
            "window {k}"
        );
        assert_eq!(w.resources["calls"].fds, None);
        let me = &w.resources[SELF_SERIES];
        assert!(
            me.rss_bytes > 1_000_000 && me.threads.unwrap() >= 2,
            "{me:?}"
        );
    }
    let csv = timeline_csv(&report);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (calls_rss, calls_fds, self_fds) = (
        col("resource_calls_rss_bytes"),
        col("resource_calls_fds"),
        col("resource_spike_fds"),
    );
    for (k, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[calls_rss], (k * 1_000).to_string());
        assert_eq!(cells[calls_fds], "");
        assert!(cells[self_fds].parse::<u64>().unwrap() >= 3);
    }
    let html = report_html(&report);
    assert!(html.contains("<h2>Resources</h2>"));
    assert!(html.contains("id=\"chart-memory-0\"") && html.contains("id=\"chart-memory-1\""));
    assert!(html.contains("Memory of `spike` per window, fds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sampling_nothing_changes() {
    let report = Scenario::new("no_soak")
        .shape(Shape::builder().hold(rps(20), ms(300)).build().unwrap())
        .window(ms(100))
        .run(|_ctx: Ctx| async {})
        .await
        .unwrap();
    assert!(report.windows.iter().all(|w| w.resources.is_empty()));
    assert!(!timeline_csv(&report).contains("resource_"));
    assert!(!report_html(&report).contains("<h2>Resources</h2>"));
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("\"resources\""));
}
