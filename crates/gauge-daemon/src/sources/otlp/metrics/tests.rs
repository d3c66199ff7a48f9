use std::collections::HashMap;

use opentelemetry_proto::tonic::metrics::v1::metric::Data;

use super::*;
use crate::sources::otlp::fixtures;

/// Feeds a scenario's metrics exports, in arrival order, to one tracker and sums what it counts.
fn scenario_totals(files: &[&str]) -> (TokenCounts, f64) {
    let mut tracker = SeriesTracker::default();
    let mut tokens = TokenCounts::default();
    let mut cost = 0.0;
    for (i, name) in files.iter().enumerate() {
        let digest = tracker.digest(&fixtures::metrics(name), i as i64 * 1000);
        assert_eq!(digest.rejected_points, 0, "{name}");
        for m in digest.metered {
            assert_eq!(m.model, "claude-opus-5-5", "{name}");
            assert!(m.session.is_some(), "{name}");
            tokens.input += m.tokens.input;
            tokens.output += m.tokens.output;
            tokens.cache_creation += m.tokens.cache_creation;
            tokens.cache_read += m.tokens.cache_read;
            cost += m.cost_usd;
        }
    }
    (tokens, cost)
}

fn counts(input: u64, output: u64, cache_creation: u64, cache_read: u64) -> TokenCounts {
    TokenCounts {
        input,
        output,
        cache_creation,
        cache_read,
    }
}

/// Every metrics fixture, by scenario: the counted tokens and cost equal what the fake API
/// answered (1000/200/3000 per call; output 50, or 30 for the tool_use turn).
#[test]
fn fixtures_count_the_fake_api_usage_once() {
    let one_call = (counts(1000, 50, 200, 3000), 0.0066);
    let two_calls = (counts(2000, 80, 400, 6000), 0.0128);
    let nothing = (TokenCounts::default(), 0.0);
    let scenarios: &[(&[&str], (TokenCounts, f64))] = &[
        (&["delta-http-json-0002-metrics.json"], one_call),
        (&["delta-http-protobuf-0002-metrics.pb"], one_call),
        (
            &[
                "delta-tool-http-json-0002-metrics.json",
                "delta-tool-http-json-0005-metrics.json",
            ],
            two_calls,
        ),
        // Cumulative: every series is re-sent; 0003 repeats 0002's values at a later time.
        (
            &[
                "cumulative-http-json-0002-metrics.json",
                "cumulative-http-json-0003-metrics.json",
                "cumulative-http-json-0006-metrics.json",
            ],
            two_calls,
        ),
        (&["error400-0004-metrics.json"], nothing),
        (
            &[
                "error500-retries-0002-metrics.json",
                "error500-retries-0006-metrics.json",
            ],
            nothing,
        ),
        (&["connection-refused-0001-metrics.json"], nothing),
    ];
    let covered: usize = scenarios.iter().map(|(files, _)| files.len()).sum();
    assert_eq!(
        covered,
        fixtures::names("metrics").len(),
        "a metrics fixture is not covered"
    );
    for (files, (tokens, cost)) in scenarios {
        let (got_tokens, got_cost) = scenario_totals(files);
        assert_eq!(got_tokens, *tokens, "{files:?}");
        assert!((got_cost - cost).abs() < 1e-9, "{files:?}: {got_cost}");
    }
}

#[test]
fn retried_exports_count_once_in_both_temporalities() {
    // The delta capture's call ended with output 50; the cumulative one's first call with 30.
    for (file, output) in [
        ("delta-http-json-0002-metrics.json", 50),
        ("cumulative-http-json-0002-metrics.json", 30),
    ] {
        let (tokens, _) = scenario_totals(&[file; 3]);
        assert_eq!(tokens, counts(1000, output, 200, 3000), "{file}");
    }
}

fn token_points(request: &mut ExportMetricsServiceRequest) -> Vec<&mut NumberDataPoint> {
    request
        .resource_metrics
        .iter_mut()
        .flat_map(|r| &mut r.scope_metrics)
        .flat_map(|s| &mut s.metrics)
        .filter(|m| m.name == TOKEN_USAGE)
        .filter_map(|m| match &mut m.data {
            Some(Data::Sum(sum)) => Some(&mut sum.data_points),
            _ => None,
        })
        .flatten()
        .collect()
}

fn scale_values(request: &mut ExportMetricsServiceRequest, factor: f64, time_shift_ns: u64) {
    for point in token_points(request) {
        if let Some(PointValue::AsDouble(v)) = &mut point.value {
            *v *= factor;
        }
        point.time_unix_nano += time_shift_ns;
    }
}

#[test]
fn cumulative_resets_and_new_starts_count_in_full() {
    let mut tracker = SeriesTracker::default();
    let first = fixtures::metrics("cumulative-http-json-0006-metrics.json");
    let input = |d: &MetricsDigest| d.metered.iter().map(|m| m.tokens.input).sum::<u64>();
    assert_eq!(input(&tracker.digest(&first, 0)), 2000);
    // Same start, lower value, later time: a reset without a new start.
    let mut reset = first.clone();
    scale_values(&mut reset, 0.5, 1_000_000_000);
    assert_eq!(input(&tracker.digest(&reset, 1)), 1000);
    // Grows again on the same stream: only the growth counts.
    let mut grown = first.clone();
    scale_values(&mut grown, 1.0, 2_000_000_000);
    assert_eq!(input(&tracker.digest(&grown, 2)), 1000);
    // A new start time is a new process: its first point counts in full.
    let mut restarted = first.clone();
    for point in token_points(&mut restarted) {
        point.start_time_unix_nano += 5_000_000_000;
        point.time_unix_nano += 6_000_000_000;
    }
    assert_eq!(input(&tracker.digest(&restarted, 3)), 2000);
    // A stale point (earlier time) adds nothing.
    assert_eq!(input(&tracker.digest(&first, 4)), 0);
}

#[test]
fn unspecified_temporality_and_empty_points_are_skipped() {
    let mut request = fixtures::metrics("delta-http-json-0002-metrics.json");
    for metric in request
        .resource_metrics
        .iter_mut()
        .flat_map(|r| &mut r.scope_metrics)
        .flat_map(|s| &mut s.metrics)
    {
        if let Some(Data::Sum(sum)) = &mut metric.data {
            if metric.name == COST_USAGE {
                sum.aggregation_temporality = 0;
            }
            for point in &mut sum.data_points {
                point.flags |= FLAG_NO_RECORDED_VALUE;
            }
        }
    }
    let digest = SeriesTracker::default().digest(&request, 0);
    assert_eq!(digest.rejected_points, 1);
    assert!(digest.metered.is_empty());
}

#[test]
fn forgotten_entries_are_swept() {
    let mut tracker = SeriesTracker::default();
    tracker.digest(&fixtures::metrics("delta-http-json-0002-metrics.json"), 0);
    assert!(tracker.remembered() > 0);
    tracker.digest(
        &ExportMetricsServiceRequest::default(),
        FORGET_AFTER_MS + SWEEP_EVERY_MS,
    );
    assert_eq!(tracker.remembered(), 0);
}

/// Feeds a scenario to one tracker and sums every mirrored increment by metric and `type`.
fn mirrored_totals(files: &[&str]) -> HashMap<(String, String), f64> {
    let mut tracker = SeriesTracker::default();
    let mut totals = HashMap::new();
    for (i, name) in files.iter().enumerate() {
        let digest = tracker.digest(&fixtures::metrics(name), i as i64 * 1000);
        for (resource, points) in digest.mirrored {
            assert!(
                resource.contains(&("service.name".into(), "claude-code".into())),
                "{name}: {resource:?}"
            );
            for point in points {
                assert_eq!(point.scope.0, "com.anthropic.claude_code", "{name}");
                let kind = point
                    .attributes
                    .iter()
                    .find(|(k, _)| k == "type")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                *totals.entry((point.metric, kind)).or_insert(0.0) += point.increment;
            }
        }
    }
    totals
}

/// The mirror gets every Claude Code counter, each counted once whatever the temporality: the
/// two-call scenario gives the same totals delta and cumulative.
#[test]
fn every_counter_is_mirrored_once_in_both_temporalities() {
    let delta = mirrored_totals(&[
        "delta-tool-http-json-0002-metrics.json",
        "delta-tool-http-json-0005-metrics.json",
    ]);
    let cumulative = mirrored_totals(&[
        "cumulative-http-json-0002-metrics.json",
        "cumulative-http-json-0003-metrics.json",
        "cumulative-http-json-0006-metrics.json",
    ]);
    let get = |totals: &HashMap<(String, String), f64>, metric: &str, kind: &str| {
        totals
            .get(&(metric.to_string(), kind.to_string()))
            .copied()
            .unwrap_or_else(|| panic!("no {metric} {kind} in {totals:?}"))
    };
    for totals in [&delta, &cumulative] {
        assert_eq!(get(totals, TOKEN_USAGE, "input"), 2000.0);
        assert_eq!(get(totals, TOKEN_USAGE, "output"), 80.0);
        assert_eq!(get(totals, TOKEN_USAGE, "cacheRead"), 6000.0);
        assert_eq!(get(totals, TOKEN_USAGE, "cacheCreation"), 400.0);
        assert!((get(totals, COST_USAGE, "") - 0.0128).abs() < 1e-9);
        assert_eq!(get(totals, "claude_code.session.count", ""), 1.0);
        assert!(get(totals, "claude_code.active_time.total", "cli") > 0.0);
    }
    let active =
        |t: &HashMap<(String, String), f64>| get(t, "claude_code.active_time.total", "cli");
    assert!(
        (active(&delta) - active(&cumulative)).abs() < 5.0,
        "the same flow, run twice"
    );
}
