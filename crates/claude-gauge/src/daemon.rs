//! The daemon's wiring: start the engine, the sources and the transports, and stop them all on
//! SIGINT or SIGTERM.
//!
//! Ownership and shutdown: every task is spawned on one `TaskTracker` and watches one
//! `CancellationToken`. A signal cancels the token; the tracker is then awaited with a bound, so a
//! stuck task cannot keep the process alive.
//!
//! Once the usage sources have read what they had (the first transcript catch-up), the daemon
//! hands a [`StartupReport`] to the command line: what each gauge shows and from where.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::Access;
use crate::alerts::Alerts;
use crate::clock::unix_now_ms;
use crate::config::Settings;
use crate::engine::{Engine, StartupSummary, SummaryRequests};
use crate::ledger::{self, LedgerThread};
use crate::limits::RECENT_SPAN_MS;
use crate::mdns::Advertiser;
use crate::mirror::Mirror;
use crate::readings::SourceKind;
use crate::serve::{self, AppState};
use crate::sources::oauth::OauthPoller;
use crate::sources::otlp::{OtlpReceiver, OtlpSettings};
use crate::sources::prometheus::PrometheusSource;
use crate::sources::statusline::StatuslineSource;
use crate::sources::transcripts::TranscriptSource;
use crate::sources::{Out, ScanProgress, Source};
use crate::stats::IngestStats;

/// How long the tasks get to finish after a signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the startup report asks whether the usage sources have reported.
const STARTUP_POLL: Duration = Duration::from_millis(200);
/// The longest the startup report waits for them (a first read of a long history).
const STARTUP_WAIT: Duration = Duration::from_secs(300);

/// What the daemon says once at startup, for the command line to print.
#[derive(Clone, Debug)]
pub(crate) struct StartupReport {
    /// What each gauge shows, and from where.
    pub(crate) summary: StartupSummary,
    /// The Claude config dirs searched, when transcripts are read and none has a `projects/`
    /// directory; empty otherwise.
    pub(crate) roots_without_projects: Vec<PathBuf>,
}

/// Makes every source from its settings (which may fail, before anything runs) and runs each on
/// the tracker with its own clone of `out` until `shutdown`. Returns the statusLine source's
/// ingest routes and, with the OTLP receiver on, the mirror of Claude Code's own metrics.
fn spawn_sources(
    settings: &Settings,
    otlp: Option<OtlpReceiver>,
    out: &Out,
    file_progress: std::collections::HashMap<String, crate::ledger::FileProgress>,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> anyhow::Result<(axum::Router, Option<Arc<Mirror>>)> {
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

/// Runs the daemon until a signal. A long first read of the transcripts reports how far it has
/// come on `scan_progress` (the command line draws it); once the usage sources have reported,
/// the [`StartupReport`] goes to `report`.
pub(crate) async fn run(
    settings: Settings,
    scan_progress: watch::Sender<ScanProgress>,
    report: oneshot::Sender<StartupReport>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data dir {}; pass a writable --data-dir",
            settings.data_dir.display()
        )
    })?;
    ensure_writable(&settings.data_dir)?;
    // Makes the token on the first start; beyond loopback every write needs it.
    let access = Arc::new(Access::new(&settings.access)?);
    let otlp = bind_otlp(settings.otlp.clone(), &access).await?;
    let listener = bind(&settings, &access).await?;
    init_logging();
    // Lives until `run` returns: dropping it withdraws the mDNS service.
    let _advertiser = advertise(&listener);

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
    // Fires with the startup report: the engine then holds what the store and first reads gave.
    let ready = CancellationToken::new();
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
    };
    let app = serve::app(state).merge(ingest_router);
    tracker.spawn(serve::serve(listener, app, access, shutdown.clone()));
    tracker.close();

    tokio::select! {
        () = wait_for_signal() => tracing::info!("signal received, shutting down"),
        () = shutdown.cancelled() => {}
    }
    shutdown.cancel();
    drain(tracker, ledger_thread).await;
    Ok(())
}

/// The usage sources whose first report the startup summary waits for.
fn startup_waits_for(settings: &Settings) -> Vec<SourceKind> {
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
fn roots_without_projects(settings: &Settings) -> Vec<PathBuf> {
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
    settings: &Settings,
    startup: oneshot::Sender<StartupReport>,
    ready: &CancellationToken,
    shutdown: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let ready = ready.clone();
    let waits_for = startup_waits_for(settings);
    let roots_without_projects = roots_without_projects(settings);
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
                // The command line may not listen; then nobody prints it.
                let _ = startup.send(StartupReport {
                    summary,
                    roots_without_projects,
                });
                ready.cancel();
                return;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(STARTUP_POLL) => {}
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

/// Fails the start in one line, naming the dir and the fix, when the data dir or the store in it
/// cannot be written: the ledger would otherwise fail every write after "serving".
fn ensure_writable(data_dir: &Path) -> anyhow::Result<()> {
    let fix = |what: &Path, mode: &str| {
        format!(
            "cannot write to {}; make it writable (chmod {mode} {}) or pass another --data-dir",
            what.display(),
            what.display()
        )
    };
    let probe = data_dir.join(format!(".write-test-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe);
    let _ = std::fs::remove_file(&probe);
    written.with_context(|| format!("the data dir is not writable: {}", fix(data_dir, "u+rwx")))?;
    let store = data_dir.join(ledger::STORE_FILE);
    if store.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&store)
            .with_context(|| format!("the store is read-only: {}", fix(&store, "u+rw")))?;
    }
    Ok(())
}

async fn bind(settings: &Settings, access: &Access) -> anyhow::Result<TcpListener> {
    let addr = settings.listen;
    let listener = TcpListener::bind(addr).await.map_err(|err| {
        if err.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!("{addr} is already in use (is another claude-gauge running?); choose another with --listen")
        } else {
            anyhow::anyhow!("cannot listen on {addr}: {err}")
        }
    })?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    if !bound.ip().is_loopback() {
        // What is exposed, exactly: the reads, unless they need the token too.
        let exposed = if access.is_read_protected() {
            "every request needs the token (claude-gauge token)"
        } else {
            "anyone who can reach it can read your usage (/usage, /events, /stats, /metrics, \
             /limits, /history, the web pages); writes need the token (claude-gauge token)"
        };
        eprintln!("claude-gauge: warning: listening on {bound}, beyond loopback: {exposed}");
    }
    // Tests and scripts read this line to find a port chosen with :0.
    eprintln!(
        "claude-gauge: serving http://{bound}/ (data dir {})",
        settings.data_dir.display()
    );
    Ok(listener)
}

/// Binds the OTLP receivers, when configured. Called before the main listener is bound, so the
/// "serving" line comes last and a busy OTLP port fails the start.
async fn bind_otlp(
    settings: Option<OtlpSettings>,
    access: &Arc<Access>,
) -> anyhow::Result<Option<OtlpReceiver>> {
    let Some(settings) = settings else {
        return Ok(None);
    };
    let receiver = OtlpReceiver::bind(settings)
        .await?
        .with_access(access.clone());
    for (kind, addr) in [
        ("http", receiver.http_addr()),
        ("grpc", receiver.grpc_addr()),
    ] {
        let Some(addr) = addr else { continue };
        if !addr.ip().is_loopback() {
            eprintln!("claude-gauge: warning: OTLP {kind} receiver on {addr}, beyond loopback: anyone who can reach it can try to send usage; exports need the token (claude-gauge token)");
        }
        // Tests and scripts read these lines to find ports chosen with :0.
        eprintln!("claude-gauge: otlp {kind} on {addr}");
    }
    Ok(Some(receiver))
}

/// Advertises `_claude-gauge._tcp` when listening beyond loopback; a failure only
/// costs discovery, so it is logged and the daemon runs on.
fn advertise(listener: &TcpListener) -> Option<Advertiser> {
    let bound = listener.local_addr().ok()?;
    match Advertiser::start(bound) {
        Ok(advertiser) => advertiser,
        Err(err) => {
            tracing::warn!("{err}; clusters must be given this host's address");
            None
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLAUDE_GAUGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (in tests) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, not in a log file or a service's journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await,
            };
        tokio::select! {
            () = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
