//! The Prometheus source (docs/prometheus.md): a real Prometheus scrapes a test exporter of Claude
//! Code's counters and the daemon's own `/metrics`; the daemon's Prometheus source reads the
//! counters back through PromQL into frames; stopping Prometheus lights STALL and restarting
//! clears it. A Prometheus that never answers stalls the gauge without holding up a frame.
//!
//! Needs Debian's `prometheus` package (`scripts/install-test-deps`). Without it a test prints a
//! skip line, unless `CI` is set: then it fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gauge_daemon::{PrometheusAuth, PrometheusSettings, Secret};
use serde_json::Value;

use crate::support::logs;
use crate::support::prometheus::{free_port, require_tool, Prometheus};
use crate::util::{lamps, TestDaemon, TestDirs};

/// How often the daemon polls Prometheus here (`[prometheus] interval_secs`, 1 s at the least
/// in a config file; the settings take less).
const POLL_INTERVAL: Duration = Duration::from_millis(200);

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

fn has_lamp(frame: &Value, lamp: &str) -> bool {
    lamps(frame).iter().any(|l| l == lamp)
}

fn close(frame: &Value, key: &str, want: f64) -> bool {
    frame[key].as_f64().is_some_and(|v| (v - want).abs() < 1e-4)
}

/// The Prometheus source's settings for `url`.
fn source_settings(
    url: &str,
    selector: &str,
    timeout: Duration,
    auth: PrometheusAuth,
) -> PrometheusSettings {
    PrometheusSettings {
        url: url.parse().unwrap(),
        selector: selector.to_string(),
        interval: POLL_INTERVAL,
        timeout,
        auth,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_prometheus_drives_the_frame_and_its_outage_lights_stall() {
    let Some(bin) = require_tool("prometheus") else {
        return;
    };
    logs::capture();
    let exporter = Exporter::start(&exposition(1000));
    let dirs = TestDirs::new();
    // Prometheus scrapes the daemon, and the daemon reads Prometheus: the daemon's port is
    // chosen first.
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
    let url = prometheus.url();
    let daemon = TestDaemon::start_with(dirs, |s| {
        s.listen = format!("127.0.0.1:{daemon_port}").parse().unwrap();
        s.transcripts = None;
        s.frame.token_limits.tokens_5h = Some(2100);
        s.frame.token_limits.tokens_7d = Some(10500);
        s.prometheus = Some(source_settings(
            &url,
            "user_email=\"a@example.com\"",
            Duration::from_secs(2),
            PrometheusAuth::None,
        ));
    })
    .await;
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
async fn outage_lights_stall_and_restart_clears_it(
    daemon: &TestDaemon,
    prometheus: &mut Prometheus,
) {
    prometheus.stop();
    let stalled = |f: &Value| has_lamp(f, "STALL") && f["tach"] == 0;
    let frame = daemon.wait_for(Duration::from_secs(10), stalled).await;
    assert!(stalled(&frame), "{frame}");
    assert!(close(&frame, "fuel_5h", 0.0238), "{frame}");
    // Several polls fail while it is down (one every POLL_INTERVAL): still one line. The log is
    // this process's, shared by every test's daemon; this daemon's lines name its Prometheus.
    let stats = daemon
        .wait_stats(Duration::from_secs(10), |s| {
            s["ingest"]["prometheus_poll_errors"].as_u64() >= Some(3)
        })
        .await;
    assert!(
        stats["ingest"]["prometheus_poll_errors"].as_u64() >= Some(3),
        "{stats}"
    );
    let lines = logs::lines_containing(&prometheus.url());
    let down: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("prometheus source") && l.contains("STALL until"))
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
    let lines = logs::lines_containing(&prometheus.url());
    assert!(
        lines.iter().any(|l| l.contains("answers again")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
    logs::capture();
    let url = format!("http://{addr}");
    let daemon = TestDaemon::start_with(TestDirs::new(), |s| {
        s.transcripts = None;
        s.prometheus = Some(source_settings(
            &url,
            "",
            Duration::from_millis(300),
            PrometheusAuth::Bearer(Secret::new("s3cret-token".to_string())),
        ));
    })
    .await;
    // Was: a fixed 2.5 s (two 1 s timeouts). Now: until a poll has timed out.
    daemon
        .wait_stats(Duration::from_secs(10), |s| {
            s["ingest"]["prometheus_poll_errors"].as_u64() >= Some(1)
        })
        .await;
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
    // The log of this process: this daemon's lines name the address; no line of any daemon
    // may hold the token.
    let lines = logs::lines_containing(&url);
    assert!(
        lines.iter().any(|l| l.contains("did not answer within")),
        "{lines:?}"
    );
    let leaked = logs::lines_containing("s3cret");
    assert!(leaked.is_empty(), "{leaked:?}");
}
