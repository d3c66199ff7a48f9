//! The in-process daemon of these tests: [`TestDaemon::start`] runs a [`Daemon`] on the test's
//! own tokio runtime, on `127.0.0.1:0`, with its own temp dirs and a real SQLite file, and
//! [`default_settings`] gives the settings `claude-gauge serve` resolves from an empty config
//! (`crates/claude-gauge/src/config/raw.rs`), pointed at those dirs.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use gauge_daemon::{
    AccessSettings, AlertRules, AlertSettings, Daemon, DaemonSettings, FrameSettings,
    LampThresholds, OauthSettings, RunningDaemon, ScanProgress, ServeSettings, TokenLimits,
    TranscriptConfig,
};
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
pub use common::*;

/// The directories one test owns: `claude/` (a Claude config dir), `data/`, `home/`.
pub struct TestDirs {
    pub root: TempDir,
}

impl TestDirs {
    pub fn new() -> TestDirs {
        let root = tempfile::tempdir().expect("tempdir");
        for sub in ["claude", "data", "home"] {
            std::fs::create_dir_all(root.path().join(sub)).expect("mkdir");
        }
        TestDirs { root }
    }
    pub fn claude(&self) -> PathBuf {
        self.root.path().join("claude")
    }
    pub fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }
    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
}

/// The settings `claude-gauge serve --listen 127.0.0.1:0` resolves from an empty config file,
/// with the transcripts, the data dir and the credentials in `dirs`.
pub fn default_settings(dirs: &TestDirs) -> DaemonSettings {
    DaemonSettings {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dirs.data(),
        frame: FrameSettings {
            lamps: LampThresholds::default(),
            token_limits: TokenLimits {
                tokens_5h: None,
                tokens_7d: None,
            },
            official_stale_after: FrameSettings::DEFAULT_OFFICIAL_STALE_AFTER,
            tick: FrameSettings::DEFAULT_TICK,
        },
        transcripts: Some(TranscriptConfig::new(vec![dirs.claude()])),
        otlp: None,
        serial: None,
        prometheus: None,
        oauth: OauthSettings {
            enabled: false,
            base_url: "https://api.anthropic.com".to_string(),
            interval: Duration::from_secs(180),
            credentials_file: dirs.claude().join(".credentials.json"),
            env_token: None,
            user_agent: "claude-code/2.1.330".to_string(),
        },
        alerts: AlertSettings {
            rules: AlertRules {
                fuel_thresholds: vec![0.25, 0.1],
                is_reset_on: true,
                is_limit_on: true,
            },
            webhook: None,
            command: Vec::new(),
            is_desktop_on: false,
        },
        access: AccessSettings {
            is_beyond_loopback: false,
            extra_hosts: Vec::new(),
            is_read_protected: false,
            token_file: dirs.data().join(gauge_daemon::TOKEN_FILE),
        },
        serve: ServeSettings::default(),
        startup_poll: DaemonSettings::DEFAULT_STARTUP_POLL,
    }
}

/// A daemon running in this process; stopped (and its store flushed) by [`TestDaemon::stop`],
/// or cancelled on drop.
pub struct TestDaemon {
    pub running: Option<RunningDaemon>,
    /// Its HTTP side (`url`, `get_json`, `wait_for`, ...), through `Deref`.
    pub client: DaemonClient,
    pub dirs: TestDirs,
}

impl TestDaemon {
    /// A daemon with [`default_settings`] in fresh dirs.
    pub async fn start() -> TestDaemon {
        TestDaemon::start_with(TestDirs::new(), |_| {}).await
    }

    /// A daemon in `dirs`, with [`default_settings`] changed by `change`.
    pub async fn start_with(
        dirs: TestDirs,
        change: impl FnOnce(&mut DaemonSettings),
    ) -> TestDaemon {
        let mut settings = default_settings(&dirs);
        change(&mut settings);
        TestDaemon::start_settings(dirs, settings).await
    }

    /// A daemon in `dirs` with exactly `settings`.
    pub async fn start_settings(dirs: TestDirs, settings: DaemonSettings) -> TestDaemon {
        let (progress, _) = tokio::sync::watch::channel(ScanProgress::default());
        let running = Daemon::start(settings, progress)
            .await
            .expect("the daemon starts");
        let base_url = format!("http://{}", running.http_addr());
        TestDaemon {
            running: Some(running),
            client: DaemonClient { base_url },
            dirs,
        }
    }

    /// The running daemon (its addresses).
    pub fn daemon(&self) -> &RunningDaemon {
        self.running.as_ref().expect("the daemon runs")
    }

    /// Stops the daemon and waits for it: every task ends and the store commits what it holds.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stopped().await;
        }
    }
}

impl std::ops::Deref for TestDaemon {
    type Target = DaemonClient;
    fn deref(&self) -> &DaemonClient {
        &self.client
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.shutdown();
        }
    }
}
