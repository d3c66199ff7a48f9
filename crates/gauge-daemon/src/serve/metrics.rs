//! `GET /metrics`: the daemon in OpenMetrics text, so a Prometheus can scrape it with no
//! Collector at all. Names are listed in `docs/prometheus.md`.
//!
//! Rendered per scrape from values the engine already publishes (the frame, the usage totals,
//! source freshness), the ingest counters and the mirror of Claude Code's own metrics: a fresh
//! registry each time, so nothing here holds state of its own.
//!
//! Claude Code's names after the Collector (`claude_code_token_usage_tokens_total`, ...), so the
//! same PromQL and dashboards read either path: with the OTLP receiver on, every Claude Code
//! metric it got, as the Collector would serve it (`crate::mirror`); without it, the store's
//! token and cost totals by model. The store's totals are always at `claude_gauge_token_usage_*`
//! and `claude_gauge_cost_usage_*` too. Never both under one name: sums would count twice.

use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use gauge_core::{Frame, Lamp};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use super::AppState;
use crate::clock::unix_now_ms;
use crate::engine::{SourceStatus, TotalsByModel};
use crate::mirror::{MirrorSnapshot, MirroredFamily};
use crate::stats::IngestCounts;

/// The OpenMetrics content type; Prometheus picks its parser by it.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;
type FloatCounter = Counter<f64, AtomicU64>;

/// `GET /metrics`.
pub(crate) async fn metrics_get(State(state): State<AppState>) -> Response {
    let frame = *state.frames.borrow();
    let totals = state.totals_by_model.borrow().clone();
    let sources = state
        .health
        .lock()
        // A poisoned board only means a reader panicked; the data is plain and still valid.
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let mirror = state
        .mirror
        .as_ref()
        .map(|mirror| mirror.snapshot(unix_now_ms()));
    match render(
        &frame,
        &totals,
        &sources,
        state.stats.snapshot(),
        mirror.as_ref(),
    ) {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(err) => {
            tracing::error!("cannot render /metrics: {err}");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics\n").into_response()
        }
    }
}

/// The exposition for one scrape. `mirror` is Claude Code's own metrics, when the OTLP receiver
/// runs: they take the `claude_code_*` names.
fn render(
    frame: &Frame,
    totals: &TotalsByModel,
    sources: &[SourceStatus],
    ingest: IngestCounts,
    mirror: Option<&MirrorSnapshot>,
) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    register_frame(&mut registry, frame);
    register_totals_by_model(&mut registry, totals, "claude_gauge");
    match mirror {
        Some(mirror) => register_mirror(&mut registry, mirror),
        None => register_totals_by_model(&mut registry, totals, "claude_code"),
    }
    register_sources(&mut registry, sources);
    register_ingest(&mut registry, ingest)?;
    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
}

fn float_gauge(value: f64) -> FloatGauge {
    let gauge = FloatGauge::default();
    gauge.set(value);
    gauge
}

fn register_frame(registry: &mut Registry, frame: &Frame) {
    let gauge = registry.sub_registry_with_prefix("claude_gauge");
    for (name, help, value) in [
        (
            "fuel_5h",
            "Remaining fraction of the 5-hour window, as the gauge shows it",
            frame.fuel_5h,
        ),
        (
            "fuel_7d",
            "Remaining fraction of the 7-day window, as the gauge shows it",
            frame.fuel_7d,
        ),
    ] {
        // Unknown fuel is no sample at all, not a zero that would read as empty.
        if let Some(value) = value {
            gauge.register_with_unit(
                name,
                help,
                Unit::Other("ratio".into()),
                float_gauge(f64::from(value)),
            );
        }
    }
    gauge.register_with_unit(
        "tach",
        "Tach reading: tokens per minute over the last 60 s",
        Unit::Other("tokens_per_minute".into()),
        float_gauge(f64::from(frame.tach)),
    );
    for (name, help, value) in [
        (
            "reset_5h",
            "When the 5-hour window resets, unix time",
            frame.reset_5h,
        ),
        (
            "reset_7d",
            "When the 7-day window resets, unix time",
            frame.reset_7d,
        ),
    ] {
        if let Some(value) = value {
            let name = format!("{name}_timestamp");
            gauge.register_with_unit(name, help, Unit::Seconds, float_gauge(value as f64));
        }
    }
    let lamps = Family::<Labels, Gauge>::default();
    for lamp in Lamp::ALL {
        let lit = i64::from(frame.lamps.is_lit(lamp));
        lamps
            .get_or_create(&vec![("lamp", lamp.as_str().to_string())])
            .set(lit);
    }
    gauge.register("lamp", "Annunciator lamps: 1 lit, 0 dark", lamps);
    let frame_info: Labels = vec![
        ("source", frame.source.as_str().to_string()),
        (
            "model",
            frame
                .model
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        ),
    ];
    gauge.register(
        "frame",
        "The frame's fuel source and model family",
        Info::new(frame_info),
    );
    let seq = Gauge::<i64>::default();
    seq.set(i64::from(frame.seq));
    gauge.register(
        "frame_seq",
        "The frame's sequence number; it changes with the frame",
        seq,
    );
}

/// The store's token and cost totals by model, as `<prefix>_token_usage_tokens_total` and
/// `<prefix>_cost_usage_USD_total`.
fn register_totals_by_model(registry: &mut Registry, totals: &TotalsByModel, prefix: &str) {
    let tokens = Family::<Labels, Counter>::default();
    let cost = Family::<Labels, FloatCounter>::default();
    for (model, totals) in totals.by_model() {
        let t = totals.tokens;
        // The `type` values are Claude Code's own, those of `claude_code.token.usage`
        // (https://code.claude.com/docs/en/monitoring-usage).
        for (kind, n) in [
            ("input", t.input),
            ("output", t.output),
            ("cacheRead", t.cache_read),
            ("cacheCreation", t.cache_creation),
        ] {
            let labels = vec![("type", kind.to_string()), ("model", model.to_string())];
            tokens.get_or_create(&labels).inc_by(n);
        }
        cost.get_or_create(&vec![("model", model.to_string())])
            .inc_by(totals.cost_usd());
    }
    registry.register_with_unit(
        format!("{prefix}_token_usage"),
        "Tokens used, by type and model: every request in the store (the same after a restart)",
        Unit::Other("tokens".into()),
        tokens,
    );
    registry.register_with_unit(
        format!("{prefix}_cost_usage"),
        "Cost in US dollars, by model: every request in the store (the same after a restart)",
        Unit::Other("USD".into()),
        cost,
    );
}

/// Claude Code's own metrics, as the Collector's Prometheus exporter serves them.
fn register_mirror(registry: &mut Registry, mirror: &MirrorSnapshot) {
    for MirroredFamily { name, help, series } in &mirror.families {
        let family = Family::<Vec<(String, String)>, FloatCounter>::default();
        for (labels, value) in series {
            family.get_or_create(labels).inc_by(*value);
        }
        match &name.unit {
            Some(unit) => registry.register_with_unit(
                name.base.clone(),
                help.clone(),
                Unit::Other(unit.clone()),
                family,
            ),
            None => registry.register(name.base.clone(), help.clone(), family),
        }
    }
    if !mirror.targets.is_empty() {
        let targets = Family::<Vec<(String, String)>, Gauge>::default();
        for labels in &mirror.targets {
            targets.get_or_create(labels).set(1);
        }
        registry.register("target_info", "Target metadata", targets);
    }
}

fn register_sources(registry: &mut Registry, sources: &[SourceStatus]) {
    let fresh = Family::<Labels, Gauge>::default();
    let last_ok = Family::<Labels, FloatGauge>::default();
    for source in sources {
        let labels = vec![("source", source.source.to_string())];
        fresh.get_or_create(&labels).set(i64::from(source.is_fresh));
        if let Some(ok_ms) = source.last_ok_ms {
            last_ok.get_or_create(&labels).set(ok_ms as f64 / 1000.0);
        }
    }
    let gauge = registry.sub_registry_with_prefix("claude_gauge_source");
    gauge.register(
        "fresh",
        "Whether a configured source is fresh: 1 yes, 0 no (STALL)",
        fresh,
    );
    gauge.register_with_unit(
        "last_success_timestamp",
        "When a configured source last worked, unix time",
        Unit::Seconds,
        last_ok,
    );
}

/// Every ingest counter of `/stats`, as one family: new counters appear without code here.
fn register_ingest(registry: &mut Registry, ingest: IngestCounts) -> Result<(), std::fmt::Error> {
    let counters = Family::<Labels, Counter>::default();
    let value = serde_json::to_value(ingest).map_err(|_| std::fmt::Error)?;
    for (name, count) in value.as_object().into_iter().flatten() {
        let count = count.as_u64().unwrap_or(0);
        counters
            .get_or_create(&vec![("counter", name.clone())])
            .inc_by(count);
    }
    registry.register(
        "claude_gauge_ingest",
        "Ingest counters (as /stats shows them): lines, payloads, polls, and their errors",
        counters,
    );
    Ok(())
}

#[cfg(test)]
mod tests;
