//! Fault handles: what each fault does, and switching it on and off.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use spike_core::faults::Fault;

use super::error::ChaosError;
use super::state::Shared;
use super::MAX_DELAY;

/// Which bytes a fault acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to target: requests.
    Upstream,
    /// Target to client: answers.
    Downstream,
    /// Both ways.
    Both,
}

impl Direction {
    /// Whether a fault on `self` acts on the one-way direction `way`
    /// (`Upstream` or `Downstream`).
    pub(crate) fn covers(self, way: Direction) -> bool {
        self == Direction::Both || self == way
    }

    fn words(self) -> &'static str {
        match self {
            Direction::Upstream => "upstream",
            Direction::Downstream => "downstream",
            Direction::Both => "both ways",
        }
    }
}

/// What a fault does (one per constructor of [`Proxy`](super::Proxy)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Latency {
        dir: Direction,
        latency: Duration,
        jitter: Duration,
    },
    Bandwidth {
        dir: Direction,
        bytes_per_sec: u64,
    },
    Stall {
        dir: Direction,
    },
    ResetAll,
    Refuse,
    CloseAfter {
        dir: Direction,
        bytes: u64,
    },
    Slice {
        dir: Direction,
        size: usize,
        delay: Duration,
    },
    Down,
}

/// One fault: its kind, whether it is on, and its jitter generator.
pub(crate) struct FaultInner {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
    on: AtomicBool,
    /// How many times it was switched on: a `close_after` counts bytes
    /// from the latest start.
    pub(crate) starts: AtomicU64,
    /// SplitMix64 state of the jitter (seeded: the same seed gives the same
    /// sequence of delays).
    rng: AtomicU64,
}

impl FaultInner {
    pub(crate) fn is_on(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    /// The next uniform draw in [0, 1).
    fn next_unit(&self) -> f64 {
        const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut z = self
            .rng
            .fetch_add(GOLDEN, Ordering::Relaxed)
            .wrapping_add(GOLDEN);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // 53 random bits as a fraction.
        #[allow(clippy::cast_precision_loss)]
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    /// This fault's delay for one chunk: latency ± uniform jitter.
    pub(crate) fn latency_sample(&self) -> Duration {
        let Kind::Latency {
            latency, jitter, ..
        } = &self.kind
        else {
            return Duration::ZERO;
        };
        if jitter.is_zero() {
            return *latency;
        }
        // latency - jitter + 2 * jitter * u, u in [0, 1): never negative
        // (jitter <= latency is checked when the fault is made).
        let span = jitter.saturating_mul(2).mul_f64(self.next_unit());
        latency.saturating_sub(*jitter).saturating_add(span)
    }
}

/// A fault of a [`Proxy`](super::Proxy): a cheap handle (clones switch the
/// same fault) that implements [`Fault`], so an engine's chaos plan can
/// switch it on the run's clock, and that tests can switch directly.
///
/// [`start`](Fault::start) and [`stop`](Fault::stop) take effect at once,
/// from any thread, without blocking; faults can be switched while
/// connections are open, and several can be on at once (latencies add up,
/// the lowest bandwidth and the smallest slice win). A fault outlives its
/// proxy harmlessly: switching it then does nothing.
///
/// ```
/// use spike::chaos::{Direction, Proxy};
/// use spike::faults::Fault;
/// use spike::ms;
///
/// # spike::__private::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let proxy = Proxy::start("127.0.0.1:5432".parse()?).await?;
/// let slow = proxy.latency(Direction::Downstream, ms(50))?.jitter(ms(5))?.seed(7);
/// slow.start();
/// assert!(slow.is_on());
/// slow.stop();
/// assert_eq!(slow.describe(), "add 50ms latency (±5ms) downstream on the proxy to 127.0.0.1:5432");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
#[must_use]
pub struct ProxyFault {
    pub(crate) inner: Arc<FaultInner>,
    shared: Arc<Shared>,
}

impl ProxyFault {
    pub(crate) fn new(shared: Arc<Shared>, kind: Kind) -> Self {
        let id = shared.next_fault_id();
        ProxyFault {
            inner: Arc::new(FaultInner {
                id,
                kind,
                on: AtomicBool::new(false),
                starts: AtomicU64::new(0),
                rng: AtomicU64::new(DEFAULT_SEED),
            }),
            shared,
        }
    }

    /// A new fault of another kind (or seed) on the same proxy; the old
    /// handle stays what it was.
    fn remade(&self, kind: Kind, seed: u64) -> Self {
        let fault = ProxyFault::new(self.shared.clone(), kind);
        fault.inner.rng.store(seed, Ordering::Relaxed);
        fault
    }

    /// Add a uniform jitter of ±`jitter` to a latency fault (each chunk's
    /// delay is drawn from [latency − jitter, latency + jitter], from a
    /// seeded generator: see [`seed`](Self::seed)). Configure before
    /// starting: this returns a new fault.
    ///
    /// # Errors
    /// [`ChaosError::JitterExceedsLatency`] when `jitter` is larger than
    /// the latency. On a fault that is not a latency the jitter has no
    /// effect and the fault is returned unchanged.
    pub fn jitter(self, jitter: Duration) -> Result<Self, ChaosError> {
        let Kind::Latency { dir, latency, .. } = self.inner.kind else {
            return Ok(self);
        };
        if jitter > latency {
            return Err(ChaosError::JitterExceedsLatency { latency, jitter });
        }
        let seed = self.inner.rng.load(Ordering::Relaxed);
        Ok(self.remade(
            Kind::Latency {
                dir,
                latency,
                jitter,
            },
            seed,
        ))
    }

    /// Seed the jitter's generator (default: a fixed seed, so runs repeat).
    /// Configure before starting: this returns a new fault.
    pub fn seed(self, seed: u64) -> Self {
        self.remade(self.inner.kind.clone(), seed)
    }

    /// Whether the fault is on.
    #[must_use]
    pub fn is_on(&self) -> bool {
        self.inner.is_on()
    }
}

const DEFAULT_SEED: u64 = 0x5EED_C4A0_5EED_C4A0;

impl Fault for ProxyFault {
    fn describe(&self) -> String {
        let target = self.shared.target;
        let what = match &self.inner.kind {
            Kind::Latency {
                dir,
                latency,
                jitter,
            } if jitter.is_zero() => format!("add {latency:?} latency {}", dir.words()),
            Kind::Latency {
                dir,
                latency,
                jitter,
            } => format!("add {latency:?} latency (±{jitter:?}) {}", dir.words()),
            Kind::Bandwidth { dir, bytes_per_sec } => {
                format!("limit bandwidth to {bytes_per_sec} B/s {}", dir.words())
            }
            Kind::Stall { dir } => format!("hold every byte {}", dir.words()),
            Kind::ResetAll => return format!("reset every connection to {target}"),
            Kind::Refuse => return format!("refuse new connections to {target}"),
            Kind::CloseAfter { dir, bytes } => {
                format!("close connections after {bytes} bytes {}", dir.words())
            }
            Kind::Slice { dir, size, delay } => {
                format!(
                    "cut writes into {size}-byte slices {delay:?} apart {}",
                    dir.words()
                )
            }
            Kind::Down => return format!("take {target} down (refuse new, reset open)"),
        };
        format!("{what} on the proxy to {target}")
    }

    fn start(&self) {
        if !self.inner.on.swap(true, Ordering::SeqCst) {
            self.inner.starts.fetch_add(1, Ordering::SeqCst);
        }
        self.shared.sync(&self.inner);
    }

    fn stop(&self) {
        self.inner.on.store(false, Ordering::SeqCst);
        self.shared.sync(&self.inner);
    }
}

impl fmt::Debug for ProxyFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyFault")
            .field("fault", &self.describe())
            .field("on", &self.is_on())
            .finish()
    }
}

/// Check a delay parameter against [`MAX_DELAY`].
pub(crate) fn check_delay(what: &'static str, value: Duration) -> Result<Duration, ChaosError> {
    if value > MAX_DELAY {
        return Err(ChaosError::DurationTooLong {
            what,
            value,
            max: MAX_DELAY,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency_fault(seed: u64) -> ProxyFault {
        let shared = Arc::new(Shared::new(([127, 0, 0, 1], 9).into()));
        let kind = Kind::Latency {
            dir: Direction::Both,
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(5),
        };
        ProxyFault::new(shared, kind).seed(seed)
    }

    #[test]
    fn jitter_is_reproducible_uniform_and_in_its_band() {
        let (a, b, c) = (latency_fault(1), latency_fault(1), latency_fault(2));
        let xs: Vec<Duration> = (0..2_000).map(|_| a.inner.latency_sample()).collect();
        let ys: Vec<Duration> = (0..2_000).map(|_| b.inner.latency_sample()).collect();
        let zs: Vec<Duration> = (0..2_000).map(|_| c.inner.latency_sample()).collect();
        assert_eq!(xs, ys, "same seed, same delays");
        assert_ne!(xs, zs, "another seed, other delays");
        let (low, high) = (Duration::from_millis(15), Duration::from_millis(25));
        assert!(xs.iter().all(|d| *d >= low && *d < high));
        // Uniform: each fifth of the band holds about a fifth (400 ± 100).
        for k in 0..5u32 {
            let from = low + Duration::from_millis(2) * k;
            let to = from + Duration::from_millis(2);
            let n = xs.iter().filter(|d| **d >= from && **d < to).count();
            assert!((300..=500).contains(&n), "fifth {k} holds {n}");
        }
    }
}
