//! The history page: `GET /history` (charts drawn in the browser by the vendored uPlot) and its
//! data, `GET /history.json?days=N`: Claude's own 5-hour and 7-day percentages with the resets
//! marked and tokens per hour by model over the last `days`, and cost per day by model over
//! everything the store holds (history beyond Claude Code's own transcript cleanup included),
//! and the usage of each machine over the last `days` (a hub's breakdown, as in `/stats`).
//!
//! The store is read on the ledger's reader connection; the writer never waits for this page.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::handlers::AppError;
use super::AppState;
use crate::clock::unix_now_ms;
use crate::ledger::StoredHistory;
use crate::readings::Window;

/// The span shown when `days` is not given.
const DEFAULT_DAYS: i64 = 7;
/// The longest span `days` may ask for.
pub(crate) const MAX_DAYS: i64 = 90;
/// How many points each official series is thinned to at most.
const OFFICIAL_POINTS: i64 = 2000;
/// Two reset times closer than this are one reset (Claude rounds them differently at times).
const SAME_RESET_SECS: i64 = 120;
const HOUR_MS: i64 = 3_600_000;

/// `days` from the query string, or a message for a 400.
fn parse_days(query: Option<&str>) -> Result<i64, String> {
    let mut days = DEFAULT_DAYS;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "days" {
            return Err(format!(
                "unknown parameter {key:?}: /history.json takes only days, e.g. ?days=7"
            ));
        }
        days = value
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                format!("days must be a whole number from 1 to {MAX_DAYS}, e.g. ?days=7")
            })?;
    }
    Ok(days)
}

/// `GET /history.json?days=N`.
pub(crate) async fn history_json_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    let days = match parse_days(query.as_deref()) {
        Ok(days) => days,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
        }
    };
    let now_ms = unix_now_ms();
    let since_ms = now_ms - days * 24 * HOUR_MS;
    let bucket_ms = days * 24 * HOUR_MS / OFFICIAL_POINTS;
    let machine_name = state.machine_name.to_string();
    let read = async {
        let history = state.ledger.history(since_ms, bucket_ms).await?;
        let machines = state
            .ledger
            .usage_by_machine(since_ms, machine_name)
            .await?;
        Ok::<_, String>((history, machines))
    };
    match read.await {
        Ok((history, machines)) => {
            let mut body = render(&history, days, since_ms, now_ms);
            body["machines"] = json!(machines);
            Json(body).into_response()
        }
        Err(err) => AppError(err).into_response(),
    }
}

/// The JSON body: column arrays, as the charts take them.
pub(crate) fn render(history: &StoredHistory, days: i64, since_ms: i64, now_ms: i64) -> Value {
    json!({
        "days": days,
        "since_secs": since_ms / 1000,
        "now_secs": now_ms / 1000,
        "official": official(history, since_ms, now_ms),
        "tokens_per_hour": tokens_per_hour(history, since_ms, now_ms),
        "cost_per_day": cost_per_day(history),
    })
}

fn official(history: &StoredHistory, since_ms: i64, now_ms: i64) -> Value {
    let mut out = serde_json::Map::new();
    let mut resets = Vec::new();
    for window in [Window::FiveHour, Window::SevenDay] {
        let points: Vec<_> = history
            .official
            .iter()
            .filter(|p| p.window == window)
            .collect();
        let t: Vec<i64> = points.iter().map(|p| p.at_ms / 1000).collect();
        let used: Vec<f64> = points.iter().map(|p| p.used_pct).collect();
        out.insert(window.as_str().into(), json!({ "t": t, "used_pct": used }));
        // A reset is a window's end that has passed within the span.
        let mut ends: Vec<i64> = points
            .iter()
            .filter_map(|p| p.resets_at_secs)
            .filter(|at| *at >= since_ms / 1000 && *at <= now_ms / 1000)
            .collect();
        ends.sort_unstable();
        let mut last: Option<i64> = None;
        for at in ends {
            if last.is_none_or(|l| at - l > SAME_RESET_SECS) {
                resets.push(json!({ "window": window.as_str(), "at_secs": at }));
            }
            last = Some(at);
        }
    }
    out.insert("resets".into(), Value::Array(resets));
    Value::Object(out)
}

/// Every hour of the span, each model's tokens in it (0 for none).
fn tokens_per_hour(history: &StoredHistory, since_ms: i64, now_ms: i64) -> Value {
    let first_hour = since_ms.div_euclid(HOUR_MS);
    let hours = (now_ms.div_euclid(HOUR_MS) - first_hour + 1).max(0) as usize;
    let mut by_model: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for row in &history.tokens_per_hour {
        let index = row.hour_start_ms.div_euclid(HOUR_MS) - first_hour;
        let Some(index) = usize::try_from(index).ok().filter(|i| *i < hours) else {
            continue;
        };
        by_model.entry(&row.model).or_insert_with(|| vec![0; hours])[index] += row.tokens;
    }
    let t: Vec<i64> = (0..hours as i64)
        .map(|i| (first_hour + i) * HOUR_MS / 1000)
        .collect();
    let series: Vec<Value> = by_model
        .into_iter()
        .map(|(model, tokens)| json!({ "model": model, "tokens": tokens }))
        .collect();
    json!({ "t": t, "series": series })
}

/// The days with any usage, each model's cost on it (0 for none).
fn cost_per_day(history: &StoredHistory) -> Value {
    let mut days: Vec<(&str, i64)> = history
        .cost_per_day
        .iter()
        .map(|row| (row.day.as_str(), row.day_start_secs))
        .collect();
    days.dedup();
    let mut by_model: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for row in &history.cost_per_day {
        let Some(index) = days.iter().position(|(day, _)| *day == row.day) else {
            continue;
        };
        by_model
            .entry(&row.model)
            .or_insert_with(|| vec![0.0; days.len()])[index] += row.cost_usd;
    }
    let series: Vec<Value> = by_model
        .into_iter()
        .map(|(model, cost)| json!({ "model": model, "cost_usd": cost }))
        .collect();
    json!({
        "t": days.iter().map(|(_, secs)| *secs).collect::<Vec<_>>(),
        "days": days.iter().map(|(day, _)| *day).collect::<Vec<_>>(),
        "series": series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{DayCost, HourTokens, OfficialPoint};

    #[test]
    fn days_is_bounded_and_alone() {
        assert_eq!(parse_days(None), Ok(7));
        assert_eq!(parse_days(Some("days=30")), Ok(30));
        for bad in [
            "days=0", "days=91", "days=-1", "days=abc", "days=", "day=3", "x",
        ] {
            let err = parse_days(Some(bad)).unwrap_err();
            assert!(err.contains("days"), "{bad}: {err}");
        }
    }

    #[test]
    fn resets_are_the_window_ends_that_passed() {
        let point = |at_secs: i64, resets: i64| OfficialPoint {
            at_ms: at_secs * 1000,
            window: Window::FiveHour,
            used_pct: 10.0,
            resets_at_secs: Some(resets),
        };
        let history = StoredHistory {
            // 18_000 and 18_060 are one reset, 36_000 another, 54_000 is still ahead.
            official: vec![
                point(1_000, 18_000),
                point(2_000, 18_060),
                point(20_000, 36_000),
                point(40_000, 54_000),
            ],
            ..StoredHistory::default()
        };
        let value = official(&history, 0, 50_000_000);
        assert_eq!(value["5h"]["t"], json!([1_000, 2_000, 20_000, 40_000]));
        assert_eq!(
            value["resets"],
            json!([{"window": "5h", "at_secs": 18_000}, {"window": "5h", "at_secs": 36_000}])
        );
    }

    #[test]
    fn hours_and_days_are_aligned_columns() {
        let history = StoredHistory {
            tokens_per_hour: vec![HourTokens {
                hour_start_ms: 2 * HOUR_MS,
                model: "m".into(),
                tokens: 5,
                fuel_tokens: 3,
            }],
            cost_per_day: vec![
                DayCost {
                    day: "2026-01-01".into(),
                    day_start_secs: 0,
                    model: "a".into(),
                    cost_usd: 1.5,
                },
                DayCost {
                    day: "2026-01-02".into(),
                    day_start_secs: 86_400,
                    model: "b".into(),
                    cost_usd: 2.0,
                },
            ],
            ..StoredHistory::default()
        };
        let hours = tokens_per_hour(&history, 0, 3 * HOUR_MS + 5);
        assert_eq!(hours["t"], json!([0, 3600, 7200, 10800]));
        assert_eq!(
            hours["series"],
            json!([{"model": "m", "tokens": [0, 0, 5, 0]}])
        );
        let days = cost_per_day(&history);
        assert_eq!(days["days"], json!(["2026-01-01", "2026-01-02"]));
        assert_eq!(days["series"][0]["cost_usd"], json!([1.5, 0.0]));
        assert_eq!(days["series"][1]["cost_usd"], json!([0.0, 2.0]));
    }
}
