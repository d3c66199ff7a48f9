//! The cluster's side of the link: frames from a daemon as a cluster receives them, over HTTP
//! (polling `/usage`), a serial port, or a virtual serial port (a pty the simulator creates).
//!
//! Used by the simulator and the terminal view, which feed what arrives into gauge-core's
//! `Cluster`. Frames are handed on as raw bytes: decoding is the cluster's job, as on the device.
//!
//! Ownership and shutdown: [`run`] owns its connection and returns when the token fires or the
//! receiver is dropped.

mod events;

use std::path::PathBuf;
use std::time::Duration;

use gauge_core::{LineBuffer, LinePush, FRAME_MAX_LEN};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use gauge_daemon::Secret;
use gauge_daemon::{Port, VirtualPort, REOPEN_INTERVAL};

/// How often the HTTP link polls `/usage` (each answer also feeds the cluster's watchdog).
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long one poll may take.
const POLL_TIMEOUT: Duration = Duration::from_secs(2);

/// Where frames come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkSource {
    /// A daemon, polled at `/usage`.
    Http {
        /// Its base URL, e.g. `http://127.0.0.1:8765`.
        url: String,
        /// Its token, sent as `Authorization: Bearer` (for a daemon run with `--read-token`).
        token: Option<Secret>,
    },
    /// A serial port the daemon pushes to (`serve --serial`).
    Serial {
        /// The device path.
        port: PathBuf,
        /// Line speed, bits per second.
        baud: u32,
    },
    /// A virtual port: a pty whose device end is linked at this path for `serve --serial`.
    Pty(PathBuf),
    /// A daemon's base URL, followed as the firmware follows it: `/events` through gauge-core's
    /// SSE parser, `/usage` polls when the stream is refused, the token when one is set.
    Events {
        /// The daemon's base URL.
        url: String,
        /// Sent as `Authorization: Bearer`.
        token: Option<String>,
    },
}

/// What the link reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkEvent {
    /// One frame's bytes.
    Frame(Vec<u8>),
    /// The link is up.
    Up,
    /// The link is down, and why.
    Down(String),
    /// The daemon refused the HTTP link for want of its token (401), and the URL: polling on
    /// would not help.
    Unauthorized(String),
}

/// The setup side of a serial link (`docs/protocol.md`, "Device setup"): lines that are not
/// frames go out on `commands`; what arrives on `replies` is written back to the port.
pub(crate) struct SetupChannel {
    /// Command lines read from the port (without their newline).
    pub(crate) commands: mpsc::Sender<Vec<u8>>,
    /// Reply bytes to write to the port.
    pub(crate) replies: mpsc::Receiver<Vec<u8>>,
}

/// Runs the link until `shutdown`, sending what happens to `events`.
pub(crate) async fn run(
    source: LinkSource,
    events: mpsc::Sender<LinkEvent>,
    shutdown: CancellationToken,
) {
    run_with_setup(source, events, None, shutdown).await;
}

/// [`run`], with setup commands on a serial link handed to `setup` (every line is a frame
/// without it).
pub(crate) async fn run_with_setup(
    source: LinkSource,
    events: mpsc::Sender<LinkEvent>,
    mut setup: Option<SetupChannel>,
    shutdown: CancellationToken,
) {
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = run_source(source, &events, &mut setup) => {}
    }
}

async fn run_source(
    source: LinkSource,
    events: &mpsc::Sender<LinkEvent>,
    setup: &mut Option<SetupChannel>,
) {
    match source {
        LinkSource::Http { url, token } => poll_http(&url, token.as_ref(), events).await,
        LinkSource::Events { url, token } => events::follow(&url, token.as_deref(), events).await,
        LinkSource::Serial { port, baud } => loop {
            match Port::open(&port, baud) {
                Ok(opened) => {
                    let _ = events.send(LinkEvent::Up).await;
                    let why = read_lines(&opened, events, setup).await;
                    let _ = events.send(LinkEvent::Down(why)).await;
                }
                Err(err) => {
                    let _ = events.send(LinkEvent::Down(err.to_string())).await;
                }
            }
            if events.is_closed() {
                return;
            }
            tokio::time::sleep(REOPEN_INTERVAL).await;
        },
        LinkSource::Pty(link) => loop {
            match VirtualPort::create(&link) {
                Ok(virtual_port) => {
                    let _ = events.send(LinkEvent::Up).await;
                    let why = read_lines(&virtual_port.port, events, setup).await;
                    let _ = events.send(LinkEvent::Down(why)).await;
                }
                Err(err) => {
                    let _ = events.send(LinkEvent::Down(err.to_string())).await;
                }
            }
            if events.is_closed() {
                return;
            }
            tokio::time::sleep(REOPEN_INTERVAL).await;
        },
    }
}

/// Reads frame lines until the port fails; returns why. Framing is gauge-core's `LineBuffer`,
/// the firmware's own, so an over-long or half line is dropped here exactly as on the device.
async fn read_lines(
    port: &Port,
    events: &mpsc::Sender<LinkEvent>,
    setup: &mut Option<SetupChannel>,
) -> String {
    let mut lines = LineBuffer::<FRAME_MAX_LEN>::new();
    let mut buf = [0u8; 1024];
    loop {
        let read = match setup {
            Some(channel) => tokio::select! {
                read = port.read(&mut buf) => read,
                reply = channel.replies.recv() => {
                    match reply {
                        Some(reply) => match port.write_all(&reply).await {
                            Ok(()) => continue,
                            Err(err) => return err.to_string(),
                        },
                        None => return "receiver gone".into(),
                    }
                }
            },
            None => port.read(&mut buf).await,
        };
        let n = match read {
            Ok(0) => return "port closed".into(),
            Ok(n) => n,
            Err(err) => return err.to_string(),
        };
        for &byte in &buf[..n] {
            match lines.push(byte) {
                LinePush::Line => {
                    let line = lines.line().to_vec();
                    let sent = match setup {
                        // The firmware's rule: a frame is a JSON object, anything else a command.
                        Some(channel) if line.first() != Some(&b'{') => {
                            channel.commands.send(line).await.is_ok()
                        }
                        _ => events.send(LinkEvent::Frame(line)).await.is_ok(),
                    };
                    if !sent {
                        return "receiver gone".into();
                    }
                }
                LinePush::Overflowed => {
                    tracing::warn!(
                        "dropped an over-long line ({} so far)",
                        lines.dropped_lines()
                    );
                }
                LinePush::Incomplete => {}
            }
        }
    }
}

async fn poll_http(base_url: &str, token: Option<&Secret>, events: &mpsc::Sender<LinkEvent>) {
    let url = format!("{}/usage", base_url.trim_end_matches('/'));
    let client = match reqwest::Client::builder().timeout(POLL_TIMEOUT).build() {
        Ok(client) => client,
        Err(err) => {
            let _ = events.send(LinkEvent::Down(err.to_string())).await;
            return;
        }
    };
    let mut interval = tokio::time::interval(POLL_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let event = match fetch(&client, &url, token).await {
            Ok(bytes) => LinkEvent::Frame(bytes),
            Err(err) if err.status() == Some(reqwest::StatusCode::UNAUTHORIZED) => {
                let _ = events
                    .send(LinkEvent::Unauthorized(base_url.to_string()))
                    .await;
                return;
            }
            Err(err) => LinkEvent::Down(format!("{url}: {err}")),
        };
        if events.send(event).await.is_err() {
            return;
        }
    }
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
    token: Option<&Secret>,
) -> reqwest::Result<Vec<u8>> {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token.expose());
    }
    let response = request.send().await?.error_for_status()?;
    Ok(response.bytes().await?.to_vec())
}
