//! An alert in words and as a webhook body: the plain JSON payload (docs/alerts.md) and the
//! shapes Slack, Discord and ntfy take.

use serde_json::{json, Value};

use super::rules::{Alert, AlertKind, AlertWindow};

/// How a webhook wants its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WebhookFormat {
    /// The alert as JSON (docs/alerts.md, "Payload").
    #[default]
    Json,
    /// A Slack incoming webhook: `{"text": …}`.
    Slack,
    /// A Discord webhook: `{"content": …}`.
    Discord,
    /// An ntfy topic URL: the message as the body, the title in a `Title` header.
    Ntfy,
}

impl WebhookFormat {
    /// The format named `name` in the config file.
    pub fn from_name(name: &str) -> Option<WebhookFormat> {
        match name {
            "json" => Some(WebhookFormat::Json),
            "slack" => Some(WebhookFormat::Slack),
            "discord" => Some(WebhookFormat::Discord),
            "ntfy" => Some(WebhookFormat::Ntfy),
            _ => None,
        }
    }
}

fn window_name(window: AlertWindow) -> &'static str {
    match window {
        AlertWindow::FiveHour => "5-hour",
        AlertWindow::SevenDay => "7-day",
    }
}

fn percent(fraction: f64) -> String {
    format!("{:.0}%", (fraction * 100.0).clamp(0.0, 100.0))
}

/// "in 2 h 05 min" from `now_secs` to `at_secs`.
fn from_now(now_secs: i64, at_secs: i64) -> String {
    let minutes = (at_secs - now_secs).max(0) / 60;
    match (minutes / 1440, minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("in {m} min"),
        (0, h, m) => format!("in {h} h {m:02} min"),
        (d, h, _) => format!("in {d} d {h} h"),
    }
}

impl Alert {
    /// The alert's kind as in the payload: `fuel`, `reset` or `limit`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            AlertKind::Fuel { .. } => "fuel",
            AlertKind::Reset { .. } => "reset",
            AlertKind::Limit => "limit",
        }
    }

    /// The window it is about, if one.
    pub fn window(&self) -> Option<AlertWindow> {
        match self.kind {
            AlertKind::Fuel { window, .. } | AlertKind::Reset { window } => Some(window),
            AlertKind::Limit => None,
        }
    }

    fn fuel_of(&self, window: AlertWindow) -> Option<f64> {
        match window {
            AlertWindow::FiveHour => self.fuel_5h,
            AlertWindow::SevenDay => self.fuel_7d,
        }
    }

    fn reset_of(&self, window: AlertWindow) -> Option<i64> {
        match window {
            AlertWindow::FiveHour => self.reset_5h,
            AlertWindow::SevenDay => self.reset_7d,
        }
    }

    /// A one-line title.
    pub fn title(&self) -> String {
        match self.kind {
            AlertKind::Fuel { window, .. } => {
                let left = self.fuel_of(window).map_or("?".into(), percent);
                format!("Claude {}: {left} left", window_name(window))
            }
            AlertKind::Reset { window } => format!("Claude {} window reset", window_name(window)),
            AlertKind::Limit => "Claude usage limit reached".to_string(),
        }
    }

    /// A one-line body.
    pub fn body(&self) -> String {
        let resets = |window| {
            self.reset_of(window).map_or(String::new(), |at| {
                format!("; resets {}", from_now(self.at_secs, at))
            })
        };
        match self.kind {
            AlertKind::Fuel { window, threshold } => format!(
                "{} fuel fell to the {} alert{}",
                window_name(window),
                percent(threshold),
                resets(window)
            ),
            AlertKind::Reset { window } => format!(
                "a fresh {} window: {} left",
                window_name(window),
                self.fuel_of(window).map_or("?".into(), percent)
            ),
            AlertKind::Limit => format!(
                "Claude says the usage limit is reached{}",
                resets(AlertWindow::FiveHour)
            ),
        }
    }

    /// The plain JSON payload (docs/alerts.md, "Payload").
    pub fn payload(&self) -> Value {
        let threshold = match self.kind {
            AlertKind::Fuel { threshold, .. } => Some(threshold),
            _ => None,
        };
        json!({
            "alert": self.kind_name(),
            "window": self.window().map(AlertWindow::as_str),
            "threshold": threshold,
            "title": self.title(),
            "message": self.body(),
            "at_secs": self.at_secs,
            "fuel_5h": self.fuel_5h,
            "fuel_7d": self.fuel_7d,
            "reset_5h": self.reset_5h,
            "reset_7d": self.reset_7d,
            "source": self.source.as_str(),
        })
    }

    /// The webhook body in `format`, with its content type.
    pub fn webhook_body(&self, format: WebhookFormat) -> (String, &'static str) {
        let text = |bold: &str| format!("{bold}{}{bold}\n{}", self.title(), self.body());
        match format {
            WebhookFormat::Json => (self.payload().to_string(), "application/json"),
            WebhookFormat::Slack => (json!({ "text": text("*") }).to_string(), "application/json"),
            WebhookFormat::Discord => (
                json!({ "content": text("**") }).to_string(),
                "application/json",
            ),
            WebhookFormat::Ntfy => (self.body(), "text/plain; charset=utf-8"),
        }
    }
}

#[cfg(test)]
mod tests {
    use gauge_core::FuelSource;

    use super::*;

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            kind,
            at_secs: 1_000_000,
            fuel_5h: Some(0.1),
            fuel_7d: Some(0.8),
            reset_5h: Some(1_000_000 + 2 * 3600 + 5 * 60),
            reset_7d: None,
            source: FuelSource::Official,
        }
    }

    #[test]
    fn payload_names_kind_window_and_threshold() {
        let window = AlertWindow::FiveHour;
        let fuel = alert(AlertKind::Fuel {
            window,
            threshold: 0.1,
        });
        let payload = fuel.payload();
        assert_eq!(payload["alert"], "fuel");
        assert_eq!(payload["window"], "5h");
        assert_eq!(payload["threshold"], 0.1);
        assert_eq!(payload["title"], "Claude 5-hour: 10% left");
        assert_eq!(
            payload["message"],
            "5-hour fuel fell to the 10% alert; resets in 2 h 05 min"
        );
        assert_eq!(alert(AlertKind::Limit).payload()["window"], Value::Null);
    }

    #[test]
    fn each_format_has_its_shape() {
        let reset = alert(AlertKind::Reset {
            window: AlertWindow::FiveHour,
        });
        let (slack, _) = reset.webhook_body(WebhookFormat::Slack);
        let slack: Value = serde_json::from_str(&slack).unwrap();
        assert!(slack["text"]
            .as_str()
            .unwrap()
            .starts_with("*Claude 5-hour window reset*\n"));
        let (discord, _) = reset.webhook_body(WebhookFormat::Discord);
        assert!(discord.contains("\"content\":\"**Claude 5-hour window reset**"));
        let (ntfy, content_type) = reset.webhook_body(WebhookFormat::Ntfy);
        assert_eq!(
            (ntfy.as_str(), content_type),
            (
                "a fresh 5-hour window: 10% left",
                "text/plain; charset=utf-8"
            )
        );
    }
}
