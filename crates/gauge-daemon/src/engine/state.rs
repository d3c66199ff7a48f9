//! The engine's state and the frame builder: every frame is a pure function of this state, the
//! settings and `now`.
//!
//! The needles have one usage basis: local requests (transcripts, OTLP), or, when a Prometheus
//! source is configured, its aggregate readings ([`UsageBasis`]). Official samples win over
//! either for fuel while they are fresh.

mod frame;
mod health;
mod summary;

use std::collections::{BTreeMap, HashMap, VecDeque};

use gauge_core::ModelFamily;

pub(crate) use health::{SourceHealth, SourceStatus};
pub use summary::{FuelSummary, LimitOrigin, StartupSummary, TachSummary, Unknown};

use super::settings::FrameSettings;
use super::totals::TotalsByModel;
use crate::limits::{Calibration, RecentUsage};
use crate::readings::{
    EngineInput, ExtraUsage, OfficialSample, PrometheusReading, ScopedSample, SourceKind, Window,
    MAX_UNIX_SECS,
};

/// Where the tach and fuel-token figures come from.
#[derive(Clone, Copy, Debug)]
enum UsageBasis<'a> {
    /// Requests in the recent index.
    Local,
    /// A configured Prometheus source's newest reading (`None` before the first one).
    Aggregate(Option<&'a PrometheusReading>),
}

/// Everything the frame is computed from.
#[derive(Debug)]
pub struct EngineState {
    settings: FrameSettings,
    recent: RecentUsage,
    official_5h: Option<OfficialSample>,
    official_7d: Option<OfficialSample>,
    calibration_5h: Option<Calibration>,
    calibration_7d: Option<Calibration>,
    /// The newest reading of every other window Claude reports (per-model weekly windows and
    /// the like), by name.
    scoped: BTreeMap<String, ScopedSample>,
    /// The newest report of extra usage.
    extra_usage: Option<ExtraUsage>,
    health: HashMap<SourceKind, SourceHealth>,
    limit_until_secs: Option<i64>,
    reported_model: Option<(i64, ModelFamily)>,
    /// Metered tach tokens (time unix ms, tokens) of the last minute, oldest first.
    metered: VecDeque<(i64, u64)>,
    totals: TotalsByModel,
    aggregate: Option<PrometheusReading>,
    /// The newest model a reading named, and when: kept when later readings name none.
    aggregate_model: Option<(i64, ModelFamily)>,
    /// The newest reading that showed tokens flowing, unix ms (for IDLE).
    aggregate_active_ms: Option<i64>,
}

impl EngineState {
    /// An empty state.
    pub fn new(settings: FrameSettings) -> EngineState {
        EngineState {
            settings,
            recent: RecentUsage::default(),
            official_5h: None,
            official_7d: None,
            calibration_5h: None,
            calibration_7d: None,
            scoped: BTreeMap::new(),
            extra_usage: None,
            health: HashMap::new(),
            limit_until_secs: None,
            reported_model: None,
            metered: VecDeque::new(),
            totals: TotalsByModel::default(),
            aggregate: None,
            aggregate_model: None,
            aggregate_active_ms: None,
        }
    }

    /// Applies one input received at `now_ms`.
    pub fn apply(&mut self, input: EngineInput, now_ms: i64) {
        match input {
            EngineInput::Stored { recent, by_model } => {
                for event in &recent {
                    self.recent.upsert(event);
                }
                self.recent.prune(now_ms);
                self.totals = TotalsByModel::from_stored(by_model);
            }
            EngineInput::Together(inputs) => {
                for input in inputs {
                    self.apply(input, now_ms);
                }
            }
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
            EngineInput::Scoped(samples) => self.apply_scoped(samples),
            EngineInput::Extra(extra) => self.apply_extra(extra),
            EngineInput::Learned(rate) => {
                let slot = match rate.window {
                    Window::FiveHour => &mut self.calibration_5h,
                    Window::SevenDay => &mut self.calibration_7d,
                };
                *slot = Some(Calibration::from_learned(&rate));
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
            // Only a reset still ahead counts: a limit message of months ago (read from an old
            // transcript) lifted long since.
            EngineInput::LimitReached { until_secs }
                if until_secs <= MAX_UNIX_SECS && until_secs.saturating_mul(1000) > now_ms =>
            {
                self.limit_until_secs = Some(
                    self.limit_until_secs
                        .map_or(until_secs, |old| old.max(until_secs)),
                );
            }
            EngineInput::LimitReached { .. } => {}
        }
    }

    /// Keeps the newest report of extra usage.
    fn apply_extra(&mut self, extra: ExtraUsage) {
        if self
            .extra_usage
            .as_ref()
            .is_none_or(|old| old.at_ms <= extra.at_ms)
        {
            self.extra_usage = Some(extra);
        }
    }

    /// Keeps the newest reading of each other window, by name.
    fn apply_scoped(&mut self, samples: Vec<ScopedSample>) {
        for sample in samples {
            let is_newer = self
                .scoped
                .get(&sample.name)
                .is_none_or(|old| old.at_ms <= sample.at_ms);
            if is_newer {
                self.scoped.insert(sample.name.clone(), sample);
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

    /// Stored usage by model, for `/metrics`.
    pub fn totals(&self) -> &TotalsByModel {
        &self.totals
    }

    /// Learns the window's tokens per percent from an official sample and the local tokens of the
    /// window it speaks of, `[resets_at - length, at]`.
    fn learn(&mut self, sample: &OfficialSample) {
        let Some(reset_secs) = sample.resets_at_secs else {
            return;
        };
        let span_ms = sample
            .at_ms
            .saturating_sub((reset_secs - sample.window.length_secs()).saturating_mul(1000));
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
    pub fn official_and_calibration(
        &self,
        window: Window,
    ) -> (Option<&OfficialSample>, Option<&Calibration>) {
        match window {
            Window::FiveHour => (self.official_5h.as_ref(), self.calibration_5h.as_ref()),
            Window::SevenDay => (self.official_7d.as_ref(), self.calibration_7d.as_ref()),
        }
    }

    /// The newest reading of every window beyond the 5-hour and 7-day ones, by name.
    pub fn scoped(&self) -> impl Iterator<Item = &ScopedSample> {
        self.scoped.values()
    }

    /// The newest report of extra usage.
    pub fn extra_usage(&self) -> Option<&ExtraUsage> {
        self.extra_usage.as_ref()
    }

    /// Until when Claude reported the limit reached, unix seconds.
    pub fn limit_until_secs(&self, now_ms: i64) -> Option<i64> {
        self.limit_until_secs
            .filter(|until| until.saturating_mul(1000) > now_ms)
    }

    /// What a source last said of itself, if it is configured.
    pub fn source_health(&self, kind: SourceKind) -> Option<&SourceHealth> {
        self.health.get(&kind)
    }
}

#[cfg(test)]
mod tests;
