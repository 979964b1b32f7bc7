//! The closed model: N virtual users, each looping `iteration; think time`.
//! The number of users follows the shape (smoothly inside ramps); a user
//! above the current level finishes its iteration and leaves.
//!
//! A shard `i` of `n` (see [`crate::shard`]) runs only the users `u` with
//! `u mod n = i` of each level (user numbers stay global), and numbers its
//! `c`-th iteration `c·n + i`, so iteration numbers are unique across shards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::iteration::{run_iteration, IterId};
use super::Job;
use crate::recording::histogram::micros;
use crate::shape::Shape;
use crate::shard::Shard;
use crate::workload::Workload;

/// How often the controller re-reads the level.
const CONTROL_TICK: Duration = Duration::from_millis(10);

struct Users {
    /// Current level.
    target: AtomicU64,
    /// Epoch per user slot: a user whose slot epoch moved on leaves.
    epochs: Vec<AtomicU64>,
    /// Users alive (in an iteration or thinking).
    alive: AtomicU64,
    /// This shard's next iteration, counted from 0 (see `iteration_number`).
    next_iteration: AtomicU64,
    /// (index, count) of the shard; (0, 1) for a plain run.
    shard: (u64, u64),
    max_in_flight: AtomicU64,
}

pub(crate) struct UsersResult {
    pub(crate) max_in_flight: u64,
}

pub(crate) async fn drive<W: Workload>(
    job: Arc<Job<W>>,
    shape: Shape,
    think: Duration,
    shard: Option<Shard>,
    stop: CancellationToken,
) -> UsersResult {
    let run = job.run.clone();
    let shard = shard.map_or((0, 1), |s| (u64::from(s.index()), u64::from(s.count())));
    let max_users = shape
        .phases()
        .iter()
        .map(|p| p.from.value().max(p.to.value()) as usize)
        .max()
        .unwrap_or(0);
    let users = Arc::new(Users {
        target: AtomicU64::new(0),
        epochs: (0..max_users).map(|_| AtomicU64::new(0)).collect(),
        alive: AtomicU64::new(0),
        next_iteration: AtomicU64::new(0),
        shard,
        max_in_flight: AtomicU64::new(0),
    });
    let duration = shape.duration();
    let shape = Arc::new(shape);
    let mut spawned = 0u64;
    let mut ticker = tokio::time::interval(CONTROL_TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let now = run.t0.elapsed();
        if now >= duration {
            break;
        }
        let want = (shape.level_at(now).value().round() as u64).min(max_users as u64);
        users.target.store(want, Ordering::Release);
        if want < spawned {
            for slot in want..spawned {
                users.epochs[slot as usize].fetch_add(1, Ordering::AcqRel);
            }
            spawned = want;
        }
        while spawned < want {
            let slot = spawned as u32;
            spawned += 1;
            // Another shard's user.
            if u64::from(slot) % shard.1 != shard.0 {
                continue;
            }
            let epoch = users.epochs[slot as usize].load(Ordering::Acquire);
            users.alive.fetch_add(1, Ordering::AcqRel);
            tokio::spawn(user_loop(
                job.clone(),
                users.clone(),
                shape.clone(),
                slot,
                epoch,
                think,
                stop.clone(),
            ));
        }
    }
    users.target.store(0, Ordering::Release);
    // Wait for users to leave; the job's drain deadline bounds their
    // iterations, so this ends.
    while users.alive.load(Ordering::Acquire) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    UsersResult {
        max_in_flight: users.max_in_flight.load(Ordering::Relaxed),
    }
}

async fn user_loop<W: Workload>(
    job: Arc<Job<W>>,
    users: Arc<Users>,
    shape: Arc<Shape>,
    slot: u32,
    epoch: u64,
    think: Duration,
    stop: CancellationToken,
) {
    let run = &job.run;
    let duration = shape.duration();
    let last_window = run.windows_total - 1;
    // Kept across this user's iterations (see `run_iteration`).
    let mut deadline = std::pin::pin!(tokio::time::sleep_until(run.drain_deadline));
    let mut cancelled = std::pin::pin!(run.cancel.cancelled());
    loop {
        if stop.is_cancelled()
            || u64::from(slot) >= users.target.load(Ordering::Acquire)
            || users.epochs[slot as usize].load(Ordering::Acquire) != epoch
        {
            break;
        }
        let offset = run.t0.elapsed();
        if offset >= duration {
            break;
        }
        let phase = shape.phase_index_at(offset) as u16;
        let window = (micros(offset) / run.window_us).min(last_window);
        run.shards.with(|s| s.tally((window, phase)).scheduled += 1);
        let in_flight = run.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        users.max_in_flight.fetch_max(in_flight, Ordering::Relaxed);
        let id = IterId {
            iteration: users
                .next_iteration
                .fetch_add(1, Ordering::Relaxed)
                .saturating_mul(users.shard.1)
                .saturating_add(users.shard.0),
            phase,
            window,
            offset,
            user: Some(slot),
        };
        run_iteration(
            run,
            &job.workload,
            id,
            deadline.as_mut(),
            cancelled.as_mut(),
        )
        .await;
        run.in_flight.fetch_sub(1, Ordering::AcqRel);
        if think.is_zero() {
            // A workload that never waits would otherwise hold its worker.
            tokio::task::consume_budget().await;
        } else {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(think) => {}
            }
        }
    }
    users.alive.fetch_sub(1, Ordering::AcqRel);
}
