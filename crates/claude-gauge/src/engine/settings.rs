//! The frame builder's settings: lamp thresholds, configured token limits and how long official
//! readings stay fresh. `config` resolves them from flags, environment and file.

use std::time::Duration;

/// The settings the frame builder needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameSettings {
    /// Lamp thresholds.
    pub(crate) lamps: LampThresholds,
    /// Configured token limits.
    pub(crate) token_limits: TokenLimits,
    /// Official samples stay fresh this long.
    pub(crate) official_stale_after: Duration,
}

/// Thresholds that light the annunciator lamps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LampThresholds {
    /// `HOT` at or over this many tokens per minute.
    pub(crate) redline_tokens_per_min: u32,
    /// `WARN_5H` when 5-hour fuel is under this fraction.
    pub(crate) warn_fuel_5h: f64,
    /// `WARN_7D` when 7-day fuel is under this fraction.
    pub(crate) warn_fuel_7d: f64,
    /// `IDLE` after this long without a request.
    pub(crate) idle_after: Duration,
    /// `WARN_5H` also when the 5-hour fuel runs out at least this long before its reset.
    pub(crate) run_out_margin_5h: Duration,
    /// `WARN_7D` also when the 7-day fuel runs out at least this long before its reset.
    pub(crate) run_out_margin_7d: Duration,
}

/// Token limits for the estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TokenLimits {
    /// The 5-hour limit in fuel tokens, or `None` to learn it from history.
    pub(crate) tokens_5h: Option<u64>,
    /// The 7-day limit in fuel tokens, or `None` to learn it.
    pub(crate) tokens_7d: Option<u64>,
}
