//! Unit tests of the open-model pacer (kept apart so open.rs stays short).

use std::sync::atomic::AtomicU64;

use super::*;
use crate::recording::run::RunShared;
use crate::recording::shards::Shards;
use crate::{ms, rps, Ctx};

fn job(shape: &Shape, calls: Arc<AtomicU64>) -> Arc<Job<impl Workload>> {
    let t0 = tokio::time::Instant::now();
    let run = Arc::new(RunShared {
        t0,
        scenario: "open-unit".to_owned(),
        phase_names: shape.phases().iter().map(|p| p.name.clone()).collect(),
        window_us: 100_000,
        windows_total: micros(shape.duration()).div_ceil(100_000),
        seed: 1,
        shards: Shards::new(),
        in_flight: AtomicU64::new(0),
        position_us: AtomicU64::new(0),
        cancel: CancellationToken::new(),
        iteration_timeout: Duration::from_secs(5),
        drain_deadline: t0 + shape.duration() + Duration::from_secs(5),
    });
    Arc::new(Job {
        run,
        workload: move |_ctx: Ctx| {
            calls.fetch_add(1, Ordering::Relaxed);
            async {}
        },
    })
}

/// Scheduled counts per window, summed over the drained shards.
fn scheduled_by_window(run: &RunShared) -> Vec<u64> {
    let mut by_window = vec![0; run.windows_total as usize];
    for ((window, _), tally) in run.shards.drain().tallies {
        by_window[window as usize] += tally.scheduled;
    }
    by_window
}

#[test]
fn the_timer_fallback_keeps_the_schedule() {
    // 2,500 rps for 300 ms, then 5,000 rps for 200 ms: 250 per 100 ms
    // window, then 500.
    let shape = Shape::builder()
        .hold(rps(2_500), ms(300))
        .burst(rps(5_000), ms(200))
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let job = job(&shape, calls.clone());
    let end = rt.block_on(async {
        let (to_spawner, batches) = mpsc::unbounded_channel();
        let spawned = tokio::spawn(spawner(job.clone(), batches));
        let end = pace_on_timer(
            job.clone(),
            shape,
            1_000_000,
            None,
            to_spawner,
            CancellationToken::new(),
        )
        .await;
        spawned.await.unwrap();
        while job.run.in_flight.load(Ordering::Acquire) > 0 {
            tokio::task::yield_now().await;
        }
        end
    });
    assert_eq!(calls.load(Ordering::Relaxed), 750 + 1_000);
    assert_eq!(job.run.position_us.load(Ordering::Acquire), u64::MAX);
    assert!(end.max_in_flight >= 1);
    assert_eq!(end.cpu, 0.0);
    assert_eq!(
        scheduled_by_window(&job.run),
        [250, 250, 250, 500, 500],
        "scheduled per window"
    );
}

#[test]
fn the_cap_drops_and_counts_instead_of_queueing() {
    // Nothing ever finishes (the spawner is never run): with a cap of
    // 10, the first 10 due iterations are queued and the rest dropped.
    let shape = Shape::builder().hold(rps(1_000), ms(100)).build().unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let job = job(&shape, calls.clone());
    let profile = RateProfile::new(&shape);
    let (to_spawner, mut batches) = mpsc::unbounded_channel();
    let mut pacer = Pacer::new(job.clone(), to_spawner, &profile, &shape, 10, None);
    assert!(pacer.start_due(Duration::from_millis(100), &CancellationToken::new()));
    assert_eq!(pacer.next_due(), None);
    assert_eq!(pacer.finish(), 10);
    let mut queued = 0;
    while let Ok(batch) = batches.try_recv() {
        queued += batch.len();
    }
    assert_eq!(queued, 10);
    let drained = job.run.shards.drain().tallies;
    let scheduled: u64 = drained.iter().map(|(_, t)| t.scheduled).sum();
    let dropped: u64 = drained.iter().map(|(_, t)| t.dropped).sum();
    assert_eq!((scheduled, dropped), (100, 90));
    assert_eq!(calls.load(Ordering::Relaxed), 0);
}
