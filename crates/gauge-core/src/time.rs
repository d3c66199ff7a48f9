//! Time helpers: gauge-core never reads a clock, so every time is a `now_us` argument.
//!
//! All internal arithmetic is wrapping, so a `u64` counter that wraps is harmless;
//! [`MicrosExtender`] turns a 32-bit microsecond counter (which wraps every ~71.6 minutes) into
//! the monotonic `u64` every API here takes.

/// Whether `delay_us` has elapsed since `since_us` at `now_us`, with wrapping arithmetic.
pub(crate) const fn has_elapsed(now_us: u64, since_us: u64, delay_us: u64) -> bool {
    now_us.wrapping_sub(since_us) >= delay_us
}

/// The later of two timestamps on a wrapping timeline (both within 2^63 µs of each other).
pub(crate) const fn later(a_us: u64, b_us: u64) -> u64 {
    // Reinterpreting the wrapped difference as signed is the point: it orders the two
    // timestamps even across the u64 wrap.
    #[allow(clippy::cast_possible_wrap)]
    if (a_us.wrapping_sub(b_us) as i64) >= 0 {
        a_us
    } else {
        b_us
    }
}

/// Extends a wrapping 32-bit microsecond counter into a monotonic 64-bit one.
///
/// Call [`MicrosExtender::extend`] at least once per wrap period (2^32 µs, about 71 minutes);
/// every poll loop does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MicrosExtender {
    wraps: u32,
    last_low_us: u32,
}

impl MicrosExtender {
    /// An extender whose first reading is taken as lying in the first wrap period.
    pub const fn new() -> MicrosExtender {
        MicrosExtender {
            wraps: 0,
            last_low_us: 0,
        }
    }

    /// The 64-bit time for a 32-bit reading taken no earlier than the previous one.
    pub fn extend(&mut self, now_low_us: u32) -> u64 {
        if now_low_us < self.last_low_us {
            self.wraps = self.wraps.wrapping_add(1);
        }
        self.last_low_us = now_low_us;
        (u64::from(self.wraps) << 32) | u64::from(now_low_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extender_counts_wraps() {
        let mut ext = MicrosExtender::new();
        assert_eq!(ext.extend(u32::MAX - 5), u64::from(u32::MAX - 5));
        assert_eq!(ext.extend(3), (1 << 32) + 3);
        assert_eq!(ext.extend(3), (1 << 32) + 3);
    }

    #[test]
    fn wrapping_helpers_order_across_the_wrap() {
        assert!(has_elapsed(5, u64::MAX - 4, 10));
        assert!(!has_elapsed(4, u64::MAX - 4, 10));
        assert_eq!(later(5, u64::MAX - 4), 5);
        assert_eq!(later(u64::MAX - 4, 5), 5);
        assert_eq!(later(7, 9), 9);
    }
}
