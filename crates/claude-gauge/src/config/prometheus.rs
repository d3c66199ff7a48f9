//! `[prometheus]`: the Prometheus usage source as written in the file, and its resolution into
//! [`PrometheusSettings`] (URL checked, secrets read from their files, durations made).
//!
//! Secrets never leave this module in a printable form: [`Secret`]'s `Debug` is redacted, and the
//! raw secret keys are skipped when `config show` prints the file back.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use gauge_daemon::Secret;
use gauge_daemon::{PrometheusAuth, PrometheusSettings};

/// `[prometheus]` as written. Its presence (or `serve --prometheus URL`) turns the source on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrometheus {
    /// Base URL of the Prometheus HTTP API (any PromQL engine: Prometheus, Mimir, Thanos,
    /// VictoriaMetrics), e.g. `http://127.0.0.1:9090`.
    #[serde(default)]
    pub(crate) url: String,
    /// Label matchers that pick whose usage this gauge shows, PromQL syntax without braces, e.g.
    /// `user_email="me@example.com"`; empty means everyone (a team gauge).
    #[serde(default)]
    pub(crate) selector: String,
    /// Seconds between polls.
    #[serde(default = "default_interval_secs")]
    pub(crate) interval_secs: u64,
    /// Seconds one poll may take before it counts as a failure.
    #[serde(default = "default_timeout_secs")]
    pub(crate) timeout_secs: u64,
    /// A bearer token sent as `Authorization: Bearer …`. Prefer `bearer_token_file`.
    #[serde(default, skip_serializing)]
    pub(crate) bearer_token: Option<String>,
    /// A file holding the bearer token (surrounding whitespace is trimmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bearer_token_file: Option<PathBuf>,
    /// The basic-auth user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    /// The basic-auth password. Prefer `password_file`.
    #[serde(default, skip_serializing)]
    pub(crate) password: Option<String>,
    /// A file holding the basic-auth password (surrounding whitespace is trimmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) password_file: Option<PathBuf>,
}

/// The longest poll interval: readings must stay fresh (30 s) between polls.
const MAX_INTERVAL_SECS: u64 = 15;
/// The longest poll timeout.
const MAX_TIMEOUT_SECS: u64 = 10;

fn default_interval_secs() -> u64 {
    5
}

fn default_timeout_secs() -> u64 {
    4
}

impl RawPrometheus {
    /// The section with only a URL, as `--prometheus URL` gives it.
    pub(crate) fn with_url(url: String) -> RawPrometheus {
        RawPrometheus {
            url,
            selector: String::new(),
            interval_secs: default_interval_secs(),
            timeout_secs: default_timeout_secs(),
            bearer_token: None,
            bearer_token_file: None,
            username: None,
            password: None,
            password_file: None,
        }
    }

    /// Checks every key and reads the secret files.
    pub(super) fn resolve(&self) -> Result<PrometheusSettings, ConfigError> {
        let url = parse_url(&self.url)?;
        let selector = self.selector.trim().to_string();
        if selector.contains(['{', '}']) {
            return Err(ConfigError::Invalid {
                key: "prometheus.selector",
                value: format!("{:?}", self.selector),
                fix: "write the matchers without braces, e.g. user_email=\"me@example.com\"",
            });
        }
        // A poll plus its timeout must fit in the 30 s the engine waits before STALL.
        for (key, value, max, fix) in [
            (
                "prometheus.interval_secs",
                self.interval_secs,
                MAX_INTERVAL_SECS,
                "use 1 to 15 seconds (default 5)",
            ),
            (
                "prometheus.timeout_secs",
                self.timeout_secs,
                MAX_TIMEOUT_SECS,
                "use 1 to 10 seconds (default 4)",
            ),
        ] {
            if !(1..=max).contains(&value) {
                return Err(ConfigError::Invalid {
                    key,
                    value: value.to_string(),
                    fix,
                });
            }
        }
        Ok(PrometheusSettings {
            url,
            selector,
            interval: Duration::from_secs(self.interval_secs),
            timeout: Duration::from_secs(self.timeout_secs),
            auth: self.auth()?,
        })
    }

    fn auth(&self) -> Result<PrometheusAuth, ConfigError> {
        let bearer = secret(
            "prometheus.bearer_token",
            &self.bearer_token,
            &self.bearer_token_file,
        )?;
        let password = secret("prometheus.password", &self.password, &self.password_file)?;
        match (bearer, &self.username, password) {
            (None, None, None) => Ok(PrometheusAuth::None),
            (Some(token), None, None) => Ok(PrometheusAuth::Bearer(token)),
            (None, Some(username), password) => Ok(PrometheusAuth::Basic {
                username: username.clone(),
                password,
            }),
            (None, None, Some(_)) => Err(ConfigError::Invalid {
                key: "prometheus.password",
                value: "(set)".into(),
                fix: "set prometheus.username too, or remove the password",
            }),
            (Some(_), _, _) => Err(ConfigError::Invalid {
                key: "prometheus.bearer_token",
                value: "(set)".into(),
                fix: "use either a bearer token or username/password, not both",
            }),
        }
    }
}

fn parse_url(text: &str) -> Result<reqwest::Url, ConfigError> {
    let invalid = |fix| ConfigError::Invalid {
        key: "prometheus.url",
        value: format!("{text:?}"),
        fix,
    };
    let url = reqwest::Url::parse(text.trim())
        .map_err(|_| invalid("use the server's base URL, e.g. \"http://127.0.0.1:9090\""))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("use an http:// or https:// URL"));
    }
    // Credentials in the URL would end up in error messages and logs.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "remove the credentials from the URL; set prometheus.username and password_file",
        ));
    }
    Ok(url)
}

/// One secret from its inline key or its file; both set is an error.
fn secret(
    key: &'static str,
    inline: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<Secret>, ConfigError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid {
            key,
            value: "(set twice)".into(),
            fix: "set the value or its _file key, not both",
        }),
        (Some(value), None) => Ok(Some(Secret::new(value.trim().to_string()))),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|text| Some(Secret::new(text.trim().to_string())))
            .map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            }),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: &str) -> RawPrometheus {
        RawPrometheus::with_url(url.to_string())
    }

    #[test]
    fn url_must_be_http_without_credentials() {
        assert!(raw("http://127.0.0.1:9090").resolve().is_ok());
        for bad in ["", "127.0.0.1:9090", "ftp://x", "http://u:p@host:9090"] {
            let err = raw(bad).resolve().unwrap_err().to_string();
            assert!(err.contains("prometheus.url"), "{bad}: {err}");
        }
    }

    #[test]
    fn interval_and_timeout_fit_the_stall_window() {
        let mut r = raw("http://h:9090");
        r.interval_secs = 60;
        assert!(r.resolve().unwrap_err().to_string().contains("1 to 15"));
        r.interval_secs = 1;
        r.timeout_secs = 0;
        assert!(r
            .resolve()
            .unwrap_err()
            .to_string()
            .contains("timeout_secs"));
    }

    #[test]
    fn selector_without_braces() {
        let mut r = raw("http://h:9090");
        r.selector = "{user_email=\"a\"}".into();
        assert!(r.resolve().unwrap_err().to_string().contains("braces"));
        r.selector = " user_email=\"a\" ".into();
        assert_eq!(r.resolve().unwrap().selector, "user_email=\"a\"");
    }

    #[test]
    fn auth_kinds_and_conflicts() {
        let mut r = raw("http://h:9090");
        r.bearer_token = Some("s3cret".into());
        let auth = r.resolve().unwrap().auth;
        assert_eq!(auth, PrometheusAuth::Bearer(Secret::new("s3cret".into())));
        assert!(!format!("{auth:?}").contains("s3cret"));
        r.username = Some("me".into());
        assert!(r.resolve().is_err());
        r.bearer_token = None;
        r.password = Some("pw".into());
        assert!(matches!(
            r.resolve().unwrap().auth,
            PrometheusAuth::Basic {
                password: Some(_),
                ..
            }
        ));
        r.username = None;
        assert!(r.resolve().is_err());
    }

    #[test]
    fn secrets_are_not_printed_back() {
        let mut r = raw("http://h:9090");
        r.bearer_token = Some("s3cret".into());
        let text = toml::to_string(&r).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
    }
}
