//! The Prometheus path (docs/prometheus.md): a real Prometheus scrapes a test exporter of Claude
//! Code's counters and the daemon's own `/metrics`; the daemon's Prometheus source reads the
//! counters back through PromQL into frames; stopping Prometheus lights STALL and restarting
//! clears it.
//! Also: `promtool check config` on `deploy/prometheus.yml`, and the deploy files' metric names.
//!
//! Needs Debian's `prometheus` package (`scripts/install-test-deps`). Without it a test prints a
//! skip line, unless `CI` is set: then it fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{lamps, write, Daemon, TestDirs};

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name` on `PATH`, or `None` after a skip line; with `CI` set, a missing tool fails the test.
pub(crate) fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    match found {
        Some(path) => Some(path),
        None if std::env::var_os("CI").is_some() => {
            panic!("{name} is not installed; CI must run scripts/install-test-deps first")
        }
        None => {
            eprintln!("skipping: {name} is not installed (apt-get install prometheus)");
            None
        }
    }
}

pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A tiny HTTP server answering every request with the current body (an exposition).
struct Exporter {
    port: u16,
    body: Arc<Mutex<String>>,
}

impl Exporter {
    fn start(body: &str) -> Exporter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let body = Arc::new(Mutex::new(body.to_string()));
        let shared = body.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let text = shared.lock().expect("exporter lock").clone();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = reader.get_mut().write_all(reply.as_bytes());
            }
        });
        Exporter { port, body }
    }

    fn set(&self, body: &str) {
        *self.body.lock().expect("exporter lock") = body.to_string();
    }
}

/// Claude Code's token counter as the Collector exposes it: user a's session plus another user
/// the selector must leave out.
fn exposition(a_input: u64) -> String {
    let series = |user: &str, kind: &str, value: u64| {
        format!(
            "claude_code_token_usage_tokens_total{{user_email=\"{user}\",session_id=\"s-{user}\",\
             model=\"claude-opus-4-5\",type=\"{kind}\"}} {value}\n"
        )
    };
    let mut text = String::from("# TYPE claude_code_token_usage_tokens_total counter\n");
    text += &series("a@example.com", "input", a_input);
    text += &series("a@example.com", "output", 50);
    text += &series("a@example.com", "cacheRead", 3000);
    text += &series("a@example.com", "cacheCreation", 200);
    text += &series("b@example.com", "input", 99_999);
    text
}

/// A real Prometheus on a loopback port with its own config and data dir, killed on drop.
pub(crate) struct Prometheus {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Prometheus {
    pub(crate) fn start(bin: PathBuf, dir: &Path, targets: &[(&str, String)]) -> Prometheus {
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n",
        );
        for (job, target) in targets {
            config += &format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n"
            );
        }
        write(&dir.join("prometheus.yml"), &config);
        let mut prometheus = Prometheus {
            bin,
            dir: dir.to_path_buf(),
            port: free_port(),
            child: None,
        };
        prometheus.restart();
        prometheus
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process (same port, same data) and waits until it is ready.
    fn restart(&mut self) {
        let child = Command::new(&self.bin)
            .arg(format!(
                "--config.file={}",
                self.dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                self.dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn prometheus");
        self.child = Some(child);
        let ready = format!("{}/-/ready", self.url());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if http_get(&ready).is_some_and(|(status, _)| status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut stderr = String::new();
        self.stop();
        if let Some(mut child) = self.child.take() {
            let _ = child
                .stderr
                .take()
                .map(|mut e| e.read_to_string(&mut stderr));
        }
        panic!("prometheus did not become ready: {stderr}");
    }

    fn stop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// An instant query's result array.
    pub(crate) fn query(&self, promql: &str) -> Vec<Value> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.url()),
            [("query", promql)],
        )
        .expect("query url");
        let (_, body) = http_get(url.as_str()).expect("prometheus answers");
        let answer: Value = serde_json::from_str(&body).expect("json");
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking GET (status, body), `None` when nothing answers.
pub(crate) fn http_get(url: &str) -> Option<(u16, String)> {
    let url = reqwest::Url::parse(url).ok()?;
    let addr = format!("{}:{}", url.host_str()?, url.port()?);
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    // Prometheus may answer chunked; the JSON sits between the chunk sizes.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(start), Some(end)) => body[start..=end].to_string(),
        _ => body,
    };
    Some((status, body))
}

fn has_lamp(frame: &Value, lamp: &str) -> bool {
    lamps(frame).iter().any(|l| l == lamp)
}

fn close(frame: &Value, key: &str, want: f64) -> bool {
    frame[key].as_f64().is_some_and(|v| (v - want).abs() < 1e-4)
}

/// Drains the daemon's stderr lines seen so far.
fn stderr_lines(daemon: &Daemon) -> Vec<String> {
    daemon.stderr.try_iter().collect()
}

#[tokio::test]
async fn real_prometheus_drives_the_frame_and_its_outage_lights_stall() {
    let Some(bin) = require_tool("prometheus") else {
        return;
    };
    let exporter = Exporter::start(&exposition(1000));
    let dirs = TestDirs::new();
    let daemon_port = free_port();
    let prometheus_dir = dirs.root.path().join("prometheus");
    let mut prometheus = Prometheus::start(
        bin,
        &prometheus_dir,
        &[
            ("claude-code", format!("127.0.0.1:{}", exporter.port)),
            ("claude-gauge", format!("127.0.0.1:{daemon_port}")),
        ],
    );
    write(
        &dirs.config_file(),
        &format!(
            "[transcripts]\nenabled = false\n[limits]\ntokens_5h = 2100\ntokens_7d = 10500\n\
             [prometheus]\nurl = \"{}\"\nselector = 'user_email=\"a@example.com\"'\n\
             interval_secs = 1\ntimeout_secs = 2\n",
            prometheus.url()
        ),
    );
    let listen = format!("127.0.0.1:{daemon_port}");
    let daemon = Daemon::start_with(dirs, &["--listen", &listen]);

    // tach = input + output + cache creation of user a only; fuel = input + output = 1050.
    let expected = |f: &Value| {
        f["tach"] == 1250
            && close(f, "fuel_5h", 0.5)
            && close(f, "fuel_7d", 0.9)
            && f["model"] == "opus"
            && f["source"] == "estimate"
            && !has_lamp(f, "STALL")
    };
    let frame = daemon.wait_for(Duration::from_secs(20), expected).await;
    assert!(expected(&frame), "{frame}");

    // The counter grows: the fuel needle follows (2050 of 2100 used).
    exporter.set(&exposition(2000));
    let used = |f: &Value| close(f, "fuel_5h", 0.0238) && close(f, "fuel_7d", 0.8048);
    let frame = daemon.wait_for(Duration::from_secs(15), used).await;
    assert!(used(&frame), "{frame}");

    // Prometheus scraped the daemon's own /metrics: the OpenMetrics text parses for real.
    let deadline = Instant::now() + Duration::from_secs(10);
    let stall_series = loop {
        let series = prometheus.query("claude_gauge_lamp{lamp=\"STALL\",job=\"claude-gauge\"}");
        if !series.is_empty() || Instant::now() > deadline {
            break series;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stall_series.len(), 1, "{stall_series:?}");
    let metrics = reqwest::get(daemon.url("/metrics")).await.unwrap();
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("claude_gauge_source_fresh{source=\"prometheus\"} 1"),
        "{text}"
    );

    outage_lights_stall_and_restart_clears_it(&daemon, &mut prometheus).await;
}

/// Stops Prometheus: STALL at once, the tach drops, fuel holds, and one log line (not one a
/// poll); restarts it: STALL clears.
async fn outage_lights_stall_and_restart_clears_it(daemon: &Daemon, prometheus: &mut Prometheus) {
    let _ = stderr_lines(daemon);
    prometheus.stop();
    let stalled = |f: &Value| has_lamp(f, "STALL") && f["tach"] == 0;
    let frame = daemon.wait_for(Duration::from_secs(10), stalled).await;
    assert!(stalled(&frame), "{frame}");
    assert!(close(&frame, "fuel_5h", 0.0238), "{frame}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let lines = stderr_lines(daemon);
    let down: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("prometheus source"))
        .collect();
    assert_eq!(down.len(), 1, "{lines:?}");
    assert!(
        down[0].contains("STALL") && down[0].contains(&prometheus.url()),
        "{down:?}"
    );

    // Restart it: STALL clears and the readings come back.
    prometheus.restart();
    let recovered = |f: &Value| !has_lamp(f, "STALL") && close(f, "fuel_5h", 0.0238);
    let frame = daemon.wait_for(Duration::from_secs(20), recovered).await;
    assert!(recovered(&frame), "{frame}");
    let lines = stderr_lines(daemon);
    assert!(
        lines.iter().any(|l| l.contains("answers again")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_hanging_prometheus_stalls_without_hanging_frames_or_leaking_the_token() {
    // Accepts connections and reads requests, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let shared = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            shared
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
            held.push(stream);
        }
    });
    let dirs = TestDirs::new();
    write(
        &dirs.config_file(),
        &format!(
            "[transcripts]\nenabled = false\n[prometheus]\nurl = \"http://{addr}\"\n\
             interval_secs = 1\ntimeout_secs = 1\nbearer_token = \"s3cret-token\"\n"
        ),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let started = Instant::now();
    let frame = daemon.usage().await;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(has_lamp(&frame, "STALL"), "{frame}");
    let stats = daemon.get_json("/stats").await;
    assert!(
        stats["ingest"]["prometheus_poll_errors"].as_u64() >= Some(1),
        "{stats}"
    );
    let request = seen.lock().unwrap().clone();
    assert!(
        request.contains("authorization: Bearer s3cret-token"),
        "{request}"
    );
    assert!(request.contains("GET /api/v1/query?query="), "{request}");
    let lines: Vec<String> = daemon
        .startup_lines
        .iter()
        .cloned()
        .chain(stderr_lines(&daemon))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("did not answer within")),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("s3cret")), "{lines:?}");
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
