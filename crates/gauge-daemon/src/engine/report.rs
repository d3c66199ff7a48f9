//! The limits report: what the daemon knows about Claude's limits beyond the frame (the newest
//! official reading per window, the learned calibration, the OAuth poller's state), served at
//! `GET /limits` and shown by `claude-gauge limits`, which reads it back into these same types.

use serde::{Deserialize, Serialize};

use super::state::{EngineState, LimitOrigin};
use crate::limits::Calibration;
use crate::readings::{OfficialSample, SourceKind, Window};

/// Everything `GET /limits` shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LimitsReport {
    /// One entry per window, 5h first.
    pub windows: Vec<WindowReport>,
    /// Until when Claude reported the limit reached, unix seconds.
    pub limit_until_secs: Option<i64>,
    /// The OAuth poller's state; `None` when it is off.
    pub oauth: Option<SourceReport>,
    /// Every other window Claude reports (per-model weekly windows and the like), newest reading
    /// of each, by name.
    #[serde(default)]
    pub scoped: Vec<ScopedReport>,
    /// Extra usage, as the OAuth endpoint last reported it.
    #[serde(default)]
    pub extra_usage: Option<ExtraUsageReport>,
}

/// A window beyond the 5-hour and 7-day ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopedReport {
    /// The name Claude reports it under, e.g. `seven_day_opus`.
    pub name: String,
    /// The model family it limits (`opus`, `sonnet`, `haiku`), if its name says.
    pub model: Option<String>,
    /// The name Claude Code shows for it (`Fable`), when Claude gives one.
    #[serde(default)]
    pub display_name: Option<String>,
    /// How the server grades it: `normal`, `warning` or `critical`, when it does.
    #[serde(default)]
    pub severity: Option<String>,
    /// Percent used.
    pub used_pct: f64,
    /// Reset time, unix seconds.
    pub resets_at_secs: Option<i64>,
    /// `statusline` or `oauth`.
    pub origin: String,
    /// When it was read, unix ms.
    pub at_ms: i64,
}

/// Extra usage (paid use past the plan's limits).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtraUsageReport {
    /// Whether it is switched on.
    pub is_enabled: bool,
    /// The limit of the period, in the currency's major units (dollars).
    pub monthly_limit: Option<f64>,
    /// Spent this period, in the currency's major units.
    pub used_credits: Option<f64>,
    /// Percent of the limit spent; over 100 once spending passed it.
    pub used_pct: Option<f64>,
    /// The currency, when given.
    pub currency: Option<String>,
    /// The period of the limit (`monthly`), when given.
    #[serde(default)]
    pub period: Option<String>,
    /// When it was read, unix ms.
    pub at_ms: i64,
}

/// One window's official reading and calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowReport {
    /// `5h` or `7d`.
    pub window: String,
    /// The newest official reading, fresh or not.
    pub official: Option<OfficialReport>,
    /// What was learned from official readings and local tokens.
    pub calibration: Option<CalibrationReport>,
    /// The limit an estimate of this window uses now, and where it comes from; `None` when the
    /// window has none (a 7-day window without `limits.tokens_7d` or a learned rate).
    #[serde(default)]
    pub limit_in_use: Option<LimitInUse>,
}

/// The limit an estimate uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimitInUse {
    /// `learned` (from Claude's readings), `configured` (`limits.*` or a plan), `p90` (of recent
    /// 5-hour blocks) or `default` (no history yet).
    pub source: String,
    /// The limit, fuel tokens (input + output).
    pub tokens: u64,
    /// For `p90`: how many completed blocks it was taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_blocks: Option<usize>,
}

/// An official reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfficialReport {
    /// Percent used.
    pub used_pct: f64,
    /// Reset time, unix seconds.
    pub resets_at_secs: Option<i64>,
    /// `statusline` or `oauth`.
    pub origin: String,
    /// When it was read, unix ms.
    pub at_ms: i64,
}

/// A learned calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// Fuel tokens (input + output) per percent.
    pub tokens_per_pct: f64,
    /// The whole window in fuel tokens: 100 x `tokens_per_pct`.
    pub effective_limit_tokens: u64,
    /// When it was learned, unix ms.
    pub learned_at_ms: i64,
    /// The official percentage it was learned from.
    pub from_used_pct: f64,
    /// The local fuel tokens it was learned from.
    pub from_tokens: u64,
    /// The reset time of the window it was learned in, unix seconds.
    #[serde(default)]
    pub window_resets_at_secs: Option<i64>,
}

/// A source's last success and error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceReport {
    /// Last success, unix ms.
    pub last_ok_ms: Option<i64>,
    /// The newest error, if the newest report was one (never user data or tokens).
    pub last_error: Option<String>,
}

impl LimitsReport {
    /// The report for `state` at `now_ms`.
    pub fn of(state: &EngineState, now_ms: i64) -> LimitsReport {
        let windows = [Window::FiveHour, Window::SevenDay]
            .into_iter()
            .map(|window| {
                let (official, calibration) = state.official_and_calibration(window);
                WindowReport {
                    window: window.as_str().to_string(),
                    official: official.map(official_report),
                    calibration: calibration.map(calibration_report),
                    limit_in_use: state.limit_in_use(window, now_ms).map(|(tokens, origin)| {
                        let (source, completed_blocks) = match origin {
                            LimitOrigin::Learned => ("learned", None),
                            LimitOrigin::Configured => ("configured", None),
                            LimitOrigin::History { completed_blocks } => {
                                ("p90", Some(completed_blocks))
                            }
                            LimitOrigin::Default => ("default", None),
                        };
                        LimitInUse {
                            source: source.to_string(),
                            tokens,
                            completed_blocks,
                        }
                    }),
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
            scoped: state
                .scoped()
                .map(|sample| ScopedReport {
                    name: sample.name.clone(),
                    model: sample.family.map(|family| family.as_str().to_string()),
                    display_name: sample.display_name.clone(),
                    severity: sample.severity.map(|s| s.as_str().to_string()),
                    used_pct: sample.used_pct,
                    resets_at_secs: sample.resets_at_secs,
                    origin: sample.origin.as_str().to_string(),
                    at_ms: sample.at_ms,
                })
                .collect(),
            extra_usage: state.extra_usage().map(|extra| ExtraUsageReport {
                is_enabled: extra.is_enabled,
                monthly_limit: extra.monthly_limit,
                used_credits: extra.used_credits,
                used_pct: extra.used_pct,
                currency: extra.currency.clone(),
                period: extra.period.clone(),
                at_ms: extra.at_ms,
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
        window_resets_at_secs: calibration.window_resets_at_secs,
    }
}
