//! No Collector needed (docs/prometheus.md, "Claude Code's own metrics"): the real Claude Code
//! CLI exports its OTLP metrics and events to the daemon, a real Prometheus scrapes only the
//! daemon's `/metrics`, and every PromQL query of `deploy/grafana/dashboards/claude-gauge.json`
//! and of Anthropic's monitoring guide returns data, with the numbers the fake API reported.
//!
//! The runs export tokens, cost, sessions and active time, and (each writes a file through the
//! Write tool, which the fake API calls) lines of code and an edit decision. Commits and pull
//! requests (counted from `git commit` and `gh pr create` runs) are not made here, so those are
//! fed from a captured export's resource, scope and attributes
//! (`tests/fixtures/otlp/delta-tool-http-json-0002-metrics.json`) under those metric names.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::fake_api::{claude_code_bin, FakeApi, FakeUsage};
use crate::prometheus_support::{free_port, http_get, require_tool, Prometheus};
use crate::util::{write, Daemon, TestDirs};

/// What the fake API reports per request.
const USAGE: FakeUsage = FakeUsage {
    input: 1_234,
    output: 56,
    cache_creation: 200,
    cache_read: 3_000,
};

/// The window the Grafana variables `$__range` and `$__rate_interval` stand for.
const RANGE: &str = "30m";
const RATE_INTERVAL: &str = "2m";

/// The queries of Anthropic's monitoring guide (github.com/anthropics/claude-code-monitoring-guide:
/// README and `grafana/dashboards/working-dashboard.json`) and the commit, pull-request and
/// lines panels of Grafana dashboard 25255 (github.com/rockdarko/claude-code-metrics-prometheus),
/// with `$__range` as in a dashboard.
const GUIDE_QUERIES: &[&str] = &[
    "sum(claude_code_cost_usage_USD_total)",
    "sum(claude_code_token_usage_tokens_total) by (type)",
    "sum(claude_code_token_usage_tokens_total) by (user_email)",
    "sum(claude_code_token_usage_tokens_total) by (model)",
    "rate(claude_code_token_usage_tokens_total[5m])",
    "sum(increase(claude_code_cost_usage_USD_total[$__range]))",
    "count(count by (user_id)(increase(claude_code_cost_usage_USD_total[$__range]) > 0))",
    "sum(increase(claude_code_token_usage_tokens_total[$__range]))",
    "sum(increase(claude_code_lines_of_code_count_total[$__range]))",
    "sum by (model)(increase(claude_code_cost_usage_USD_total[$__range]))",
    "sum by (type)(increase(claude_code_token_usage_tokens_total[$__range]))",
    "sum by (user_id)(increase(claude_code_cost_usage_USD_total[$__range]))",
    "sum by (type)(increase(claude_code_lines_of_code_count_total[$__range]))",
    "sum(increase(claude_code_commit_count_total[$__range]))",
    "sum(increase(claude_code_pull_request_count_total[$__range]))",
    "sum(increase(claude_code_lines_of_code_count_total{type=\"added\"}[$__range]))",
    "sum(increase(claude_code_lines_of_code_count_total{type=\"removed\"}[$__range]))",
    "sum by (decision) (increase(claude_code_code_edit_tool_decision_total[$__range]))",
    "sum by (type) (increase(claude_code_active_time_seconds_total[$__range]))",
    "sum(increase(claude_code_session_count_total[$__range]))",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `expr` of the dashboard's panels and every query of its variables.
fn dashboard_queries() -> (Vec<String>, Vec<String>) {
    let path = repo().join("deploy/grafana/dashboards/claude-gauge.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fn panels(list: &Value, out: &mut Vec<String>) {
        for panel in list.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push(expr.to_string());
                }
            }
            panels(&panel["panels"], out);
        }
    }
    let mut exprs = Vec::new();
    panels(&dashboard["panels"], &mut exprs);
    let variables = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["definition"].as_str().map(str::to_string))
        .collect();
    (exprs, variables)
}

/// A dashboard query as Grafana sends it: `$user` at "All" (`.*`), the time variables filled.
fn grafana(query: &str) -> String {
    let query = query
        .replace("$__rate_interval", RATE_INTERVAL)
        .replace("$__range", RANGE)
        .replace("$user", ".*");
    assert!(!query.contains('$'), "an unknown variable in {query}");
    query
}

/// An instant query's result, failing on any error answer.
fn query(prometheus: &Prometheus, promql: &str) -> Vec<Value> {
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/query", prometheus.url()),
        [("query", promql)],
    )
    .unwrap();
    let (status, body) = http_get(url.as_str()).expect("prometheus answers");
    let answer: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"));
    assert_eq!(status, 200, "{promql}: {answer}");
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The sum of a query's sample values.
fn total(prometheus: &Prometheus, promql: &str) -> f64 {
    query(prometheus, promql)
        .iter()
        .map(|s| s["value"][1].as_str().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// Polls until `promql` sums to `want` (within 1e-6), returning the last sum.
async fn wait_total(prometheus: &Prometheus, promql: &str, want: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = total(prometheus, promql);
        if (got - want).abs() < 1e-6 || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How Claude Code exports in one run.
struct Export<'a> {
    endpoint: &'a str,
    protocol: &'a str,
    temporality: &'a str,
    /// More `claude` arguments (tool permissions; not `--bare`, which offers only Bash, Edit
    /// and Read).
    args: &'a [&'a str],
}

/// Runs `claude -p` once in `home` (one user: the same `user.id` every run), exporting to the
/// daemon's OTLP/HTTP receiver.
async fn run_claude(bin: &Path, fake: &FakeApi, home: &Path, export: Export<'_>) {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.env_clear()
        .current_dir(home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
        .env("ANTHROPIC_BASE_URL", &fake.base_url)
        .env("ANTHROPIC_API_KEY", "sk-ant-fake-test-key-0000000000")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "1")
        .env("CLAUDE_CODE_ENABLE_TELEMETRY", "1")
        .env("OTEL_METRICS_EXPORTER", "otlp")
        .env("OTEL_LOGS_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", export.protocol)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", export.endpoint)
        .env(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            export.temporality,
        )
        .env("OTEL_METRIC_EXPORT_INTERVAL", "1000")
        .env("OTEL_LOGS_EXPORT_INTERVAL", "500")
        // A headless run with an API key has no account, so no user.email: name the user (and
        // the machine) the way a team does for its members.
        .env(
            "OTEL_RESOURCE_ATTRIBUTES",
            "host.name=laptop,user.email=ana@example.com",
        )
        .args(["-p", "say hello", "--model", "claude-sonnet-4-5"])
        .args(["--output-format", "json"])
        .args(export.args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .expect("claude timed out")
        .expect("run claude");
    assert!(
        out.status.success(),
        "claude failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Commits and pull requests, which a test run cannot make, in a captured export's shape: its
/// resource, scope and point attributes (session, user, terminal), under Claude Code's names
/// (https://code.claude.com/docs/en/monitoring-usage), `count` each, as one delta export at now.
fn commit_and_pr_metrics(count: f64) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp/delta-tool-http-json-0002-metrics.json");
    let mut export: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let scope_metrics = &mut export["resourceMetrics"][0]["scopeMetrics"][0];
    let base: Vec<Value> = scope_metrics["metrics"][0]["sum"]["dataPoints"][0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["key"] != "start_type")
        .cloned()
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let point = |value: f64, extra: &[(&str, &str)]| {
        let mut attributes = base.clone();
        for (key, v) in extra {
            attributes.push(json!({"key": key, "value": {"stringValue": v}}));
        }
        json!({
            "attributes": attributes,
            "startTimeUnixNano": (now - 1_000_000_000).to_string(),
            "timeUnixNano": now.to_string(),
            "asDouble": value,
        })
    };
    let metric = |name: &str, description: &str, points: Vec<Value>| {
        json!({"name": name, "description": description, "unit": "",
               "sum": {"aggregationTemporality": 1, "isMonotonic": true, "dataPoints": points}})
    };
    scope_metrics["metrics"] = json!([
        metric(
            "claude_code.commit.count",
            "Number of git commits created",
            vec![point(count, &[])]
        ),
        metric(
            "claude_code.pull_request.count",
            "Number of pull requests created",
            vec![point(count, &[])]
        ),
    ]);
    serde_json::to_vec(&export).unwrap()
}

#[tokio::test]
async fn every_dashboard_query_has_data_from_a_daemon_fed_by_claude_code() {
    let Some(bin) = claude_code_bin() else { return };
    let Some(prometheus_bin) = require_tool("prometheus") else {
        return;
    };
    let dirs = TestDirs::new();
    // Only OTLP feeds this daemon. A 7-day limit makes the 7-day fuel known (its panel needs a
    // value); the 5-hour one has a default.
    write(
        &dirs.config_file(),
        "[transcripts]\nenabled = false\n[limits]\ntokens_7d = 1000000\n[otlp]\nmetrics_hold_ms = 1000\n",
    );
    let daemon_port = free_port();
    let listen = format!("127.0.0.1:{daemon_port}");
    let daemon = Daemon::start_with(
        dirs,
        &[
            "--listen",
            &listen,
            "--otlp-http",
            "127.0.0.1:0",
            "--otlp-grpc",
            "127.0.0.1:0",
        ],
    );
    let otlp = daemon
        .startup_lines
        .iter()
        .find_map(|l| l.split("otlp http on ").nth(1))
        .map(|addr| format!("http://{}", addr.trim()))
        .expect("otlp http address");
    let prometheus_dir = daemon.dirs.root.path().join("prometheus");
    let prometheus = Prometheus::start(
        prometheus_bin,
        &prometheus_dir,
        &[("claude-gauge", listen.clone())],
    );

    // Two real runs, delta then cumulative: one user's series, growing (so increase() sees it).
    // Each writes a file through the Write tool, which its fake API calls.
    let home = tempfile::tempdir().unwrap();
    let tool_fake = |file: &str| {
        let path = home.path().join(file);
        let tool = json!({"name": "Write", "input": {
            "file_path": path.to_str().unwrap(),
            "content": "fn main() {\n    let greeting = \"hello\";\n    println!(\"{greeting}\");\n}",
        }});
        FakeApi::start_with_tool(USAGE, &[], Some(tool))
    };
    let (fake, second_fake) = (tool_fake("one.rs").await, tool_fake("two.rs").await);
    let export = |protocol, temporality| Export {
        endpoint: &otlp,
        protocol,
        temporality,
        args: &["--allowedTools", "Write"],
    };
    run_claude(&bin, &fake, home.path(), export("http/protobuf", "delta")).await;
    let (requests, _) = fake.totals();
    let first_input = (requests * USAGE.input) as f64;
    let promql = "claude_code_token_usage_tokens_total{type=\"input\"}";
    let got = wait_total(&prometheus, promql, first_input).await;
    assert_eq!(
        got, first_input,
        "the first run's input tokens reach Prometheus"
    );
    let post = |body: Vec<u8>| {
        reqwest::Client::new()
            .post(format!("{otlp}/v1/metrics"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let status = post(commit_and_pr_metrics(1.0)).await.unwrap().status();
    assert_eq!(status, 200);
    wait_total(&prometheus, "claude_code_commit_count_total", 1.0).await;
    run_claude(
        &bin,
        &second_fake,
        home.path(),
        export("http/json", "cumulative"),
    )
    .await;
    for file in ["one.rs", "two.rs"] {
        let path = home.path().join(file);
        assert!(
            path.is_file(),
            "Claude Code wrote {file} through the Write tool"
        );
    }
    let status = post(commit_and_pr_metrics(2.0)).await.unwrap().status();
    assert_eq!(status, 200);

    // Claude Code's counters in Prometheus equal what the fake API reported, exactly, and the
    // cost equals the daemon's own record of the events.
    let ((first, a), (second, b)) = (fake.totals(), second_fake.totals());
    let requests = first + second;
    assert!(
        first >= 2 && second >= 2,
        "each run a tool call and the answer after it"
    );
    let reported = FakeUsage {
        input: a.input + b.input,
        output: a.output + b.output,
        cache_creation: a.cache_creation + b.cache_creation,
        cache_read: a.cache_read + b.cache_read,
    };
    for (kind, want) in [
        ("input", reported.input),
        ("output", reported.output),
        ("cacheRead", reported.cache_read),
        ("cacheCreation", reported.cache_creation),
    ] {
        let promql = format!("sum(claude_code_token_usage_tokens_total{{type=\"{kind}\"}})");
        let got = wait_total(&prometheus, &promql, want as f64).await;
        assert_eq!(got, want as f64, "{promql}");
    }
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == requests
        })
        .await;
    let cost = stats["usage_totals"]["cost_usd"].as_f64().unwrap();
    assert!(cost > 0.0, "{stats}");
    // The events named the machine (`host.name` from OTEL_RESOURCE_ATTRIBUTES): all its requests.
    let machines = stats["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 1, "{stats}");
    assert_eq!(machines[0]["host"], "laptop", "{stats}");
    assert_eq!(machines[0]["requests"], requests, "{stats}");
    let got = wait_total(&prometheus, "sum(claude_code_cost_usage_USD_total)", cost).await;
    assert!((got - cost).abs() < 1e-6, "metrics {got} vs events {cost}");
    // Each Write's four lines (no newline at the end: Claude Code would count a fifth), and
    // its permission decision (allowed by the flag: source config).
    let added = "sum(claude_code_lines_of_code_count_total{type=\"added\"})";
    assert_eq!(wait_total(&prometheus, added, 8.0).await, 8.0, "{added}");
    let decision =
        "sum(claude_code_code_edit_tool_decision_total{tool_name=\"Write\",decision=\"accept\"})";
    assert_eq!(
        wait_total(&prometheus, decision, 2.0).await,
        2.0,
        "{decision}"
    );
    let commits = "sum(claude_code_commit_count_total)";
    assert_eq!(
        wait_total(&prometheus, commits, 3.0).await,
        3.0,
        "{commits}"
    );
    // Every series carries the user and the machine; none a session.
    let series = query(&prometheus, "claude_code_token_usage_tokens_total");
    for s in &series {
        let labels = &s["metric"];
        assert_eq!(labels["user_email"], "ana@example.com", "{s}");
        assert_eq!(labels["host_name"], "laptop", "{s}");
        assert_eq!(labels["exported_job"], "claude-code", "{s}");
        assert_eq!(labels["job"], "claude-gauge", "{s}");
        assert!(labels.get("session_id").is_none(), "{s}");
    }
    assert_eq!(series.len(), 4, "one series per token type: {series:?}");

    // Every query of the dashboard and of the guide returns data (increase() needs two samples
    // of a series: give Prometheus two more scrapes).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (exprs, variables) = dashboard_queries();
    assert!(exprs.len() >= 19, "{exprs:?}");
    let mut empty = Vec::new();
    for promql in exprs
        .iter()
        .map(String::as_str)
        .chain(GUIDE_QUERIES.iter().copied())
    {
        let promql = grafana(promql);
        if query(&prometheus, &promql).is_empty() {
            empty.push(promql);
        }
    }
    assert!(empty.is_empty(), "no data for {empty:#?}");
    // The dashboard's `$user` variable lists the user.
    for definition in variables {
        let (metric, label) = definition
            .strip_prefix("label_values(")
            .and_then(|d| d.strip_suffix(')'))
            .and_then(|d| d.split_once(','))
            .unwrap_or_else(|| panic!("{definition}"));
        let promql = format!("count by ({}) ({})", label.trim(), metric.trim());
        let answer = query(&prometheus, &promql);
        let values: Vec<&Value> = answer.iter().map(|s| &s["metric"][label.trim()]).collect();
        assert!(
            values.iter().any(|v| *v == "ana@example.com"),
            "{definition}: {values:?}"
        );
    }
    // The growing counters give the guide's figures: a cost over 0, one active user (the
    // captured export's user has no cost), lines of code over 0.
    assert!(total(&prometheus, &grafana(GUIDE_QUERIES[5])) > 0.0);
    assert_eq!(total(&prometheus, &grafana(GUIDE_QUERIES[6])), 1.0);
    assert!(total(&prometheus, &grafana(GUIDE_QUERIES[8])) > 0.0);
    // The dashboard's machine panel names the machine.
    let by_machine = exprs
        .iter()
        .find(|e| e.contains("by (host_name)"))
        .expect("a panel by machine");
    let answer = query(&prometheus, &grafana(by_machine));
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert_eq!(answer[0]["metric"]["host_name"], "laptop", "{answer:?}");
}
