//! Alerts: a transport like `serve` or `serial` that reads the engine's frames and says, once,
//! when fuel falls to a threshold, a window resets or Claude's usage limit is reached, through
//! a webhook, a command or desktop notifications (docs/alerts.md).
//!
//! Flow: frames (a watch channel; the engine never waits for this task) -> the pure rules
//! (`rules.rs`) -> the marks of what fired, committed to the ledger before anything is said, so
//! a restart does not say it again -> a bounded queue -> the sinks (`sinks.rs`), whose retries
//! never hold up the rules. `message.rs` words an alert and shapes the webhook bodies.
//!
//! Shutdown: both halves watch the daemon's `CancellationToken`; a retry in progress is dropped.
//!
//! Must never: block the engine, log a webhook URL's path or query, or run a command through a
//! shell.

mod message;
mod rules;
mod sinks;

use gauge_core::Frame;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub use message::WebhookFormat;
pub use rules::AlertRules;
pub(crate) use rules::Marks;
pub use sinks::{redacted, WebhookSettings};

use crate::clock::unix_now_ms;
use crate::ledger::{AlertMark, LedgerHandle};
use rules::Alert;
use sinks::{Sinks, WEBHOOK_TIMEOUT};

/// Alerts waiting for the sinks; past this they are dropped (with a log line), never waited for.
const QUEUE_CAPACITY: usize = 32;

/// `[alerts]`, resolved: the rules and the sinks.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertSettings {
    /// Which alerts are on.
    pub rules: AlertRules,
    /// POST each alert here.
    pub webhook: Option<WebhookSettings>,
    /// Run this (argv) for each alert.
    pub command: Vec<String>,
    /// Show desktop notifications.
    pub is_desktop_on: bool,
}

impl PartialEq for WebhookSettings {
    fn eq(&self, other: &Self) -> bool {
        self.url.expose() == other.url.expose() && self.format == other.format
    }
}

impl AlertSettings {
    /// Whether any sink is configured; without one the alerts do not run.
    pub fn has_sinks(&self) -> bool {
        self.webhook.is_some() || !self.command.is_empty() || self.is_desktop_on
    }
}

/// An alert runtime could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the alert webhook's HTTP client: {0}")]
pub struct AlertsError(String);

/// The alerts, ready to run.
pub(crate) struct Alerts {
    rules: AlertRules,
    sinks: Sinks,
    marks: Marks,
}

impl Alerts {
    /// The runtime for `settings`, starting from the `marks` the store holds.
    pub(crate) fn new(settings: AlertSettings, marks: Marks) -> Result<Alerts, AlertsError> {
        let client = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .user_agent(concat!("claude-gauge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| AlertsError(err.to_string()))?;
        Ok(Alerts {
            rules: settings.rules,
            sinks: Sinks {
                client,
                webhook: settings.webhook,
                command: settings.command,
                is_desktop_on: settings.is_desktop_on,
            },
            marks,
        })
    }

    /// Watches `frames` once `ready` fires (the engine holds what the store and the first reads
    /// gave it, so a half-loaded gauge neither fires nor re-arms anything) until `shutdown`.
    pub(crate) async fn run(
        self,
        frames: watch::Receiver<Frame>,
        ledger: LedgerHandle,
        ready: CancellationToken,
        shutdown: CancellationToken,
    ) {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = ready.cancelled() => {}
        }
        let (queue, mut alerts) = mpsc::channel(QUEUE_CAPACITY);
        let Alerts {
            rules,
            sinks,
            mut marks,
        } = self;
        let decide = decide(&rules, &mut marks, frames, ledger, queue, &shutdown);
        let deliver = async {
            while let Some(alert) = alerts.recv().await {
                sinks.deliver(&alert, &shutdown).await;
            }
        };
        tokio::join!(decide, deliver);
    }
}

/// Evaluates every new frame, stores the marks that changed, then queues the alerts.
async fn decide(
    rules: &AlertRules,
    marks: &mut Marks,
    mut frames: watch::Receiver<Frame>,
    ledger: LedgerHandle,
    queue: mpsc::Sender<Alert>,
    shutdown: &CancellationToken,
) {
    loop {
        let frame = *frames.borrow_and_update();
        let now_ms = unix_now_ms();
        let (alerts, changed) = rules.evaluate(&frame, now_ms / 1000, marks);
        if !changed.is_empty() {
            let marks = changed
                .into_iter()
                .map(|(key, value)| AlertMark {
                    key,
                    value,
                    at_ms: now_ms,
                })
                .collect();
            // Stored before said: should the daemon die between the two, the alert is lost
            // rather than said twice.
            let Ok(receipt) = ledger.record_alert_marks(marks).await else {
                return;
            };
            if let Err(err) = receipt.committed().await {
                tracing::warn!("alert marks not stored ({err}); the alerts stop");
                return;
            }
        }
        for alert in alerts {
            if queue.try_send(alert).is_err() {
                tracing::warn!(
                    "alert queue full; a {} alert was dropped",
                    alert.kind_name()
                );
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = frames.changed() => if changed.is_err() { return },
        }
    }
}
