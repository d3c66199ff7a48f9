//! The engine's state and the frame builder: every frame is a pure function of this state, the
//! settings and `now`.
//!
//! The needles have one usage basis: local requests (transcripts, OTLP), or, when a Prometheus
//! source is configured, its aggregate readings ([`UsageBasis`]). Official samples win over
//! either for fuel while they are fresh.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use gauge_core::{Frame, FuelSource, Lamp, Lamps, ModelFamily, FRAME_VERSION};

use super::totals::UsageTotals;
use super::EngineInput;
use crate::config::{LampThresholds, TokenLimits};
use crate::limits::{
    calibrated_estimate, choose_fuel, history_limit_5h, Block, CalibratedInputs, CalibratedUse,
    Calibration, Fuel, FuelInputs, RecentUsage,
};
use crate::usage::{OfficialSample, PrometheusReading, Window};

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

/// Where the tach and fuel-token figures come from.
#[derive(Clone, Copy, Debug)]
enum UsageBasis<'a> {
    /// Requests in the recent index.
    Local,
    /// A configured Prometheus source's newest reading (`None` before the first one).
    Aggregate(Option<&'a PrometheusReading>),
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
    calibration_5h: Option<Calibration>,
    calibration_7d: Option<Calibration>,
    health: HashMap<SourceKind, SourceHealth>,
    limit_until_secs: Option<i64>,
    reported_model: Option<(i64, ModelFamily)>,
    /// Metered tach tokens (time unix ms, tokens) of the last minute, oldest first.
    metered: VecDeque<(i64, u64)>,
    totals: UsageTotals,
    aggregate: Option<PrometheusReading>,
    /// The newest model a reading named, and when: kept when later readings name none.
    aggregate_model: Option<(i64, ModelFamily)>,
    /// The newest reading that showed tokens flowing, unix ms (for IDLE).
    aggregate_active_ms: Option<i64>,
}

impl EngineState {
    /// An empty state.
    pub(crate) fn new(settings: FrameSettings) -> EngineState {
        EngineState {
            settings,
            recent: RecentUsage::default(),
            official_5h: None,
            official_7d: None,
            calibration_5h: None,
            calibration_7d: None,
            health: HashMap::new(),
            limit_until_secs: None,
            reported_model: None,
            metered: VecDeque::new(),
            totals: UsageTotals::default(),
            aggregate: None,
            aggregate_model: None,
            aggregate_active_ms: None,
        }
    }

    /// Applies one input received at `now_ms`.
    pub(crate) fn apply(&mut self, input: EngineInput, now_ms: i64) {
        match input {
            EngineInput::Usage(events) => {
                for event in &events {
                    let replaced = self.recent.upsert(event);
                    self.totals.add(event, replaced);
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
                    self.learn(&sample);
                }
            }
            EngineInput::Aggregate(reading) => self.apply_aggregate(reading),
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

    fn apply_aggregate(&mut self, reading: PrometheusReading) {
        if self
            .aggregate
            .as_ref()
            .is_some_and(|old| old.at_ms > reading.at_ms)
        {
            return;
        }
        if let Some(model_id) = &reading.model {
            self.aggregate_model = Some((reading.at_ms, ModelFamily::from_model_id(model_id)));
        }
        if reading.tach_tokens_per_min > 0 {
            self.aggregate_active_ms = Some(reading.at_ms);
        }
        self.aggregate = Some(reading);
    }

    /// Usage seen since the engine started, by model, for `/metrics`.
    pub(crate) fn totals(&self) -> &UsageTotals {
        &self.totals
    }

    /// Learns the window's tokens per percent from an official sample and the local tokens of the
    /// window it speaks of, `[resets_at - length, at]`.
    fn learn(&mut self, sample: &OfficialSample) {
        let Some(reset_secs) = sample.resets_at_secs else {
            return;
        };
        let span_ms = sample.at_ms - (reset_secs - sample.window.length_secs()) * 1000;
        if span_ms <= 0 {
            return;
        }
        let tokens = self.recent.fuel_tokens_since(sample.at_ms, span_ms);
        let Some(reading) = Calibration::learn(sample, tokens) else {
            return;
        };
        let slot = match sample.window {
            Window::FiveHour => &mut self.calibration_5h,
            Window::SevenDay => &mut self.calibration_7d,
        };
        *slot = Some(Calibration::update(*slot, reading));
    }

    /// The newest official sample and what was learned, per window.
    pub(crate) fn official_and_calibration(
        &self,
        window: Window,
    ) -> (Option<&OfficialSample>, Option<&Calibration>) {
        match window {
            Window::FiveHour => (self.official_5h.as_ref(), self.calibration_5h.as_ref()),
            Window::SevenDay => (self.official_7d.as_ref(), self.calibration_7d.as_ref()),
        }
    }

    /// Until when Claude reported the limit reached, unix seconds.
    pub(crate) fn limit_until_secs(&self) -> Option<i64> {
        self.limit_until_secs
    }

    /// What a source last said of itself, if it is configured.
    pub(crate) fn source_health(&self, kind: SourceKind) -> Option<&SourceHealth> {
        self.health.get(&kind)
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
        let tach = u32::try_from(self.tach_tokens(now_ms)).unwrap_or(u32::MAX);
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

    /// A configured Prometheus source is the usage basis: its aggregates already cover every
    /// machine it sees, so local requests on top would count twice.
    fn basis(&self) -> UsageBasis<'_> {
        if self.health.contains_key(&SourceKind::Prometheus) {
            UsageBasis::Aggregate(self.aggregate.as_ref())
        } else {
            UsageBasis::Local
        }
    }

    /// Metered tach tokens (usage known only in aggregate, e.g. OTLP metrics of a session that
    /// sends no events) in `(now_ms - 60 s, now_ms]`.
    fn metered_tach_tokens(&self, now_ms: i64) -> u64 {
        self.metered
            .iter()
            .filter(|(at, _)| now_ms - 60_000 < *at && *at <= now_ms)
            .map(|(_, tokens)| tokens)
            .sum()
    }

    fn tach_tokens(&self, now_ms: i64) -> u64 {
        match self.basis() {
            UsageBasis::Local => {
                self.recent.tach_tokens_last_minute(now_ms) + self.metered_tach_tokens(now_ms)
            }
            // A stale rate is no rate: the tach falls back to zero and STALL says why; fuel,
            // a window sum that moves slowly, holds its last reading.
            UsageBasis::Aggregate(Some(reading))
                if now_ms - reading.at_ms <= self.fresh_ms(SourceKind::Prometheus)
                    && self
                        .health
                        .get(&SourceKind::Prometheus)
                        .is_some_and(|h| self.is_fresh(SourceKind::Prometheus, h, now_ms)) =>
            {
                reading.tach_tokens_per_min
            }
            UsageBasis::Aggregate(_) => 0,
        }
    }

    fn model(&self) -> Option<ModelFamily> {
        [
            self.recent.newest(),
            self.reported_model,
            self.aggregate_model,
        ]
        .into_iter()
        .flatten()
        // The newest wins; on a tie the earlier candidate (local usage) does.
        .rev()
        .max_by_key(|(at_ms, _)| *at_ms)
        .map(|(_, family)| family)
    }

    fn fuel_5h(&self, now_ms: i64) -> Option<Fuel> {
        let (used_tokens, limit, resets_at_secs) = match self.basis() {
            UsageBasis::Local => {
                // One walk of the recent index serves the active block and the P90 history.
                let blocks = self.recent.blocks(now_ms);
                let block = Block::active_among(&blocks, now_ms);
                // An estimate needs local usage data: a configured usage source or requests on
                // record.
                let limit = self.has_local_usage().then(|| {
                    self.settings
                        .limits
                        .tokens_5h
                        .unwrap_or_else(|| history_limit_5h(&blocks, now_ms))
                });
                let resets_at_secs = block.map(|b| b.end_ms() / 1000);
                (block.map_or(0, |b| b.fuel_tokens), limit, resets_at_secs)
            }
            // A rolling 5-hour sum has no block, so no reset time; no history either, so the
            // limit is the configured one or the no-history default.
            UsageBasis::Aggregate(reading) => (
                reading.map_or(0, |r| r.fuel_tokens_5h),
                reading.map(|_| {
                    self.settings
                        .limits
                        .tokens_5h
                        .unwrap_or_else(|| history_limit_5h(&[], now_ms))
                }),
                None,
            ),
        };
        choose_fuel(FuelInputs {
            now_ms,
            official: self.official_5h.as_ref(),
            official_stale_after_ms: self.settings.official_stale_after.as_millis() as i64,
            used_tokens,
            limit_tokens: limit,
            estimate_resets_at_secs: resets_at_secs,
            calibrated: self.calibrated(Window::FiveHour, now_ms),
        })
    }

    fn fuel_7d(&self, now_ms: i64) -> Option<Fuel> {
        let (used_tokens, has_data) = match self.basis() {
            UsageBasis::Local => (
                self.recent
                    .fuel_tokens_since(now_ms, Window::SevenDay.length_secs() * 1000),
                self.has_local_usage(),
            ),
            UsageBasis::Aggregate(reading) => {
                (reading.map_or(0, |r| r.fuel_tokens_7d), reading.is_some())
            }
        };
        choose_fuel(FuelInputs {
            now_ms,
            official: self.official_7d.as_ref(),
            official_stale_after_ms: self.settings.official_stale_after.as_millis() as i64,
            used_tokens,
            limit_tokens: self.settings.limits.tokens_7d.filter(|_| has_data),
            estimate_resets_at_secs: None,
            calibrated: self.calibrated(Window::SevenDay, now_ms),
        })
    }

    /// The calibrated estimate of a window (see `limits::calibrated_estimate`): the tokens since
    /// the last official sample, and, once its window is over, the tokens of the new one.
    fn calibrated(&self, window: Window, now_ms: i64) -> Option<CalibratedUse> {
        let (official, calibration) = self.official_and_calibration(window);
        calibration?;
        let tokens_since = |from_ms: i64| {
            let span_ms = now_ms - from_ms;
            if span_ms > 0 {
                self.recent.fuel_tokens_since(now_ms, span_ms)
            } else {
                0
            }
        };
        let old_reset_secs = official.and_then(|s| s.resets_at_secs);
        let (tokens_in_new_window, new_window_resets_at_secs) = match (window, old_reset_secs) {
            (Window::FiveHour, reset) => {
                let block = self.recent.active_block(now_ms);
                let block_tokens = block.map_or(0, |b| b.fuel_tokens);
                let since_reset = reset.map_or(block_tokens, |r| tokens_since(r * 1000));
                let block_end = block
                    .map(|b| b.end_ms() / 1000)
                    .filter(|end| reset.is_none_or(|r| *end > r));
                (block_tokens.min(since_reset), block_end)
            }
            (Window::SevenDay, Some(reset)) => {
                // The weekly window is a fixed cycle: the next one ends a week after the last.
                let length = window.length_secs();
                let cycles = ((now_ms / 1000 - reset).max(0) / length) + 1;
                let new_reset = reset + cycles * length;
                (tokens_since((new_reset - length) * 1000), Some(new_reset))
            }
            (Window::SevenDay, None) => (0, None),
        };
        calibrated_estimate(CalibratedInputs {
            now_ms,
            calibration,
            last_official: official,
            tokens_since_official: official.map_or(0, |s| tokens_since(s.at_ms)),
            tokens_in_new_window,
            new_window_resets_at_secs,
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
        let last_request_ms = self
            .recent
            .newest()
            .map(|(at, _)| at)
            .max(self.aggregate_active_ms);
        let idle_ms = t.idle_after.as_millis() as i64;
        lamps.set(
            Lamp::Idle,
            last_request_ms.is_none_or(|at| now_ms - at >= idle_ms),
        );
        lamps
    }

    /// Whether any source the needles draw on is fresh. With a Prometheus basis, local usage
    /// sources do not drive the needles, so their freshness cannot keep STALL out.
    fn any_source_fresh(&self, now_ms: i64) -> bool {
        let is_aggregate = matches!(self.basis(), UsageBasis::Aggregate(_));
        self.health
            .iter()
            .filter(|(kind, _)| {
                !(is_aggregate && matches!(kind, SourceKind::Transcripts | SourceKind::Otlp))
            })
            .any(|(kind, health)| self.is_fresh(*kind, health, now_ms))
    }

    fn fresh_ms(&self, kind: SourceKind) -> i64 {
        kind.fresh_for(self.settings.official_stale_after)
            .as_millis() as i64
    }

    /// Fresh: it worked within its freshness span, and its newest report is not an error (a
    /// source that says it is failing is not waited out).
    fn is_fresh(&self, kind: SourceKind, health: &SourceHealth, now_ms: i64) -> bool {
        health.last_error.is_none()
            && health
                .last_ok_ms
                .is_some_and(|ok| now_ms - ok <= self.fresh_ms(kind))
    }
}

/// Fuel on the wire has four decimals: enough for any needle, and it keeps frames short and
/// `seq` from churning on float noise.
fn round_fraction(fraction: f64) -> f32 {
    ((fraction * 10_000.0).round() / 10_000.0) as f32
}

#[cfg(test)]
mod tests;
