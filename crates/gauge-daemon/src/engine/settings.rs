//! The frame builder's settings: lamp thresholds, configured token limits and how long official
//! readings stay fresh. `config` resolves them from flags, environment and file.

use std::time::Duration;

/// The settings the frame builder needs.
#[derive(Clone, Copy, Debug)]
pub struct FrameSettings {
    /// Lamp thresholds.
    pub lamps: LampThresholds,
    /// Configured token limits.
    pub token_limits: TokenLimits,
    /// Official samples stay fresh this long.
    pub official_stale_after: Duration,
    /// How often the engine re-evaluates without input (tach decay, STALL, IDLE).
    pub tick: Duration,
}

impl FrameSettings {
    /// The engine's default tick: twice a second.
    pub const DEFAULT_TICK: Duration = Duration::from_millis(500);
    /// How long an official sample stays fresh by default: ten minutes.
    pub const DEFAULT_OFFICIAL_STALE_AFTER: Duration = Duration::from_secs(600);
}

/// Thresholds that light the annunciator lamps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LampThresholds {
    /// `HOT` at or over this many tokens per minute.
    pub redline_tokens_per_min: u32,
    /// `WARN_5H` when 5-hour fuel is under this fraction.
    pub warn_fuel_5h: f64,
    /// `WARN_7D` when 7-day fuel is under this fraction.
    pub warn_fuel_7d: f64,
    /// `IDLE` after this long without a request.
    pub idle_after: Duration,
    /// `WARN_5H` also when the 5-hour fuel runs out at least this long before its reset.
    pub run_out_margin_5h: Duration,
    /// `WARN_7D` also when the 7-day fuel runs out at least this long before its reset.
    pub run_out_margin_7d: Duration,
}

impl Default for LampThresholds {
    /// HOT at the tachometer's redline and WARN at the start of the fuel dials' reserve arc: the
    /// scales are gauge-core's (docs/gauge-core.md, "Scales"), so lamps and dials cannot drift
    /// apart. IDLE after 5 minutes; a run-out 5 minutes (5h) or an hour (7d) before the reset.
    fn default() -> Self {
        let reserve = f64::from(gauge_core::FUEL_RESERVE_BP) / 10_000.0;
        LampThresholds {
            redline_tokens_per_min: gauge_core::TACH_REDLINE_PER_MIN,
            warn_fuel_5h: reserve,
            warn_fuel_7d: reserve,
            idle_after: Duration::from_secs(300),
            run_out_margin_5h: Duration::from_secs(300),
            run_out_margin_7d: Duration::from_secs(3600),
        }
    }
}

/// Token limits for the estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenLimits {
    /// The 5-hour limit in fuel tokens, or `None` to learn it from history.
    pub tokens_5h: Option<u64>,
    /// The 7-day limit in fuel tokens, or `None` to learn it.
    pub tokens_7d: Option<u64>,
}
