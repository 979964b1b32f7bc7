//! What the engine's timing threads (the pacer, the fault clock) ask of the
//! OS about themselves: a fine timer slack, a sleep to an instant that a
//! stop cuts short, and their own CPU time.
//!
//! Both go through `nix`'s safe wrappers (the crate forbids `unsafe`).
//! Where the platform has neither, the pacer still works: it sleeps with
//! the OS's default slack and reports no CPU time.

use std::time::Duration;

/// Timer slack the pacer asks for, ns. Linux lets a sleep of an ordinary
/// thread end up to 50 µs late by default, to batch wake-ups; the pacer's
/// wake-ups are the schedule, so it asks for 1 µs.
#[cfg(any(target_os = "linux", target_os = "android"))]
const PACER_TIMER_SLACK_NS: u64 = 1_000;

/// Make this thread's timed sleeps end within about a microsecond of their
/// deadline instead of the default slack (Linux and Android; elsewhere the
/// default stands). Failing changes nothing but the accuracy.
pub(crate) fn lower_timer_slack() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = nix::sys::prctl::set_timerslack(PACER_TIMER_SLACK_NS as _);
    }
}

/// CPU time the calling thread has used so far, where the platform has a
/// per-thread CPU clock.
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "macos"))]
    {
        nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
            .ok()
            .map(Duration::from)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos")))]
    {
        None
    }
}

/// Park this thread until `deadline`; false as soon as `stop` fired (its
/// waker unparks the thread).
pub(crate) fn sleep_until(
    deadline: std::time::Instant,
    stop: &tokio_util::sync::CancellationToken,
) -> bool {
    loop {
        // Checked before each park: an unpark that comes between the check
        // and the park leaves a token, so the park returns at once.
        if stop.is_cancelled() {
            return false;
        }
        let now = std::time::Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::park_timeout(deadline - now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "macos"))]
    fn the_thread_clock_counts_work_and_not_sleep() {
        let before = thread_cpu_time().expect("a thread CPU clock on this platform");
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_time().unwrap() - before;
        // Busy for 30 ms of wall time: the clock must advance by most of it
        // (a loaded machine may take the core away for part of it).
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let worked = thread_cpu_time().unwrap() - before - slept;
        assert!(
            slept < Duration::from_millis(10),
            "sleeping cost {slept:?} of CPU"
        );
        assert!(
            worked > Duration::from_millis(5),
            "30 ms of work counted {worked:?}"
        );
    }
}
