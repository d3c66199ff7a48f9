//! The daemon's log lines, captured in the test process: in-process there is no stderr, so
//! [`capture`] installs (once) a global tracing subscriber that keeps every line of
//! `gauge_daemon` at debug and below. The daemons of all tests share it, so a test picks out
//! its own lines by something only its daemon says (a data dir, a sink's or server's port).

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

/// Every line logged since [`capture`] first ran.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// One formatted event; `fmt` writes each event whole, then drops the writer.
#[derive(Default)]
struct LineWriter(Vec<u8>);

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let mut lines = LINES.lock().unwrap_or_else(|e| e.into_inner());
        lines.extend(text.lines().map(str::to_string));
    }
}

/// Starts keeping the daemon's log lines (debug and up, the most a user could turn on); call it
/// before the daemon starts.
pub fn capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(LineWriter::default)
            .with_filter(Targets::new().with_target("gauge_daemon", tracing::Level::DEBUG));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
    });
}

/// The captured lines that contain `needle`, oldest first.
pub fn lines_containing(needle: &str) -> Vec<String> {
    LINES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|line| line.contains(needle))
        .cloned()
        .collect()
}
