//! gauge-daemon: the claude-gauge daemon as a library.
//!
//! It reads Claude Code's usage from every source a user may have (local JSONL transcripts, the
//! statusLine feed, Claude Code's OpenTelemetry export, the OAuth usage endpoint, a Prometheus),
//! keeps it in a SQLite ledger, turns it into one small [`gauge_core::Frame`] and serves it to
//! clusters over HTTP (`/usage`, `/events`), USB serial and a web page.
//!
//! ```no_run
//! # async fn run(settings: gauge_daemon::DaemonSettings) -> Result<(), gauge_daemon::StartError> {
//! let (progress, _) = tokio::sync::watch::channel(gauge_daemon::ScanProgress::default());
//! let mut daemon = gauge_daemon::Daemon::start(settings, progress).await?;
//! println!("serving http://{}/", daemon.http_addr());
//! let _report = daemon.startup_report().await;
//! daemon.shutdown();
//! daemon.stopped().await;
//! # Ok(()) }
//! ```
//!
//! The flow, one way, each arrow a channel:
//! sources → ledger → engine (state, then frame) → transports.
//! - `sources/`: readers of each input (`transcripts/`, `statusline.rs`, `otlp/`, `oauth/`,
//!   `prometheus/`), each `Settings -> runtime -> run(self, out, shutdown)`, writing only to
//!   `sources::Out`;
//! - `ledger/`: dedup across sources, the durable SQLite store, and the way into the engine;
//! - `limits/`: pure fuel, rate and history computations the engine calls;
//! - `engine/`: the live state and the frame builder, publishing frames on a watch channel;
//! - `serve/` (HTTP), `serial/` (USB serial), `alerts/` (notices): the transports;
//! - `access/`: what every listener checks first (Host, Origin, the token) and its connection
//!   bounds; `mirror/`: Claude Code's own metrics for `/metrics`; `mdns.rs`: the advertisement;
//! - `readings.rs`, `clock.rs`, `secret.rs`, `stats.rs`: the vocabulary the modules share;
//! - `daemon/`: the wiring: [`Daemon::start`] and [`RunningDaemon`].
//!
//! The command line (`crates/claude-gauge`) resolves files, environment and flags into
//! [`DaemonSettings`], handles signals and prints; nothing here reads the environment or a
//! config file.
//!
//! Must never: listen beyond loopback unless its settings say so; log tokens, prompts or file
//! contents; change a user's Claude files.

#![deny(missing_docs)]

mod access;
mod alerts;
mod clock;
mod daemon;
mod engine;
mod ledger;
mod limits;
mod mdns;
mod mirror;
mod readings;
mod secret;
mod serial;
mod serve;
mod sources;
mod stats;

// The daemon and its settings.
pub use daemon::{Daemon, DaemonSettings, Listening, RunningDaemon, StartError, StartupReport};
pub use sources::ScanProgress;

// Each module's own settings type, composed by `DaemonSettings`.
pub use access::AccessSettings;
pub use alerts::{AlertRules, AlertSettings, WebhookFormat, WebhookSettings};
pub use engine::{FrameSettings, LampThresholds, TokenLimits};
pub use serial::SerialSettings;
pub use serve::ServeSettings;
pub use sources::oauth::OauthSettings;
pub use sources::otlp::OtlpSettings;
pub use sources::prometheus::{PrometheusAuth, PrometheusSettings};
pub use sources::transcripts::TranscriptConfig;

// What the clients read: the limits report (`/limits`), the startup summary, the store's
// requests (the reports' history) and machines (`/stats`).
pub use engine::{
    FuelSummary, LimitOrigin, LimitsReport, ScopedReport, StartupSummary, TachSummary, Unknown,
};
pub use ledger::{read_requests, read_requests_by_machine, MachineUsage, STORE_FILE};
pub use readings::{message_fingerprint, Origin, SourceKind, TokenCounts, UsageEvent};

// The shared vocabulary of daemon and clients: the token, the serial link, the statusLine rule,
// Claude Code's telemetry settings, the mDNS service.
pub use access::{load_or_create_token, read_token, TOKEN_FILE};
pub use alerts::redacted;
pub use clock::{unix_now_ms, unix_now_secs};
pub use mdns::SERVICE_TYPE as MDNS_SERVICE_TYPE;
pub use secret::Secret;
pub use serial::{baud_rate, Port, SetupClient, VirtualPort, DEFAULT_BAUD, REOPEN_INTERVAL};
pub use sources::otlp::{claude_code_env, this_machine_name, ExportProtocol};
pub use sources::statusline::{clamp_percentage, StatuslineSpend, SPEND_LIMIT_KEY};
