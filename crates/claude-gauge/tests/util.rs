//! Test utilities: a running daemon with its own directories, and an HTTP/SSE client.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

#[path = "../../gauge-daemon/tests/support/common.rs"]
mod common;
pub use common::*;

/// The built binary.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_claude-gauge"))
}

/// Runs `command` with `stdin` written to its standard input (then closed), as Claude Code
/// runs a statusLine command; returns its status and captured output.
pub fn run_with_stdin(command: &mut Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// `command` (the binary, bare or from [`TestDirs::command`]) run as `sim --jsonl
/// --no-boot-sweep --interval-ms 20 ARGS`, each sample it prints parsed on the channel.
pub fn spawn_sim_jsonl<I, S>(mut command: Command, args: I) -> (Child, mpsc::Receiver<Value>)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut child = command
        .args(["sim", "--jsonl", "--no-boot-sweep", "--interval-ms", "20"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn sim");
    let stdout = child.stdout.take().expect("sim stdout");
    let (tx, samples) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str(&line).expect("sim prints JSON lines"));
        }
    });
    (child, samples)
}

/// A daemon started with `serve --listen 127.0.0.1:0`, killed on drop.
pub struct Daemon {
    pub child: Child,
    /// Its HTTP side (`url`, `get_json`, `wait_for`, ...), through `Deref`.
    pub client: DaemonClient,
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
        Daemon::start_with_env(dirs, extra_args, &[])
    }

    /// [`Daemon::start_with`] with more environment variables (e.g. a D-Bus session bus).
    pub fn start_with_env(dirs: TestDirs, extra_args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd = dirs.command();
        cmd.envs(env.iter().copied());
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
            client: DaemonClient { base_url },
            dirs,
            stderr: rx,
            startup_lines,
        }
    }

    /// The stderr lines after the "serving" line, up to and including the first that contains
    /// `needle` (panics after 20 s without one).
    pub fn stderr_until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut lines = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(needle);
                lines.push(line);
                if found {
                    return lines;
                }
            }
        }
        panic!("no {needle:?} in {lines:?}");
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::ops::Deref for Daemon {
    type Target = DaemonClient;
    fn deref(&self) -> &DaemonClient {
        &self.client
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}
