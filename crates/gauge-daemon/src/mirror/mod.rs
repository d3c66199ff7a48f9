//! The mirror: every Claude Code metric the OTLP receiver gets, kept as the OpenTelemetry
//! Collector's Prometheus exporter keeps it, so `/metrics` serves what a Collector would and the
//! monitoring guide's dashboards need no Collector (docs/prometheus.md, "Claude Code's own
//! metrics").
//!
//! In the flow it sits beside the ledger: the OTLP source (`sources::otlp`) hands it each
//! point's increment, counted once whatever the temporality; `serve` renders it per scrape. It
//! holds counters only (Claude Code's metrics are all monotonic sums), named by `names.rs`, with
//! the Collector's labels: the point's attributes, `otel_scope_name`, `otel_scope_version`, and
//! `job` / `instance` from the resource's `service.name` / `service.instance.id`; other resource
//! attributes go to `target_info` (only for resources with both, as the Collector does).
//!
//! Bounded: `session.id` is dropped (a new value every run; see [`DROPPED_ATTRIBUTES`]), a series
//! not updated for [`FORGET_AFTER_MS`] is forgotten, and past [`MAX_SERIES`] new series are
//! dropped and counted.

mod names;

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

pub(crate) use names::MetricName;

/// Point attributes the mirror leaves out. The Collector keeps `session.id` as `session_id`, but
/// every Claude Code run (and `/clear`) has a new one, so a team makes thousands of series a
/// week; neither the monitoring guide's queries nor `deploy/grafana` use it, and
/// `claude_code_session_count_total` still counts sessions.
pub(crate) const DROPPED_ATTRIBUTES: &[&str] = &["session.id"];
/// The most series (and `target_info` entries) the mirror holds; new ones past it are dropped.
pub(crate) const MAX_SERIES: usize = 10_000;
/// A series not updated for this long is forgotten (a week: longer than the 7-day window, so
/// the fuel queries do not see it restart).
pub(crate) const FORGET_AFTER_MS: i64 = 7 * 24 * 3600 * 1000;
/// The most labels one series may carry; a point with more is dropped.
const MAX_LABELS: usize = 64;
/// The longest label value kept, bytes; a point with a longer one is dropped.
const MAX_LABEL_VALUE_BYTES: usize = 1024;
/// The longest help text kept, bytes (cut at a character boundary).
const MAX_HELP_BYTES: usize = 300;
/// How often forgotten series are swept out.
const SWEEP_EVERY_MS: i64 = 60 * 1000;

/// A label set: (name, value) sorted by name.
pub(crate) type Labels = Vec<(String, String)>;

/// One point's increment, as the OTLP source read it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MirrorPoint {
    /// The OTel metric name, e.g. `claude_code.token.usage`.
    pub metric: String,
    /// The metric's unit, e.g. `tokens`.
    pub unit: String,
    /// The metric's description.
    pub description: String,
    /// The point's attributes: (OTel key, value as text).
    pub attributes: Vec<(String, String)>,
    /// The instrumentation scope's name and version.
    pub scope: (String, String),
    /// How much the counter grew (0 for a new series that starts at 0).
    pub increment: f64,
}

/// One counter family, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MirroredFamily {
    /// Its Prometheus name.
    pub name: MetricName,
    /// Its help text (the first description seen).
    pub help: String,
    /// Its series and their values.
    pub series: Vec<(Labels, f64)>,
}

/// What the mirror holds, for one scrape.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MirrorSnapshot {
    /// The counter families, by name.
    pub families: Vec<MirroredFamily>,
    /// The `target_info` label sets.
    pub targets: Vec<Labels>,
}

#[derive(Debug)]
struct Series {
    value: f64,
    touched_ms: i64,
}

#[derive(Debug)]
struct Family {
    name: MetricName,
    help: String,
    series: BTreeMap<Labels, Series>,
}

#[derive(Debug, Default)]
struct Memory {
    /// By sample name (`claude_code_token_usage_tokens_total`).
    families: BTreeMap<String, Family>,
    targets: BTreeMap<Labels, i64>,
    series_count: usize,
    last_sweep_ms: i64,
    has_warned_full: bool,
}

/// The mirror, shared by the OTLP source (writes) and `/metrics` (reads). A std `Mutex`: held
/// only for short, pure updates, never across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct Mirror {
    memory: Mutex<Memory>,
}

impl Mirror {
    /// Adds one resource's points received at `now_ms`; `resource` is its attributes as (key,
    /// text). Returns how many points were dropped (over the series cap, or too many or too
    /// long labels).
    pub(crate) fn record(
        &self,
        resource: &[(String, String)],
        points: &[MirrorPoint],
        now_ms: i64,
    ) -> u64 {
        let mut memory = self.lock();
        memory.sweep(now_ms);
        let resource_labels = job_and_instance(resource);
        let mut dropped = 0;
        if let Some(target) = target_info(resource, &resource_labels) {
            if !memory.touch_target(target, now_ms) {
                dropped += 1;
            }
        }
        for point in points {
            let Some(labels) = point_labels(point, &resource_labels) else {
                dropped += 1;
                continue;
            };
            if !memory.add(point, labels, now_ms) {
                dropped += 1;
            }
        }
        dropped
    }

    /// Everything held, for one scrape (series forgotten by `now_ms` left out).
    pub(crate) fn snapshot(&self, now_ms: i64) -> MirrorSnapshot {
        let mut memory = self.lock();
        memory.sweep(now_ms);
        MirrorSnapshot {
            families: memory
                .families
                .values()
                .map(|family| MirroredFamily {
                    name: family.name.clone(),
                    help: family.help.clone(),
                    series: family
                        .series
                        .iter()
                        .map(|(labels, series)| (labels.clone(), series.value))
                        .collect(),
                })
                .collect(),
            targets: memory.targets.keys().cloned().collect(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding the lock leaves plain counters behind; carry on with them.
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Memory {
    /// Adds `point` to its series; `false` when the series is new and the mirror is full.
    fn add(&mut self, point: &MirrorPoint, labels: Labels, now_ms: i64) -> bool {
        let name = names::metric_name(&point.metric, &point.unit, true);
        let key = name.counter_sample();
        let is_new = !self
            .families
            .get(&key)
            .is_some_and(|family| family.series.contains_key(&labels));
        if is_new && !self.has_room() {
            return false;
        }
        let family = self.families.entry(key).or_insert_with(|| Family {
            name,
            help: help_text(&point.description),
            series: BTreeMap::new(),
        });
        let series = family.series.entry(labels).or_insert(Series {
            value: 0.0,
            touched_ms: now_ms,
        });
        series.value += point.increment;
        series.touched_ms = now_ms;
        self.series_count += usize::from(is_new);
        true
    }

    fn touch_target(&mut self, target: Labels, now_ms: i64) -> bool {
        if !self.targets.contains_key(&target) && !self.has_room() {
            return false;
        }
        if self.targets.insert(target, now_ms).is_none() {
            self.series_count += 1;
        }
        true
    }

    fn has_room(&mut self) -> bool {
        if self.series_count < MAX_SERIES {
            return true;
        }
        if !self.has_warned_full {
            self.has_warned_full = true;
            tracing::warn!(
                "otlp: the mirror of Claude Code's metrics holds {MAX_SERIES} series; new series are dropped until old ones are forgotten (after 7 days without news)"
            );
        }
        false
    }

    fn sweep(&mut self, now_ms: i64) {
        if now_ms - self.last_sweep_ms < SWEEP_EVERY_MS {
            return;
        }
        self.last_sweep_ms = now_ms;
        let is_live = |touched_ms: i64| now_ms - touched_ms < FORGET_AFTER_MS;
        for family in self.families.values_mut() {
            family.series.retain(|_, series| is_live(series.touched_ms));
        }
        self.families.retain(|_, family| !family.series.is_empty());
        self.targets.retain(|_, touched_ms| is_live(*touched_ms));
        self.series_count = self.targets.len()
            + self
                .families
                .values()
                .map(|family| family.series.len())
                .sum::<usize>();
        if self.series_count < MAX_SERIES {
            self.has_warned_full = false;
        }
    }
}

/// `job` (`service.namespace/service.name`, or `service.name`) and `instance`
/// (`service.instance.id`), as the Collector maps a resource.
fn job_and_instance(resource: &[(String, String)]) -> Labels {
    let get = |key: &str| {
        resource
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let mut labels = Labels::new();
    if let Some(name) = get("service.name") {
        let job = match get("service.namespace") {
            Some(namespace) => format!("{namespace}/{name}"),
            None => name,
        };
        labels.push(("job".into(), job));
    }
    if let Some(instance) = get("service.instance.id") {
        labels.push(("instance".into(), instance));
    }
    labels
}

/// The `target_info` labels of a resource: its attributes but the three that make `job` and
/// `instance`, plus those two; `None` unless it has both (the Collector skips such resources,
/// and Claude Code sends no `service.instance.id`).
fn target_info(resource: &[(String, String)], job_and_instance: &Labels) -> Option<Labels> {
    if job_and_instance.len() < 2 {
        return None;
    }
    let service_keys = ["service.name", "service.namespace", "service.instance.id"];
    let attributes = resource
        .iter()
        .filter(|(key, _)| !service_keys.contains(&key.as_str()));
    finish_labels(attributes, job_and_instance)
}

/// A point's labels, or `None` when they are too many or too long.
fn point_labels(point: &MirrorPoint, job_and_instance: &Labels) -> Option<Labels> {
    let attributes = point
        .attributes
        .iter()
        .filter(|(key, _)| !DROPPED_ATTRIBUTES.contains(&key.as_str()));
    let (scope_name, scope_version) = &point.scope;
    let mut extra = vec![
        ("otel_scope_name".to_string(), scope_name.clone()),
        ("otel_scope_version".to_string(), scope_version.clone()),
    ];
    extra.extend(job_and_instance.iter().cloned());
    finish_labels(attributes, &extra)
}

/// `attributes` under their label names (values of keys that meet joined with `;`, as the
/// Collector joins them), then `extra` as given; empty values left out, sorted by name.
fn finish_labels<'a>(
    attributes: impl Iterator<Item = &'a (String, String)>,
    extra: &Labels,
) -> Option<Labels> {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in attributes {
        if value.is_empty() {
            continue;
        }
        labels
            .entry(names::label_name(key))
            .and_modify(|joined| {
                joined.push(';');
                joined.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    for (name, value) in extra {
        if !value.is_empty() {
            labels.insert(name.clone(), value.clone());
        }
    }
    let is_bounded = labels.len() <= MAX_LABELS
        && labels
            .values()
            .all(|value| value.len() <= MAX_LABEL_VALUE_BYTES);
    is_bounded.then(|| labels.into_iter().collect())
}

/// A description as OpenMetrics help: one line, no trailing dot (the encoder adds one), bounded.
fn help_text(description: &str) -> String {
    let mut help: String = description
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| *c != '\\')
        .collect();
    if help.len() > MAX_HELP_BYTES {
        let mut end = MAX_HELP_BYTES;
        while !help.is_char_boundary(end) {
            end -= 1;
        }
        help.truncate(end);
    }
    let help = help.trim().trim_end_matches('.').trim();
    if help.is_empty() {
        "Claude Code metric".to_string()
    } else {
        help.to_string()
    }
}

#[cfg(test)]
mod tests;
