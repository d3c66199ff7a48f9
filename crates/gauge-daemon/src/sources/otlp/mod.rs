//! The OTLP receivers: Claude Code's own OpenTelemetry export, received over HTTP (`/v1/metrics`,
//! `/v1/logs`; protobuf or JSON; gzip) and gRPC, with no Collector in between. Off by default.
//!
//! Flow: a transport (`http.rs`, `grpc.rs`) decodes an export and hands it to [`Ingest`], which
//! turns `api_request` events into exact usage for the ledger (`events.rs`), metrics into
//! metered increments (`metrics.rs`) that reach the tach only for sessions without events
//! (`fallback.rs`), and a 429 `api_error` into the LIMIT lamp. Every Claude Code counter also
//! goes to the `mirror`, which `/metrics` serves under the Collector's names. See `docs/otlp.md`.

mod attrs;
mod events;
mod fallback;

mod grpc;
mod http;
mod metrics;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Out, Source};
use crate::access::{self, Access, Protocol};
use crate::clock::unix_now_ms;
use crate::ledger::{LedgerClosed, WriteError};
use crate::mirror::Mirror;
use crate::readings::SourceKind;
use crate::stats::IngestStats;

/// An `api_error` with status 429 carries no reset time; the LIMIT lamp stays lit this long after
/// it (or longer, if an official sample says so).
const LIMIT_HOLD_SECS: i64 = 300;
/// How often held metered usage is checked for release.
const RELEASE_TICK: Duration = Duration::from_secs(1);

impl OtlpSettings {
    /// The default HTTP address, the OTLP standard port.
    pub const DEFAULT_HTTP_LISTEN: &'static str = "127.0.0.1:4318";
    /// The default gRPC address, the OTLP standard port.
    pub const DEFAULT_GRPC_LISTEN: &'static str = "127.0.0.1:4317";
    /// The default cap on a request body as sent (compressed or not). Claude Code's exports are
    /// tens of kilobytes; gRPC servers commonly cap messages at 4 MiB.
    pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
    /// The default cap on a body after gzip decompression (the defence against gzip bombs).
    pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 16 * 1024 * 1024;
    /// How long metered usage is held for an `api_request` event that may follow, ms.
    pub const DEFAULT_METRICS_HOLD_MS: u64 = fallback::DEFAULT_HOLD_MS;
}

/// Where and how the receivers listen: the source's settings, resolved by `config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The HTTP receiver's address, or `None` for no HTTP receiver.
    pub http_listen: Option<SocketAddr>,
    /// The gRPC receiver's address, or `None` for no gRPC receiver.
    pub grpc_listen: Option<SocketAddr>,
    /// The largest request body accepted as sent, bytes.
    pub max_body_bytes: usize,
    /// The largest body accepted after decompression, bytes.
    pub max_decompressed_bytes: usize,
    /// How long metered usage (metrics) waits for the same session's events before it moves
    /// the tach.
    pub metrics_hold: Duration,
}

/// The OTLP protocols Claude Code can export with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportProtocol {
    /// `http/protobuf`.
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
    /// `grpc`.
    Grpc,
}

/// How often Claude Code should export events, ms: the tach is live to this interval.
const LOGS_EXPORT_INTERVAL_MS: u32 = 1000;
/// How often Claude Code should export metrics, ms (the fallback and `/metrics` read them).
const METRIC_EXPORT_INTERVAL_MS: u32 = 10_000;

/// The environment variables that point Claude Code's telemetry at a receiver at `endpoint`
/// (`http://127.0.0.1:4318`; docs/otlp.md, "Point Claude Code at it"), in the order to print them.
pub fn claude_code_env(protocol: ExportProtocol, endpoint: String) -> Vec<(&'static str, String)> {
    let protocol = match protocol {
        ExportProtocol::HttpProtobuf => "http/protobuf",
        ExportProtocol::HttpJson => "http/json",
        ExportProtocol::Grpc => "grpc",
    };
    vec![
        ("CLAUDE_CODE_ENABLE_TELEMETRY", "1".into()),
        ("OTEL_METRICS_EXPORTER", "otlp".into()),
        ("OTEL_LOGS_EXPORTER", "otlp".into()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        (
            "OTEL_LOGS_EXPORT_INTERVAL",
            LOGS_EXPORT_INTERVAL_MS.to_string(),
        ),
        (
            "OTEL_METRIC_EXPORT_INTERVAL",
            METRIC_EXPORT_INTERVAL_MS.to_string(),
        ),
    ]
}

/// This machine's name as a hub knows it: what `claude-gauge otel-env --hub` puts into
/// `OTEL_RESOURCE_ATTRIBUTES` as `host.name`, and the name a hub gives the requests of its own
/// transcripts. The first label of the host name (`desk`, not `desk.example.lan`); `local` when
/// the system has none.
pub fn this_machine_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .and_then(|name| {
            let short = name.split('.').next().unwrap_or_default().trim().to_owned();
            (!short.is_empty()).then_some(short)
        })
        .unwrap_or_else(|| "local".to_owned())
}

/// A receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    /// The address could not be bound.
    #[error("cannot listen for OTLP on {addr}: {source}; choose another address with --otlp-http or --otlp-grpc")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The bound receivers, ready to run.
pub(crate) struct OtlpReceiver {
    http: Option<TcpListener>,
    grpc: Option<TcpListener>,
    settings: OtlpSettings,
    access: Arc<Access>,
    mirror: Arc<Mirror>,
}

impl OtlpReceiver {
    /// Binds the configured listeners (so a busy port fails the start, not a task later).
    pub(crate) async fn bind(settings: OtlpSettings) -> Result<OtlpReceiver, OtlpError> {
        let bind = |addr: Option<SocketAddr>| async move {
            match addr {
                None => Ok(None),
                Some(addr) => TcpListener::bind(addr)
                    .await
                    .map(Some)
                    .map_err(|source| OtlpError::Bind { addr, source }),
            }
        };
        Ok(OtlpReceiver {
            http: bind(settings.http_listen).await?,
            grpc: bind(settings.grpc_listen).await?,
            settings,
            access: Arc::new(Access::loopback_only()),
            mirror: Arc::new(Mirror::default()),
        })
    }

    /// Puts `access` (Host, Origin, the token) in front of both receivers; without it they
    /// answer loopback names only, with no token.
    pub(crate) fn with_access(self, access: Arc<Access>) -> OtlpReceiver {
        OtlpReceiver { access, ..self }
    }

    /// Keeps every Claude Code metric received in `mirror` (what `/metrics` serves under the
    /// Collector's names); without it they go to a mirror of the receiver's own.
    pub(crate) fn with_mirror(self, mirror: Arc<Mirror>) -> OtlpReceiver {
        OtlpReceiver { mirror, ..self }
    }

    /// The bound HTTP address (the real port when configured with port 0).
    pub(crate) fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The bound gRPC address.
    pub(crate) fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc.as_ref().and_then(|l| l.local_addr().ok())
    }
}

impl Source for OtlpReceiver {
    fn kind(&self) -> SourceKind {
        SourceKind::Otlp
    }

    /// Serves both receivers and releases metered usage until `shutdown` fires. An export is
    /// answered with success only once its requests are committed to the ledger.
    ///
    /// Ownership and shutdown: the servers run on their own tracker and stop on `shutdown`;
    /// this task waits for them after its release loop ends, so the daemon's bounded drain
    /// covers them too.
    async fn run(self, out: Out, shutdown: CancellationToken) {
        let ingest = Arc::new(Ingest::new(out, self.settings.metrics_hold, self.mirror));
        let servers = TaskTracker::new();
        if let Some(listener) = self.http {
            let app = http::app(ingest.clone(), &self.settings);
            let access = self.access.clone();
            servers.spawn(access::serve(
                listener,
                app,
                access,
                Protocol::Http1,
                shutdown.clone(),
            ));
        }
        if let Some(listener) = self.grpc {
            let app = grpc::app(ingest.clone(), self.settings.max_decompressed_bytes);
            let access = self.access.clone();
            servers.spawn(access::serve(
                listener,
                app,
                access,
                Protocol::Http2,
                shutdown.clone(),
            ));
        }
        servers.close();
        let _ = ingest.out.configured(SourceKind::Otlp).await;
        let mut tick = tokio::time::interval(RELEASE_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if ingest.release_metered().await.is_err() {
                        break;
                    }
                }
            }
        }
        servers.wait().await;
    }
}

/// Memory shared by both transports. A std `Mutex`: it is held only for pure, short updates and
/// never across an `.await`.
struct IngestMemory {
    tracker: metrics::SeriesTracker,
    gate: fallback::MeteredGate,
}

/// What both transports hand decoded exports to.
pub(super) struct Ingest {
    out: Out,
    memory: Mutex<IngestMemory>,
    mirror: Arc<Mirror>,
}

impl Ingest {
    fn new(out: Out, metrics_hold: Duration, mirror: Arc<Mirror>) -> Ingest {
        let hold_ms = u64::try_from(metrics_hold.as_millis()).unwrap_or(u64::MAX);
        Ingest {
            out,
            memory: Mutex::new(IngestMemory {
                tracker: metrics::SeriesTracker::default(),
                gate: fallback::MeteredGate::new(hold_ms),
            }),
            mirror,
        }
    }

    fn stats(&self) -> &IngestStats {
        self.out.stats()
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, IngestMemory> {
        // A panic while holding the lock leaves plain counters behind; carry on with them.
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a rejected export.
    fn rejected(&self) {
        IngestStats::add(&self.stats().otlp_rejected, 1);
    }

    /// Takes a logs export: usage to the ledger (returning once it is committed), limit hits
    /// and liveness to the engine.
    async fn logs(&self, request: ExportLogsServiceRequest) -> Result<(), WriteError> {
        let now_ms = unix_now_ms();
        let digest = events::digest_logs(&request, now_ms);
        {
            let mut memory = self.memory();
            for session in digest.sessions {
                memory.gate.saw_events(session, now_ms);
            }
        }
        IngestStats::add(&self.stats().otlp_requests, 1);
        if digest.skipped > 0 {
            tracing::debug!("otlp: {} api_request events without tokens", digest.skipped);
        }
        self.out.usage_from(digest.usage, digest.hosts).await?;
        if let Some(&hit_ms) = digest.limit_hits_ms.iter().max() {
            let until_secs = hit_ms / 1000 + LIMIT_HOLD_SECS;
            self.out.limit_reached(until_secs).await?;
        }
        Ok(self.alive().await?)
    }

    /// Takes a metrics export: every Claude Code counter's increments go to the mirror
    /// (`/metrics`), token and cost increments are held for the fallback gate.
    async fn metrics(&self, request: ExportMetricsServiceRequest) -> Result<(), WriteError> {
        let now_ms = unix_now_ms();
        let (rejected_points, mirrored) = {
            let mut memory = self.memory();
            let digest = memory.tracker.digest(&request, now_ms);
            memory.gate.hold(digest.metered, now_ms);
            (digest.rejected_points, digest.mirrored)
        };
        let dropped: u64 = mirrored
            .iter()
            .map(|(resource, points)| self.mirror.record(resource, points, now_ms))
            .sum();
        IngestStats::add(&self.stats().otlp_points_dropped, dropped);
        IngestStats::add(&self.stats().otlp_requests, 1);
        if rejected_points > 0 {
            tracing::debug!("otlp: {rejected_points} points with unusable temporality skipped");
        }
        Ok(self.alive().await?)
    }

    /// Sends metered usage that the gate lets through to the engine's tach.
    async fn release_metered(&self) -> Result<(), LedgerClosed> {
        let now_ms = unix_now_ms();
        let released = {
            let mut memory = self.memory();
            if !memory.gate.is_holding() {
                return Ok(());
            }
            memory.gate.release(now_ms)
        };
        let Some(newest) = released.iter().max_by_key(|m| m.at_ms) else {
            return Ok(());
        };
        let model = newest.model.clone();
        for metered in &released {
            let at_ms = metered.at_ms.min(now_ms);
            self.out
                .metered(at_ms, metered.tokens.tach_tokens())
                .await?;
        }
        self.out.model(model).await
    }

    async fn alive(&self) -> Result<(), LedgerClosed> {
        self.out.health(SourceKind::Otlp, Ok(())).await
    }
}

/// The requests a logs export carries (its `api_request` events with tokens).
#[cfg(test)]
pub(crate) fn requests_in(request: &ExportLogsServiceRequest) -> usize {
    events::digest_logs(request, 0).usage.len()
}

/// The captured Claude Code exports in `tests/fixtures/otlp/`, decoded.
#[cfg(test)]
pub(crate) mod fixtures {
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue};
    use prost::Message;

    use super::*;

    fn dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/otlp")
    }

    /// The fixture file names of one signal (`logs` or `metrics`), sorted.
    pub(crate) fn names(signal: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir())
            .expect("fixture dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(&format!("-{signal}.")))
            .collect();
        names.sort();
        names
    }

    fn read<T: Message + Default + serde::de::DeserializeOwned>(name: &str) -> T {
        let bytes = std::fs::read(dir().join(name)).expect(name);
        if name.ends_with(".pb") {
            T::decode(bytes.as_slice()).expect(name)
        } else {
            serde_json::from_slice(&bytes).expect(name)
        }
    }

    /// A logs fixture.
    pub(crate) fn logs(name: &str) -> ExportLogsServiceRequest {
        read(name)
    }

    /// A metrics fixture.
    pub(crate) fn metrics(name: &str) -> ExportMetricsServiceRequest {
        read(name)
    }

    /// An `intValue`.
    pub(crate) fn int_value(value: i64) -> AnyValue {
        AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }
    }
}
