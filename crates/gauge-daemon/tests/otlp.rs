//! The OTLP receivers (docs/otlp.md): captured exports over HTTP and gRPC, abuse, and the real
//! Claude Code CLI exporting to the daemon with each protocol. `otel-env` is the command line's
//! and is tested with the binary.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gauge_daemon::OtlpSettings;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use serde_json::Value;

use crate::support::fake_api::{claude_code_bin, FakeApi, FakeUsage};
use crate::support::otlp::{fixture, otlp_settings};
use crate::util::{TestDaemon, TestDirs};

/// The usage in the captured one-call exports (the probe's fake API, see the fixtures' README).
const FIXTURE_USAGE: FakeUsage = FakeUsage {
    input: 1000,
    output: 50,
    cache_creation: 200,
    cache_read: 3000,
};

/// Input + output + cache creation: what the tach counts.
fn tach(usage: FakeUsage) -> u64 {
    usage.input + usage.output + usage.cache_creation
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A captured JSON logs export with its records moved to now and its request id replaced.
fn fresh_json_logs(name: &str, request_id: &str) -> Vec<u8> {
    let mut export: Value = serde_json::from_slice(&fixture(name)).unwrap();
    let now = now_ns().to_string();
    for resource in export["resourceLogs"].as_array_mut().unwrap() {
        for scope in resource["scopeLogs"].as_array_mut().unwrap() {
            for record in scope["logRecords"].as_array_mut().unwrap() {
                record["timeUnixNano"] = Value::from(now.clone());
                record["observedTimeUnixNano"] = Value::from(now.clone());
                for attr in record["attributes"].as_array_mut().unwrap() {
                    if attr["key"] == "request_id" {
                        attr["value"] = serde_json::json!({ "stringValue": request_id });
                    }
                }
            }
        }
    }
    serde_json::to_vec(&export).unwrap()
}

/// A captured JSON metrics export with its points moved to now (a fresh delta window).
fn fresh_json_metrics(name: &str) -> Vec<u8> {
    let mut export: Value = serde_json::from_slice(&fixture(name)).unwrap();
    let now = now_ns();
    for resource in export["resourceMetrics"].as_array_mut().unwrap() {
        for scope in resource["scopeMetrics"].as_array_mut().unwrap() {
            for metric in scope["metrics"].as_array_mut().unwrap() {
                for point in metric["sum"]["dataPoints"].as_array_mut().unwrap() {
                    point["startTimeUnixNano"] = Value::from((now - 1_000_000_000).to_string());
                    point["timeUnixNano"] = Value::from(now.to_string());
                }
            }
        }
    }
    serde_json::to_vec(&export).unwrap()
}

/// A daemon with both OTLP receivers on free ports.
struct OtlpDaemon {
    daemon: TestDaemon,
    http: String,
    grpc: String,
}

/// The metrics hold the tests run with (the default is 10 s): long enough for a `-p` run's
/// events, which Claude Code flushes together with its metrics, short enough not to wait for.
const METRICS_HOLD_MS: u64 = 1_000;

impl OtlpDaemon {
    async fn start(dirs: TestDirs) -> OtlpDaemon {
        OtlpDaemon::start_with(dirs, |_| {}).await
    }

    /// [`OtlpDaemon::start`] with the receivers' settings changed by `change`.
    async fn start_with(dirs: TestDirs, change: impl FnOnce(&mut OtlpSettings)) -> OtlpDaemon {
        let daemon = TestDaemon::start_with(dirs, |s| {
            let mut otlp = otlp_settings(Duration::from_millis(METRICS_HOLD_MS));
            change(&mut otlp);
            s.otlp = Some(otlp);
        })
        .await;
        let addr = |addr: Option<std::net::SocketAddr>| {
            format!("http://{}", addr.expect("the receiver runs"))
        };
        let http = addr(daemon.daemon().otlp_http_addr());
        let grpc = addr(daemon.daemon().otlp_grpc_addr());
        OtlpDaemon { daemon, http, grpc }
    }

    async fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}{path}", self.http))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    async fn totals(&self) -> Value {
        self.daemon.get_json("/stats").await["usage_totals"].clone()
    }

    /// Polls `/stats` until the token totals equal `expected` over `requests` requests.
    async fn wait_for_totals(&self, requests: u64, expected: FakeUsage) {
        let tokens = |t: &Value| {
            [
                "requests",
                "input_tokens",
                "output_tokens",
                "cache_creation_tokens",
                "cache_read_tokens",
            ]
            .map(|k| t[k].as_u64().unwrap_or(u64::MAX))
        };
        let want = [
            requests,
            expected.input,
            expected.output,
            expected.cache_creation,
            expected.cache_read,
        ];
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let totals = self.totals().await;
            if tokens(&totals) == want || Instant::now() > deadline {
                assert_eq!(tokens(&totals), want, "usage totals {totals}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_json_export_counts_once_and_moves_tach_and_model() {
    let otlp = OtlpDaemon::start(TestDirs::new()).await;
    let logs = fresh_json_logs("delta-http-json-0001-logs.json", "req_http_json_1");
    for _ in 0..2 {
        // The second POST is an export retry: it must count once.
        let resp = otlp
            .post("/v1/logs", "application/json", logs.clone())
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert_eq!(resp.text().await.unwrap(), "{}");
    }
    // The same export gzip-compressed, as OTEL_EXPORTER_OTLP_COMPRESSION=gzip sends it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&logs).unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/logs", otlp.http))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The metrics of the same session say the same again: they must not add to anything.
    let metrics = fresh_json_metrics("delta-http-json-0002-metrics.json");
    let resp = otlp.post("/v1/metrics", "application/json", metrics).await;
    assert_eq!(resp.status(), 200);
    otlp.wait_for_totals(1, FIXTURE_USAGE).await;
    let frame = otlp
        .daemon
        .wait_for(Duration::from_secs(20), |f| {
            f["tach"] == tach(FIXTURE_USAGE)
        })
        .await;
    assert_eq!(frame["tach"], tach(FIXTURE_USAGE), "{frame}");
    assert_eq!(frame["model"], "opus", "{frame}");
    let stats = otlp.daemon.get_json("/stats").await;
    assert_eq!(stats["ingest"]["otlp_requests"], 4, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_export_counts() {
    let otlp = OtlpDaemon::start(TestDirs::new()).await;
    let mut request =
        ExportLogsServiceRequest::decode(fixture("delta-http-protobuf-0001-logs.pb").as_slice())
            .unwrap();
    let now = now_ns();
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
                    Some(any_value::Value::StringValue("req_grpc_1".into()));
            }
        }
    }
    let mut client = LogsServiceClient::connect(otlp.grpc.clone()).await.unwrap();
    client.export(request.clone()).await.unwrap();
    client.export(request).await.unwrap();
    otlp.wait_for_totals(1, FIXTURE_USAGE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_grpc_export_is_resource_exhausted_and_counted() {
    // `[otlp] max_decompressed_bytes = 512`.
    let otlp = OtlpDaemon::start_with(TestDirs::new(), |o| o.max_decompressed_bytes = 512).await;
    let request =
        ExportLogsServiceRequest::decode(fixture("delta-http-protobuf-0001-logs.pb").as_slice())
            .unwrap();
    assert!(request.encoded_len() > 512);
    let mut client = LogsServiceClient::connect(otlp.grpc.clone()).await.unwrap();
    let refused = client.export(request).await.unwrap_err();
    // Not OUT_OF_RANGE, which the OTLP spec treats as retryable: this export never fits.
    assert_eq!(
        refused.code(),
        tonic::Code::ResourceExhausted,
        "{refused:?}"
    );
    let stats = otlp.daemon.get_json("/stats").await;
    assert_eq!(stats["ingest"]["otlp_rejected"], 1, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_alone_move_the_tach_after_the_hold() {
    // A hold of 200 ms instead of the tests' 1 s: no Claude Code here whose events could lag.
    let otlp = OtlpDaemon::start_with(TestDirs::new(), |o| {
        o.metrics_hold = Duration::from_millis(200);
    })
    .await;
    let metrics = fresh_json_metrics("delta-http-json-0002-metrics.json");
    let resp = otlp.post("/v1/metrics", "application/json", metrics).await;
    assert_eq!(resp.status(), 200);
    // Held for events that never come, then on the tach (but not on record).
    let frame = otlp
        .daemon
        .wait_for(Duration::from_secs(20), |f| {
            f["tach"] == tach(FIXTURE_USAGE)
        })
        .await;
    assert_eq!(frame["tach"], tach(FIXTURE_USAGE), "{frame}");
    assert_eq!(frame["model"], "opus", "{frame}");
    assert_eq!(otlp.totals().await["requests"], 0);
}

/// Deterministic noise (xorshift), so a failure reproduces.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bombs_and_noise_get_4xx_and_the_daemon_keeps_serving() {
    let otlp = OtlpDaemon::start(TestDirs::new()).await;
    let big = otlp
        .post("/v1/logs", "application/x-protobuf", vec![b'x'; 20_000_000])
        .await;
    assert_eq!(big.status(), 413);

    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).unwrap();
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/metrics", otlp.http))
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "gzip")
        .body(bomb.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);

    let resp = otlp
        .post("/v1/logs", "application/x-protobuf", noise(4096))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    assert!(
        !resp.bytes().await.unwrap().is_empty(),
        "a google.rpc.Status body"
    );
    let resp = otlp
        .post("/v1/metrics", "application/json", noise(4096))
        .await;
    assert_eq!(resp.status(), 400);
    let status: Value = resp.json().await.unwrap();
    assert_eq!(status["code"], 3, "{status}");
    assert!(
        status["message"].as_str().unwrap().contains("JSON"),
        "{status}"
    );
    let resp = otlp.post("/v1/logs", "text/plain", b"hi".to_vec()).await;
    assert_eq!(resp.status(), 415);

    let logs = fresh_json_logs("delta-http-json-0001-logs.json", "req_after_abuse");
    let resp = otlp.post("/v1/logs", "application/json", logs).await;
    assert_eq!(resp.status(), 200);
    otlp.wait_for_totals(1, FIXTURE_USAGE).await;
    assert_eq!(otlp.daemon.get_json("/healthz").await["status"], "ok");
    let stats = otlp.daemon.get_json("/stats").await;
    assert_eq!(stats["ingest"]["otlp_rejected"], 5, "{stats}");
}

/// How Claude Code exports.
#[derive(Clone, Copy)]
struct Export {
    protocol: &'static str,
    is_cumulative: bool,
    /// Claude Code writes its transcripts where the daemon reads them, so the transcript source
    /// reports every request too.
    shares_transcripts: bool,
}

impl Export {
    const fn new(protocol: &'static str) -> Export {
        Export {
            protocol,
            is_cumulative: false,
            shares_transcripts: false,
        }
    }
}

/// Runs `claude -p` once against `fake`, exporting to `otlp`.
async fn run_claude(bin: &PathBuf, fake: &FakeApi, otlp: &OtlpDaemon, export: Export) {
    let home = tempfile::tempdir().unwrap();
    let endpoint = if export.protocol == "grpc" {
        &otlp.grpc
    } else {
        &otlp.http
    };
    let config_dir = if export.shares_transcripts {
        otlp.daemon.dirs.claude()
    } else {
        home.path().join(".claude")
    };
    let mut cmd = tokio::process::Command::new(bin);
    cmd.env_clear()
        .current_dir(home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CLAUDE_CONFIG_DIR", config_dir)
        .env("ANTHROPIC_BASE_URL", &fake.base_url)
        .env("ANTHROPIC_API_KEY", "sk-ant-fake-test-key-0000000000")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "1")
        .env("CLAUDE_CODE_ENABLE_TELEMETRY", "1")
        .env("OTEL_METRICS_EXPORTER", "otlp")
        .env("OTEL_LOGS_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", export.protocol)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_METRIC_EXPORT_INTERVAL", "1000")
        .env("OTEL_LOGS_EXPORT_INTERVAL", "500")
        .args(["-p", "say hello", "--model", "claude-sonnet-4-5", "--bare"])
        .args(["--output-format", "json"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if export.is_cumulative {
        cmd.env(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        );
    }
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

/// The usage the fake API reports for each request.
const FAKE_USAGE: FakeUsage = FakeUsage {
    input: 1_234,
    output: 56,
    cache_creation: 200,
    cache_read: 3_000,
};

/// One real run: the daemon's totals equal what the fake reported, exactly; tach and model
/// follow; and after the metrics fallback's hold nothing has been added twice.
async fn real_claude_code(export: Export) {
    let Some(bin) = claude_code_bin() else { return };
    let fake = FakeApi::start(FAKE_USAGE, &[]).await;
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let otlp = OtlpDaemon::start(dirs).await;
    run_claude(&bin, &fake, &otlp, export).await;
    let (requests, reported) = fake.totals();
    assert!(requests >= 1, "the fake API got no request");
    otlp.wait_for_totals(requests, reported).await;
    let frame = otlp
        .daemon
        .wait_for(Duration::from_secs(20), |f| f["tach"] == tach(reported))
        .await;
    assert_eq!(frame["tach"], tach(reported), "{frame}");
    assert_eq!(frame["model"], "sonnet", "{frame}");
    if export.is_cumulative || export.shares_transcripts {
        // The metrics (and the transcript) repeat the events' usage; past the metrics hold
        // they must still add nothing. A wait on the real Claude Code, whose last metrics
        // export may land after it exits: the hold plus 1.5 s, the tach checked all along
        // instead of once at the end.
        let until = Instant::now() + Duration::from_millis(METRICS_HOLD_MS + 1_500);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(otlp.daemon.usage().await["tach"], tach(reported));
        }
        otlp.wait_for_totals(requests, reported).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_http_json() {
    real_claude_code(Export::new("http/json")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_http_protobuf() {
    real_claude_code(Export::new("http/protobuf")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_grpc() {
    real_claude_code(Export::new("grpc")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_cumulative() {
    real_claude_code(Export {
        is_cumulative: true,
        ..Export::new("http/protobuf")
    })
    .await;
}

/// The same request from the transcript and from the `api_request` event counts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_with_transcripts_counts_once() {
    real_claude_code(Export {
        shares_transcripts: true,
        ..Export::new("http/protobuf")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_between_exports_loses_nothing_and_counts_once() {
    let Some(bin) = claude_code_bin() else { return };
    // The fixture's usage, so a replayed fixture export repeats the first request exactly.
    let fake = FakeApi::start(FIXTURE_USAGE, &[]).await;
    let export = Export::new("http/protobuf");
    let mut first = OtlpDaemon::start(TestDirs::new()).await;
    run_claude(&bin, &fake, &first, export).await;
    let (before, reported) = fake.totals();
    first.wait_for_totals(before, reported).await;
    // A clean stop, as SIGTERM makes it: the store commits what it holds.
    first.daemon.stop().await;

    let dirs = std::mem::replace(&mut first.daemon.dirs, TestDirs::new());
    let second = OtlpDaemon::start(dirs).await;
    // Nothing lost: the restarted daemon holds the first export.
    second.wait_for_totals(before, reported).await;
    run_claude(&bin, &fake, &second, export).await;
    let (requests, reported) = fake.totals();
    second.wait_for_totals(requests, reported).await;
    // Nothing counted twice: a late retry of a request the first daemon recorded.
    let first_id = fake.log.lock().unwrap().request_ids[0].clone();
    let logs = fresh_json_logs("delta-http-json-0001-logs.json", &first_id);
    let resp = second.post("/v1/logs", "application/json", logs).await;
    assert_eq!(resp.status(), 200);
    second.wait_for_totals(requests, reported).await;
}
