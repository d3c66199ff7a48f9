//! The wall clock as unix time: the one place the daemon turns `SystemTime` into numbers.
//!
//! Pure code takes `now` as a parameter; only the edges (the engine's loop, sources stamping
//! what they read, the CLI) call these.

use std::time::{SystemTime, UNIX_EPOCH};

/// `time` as unix milliseconds; 0 for a time before 1970.
pub(crate) fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `time` as unix nanoseconds; 0 for a time before 1970.
pub(crate) fn unix_ns(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Now as unix milliseconds.
pub fn unix_now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

/// Now as unix seconds.
pub fn unix_now_secs() -> i64 {
    unix_now_ms() / 1000
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn converts_and_clamps() {
        let t = UNIX_EPOCH + Duration::from_millis(1_774_020_000_123);
        assert_eq!(unix_ms(t), 1_774_020_000_123);
        assert_eq!(unix_ns(t), 1_774_020_000_123_000_000);
        assert_eq!(unix_ms(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert!(unix_now_secs() > 1_700_000_000);
    }
}
