//! The daemon's wiring: start the engine, the ledger, the sources and the transports, and stop
//! them all when told.
//!
//! Ownership and shutdown: every task is spawned on one `TaskTracker` and watches one
//! `CancellationToken`. [`RunningDaemon::shutdown`] cancels the token; [`RunningDaemon::stopped`]
//! then waits for the tracker with a bound, so a stuck task cannot keep the process alive, and
//! then for the ledger writer, which commits what it holds once the last handle is gone. Signals
//! are the binary's business: it calls `shutdown` on SIGINT or SIGTERM.
//!
//! Once the usage sources have read what they had (the first transcript catch-up), the daemon
//! hands a [`StartupReport`] to whoever asked for it: what each gauge shows and from where.

mod prepare;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::{AccessSettings, TokenError};
use crate::alerts::{AlertSettings, Alerts, AlertsError};
use crate::clock::unix_now_ms;
use crate::engine::{Engine, FrameSettings, StartupSummary, SummaryRequests};
use crate::ledger::{self, LedgerThread, StoreError};
use crate::limits::RECENT_SPAN_MS;
use crate::mdns::Advertiser;
use crate::mirror::Mirror;
use crate::readings::SourceKind;
use crate::serial::SerialSettings;
use crate::serve::{self, AppState, ServeSettings};
use crate::sources::oauth::{OauthError, OauthPoller, OauthSettings};
use crate::sources::otlp::{OtlpError, OtlpReceiver, OtlpSettings};
use crate::sources::prometheus::{ClientError, PrometheusSettings, PrometheusSource};
use crate::sources::statusline::StatuslineSource;
use crate::sources::transcripts::{TranscriptConfig, TranscriptSource};
use crate::sources::{Out, ScanProgress, Source};
use crate::stats::IngestStats;
use prepare::{advertise, prepare, Bound};

/// How long the tasks get to finish after a signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest the startup report waits for the usage sources (a first read of a long history).
const STARTUP_WAIT: Duration = Duration::from_secs(300);

/// Everything the daemon needs, resolved and validated: each module's own settings type,
/// composed. The binary's `config` fills it from the file, the environment and the flags.
#[derive(Clone, Debug)]
pub struct DaemonSettings {
    /// HTTP listen address (port 0 picks a free one; [`RunningDaemon::http_addr`] says which).
    pub listen: SocketAddr,
    /// The durable store's directory.
    pub data_dir: PathBuf,
    /// Lamp thresholds, token limits, official freshness and the engine's tick, for the engine.
    pub frame: FrameSettings,
    /// The transcript source, unless turned off.
    pub transcripts: Option<TranscriptConfig>,
    /// The OTLP receivers, when turned on.
    pub otlp: Option<OtlpSettings>,
    /// The serial port to push frames to, if any.
    pub serial: Option<SerialSettings>,
    /// The Prometheus usage source, when configured.
    pub prometheus: Option<PrometheusSettings>,
    /// The OAuth usage poller.
    pub oauth: OauthSettings,
    /// `[alerts]`: thresholds and sinks.
    pub alerts: AlertSettings,
    /// Who may use the listeners: allowed hosts, the token file, whether reads need the token.
    pub access: AccessSettings,
    /// The HTTP transport's own timing (the `/events` heartbeat).
    pub serve: ServeSettings,
    /// How often the startup report asks whether the usage sources have reported.
    pub startup_poll: Duration,
}

impl DaemonSettings {
    /// How often, by default, the startup report asks whether the usage sources have reported.
    pub const DEFAULT_STARTUP_POLL: Duration = Duration::from_millis(200);
}

/// Why the daemon did not start. Each message names what failed and the fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data dir could not be created.
    #[error("cannot create the data dir {}; pass a writable --data-dir", path.display())]
    CreateDataDir {
        /// The data dir.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The data dir, or the store in it, cannot be written.
    #[error("{what}: cannot write to {}; make it writable (chmod {mode} {}) or pass another --data-dir", path.display(), path.display())]
    NotWritable {
        /// "the data dir is not writable" or "the store is read-only".
        what: &'static str,
        /// The dir or file.
        path: PathBuf,
        /// The chmod that fixes it.
        mode: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The listen address is taken by another program.
    #[error(
        "{0} is already in use (is another claude-gauge running?); choose another with --listen"
    )]
    AddrInUse(SocketAddr),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The operating system's words.
        reason: String,
    },
    /// The bound address could not be read back.
    #[error("cannot read the bound address")]
    BoundAddr(#[source] std::io::Error),
    /// A part could not be made: the token file, an OTLP receiver, the store, the Prometheus
    /// client, the OAuth poller or the alert sinks. Its own error says which and the fix.
    #[error(transparent)]
    Part(Box<dyn std::error::Error + Send + Sync>),
}

macro_rules! part_errors {
    ($($error:ty),*) => {$(
        impl From<$error> for StartError {
            fn from(err: $error) -> StartError {
                StartError::Part(Box::new(err))
            }
        }
    )*};
}
part_errors!(
    TokenError,
    OtlpError,
    StoreError,
    ClientError,
    OauthError,
    AlertsError
);

/// What the daemon says once at startup, for the command line to print.
#[derive(Clone, Debug)]
pub struct StartupReport {
    /// What each gauge shows, and from where.
    pub summary: StartupSummary,
    /// The Claude config dirs searched, when transcripts are read and none has a `projects/`
    /// directory; empty otherwise.
    pub roots_without_projects: Vec<PathBuf>,
}

/// Where a daemon listens, once bound (see [`Daemon::start_then`]).
#[derive(Clone, Copy, Debug)]
pub struct Listening {
    /// The HTTP address.
    pub http_addr: SocketAddr,
    /// The OTLP/HTTP receiver's address, when it runs.
    pub otlp_http_addr: Option<SocketAddr>,
    /// The OTLP/gRPC receiver's address, when it runs.
    pub otlp_grpc_addr: Option<SocketAddr>,
    /// Whether reads need the token too.
    pub is_read_protected: bool,
}

/// The daemon: [`Daemon::start`] brings it up and returns a [`RunningDaemon`].
#[derive(Debug)]
pub struct Daemon;

/// A daemon that is serving: its addresses, its startup report, and the way to stop it.
pub struct RunningDaemon {
    http_addr: SocketAddr,
    otlp_http_addr: Option<SocketAddr>,
    otlp_grpc_addr: Option<SocketAddr>,
    startup: Option<oneshot::Receiver<StartupReport>>,
    is_read_protected: bool,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    ledger_thread: LedgerThread,
    // Lives as long as the daemon: dropping it withdraws the mDNS service.
    _advertiser: Option<Advertiser>,
}

impl std::fmt::Debug for RunningDaemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningDaemon")
            .field("http_addr", &self.http_addr)
            .field("otlp_http_addr", &self.otlp_http_addr)
            .field("otlp_grpc_addr", &self.otlp_grpc_addr)
            .finish_non_exhaustive()
    }
}

impl RunningDaemon {
    /// The HTTP address the daemon serves (`/usage`, `/events`, the pages, the ingest routes).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The OTLP/HTTP receiver's address, when it runs.
    pub fn otlp_http_addr(&self) -> Option<SocketAddr> {
        self.otlp_http_addr
    }

    /// The OTLP/gRPC receiver's address, when it runs.
    pub fn otlp_grpc_addr(&self) -> Option<SocketAddr> {
        self.otlp_grpc_addr
    }

    /// Waits until the usage sources have read what they had, and returns what each gauge
    /// shows; `None` once taken, or when the daemon stopped first.
    pub fn startup_report(
        &mut self,
    ) -> impl std::future::Future<Output = Option<StartupReport>> + Send + 'static {
        let startup = self.startup.take();
        async move { startup?.await.ok() }
    }

    /// Whether reads need the token too (`access.read_token`), not only writes.
    pub fn is_read_protected(&self) -> bool {
        self.is_read_protected
    }

    /// Asks every task to stop; [`RunningDaemon::stopped`] waits for them.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Resolves once [`RunningDaemon::shutdown`] was called (or a task asked for a stop).
    pub async fn shutdown_requested(&self) {
        self.shutdown.cancelled().await;
    }

    /// Stops the daemon, if not already told, and waits (bounded) for the tasks, then for the
    /// ledger writer, which commits what it holds.
    pub async fn stopped(self) {
        self.shutdown.cancel();
        drain(self.tracker, self.ledger_thread).await;
    }
}

/// Makes every source from its settings (which may fail, before anything runs) and runs each on
/// the tracker with its own clone of `out` until `shutdown`. Returns the statusLine source's
/// ingest routes and, with the OTLP receiver on, the mirror of Claude Code's own metrics.
fn spawn_sources(
    settings: &DaemonSettings,
    otlp: Option<OtlpReceiver>,
    out: &Out,
    file_progress: std::collections::HashMap<String, crate::ledger::FileProgress>,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> Result<(axum::Router, Option<Arc<Mirror>>), StartError> {
    let (statusline, ingest_router) = StatuslineSource::new();
    spawn_source(tracker, statusline, out, shutdown);
    // With the OTLP receiver on, `/metrics` serves Claude Code's own metrics as it got them.
    let mirror = otlp.as_ref().map(|_| Arc::new(Mirror::default()));
    if let (Some(otlp), Some(mirror)) = (otlp, &mirror) {
        let otlp = otlp.with_mirror(mirror.clone());
        spawn_source(tracker, otlp, out, shutdown);
    }
    if let Some(prometheus) = settings.prometheus.clone() {
        let source = PrometheusSource::new(prometheus)?;
        spawn_source(tracker, source, out, shutdown);
    }
    if let Some(transcripts) = settings.transcripts.clone() {
        let source = TranscriptSource::new(transcripts, file_progress);
        spawn_source(tracker, source, out, shutdown);
    }
    if settings.oauth.enabled {
        let poller = OauthPoller::new(settings.oauth.clone())?;
        spawn_source(tracker, poller, out, shutdown);
    }
    Ok((ingest_router, mirror))
}

impl Daemon {
    /// Starts the daemon: makes the data dir and the token, binds every listener, opens the
    /// store, and runs the engine, the sources and the transports on the current tokio runtime
    /// until [`RunningDaemon::shutdown`]. A long first read of the transcripts reports how far
    /// it has come on `scan_progress`; [`RunningDaemon::startup_report`] says, once the usage
    /// sources have reported, what each gauge shows.
    pub async fn start(
        settings: DaemonSettings,
        scan_progress: watch::Sender<ScanProgress>,
    ) -> Result<RunningDaemon, StartError> {
        Daemon::start_then(settings, scan_progress, |_| {}).await
    }

    /// [`Daemon::start`], calling `on_listening` once every listener is bound and before any
    /// source runs: the place to say where the daemon serves, ahead of anything it logs.
    // One start-up sequence, in order; splitting it would scatter the ownership story.
    #[allow(clippy::too_many_lines)]
    pub async fn start_then(
        settings: DaemonSettings,
        scan_progress: watch::Sender<ScanProgress>,
        on_listening: impl FnOnce(&Listening),
    ) -> Result<RunningDaemon, StartError> {
        let Bound {
            access,
            otlp,
            listener,
            http_addr,
        } = prepare(&settings).await?;
        let is_read_protected = access.is_read_protected();
        let otlp_http_addr = otlp.as_ref().and_then(OtlpReceiver::http_addr);
        let otlp_grpc_addr = otlp.as_ref().and_then(OtlpReceiver::grpc_addr);
        on_listening(&Listening {
            http_addr,
            otlp_http_addr,
            otlp_grpc_addr,
            is_read_protected,
        });
        let advertiser = advertise(http_addr);

        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let parts = Engine::start(settings.frame);
        tracker.spawn(parts.engine.run(shutdown.clone()));

        let preload_since_ms = unix_now_ms() - RECENT_SPAN_MS;
        let (ledger, startup, ledger_thread) =
            ledger::open(&settings.data_dir, parts.sender.clone(), preload_since_ms)?;
        let stats = Arc::new(IngestStats::default());
        let out = Out::new(ledger.clone(), parts.sender, stats.clone(), scan_progress);

        let (ingest_router, mirror) = spawn_sources(
            &settings,
            otlp,
            &out,
            startup.file_progress,
            &tracker,
            &shutdown,
        )?;
        drop(out);
        // Fires with the startup report: the engine then holds what the store and first reads
        // gave.
        let ready = CancellationToken::new();
        let (report, startup_report) = oneshot::channel();
        let reporter = report_startup(parts.summaries, &settings, report, &ready, shutdown.clone());
        tracker.spawn(reporter);
        if settings.alerts.has_sinks() {
            let alerts = Alerts::new(settings.alerts.clone(), startup.alert_marks)?;
            let (frames, store) = (parts.frames.clone(), ledger.clone());
            tracker.spawn(alerts.run(frames, store, ready, shutdown.clone()));
        }

        if let Some(serial) = settings.serial.clone() {
            tracker.spawn(crate::serial::run(
                serial,
                parts.frames.clone(),
                shutdown.clone(),
            ));
        }
        tracker.spawn(keep_learned_rates(
            parts.limits.clone(),
            ledger.clone(),
            shutdown.clone(),
        ));
        let state = AppState {
            frames: parts.frames,
            health: parts.health,
            totals_by_model: parts.totals,
            limits_report: parts.limits,
            ledger,
            stats,
            mirror,
            machine_name: crate::sources::otlp::this_machine_name().into(),
            shutdown: shutdown.clone(),
            settings: settings.serve,
        };
        let app = serve::app(state).merge(ingest_router);
        tracker.spawn(serve::serve(listener, app, access, shutdown.clone()));
        tracker.close();
        Ok(RunningDaemon {
            http_addr,
            otlp_http_addr,
            otlp_grpc_addr,
            startup: Some(startup_report),
            is_read_protected,
            shutdown,
            tracker,
            ledger_thread,
            _advertiser: advertiser,
        })
    }
}

/// The usage sources whose first report the startup summary waits for.
fn startup_waits_for(settings: &DaemonSettings) -> Vec<SourceKind> {
    let mut kinds = Vec::new();
    if settings.transcripts.is_some() {
        kinds.push(SourceKind::Transcripts);
    }
    if settings.prometheus.is_some() {
        kinds.push(SourceKind::Prometheus);
    }
    kinds
}

/// The roots searched for transcripts, when none has a `projects/` directory.
fn roots_without_projects(settings: &DaemonSettings) -> Vec<PathBuf> {
    let Some(transcripts) = &settings.transcripts else {
        return Vec::new();
    };
    if transcripts
        .roots
        .iter()
        .any(|root| root.join("projects").is_dir())
    {
        return Vec::new();
    }
    transcripts.roots.clone()
}

/// Asks the engine for its summary until every usage source has reported (or [`STARTUP_WAIT`]
/// passed), then sends the report once and fires `ready`.
fn report_startup(
    summaries: SummaryRequests,
    settings: &DaemonSettings,
    startup: oneshot::Sender<StartupReport>,
    ready: &CancellationToken,
    shutdown: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let ready = ready.clone();
    let waits_for = startup_waits_for(settings);
    let roots_without_projects = roots_without_projects(settings);
    let poll = settings.startup_poll;
    async move {
        let started = Instant::now();
        loop {
            let (reply, answer) = oneshot::channel();
            let sent = tokio::select! {
                () = shutdown.cancelled() => return,
                sent = summaries.send(reply) => sent,
            };
            if sent.is_err() {
                return;
            }
            let summary = tokio::select! {
                () = shutdown.cancelled() => return,
                summary = answer => match summary {
                    Ok(summary) => summary,
                    Err(_) => return,
                },
            };
            let is_settled = waits_for.iter().all(|kind| summary.reported.contains(kind));
            if is_settled || started.elapsed() >= STARTUP_WAIT {
                // Nobody may listen; then nobody prints it.
                let _ = startup.send(StartupReport {
                    summary,
                    roots_without_projects,
                });
                ready.cancel();
                return;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(poll) => {}
            }
        }
    }
}
/// Keeps what the engine learns of each window's limit in the store, so a restart keeps the
/// limit in use (it is loaded back at start). Reads the engine's published limits report.
async fn keep_learned_rates(
    mut limits: crate::engine::LimitsFeed,
    ledger: crate::ledger::LedgerHandle,
    shutdown: CancellationToken,
) {
    let mut kept: Vec<crate::readings::LearnedRate> = Vec::new();
    loop {
        let rates: Vec<crate::readings::LearnedRate> = limits
            .borrow_and_update()
            .windows
            .iter()
            .filter_map(|w| {
                let window = crate::readings::Window::from_name(&w.window)?;
                let c = w.calibration.as_ref()?;
                Some(crate::readings::LearnedRate {
                    window,
                    tokens_per_pct: c.tokens_per_pct,
                    learned_at_ms: c.learned_at_ms,
                    from_used_pct: c.from_used_pct,
                    from_tokens: c.from_tokens,
                    window_resets_at_secs: c.window_resets_at_secs,
                })
            })
            .collect();
        for rate in &rates {
            if !kept.contains(rate) && ledger.record_learned(*rate).await.is_err() {
                return;
            }
        }
        kept = rates;
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = limits.changed() => if changed.is_err() { return },
        }
    }
}

/// Runs `source` on `tracker`, writing to its own clone of `out`.
fn spawn_source<S: Source>(
    tracker: &TaskTracker,
    source: S,
    out: &Out,
    shutdown: &CancellationToken,
) {
    tracing::debug!("source {} starting", source.kind().as_str());
    tracker.spawn(source.run(out.clone(), shutdown.clone()));
}

/// Waits, bounded, for the tasks (every source among them), then for the ledger writer: every
/// ledger handle lived in a task, so once they stop the writer commits and exits.
async fn drain(tracker: TaskTracker, ledger_thread: LedgerThread) {
    if tokio::time::timeout(DRAIN_TIMEOUT, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some tasks did not stop within {DRAIN_TIMEOUT:?}");
    }
    let joined = tokio::task::spawn_blocking(move || ledger_thread.join());
    if tokio::time::timeout(DRAIN_TIMEOUT, joined).await.is_err() {
        tracing::warn!("the ledger did not finish within {DRAIN_TIMEOUT:?}");
    }
}
