//! The agreed start instant of a sharded run (`SPIKE_START_AT`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::env;
use crate::error::{env_text, SpikeError};

/// How far from now a start instant may be (either way): 24 h. A start
/// further away is refused before any traffic: in the future it would hold
/// the test that long (a typo), in the past it is a stale value.
pub const MAX_START_DISTANCE: Duration = Duration::from_secs(24 * 3600);

const EXPECTED: &str = "RFC 3339 such as 2026-12-01T10:00:00Z or 2026-12-01T11:00:00.5+01:00, \
                        or seconds since the Unix epoch such as 1796119200 or 1796119200.25";

/// Read a start instant: RFC 3339 with `Z` or an offset
/// (`2026-12-01T10:00:00Z`, `2026-12-01T11:00:00.250+01:00`), or seconds
/// since the Unix epoch with an optional fraction (`1796119200.25`, up to
/// nanoseconds). Blanks around it are ignored.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use spike_core::shard::parse_start_at;
///
/// let at = parse_start_at("2026-12-01T10:00:00Z")?;
/// assert_eq!(at, UNIX_EPOCH + Duration::from_secs(1_796_119_200));
/// assert_eq!(parse_start_at("2026-12-01T11:00:00.5+01:00")?, at + Duration::from_millis(500));
/// assert_eq!(parse_start_at("1796119200.5")?, at + Duration::from_millis(500));
/// assert!(parse_start_at("tomorrow").is_err());
/// # Ok::<(), spike_core::SpikeError>(())
/// ```
///
/// # Errors
/// [`SpikeError::BadShard`] (setting `SPIKE_START_AT`) for anything else,
/// an instant before the Unix epoch included.
pub fn parse_start_at(text: &str) -> Result<SystemTime, SpikeError> {
    let t = text.trim();
    let bad = |reason: &str| SpikeError::BadShard {
        setting: env::SPIKE_START_AT,
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return unix_seconds(t).ok_or_else(|| bad(&format!("it must be {EXPECTED}")));
    }
    let parsed = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map_err(|e| bad(&format!("{e}; it must be {EXPECTED}")))?;
    let nanos = parsed.unix_timestamp_nanos();
    let nanos = u64::try_from(nanos).map_err(|_| bad("it is before 1970-01-01T00:00:00Z"))?;
    Ok(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// `seconds[.fraction]`, exactly (no float rounding).
fn unix_seconds(t: &str) -> Option<SystemTime> {
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || fraction.contains('.') || fraction.len() > 9 {
        return None;
    }
    let secs: u64 = whole.parse().ok()?;
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// The start instant `SPIKE_START_AT` names, if set (a blank value counts
/// as unset). How far it is from now is checked when the run starts (see
/// [`MAX_START_DISTANCE`]).
///
/// # Errors
/// [`SpikeError::BadShard`] when it is set but is not a start instant
/// ([`parse_start_at`]).
pub fn start_at_from_env() -> Result<Option<SystemTime>, SpikeError> {
    match env_text(env::SPIKE_START_AT, EXPECTED)? {
        Some(v) if !v.trim().is_empty() => parse_start_at(&v).map(Some),
        _ => Ok(None),
    }
}

/// Refuse a start instant more than [`MAX_START_DISTANCE`] from `now`.
pub(crate) fn check_distance(
    setting: &'static str,
    at: SystemTime,
    now: SystemTime,
) -> Result<(), SpikeError> {
    let (distance, way) = match at.duration_since(now) {
        Ok(ahead) => (ahead, "ahead"),
        Err(e) => (e.duration(), "ago"),
    };
    if distance > MAX_START_DISTANCE {
        return Err(SpikeError::BadShard {
            setting,
            value: format!("{} s since the Unix epoch", unix_text(at)),
            reason: format!(
                "it is {:.0} s {way}; a start instant must be within 24 h of now \
                 (MAX_START_DISTANCE)",
                distance.as_secs_f64()
            ),
        });
    }
    Ok(())
}

fn unix_text(at: SystemTime) -> String {
    match at.duration_since(UNIX_EPOCH) {
        Ok(d) => format!("{}.{:06}", d.as_secs(), d.subsec_micros()),
        Err(e) => format!("-{:.6}", e.duration().as_secs_f64()),
    }
}

/// Microseconds since the Unix epoch (0 before it; saturating).
pub(crate) fn unix_us(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// `actual − agreed` in microseconds (positive: late), saturating.
pub(crate) fn offset_us(actual: SystemTime, agreed: SystemTime) -> i64 {
    match actual.duration_since(agreed) {
        Ok(late) => i64::try_from(late.as_micros()).unwrap_or(i64::MAX),
        Err(early) => -i64::try_from(early.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// How a wait for the start instant ended.
pub(crate) enum Waited<T> {
    /// The wall clock reached the instant: the monotonic and wall-clock
    /// readings taken the moment the wait ended (the schedule's zero).
    Reached(std::time::Instant, SystemTime),
    /// The instant was already past.
    Past,
    /// `stop` completed first, with this output.
    Stopped(T),
}

/// Wait until the wall clock reads `at`: sleep on the runtime's timer to
/// 20 ms before, then on a blocking thread to 200 µs before, then spin on
/// the wall clock there, and read both clocks the moment it reaches `at`
/// (so the runtime's wake-up after the wait does not move the schedule's
/// zero). Ends at once when `at` is past, or when `stop` completes first.
/// Should the wall clock step back meanwhile, the wait ends 1 ms after the
/// instant as measured on the monotonic clock.
pub(crate) async fn wait_until<S: std::future::Future>(
    at: SystemTime,
    stop: S,
) -> Waited<S::Output> {
    let Ok(ahead) = at.duration_since(SystemTime::now()) else {
        return Waited::Past;
    };
    let coarse = ahead.saturating_sub(Duration::from_millis(20));
    let mut stop = std::pin::pin!(stop);
    tokio::select! {
        biased;
        out = &mut stop => return Waited::Stopped(out),
        () = tokio::time::sleep(coarse) => {}
    }
    let fine = tokio::task::spawn_blocking(move || {
        let left = at.duration_since(SystemTime::now()).unwrap_or_default();
        let deadline = std::time::Instant::now() + left + Duration::from_millis(1);
        if let Some(sleep) = left.checked_sub(Duration::from_micros(200)) {
            std::thread::sleep(sleep);
        }
        loop {
            let (mono, wall) = (std::time::Instant::now(), SystemTime::now());
            if wall >= at || mono >= deadline {
                return (mono, wall);
            }
            std::hint::spin_loop();
        }
    });
    tokio::select! {
        biased;
        out = &mut stop => Waited::Stopped(out),
        reached = fine => match reached {
            Ok((mono, wall)) => Waited::Reached(mono, wall),
            // The blocking pool is gone (the runtime is shutting down).
            Err(_) => Waited::Past,
        },
    }
}
