//! The PromQL the Prometheus source sends, and the HTTP API's answers read back into numbers.
//! Every query is documented, with its reasoning, in `docs/prometheus.md`; keep the two in step.
//!
//! All token figures come from one per-series expression, [`growth`]: how much a counter grew
//! inside a window, counting a series born inside the window from zero. `increase()` would drop
//! a new series' first value (a one-request `claude -p` run would count nothing) and
//! extrapolates to non-integers; this does neither.

use std::collections::HashMap;

use serde::Deserialize;

// Claude Code's token counter after the OpenTelemetry Collector (and on our own `/metrics`).
use crate::readings::CLAUDE_CODE_TOKEN_METRIC as TOKEN_METRIC;

/// The `type` values the tach counts, as local data does: input + output + cache creation.
const TACH_TYPES: &str = "input|output|cacheCreation";
/// The `type` values fuel counts: input + output.
const FUEL_TYPES: &str = "input|output";
/// How far back "the latest model" looks.
const MODEL_WINDOW: &str = "10m";

/// The four instant queries of one poll, built once from the selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Queries {
    /// Tach tokens in the last minute.
    pub tach: String,
    /// Fuel tokens in the last 5 hours.
    pub fuel_5h: String,
    /// Fuel tokens in the last 7 days.
    pub fuel_7d: String,
    /// The model with the most tokens in the last [`MODEL_WINDOW`].
    pub model: String,
}

impl Queries {
    /// The queries for `selector` (label matchers without braces; empty for everyone).
    pub(crate) fn new(selector: &str) -> Queries {
        let with_types = |types: &str| {
            let typed = format!("type=~\"{types}\"");
            if selector.is_empty() {
                typed
            } else {
                format!("{selector},{typed}")
            }
        };
        let total =
            |types: &str, range: &str| format!("sum({})", growth(&with_types(types), range));
        Queries {
            tach: total(TACH_TYPES, "1m"),
            fuel_5h: total(FUEL_TYPES, "5h"),
            fuel_7d: total(FUEL_TYPES, "7d"),
            model: format!(
                "topk(1, sum by (model) ({}) > 0)",
                growth(selector, MODEL_WINDOW)
            ),
        }
    }
}

/// Per series: the growth of [`TOKEN_METRIC`]`{matchers}` over `range` (never negative), or, for
/// a series with no value at the window's start, its whole maximum.
fn growth(matchers: &str, range: &str) -> String {
    let series = format!("{TOKEN_METRIC}{{{matchers}}}");
    format!(
        "clamp_min(max_over_time({series}[{range}]) - {series} offset {range}, 0) \
         or max_over_time({series}[{range}])"
    )
}

/// The HTTP API's envelope (`/api/v1/query`).
#[derive(Debug, Deserialize)]
pub(crate) struct ApiResponse {
    /// `success` or `error`.
    status: String,
    #[serde(default)]
    data: Option<ApiData>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

/// One element of a vector result.
#[derive(Debug, Deserialize)]
struct Sample {
    #[serde(default)]
    metric: HashMap<String, String>,
    /// `[unix seconds, "value"]`: values are strings, `"NaN"` and `"+Inf"` included.
    value: (f64, String),
}

/// An answer that was not the data we asked for.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AnswerError {
    /// Prometheus said `"status":"error"`.
    #[error("prometheus rejected the query ({kind}): {message}")]
    Rejected {
        /// `errorType`, e.g. `bad_data`.
        kind: String,
        /// `error`, Prometheus's own message.
        message: String,
    },
    /// The body was not the API's JSON.
    #[error("not a prometheus API answer: {0}")]
    Malformed(String),
}

/// One vector element's labels and value.
#[derive(Debug, PartialEq)]
pub(crate) struct Element {
    /// Its labels.
    pub labels: HashMap<String, String>,
    /// Its value; not finite values (`NaN`, `+Inf`) read as 0.
    pub value: f64,
}

impl ApiResponse {
    /// Parses a body.
    pub(crate) fn parse(body: &[u8]) -> Result<ApiResponse, AnswerError> {
        serde_json::from_slice(body).map_err(|err| AnswerError::Malformed(err.to_string()))
    }

    /// The elements of a `vector` (or `scalar`) result.
    pub(crate) fn into_elements(self) -> Result<Vec<Element>, AnswerError> {
        if self.status != "success" {
            return Err(AnswerError::Rejected {
                kind: self.error_type.unwrap_or_else(|| "unknown".into()),
                message: self.error.unwrap_or_default(),
            });
        }
        let data = self
            .data
            .ok_or_else(|| AnswerError::Malformed("a success without data".into()))?;
        let malformed = |err: serde_json::Error| AnswerError::Malformed(err.to_string());
        match data.result_type.as_str() {
            "vector" => {
                let samples: Vec<Sample> =
                    serde_json::from_value(data.result).map_err(malformed)?;
                Ok(samples
                    .into_iter()
                    .map(|s| Element {
                        labels: s.metric,
                        value: parse_value(&s.value.1),
                    })
                    .collect())
            }
            "scalar" => {
                let (_, value): (f64, String) =
                    serde_json::from_value(data.result).map_err(malformed)?;
                Ok(vec![Element {
                    labels: HashMap::new(),
                    value: parse_value(&value),
                }])
            }
            other => Err(AnswerError::Malformed(format!(
                "a {other} result where an instant vector was expected"
            ))),
        }
    }
}

fn parse_value(text: &str) -> f64 {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// A sum query's answer as whole tokens: an empty vector (no series match) is 0.
pub(crate) fn tokens(elements: &[Element]) -> u64 {
    let sum: f64 = elements.iter().map(|e| e.value).sum();
    if sum > 0.0 {
        sum.round() as u64
    } else {
        0
    }
}

/// The model query's answer: the `model` label of its one element, if any.
pub(crate) fn model(elements: &[Element]) -> Option<String> {
    elements
        .iter()
        .max_by(|a, b| a.value.total_cmp(&b.value))
        .and_then(|e| e.labels.get("model").cloned())
        .filter(|m| !m.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_put_the_selector_in_every_matcher() {
        let q = Queries::new("user_email=\"a@b\"");
        assert_eq!(
            q.tach,
            "sum(clamp_min(max_over_time(claude_code_token_usage_tokens_total{user_email=\"a@b\",type=~\"input|output|cacheCreation\"}[1m]) \
             - claude_code_token_usage_tokens_total{user_email=\"a@b\",type=~\"input|output|cacheCreation\"} offset 1m, 0) \
             or max_over_time(claude_code_token_usage_tokens_total{user_email=\"a@b\",type=~\"input|output|cacheCreation\"}[1m]))"
        );
        assert!(q.fuel_5h.contains("type=~\"input|output\"}[5h]"));
        assert!(q.fuel_7d.contains("offset 7d"));
        assert!(q.model.starts_with("topk(1, sum by (model) ("));
        let everyone = Queries::new("");
        assert!(everyone
            .model
            .contains("claude_code_token_usage_tokens_total{}[10m]"));
        assert!(everyone
            .tach
            .contains("{type=~\"input|output|cacheCreation\"}"));
    }

    #[test]
    fn reads_vectors_scalars_and_errors() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"model":"claude-opus-4-5"},"value":[1795491592.198,"1000"]},
            {"metric":{"model":"claude-haiku-4-5"},"value":[1795491592.198,"NaN"]}]}}"#;
        let elements = ApiResponse::parse(body).unwrap().into_elements().unwrap();
        assert_eq!(tokens(&elements), 1000);
        assert_eq!(model(&elements).as_deref(), Some("claude-opus-4-5"));
        let empty = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        let elements = ApiResponse::parse(empty).unwrap().into_elements().unwrap();
        assert_eq!((tokens(&elements), model(&elements)), (0, None));
        let scalar =
            br#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"1050"]}}"#;
        let elements = ApiResponse::parse(scalar).unwrap().into_elements().unwrap();
        assert_eq!(tokens(&elements), 1050);
        let error = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        let err = ApiResponse::parse(error)
            .unwrap()
            .into_elements()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "prometheus rejected the query (bad_data): parse error"
        );
        assert!(ApiResponse::parse(b"<html>").is_err());
        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(ApiResponse::parse(matrix).unwrap().into_elements().is_err());
    }
}
