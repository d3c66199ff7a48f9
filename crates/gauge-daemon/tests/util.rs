//! The in-process daemon of these tests: [`TestDaemon::start`] runs a [`Daemon`] on the test's
//! own tokio runtime, on `127.0.0.1:0`, with its own temp dirs and a real SQLite file, and
//! [`default_settings`] gives the settings `claude-gauge serve` resolves from an empty config
//! (`crates/claude-gauge/src/config/raw.rs`), pointed at those dirs.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gauge_daemon::{
    AccessSettings, AlertRules, AlertSettings, Daemon, DaemonSettings, FrameSettings,
    LampThresholds, OauthSettings, RunningDaemon, ScanProgress, ServeSettings, TokenLimits,
    TranscriptConfig,
};
use serde_json::Value;
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
    let reserve = f64::from(gauge_core::FUEL_RESERVE_BP) / 10_000.0;
    DaemonSettings {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dirs.data(),
        frame: FrameSettings {
            lamps: LampThresholds {
                redline_tokens_per_min: gauge_core::TACH_REDLINE_PER_MIN,
                warn_fuel_5h: reserve,
                warn_fuel_7d: reserve,
                idle_after: Duration::from_secs(300),
                run_out_margin_5h: Duration::from_secs(300),
                run_out_margin_7d: Duration::from_secs(3600),
            },
            token_limits: TokenLimits {
                tokens_5h: None,
                tokens_7d: None,
            },
            official_stale_after: Duration::from_secs(600),
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
    pub base_url: String,
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
            base_url,
            dirs,
        }
    }

    /// The running daemon (its addresses).
    pub fn daemon(&self) -> &RunningDaemon {
        self.running.as_ref().expect("the daemon runs")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        reqwest::get(self.url(path))
            .await
            .expect("GET")
            .json()
            .await
            .expect("json")
    }

    pub async fn usage(&self) -> Value {
        self.get_json("/usage").await
    }

    /// Polls `/usage` until `pred` holds or `timeout` passes; returns the last frame.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.poll_json("/usage", timeout, pred).await
    }

    /// Polls `/stats` until `pred` holds or `timeout` passes; returns the last answer.
    pub async fn wait_stats(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.poll_json("/stats", timeout, pred).await
    }

    /// Polls `path` until `pred` holds or `timeout` passes; returns the last answer.
    pub async fn poll_json(
        &self,
        path: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.get_json(path).await;
            if pred(&answer) || Instant::now() > deadline {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An `/events` connection.
    pub async fn events(&self) -> Events {
        Events::connect_url(&self.url("/events")).await
    }

    /// Stops the daemon and waits for it: every task ends and the store commits what it holds.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stopped().await;
        }
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.shutdown();
        }
    }
}
