//! The startup summary: what each gauge will show and where its figure comes from, for the one
//! block the daemon prints once it has read what it had. Like the frame, a pure function of the
//! state and `now`; the command line renders it.

use gauge_core::FuelSource;

use super::{EngineState, UsageBasis};
use crate::limits::history_limit_5h;
use crate::readings::{SourceKind, Window};

/// The history the P90 limit learns from: completed blocks of the last 192 hours
/// (`limits::history_limit_5h`, after claude-monitor).
const HISTORY_SPAN_MS: i64 = 192 * 3600 * 1000;

/// What the gauges will show, and from where.
#[derive(Clone, Debug, PartialEq)]
pub struct StartupSummary {
    /// The 5-hour fuel gauge.
    pub fuel_5h: FuelSummary,
    /// The tachometer.
    pub tach: TachSummary,
    /// The 7-day fuel gauge.
    pub fuel_7d: FuelSummary,
    /// The sources that have reported at least once (success or error): the daemon waits for its
    /// usage sources' first report (the end of the first transcript read) before it prints.
    pub reported: Vec<SourceKind>,
}

/// What one fuel gauge shows.
#[derive(Clone, Debug, PartialEq)]
pub enum FuelSummary {
    /// Claude's own percentage, fresh.
    Official {
        /// Percent of the window used.
        used_pct: f64,
        /// When the window resets, unix seconds.
        resets_at_secs: Option<i64>,
        /// Where it was read (`statusline`, `oauth`).
        origin: &'static str,
    },
    /// Local tokens against a limit.
    Estimate {
        /// Percent of the limit used.
        used_pct: f64,
        /// The limit, fuel tokens (input + output).
        limit_tokens: u64,
        /// Where the limit comes from.
        limit: LimitOrigin,
        /// When the window resets, unix seconds, if known.
        resets_at_secs: Option<i64>,
    },
    /// No figure.
    Unknown(Unknown),
}

/// Where an estimate's limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitOrigin {
    /// `limits.tokens_5h` / `limits.tokens_7d` or a plan preset.
    Configured,
    /// Learned from official readings against local tokens (calibration).
    Learned,
    /// The P90 of this many completed 5-hour blocks.
    History {
        /// Completed blocks in the history span.
        completed_blocks: usize,
    },
    /// No history yet: the no-history default.
    Default,
}

/// Why a fuel gauge has no figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// No usage seen yet and no usage source has worked.
    NoUsage,
    /// The 7-day window has no published token limit: it needs `limits.tokens_7d` or official
    /// readings.
    NoLimit7d,
    /// A Prometheus source is the basis and has not answered yet.
    WaitingForPrometheus,
}

/// What the tachometer shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TachSummary {
    /// Tokens per minute now.
    pub tokens_per_min: u64,
    /// Whether it reads a Prometheus source's aggregate (else local requests).
    pub is_from_prometheus: bool,
}

impl EngineState {
    /// The summary at `now_ms`.
    pub fn summary(&self, now_ms: i64) -> StartupSummary {
        let mut reported: Vec<SourceKind> = self
            .health
            .iter()
            .filter(|(_, h)| h.last_ok_ms.is_some() || h.last_error.is_some())
            .map(|(kind, _)| *kind)
            .collect();
        reported.sort_by_key(|kind| kind.as_str());
        StartupSummary {
            fuel_5h: self.fuel_summary(Window::FiveHour, now_ms),
            tach: TachSummary {
                tokens_per_min: self.tach_tokens(now_ms),
                is_from_prometheus: matches!(self.basis(), UsageBasis::Aggregate(_)),
            },
            fuel_7d: self.fuel_summary(Window::SevenDay, now_ms),
            reported,
        }
    }

    fn fuel_summary(&self, window: Window, now_ms: i64) -> FuelSummary {
        let fuel = match window {
            Window::FiveHour => self.fuel_5h(now_ms),
            Window::SevenDay => self.fuel_7d(now_ms),
        };
        let Some(fuel) = fuel else {
            return FuelSummary::Unknown(self.unknown(window));
        };
        let used_pct = (1.0 - fuel.fraction) * 100.0;
        let (official, calibration) = self.official_and_calibration(window);
        if fuel.source == FuelSource::Official {
            return FuelSummary::Official {
                used_pct,
                resets_at_secs: fuel.resets_at_secs,
                origin: official.map_or("official", |s| s.origin.as_str()),
            };
        }
        // An estimate is the calibrated one whenever one exists (`limits::choose_fuel`).
        let (limit_tokens, limit) = match (calibration, self.calibrated(window, now_ms)) {
            (Some(calibration), Some(_)) => {
                (calibration.effective_limit_tokens(), LimitOrigin::Learned)
            }
            _ => self.estimate_limit(window, now_ms),
        };
        FuelSummary::Estimate {
            used_pct,
            limit_tokens,
            limit,
            resets_at_secs: fuel.resets_at_secs,
        }
    }

    /// The limit an estimate of `window` uses at `now_ms`: the learned one while a calibration
    /// exists, else the plain estimate's; `None` for a 7-day window without any.
    pub fn limit_in_use(&self, window: Window, now_ms: i64) -> Option<(u64, LimitOrigin)> {
        let (_, calibration) = self.official_and_calibration(window);
        if let Some(calibration) = calibration {
            return Some((calibration.effective_limit_tokens(), LimitOrigin::Learned));
        }
        if window == Window::SevenDay && self.settings.token_limits.tokens_7d.is_none() {
            return None;
        }
        Some(self.estimate_limit(window, now_ms))
    }

    /// The plain estimate's limit, as `fuel_5h` / `fuel_7d` choose it.
    fn estimate_limit(&self, window: Window, now_ms: i64) -> (u64, LimitOrigin) {
        let limits = self.settings.token_limits;
        let configured = match window {
            Window::FiveHour => limits.tokens_5h,
            Window::SevenDay => limits.tokens_7d,
        };
        if let Some(tokens) = configured {
            return (tokens, LimitOrigin::Configured);
        }
        match self.basis() {
            UsageBasis::Local => {
                let blocks = self.recent.blocks(now_ms);
                let completed_blocks = blocks
                    .iter()
                    .filter(|b| b.start_ms >= now_ms - HISTORY_SPAN_MS && !b.is_active(now_ms))
                    .count();
                let origin = if completed_blocks == 0 {
                    LimitOrigin::Default
                } else {
                    LimitOrigin::History { completed_blocks }
                };
                (history_limit_5h(&blocks, now_ms), origin)
            }
            UsageBasis::Aggregate(_) => (history_limit_5h(&[], now_ms), LimitOrigin::Default),
        }
    }

    fn unknown(&self, window: Window) -> Unknown {
        if window == Window::SevenDay && self.settings.token_limits.tokens_7d.is_none() {
            return Unknown::NoLimit7d;
        }
        match self.basis() {
            UsageBasis::Aggregate(None) => Unknown::WaitingForPrometheus,
            _ => Unknown::NoUsage,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{FrameSettings, LampThresholds, TokenLimits};
    use crate::readings::{
        EngineInput, OfficialOrigin, OfficialSample, Origin, TokenCounts, UsageEvent,
    };

    const HOUR_MS: i64 = 3600 * 1000;
    const NOW: i64 = 1_795_491_113_000;

    fn state(tokens_5h: Option<u64>, tokens_7d: Option<u64>) -> EngineState {
        EngineState::new(FrameSettings {
            lamps: LampThresholds {
                redline_tokens_per_min: 40_000,
                warn_fuel_5h: 0.2,
                warn_fuel_7d: 0.2,
                idle_after: Duration::from_secs(300),
                run_out_margin_5h: Duration::from_secs(300),
                run_out_margin_7d: Duration::from_secs(3600),
            },
            token_limits: TokenLimits {
                tokens_5h,
                tokens_7d,
            },
            official_stale_after: Duration::from_secs(600),
            tick: FrameSettings::DEFAULT_TICK,
        })
    }

    fn usage(key: &str, at_ms: i64, fuel_tokens: u64) -> EngineInput {
        EngineInput::Usage(vec![UsageEvent {
            at_ms,
            origin: Origin::Transcript,
            dedup_key: key.into(),
            message_id: None,
            model: "claude-opus-4-5".into(),
            tokens: TokenCounts {
                input: fuel_tokens / 2,
                output: fuel_tokens - fuel_tokens / 2,
                cache_creation: 0,
                cache_read: 0,
            },
            cost_usd: 0.0,
            is_sidechain: false,
            has_speed: false,
        }])
    }

    #[test]
    fn a_fresh_start_knows_nothing_and_says_why() {
        let summary = state(None, None).summary(NOW);
        assert_eq!(summary.fuel_5h, FuelSummary::Unknown(Unknown::NoUsage));
        assert_eq!(summary.fuel_7d, FuelSummary::Unknown(Unknown::NoLimit7d));
        assert_eq!(summary.tach.tokens_per_min, 0);
        assert!(summary.reported.is_empty());
    }

    #[test]
    fn history_gives_the_p90_limit_and_counts_its_blocks() {
        let mut state = state(None, None);
        // Three completed blocks a day apart, then an active one of 20k.
        for (i, day) in [3, 2, 1].iter().enumerate() {
            state.apply(
                usage(&format!("h{i}"), NOW - day * 24 * HOUR_MS, 30_000),
                NOW,
            );
        }
        state.apply(usage("now", NOW - 30_000, 20_000), NOW);
        state.apply(EngineInput::Health(SourceKind::Transcripts, Ok(())), NOW);
        let summary = state.summary(NOW);
        let FuelSummary::Estimate {
            used_pct,
            limit_tokens,
            limit,
            resets_at_secs,
        } = summary.fuel_5h
        else {
            panic!("{summary:?}");
        };
        assert_eq!(
            limit,
            LimitOrigin::History {
                completed_blocks: 3
            }
        );
        assert_eq!(limit_tokens, 30_000);
        assert!(
            (used_pct - 100.0 * 20_000.0 / 30_000.0).abs() < 0.01,
            "{used_pct}"
        );
        assert!(resets_at_secs.is_some());
        // The frame shows the same figure.
        let frame = state.next_frame(NOW, None);
        let frame_used = 100.0 * (1.0 - f64::from(frame.fuel_5h.unwrap()));
        assert!((frame_used - used_pct).abs() < 0.01);
        assert_eq!(summary.fuel_7d, FuelSummary::Unknown(Unknown::NoLimit7d));
        assert_eq!(summary.tach.tokens_per_min, 20_000);
        assert_eq!(summary.reported, vec![SourceKind::Transcripts]);
    }

    #[test]
    fn configured_limits_and_official_readings_are_named() {
        let mut state = state(Some(10_000), Some(100_000));
        state.apply(usage("a", NOW - 60_000, 5_000), NOW);
        state.apply(
            EngineInput::Official(OfficialSample {
                at_ms: NOW - 1_000,
                window: Window::FiveHour,
                used_pct: 42.0,
                resets_at_secs: Some(NOW / 1000 + 3600),
                origin: OfficialOrigin::Statusline,
            }),
            NOW,
        );
        let summary = state.summary(NOW);
        assert!(
            matches!(summary.fuel_5h, FuelSummary::Official { origin: "statusline", used_pct, .. } if (used_pct - 42.0).abs() < 1e-9),
            "{summary:?}"
        );
        assert!(
            matches!(
                summary.fuel_7d,
                FuelSummary::Estimate {
                    limit: LimitOrigin::Configured,
                    limit_tokens: 100_000,
                    ..
                }
            ),
            "{summary:?}"
        );
    }
}
