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
        self.poll_json("/usage", timeout, pred).await
    }

    /// Polls `/stats` until `pred` holds or `timeout` passes; returns the last answer.
    pub async fn wait_stats(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.poll_json("/stats", timeout, pred).await
    }

    async fn poll_json(
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

/// One assistant transcript line as Claude Code writes it, with usage.
pub fn assistant_line(request_id: &str, at: &str, model: &str, input: u64, output: u64) -> String {
    serde_json::json!({
        "parentUuid": null,
        "isSidechain": false,
        "userType": "external",
        "cwd": "/work/project",
        "sessionId": "3f0c2a4e-1111-4a5b-9c1d-000000000001",
        "version": "2.1.330",
        "type": "assistant",
        "uuid": format!("u-{request_id}"),
        "timestamp": at,
        "requestId": request_id,
        "message": {
            "id": format!("msg_{request_id}"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "Done: \"quoted\" and \\ escaped"}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": input,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 100,
                "output_tokens": output
            }
        }
    })
    .to_string()
}

/// Now as an RFC 3339 UTC timestamp with milliseconds, offset by `delta_ms`.
pub fn timestamp_now(delta_ms: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let ms = now.as_millis() as i64 + delta_ms;
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// Howard Hinnant's days-to-civil.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Appends `text` to `path` (creating it and its directories).
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}
