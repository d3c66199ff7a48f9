//! The Prometheus deploy files: `promtool check config` on `deploy/prometheus.yml`, and the
//! metric names of the Collector config, the compose file and the Grafana dashboard. The daemon's
//! Prometheus source is tested in `crates/gauge-daemon/tests/prometheus.rs`.
//!
//! Needs Debian's `prometheus` package (`scripts/install-test-deps`). Without it a test prints a
//! skip line, unless `CI` is set: then it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::prometheus_support::require_tool;

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn promtool_accepts_deploy_prometheus_yml() {
    let Some(promtool) = require_tool("promtool") else {
        return;
    };
    let out = Command::new(promtool)
        .args(["check", "config"])
        .arg(repo().join("deploy/prometheus.yml"))
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn yaml(path: &str) -> serde_yaml_ng::Value {
    let text = std::fs::read_to_string(repo().join(path)).expect(path);
    serde_yaml_ng::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[test]
fn collector_config_exports_claude_code_metrics_to_prometheus_on_8889() {
    let config = yaml("deploy/otel-collector-config.yaml");
    let otlp = &config["receivers"]["otlp"]["protocols"];
    assert_eq!(otlp["grpc"]["endpoint"].as_str(), Some("0.0.0.0:4317"));
    assert_eq!(otlp["http"]["endpoint"].as_str(), Some("0.0.0.0:4318"));
    let exporter = &config["exporters"]["prometheus"];
    assert_eq!(exporter["endpoint"].as_str(), Some("0.0.0.0:8889"));
    // A namespace, or dropping the suffixes, would rename claude_code_token_usage_tokens_total
    // and break every query.
    assert!(exporter["namespace"].is_null());
    assert_ne!(exporter["add_metric_suffixes"].as_bool(), Some(false));
    let metrics = &config["service"]["pipelines"]["metrics"];
    let names = |key: &str| -> Vec<String> {
        metrics[key]
            .as_sequence()
            .unwrap_or_else(|| panic!("pipeline {key}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("receivers"), ["otlp"]);
    assert!(names("exporters").contains(&"prometheus".to_string()));
    // Delta from a client that ignored the temporality preference becomes cumulative here.
    assert!(names("processors").contains(&"deltatocumulative".to_string()));
    let text = std::fs::read_to_string(repo().join("deploy/otel-collector-config.yaml")).unwrap();
    for name in ["claude_code.token.usage", "claude_code.cost.usage"] {
        assert!(text.contains(name), "{name}");
    }
}

#[test]
fn compose_and_grafana_dashboard_use_the_collector_metric_names() {
    let compose = yaml("deploy/docker-compose.yml");
    let services = &compose["services"];
    for (service, port) in [
        ("otel-collector", "4317:4317"),
        ("otel-collector", "4318:4318"),
        ("otel-collector", "8889:8889"),
        ("prometheus", "9090:9090"),
        ("grafana", "3000:3000"),
    ] {
        let ports = services[service]["ports"].as_sequence().expect(service);
        assert!(
            ports.iter().any(|p| p.as_str() == Some(port)),
            "{service} {port}"
        );
    }
    assert!(services["claude-gauge"].is_mapping());
    let scrape = yaml("deploy/prometheus.yml");
    let targets: Vec<String> = scrape["scrape_configs"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|job| {
            job["static_configs"][0]["targets"]
                .as_sequence()
                .unwrap()
                .clone()
        })
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert!(
        targets.contains(&"otel-collector:8889".to_string()),
        "{targets:?}"
    );
    assert!(
        targets.contains(&"claude-gauge:8765".to_string()),
        "{targets:?}"
    );

    let path = repo().join("deploy/grafana/dashboards/claude-gauge.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("dashboard json");
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|target| target["expr"].as_str().map(str::to_string))
        .collect();
    for name in [
        "claude_code_token_usage_tokens_total",
        "claude_code_cost_usage_USD_total",
        "claude_gauge_fuel_5h_ratio",
        "claude_gauge_fuel_7d_ratio",
        "claude_gauge_tach_tokens_per_minute",
        "claude_gauge_lamp",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(name)),
            "no panel queries {name}"
        );
    }
    // Every panel's datasource is the provisioned one.
    let datasources = yaml("deploy/grafana/provisioning/datasources/prometheus.yml");
    let uid = datasources["datasources"][0]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(dashboard["panels"].as_array().unwrap().iter().all(|p| {
        p["datasource"]["uid"]
            .as_str()
            .is_none_or(|u| u == uid || u == "${datasource}")
    }));
}
