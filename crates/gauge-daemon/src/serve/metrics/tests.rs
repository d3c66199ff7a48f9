use std::time::Duration;

use gauge_core::{FuelSource, Lamps, ModelFamily};

use super::*;
use crate::engine::{EngineState, FrameSettings, LampThresholds, TokenLimits};
use crate::readings::CLAUDE_CODE_TOKEN_METRIC as TOKEN_METRIC;
use crate::readings::{EngineInput, Origin, SourceKind, TokenCounts, UsageEvent};
use crate::stats::IngestStats;

fn engine() -> EngineState {
    EngineState::new(FrameSettings {
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
        tick: FrameSettings::DEFAULT_TICK,
    })
}

#[test]
fn exposition_has_frame_usage_sources_and_ingest() {
    let frame = Frame {
        fuel_5h: Some(0.5),
        tach: 1_200,
        reset_5h: Some(1_800_000_000),
        model: Some(ModelFamily::OPUS),
        source: FuelSource::Estimate,
        lamps: Lamps::NONE.with(Lamp::Stall),
        seq: 7,
        ..Frame::default()
    };
    let mut engine = engine();
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
        None,
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
        "claude_gauge_token_usage_tokens_total{type=\"input\",model=\"claude-opus-4-5\"} 1000",
        "claude_gauge_cost_usage_USD_total{model=\"claude-opus-4-5\"} 0.0066",
        "claude_gauge_source_fresh{source=\"prometheus\"} 1",
        "claude_gauge_source_last_success_timestamp_seconds{source=\"prometheus\"} 1.0",
        "claude_gauge_ingest_total{counter=\"prometheus_poll_errors\"} 2",
        "# EOF",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // Unknown fuel is absent, not zero.
    assert!(!text.contains("fuel_7d"), "{text}");
}

/// With the OTLP receiver on, `claude_code_*` are Claude Code's own metrics (every one of
/// them, with the Collector's labels) and the store's totals are only at `claude_gauge_*`, so
/// no sum counts a request twice.
#[test]
fn the_mirror_takes_the_claude_code_names() {
    let resource: Vec<(String, String)> = [("service.name", "claude-code"), ("os.type", "linux")]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let point = |metric: &str, unit: &str, kind: &str, increment: f64| crate::mirror::MirrorPoint {
        metric: metric.into(),
        unit: unit.into(),
        description: "From Claude Code.".into(),
        attributes: vec![
            ("session.id".into(), "s-1".into()),
            ("user.email".into(), "a@example.com".into()),
            ("type".into(), kind.into()),
        ],
        scope: ("com.anthropic.claude_code".into(), "2.1.330".into()),
        increment,
    };
    let mirror = crate::mirror::Mirror::default();
    mirror.record(
        &resource,
        &[
            point("claude_code.token.usage", "tokens", "input", 1000.0),
            point("claude_code.active_time.total", "s", "cli", 0.5),
            point("claude_code.lines_of_code.count", "", "added", 12.0),
        ],
        0,
    );
    let mut engine = engine();
    engine.apply(
        EngineInput::Usage(vec![UsageEvent {
            at_ms: 1_000,
            origin: Origin::Otlp,
            dedup_key: "req:a".into(),
            message_id: None,
            model: "claude-opus-5-5".into(),
            tokens: TokenCounts {
                input: 1000,
                ..TokenCounts::default()
            },
            cost_usd: 0.01,
            is_sidechain: false,
            has_speed: false,
        }]),
        1_000,
    );
    let text = render(
        &Frame::default(),
        engine.totals(),
        &[],
        IngestStats::default().snapshot(),
        Some(&mirror.snapshot(0)),
    )
    .unwrap();
    let scope = "otel_scope_name=\"com.anthropic.claude_code\",otel_scope_version=\"2.1.330\"";
    for line in [
        "# TYPE claude_code_token_usage_tokens counter".to_string(),
        "# UNIT claude_code_token_usage_tokens tokens".to_string(),
        "# HELP claude_code_token_usage_tokens From Claude Code.".to_string(),
        format!("claude_code_token_usage_tokens_total{{job=\"claude-code\",{scope},type=\"input\",user_email=\"a@example.com\"}} 1000.0"),
        format!("claude_code_active_time_seconds_total{{job=\"claude-code\",{scope},type=\"cli\",user_email=\"a@example.com\"}} 0.5"),
        format!("claude_code_lines_of_code_count_total{{job=\"claude-code\",{scope},type=\"added\",user_email=\"a@example.com\"}} 12.0"),
        "claude_gauge_token_usage_tokens_total{type=\"input\",model=\"claude-opus-5-5\"} 1000".to_string(),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    // The store's copy of the same request is not under the Claude Code name.
    assert!(
        !text.contains("claude_code_token_usage_tokens_total{type="),
        "{text}"
    );
    assert!(!text.contains("claude_code_cost_usage"), "{text}");
    assert!(!text.contains("session_id"), "{text}");
}
