//! Directories to walk again shortly after they appeared: the watch on a new directory is added
//! after it appears, so a file written in between sends no event.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Directories to walk again soon after they appeared.
#[derive(Debug, Default)]
pub(super) struct Rewalks {
    due: Vec<(Instant, PathBuf)>,
}

impl Rewalks {
    /// After this long, and again after `REWALK_LATE`, a new directory is walked again.
    const REWALK_SOON: Duration = Duration::from_millis(50);
    const REWALK_LATE: Duration = Duration::from_millis(1000);

    pub(super) fn schedule(&mut self, dir: &Path, now: Instant) {
        self.due.retain(|(_, d)| d != dir);
        self.due.push((now + Self::REWALK_SOON, dir.to_path_buf()));
        self.due.push((now + Self::REWALK_LATE, dir.to_path_buf()));
    }

    pub(super) fn take_due(&mut self, now: Instant) -> HashSet<PathBuf> {
        let mut due = HashSet::new();
        self.due.retain(|(at, dir)| {
            let is_due = *at <= now;
            if is_due {
                due.insert(dir.clone());
            }
            !is_due
        });
        due
    }
}
