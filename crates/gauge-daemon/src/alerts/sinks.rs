//! Where alerts go: a webhook (JSON POST), a command (argv, never a shell) and desktop
//! notifications. A failure is logged in one line that names the sink but never a URL's path or
//! query (a Slack or Discord webhook's secret lives there); a webhook is tried again with
//! backoff, a notification once more, a command not at all (it may have done half its work).

use std::time::Duration;

use reqwest::Url;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::message::WebhookFormat;
use super::rules::Alert;
use crate::secret::Secret;

/// The tries of one webhook delivery, and the wait before each retry.
const WEBHOOK_RETRIES: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(4),
    Duration::from_secs(15),
];
/// How long one webhook request may take.
pub(crate) const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a command may run before it is killed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// The wait before a failed desktop notification is tried once more.
const DESKTOP_RETRY: Duration = Duration::from_secs(2);

/// A webhook: where, and in which shape.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// The URL; its path and query may hold a secret, so it prints redacted.
    pub url: Secret,
    /// The body's shape.
    pub format: WebhookFormat,
}

/// `scheme://host:port` of `url`: what a log line may say of a webhook.
pub fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => {
            let host = url.host_str().unwrap_or("?");
            match url.port() {
                Some(port) => format!("{}://{host}:{port}", url.scheme()),
                None => format!("{}://{host}", url.scheme()),
            }
        }
        Err(_) => "<unparsable URL>".to_string(),
    }
}

/// The configured sinks, ready to deliver.
pub(crate) struct Sinks {
    pub client: reqwest::Client,
    pub webhook: Option<WebhookSettings>,
    pub command: Vec<String>,
    pub is_desktop_on: bool,
}

impl Sinks {
    /// Delivers `alert` to every sink at once; returns when each has succeeded, given up, or
    /// `shutdown` fired.
    pub(crate) async fn deliver(&self, alert: &Alert, shutdown: &CancellationToken) {
        let webhook = async {
            if let Some(webhook) = &self.webhook {
                self.post(webhook, alert, shutdown).await;
            }
        };
        let command = async {
            if !self.command.is_empty() {
                if let Err(reason) = run_command(&self.command, alert).await {
                    tracing::warn!("alert command {:?} failed: {reason}", self.command[0]);
                }
            }
        };
        let desktop = async {
            if self.is_desktop_on {
                notify_desktop(alert, shutdown).await;
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => {}
            ((), (), ()) = async { tokio::join!(webhook, command, desktop) } => {}
        }
    }

    async fn post(&self, webhook: &WebhookSettings, alert: &Alert, shutdown: &CancellationToken) {
        let (body, content_type) = alert.webhook_body(webhook.format);
        let target = redacted(webhook.url.expose());
        for attempt in 0..=WEBHOOK_RETRIES.len() {
            let mut request = self
                .client
                .post(webhook.url.expose())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.clone());
            if webhook.format == WebhookFormat::Ntfy {
                request = request.header("Title", alert.title());
            }
            let (reason, is_retryable) = match request.send().await {
                Ok(answer) if answer.status().is_success() => return,
                Ok(answer) => (
                    format!("answered {}", answer.status()),
                    answer.status().is_server_error() || answer.status().as_u16() == 429,
                ),
                // `without_url`: reqwest's message would otherwise carry the whole URL.
                Err(err) => (err.without_url().to_string(), true),
            };
            let Some(wait) = WEBHOOK_RETRIES.get(attempt).filter(|_| is_retryable) else {
                tracing::warn!(
                    "alert webhook {target} failed ({reason}); giving up on this {} alert",
                    alert.kind_name()
                );
                return;
            };
            tracing::warn!("alert webhook {target} failed ({reason}); retrying in {wait:?}");
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(*wait) => {}
            }
        }
    }
}

/// Runs the alert command: argv as given (no shell), the alert in `CLAUDE_GAUGE_ALERT_*`
/// variables and as JSON on stdin (docs/alerts.md, "Command").
async fn run_command(argv: &[String], alert: &Alert) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("no command")?;
    let payload = alert.payload();
    let field = |key: &str| match &payload[key] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("CLAUDE_GAUGE_ALERT", alert.kind_name())
        .env("CLAUDE_GAUGE_ALERT_WINDOW", field("window"))
        .env("CLAUDE_GAUGE_ALERT_THRESHOLD", field("threshold"))
        .env("CLAUDE_GAUGE_ALERT_TITLE", field("title"))
        .env("CLAUDE_GAUGE_ALERT_MESSAGE", field("message"))
        .env("CLAUDE_GAUGE_FUEL_5H", field("fuel_5h"))
        .env("CLAUDE_GAUGE_FUEL_7D", field("fuel_7d"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("cannot start it: {err}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that ignores its stdin may close it early; that is no failure.
        let _ = stdin.write_all(payload.to_string().as_bytes()).await;
    }
    match tokio::time::timeout(COMMAND_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("it exited with {status}")),
        Ok(Err(err)) => Err(format!("cannot wait for it: {err}")),
        Err(_) => Err(format!("it ran over {COMMAND_TIMEOUT:?} and was killed")),
    }
}

/// Shows `alert` as a desktop notification, trying once more after a failure.
async fn notify_desktop(alert: &Alert, shutdown: &CancellationToken) {
    for attempt in 0..2 {
        match show(alert).await {
            Ok(()) => return,
            Err(reason) if attempt == 0 => {
                tracing::warn!("desktop notification failed ({reason}); retrying once");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(DESKTOP_RETRY) => {}
                }
            }
            Err(reason) => tracing::warn!("desktop notification failed ({reason}); giving up"),
        }
    }
}

fn notification(alert: &Alert) -> notify_rust::Notification {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("claude-gauge")
        .summary(&alert.title())
        .body(&alert.body());
    notification
}

/// Freedesktop notifications over D-Bus (the session bus of `DBUS_SESSION_BUS_ADDRESS`).
#[cfg(all(unix, not(target_os = "macos")))]
async fn show(alert: &Alert) -> Result<(), String> {
    notification(alert)
        .show_async()
        .await
        .map(drop)
        .map_err(|err| err.to_string())
}

/// The platform's own notifications (macOS's notification centre), on a blocking thread.
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn show(alert: &Alert) -> Result<(), String> {
    let notification = notification(alert);
    tokio::task::spawn_blocking(move || notification.show().map(drop).map_err(|e| e.to_string()))
        .await
        .map_err(|err| err.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_url_keeps_scheme_host_and_port_only() {
        let slack = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
        assert_eq!(redacted(slack), "https://hooks.slack.com");
        assert_eq!(
            redacted("http://user:pw@127.0.0.1:9000/hook?token=abc"),
            "http://127.0.0.1:9000"
        );
    }
}
