//! The link watchdog: how long since the last good frame, and whether the link counts as stalled.

use crate::time::has_elapsed;

/// Declares the link stalled when no frame has arrived for `timeout_us` (counted from boot
/// until the first frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkWatchdog {
    timeout_us: u32,
    last_frame_us: u64,
    has_frame: bool,
}

impl LinkWatchdog {
    /// A watchdog whose clock starts at `now_us`.
    pub const fn new(timeout_us: u32, now_us: u64) -> LinkWatchdog {
        LinkWatchdog {
            timeout_us,
            last_frame_us: now_us,
            has_frame: false,
        }
    }

    /// A good frame arrived at `now_us`.
    pub fn feed(&mut self, now_us: u64) {
        self.last_frame_us = now_us;
        self.has_frame = true;
    }

    /// Whether the link is stalled at `now_us`.
    pub const fn is_stalled(&self, now_us: u64) -> bool {
        has_elapsed(now_us, self.last_frame_us, self.timeout_us as u64)
    }

    /// When the link stalls if no frame comes first.
    pub const fn stalls_at(&self) -> u64 {
        self.last_frame_us.wrapping_add(self.timeout_us as u64)
    }

    /// Whether any frame has arrived since boot.
    pub const fn has_frame(&self) -> bool {
        self.has_frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_after_the_timeout_and_recovers_on_a_frame() {
        let mut dog = LinkWatchdog::new(5_000_000, u64::MAX - 1_000);
        assert!(!dog.is_stalled(u64::MAX));
        assert!(dog.is_stalled(4_999_000));
        dog.feed(5_000_000);
        assert!(!dog.is_stalled(5_000_001));
        assert!(dog.has_frame());
        assert_eq!(dog.stalls_at(), 10_000_000);
    }
}
