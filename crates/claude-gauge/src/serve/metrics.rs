//! `GET /metrics`: the daemon in OpenMetrics text, so a Prometheus can scrape it with no
//! Collector at all. Names are listed in `docs/prometheus.md`.
//!
//! Rendered per scrape from values the engine already publishes (the frame, the usage totals,
//! source freshness) and the ingest counters: a fresh registry each time, so nothing here holds
//! state of its own. Token and cost counters carry Claude Code's own names after the Collector
//! (`claude_code_token_usage_tokens_total{type,model}`, `claude_code_cost_usage_USD_total{model}`),
//! so the same PromQL and dashboards read either path.

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
use crate::engine::{SourceStatus, TotalsByModel};
use crate::stats::IngestCounts;

/// The OpenMetrics content type; Prometheus picks its parser by it.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

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
    match render(&frame, &totals, &sources, state.stats.snapshot()) {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(err) => {
            tracing::error!("cannot render /metrics: {err}");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics\n").into_response()
        }
    }
}

/// The exposition for one scrape.
fn render(
    frame: &Frame,
    totals: &TotalsByModel,
    sources: &[SourceStatus],
    ingest: IngestCounts,
) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    register_frame(&mut registry, frame);
    register_totals_by_model(&mut registry, totals);
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
        ("model", frame.model.map_or("", |m| m.as_str()).to_string()),
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

fn register_totals_by_model(registry: &mut Registry, totals: &TotalsByModel) {
    let tokens = Family::<Labels, Counter>::default();
    let cost = Family::<Labels, Counter<f64, AtomicU64>>::default();
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
        "claude_code_token_usage",
        "Tokens used, by type and model: every request in the store (the same after a restart)",
        Unit::Other("tokens".into()),
        tokens,
    );
    registry.register_with_unit(
        "claude_code_cost_usage",
        "Cost in US dollars, by model: every request in the store (the same after a restart)",
        Unit::Other("USD".into()),
        cost,
    );
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
mod tests {
    use std::time::Duration;

    use gauge_core::{FuelSource, Lamps, ModelFamily};

    use super::*;
    use crate::engine::{EngineState, FrameSettings, LampThresholds, TokenLimits};
    use crate::readings::CLAUDE_CODE_TOKEN_METRIC as TOKEN_METRIC;
    use crate::readings::{EngineInput, Origin, SourceKind, TokenCounts, UsageEvent};
    use crate::stats::IngestStats;

    #[test]
    fn exposition_has_frame_usage_sources_and_ingest() {
        let frame = Frame {
            fuel_5h: Some(0.5),
            tach: 1_200,
            reset_5h: Some(1_800_000_000),
            model: Some(ModelFamily::Opus),
            source: FuelSource::Estimate,
            lamps: Lamps::NONE.with(Lamp::Stall),
            seq: 7,
            ..Frame::default()
        };
        let mut engine = EngineState::new(FrameSettings {
            lamps: LampThresholds {
                redline_tokens_per_min: 1_000,
                warn_fuel_5h: 0.2,
                warn_fuel_7d: 0.2,
                idle_after: Duration::from_secs(300),
                run_out_margin_5h: Duration::from_secs(300),
                run_out_margin_7d: Duration::from_secs(3600),
            },
            token_limits: TokenLimits {
                tokens_5h: None,
                tokens_7d: None,
            },
            official_stale_after: Duration::from_secs(600),
        });
        engine.apply(EngineInput::Health(SourceKind::Prometheus, Ok(())), 1_000);
        engine.apply(
            EngineInput::Usage(vec![UsageEvent {
                at_ms: 1_000,
                origin: Origin::Transcript,
                dedup_key: "a".into(),
                message_id: None,
                model: "claude-opus-4-5".into(),
                tokens: TokenCounts {
                    input: 1000,
                    output: 50,
                    cache_creation: 200,
                    cache_read: 3000,
                },
                cost_usd: 0.0066,
                is_sidechain: false,
                has_speed: false,
            }]),
            1_000,
        );
        let stats = IngestStats::default();
        IngestStats::add(&stats.prometheus_poll_errors, 2);
        let text = render(
            &frame,
            engine.totals(),
            &engine.source_statuses(2_000),
            stats.snapshot(),
        )
        .unwrap();
        for line in [
            "claude_gauge_fuel_5h_ratio 0.5",
            "claude_gauge_tach_tokens_per_minute 1200.0",
            "claude_gauge_reset_5h_timestamp_seconds 1800000000.0",
            "claude_gauge_lamp{lamp=\"STALL\"} 1",
            "claude_gauge_lamp{lamp=\"HOT\"} 0",
            "claude_gauge_frame_info{source=\"estimate\",model=\"opus\"} 1",
            "claude_gauge_frame_seq 7",
            &format!("{TOKEN_METRIC}{{type=\"input\",model=\"claude-opus-4-5\"}} 1000"),
            "claude_code_token_usage_tokens_total{type=\"cacheRead\",model=\"claude-opus-4-5\"} 3000",
            "claude_code_cost_usage_USD_total{model=\"claude-opus-4-5\"} 0.0066",
            "claude_gauge_source_fresh{source=\"prometheus\"} 1",
            "claude_gauge_source_last_success_timestamp_seconds{source=\"prometheus\"} 1.0",
            "claude_gauge_ingest_total{counter=\"prometheus_poll_errors\"} 2",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Unknown fuel is absent, not zero.
        assert!(!text.contains("fuel_7d"), "{text}");
    }
}
