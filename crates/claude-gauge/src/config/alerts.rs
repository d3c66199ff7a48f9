//! `[alerts]`: the alerts as written in the file, and their resolution into
//! [`AlertSettings`] (thresholds checked and ordered, the webhook URL and format checked).
//!
//! The webhook URL may carry a secret in its path or query (Slack, Discord): `config show`
//! prints only its scheme and host, and the resolved URL is a [`Secret`].

use serde::{Deserialize, Serialize, Serializer};

use super::ConfigError;
use gauge_daemon::Secret;
use gauge_daemon::{redacted, AlertRules, AlertSettings, WebhookFormat, WebhookSettings};

/// `[alerts]` as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawAlerts {
    /// Remaining-fuel fractions that fire an alert, per window (5h and 7d).
    pub(crate) fuel_thresholds: Vec<f64>,
    /// Say when a window resets.
    pub(crate) on_reset: bool,
    /// Say when Claude reports the usage limit reached (the LIMIT lamp).
    pub(crate) on_limit: bool,
    /// Show desktop notifications (D-Bus on Linux, the notification centre on macOS).
    pub(crate) desktop: bool,
    /// POST each alert to this URL.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_redacted"
    )]
    pub(crate) webhook: Option<String>,
    /// The webhook body: `json`, `slack`, `discord` or `ntfy`.
    pub(crate) format: String,
    /// Run this program (argv, no shell) for each alert.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) command: Vec<String>,
}

impl Default for RawAlerts {
    fn default() -> Self {
        RawAlerts {
            fuel_thresholds: vec![0.25, 0.1],
            on_reset: true,
            on_limit: true,
            desktop: false,
            webhook: None,
            format: "json".to_string(),
            command: Vec::new(),
        }
    }
}

fn serialize_redacted<S: Serializer>(url: &Option<String>, out: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(url) => out.serialize_str(&format!("{}/<redacted>", redacted(url))),
        None => out.serialize_none(),
    }
}

impl RawAlerts {
    /// Checks every key.
    pub(crate) fn resolve(&self) -> Result<AlertSettings, ConfigError> {
        let mut thresholds = Vec::new();
        for &threshold in &self.fuel_thresholds {
            if !(threshold > 0.0 && threshold < 1.0) || thresholds.contains(&threshold) {
                return Err(ConfigError::Invalid {
                    key: "alerts.fuel_thresholds",
                    value: format!("{:?}", self.fuel_thresholds),
                    fix: "list fractions of fuel left, each once and between 0 and 1, e.g. [0.25, 0.1]",
                });
            }
            thresholds.push(threshold);
        }
        thresholds.sort_by(|a, b| b.total_cmp(a));
        let format =
            WebhookFormat::from_name(&self.format).ok_or_else(|| ConfigError::Invalid {
                key: "alerts.format",
                value: format!("{:?}", self.format),
                fix: "use \"json\", \"slack\", \"discord\" or \"ntfy\"",
            })?;
        let webhook = match &self.webhook {
            None => None,
            Some(url) => {
                let is_http = reqwest::Url::parse(url.trim())
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if !is_http {
                    return Err(ConfigError::Invalid {
                        key: "alerts.webhook",
                        value: format!("{:?}", redacted(url)),
                        fix: "use an http(s) URL, e.g. \"https://ntfy.sh/my-topic\"",
                    });
                }
                Some(WebhookSettings {
                    url: Secret::new(url.trim().to_string()),
                    format,
                })
            }
        };
        if self
            .command
            .first()
            .is_some_and(|program| program.trim().is_empty())
        {
            return Err(ConfigError::Invalid {
                key: "alerts.command",
                value: format!("{:?}", self.command),
                fix: "give the program and its arguments, e.g. [\"/usr/local/bin/on-alert\", \"--quiet\"]",
            });
        }
        Ok(AlertSettings {
            rules: AlertRules {
                fuel_thresholds: thresholds,
                is_reset_on: self.on_reset,
                is_limit_on: self.on_limit,
            },
            webhook,
            command: self.command.clone(),
            is_desktop_on: self.desktop,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<AlertSettings, String> {
        let raw: RawAlerts = toml::from_str(text).map_err(|e| e.to_string())?;
        raw.resolve().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_have_two_thresholds_and_no_sink() {
        let settings = resolve("").unwrap();
        assert_eq!(settings.rules.fuel_thresholds, vec![0.25, 0.1]);
        assert!(!settings.has_sinks());
    }

    #[test]
    fn thresholds_are_ordered_highest_first() {
        let settings = resolve("fuel_thresholds = [0.1, 0.5]").unwrap();
        assert_eq!(settings.rules.fuel_thresholds, vec![0.5, 0.1]);
    }

    #[test]
    fn bad_values_name_the_key_and_the_fix() {
        for (text, key) in [
            ("fuel_thresholds = [1.5]", "alerts.fuel_thresholds"),
            ("fuel_thresholds = [0.2, 0.2]", "alerts.fuel_thresholds"),
            ("format = \"teams\"", "alerts.format"),
            ("webhook = \"ftp://example.com/x\"", "alerts.webhook"),
            ("command = [\"\"]", "alerts.command"),
        ] {
            let err = resolve(text).unwrap_err();
            assert!(err.contains(key) && err.contains(": "), "{text}: {err}");
        }
    }

    #[test]
    fn the_webhook_secret_is_never_printed() {
        let text = "webhook = \"https://hooks.slack.com/services/T0/B0/SECRET\"";
        let raw: RawAlerts = toml::from_str(text).unwrap();
        let shown = toml::to_string(&raw).unwrap();
        assert!(
            !shown.contains("SECRET") && shown.contains("hooks.slack.com"),
            "{shown}"
        );
        let settings = raw.resolve().unwrap();
        assert!(!format!("{settings:?}").contains("SECRET"));
        let err = resolve("webhook = \"nope://x/SECRET\"").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
    }
}
