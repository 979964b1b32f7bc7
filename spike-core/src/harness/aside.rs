//! Where a saved baseline goes when an inconclusive attempt is set aside.

use std::path::{Path, PathBuf};

use crate::baselines::store::BASELINES;

/// Move the saved baselines (`baselines/` of the test's folder, or of a
/// scenario's folder in it) from an attempt set aside back to `dir`: they
/// belong to the test, not to the attempt, and the next attempt compares
/// with them.
pub(super) fn restore_baselines(aside: &Path, dir: &Path) -> std::io::Result<()> {
    let mut folders = vec![PathBuf::new()];
    for entry in std::fs::read_dir(aside)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() && entry.file_name() != BASELINES {
            folders.push(PathBuf::from(entry.file_name()));
        }
    }
    for folder in folders {
        let saved = aside.join(&folder).join(BASELINES);
        if saved.is_dir() {
            let home = dir.join(&folder);
            std::fs::create_dir_all(&home)?;
            std::fs::rename(saved, home.join(BASELINES))?;
        }
    }
    Ok(())
}
