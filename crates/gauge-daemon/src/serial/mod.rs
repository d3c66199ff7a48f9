//! The serial transport: the frame feed pushed to a cluster on a serial port (USB CDC), one
//! frame per line (`docs/protocol.md`, "Serial").
//!
//! It sits beside the HTTP transport at the end of the flow (engine → frames → transports). The
//! port may come and go (a cable pulled, a board reset): a failed open or write closes the port
//! and the task retries every [`REOPEN_INTERVAL`] until shutdown. Each (re)open starts with a bare
//! newline, so a cluster holding half a line drops it, then the current frame. After that every
//! changed frame goes out at once, and the current one again every [`HEARTBEAT_INTERVAL`], which
//! keeps the cluster's link watchdog fed while nothing changes.
//!
//! Ownership and shutdown: one task owns the port; it selects on the shutdown token at every
//! await and closes the port by dropping it.

mod port;
mod setup;

use std::path::PathBuf;
use std::time::Duration;

use gauge_core::Frame;
use tokio_util::sync::CancellationToken;

pub use port::{baud_rate, Port, VirtualPort};
pub use setup::SetupClient;

use crate::engine::FrameFeed;

/// How often a missing or failed port is tried again.
pub const REOPEN_INTERVAL: Duration = Duration::from_millis(500);
/// How often the current frame is sent again while nothing changes (a cluster's watchdog waits
/// 5 s by default).
pub(crate) const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// The default line speed. USB CDC ignores it; a UART bridge needs it to match the firmware.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Where to push frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialSettings {
    /// The port's device path (a by-id link is best: it survives re-plugging).
    pub port: PathBuf,
    /// Line speed, bits per second (checked against [`baud_rate`]).
    pub baud: u32,
}

/// Pushes frames to the port until `shutdown`, reopening it whenever it fails.
pub(crate) async fn run(
    settings: SerialSettings,
    mut frames: FrameFeed,
    shutdown: CancellationToken,
) {
    let mut last_error: Option<String> = None;
    loop {
        let port = match Port::open(&settings.port, settings.baud) {
            Ok(port) => port,
            Err(err) => {
                // Logged once per outage, not every retry.
                let message = err.to_string();
                if last_error.as_ref() != Some(&message) {
                    tracing::warn!("serial port not available (retrying): {message}");
                    last_error = Some(message);
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(REOPEN_INTERVAL) => continue,
                }
            }
        };
        tracing::info!(
            "serial port {} open at {} baud",
            settings.port.display(),
            settings.baud
        );
        last_error = None;
        match push(&port, &mut frames, &shutdown).await {
            Ok(()) => return,
            Err(err) => tracing::warn!("serial port {} lost: {err}", settings.port.display()),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(REOPEN_INTERVAL) => {}
        }
    }
}

/// Writes frames to one open port until it fails (`Err`) or shutdown (`Ok`).
async fn push(
    port: &Port,
    frames: &mut FrameFeed,
    shutdown: &CancellationToken,
) -> std::io::Result<()> {
    port.write_all(b"\n").await?;
    let mut heartbeat = tokio::time::interval(HEARTBEAT_INTERVAL);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let line = frame_line(&frames.borrow_and_update());
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            result = port.write_all(&line) => result?,
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            changed = frames.changed() => {
                if changed.is_err() {
                    // The engine is gone: the daemon is stopping.
                    return Ok(());
                }
            }
            _ = heartbeat.tick() => {}
        }
    }
}

/// One frame as its wire line: the JSON and a newline.
pub(crate) fn frame_line(frame: &Frame) -> Vec<u8> {
    // Serialising a Frame cannot fail: plain numbers, fixed strings, no maps with odd keys.
    let mut line = serde_json::to_vec(frame).unwrap_or_default();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_line_is_one_decodable_line() {
        let frame = Frame {
            seq: 7,
            tach: 1200,
            fuel_5h: Some(0.5),
            ..Frame::default()
        };
        let line = frame_line(&frame);
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        assert!(line.ends_with(b"\n"));
        assert!(line.len() <= gauge_core::FRAME_MAX_LEN);
        let decoded = gauge_core::decode_frame(&line[..line.len() - 1]).unwrap();
        assert_eq!(decoded.seq, 7);
        assert_eq!(decoded.tach, 1200);
    }
}
