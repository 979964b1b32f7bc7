//! One direction of one connection: read, apply the faults that are on,
//! write. Reading and writing are decoupled by a short queue, so a latency
//! delays every chunk by its own amount instead of adding up.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, sleep_until, Instant};

use super::fault::{Direction, FaultInner, Kind};
use super::state::{stalled, Active, Shared};
use super::MAX_DELAY;

/// Chunks read and not yet written, per direction; beyond that the kernel's
/// buffers hold the bytes (and then the sender waits).
const QUEUE: usize = 64;
/// Read buffer size.
const CHUNK: usize = 16 * 1024;
/// A bandwidth limit paces pieces of about 1/100 s of its rate.
const PACE_STEPS_PER_SEC: u64 = 100;

/// How far behind its schedule a paced direction may fall and still
/// catch up.
const PACE_CATCH_UP: Duration = Duration::from_millis(50);
/// The timer's lateness estimate never goes beyond this.
const MAX_TIMER_LATE: Duration = Duration::from_millis(3);

/// Sleep until `due`, aiming early by the timer's usual lateness (tokio's
/// timer rounds up to the millisecond and wakes after its tick), so the
/// bytes go out at `due` on average rather than 1–3 ms after it. The
/// lateness is learned as a moving average over this proxy's sleeps.
async fn sleep_on_time(due: Instant, shared: &Shared) {
    let now = Instant::now();
    if due <= now {
        return;
    }
    let late = Duration::from_nanos(shared.timer_late_ns.load(Ordering::Relaxed));
    let target = due.checked_sub(late).unwrap_or(due).max(now);
    if target > now {
        sleep_until(target).await;
        let seen = Instant::now()
            .saturating_duration_since(target)
            .min(MAX_TIMER_LATE);
        let seen = u64::try_from(seen.as_nanos()).unwrap_or(u64::MAX);
        let old = shared.timer_late_ns.load(Ordering::Relaxed);
        // new = old + (seen - old) / 8, in integers.
        let new = old - old / 8 + seen / 8;
        shared.timer_late_ns.store(new, Ordering::Relaxed);
    }
}

/// How a direction ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The sender closed its side; the close was passed on.
    Eof,
    /// A `close_after` fault's byte budget was used up.
    Cut,
    /// Reading or writing failed (the peer reset, ...).
    Failed,
}

/// Forward `from` to `to` (the bytes of `way`) until the sender closes.
///
/// While no fault of the proxy is on, each chunk read is written at once
/// (the passthrough costs one read and one write). From the first chunk
/// read with a fault on, the connection's direction switches for good to
/// the faulted path: a reader and a writer joined by a short queue.
pub(crate) async fn pump<R, W>(mut from: R, mut to: W, way: Direction, shared: &Shared) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; CHUNK];
    let first = loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => return close(&mut to).await,
            Ok(n) => n,
            Err(_) => return End::Failed,
        };
        if shared.any_on() {
            break n;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return End::Failed;
        }
        count(shared, way, n as u64);
    };
    faulted(from, to, way, shared, buf, first).await
}

/// Pass the sender's close on.
async fn close<W: AsyncWrite + Unpin>(to: &mut W) -> End {
    match to.shutdown().await {
        Ok(()) => End::Eof,
        Err(_) => End::Failed,
    }
}

fn count(shared: &Shared, way: Direction, bytes: u64) {
    let counter = match way {
        Direction::Upstream => &shared.counters.bytes_upstream,
        _ => &shared.counters.bytes_downstream,
    };
    counter.fetch_add(bytes, Ordering::Relaxed);
}

/// The faulted path: `buf[..first]` was read and not yet written.
async fn faulted<R, W>(
    mut from: R,
    mut to: W,
    way: Direction,
    shared: &Shared,
    mut buf: Vec<u8>,
    first: usize,
) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(QUEUE);
    let reader = async move {
        let mut n = first;
        loop {
            let delay = latency(&shared.active(), way);
            let now = Instant::now();
            let due = now.checked_add(delay).unwrap_or_else(|| now + MAX_DELAY);
            if tx.send((due, buf[..n].to_vec())).await.is_err() {
                return true;
            }
            n = match from.read(&mut buf).await {
                Ok(0) => return true,
                Ok(n) => n,
                Err(_) => return false,
            };
        }
    };
    let writer = async {
        let mut ctl = shared.subscribe();
        let mut state = WriterState::default();
        while let Some((due, chunk)) = rx.recv().await {
            sleep_on_time(due, shared).await;
            if let Some(end) = state.write(&chunk, &mut to, &mut ctl, way, shared).await {
                return end;
            }
        }
        close(&mut to).await
    };
    tokio::pin!(reader, writer);
    tokio::select! {
        clean = &mut reader => {
            if clean { writer.await } else { End::Failed }
        }
        end = &mut writer => end,
    }
}

/// The sum of the latencies on for `way`, each with its jitter drawn.
fn latency(active: &Active, way: Direction) -> Duration {
    active
        .iter()
        .filter(|f| matches!(f.kind, Kind::Latency { dir, .. } if dir.covers(way)))
        .map(|f| f.latency_sample())
        .fold(Duration::ZERO, Duration::saturating_add)
}

#[derive(Default)]
struct WriterState {
    /// Bytes written so far in this direction.
    sent: u64,
    /// Per `close_after` fault seen on: (fault id, its start count, bytes
    /// sent when this start was first seen).
    cut_bases: Vec<(u64, u64, u64)>,
    /// Bandwidth pacing: when the next byte may go.
    next_free: Option<Instant>,
}

impl WriterState {
    /// Write one chunk under the faults that are on; `Some(end)` ends the
    /// direction.
    async fn write<W: AsyncWrite + Unpin>(
        &mut self,
        chunk: &[u8],
        to: &mut W,
        ctl: &mut watch::Receiver<Active>,
        way: Direction,
        shared: &Shared,
    ) -> Option<End> {
        let mut rest = chunk;
        while !rest.is_empty() {
            // Stall: hold the bytes until every stall of this way is off.
            let active = loop {
                let active = ctl.borrow_and_update().clone();
                if !stalled(&active, way) {
                    break active;
                }
                if ctl.changed().await.is_err() {
                    return Some(End::Failed);
                }
            };
            let budget = self.budget(&active, way);
            if budget == Some(0) {
                return Some(End::Cut);
            }
            let mut take = rest.len();
            if let Some(b) = budget {
                take = take.min(usize::try_from(b).unwrap_or(usize::MAX));
            }
            let slice = slicing(&active, way);
            if let Some((size, _)) = slice {
                take = take.min(size);
            }
            if let Some(bps) = bandwidth(&active, way) {
                let step = usize::try_from((bps / PACE_STEPS_PER_SEC).max(1)).unwrap_or(usize::MAX);
                take = take.min(step);
                // Delay, then write: `take` bytes at `bps` take take/bps.
                #[allow(clippy::cast_precision_loss)]
                let cost = Duration::from_secs_f64(take as f64 / bps as f64).min(MAX_DELAY);
                // Keep to the schedule: a late wake-up is caught up (within
                // PACE_CATCH_UP); after an idle spell pacing starts afresh.
                let now = Instant::now();
                let from = match self.next_free {
                    Some(t) if t + PACE_CATCH_UP >= now => t,
                    _ => now,
                };
                let due = from.checked_add(cost).unwrap_or(from);
                self.next_free = Some(due);
                sleep_until(due).await;
            } else {
                self.next_free = None;
            }
            if to.write_all(&rest[..take]).await.is_err() {
                return Some(End::Failed);
            }
            let taken = take as u64;
            self.sent += taken;
            count(shared, way, taken);
            rest = &rest[take..];
            if budget == Some(taken) {
                return Some(End::Cut);
            }
            if let Some((_, delay)) = slice {
                if !rest.is_empty() {
                    sleep(delay).await;
                }
            }
        }
        None
    }

    /// Bytes that may still go before a `close_after` fault closes the
    /// connection (the smallest budget of those on), or `None`.
    fn budget(&mut self, active: &Active, way: Direction) -> Option<u64> {
        let mut least: Option<u64> = None;
        for fault in active.iter() {
            let Kind::CloseAfter { dir, bytes } = fault.kind else {
                continue;
            };
            if !dir.covers(way) {
                continue;
            }
            let base = self.base_of(fault);
            let left = bytes.saturating_sub(self.sent.saturating_sub(base));
            least = Some(least.map_or(left, |l| l.min(left)));
        }
        least
    }

    /// Bytes sent when this start of `fault` was first seen here.
    fn base_of(&mut self, fault: &FaultInner) -> u64 {
        let starts = fault.starts.load(Ordering::SeqCst);
        if let Some(entry) = self.cut_bases.iter_mut().find(|e| e.0 == fault.id) {
            if entry.1 != starts {
                *entry = (fault.id, starts, self.sent);
            }
            return entry.2;
        }
        self.cut_bases.push((fault.id, starts, self.sent));
        self.sent
    }
}

/// The lowest bandwidth on for `way`, in bytes per second.
fn bandwidth(active: &Active, way: Direction) -> Option<u64> {
    active
        .iter()
        .filter_map(|f| match f.kind {
            Kind::Bandwidth { dir, bytes_per_sec } if dir.covers(way) => Some(bytes_per_sec),
            _ => None,
        })
        .min()
}

/// The smallest slice on for `way`, with its delay.
fn slicing(active: &Active, way: Direction) -> Option<(usize, Duration)> {
    active
        .iter()
        .filter_map(|f| match f.kind {
            Kind::Slice { dir, size, delay } if dir.covers(way) => Some((size, delay)),
            _ => None,
        })
        .min_by_key(|s| s.0)
}
