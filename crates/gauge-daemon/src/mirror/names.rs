//! The OpenTelemetry Collector's Prometheus naming, for the metrics the mirror keeps: what the
//! Collector's `prometheus` exporter (`add_metric_suffixes` on, no namespace) calls a metric and
//! an attribute. The rules are those of the translator it uses,
//! <https://github.com/prometheus/otlptranslator> (`metric_namer.go`, `label_namer.go`):
//!
//! - a metric name is split on every character but letters, digits and `:`; the unit's suffix
//!   (`s` -> `seconds`, `By` -> `bytes`, `1` -> none, others as written, `{...}` annotations
//!   dropped; `a/b` -> `a_per_b`) is appended unless the name already holds it; a counter's
//!   `total` token moves to the end;
//! - a label is the attribute key with every character but letters, digits and `_` replaced by
//!   `_`, prefixed `key_` when it starts with a digit, `key` when it starts with one `_`.

/// A metric's Prometheus name, in the parts an OpenMetrics family is registered with: `base`,
/// then `_<unit>` when there is one, then `_total` (counters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MetricName {
    /// The name without unit and `_total`, e.g. `claude_code_token_usage`.
    pub base: String,
    /// The unit suffix, e.g. `tokens`, `USD`, `seconds`; `None` when none is added.
    pub unit: Option<String>,
}

impl MetricName {
    /// The name of a counter's samples: `claude_code_token_usage_tokens_total`.
    pub(crate) fn counter_sample(&self) -> String {
        match &self.unit {
            Some(unit) => format!("{}_{unit}_total", self.base),
            None => format!("{}_total", self.base),
        }
    }
}

/// UCUM units and their Prometheus words (the translator's `unitMap`).
const UNITS: &[(&str, &str)] = &[
    ("d", "days"),
    ("h", "hours"),
    ("min", "minutes"),
    ("s", "seconds"),
    ("ms", "milliseconds"),
    ("us", "microseconds"),
    ("ns", "nanoseconds"),
    ("By", "bytes"),
    ("KiBy", "kibibytes"),
    ("MiBy", "mebibytes"),
    ("GiBy", "gibibytes"),
    ("TiBy", "tibibytes"),
    ("KBy", "kilobytes"),
    ("MBy", "megabytes"),
    ("GBy", "gigabytes"),
    ("TBy", "terabytes"),
    ("m", "meters"),
    ("V", "volts"),
    ("A", "amperes"),
    ("J", "joules"),
    ("W", "watts"),
    ("g", "grams"),
    ("Cel", "celsius"),
    ("Hz", "hertz"),
    ("1", ""),
    ("%", "percent"),
];

/// The "per" units (the translator's `perUnitMap`).
const PER_UNITS: &[(&str, &str)] = &[
    ("s", "second"),
    ("m", "minute"),
    ("h", "hour"),
    ("d", "day"),
    ("w", "week"),
    ("mo", "month"),
    ("y", "year"),
];

fn lookup<'a>(table: &[(&str, &'a str)], unit: &'a str) -> &'a str {
    table
        .iter()
        .find(|(otel, _)| *otel == unit)
        .map_or(unit, |(_, word)| *word)
}

/// Letters, digits and `_` stay; runs of anything else become one `_`; no `_` at the ends.
fn clean_unit(unit: &str) -> String {
    let mapped: String = unit
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    mapped
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The Prometheus name of an OTel metric `name` with `unit`; `is_counter` for monotonic sums.
pub(crate) fn metric_name(name: &str, unit: &str, is_counter: bool) -> MetricName {
    let mut tokens: Vec<String> = name
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let (main, per) = match unit.split_once('/') {
        Some((main, per)) => (main.trim(), Some(per.trim())),
        None => (unit.trim(), None),
    };
    let has_braces = |u: &str| u.contains(['{', '}']);
    let main = if main.is_empty() || has_braces(main) {
        String::new()
    } else {
        clean_unit(lookup(UNITS, main))
    };
    let per = match per {
        Some(per) if !per.is_empty() && !has_braces(per) => {
            clean_unit(&format!("per_{}", lookup(PER_UNITS, per)))
        }
        _ => String::new(),
    };
    let mut unit_tokens = Vec::new();
    if !main.is_empty() && !tokens.contains(&main) {
        unit_tokens.push(main);
    }
    if !per.is_empty() && per != "per" && !tokens.contains(&per) {
        unit_tokens.push(per);
    }
    if is_counter {
        tokens.retain(|t| t != "total");
        unit_tokens.retain(|t| t != "total");
    }
    let mut base = tokens.join("_");
    if base.starts_with(|c: char| c.is_ascii_digit()) {
        base.insert(0, '_');
    }
    let unit = (!unit_tokens.is_empty()).then(|| unit_tokens.join("_"));
    MetricName { base, unit }
}

/// The Prometheus label name of an attribute key.
pub(crate) fn label_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "key_");
    } else if name.starts_with('_') && !name.starts_with("__") {
        name.insert_str(0, "key");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Claude Code metric (https://code.claude.com/docs/en/monitoring-usage) gets the name
    /// the Collector gives it, as the monitoring guide's queries spell them.
    #[test]
    fn claude_code_metrics_get_the_collector_names() {
        for (otel, unit, prometheus) in [
            (
                "claude_code.session.count",
                "",
                "claude_code_session_count_total",
            ),
            (
                "claude_code.lines_of_code.count",
                "",
                "claude_code_lines_of_code_count_total",
            ),
            (
                "claude_code.pull_request.count",
                "",
                "claude_code_pull_request_count_total",
            ),
            (
                "claude_code.commit.count",
                "",
                "claude_code_commit_count_total",
            ),
            (
                "claude_code.cost.usage",
                "USD",
                "claude_code_cost_usage_USD_total",
            ),
            (
                "claude_code.token.usage",
                "tokens",
                "claude_code_token_usage_tokens_total",
            ),
            (
                "claude_code.code_edit_tool.decision",
                "",
                "claude_code_code_edit_tool_decision_total",
            ),
            (
                "claude_code.active_time.total",
                "s",
                "claude_code_active_time_seconds_total",
            ),
        ] {
            assert_eq!(
                metric_name(otel, unit, true).counter_sample(),
                prometheus,
                "{otel}"
            );
        }
    }

    #[test]
    fn units_follow_the_translator() {
        let name = |n, u| metric_name(n, u, true).counter_sample();
        assert_eq!(
            name("http.server.duration", "ms"),
            "http_server_duration_milliseconds_total"
        );
        assert_eq!(name("io.bytes", "By"), "io_bytes_total");
        assert_eq!(name("a.count", "1"), "a_count_total");
        assert_eq!(name("a.count", "{request}"), "a_count_total");
        assert_eq!(name("a.rate", "By/s"), "a_rate_bytes_per_second_total");
        assert_eq!(name("a.seconds", "s"), "a_seconds_total");
        assert_eq!(name("total.a..b", ""), "a_b_total");
        assert_eq!(name("1a", ""), "_1a_total");
        assert_eq!(
            metric_name("a.b", "s", false).unit.as_deref(),
            Some("seconds")
        );
    }

    #[test]
    fn labels_follow_the_translator() {
        assert_eq!(label_name("user.email"), "user_email");
        assert_eq!(
            label_name("anthropic.custom_base_url"),
            "anthropic_custom_base_url"
        );
        assert_eq!(label_name("1x"), "key_1x");
        assert_eq!(label_name("_x"), "key_x");
        assert_eq!(label_name("__x"), "__x");
        assert_eq!(label_name("vcs.repo-name"), "vcs_repo_name");
    }
}
