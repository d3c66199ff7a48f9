//! The contract every source keeps, checked for each one against a real ledger (a SQLite file in
//! a temporary directory) and a real engine channel:
//!
//! 1. it **reports health**: the engine hears `Configured` or `Health` from it;
//! 2. it **loses nothing it acknowledged**: whatever it answered "stored" for (an OTLP 200, a
//!    statusLine 202, a file offset, an official reading before its health turns ok) is in the
//!    store, read back through a connection of its own, at that moment;
//! 3. it **stops within [`STOP_BOUND`]** after the shutdown token fires, whatever it was doing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::oauth::{OauthPoller, OauthSettings};
use super::otlp::{OtlpReceiver, OtlpSettings};
use super::prometheus::{PrometheusAuth, PrometheusSettings, PrometheusSource};
use super::statusline::{StatuslineSource, INGEST_PATH};
use super::transcripts::{TranscriptConfig, TranscriptSource};
use super::{Out, ScanProgress, Source};
use crate::ledger::{self, LedgerHandle, LedgerThread};
use crate::readings::{EngineInput, SourceKind};
use crate::secret::Secret;
use crate::stats::IngestStats;

/// How long a source may take to stop after shutdown.
const STOP_BOUND: Duration = Duration::from_secs(2);
/// How long a test waits for something that should happen at once.
const WAIT: Duration = Duration::from_secs(10);

/// A ledger in a temporary directory and the engine's end of the channel.
struct Harness {
    dir: tempfile::TempDir,
    engine: mpsc::Receiver<EngineInput>,
    out: Option<Out>,
    ledger: Option<(LedgerHandle, LedgerThread)>,
    shutdown: CancellationToken,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let (engine_tx, engine_rx) = mpsc::channel(4096);
        let (ledger, _startup, thread) =
            ledger::open(dir.path(), engine_tx.clone(), 0).expect("open the ledger");
        let (progress, _) = watch::channel(ScanProgress::default());
        let out = Out::new(
            ledger.clone(),
            engine_tx,
            Arc::new(IngestStats::default()),
            progress,
        );
        Harness {
            dir,
            engine: engine_rx,
            out: Some(out),
            ledger: Some((ledger, thread)),
            shutdown: CancellationToken::new(),
        }
    }

    fn start<S: Source>(&mut self, source: S) -> (SourceKind, JoinHandle<()>) {
        let kind = source.kind();
        let out = self.out.take().expect("one source per harness");
        (kind, tokio::spawn(source.run(out, self.shutdown.clone())))
    }

    /// Waits until the engine hears `matches` about this source.
    async fn heard(&mut self, what: &str, matches: impl Fn(&EngineInput) -> bool) {
        let heard = tokio::time::timeout(WAIT, async {
            while let Some(input) = self.engine.recv().await {
                if matches(&input) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(heard, Ok(true), "the engine never heard {what}");
    }

    /// Waits until the engine hears this source is configured or healthy (or failing).
    async fn heard_health(&mut self, kind: SourceKind) {
        self.heard(&format!("health from {}", kind.as_str()), |input| {
            matches!(input, EngineInput::Configured(k) | EngineInput::Health(k, _) if *k == kind)
        })
        .await;
    }

    fn stored(&self) -> (ledger::StoredTotals, usize, usize) {
        let (totals, official, progress) = ledger::read_stored(self.dir.path()).expect("read");
        (totals, official.len(), progress.len())
    }

    /// Fires shutdown and checks the source stops in time; then closes the ledger.
    async fn stop(mut self, kind: SourceKind, task: JoinHandle<()>) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(STOP_BOUND, task).await;
        assert!(
            matches!(stopped, Ok(Ok(()))),
            "{} did not stop within {STOP_BOUND:?}",
            kind.as_str()
        );
        if let Some((handle, thread)) = self.ledger.take() {
            drop(handle);
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .expect("ledger joined");
        }
    }
}

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_keep_the_contract() {
    let mut h = Harness::new();
    let claude = tempfile::tempdir().expect("temp dir");
    let project = claude.path().join("projects/p");
    std::fs::create_dir_all(&project).expect("mkdir");
    let lines: String = (0..5)
        .map(|i| format!("{}\n", assistant_line(&format!("req_{i}"))))
        .collect();
    std::fs::write(project.join("s.jsonl"), lines).expect("write");
    let config = TranscriptConfig::new(vec![claude.path().to_path_buf()]);
    let (kind, task) = h.start(TranscriptSource::new(config, Default::default()));
    h.heard_health(kind).await;
    // The acknowledgement is the stored offset: once the file's progress is on disk, so are
    // its requests.
    let stored = wait_for(|| {
        let (totals, _, files) = h.stored();
        (files == 1).then_some(totals.requests)
    })
    .await;
    assert_eq!(
        stored,
        Some(5),
        "requests stored with their file's progress"
    );
    h.stop(kind, task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statusline_keeps_the_contract() {
    let mut h = Harness::new();
    let (source, router) = StatuslineSource::new();
    let listener = tokio::net::TcpListener::bind(loopback())
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let (kind, task) = h.start(source);
    let body = r#"{"model":{"id":"claude-opus-4-6"},
        "rate_limits":{"five_hour":{"used_percentage":42.5,"resets_at":4102444800},
                       "seven_day":{"used_percentage":10,"resets_at":4102444800}}}"#;
    let answer = reqwest::Client::new()
        .post(format!("http://{addr}{INGEST_PATH}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), 202);
    // Acknowledged, so on disk now.
    assert_eq!(h.stored().1, 2, "both official samples stored at the 202");
    h.heard_health(kind).await;
    h.stop(kind, task).await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_keeps_the_contract() {
    let mut h = Harness::new();
    let receiver = OtlpReceiver::bind(OtlpSettings {
        http_listen: Some(loopback()),
        grpc_listen: Some(loopback()),
        max_body_bytes: 4 << 20,
        max_decompressed_bytes: 16 << 20,
        metrics_hold: Duration::from_secs(10),
    })
    .await
    .expect("bind");
    let addr = receiver.http_addr().expect("http addr");
    let (kind, task) = h.start(receiver);
    h.heard_health(kind).await;
    let name = "delta-http-json-0001-logs.json";
    let expected = super::otlp::requests_in(&super::otlp::fixtures::logs(name));
    assert!(expected > 0, "the fixture carries requests");
    let body = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/otlp")
            .join(name),
    )
    .expect("fixture");
    let answer = reqwest::Client::new()
        .post(format!("http://{addr}/v1/logs"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), 200);
    // Acknowledged, so on disk now: an exporter does not send a batch again after a 200.
    assert_eq!(h.stored().0.requests, expected as u64);
    h.stop(kind, task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_keeps_the_contract() {
    let mut h = Harness::new();
    let usage = axum::Router::new().route(
        "/api/oauth/usage",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({
                "five_hour": {"utilization": 24.0, "resets_at": "2100-01-01T00:00:00+00:00"},
                "seven_day": {"utilization": 2.0, "resets_at": "2100-01-05T00:00:00+00:00"}
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind(loopback())
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, usage).await });
    let poller = OauthPoller::new(OauthSettings {
        enabled: true,
        base_url: format!("http://{addr}"),
        interval: Duration::from_secs(180),
        credentials_file: h.dir.path().join("no-credentials.json"),
        env_token: Some(Secret::new("test-token".into())),
        user_agent: "claude-code/2.1.330".into(),
    })
    .expect("client");
    let (kind, task) = h.start(poller);
    h.heard("oauth healthy", |i| {
        matches!(i, EngineInput::Health(SourceKind::Oauth, Ok(())))
    })
    .await;
    // Healthy is said after the readings were stored.
    assert_eq!(h.stored().1, 2, "both windows stored before health");
    // Stops while it waits out its 180 s interval.
    h.stop(kind, task).await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_keeps_the_contract() {
    let mut h = Harness::new();
    // Nothing listens there: the source must say so (STALL), not hang.
    let unused = std::net::TcpListener::bind(loopback()).expect("bind");
    let addr = unused.local_addr().expect("addr");
    drop(unused);
    let source = PrometheusSource::new(PrometheusSettings {
        url: reqwest::Url::parse(&format!("http://{addr}")).expect("url"),
        selector: String::new(),
        interval: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        auth: PrometheusAuth::None,
    })
    .expect("client");
    let (kind, task) = h.start(source);
    h.heard_health(kind).await;
    h.heard("prometheus failing", |i| {
        matches!(i, EngineInput::Health(SourceKind::Prometheus, Err(_)))
    })
    .await;
    // It stores nothing: aggregates are not requests.
    assert_eq!(h.stored().0.requests, 0);
    h.stop(kind, task).await;
}

/// Polls `check` until it gives a value, for at most [`WAIT`].
async fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn assistant_line(request_id: &str) -> String {
    serde_json::json!({
        "type": "assistant",
        "sessionId": "s",
        "timestamp": "2026-11-27T07:00:00.000Z",
        "requestId": request_id,
        "message": {
            "id": format!("msg_{request_id}"),
            "model": "claude-sonnet-4-5-20250929",
            "usage": {"input_tokens": 10, "output_tokens": 20}
        }
    })
    .to_string()
}
