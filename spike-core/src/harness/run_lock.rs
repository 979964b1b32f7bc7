//! One spike run at a time on this machine.
//!
//! Two spike tests that load the same cores at once measure each other: a
//! burst that passes alone fails beside two others. `#[spike_test]` takes a
//! [`RunLock`] around every test body, so spike tests in parallel test
//! threads, in several test binaries, under `cargo nextest` or in two
//! workspaces never run together. The lock has two levels:
//!
//! * inside the process, a reader-writer lock;
//! * across processes, an advisory file lock (`flock`) on
//!   [`RunLock::path`], in the system's temporary folder so that every
//!   process on the machine sees the same file whatever its working
//!   directory or target folder.
//!
//! An **exclusive** lock (the default of `#[spike_test]`) waits until no
//! other spike run holds either kind. A **shared** lock
//! (`#[spike_test(exclusive = false)]`) may overlap other shared holders but
//! never an exclusive one: for tests that are meant to overlap each other.
//! The operating system releases the file lock when the holder exits, even
//! when it crashes, and dropping the [`RunLock`] (also while a panic
//! unwinds) releases both.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// The in-process half of the lock.
static IN_PROCESS: RwLock<()> = RwLock::new(());

/// The name of the lock file inside the temporary folder.
const LOCK_FILE_NAME: &str = "spike-run.lock";

/// The in-process guard, exclusive or shared.
#[derive(Debug)]
enum ProcessGuard {
    Exclusive(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
    Shared(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
}

/// Held while a spike run may load the machine; released on drop.
///
/// ```
/// use spike_core::run_lock::RunLock;
///
/// let lock = RunLock::exclusive();
/// assert!(lock.is_exclusive());
/// // ... run a scenario that must have the machine to itself ...
/// drop(lock);
/// ```
#[derive(Debug)]
#[must_use = "the lock is released as soon as it is dropped"]
pub struct RunLock {
    // Field order matters: the file lock is released before the in-process
    // one, so a waiter in this process never holds the in-process lock
    // while blocking on a file another thread of this process still holds.
    file: Option<File>,
    process: ProcessGuard,
    waited: Duration,
}

impl RunLock {
    /// Wait until no other spike run on this machine holds the lock, then
    /// hold it alone.
    pub fn exclusive() -> RunLock {
        RunLock::acquire(true)
    }

    /// Wait until no exclusive holder remains, then hold the lock beside
    /// other shared holders.
    pub fn shared() -> RunLock {
        RunLock::acquire(false)
    }

    /// [`RunLock::exclusive`] when `exclusive`, else [`RunLock::shared`].
    pub fn acquire(exclusive: bool) -> RunLock {
        let started = Instant::now();
        let process = if exclusive {
            ProcessGuard::Exclusive(
                IN_PROCESS
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        } else {
            ProcessGuard::Shared(
                IN_PROCESS
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        };
        let file = lock_file(exclusive);
        RunLock {
            file,
            process,
            waited: started.elapsed(),
        }
    }

    /// Whether this is an exclusive lock.
    #[must_use]
    pub fn is_exclusive(&self) -> bool {
        matches!(self.process, ProcessGuard::Exclusive(_))
    }

    /// Whether the cross-process half is held too (it is not when the lock
    /// file could not be opened; a notice said so).
    #[must_use]
    pub fn is_machine_wide(&self) -> bool {
        self.file.is_some()
    }

    /// How long taking the lock waited for other runs.
    #[must_use]
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The lock file every process locks: `spike-run.lock` in the system's
    /// temporary folder (`$TMPDIR`, else `/tmp` on Unix).
    #[must_use]
    pub fn path() -> PathBuf {
        std::env::temp_dir().join(LOCK_FILE_NAME)
    }
}

/// Open and lock the lock file; `None`, after a notice, when that is not
/// possible (a read-only temporary folder): the in-process lock still holds.
fn lock_file(exclusive: bool) -> Option<File> {
    let path = RunLock::path();
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path);
    let locked = opened.and_then(|file| {
        if exclusive {
            file.lock()?;
        } else {
            file.lock_shared()?;
        }
        Ok(file)
    });
    match locked {
        Ok(file) => Some(file),
        Err(e) => {
            crate::notice::notice(&format!(
                "could not lock {}: {e}; spike runs in other processes may overlap this one",
                path.display()
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn exclusive_holders_never_overlap_and_shared_ones_do() {
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let run = |exclusive: bool| {
            let (inside, most) = (inside.clone(), most.clone());
            std::thread::spawn(move || {
                let _lock = if exclusive {
                    RunLock::exclusive()
                } else {
                    RunLock::shared()
                };
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(60));
                inside.fetch_sub(1, Ordering::SeqCst);
            })
        };
        let threads: Vec<_> = (0..4).map(|_| run(true)).collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "exclusive holders overlapped"
        );

        most.store(0, Ordering::SeqCst);
        let first = RunLock::shared();
        let threads: Vec<_> = (0..3).map(|_| run(false)).collect();
        for t in threads {
            t.join().expect("thread");
        }
        drop(first);
        assert!(
            most.load(Ordering::SeqCst) >= 2,
            "shared holders must be able to overlap"
        );
    }
}
