//! Attacks on the daemon's listeners (docs/reliability.md, "Attacks") that need the binary: writes
//! from the network without the token (which the commands hand on and no log line holds),
//! slowloris against the process's file descriptors, an unwritable data dir. Each test is named
//! for what it pins. Cross-site and DNS-rebinding writes and `read_token` are tested in-process in
//! `crates/gauge-daemon/tests/security.rs`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use serde_json::{json, Value};

use crate::util::run_with_stdin;
use crate::util::{Daemon, TestDirs};

/// The forged statusLine of the report: fuel 0 / 0 with LIMIT until the year 2100.
fn forged_statusline() -> String {
    json!({"model": {"id": "claude-opus-4-6"}, "rate_limits": {
        "five_hour": {"used_percentage": 100, "resets_at": 4_102_444_800u64},
        "seven_day": {"used_percentage": 100, "resets_at": 4_102_444_800u64}}})
    .to_string()
}

/// A daemon started like `Daemon::start_with`, but logging at debug (so "the token is in no
/// log" covers every line the daemon could write).
fn start_logging_debug(dirs: TestDirs, args: &[&str]) -> Daemon {
    Daemon::start_with_env(dirs, args, &[("CLAUDE_GAUGE_LOG", "debug")])
}

/// `http://127.0.0.1:PORT` for an address the daemon printed (`0.0.0.0:PORT` beyond loopback).
fn on_loopback(url: &str) -> String {
    let port = url.rsplit(':').next().unwrap().trim_end_matches('/');
    format!("http://127.0.0.1:{port}")
}

/// The address the daemon printed for an OTLP receiver (`otlp http on ADDR`).
fn otlp_url(daemon: &Daemon, kind: &str) -> String {
    let marker = format!("otlp {kind} on ");
    let addr = daemon
        .startup_lines
        .iter()
        .find_map(|l| l.split(&marker).nth(1))
        .unwrap_or_else(|| panic!("no {kind} receiver in {:?}", daemon.startup_lines));
    on_loopback(&format!("http://{}", addr.trim()))
}

/// Every stderr line the daemon wrote, after it stopped.
fn all_log_lines(mut daemon: Daemon) -> Vec<String> {
    daemon.stop();
    let mut lines = daemon.startup_lines.clone();
    while let Ok(line) = daemon.stderr.recv_timeout(Duration::from_millis(200)) {
        lines.push(line);
    }
    lines
}

/// A captured OTLP logs export (one request with usage) with its records moved to now.
fn export_now(request_id: &str) -> ExportLogsServiceRequest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp/delta-http-protobuf-0001-logs.pb");
    let mut request =
        ExportLogsServiceRequest::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    for record in request
        .resource_logs
        .iter_mut()
        .flat_map(|r| &mut r.scope_logs)
        .flat_map(|s| &mut s.log_records)
    {
        record.time_unix_nano = now;
        for kv in &mut record.attributes {
            if kv.key == "request_id" {
                kv.value.as_mut().unwrap().value =
                    Some(any_value::Value::StringValue(request_id.into()));
            }
        }
    }
    request
}

async fn stored_requests(base_url: &str) -> u64 {
    let stats: Value = reqwest::get(format!("{base_url}/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["usage_totals"]["requests"].as_u64().unwrap()
}

/// Runs `claude-gauge statusline` with `stdin` until the daemon holds an official reading (the
/// command has 50 ms for the daemon; a loaded machine may need a second try).
async fn statusline_until_official(
    dirs: &TestDirs,
    base_url: &str,
    extra_env: &[(&str, &PathBuf)],
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut command = dirs.command();
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let out = run_with_stdin(
            command.args(["statusline", "--daemon", base_url]),
            &forged_statusline(),
        );
        assert!(out.status.success());
        let limits: Value = reqwest::get(format!("{base_url}/limits"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !limits["windows"][0]["official"].is_null() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the statusline's POST never arrived: {limits}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_statusline_commands_own_post_still_works() {
    let daemon = Daemon::start();
    statusline_until_official(&daemon.dirs, &daemon.base_url, &[]).await;
    let frame = daemon
        .wait_for(Duration::from_secs(10), |f| f["source"] == "official")
        .await;
    assert_eq!(frame["fuel_5h"], 0.0, "{frame}");
}

#[tokio::test]
async fn beyond_loopback_writes_need_the_token_and_it_is_in_no_log() {
    let dirs = TestDirs::new();
    let daemon = start_logging_debug(
        dirs,
        &[
            "--listen",
            "0.0.0.0:0",
            "--otlp-http",
            "0.0.0.0:0",
            "--otlp-grpc",
            "0.0.0.0:0",
        ],
    );
    let base = on_loopback(&daemon.base_url);
    let (http, grpc) = (otlp_url(&daemon, "http"), otlp_url(&daemon, "grpc"));
    let printed = daemon
        .dirs
        .command()
        .args(["token", "--data-dir"])
        .arg(daemon.dirs.data())
        .output()
        .unwrap();
    assert!(printed.status.success());
    let token = String::from_utf8(printed.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(token.len(), 64, "{token}");
    let file = daemon.dirs.data().join("token");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bearer = format!("Bearer {token}");
    let client = reqwest::Client::new();
    // The statusLine ingest.
    let ingest = |authorization: Option<&str>| {
        let mut post = client
            .post(format!("{base}/ingest/statusline"))
            .header("content-type", "application/json")
            .body(forged_statusline());
        if let Some(value) = authorization {
            post = post.header("authorization", value.to_string());
        }
        post.send()
    };
    assert_eq!(ingest(None).await.unwrap().status(), 401);
    assert_eq!(ingest(Some("Bearer 0000")).await.unwrap().status(), 401);
    assert_eq!(ingest(Some(&bearer)).await.unwrap().status(), 202);
    // Reads stay open (the firmware polls /usage).
    assert_eq!(
        reqwest::get(format!("{base}/usage"))
            .await
            .unwrap()
            .status(),
        200
    );
    // OTLP/HTTP.
    let export = export_now("req_token_http");
    let otlp_post = |authorization: Option<&str>| {
        let mut post = client
            .post(format!("{http}/v1/logs"))
            .header("content-type", "application/x-protobuf")
            .body(export.encode_to_vec());
        if let Some(value) = authorization {
            post = post.header("authorization", value.to_string());
        }
        post.send()
    };
    assert_eq!(otlp_post(None).await.unwrap().status(), 401);
    assert_eq!(stored_requests(&base).await, 0);
    assert_eq!(otlp_post(Some(&bearer)).await.unwrap().status(), 200);
    assert_eq!(stored_requests(&base).await, 1);
    // OTLP/gRPC.
    let mut grpc_client = LogsServiceClient::connect(grpc).await.unwrap();
    let refused = grpc_client.export(export_now("req_token_grpc")).await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::Unauthenticated);
    let mut request = tonic::Request::new(export_now("req_token_grpc"));
    request
        .metadata_mut()
        .insert("authorization", bearer.parse().unwrap());
    grpc_client.export(request).await.unwrap();
    assert_eq!(stored_requests(&base).await, 2);
    // The commands that write hand the token on: statusline sends it, otel-env prints it.
    let data = daemon.dirs.data();
    statusline_until_official(&daemon.dirs, &base, &[("CLAUDE_GAUGE_DATA_DIR", &data)]).await;
    let env = daemon
        .dirs
        .command()
        .env("CLAUDE_GAUGE_DATA_DIR", &data)
        .arg("otel-env")
        .output()
        .unwrap();
    let env = String::from_utf8(env.stdout).unwrap();
    assert!(
        env.contains(&format!(
            "export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20{token}'"
        )),
        "{env}"
    );
    let warning = daemon
        .startup_lines
        .iter()
        .find(|l| l.contains("listening on"));
    assert!(
        warning.is_some_and(|w| w.contains("/usage") && w.contains("writes need the token")),
        "{:?}",
        daemon.startup_lines
    );
    let lines = all_log_lines(daemon);
    assert!(lines.len() > 5, "{lines:?}");
    let leaked: Vec<&String> = lines.iter().filter(|l| l.contains(&token)).collect();
    assert!(leaked.is_empty(), "the token in the log: {leaked:?}");
}

/// Half a request head: what a slowloris client sends, then nothing.
fn stall(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /usage HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    stream
}

#[test]
fn slowloris_leaves_a_normal_request_answered() {
    let daemon = Daemon::start();
    let addr = daemon.base_url.trim_start_matches("http://").to_string();
    // More stalled clients than the cap of open connections (512), all on loopback.
    let mut stalled: Vec<TcpStream> = (0..600).map(|_| stall(&addr)).collect();
    let started = Instant::now();
    let mut normal = TcpStream::connect(&addr).unwrap();
    normal
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    normal
        .write_all(b"GET /usage HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    normal.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"v\":1"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // The oldest stalled clients gave their places up; the daemon holds no more than the cap.
    let oldest = &mut stalled[0];
    oldest
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(oldest.read(&mut buf), Ok(0) | Err(_)),
        "the oldest stalled connection is closed"
    );
    // Evicted connections close as the daemon gets to them: give a loaded machine a moment.
    let count_fds = || {
        std::fs::read_dir(format!("/proc/{}/fd", daemon.child.id()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut fds = count_fds();
    while fds >= 600 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        fds = count_fds();
    }
    assert!(fds < 600, "{fds} file descriptors open");
    drop(stalled);
}

#[test]
fn an_unwritable_data_dir_fails_at_start_in_one_line() {
    let dirs = TestDirs::new();
    let locked = dirs.root.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    // root writes anywhere mode bits allow nothing; sysfs refuses even root.
    let data_dir = if std::fs::write(locked.join("probe"), "").is_ok() {
        PathBuf::from("/sys/kernel")
    } else {
        locked.clone()
    };
    if !data_dir.is_dir() {
        return;
    }
    let out = dirs
        .command()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .output()
        .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let dir = data_dir.display().to_string();
    assert!(
        lines[0].contains(&format!("cannot write to {dir}")),
        "{stderr}"
    );
    assert!(lines[0].contains("--data-dir"), "{stderr}");
    assert!(!stderr.contains("serving"), "{stderr}");
}
