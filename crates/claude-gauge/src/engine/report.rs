//! The limits report: what the daemon knows about Claude's limits beyond the frame (the newest
//! official reading per window, the learned calibration, the OAuth poller's state), served at
//! `GET /limits` and shown by `claude-gauge limits`, which reads it back into these same types.

use serde::{Deserialize, Serialize};

use super::state::EngineState;
use crate::limits::Calibration;
use crate::readings::{OfficialSample, SourceKind, Window};

/// Everything `GET /limits` shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LimitsReport {
    /// One entry per window, 5h first.
    pub(crate) windows: Vec<WindowReport>,
    /// Until when Claude reported the limit reached, unix seconds.
    pub(crate) limit_until_secs: Option<i64>,
    /// The OAuth poller's state; `None` when it is off.
    pub(crate) oauth: Option<SourceReport>,
}

/// One window's official reading and calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct WindowReport {
    /// `5h` or `7d`.
    pub(crate) window: String,
    /// The newest official reading, fresh or not.
    pub(crate) official: Option<OfficialReport>,
    /// What was learned from official readings and local tokens.
    pub(crate) calibration: Option<CalibrationReport>,
}

/// An official reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct OfficialReport {
    /// Percent used.
    pub(crate) used_pct: f64,
    /// Reset time, unix seconds.
    pub(crate) resets_at_secs: Option<i64>,
    /// `statusline` or `oauth`.
    pub(crate) origin: String,
    /// When it was read, unix ms.
    pub(crate) at_ms: i64,
}

/// A learned calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CalibrationReport {
    /// Fuel tokens (input + output) per percent.
    pub(crate) tokens_per_pct: f64,
    /// The whole window in fuel tokens: 100 x `tokens_per_pct`.
    pub(crate) effective_limit_tokens: u64,
    /// When it was learned, unix ms.
    pub(crate) learned_at_ms: i64,
    /// The official percentage it was learned from.
    pub(crate) from_used_pct: f64,
    /// The local fuel tokens it was learned from.
    pub(crate) from_tokens: u64,
}

/// A source's last success and error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SourceReport {
    /// Last success, unix ms.
    pub(crate) last_ok_ms: Option<i64>,
    /// The newest error, if the newest report was one (never user data or tokens).
    pub(crate) last_error: Option<String>,
}

impl LimitsReport {
    /// The report for `state` at `now_ms`.
    pub(crate) fn of(state: &EngineState, now_ms: i64) -> LimitsReport {
        let windows = [Window::FiveHour, Window::SevenDay]
            .into_iter()
            .map(|window| {
                let (official, calibration) = state.official_and_calibration(window);
                WindowReport {
                    window: window.as_str().to_string(),
                    official: official.map(official_report),
                    calibration: calibration.map(calibration_report),
                }
            })
            .collect();
        LimitsReport {
            windows,
            limit_until_secs: state.limit_until_secs(now_ms),
            oauth: state
                .source_health(SourceKind::Oauth)
                .map(|h| SourceReport {
                    last_ok_ms: h.last_ok_ms,
                    last_error: h.last_error.as_ref().map(|(_, reason)| reason.clone()),
                }),
        }
    }
}

fn official_report(sample: &OfficialSample) -> OfficialReport {
    OfficialReport {
        used_pct: sample.used_pct,
        resets_at_secs: sample.resets_at_secs,
        origin: sample.origin.as_str().to_string(),
        at_ms: sample.at_ms,
    }
}

fn calibration_report(calibration: &Calibration) -> CalibrationReport {
    CalibrationReport {
        tokens_per_pct: calibration.tokens_per_pct,
        effective_limit_tokens: calibration.effective_limit_tokens(),
        learned_at_ms: calibration.learned_at_ms,
        from_used_pct: calibration.from_used_pct,
        from_tokens: calibration.from_tokens,
    }
}
