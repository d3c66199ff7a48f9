//! Helpers shared by the test modules.

use gauge_core::{MotionConfig, NeedleMotion, Step};

/// Polls `motion` at each deadline (never earlier than `from_us`) until it rests or `max_steps`
/// steps were taken; returns (time, step, position after).
pub(crate) fn run_to_rest(
    motion: &mut NeedleMotion,
    from_us: u64,
    max_steps: usize,
) -> Vec<(u64, Step, u16)> {
    let mut log = Vec::new();
    let mut now = from_us;
    while let Some(due) = motion.next_deadline() {
        if due.wrapping_sub(now) as i64 > 0 {
            now = due;
        }
        if let Some(step) = motion.poll(now) {
            log.push((now, step, motion.position_steps()));
        }
        if log.len() >= max_steps {
            break;
        }
    }
    log
}

/// The default X27 config without glide or deadband: the raw SwitecX25-style motion.
pub(crate) fn plain() -> MotionConfig {
    MotionConfig::default()
        .with_glide_us(0)
        .with_deadband_steps(0)
}
