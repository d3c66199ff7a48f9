//! The progress bar of `serve`'s first read of a long transcript history: the transcript source
//! reports [`ScanProgress`]; this draws it on stderr, only for a person at a terminal.

use std::io::IsTerminal;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use gauge_daemon::ScanProgress;

/// The drawing task, if stderr is a terminal.
pub(crate) struct ScanBar(Option<JoinHandle<()>>);

impl ScanBar {
    /// The sender the daemon reports on, and the bar that draws what it reports.
    pub(crate) fn start() -> (watch::Sender<ScanProgress>, ScanBar) {
        let (tx, rx) = watch::channel(ScanProgress::default());
        if !std::io::stderr().is_terminal() {
            return (tx, ScanBar(None));
        }
        (tx, ScanBar(Some(tokio::spawn(draw(rx)))))
    }

    /// Stops drawing (the daemon has stopped, so the sender is gone).
    pub(crate) async fn finish(self) {
        if let Some(task) = self.0 {
            task.abort();
            let _ = task.await;
        }
    }
}

async fn draw(mut progress: watch::Receiver<ScanProgress>) {
    let mut bar: Option<indicatif::ProgressBar> = None;
    while progress.changed().await.is_ok() {
        let now = *progress.borrow_and_update();
        if now.bytes_total == 0 {
            if let Some(done) = bar.take() {
                done.finish_and_clear();
            }
            continue;
        }
        let shown = bar.get_or_insert_with(|| new_bar(now.bytes_total));
        shown.set_length(now.bytes_total);
        shown.set_position(now.bytes_done);
    }
    if let Some(done) = bar {
        done.finish_and_clear();
    }
}

fn new_bar(total_bytes: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total_bytes);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "reading transcripts {bar:30} {bytes}/{total_bytes} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
