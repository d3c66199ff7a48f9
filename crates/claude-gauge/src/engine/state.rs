//! The engine's state and the frame builder: every frame is a pure function of this state, the
//! settings and `now`.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use gauge_core::{Frame, FuelSource, Lamp, Lamps, ModelFamily, FRAME_VERSION};

use super::EngineInput;
use crate::config::{LampThresholds, TokenLimits};
use crate::limits::{choose_fuel, history_limit_5h, Fuel, FuelInputs, RecentUsage};
use crate::usage::{OfficialSample, Window};

/// A kind of source, for health and STALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SourceKind {
    /// The JSONL transcripts.
    Transcripts,
    /// The statusLine feed.
    Statusline,
    /// The OAuth usage poller.
    #[allow(dead_code)] // Constructed by the OAuth poller, which lands on its own branch.
    Oauth,
    /// The OTLP receivers.
    Otlp,
    /// A Prometheus server.
    Prometheus,
}

impl SourceKind {
    /// The name used in logs and `/stats`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SourceKind::Transcripts => "transcripts",
            SourceKind::Statusline => "statusline",
            SourceKind::Oauth => "oauth",
            SourceKind::Otlp => "otlp",
            SourceKind::Prometheus => "prometheus",
        }
    }

    /// How long a source counts as fresh after its last sign of life.
    fn fresh_for(self, official_stale_after: Duration) -> Duration {
        match self {
            // The transcript watcher and the Prometheus poller report every few seconds.
            SourceKind::Transcripts | SourceKind::Prometheus => Duration::from_secs(30),
            // These speak only when Claude Code does.
            SourceKind::Statusline | SourceKind::Otlp => official_stale_after,
            SourceKind::Oauth => Duration::from_secs(600),
        }
    }
}

/// What a source last said of itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SourceHealth {
    /// The last time it worked, unix ms.
    pub(crate) last_ok_ms: Option<i64>,
    /// The last error and when, if the newest report was an error.
    pub(crate) last_error: Option<(i64, String)>,
}

/// One source's status as `/stats` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct SourceStatus {
    /// The source's name.
    pub(crate) source: &'static str,
    /// Whether it counts as fresh now (STALL is lit when none does).
    pub(crate) is_fresh: bool,
    /// Its last sign of life, unix ms.
    pub(crate) last_ok_ms: Option<i64>,
    /// Its last error, if its newest report was one (a reason, never user data).
    pub(crate) last_error: Option<String>,
}

/// The settings the frame builder needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameSettings {
    /// Lamp thresholds.
    pub(crate) lamps: LampThresholds,
    /// Configured token limits.
    pub(crate) limits: TokenLimits,
    /// Official samples stay fresh this long.
    pub(crate) official_stale_after: Duration,
}

/// Everything the frame is computed from.
#[derive(Debug)]
pub(crate) struct EngineState {
    settings: FrameSettings,
    recent: RecentUsage,
    official_5h: Option<OfficialSample>,
    official_7d: Option<OfficialSample>,
    health: HashMap<SourceKind, SourceHealth>,
    limit_until_secs: Option<i64>,
    reported_model: Option<(i64, ModelFamily)>,
    /// Metered tach tokens (time unix ms, tokens) of the last minute, oldest first.
    metered: VecDeque<(i64, u64)>,
}

impl EngineState {
    /// An empty state.
    pub(crate) fn new(settings: FrameSettings) -> EngineState {
        EngineState {
            settings,
            recent: RecentUsage::default(),
            official_5h: None,
            official_7d: None,
            health: HashMap::new(),
            limit_until_secs: None,
            reported_model: None,
            metered: VecDeque::new(),
        }
    }

    /// Applies one input received at `now_ms`.
    pub(crate) fn apply(&mut self, input: EngineInput, now_ms: i64) {
        match input {
            EngineInput::Usage(events) => {
                for event in &events {
                    self.recent.upsert(event);
                }
                self.recent.prune(now_ms);
            }
            EngineInput::Official(sample) => {
                let slot = match sample.window {
                    Window::FiveHour => &mut self.official_5h,
                    Window::SevenDay => &mut self.official_7d,
                };
                if slot.is_none_or(|old| old.at_ms <= sample.at_ms) {
                    *slot = Some(sample);
                }
            }
            EngineInput::Model(model_id) => {
                self.reported_model = Some((now_ms, ModelFamily::from_model_id(&model_id)));
            }
            EngineInput::Health(kind, result) => {
                let health = self.health.entry(kind).or_default();
                match result {
                    Ok(()) => {
                        health.last_ok_ms = Some(now_ms);
                        health.last_error = None;
                    }
                    Err(reason) => health.last_error = Some((now_ms, reason)),
                }
            }
            EngineInput::Configured(kind) => {
                self.health.entry(kind).or_default();
            }
            EngineInput::Metered { at_ms, tach_tokens } => {
                while self
                    .metered
                    .front()
                    .is_some_and(|(at, _)| now_ms - at >= 60_000)
                {
                    self.metered.pop_front();
                }
                let slot = self.metered.partition_point(|(at, _)| *at <= at_ms);
                self.metered.insert(slot, (at_ms, tach_tokens));
            }
            EngineInput::LimitReached { until_secs } => {
                self.limit_until_secs = Some(
                    self.limit_until_secs
                        .map_or(until_secs, |old| old.max(until_secs)),
                );
            }
        }
    }

    /// Every configured source's status at `now_ms`, for `/stats`, in a stable order.
    pub(crate) fn source_statuses(&self, now_ms: i64) -> Vec<SourceStatus> {
        let mut statuses: Vec<SourceStatus> = self
            .health
            .iter()
            .map(|(kind, health)| SourceStatus {
                source: kind.as_str(),
                is_fresh: self.is_fresh(*kind, health, now_ms),
                last_ok_ms: health.last_ok_ms,
                last_error: health.last_error.as_ref().map(|(_, reason)| reason.clone()),
            })
            .collect();
        statuses.sort_by_key(|s| s.source);
        statuses
    }

    fn is_fresh(&self, kind: SourceKind, health: &SourceHealth, now_ms: i64) -> bool {
        let fresh_ms = kind
            .fresh_for(self.settings.official_stale_after)
            .as_millis() as i64;
        health.last_ok_ms.is_some_and(|ok| now_ms - ok <= fresh_ms)
    }

    /// The frame for `now_ms`; `seq` and `ts` advance only when the content differs from
    /// `previous`.
    pub(crate) fn next_frame(&self, now_ms: i64, previous: Option<&Frame>) -> Frame {
        let mut frame = self.frame_content(now_ms);
        match previous {
            Some(prev) if prev.shows_same_as(&frame) => *prev,
            Some(prev) => {
                frame.seq = prev.seq.wrapping_add(1);
                frame.ts = (now_ms / 1000).max(0) as u64;
                frame
            }
            None => {
                frame.seq = 1;
                frame.ts = (now_ms / 1000).max(0) as u64;
                frame
            }
        }
    }

    fn frame_content(&self, now_ms: i64) -> Frame {
        let fuel_5h = self.fuel_5h(now_ms);
        let fuel_7d = self.fuel_7d(now_ms);
        let metered_tach: u64 = self
            .metered
            .iter()
            .filter(|(at, _)| now_ms - 60_000 < *at && *at <= now_ms)
            .map(|(_, tokens)| tokens)
            .sum();
        let tach = u32::try_from(self.recent.tach_tokens_last_minute(now_ms) + metered_tach)
            .unwrap_or(u32::MAX);
        let source = [fuel_5h, fuel_7d]
            .iter()
            .flatten()
            .map(|fuel| fuel.source)
            .min_by_key(|source| match source {
                FuelSource::Official => 0,
                FuelSource::Estimate => 1,
                FuelSource::None => 2,
            })
            .unwrap_or(FuelSource::None);
        let frame = Frame {
            v: FRAME_VERSION,
            seq: 0,
            ts: 0,
            fuel_5h: fuel_5h.map(|f| round_fraction(f.fraction)),
            fuel_7d: fuel_7d.map(|f| round_fraction(f.fraction)),
            tach,
            reset_5h: fuel_5h
                .and_then(|f| f.resets_at_secs)
                .and_then(|s| u64::try_from(s).ok()),
            reset_7d: fuel_7d
                .and_then(|f| f.resets_at_secs)
                .and_then(|s| u64::try_from(s).ok()),
            model: self.model(),
            source,
            lamps: Lamps::NONE,
        };
        Frame {
            lamps: self.lamps(&frame, now_ms),
            ..frame
        }
    }

    fn model(&self) -> Option<ModelFamily> {
        let from_usage = self.recent.newest();
        match (from_usage, self.reported_model) {
            (Some((usage_ms, usage)), Some((reported_ms, reported))) => {
                Some(if reported_ms > usage_ms {
                    reported
                } else {
                    usage
                })
            }
            (Some((_, family)), None) | (None, Some((_, family))) => Some(family),
            (None, None) => None,
        }
    }

    fn fuel_5h(&self, now_ms: i64) -> Option<Fuel> {
        let block = self.recent.active_block(now_ms);
        // An estimate needs local usage data: a configured usage source or requests on record.
        let limit = self.has_local_usage().then(|| {
            self.settings
                .limits
                .tokens_5h
                .unwrap_or_else(|| history_limit_5h(&self.recent.blocks(now_ms), now_ms))
        });
        choose_fuel(FuelInputs {
            now_ms,
            official: self.official_5h.as_ref(),
            official_stale_after_ms: self.settings.official_stale_after.as_millis() as i64,
            used_tokens: block.map_or(0, |b| b.fuel_tokens),
            limit_tokens: limit,
            estimate_resets_at_secs: block.map(|b| b.end_ms() / 1000),
        })
    }

    fn fuel_7d(&self, now_ms: i64) -> Option<Fuel> {
        choose_fuel(FuelInputs {
            now_ms,
            official: self.official_7d.as_ref(),
            official_stale_after_ms: self.settings.official_stale_after.as_millis() as i64,
            used_tokens: self
                .recent
                .fuel_tokens_since(now_ms, Window::SevenDay.length_secs() * 1000),
            limit_tokens: self
                .settings
                .limits
                .tokens_7d
                .filter(|_| self.has_local_usage()),
            estimate_resets_at_secs: None,
        })
    }

    /// Whether an estimate makes sense: requests on record, or a usage source that has worked.
    fn has_local_usage(&self) -> bool {
        self.recent.len() > 0
            || [
                SourceKind::Transcripts,
                SourceKind::Otlp,
                SourceKind::Prometheus,
            ]
            .iter()
            .any(|kind| {
                self.health
                    .get(kind)
                    .is_some_and(|h| h.last_ok_ms.is_some())
            })
    }

    fn lamps(&self, frame: &Frame, now_ms: i64) -> Lamps {
        let t = &self.settings.lamps;
        let mut lamps = Lamps::NONE;
        lamps.set(Lamp::Hot, frame.tach >= t.redline_tokens_per_min);
        lamps.set(
            Lamp::Warn5h,
            frame.fuel_5h.is_some_and(|f| f64::from(f) < t.warn_fuel_5h),
        );
        lamps.set(
            Lamp::Warn7d,
            frame.fuel_7d.is_some_and(|f| f64::from(f) < t.warn_fuel_7d),
        );
        let limit_lamp = self
            .limit_until_secs
            .is_some_and(|until| now_ms < until * 1000)
            || [&self.official_5h, &self.official_7d].iter().any(|sample| {
                sample.is_some_and(|s| {
                    s.used_pct >= 100.0
                        && now_ms - s.at_ms <= self.settings.official_stale_after.as_millis() as i64
                        && s.resets_at_secs.is_none_or(|reset| now_ms < reset * 1000)
                })
            });
        lamps.set(Lamp::Limit, limit_lamp);
        lamps.set(Lamp::Stall, !self.any_source_fresh(now_ms));
        let last_request_ms = self.recent.newest().map(|(at, _)| at);
        let idle_ms = t.idle_after.as_millis() as i64;
        lamps.set(
            Lamp::Idle,
            last_request_ms.is_none_or(|at| now_ms - at >= idle_ms),
        );
        lamps
    }

    fn any_source_fresh(&self, now_ms: i64) -> bool {
        self.health
            .iter()
            .any(|(kind, health)| self.is_fresh(*kind, health, now_ms))
    }
}

/// Fuel on the wire has four decimals: enough for any needle, and it keeps frames short and
/// `seq` from churning on float noise.
fn round_fraction(fraction: f64) -> f32 {
    ((fraction * 10_000.0).round() / 10_000.0) as f32
}

#[cfg(test)]
mod tests;
