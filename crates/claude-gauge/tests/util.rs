//! Test utilities: a running daemon with its own directories, and an HTTP/SSE client.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The built binary.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_claude-gauge"))
}

/// A daemon started with `serve --listen 127.0.0.1:0`, killed on drop.
pub struct Daemon {
    pub child: Child,
    pub base_url: String,
    pub dirs: TestDirs,
    /// Every stderr line after the "serving" line.
    pub stderr: mpsc::Receiver<String>,
    /// The stderr lines up to and including the "serving" line.
    pub startup_lines: Vec<String>,
}

/// The directories one test owns.
pub struct TestDirs {
    pub root: TempDir,
}

impl TestDirs {
    pub fn new() -> TestDirs {
        let root = tempfile::tempdir().expect("tempdir");
        for sub in ["claude", "data", "config", "home"] {
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
    pub fn config_file(&self) -> PathBuf {
        self.root.path().join("config").join("config.toml")
    }
    /// A command with every directory pointed into this test's temp dir.
    pub fn command(&self) -> Command {
        let mut cmd = bin();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.root.path().join("home"))
            .env("CLAUDE_CONFIG_DIR", self.claude())
            .env("CLAUDE_GAUGE_CONFIG", self.config_file())
            .env("CLAUDE_GAUGE_LOG", "info");
        cmd
    }
}

impl Daemon {
    pub fn start() -> Daemon {
        Daemon::start_with(TestDirs::new(), &[])
    }

    pub fn start_with(dirs: TestDirs, extra_args: &[&str]) -> Daemon {
        let mut cmd = dirs.command();
        cmd.arg("serve");
        if !extra_args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.arg("--data-dir")
            .arg(dirs.data())
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn claude-gauge");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut startup_lines = Vec::new();
        let base_url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("daemon did not report its address: {startup_lines:?}"));
            startup_lines.push(line.clone());
            if let Some(rest) = line.split("serving http://").nth(1) {
                let addr = rest.split('/').next().expect("addr");
                break format!("http://{addr}");
            }
        };
        Daemon {
            child,
            base_url,
            dirs,
            stderr: rx,
            startup_lines,
        }
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
        let deadline = Instant::now() + timeout;
        loop {
            let frame = self.usage().await;
            if pred(&frame) || Instant::now() > deadline {
                return frame;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Server-Sent Events reader over one `/events` connection.
pub struct Events {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Events {
    pub async fn connect(daemon: &Daemon) -> Events {
        let resp = reqwest::get(daemon.url("/events"))
            .await
            .expect("GET /events");
        assert_eq!(resp.status(), 200);
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ctype.starts_with("text/event-stream"), "{ctype}");
        Events {
            stream: Box::pin(resp.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next frame event's data, parsed.
    pub async fn next_frame(&mut self, timeout: Duration) -> Option<Value> {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let event: String = self.buf.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.trim_start())
                    .collect();
                if !data.is_empty() {
                    return Some(serde_json::from_str(&data).expect("frame json"));
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??
                .ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Validates a frame against docs/frame.schema.json.
pub fn assert_valid_frame(frame: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("../../../docs/frame.schema.json")).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(frame)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "frame {frame} fails the schema: {errors:?}"
    );
}

pub fn lamps(frame: &Value) -> Vec<String> {
    frame["lamps"]
        .as_array()
        .expect("lamps")
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

pub fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}
