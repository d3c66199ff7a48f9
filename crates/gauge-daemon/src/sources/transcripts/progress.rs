//! Progress of a catch-up pass, for the bar the command line draws.

use super::{Out, ScanProgress};

/// Progress of one catch-up pass, reported through [`Out::scan_progress`] only for a large one
/// (the first read of a long history), at most every [`Progress::STEP_BYTES`].
pub(super) struct Progress {
    out: Out,
    current: ScanProgress,
    reported_at: u64,
}

impl Progress {
    /// Passes smaller than this report nothing.
    const SHOW_OVER_BYTES: u64 = 64 << 20;
    /// Reports are at least this far apart.
    const STEP_BYTES: u64 = 1 << 20;

    pub(super) fn new(out: Out, bytes_total: u64) -> Progress {
        let current = ScanProgress {
            bytes_done: 0,
            bytes_total: if bytes_total >= Self::SHOW_OVER_BYTES {
                bytes_total
            } else {
                0
            },
        };
        if current.bytes_total > 0 {
            out.scan_progress(current);
        }
        Progress {
            out,
            current,
            reported_at: 0,
        }
    }

    pub(super) fn add(&mut self, bytes: u64) {
        if self.current.bytes_total == 0 {
            return;
        }
        self.current.bytes_done = (self.current.bytes_done + bytes).min(self.current.bytes_total);
        if self.current.bytes_done - self.reported_at >= Self::STEP_BYTES {
            self.reported_at = self.current.bytes_done;
            self.out.scan_progress(self.current);
        }
    }

    pub(super) fn finish(self) {
        if self.current.bytes_total > 0 {
            self.out.scan_progress(ScanProgress::default());
        }
    }
}
