//! A `#[spike_test]` run as a shard, driven by the environment the
//! Kubernetes Indexed Job sets (issue 14): its artifacts go to
//! `<spike home>/<test folder>/shard-<i>-of-<n>/`, its report says which
//! shard it is and when it started, and no baseline is saved or compared
//! for it even when asked (a strict gate against a baseline that does not
//! exist would otherwise fail the test).
//!
//! One test in this binary: it sets process environment variables.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spike_core::harness::SpikeTest;
use spike_core::shard::env;
use spike_core::{folder_name, ms, rps, Ctx, Scenario, Shape};

#[test]
fn a_shard_writes_to_its_folder_and_is_not_gated() {
    let home = std::env::temp_dir().join(format!("spike-shard-harness-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let at = SystemTime::now() + Duration::from_millis(400);
    let at_unix = at.duration_since(UNIX_EPOCH).unwrap();
    std::env::set_var(env::SPIKE_HOME, &home);
    std::env::set_var("SPIKE_PROGRESS", "0");
    std::env::set_var(env::SPIKE_SHARD_COUNT, "2");
    std::env::set_var(env::JOB_COMPLETION_INDEX, "1");
    std::env::set_var(
        env::SPIKE_START_AT,
        format!("{}.{:06}", at_unix.as_secs(), at_unix.subsec_micros()),
    );
    std::env::set_var("SPIKE_SAVE_BASELINE", "main");
    std::env::set_var("SPIKE_BASELINE", "other");
    std::env::set_var("SPIKE_BASELINE_STRICT", "1");

    // What `#[spike_test]` expands to (it takes the run lock itself).
    let report = SpikeTest::new("shard_harness")
        .attempts(1)
        .run_async(async {
            Scenario::default()
                .shape(Shape::builder().hold(rps(200), ms(300)).build().unwrap())
                .run(|_ctx: Ctx| async {})
                .await
                .unwrap()
        });
    for var in [
        env::SPIKE_SHARD_COUNT,
        env::JOB_COMPLETION_INDEX,
        env::SPIKE_START_AT,
        "SPIKE_SAVE_BASELINE",
        "SPIKE_BASELINE",
        "SPIKE_BASELINE_STRICT",
    ] {
        std::env::remove_var(var);
    }

    let info = report.shard.expect("a shard's report");
    assert_eq!((info.index, info.count), (1, 2));
    assert_eq!(info.start_at_unix_us, Some(at_unix.as_micros() as u64));
    assert!(info.start_offset_us >= 0, "{info:?}");
    // Shard 1 of 2 runs the odd iterations of 60.
    assert_eq!(report.total.completed, 30);

    let test_dir = home.join(folder_name("shard_harness"));
    let dir = test_dir.join("shard-1-of-2");
    assert_eq!(report.artifacts.as_deref(), Some(dir.as_path()));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["shard"]["index"], 1);
    assert_eq!(json["shard"]["count"], 2);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("shard 1/2, started +"),
        "the HTML header names the shard"
    );
    // Nothing saved as a baseline, anywhere under the spike home.
    let mut stack = vec![home.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            assert_ne!(path.file_name().unwrap(), "baselines", "{}", path.display());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    // Only the shard's folder in the test's folder.
    let entries: Vec<_> = std::fs::read_dir(&test_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["shard-1-of-2"]);
    let _ = std::fs::remove_dir_all(&home);
}
