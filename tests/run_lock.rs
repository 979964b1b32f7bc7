//! `#[spike_test]` runs one spike test at a time on the machine: in one
//! test binary (parallel test threads) and across processes. The lock is
//! released when a test panics or times out, and waiting for it is not
//! part of a test's timeout.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use spike::__private::SpikeTest;
use spike::prelude::*;
use spike::run_lock::RunLock;

/// Set while one of the two spike tests below runs.
static INSIDE: AtomicBool = AtomicBool::new(false);

/// The body both spike tests share: it must find no other spike test
/// running, then stay a while so that an overlap could not be missed.
async fn alone_for_a_while() {
    assert!(
        !INSIDE.swap(true, Ordering::SeqCst),
        "another spike test was running at the same time"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    INSIDE.store(false, Ordering::SeqCst);
}

#[spike_test]
async fn first_of_two_never_overlaps_the_second() {
    alone_for_a_while().await;
}

#[spike_test]
async fn second_of_two_never_overlaps_the_first() {
    alone_for_a_while().await;
}

/// Wall-clock nanoseconds, comparable across processes.
fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos()
}

/// Run `body` as a spike test on its own thread; returns the thread.
fn spike_test_on_thread(
    name: &'static str,
    hold: Duration,
) -> std::thread::JoinHandle<(u128, u128)> {
    std::thread::spawn(move || {
        SpikeTest::new(name).run_sync(move || {
            let start = now_nanos();
            std::thread::sleep(hold);
            (start, now_nanos())
        })
    })
}

#[track_caller]
fn assert_disjoint(mut spans: Vec<(u128, u128)>) {
    spans.sort_unstable();
    for pair in spans.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "spike tests overlapped: {:?} and {:?} (ns since epoch)",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn spike_tests_on_parallel_threads_run_one_after_the_other() {
    let started = Instant::now();
    let threads: Vec<_> = ["lock::a", "lock::b", "lock::c"]
        .into_iter()
        .map(|name| spike_test_on_thread(name, Duration::from_millis(250)))
        .collect();
    let spans = threads
        .into_iter()
        .map(|t| t.join().expect("the spike test passed"))
        .collect();
    assert_disjoint(spans);
    // Three bodies of 250 ms one after the other.
    assert!(started.elapsed() >= Duration::from_millis(750));
}

/// The body of the child processes of
/// `spike_tests_in_two_processes_run_one_after_the_other`: does nothing
/// unless `SPIKE_LOCK_CHILD_OUT` names a file, where it writes the span it
/// ran in.
#[spike_test]
fn child_process_body() {
    let Some(out) = std::env::var_os("SPIKE_LOCK_CHILD_OUT") else {
        return;
    };
    let start = now_nanos();
    std::thread::sleep(Duration::from_millis(500));
    let end = now_nanos();
    std::fs::write(out, format!("{start} {end}")).expect("write the span");
}

fn read_span(path: &Path) -> (u128, u128) {
    let text = std::fs::read_to_string(path).expect("the child wrote its span");
    let (start, end) = text.split_once(' ').expect("two numbers");
    (
        start.parse().expect("a number"),
        end.parse().expect("a number"),
    )
}

#[test]
fn spike_tests_in_two_processes_run_one_after_the_other() {
    let exe = std::env::current_exe().expect("the test binary");
    let dir = std::env::temp_dir().join(format!("spike-run-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let outs: Vec<_> = (0..2).map(|i| dir.join(format!("child{i}"))).collect();
    let children: Vec<_> = outs
        .iter()
        .map(|out| {
            Command::new(&exe)
                .args(["child_process_body", "--exact", "--include-ignored"])
                .env("SPIKE_LOCK_CHILD_OUT", out)
                .env("SPIKE_PROGRESS", "0")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a child test process")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("child exit");
        assert!(
            out.status.success(),
            "a child failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_disjoint(outs.iter().map(|p| read_span(p)).collect());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the exclusive lock can be taken within 20 s (a lock that is
/// never released fails this instead of hanging the test).
fn lock_is_free_soon() -> bool {
    let (sent, got) = mpsc::channel();
    std::thread::spawn(move || {
        let lock = RunLock::exclusive();
        let _ = sent.send(());
        drop(lock);
    });
    got.recv_timeout(Duration::from_secs(20)).is_ok()
}

#[test]
fn the_lock_is_released_when_a_spike_test_panics() {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        SpikeTest::new("lock::panics").run_async(async { panic!("boom") })
    }));
    assert!(outcome.is_err(), "the test body panicked");
    assert!(lock_is_free_soon(), "the run lock was kept after a panic");
}

#[test]
fn the_lock_is_released_when_a_spike_test_times_out() {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        SpikeTest::new("lock::times_out")
            .timeout(Duration::from_millis(100), "100ms")
            .grace(Duration::from_millis(100))
            .run_async(async { tokio::time::sleep(Duration::from_secs(60)).await })
    }));
    let text = outcome
        .expect_err("the test timed out")
        .downcast::<String>()
        .expect("a text panic");
    assert!(text.contains("reached its timeout of 100ms"), "{text}");
    assert!(lock_is_free_soon(), "the run lock was kept after a timeout");
}

#[test]
fn waiting_for_the_lock_is_not_part_of_the_timeout() {
    let (held, holding) = mpsc::channel();
    let holder = std::thread::spawn(move || {
        let lock = RunLock::exclusive();
        held.send(()).expect("tell the test");
        std::thread::sleep(Duration::from_millis(1_500));
        drop(lock);
    });
    holding.recv().expect("the holder took the lock");
    let started = Instant::now();
    // A 500 ms timeout, a 100 ms body, behind a lock held for 1.5 s: the
    // test passes because the watchdog starts once the lock is taken.
    SpikeTest::new("lock::waits")
        .timeout(Duration::from_millis(500), "500ms")
        .run_async(async { tokio::time::sleep(Duration::from_millis(100)).await });
    assert!(
        started.elapsed() >= Duration::from_millis(1_400),
        "the test did not wait for the lock: {:?}",
        started.elapsed()
    );
    holder.join().expect("holder");
}
