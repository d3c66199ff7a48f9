//! The frame builder: the pure [`EngineState::next_frame`], and the readings and lamps it is
//! made of.

use std::time::Duration;

use gauge_core::{
    Frame, FuelSource, GaugeSource, Lamp, Lamps, ModelFamily, ScopedWarnings, Spend, SpendPeriod,
    FRAME_VERSION,
};

use super::{EngineState, LimitOrigin, UsageBasis};
use crate::limits::{
    calibrated_estimate, choose_fuel, history_limit_5h, is_run_out_early, pace, run_out_secs,
    Block, BurnInputs, CalibratedInputs, CalibratedUse, Fuel, FuelInputs, BURN_SPAN_5H_MS,
    BURN_SPAN_7D_MS,
};
use crate::readings::{OfficialOrigin, OfficialSample, Severity, SourceKind, Window};

/// A window's pace and run-out, as the frame carries them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PaceAndRunOut {
    /// The fuel an even burn would leave now (`pace_*`).
    pub pace: Option<f64>,
    /// When the fuel runs out at the recent burn rate, unix seconds (`empty_*`).
    pub empty_secs: Option<i64>,
}

impl EngineState {
    /// The frame for `now_ms`; `seq` and `ts` advance only when the content differs from
    /// `previous`.
    pub fn next_frame(&self, now_ms: i64, previous: Option<&Frame>) -> Frame {
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
        let (fuel_5h, source_5h) = self.gauge(Window::FiveHour, self.fuel_5h(now_ms), now_ms);
        let (fuel_7d, source_7d) = self.gauge(Window::SevenDay, self.fuel_7d(now_ms), now_ms);
        let tach = u32::try_from(self.tach_tokens(now_ms)).unwrap_or(u32::MAX);
        // The legacy field, for clusters that read one source for both gauges: the better of
        // the two (Claude Code's cached copy counts as official there).
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
        let pace_5h = self.pace_and_run_out(Window::FiveHour, fuel_5h.as_ref(), now_ms);
        let pace_7d = self.pace_and_run_out(Window::SevenDay, fuel_7d.as_ref(), now_ms);
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
            model: self.model(now_ms),
            source,
            lamps: Lamps::NONE,
            pace_5h: pace_5h.pace.map(|p| p as f32),
            pace_7d: pace_7d.pace.map(|p| p as f32),
            empty_5h: pace_5h.empty_secs.and_then(|s| u64::try_from(s).ok()),
            empty_7d: pace_7d.empty_secs.and_then(|s| u64::try_from(s).ok()),
            source_5h: Some(source_5h),
            source_7d: Some(source_7d),
            warn_scoped: self.warn_scoped(now_ms),
            spend: self.spend(now_ms),
        };
        Frame {
            lamps: self.lamps(&frame, now_ms),
            ..frame
        }
    }

    /// One gauge's fuel and where it comes from. Claude's own reading wins; when Claude reports
    /// the weekly window but no 5-hour one, the account has no 5-hour window (`none`: parked, no
    /// estimate against an invented limit); an estimate is shown only where Claude reports no
    /// window at all, and is marked as one.
    fn gauge(
        &self,
        window: Window,
        fuel: Option<Fuel>,
        now_ms: i64,
    ) -> (Option<Fuel>, GaugeSource) {
        let (this, other) = match window {
            Window::FiveHour => (&self.official_5h, &self.official_7d),
            Window::SevenDay => (&self.official_7d, &self.official_5h),
        };
        let is_fresh = |sample: &Option<OfficialSample>| {
            sample.is_some_and(|s| self.is_fresh_reading(s.at_ms, now_ms))
        };
        match fuel {
            Some(fuel) if fuel.source == FuelSource::Official => {
                let is_cached = this.is_some_and(|s| s.origin == OfficialOrigin::CachedUsage);
                let source = if is_cached {
                    GaugeSource::Cached
                } else {
                    GaugeSource::Official
                };
                (Some(fuel), source)
            }
            // Only the 5-hour window is known to be absent from plans (Claude then sends the
            // weekly one alone); a weekly window Claude does not send stays unknown.
            _ if window == Window::FiveHour && !is_fresh(this) && is_fresh(other) => {
                (None, GaugeSource::None)
            }
            Some(fuel) if fuel.source == FuelSource::Estimate => {
                (Some(fuel), GaugeSource::Estimate)
            }
            _ => (None, GaugeSource::Unknown),
        }
    }

    fn official_stale_after_ms(&self) -> i64 {
        i64::try_from(self.settings.official_stale_after.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether a reading Claude gave at `at_ms` is still fresh.
    fn is_fresh_reading(&self, at_ms: i64, now_ms: i64) -> bool {
        now_ms - at_ms <= self.official_stale_after_ms()
    }

    /// Whether a reading is fresh and its window has not reset since.
    fn is_current_reading(&self, at_ms: i64, resets_at_secs: Option<i64>, now_ms: i64) -> bool {
        self.is_fresh_reading(at_ms, now_ms)
            && resets_at_secs.is_none_or(|reset| now_ms < reset.saturating_mul(1000))
    }

    /// The display names of Claude's model-scoped weekly windows that are close to their limit:
    /// at the server's `warning` or `critical` grade, or, where it gives none, under the 7-day
    /// warn level. Fresh readings before their reset only.
    fn warn_scoped(&self, now_ms: i64) -> ScopedWarnings {
        let mut names = ScopedWarnings::EMPTY;
        for sample in self.scoped() {
            let is_current = self.is_current_reading(sample.at_ms, sample.resets_at_secs, now_ms);
            let is_close = match sample.severity {
                Some(severity) => severity != Severity::Normal,
                None => 1.0 - sample.used_pct / 100.0 < self.settings.lamps.warn_fuel_7d,
            };
            if !(is_current && is_close) {
                continue;
            }
            if let Some(name) = scoped_display_name(sample) {
                names.push(&name);
            }
        }
        names
    }

    /// Extra usage (usage credits, a spend limit) in dollars, while its report is fresh.
    fn spend(&self, now_ms: i64) -> Option<Spend> {
        let extra = self.extra_usage()?;
        let is_dollars = extra.currency.as_deref().is_none_or(|c| c == "USD");
        let is_fresh = self.is_fresh_reading(extra.at_ms, now_ms);
        if !(is_dollars && is_fresh && (extra.is_enabled || extra.used_credits.is_some())) {
            return None;
        }
        let cents = |v: f64| ((v * 100.0).round() / 100.0) as f32;
        let period = match extra.period.as_deref() {
            Some("daily") => SpendPeriod::Daily,
            Some("weekly") => SpendPeriod::Weekly,
            Some("monthly") | None => SpendPeriod::Monthly,
            Some(_) => SpendPeriod::Other,
        };
        Some(
            Spend {
                used_usd: cents(extra.used_credits.unwrap_or(0.0)),
                limit_usd: extra.monthly_limit.map(cents),
                period,
                used_pct: extra.used_pct.map(cents),
            }
            .clamped(),
        )
    }

    /// A configured Prometheus source is the usage basis: its aggregates already cover every
    /// machine it sees, so local requests on top would count twice.
    pub(super) fn basis(&self) -> UsageBasis<'_> {
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

    pub(super) fn tach_tokens(&self, now_ms: i64) -> u64 {
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

    /// The model lamp: the model Claude Code reports (statusLine) while that report is fresh;
    /// else the newest of local usage, reports and aggregates. Usage dated in the future does
    /// not count until its time comes.
    fn model(&self, now_ms: i64) -> Option<ModelFamily> {
        if let Some((at_ms, family)) = self.reported_model {
            if self.is_fresh_reading(at_ms, now_ms) {
                return Some(family);
            }
        }
        [
            self.recent.newest(now_ms),
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

    pub(super) fn fuel_5h(&self, now_ms: i64) -> Option<Fuel> {
        let (used_tokens, limit, resets_at_secs) = match self.basis() {
            UsageBasis::Local => {
                // One walk of the recent index serves the active block and the P90 history.
                let blocks = self.recent.blocks(now_ms);
                let block = Block::active_among(&blocks, now_ms);
                // An estimate needs local usage data: a configured usage source or requests on
                // record.
                let limit = self.has_local_usage().then(|| {
                    self.settings
                        .token_limits
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
                        .token_limits
                        .tokens_5h
                        .unwrap_or_else(|| history_limit_5h(&[], now_ms))
                }),
                None,
            ),
        };
        choose_fuel(FuelInputs {
            now_ms,
            official: self.official_5h.as_ref(),
            official_stale_after_ms: self.official_stale_after_ms(),
            used_tokens,
            limit_tokens: limit,
            estimate_resets_at_secs: resets_at_secs,
            calibrated: self.calibrated(Window::FiveHour, now_ms),
        })
    }

    pub(super) fn fuel_7d(&self, now_ms: i64) -> Option<Fuel> {
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
            official_stale_after_ms: self.official_stale_after_ms(),
            used_tokens,
            limit_tokens: self.settings.token_limits.tokens_7d.filter(|_| has_data),
            estimate_resets_at_secs: None,
            calibrated: self.calibrated(Window::SevenDay, now_ms),
        })
    }

    /// The calibrated estimate of a window (see `limits::calibrated_estimate`): the tokens since
    /// the last official sample, and, once its window is over, the tokens of the new one.
    pub(super) fn calibrated(&self, window: Window, now_ms: i64) -> Option<CalibratedUse> {
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
                let since_reset =
                    reset.map_or(block_tokens, |r| tokens_since(r.saturating_mul(1000)));
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
                (
                    tokens_since((new_reset - length).saturating_mul(1000)),
                    Some(new_reset),
                )
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
    pub(super) fn has_local_usage(&self) -> bool {
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
        let runs_out_early = |empty: Option<u64>, reset: Option<u64>, margin: Duration| {
            let as_secs = |v: Option<u64>| v.and_then(|v| i64::try_from(v).ok());
            let margin_secs = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
            is_run_out_early(as_secs(empty), as_secs(reset), margin_secs)
        };
        lamps.set(
            Lamp::Warn5h,
            frame.fuel_5h.is_some_and(|f| f64::from(f) < t.warn_fuel_5h)
                || runs_out_early(frame.empty_5h, frame.reset_5h, t.run_out_margin_5h),
        );
        lamps.set(
            Lamp::Warn7d,
            frame.fuel_7d.is_some_and(|f| f64::from(f) < t.warn_fuel_7d)
                || runs_out_early(frame.empty_7d, frame.reset_7d, t.run_out_margin_7d),
        );
        for lamp in [Lamp::WarnOpus, Lamp::WarnSonnet] {
            lamps.set(lamp, self.is_model_window_low(lamp, now_ms));
        }
        let is_limit_message_on = self
            .limit_until_secs
            .is_some_and(|until| now_ms < until.saturating_mul(1000));
        let is_window_at_limit = [&self.official_5h, &self.official_7d].iter().any(|sample| {
            sample.is_some_and(|s| {
                s.used_pct >= 100.0 && self.is_current_reading(s.at_ms, s.resets_at_secs, now_ms)
            })
        });
        // Past the limit while requests still succeed: Claude Code runs on usage credits, which
        // is no stop. A spend limit at or over 100 % says the same of the credits themselves.
        let is_flowing = self
            .recent
            .newest(now_ms)
            .is_some_and(|(at, _)| now_ms - at <= CREDITS_FLOW_MS);
        let is_window_on_credits = is_window_at_limit && is_flowing && !is_limit_message_on;
        let limit_lamp = is_limit_message_on || is_window_at_limit;
        let is_spend_over = frame.spend.is_some_and(|s| s.is_at_limit());
        let is_on_credits = is_window_on_credits || is_spend_over;
        lamps.set(Lamp::Credits, is_on_credits);
        lamps.set(Lamp::Limit, limit_lamp && !is_window_on_credits);
        lamps.set(Lamp::WarnScoped, !frame.warn_scoped.is_empty());
        lamps.set(Lamp::Stall, !self.any_source_fresh(now_ms));
        let last_request_ms = self
            .recent
            .newest(now_ms)
            .map(|(at, _)| at)
            .max(self.aggregate_active_ms);
        let idle_ms = t.idle_after.as_millis() as i64;
        lamps.set(
            Lamp::Idle,
            last_request_ms.is_none_or(|at| now_ms - at >= idle_ms),
        );
        lamps
    }
}

impl EngineState {
    /// A window's pace and run-out (`limits::pace`, `limits::run_out_secs`): the recent burn is
    /// the local fuel tokens of the burn span against the window's limit, when one is known that
    /// means something for this fuel (a learned one, or the estimate's own).
    pub fn pace_and_run_out(
        &self,
        window: Window,
        fuel: Option<&Fuel>,
        now_ms: i64,
    ) -> PaceAndRunOut {
        let Some(fuel) = fuel else {
            return PaceAndRunOut::default();
        };
        let length_secs = window.length_secs();
        let span_ms = match window {
            Window::FiveHour => BURN_SPAN_5H_MS,
            Window::SevenDay => BURN_SPAN_7D_MS,
        };
        // Cheap test first: the limit in use may walk the whole recent index (the P90).
        let (_, calibration) = self.official_and_calibration(window);
        let has_meaningful_limit = calibration.is_some() || fuel.source == FuelSource::Estimate;
        let recent = match self.basis() {
            UsageBasis::Local if has_meaningful_limit => self
                .limit_in_use(window, now_ms)
                .filter(|(tokens, origin)| {
                    *tokens > 0
                        && (*origin == LimitOrigin::Learned || fuel.source == FuelSource::Estimate)
                })
                .map(|(tokens, _)| {
                    let burned = self.recent.fuel_tokens_since(now_ms, span_ms);
                    (burned as f64 / tokens as f64, span_ms)
                }),
            UsageBasis::Local | UsageBasis::Aggregate(_) => None,
        };
        let inputs = BurnInputs {
            now_ms,
            length_secs,
            fraction: fuel.fraction,
            resets_at_secs: fuel.resets_at_secs,
            recent,
        };
        PaceAndRunOut {
            pace: pace(now_ms, fuel.resets_at_secs, length_secs),
            empty_secs: run_out_secs(&inputs),
        }
    }

    /// Whether a fresh reading of the weekly window of the lamp's model (e.g. `seven_day_opus`)
    /// is under the 7-day warn level, before its reset.
    fn is_model_window_low(&self, lamp: Lamp, now_ms: i64) -> bool {
        let Some(family) = lamp.model_family() else {
            return false;
        };
        self.scoped().any(|sample| {
            sample.family == Some(family)
                && self.is_current_reading(sample.at_ms, sample.resets_at_secs, now_ms)
                && 1.0 - sample.used_pct / 100.0 < self.settings.lamps.warn_fuel_7d
        })
    }
}

/// How recent a request must be for a window at its limit to count as running on credits.
const CREDITS_FLOW_MS: i64 = 5 * 60 * 1000;

/// The name a scoped window is shown by: Claude's display name (`Fable`), else the model family
/// its key names (`seven_day_opus` -> `Opus`).
fn scoped_display_name(sample: &crate::readings::ScopedSample) -> Option<String> {
    if let Some(name) = &sample.display_name {
        return Some(name.clone());
    }
    let family = sample.family?;
    let name = family.as_str();
    let mut chars = name.chars();
    let first = chars.next()?;
    Some(first.to_ascii_uppercase().to_string() + chars.as_str())
}

/// Fuel on the wire has four decimals: enough for any needle, and it keeps frames short and
/// `seq` from churning on float noise.
fn round_fraction(fraction: f64) -> f32 {
    ((fraction * 10_000.0).round() / 10_000.0) as f32
}
