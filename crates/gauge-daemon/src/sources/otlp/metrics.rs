//! Claude Code's metrics turned into increments: `claude_code.token.usage` and
//! `claude_code.cost.usage` points become [`Metered`] token and cost increments per session and
//! model, counted once whatever the temporality (docs/otlp.md, "Temporality (metrics)"):
//!
//! - delta: the increment is the point's value; a point seen before (same series, start, time and
//!   value: an export retry) counts once;
//! - cumulative: per stream (series + start time) the increment is the growth since the last
//!   point; a stale or repeated point adds nothing; a drop is a reset and counts in full; a new
//!   start time is a new process and its first point counts in full.
//!
//! Metered usage is not per request, so it never reaches the ledger: it feeds the tach only for
//! sessions that send no events (see `fallback.rs`).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as PointValue;
use opentelemetry_proto::tonic::metrics::v1::{Metric, NumberDataPoint};

use super::attrs;
use crate::mirror::MirrorPoint;
use crate::readings::TokenCounts;

const TOKEN_USAGE: &str = "claude_code.token.usage";
const COST_USAGE: &str = "claude_code.cost.usage";
const METRIC_PREFIX: &str = "claude_code.";
const TEMPORALITY_DELTA: i32 = 1;
const TEMPORALITY_CUMULATIVE: i32 = 2;
/// `DataPointFlags.NO_RECORDED_VALUE`.
const FLAG_NO_RECORDED_VALUE: u32 = 1;
/// A stream or a seen delta point is forgotten after this long without news. Cumulative streams
/// are re-sent every export interval (60 s by default) while their process lives, and retries
/// come within minutes, so an hour loses nothing real.
const FORGET_AFTER_MS: i64 = 3600 * 1000;
/// How often the tracker sweeps out forgotten entries.
const SWEEP_EVERY_MS: i64 = 60 * 1000;

/// Token and cost increments of one session and model, read from one export.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Metered {
    /// The newest point's time, unix ms.
    pub(super) at_ms: i64,
    /// The points' `session.id`, when Claude Code sends it.
    pub(super) session: Option<String>,
    /// The points' `model`.
    pub(super) model: String,
    /// Token increments by kind.
    pub(super) tokens: TokenCounts,
    /// Cost increment, USD.
    pub(super) cost_usd: f64,
}

/// One resource's counter points for the mirror: its attributes as (key, text), its points.
pub(super) type MirroredResource = (Vec<(String, String)>, Vec<MirrorPoint>);

/// What one metrics export carried.
#[derive(Debug, Default, PartialEq)]
pub(super) struct MetricsDigest {
    /// Increments, one per (session, model) with a non-zero change.
    pub(super) metered: Vec<Metered>,
    /// Every Claude Code counter point that counted, with its resource's attributes as text:
    /// for the mirror `/metrics` serves.
    pub(super) mirrored: Vec<MirroredResource>,
    /// Sums of Claude Code metrics that cannot be counted: unspecified temporality or not
    /// monotonic. They are skipped.
    pub(super) rejected_points: u64,
}

#[derive(Clone, Copy, Debug)]
struct Stream {
    last_time_ns: u64,
    last_value: f64,
    touched_ms: i64,
}

/// The per-series memory that makes every point count once.
#[derive(Debug, Default)]
pub(super) struct SeriesTracker {
    /// Delta points already counted: hash of (series, start, time, value) -> when seen.
    delta_seen: HashMap<u64, i64>,
    /// Cumulative streams: (series hash, start time) -> the last point.
    cumulative: HashMap<(u64, u64), Stream>,
    last_sweep_ms: i64,
}

impl SeriesTracker {
    /// Reads a metrics export received at `now_ms`.
    pub(super) fn digest(
        &mut self,
        request: &ExportMetricsServiceRequest,
        now_ms: i64,
    ) -> MetricsDigest {
        self.sweep(now_ms);
        let mut digest = MetricsDigest::default();
        for resource in &request.resource_metrics {
            let mut resource_key = String::new();
            let mut resource_text = Vec::new();
            if let Some(r) = &resource.resource {
                attrs::write_canonical(&mut resource_key, &r.attributes, &[]);
                resource_text = attrs::as_text(&r.attributes);
            }
            let mut mirrored = Vec::new();
            for scope in &resource.scope_metrics {
                let (scope_name, scope_version) = scope
                    .scope
                    .as_ref()
                    .map_or(("", ""), |s| (s.name.as_str(), s.version.as_str()));
                for metric in &scope.metrics {
                    let series_prefix = format!("{resource_key}|{scope_name}|{}|", metric.name);
                    let scope = (scope_name.to_owned(), scope_version.to_owned());
                    let counted = self.metric(metric, &series_prefix, now_ms, &mut digest);
                    mirrored.extend(counted.into_iter().map(|(point, increment)| MirrorPoint {
                        metric: metric.name.clone(),
                        unit: metric.unit.clone(),
                        description: metric.description.clone(),
                        attributes: attrs::as_text(&point.attributes),
                        scope: scope.clone(),
                        increment,
                    }));
                }
            }
            if !mirrored.is_empty() {
                digest.mirrored.push((resource_text, mirrored));
            }
        }
        digest
            .metered
            .retain(|m| m.tokens != TokenCounts::default() || m.cost_usd > 0.0);
        digest
    }

    /// Counts the points of one Claude Code counter: token and cost increments go to
    /// `digest.metered`; every point that counted is returned with its increment (for the
    /// mirror).
    fn metric<'m>(
        &mut self,
        metric: &'m Metric,
        prefix: &str,
        now_ms: i64,
        digest: &mut MetricsDigest,
    ) -> Vec<(&'m NumberDataPoint, f64)> {
        if !metric.name.starts_with(METRIC_PREFIX) {
            return Vec::new();
        }
        let Some(Data::Sum(sum)) = &metric.data else {
            return Vec::new();
        };
        let counted = matches!(
            sum.aggregation_temporality,
            TEMPORALITY_DELTA | TEMPORALITY_CUMULATIVE
        ) && sum.is_monotonic;
        if !counted {
            digest.rejected_points += sum.data_points.len() as u64;
            return Vec::new();
        }
        let is_usage = metric.name == TOKEN_USAGE || metric.name == COST_USAGE;
        let mut points = Vec::new();
        for point in &sum.data_points {
            let Some(increment) =
                self.increment(point, prefix, sum.aggregation_temporality, now_ms)
            else {
                continue;
            };
            if is_usage {
                add_increment(digest, &metric.name, point, increment);
            }
            points.push((point, increment));
        }
        points
    }

    /// The point's increment, or `None` when it adds nothing (a duplicate, stale or empty point).
    fn increment(
        &mut self,
        point: &NumberDataPoint,
        prefix: &str,
        temporality: i32,
        now_ms: i64,
    ) -> Option<f64> {
        if point.flags & FLAG_NO_RECORDED_VALUE != 0 {
            return None;
        }
        let value = match point.value? {
            PointValue::AsDouble(d) => d,
            PointValue::AsInt(i) => i as f64,
        };
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let mut series = String::from(prefix);
        attrs::write_canonical(&mut series, &point.attributes, &[]);
        let series_hash = hash_of(&series);
        if temporality == TEMPORALITY_DELTA {
            let key = hash_of(&(
                series_hash,
                point.start_time_unix_nano,
                point.time_unix_nano,
                value.to_bits(),
            ));
            return self
                .delta_seen
                .insert(key, now_ms)
                .is_none()
                .then_some(value);
        }
        let key = (series_hash, point.start_time_unix_nano);
        let fresh = Stream {
            last_time_ns: point.time_unix_nano,
            last_value: value,
            touched_ms: now_ms,
        };
        match self.cumulative.get_mut(&key) {
            // A new stream (a new process, or a resume) counts from its own start.
            None => {
                self.cumulative.insert(key, fresh);
                Some(value)
            }
            Some(stream) if point.time_unix_nano <= stream.last_time_ns => {
                stream.touched_ms = now_ms;
                None
            }
            Some(stream) => {
                // A drop under the same start is a reset without a new start: count it in full.
                let increment = if value >= stream.last_value {
                    value - stream.last_value
                } else {
                    value
                };
                *stream = fresh;
                Some(increment)
            }
        }
    }

    fn sweep(&mut self, now_ms: i64) {
        if now_ms - self.last_sweep_ms < SWEEP_EVERY_MS {
            return;
        }
        self.last_sweep_ms = now_ms;
        self.delta_seen
            .retain(|_, seen_ms| now_ms - *seen_ms < FORGET_AFTER_MS);
        self.cumulative
            .retain(|_, stream| now_ms - stream.touched_ms < FORGET_AFTER_MS);
    }

    /// How many streams and seen points the tracker remembers.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.delta_seen.len() + self.cumulative.len()
    }
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn add_increment(digest: &mut MetricsDigest, metric: &str, point: &NumberDataPoint, value: f64) {
    let a = &point.attributes;
    let session = attrs::string(a, "session.id").map(str::to_owned);
    let model = attrs::string(a, "model").unwrap_or("unknown").to_owned();
    let at_ms = i64::try_from(point.time_unix_nano / 1_000_000).unwrap_or(i64::MAX);
    let index = match digest
        .metered
        .iter()
        .position(|m| m.session == session && m.model == model)
    {
        Some(index) => index,
        None => {
            digest.metered.push(Metered {
                at_ms,
                session,
                model,
                tokens: TokenCounts::default(),
                cost_usd: 0.0,
            });
            digest.metered.len() - 1
        }
    };
    let entry = &mut digest.metered[index];
    entry.at_ms = entry.at_ms.max(at_ms);
    if metric == COST_USAGE {
        entry.cost_usd += value;
        return;
    }
    let tokens = value.round() as u64;
    let t = &mut entry.tokens;
    match attrs::string(a, "type") {
        Some("input") => t.input += tokens,
        Some("output") => t.output += tokens,
        Some("cacheRead") => t.cache_read += tokens,
        Some("cacheCreation") => t.cache_creation += tokens,
        _ => {}
    }
}

#[cfg(test)]
mod tests;
