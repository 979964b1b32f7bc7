//! What a soak run samples: [`Resources`], a list of named series — a
//! process by pid, spike's own process, or a custom probe — and how one
//! series is read (procfs on Linux).

use std::sync::Arc;

use crate::report::ResourceSample;

/// Series name of spike's own process ([`Resources::and_self`]).
pub const SELF_SERIES: &str = "spike";

/// Series name of the process `pid` ([`Resources::pid`]): `pid:<pid>`.
///
/// ```
/// assert_eq!(spike_core::soak::pid_series(4242), "pid:4242");
/// ```
#[must_use]
pub fn pid_series(pid: u32) -> String {
    format!("pid:{pid}")
}

/// A custom probe: returns the bytes the series measures now (an
/// in-process service's own counter, a cache's size, ...).
pub type ProbeFn = Arc<dyn Fn() -> u64 + Send + Sync>;

#[derive(Clone)]
pub(crate) enum Source {
    Pid(u32),
    This,
    Custom(ProbeFn),
}

/// The resources a run samples once per window, each as a named series:
/// processes by pid (RSS, open file descriptors, threads, read through the
/// `procfs` crate: Linux only), spike's own process beside them, and
/// custom probes returning bytes.
///
/// Hand it to [`Scenario::sample_resources`](crate::Scenario::sample_resources);
/// each [`WindowStats`](crate::WindowStats) then carries the samples taken
/// at its end (`resources`, series name → [`ResourceSample`]).
///
/// ```
/// use spike_core::soak::Resources;
/// let r = Resources::pid(std::process::id())
///     .and_self()
///     .and_probe("cache", || 4096);
/// assert_eq!(r.series(), [format!("pid:{}", std::process::id()), "spike".into(), "cache".into()]);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct Resources {
    pub(crate) series: Vec<(String, Source)>,
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.series()).finish()
    }
}

impl Resources {
    /// Sample the process `pid` (series [`pid_series`]`(pid)`). A pid that is
    /// not running when the run starts is refused before any traffic
    /// ([`SpikeError::BadResources`](crate::SpikeError::BadResources)); one
    /// that dies during the run leaves gaps in its series and a notice.
    pub fn pid(pid: u32) -> Self {
        Resources::default().and_pid(pid)
    }

    /// Sample spike's own process (series [`SELF_SERIES`], `spike`). For
    /// a service running inside the test process this is the service too.
    pub fn this_process() -> Self {
        Resources::default().and_self()
    }

    /// Sample only a custom probe (see [`Resources::and_probe`]).
    pub fn probe(name: impl Into<String>, probe: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Resources::default().and_probe(name, probe)
    }

    /// Also sample the process `pid`.
    pub fn and_pid(mut self, pid: u32) -> Self {
        self.series.push((pid_series(pid), Source::Pid(pid)));
        self
    }

    /// Also sample spike's own process (series `spike`).
    pub fn and_self(mut self) -> Self {
        self.series.push((SELF_SERIES.to_owned(), Source::This));
        self
    }

    /// Also sample a custom probe: `probe()` is called once per window on
    /// the sampling thread and its bytes become the series `name`'s
    /// `rss_bytes` (no fds or threads). A probe that panics leaves a gap.
    pub fn and_probe(
        mut self,
        name: impl Into<String>,
        probe: impl Fn() -> u64 + Send + Sync + 'static,
    ) -> Self {
        self.series
            .push((name.into(), Source::Custom(Arc::new(probe))));
        self
    }

    /// The series names, in the order given.
    #[must_use]
    pub fn series(&self) -> Vec<String> {
        self.series.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Whether nothing is sampled.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Open every series: `Err((series, reason))` for the first that cannot
    /// be sampled (an empty or repeated name, a pid not running, a process
    /// where the platform has no procfs).
    pub(crate) fn open(&self) -> Result<Vec<Probe>, (String, String)> {
        let mut probes = Vec::with_capacity(self.series.len());
        for (i, (name, source)) in self.series.iter().enumerate() {
            if name.trim().is_empty() {
                return Err((name.clone(), "a series name must not be empty".to_owned()));
            }
            if self.series[..i].iter().any(|(n, _)| n == name) {
                return Err((name.clone(), "the series is named twice".to_owned()));
            }
            let reader = match source {
                Source::Custom(f) => Reader::Custom(f.clone()),
                Source::Pid(pid) => {
                    Reader::Process(proc_open(Some(*pid)).map_err(|e| (name.clone(), e))?)
                }
                Source::This => Reader::Process(proc_open(None).map_err(|e| (name.clone(), e))?),
            };
            probes.push(Probe {
                name: name.clone(),
                reader,
            });
        }
        Ok(probes)
    }
}

/// One opened series, read by the sampler.
pub(crate) struct Probe {
    pub(crate) name: String,
    reader: Reader,
}

enum Reader {
    Process(ProcHandle),
    Custom(ProbeFn),
}

impl Probe {
    /// Read the series now: `None` when the process is gone (or the probe
    /// panicked).
    pub(crate) fn read(&self) -> Option<ResourceSample> {
        match &self.reader {
            Reader::Process(p) => proc_read(p),
            Reader::Custom(f) => {
                let f = f.clone();
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || f()))
                    .ok()
                    .map(|rss_bytes| ResourceSample {
                        rss_bytes,
                        fds: None,
                        threads: None,
                    })
            }
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
type ProcHandle = procfs::process::Process;

/// Open `/proc/<pid>` (or `/proc/self` for `None`) through procfs; the
/// handle keeps pointing at that process, so a reused pid reads as gone.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn proc_open(pid: Option<u32>) -> Result<ProcHandle, String> {
    use procfs::process::Process;
    let Some(pid) = pid else {
        return Process::myself().map_err(|e| format!("cannot read this process in procfs: {e}"));
    };
    let Ok(raw) = i32::try_from(pid) else {
        return Err(format!("pid {pid} is out of range"));
    };
    if raw == 0 {
        return Err("pid 0 is not a process".to_owned());
    }
    let p = Process::new(raw).map_err(|_| format!("no process with pid {pid} is running"))?;
    if !p.is_alive() {
        return Err(format!(
            "the process with pid {pid} has exited (zombie or dead)"
        ));
    }
    Ok(p)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn proc_read(p: &ProcHandle) -> Option<ResourceSample> {
    let stat = p.stat().ok()?;
    if stat.state == 'Z' || stat.state == 'X' {
        return None;
    }
    let fds = p.fd_count().ok().map(|n| n as u64);
    Some(ResourceSample {
        rss_bytes: stat.rss.saturating_mul(procfs::page_size()),
        fds,
        threads: u64::try_from(stat.num_threads).ok(),
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
type ProcHandle = std::convert::Infallible;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn proc_open(_pid: Option<u32>) -> Result<ProcHandle, String> {
    Err(format!(
        "sampling a process needs procfs, which {} does not have (Linux only); custom probes work everywhere",
        std::env::consts::OS
    ))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn proc_read(p: &ProcHandle) -> Option<ResourceSample> {
    match *p {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_unique_and_not_empty() {
        let twice = Resources::probe("a", || 1).and_probe("a", || 2);
        assert_eq!(twice.open().err().unwrap().0, "a");
        let empty = Resources::probe(" ", || 1);
        assert!(empty.open().err().unwrap().1.contains("empty"));
    }

    #[test]
    fn a_custom_probe_reads_its_bytes_and_a_panic_is_a_gap() {
        let probes = Resources::probe("ok", || 42)
            .and_probe("bad", || panic!("probe failed"))
            .open()
            .unwrap();
        assert_eq!(probes[0].read().unwrap().rss_bytes, 42);
        assert!(probes[1].read().is_none());
    }

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn this_process_has_memory_fds_and_threads() {
        let probes = Resources::this_process().open().unwrap();
        let s = probes[0].read().unwrap();
        assert!(s.rss_bytes > 1_000_000, "{s:?}");
        assert!(s.fds.unwrap() >= 3 && s.threads.unwrap() >= 1, "{s:?}");
    }

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn a_pid_not_running_is_refused() {
        // Pids above the kernel's pid_max (at most 2^22) never exist.
        let err = Resources::pid(4_194_305).open().err().unwrap();
        assert_eq!(err.0, "pid:4194305");
        assert!(err.1.contains("no process with pid 4194305"), "{}", err.1);
        assert!(Resources::pid(0).open().is_err());
        assert!(Resources::pid(u32::MAX).open().is_err());
    }
}
