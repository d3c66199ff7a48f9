//! The terminal view (`claude-gauge watch`): the cluster in a terminal, live from a daemon.
//!
//! It is one more cluster: frames come through [`crate::link`] (polling `/usage`) into the
//! simulator's gauge-core `Cluster`, and [`draw`] paints what it shows, so the needles move as
//! the physical ones would and STALL lights when the daemon goes away. `--once` prints one
//! settled snapshot as plain text instead, without the key hints (it takes no keys).
//!
//! Beside the frames it reads the daemon's `/limits` every few seconds for Claude's other windows
//! (per-model weekly ones) and extra usage, which the frame does not carry.
//!
//! Ownership and shutdown: the link task and the limits poller run under a token that is
//! cancelled when the loop ends (`q`, Esc, Ctrl-C); the terminal is restored on every exit path,
//! panics included.

mod draw;

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use gauge_core::ClusterConfig;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub(crate) use draw::{render_text, View};

use crate::link::{self, LinkEvent, LinkSource};
use crate::sim::Simulator;
use gauge_daemon::LimitsReport;
use gauge_daemon::Secret;

/// How often the screen is redrawn.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// How long the snapshot's cluster runs before it is drawn (homing, lamp test, travel).
const SNAPSHOT_SETTLE: Duration = Duration::from_secs(8);
/// How often the live view reads `/limits` (it changes with each official reading, minutes
/// apart).
const LIMITS_INTERVAL: Duration = Duration::from_secs(5);
/// How long one `/limits` read may take.
const LIMITS_TIMEOUT: Duration = Duration::from_secs(2);

/// The daemon's limits report, or `None` when it cannot be read (an older daemon, a refusal):
/// the view then shows no other windows.
async fn fetch_limits(
    client: &reqwest::Client,
    url: &str,
    token: Option<&Secret>,
) -> Option<LimitsReport> {
    let url = format!("{}/limits", url.trim_end_matches('/'));
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token.expose());
    }
    let response = request.send().await.ok()?.error_for_status().ok()?;
    serde_json::from_slice(&response.bytes().await.ok()?).ok()
}

/// Reads `/limits` every [`LIMITS_INTERVAL`] into `out` until `shutdown`.
async fn poll_limits(
    url: String,
    token: Option<Secret>,
    out: watch::Sender<Option<LimitsReport>>,
    shutdown: CancellationToken,
) {
    let Ok(client) = reqwest::Client::builder().timeout(LIMITS_TIMEOUT).build() else {
        return;
    };
    let mut interval = tokio::time::interval(LIMITS_INTERVAL);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        let report = tokio::select! {
            () = shutdown.cancelled() => return,
            report = fetch_limits(&client, &url, token.as_ref()) => report,
        };
        out.send_replace(report);
    }
}

/// Why the terminal view stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WatchError {
    /// The terminal could not be driven.
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// `--once` got no frame from the daemon.
    #[error("no frame from {url}: {reason}; is the daemon running (claude-gauge serve)?")]
    NoFrame {
        /// The daemon's URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The daemon asks for its token and has none or another (HTTP 401); the daemon's URL.
    #[error("the daemon at {0} requires its token")]
    Unauthorized(String),
}

/// Prints one snapshot of the cluster for the daemon at `url`, `width` x `height` characters.
pub(crate) async fn once(
    url: &str,
    token: Option<&Secret>,
    width: u16,
    height: u16,
    out: &mut impl Write,
) -> Result<(), WatchError> {
    let no_frame = |reason: String| WatchError::NoFrame {
        url: url.to_string(),
        reason,
    };
    let (tx, mut rx) = mpsc::channel(4);
    let shutdown = CancellationToken::new();
    let link_task = tokio::spawn(link::run(
        LinkSource::Http {
            url: url.to_string(),
            token: token.cloned(),
        },
        tx,
        shutdown.clone(),
    ));
    let bytes = loop {
        match rx.recv().await {
            Some(LinkEvent::Frame(bytes)) => break bytes,
            Some(LinkEvent::Down(reason)) => break Err(no_frame(reason))?,
            Some(LinkEvent::Unauthorized(url)) => break Err(WatchError::Unauthorized(url))?,
            Some(LinkEvent::Up) => {}
            None => break Err(no_frame("link ended".into()))?,
        }
    };
    shutdown.cancel();
    let _ = link_task.await;
    let limits = match reqwest::Client::builder().timeout(LIMITS_TIMEOUT).build() {
        Ok(client) => fetch_limits(&client, url, token).await,
        Err(_) => None,
    };
    // The frame arrives again every second, as a live link would deliver it, until settled.
    let config = ClusterConfig::default().with_boot_sweep(false);
    let mut sim = Simulator::new(config);
    let settle_us = u64::try_from(SNAPSHOT_SETTLE.as_micros()).unwrap_or(u64::MAX);
    for at_us in (0..settle_us).step_by(1_000_000) {
        if !sim.feed(&bytes, at_us) {
            return Err(no_frame(
                "the daemon sent a frame this cluster rejects".into(),
            ));
        }
    }
    sim.advance(settle_us);
    let sample = sim.sample(settle_us);
    let frame = sim.cluster().frame().copied();
    let view = View {
        sample: &sample,
        config: &config,
        frame: frame.as_ref(),
        is_link_up: true,
        now_secs: u64::try_from(gauge_daemon::unix_now_secs()).unwrap_or(0),
        // A snapshot takes no keys: no key hints.
        is_interactive: false,
        limits: limits.as_ref(),
    };
    out.write_all(render_text(&view, width, height).as_bytes())?;
    Ok(())
}

/// Runs the live view until `q`.
pub(crate) async fn run(url: &str, token: Option<&Secret>) -> Result<(), WatchError> {
    let (tx, mut rx) = mpsc::channel(64);
    let shutdown = CancellationToken::new();
    let link_task = tokio::spawn(link::run(
        LinkSource::Http {
            url: url.to_string(),
            token: token.cloned(),
        },
        tx,
        shutdown.clone(),
    ));
    let (limits_tx, limits_rx) = watch::channel(None);
    let limits_task = tokio::spawn(poll_limits(
        url.to_string(),
        token.cloned(),
        limits_tx,
        shutdown.clone(),
    ));
    // ratatui::init enters raw mode and the alternate screen and restores them on panic.
    let mut terminal = ratatui::init();
    let config = ClusterConfig::default();
    let mut sim = Simulator::new(config);
    let started = Instant::now();
    let now_us = || u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let mut is_link_up = false;
    let result = 'view: loop {
        while let Ok(event) = rx.try_recv() {
            match event {
                LinkEvent::Unauthorized(url) => break 'view Err(WatchError::Unauthorized(url)),
                LinkEvent::Frame(bytes) => {
                    is_link_up = true;
                    sim.feed(&bytes, now_us());
                }
                LinkEvent::Up => is_link_up = true,
                LinkEvent::Down(_) => is_link_up = false,
            }
        }
        let now = now_us();
        sim.advance(now);
        let sample = sim.sample(now);
        let frame = sim.cluster().frame().copied();
        let limits = limits_rx.borrow().clone();
        let view = View {
            sample: &sample,
            config: &config,
            frame: frame.as_ref(),
            is_link_up,
            now_secs: u64::try_from(gauge_daemon::unix_now_secs()).unwrap_or(0),
            is_interactive: true,
            limits: limits.as_ref(),
        };
        if let Err(err) = terminal.draw(|f| draw::draw(f, &view)) {
            break Err(err.into());
        }
        match next_key(FRAME_INTERVAL) {
            Ok(Some(Key::Quit)) => break Ok(()),
            Ok(Some(Key::Acknowledge)) => sim.acknowledge(),
            Ok(None) => {}
            Err(err) => break Err(err.into()),
        }
    };
    ratatui::restore();
    shutdown.cancel();
    let _ = link_task.await;
    let _ = limits_task.await;
    result
}

enum Key {
    Quit,
    Acknowledge,
}

/// Waits up to `timeout` for a key; resizes are handled by the next draw.
fn next_key(timeout: Duration) -> std::io::Result<Option<Key>> {
    if !event::poll(timeout)? {
        return Ok(None);
    }
    let Event::Key(key) = event::read()? else {
        return Ok(None);
    };
    if key.kind != KeyEventKind::Press {
        return Ok(None);
    }
    Ok(match key.code {
        KeyCode::Char('q') | KeyCode::Esc => Some(Key::Quit),
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Key::Quit),
        KeyCode::Char('a') => Some(Key::Acknowledge),
        _ => None,
    })
}
