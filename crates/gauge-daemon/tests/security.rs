//! Attacks on the daemon's listeners (docs/reliability.md, "Attacks"): cross-site and
//! DNS-rebinding writes, and reads with `read_token` on. Each test is named for what it pins.
//! The attacks that need the binary (the token beyond loopback and in no log line, slowloris
//! against the process's file descriptors, an unwritable data dir) are in
//! `crates/claude-gauge/tests/security.rs`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gauge_daemon::OtlpSettings;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use serde_json::{json, Value};

use crate::util::{TestDaemon, TestDirs};

/// The forged statusLine of the report: fuel 0 / 0 with LIMIT until the year 2100.
fn forged_statusline() -> String {
    json!({"model": {"id": "claude-opus-4-6"}, "rate_limits": {
        "five_hour": {"used_percentage": 100, "resets_at": 4_102_444_800u64},
        "seven_day": {"used_percentage": 100, "resets_at": 4_102_444_800u64}}})
    .to_string()
}

/// Both OTLP receivers on loopback ports the OS picks, the other limits as `serve` has them.
fn otlp_on_port_0() -> OtlpSettings {
    OtlpSettings {
        http_listen: Some("127.0.0.1:0".parse().unwrap()),
        grpc_listen: Some("127.0.0.1:0".parse().unwrap()),
        max_body_bytes: OtlpSettings::DEFAULT_MAX_BODY_BYTES,
        max_decompressed_bytes: OtlpSettings::DEFAULT_MAX_DECOMPRESSED_BYTES,
        metrics_hold: Duration::from_millis(OtlpSettings::DEFAULT_METRICS_HOLD_MS),
    }
}

/// The OTLP receivers' base URLs (HTTP, gRPC).
fn otlp_urls(daemon: &TestDaemon) -> (String, String) {
    let running = daemon.daemon();
    let http = running.otlp_http_addr().expect("an HTTP receiver");
    let grpc = running.otlp_grpc_addr().expect("a gRPC receiver");
    (format!("http://{http}"), format!("http://{grpc}"))
}

/// A captured OTLP logs export (one request with usage) with its records moved to now.
fn export_now(request_id: &str) -> ExportLogsServiceRequest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/otlp/delta-http-protobuf-0001-logs.pb");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_and_rebinding_requests_get_4xx_and_change_nothing() {
    let daemon = TestDaemon::start().await;
    let before = daemon.usage().await;
    let client = reqwest::Client::new();
    let port = daemon.base_url.rsplit(':').next().unwrap().to_string();
    let ingest = daemon.url("/ingest/statusline");
    // What a page on another site can send without a preflight: text/plain, with its Origin.
    let attempts = [
        ("text/plain", None, None, 415),
        ("text/plain", Some("https://evil.example"), None, 403),
        ("application/json", Some("https://evil.example"), None, 403),
        ("application/json", Some("null"), None, 403),
        // DNS rebinding: the page's own name, resolved to 127.0.0.1.
        (
            "application/json",
            None,
            Some(format!("evil.example:{port}")),
            403,
        ),
        (
            "text/plain",
            None,
            Some(format!("evil.example:{port}")),
            403,
        ),
    ];
    for (content_type, origin, host, status) in attempts {
        let mut post = client
            .post(&ingest)
            .header("content-type", content_type)
            .body(forged_statusline());
        if let Some(origin) = origin {
            post = post.header("origin", origin);
        }
        if let Some(host) = &host {
            post = post.header("host", host);
        }
        let answer = post.send().await.unwrap();
        assert_eq!(
            answer.status(),
            status,
            "{content_type} {origin:?} {host:?}"
        );
    }
    let read = client
        .get(daemon.url("/usage"))
        .header("host", format!("evil.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 403, "a rebinding page reads nothing either");
    // Nothing changed: no sample stored, the gauges as before, not even a counter moved.
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["ingest"]["statusline_payloads"], 0, "{stats}");
    assert_eq!(stats["ingest"]["statusline_rejected"], 0, "{stats}");
    let limits = daemon.get_json("/limits").await;
    for window in limits["windows"].as_array().unwrap() {
        assert!(window["official"].is_null(), "{limits}");
    }
    let after = daemon.usage().await;
    for key in ["fuel_5h", "fuel_7d", "source", "lamps"] {
        assert_eq!(after[key], before[key], "{key}: {before} -> {after}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebinding_reaches_neither_otlp_receiver() {
    let daemon = TestDaemon::start_with(TestDirs::new(), |s| s.otlp = Some(otlp_on_port_0())).await;
    let (http, grpc) = otlp_urls(&daemon);
    let export = export_now("req_rebound_1");
    let port = http.rsplit(':').next().unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{http}/v1/logs"))
        .header("content-type", "application/x-protobuf")
        .header("host", format!("evil.example:{port}"))
        .body(export.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let channel = tonic::transport::Endpoint::from_shared(grpc.clone())
        .unwrap()
        .origin("http://evil.example:4317".parse().unwrap())
        .connect()
        .await
        .unwrap();
    let refused = LogsServiceClient::new(channel).export(export.clone()).await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::PermissionDenied);
    assert_eq!(
        stored_requests(&daemon.base_url).await,
        0,
        "no lasting ledger row"
    );
    // The same export, addressed to this daemon, is stored: the refusals were the Host's.
    let mut client = LogsServiceClient::connect(grpc).await.unwrap();
    client.export(export).await.unwrap();
    assert_eq!(stored_requests(&daemon.base_url).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_token_asks_for_the_token_on_reads_too() {
    let daemon = TestDaemon::start_with(TestDirs::new(), |s| {
        s.access.is_read_protected = true;
    })
    .await;
    let token = std::fs::read_to_string(daemon.dirs.data().join("token")).unwrap();
    let client = reqwest::Client::new();
    for path in ["/usage", "/events", "/", "/stats"] {
        let answer = client.get(daemon.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 401, "{path}");
        assert_eq!(
            answer.headers()["www-authenticate"],
            "Bearer realm=\"claude-gauge\""
        );
    }
    let answer = client
        .get(daemon.url("/usage"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}
