//! The config file as written: serde types that reject unknown keys, with their defaults.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::alerts::RawAlerts;
use super::prometheus::RawPrometheus;
use super::ConfigError;
use gauge_daemon::OtlpSettings;
use gauge_daemon::{FrameSettings, LampThresholds, TokenLimits};

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawConfig {
    /// `[server]`.
    pub(crate) server: RawServer,
    /// `[lamps]`.
    pub(crate) lamps: RawLamps,
    /// `[limits]`.
    pub(crate) limits: RawLimits,
    /// `[transcripts]`.
    pub(crate) transcripts: RawTranscripts,
    /// `[official]`.
    pub(crate) official: RawOfficial,
    /// `[otlp]`.
    pub(crate) otlp: RawOtlp,
    /// `[prometheus]`: present only when that source is wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prometheus: Option<RawPrometheus>,
    /// `[oauth]`.
    pub(crate) oauth: RawOauth,
    /// `[alerts]` (docs/alerts.md).
    pub(crate) alerts: RawAlerts,
}

impl RawConfig {
    /// Parses TOML text; the error names the key and the line.
    pub(crate) fn parse(text: &str) -> Result<RawConfig, String> {
        toml::from_str(text).map_err(|err| err.to_string().trim_end().replace('\n', " "))
    }

    /// The effective configuration as TOML, for `config show`.
    pub(crate) fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|err| format!("# cannot render: {err}\n"))
    }
}

/// `[server]`: where the daemon listens and keeps its store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawServer {
    /// HTTP listen address. Anything but loopback exposes usage aggregates to the network.
    pub(crate) listen: String,
    /// The durable store's directory (default: the platform data dir).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Host names answered besides loopback and, beyond loopback, this machine's own names and
    /// addresses (docs/protocol.md, "Access").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) allowed_hosts: Vec<String>,
    /// Reads (`/usage`, `/events`, the page) need the token too, as writes do beyond loopback.
    pub(crate) read_token: bool,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: default_listen(),
            data_dir: None,
            allowed_hosts: Vec::new(),
            read_token: false,
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8765".to_string()
}

/// `[lamps]`: when the annunciators light.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawLamps {
    /// `HOT` at or over this many tokens per minute.
    pub(crate) redline_tokens_per_min: u32,
    /// `WARN_5H` when 5-hour fuel is under this fraction (0..1).
    pub(crate) warn_fuel_5h: f64,
    /// `WARN_7D` when 7-day fuel is under this fraction (0..1).
    pub(crate) warn_fuel_7d: f64,
    /// `IDLE` after this many seconds without a request.
    pub(crate) idle_after_secs: u64,
    /// `WARN_5H` also when the 5-hour fuel runs out (at the recent burn rate) at least this many
    /// seconds before its reset.
    pub(crate) warn_run_out_margin_5h_secs: u64,
    /// `WARN_7D` also when the 7-day fuel runs out at least this many seconds before its reset.
    pub(crate) warn_run_out_margin_7d_secs: u64,
}

impl Default for RawLamps {
    /// The daemon's own defaults (`LampThresholds::default`), as the file writes them.
    fn default() -> Self {
        let lamps = LampThresholds::default();
        RawLamps {
            redline_tokens_per_min: lamps.redline_tokens_per_min,
            warn_fuel_5h: lamps.warn_fuel_5h,
            warn_fuel_7d: lamps.warn_fuel_7d,
            idle_after_secs: lamps.idle_after.as_secs(),
            warn_run_out_margin_5h_secs: lamps.run_out_margin_5h.as_secs(),
            warn_run_out_margin_7d_secs: lamps.run_out_margin_7d.as_secs(),
        }
    }
}

impl RawLamps {
    pub(super) fn validate(&self) -> Result<LampThresholds, ConfigError> {
        let fraction = |key: &'static str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(value)
            } else {
                Err(ConfigError::Invalid {
                    key,
                    value: value.to_string(),
                    fix: "use a fraction from 0 to 1, e.g. 0.2",
                })
            }
        };
        if self.redline_tokens_per_min == 0 {
            return Err(ConfigError::Invalid {
                key: "lamps.redline_tokens_per_min",
                value: "0".into(),
                fix: "use a positive token rate, e.g. 40000",
            });
        }
        Ok(LampThresholds {
            redline_tokens_per_min: self.redline_tokens_per_min,
            warn_fuel_5h: fraction("lamps.warn_fuel_5h", self.warn_fuel_5h)?,
            warn_fuel_7d: fraction("lamps.warn_fuel_7d", self.warn_fuel_7d)?,
            idle_after: std::time::Duration::from_secs(self.idle_after_secs),
            run_out_margin_5h: std::time::Duration::from_secs(self.warn_run_out_margin_5h_secs),
            run_out_margin_7d: std::time::Duration::from_secs(self.warn_run_out_margin_7d_secs),
        })
    }
}

/// `[limits]`: the token limits behind the fuel estimate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawLimits {
    /// `auto` (learn from history and official data), `pro`, `max5` or `max20`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) plan: Option<String>,
    /// The 5-hour limit in input + output tokens; overrides the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tokens_5h: Option<u64>,
    /// The 7-day limit in input + output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tokens_7d: Option<u64>,
}

/// The plan presets: the 5-hour token limits the peers publish (claude-monitor's `plans.py`).
pub(crate) const PLAN_PRESETS: [(&str, u64); 3] =
    [("pro", 19_000), ("max5", 88_000), ("max20", 220_000)];

impl RawLimits {
    pub(super) fn resolve(&self) -> Result<TokenLimits, ConfigError> {
        let preset = match self.plan.as_deref() {
            None | Some("auto") => None,
            Some(name) => Some(
                PLAN_PRESETS
                    .iter()
                    .find(|(preset, _)| *preset == name)
                    .map(|(_, tokens)| *tokens)
                    .ok_or_else(|| ConfigError::Invalid {
                        key: "limits.plan",
                        value: format!("{name:?}"),
                        fix: "use one of \"auto\", \"pro\", \"max5\", \"max20\", or set limits.tokens_5h",
                    })?,
            ),
        };
        for (key, value) in [
            ("limits.tokens_5h", self.tokens_5h),
            ("limits.tokens_7d", self.tokens_7d),
        ] {
            if value == Some(0) {
                return Err(ConfigError::Invalid {
                    key,
                    value: "0".into(),
                    fix: "use a positive token count",
                });
            }
        }
        Ok(TokenLimits {
            tokens_5h: self.tokens_5h.or(preset),
            tokens_7d: self.tokens_7d,
        })
    }
}

/// `[transcripts]`: the local JSONL source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawTranscripts {
    /// Read Claude Code's transcripts.
    pub(crate) enabled: bool,
    /// Claude config directories (comma list); default: `CLAUDE_CONFIG_DIR`, then
    /// `~/.config/claude` and `~/.claude`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) claude_config_dir: Option<String>,
}

impl Default for RawTranscripts {
    fn default() -> Self {
        RawTranscripts {
            enabled: true,
            claude_config_dir: None,
        }
    }
}

/// `[official]`: Claude's own percentages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawOfficial {
    /// An official sample older than this many seconds is stale.
    pub(crate) stale_after_secs: u64,
}

impl Default for RawOfficial {
    fn default() -> Self {
        RawOfficial {
            stale_after_secs: FrameSettings::DEFAULT_OFFICIAL_STALE_AFTER.as_secs(),
        }
    }
}

/// `[otlp]`: the OpenTelemetry receivers for Claude Code's own export (docs/otlp.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawOtlp {
    /// Run the receivers (also turned on by `serve --otlp`).
    pub(crate) enabled: bool,
    /// OTLP/HTTP address; `""` for no HTTP receiver.
    pub(crate) http_listen: String,
    /// OTLP/gRPC address; `""` for no gRPC receiver.
    pub(crate) grpc_listen: String,
    /// The largest export accepted as sent, bytes.
    pub(crate) max_body_bytes: usize,
    /// The largest export accepted after gzip decompression, bytes.
    pub(crate) max_decompressed_bytes: usize,
    /// How long metrics wait for the same session's events before they move the tach, ms.
    pub(crate) metrics_hold_ms: u64,
}

impl Default for RawOtlp {
    fn default() -> Self {
        RawOtlp {
            enabled: false,
            http_listen: OtlpSettings::DEFAULT_HTTP_LISTEN.to_string(),
            grpc_listen: OtlpSettings::DEFAULT_GRPC_LISTEN.to_string(),
            max_body_bytes: OtlpSettings::DEFAULT_MAX_BODY_BYTES,
            max_decompressed_bytes: OtlpSettings::DEFAULT_MAX_DECOMPRESSED_BYTES,
            metrics_hold_ms: OtlpSettings::DEFAULT_METRICS_HOLD_MS,
        }
    }
}

/// `[oauth]`: the opt-in poller of Claude's OAuth usage endpoint (docs/official-limits.md, "The
/// OAuth poller").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawOauth {
    /// Poll `GET /api/oauth/usage` with the Claude Code login's token. Off by default: the
    /// endpoint is undocumented and its tokens are meant for Claude Code itself.
    pub(crate) enabled: bool,
    /// The API's base URL (tests point it at a local mock).
    pub(crate) base_url: String,
    /// Seconds between polls; at least 180 (the budget is shared with Claude Code).
    pub(crate) interval_secs: u64,
    /// The Claude Code version sent as `User-Agent: claude-code/<version>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) claude_code_version: Option<String>,
    /// The credentials file (default: `.credentials.json` in the Claude config dir).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) credentials_file: Option<PathBuf>,
}

/// The shortest poll interval the endpoint tolerates: its budget is shared with Claude Code
/// itself (docs/official-limits.md, "The OAuth poller").
pub(crate) const MIN_OAUTH_INTERVAL_SECS: u64 = 180;

impl Default for RawOauth {
    fn default() -> Self {
        RawOauth {
            enabled: false,
            base_url: "https://api.anthropic.com".to_string(),
            interval_secs: MIN_OAUTH_INTERVAL_SECS,
            claude_code_version: None,
            credentials_file: None,
        }
    }
}

/// The commented file `config init` writes; it parses to the defaults.
pub(crate) fn default_file_text() -> String {
    r#"# claude-gauge configuration. Every key is optional; the values shown are the defaults.
# Environment variables override this file, and flags override both.

[server]
# HTTP address of /usage, /events and the web page. Anything but loopback exposes
# usage aggregates to your network.
listen = "127.0.0.1:8765"
# data_dir = "/path/to/store"   # default: the platform data directory
# Beyond loopback every write needs the token (`claude-gauge token`); this asks it of reads too.
read_token = false
# allowed_hosts = ["gauge.example.lan"]  # more names of this machine to answer to

[lamps]
redline_tokens_per_min = 40000  # HOT at or over this tach reading
warn_fuel_5h = 0.2              # WARN_5H under this much 5-hour fuel
warn_fuel_7d = 0.2              # WARN_7D under this much 7-day fuel
idle_after_secs = 300           # IDLE after this long without a request
warn_run_out_margin_5h_secs = 300   # WARN_5H also when 5-hour fuel runs out this long before its reset
warn_run_out_margin_7d_secs = 3600  # WARN_7D also when 7-day fuel runs out this long before its reset

[limits]
# plan = "auto"        # auto (learn), pro, max5, max20
# tokens_5h = 88000    # 5-hour limit in input + output tokens
# tokens_7d = 2000000  # 7-day limit in input + output tokens

[transcripts]
enabled = true
# claude_config_dir = "~/.claude"  # default: CLAUDE_CONFIG_DIR, ~/.config/claude, ~/.claude

[official]
stale_after_secs = 600  # Claude's own percentages count as fresh this long

[otlp]
# Receive Claude Code's own OpenTelemetry export (docs/otlp.md); `serve --otlp` also turns it on.
enabled = false
http_listen = "127.0.0.1:4318"     # "" for no HTTP receiver
grpc_listen = "127.0.0.1:4317"     # "" for no gRPC receiver
max_body_bytes = 4194304           # the largest export as sent
max_decompressed_bytes = 16777216  # the largest export after gzip
metrics_hold_ms = 10000             # how long metrics wait for the same session's events before moving the tach

# Read usage from a Prometheus instead (team mode; see docs/prometheus.md). Uncomment to enable.
# [prometheus]
# url = "http://127.0.0.1:9090"
# selector = 'user_email="me@example.com"'  # empty: everyone (a team gauge)
# interval_secs = 5
# timeout_secs = 4
# bearer_token_file = "/path/to/token"       # or username + password_file
[oauth]
# Poll Claude's OAuth usage endpoint with your Claude Code login (read-only; the token is never
# refreshed or written). Off by default; also `serve --oauth-usage`.
enabled = false
base_url = "https://api.anthropic.com"
interval_secs = 180               # at least 180
# claude_code_version = "2.1.330" # sent as User-Agent: claude-code/<version>
# credentials_file = "~/.claude/.credentials.json"

[alerts]
# Say when fuel falls to a threshold, a window resets or the usage limit is reached
# (docs/alerts.md). Nothing is sent until a sink is set: desktop, webhook or command.
fuel_thresholds = [0.25, 0.1]  # fractions of fuel left, for the 5-hour and the 7-day window
on_reset = true
on_limit = true
desktop = false                # desktop notifications (D-Bus on Linux, macOS's notification centre)
# webhook = "https://ntfy.sh/my-topic"  # POST each alert here
format = "json"                # the webhook body: json, slack, discord or ntfy
# command = ["/usr/local/bin/on-claude-alert"]  # argv, no shell; the alert as JSON on stdin
"#
    .to_string()
}
