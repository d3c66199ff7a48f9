//! Test helpers shared by the daemon's in-process tests and the binary's process tests (which
//! include this file with `#[path]`): an SSE reader, frame checks, transcript lines, time stamps.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// What a test asks of a running daemon over HTTP, whichever way it was started (in this
/// process, or as the binary): its URLs, its JSON answers, polls until a condition holds.
pub struct DaemonClient {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
}

impl DaemonClient {
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
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let answer = self.get_json(path).await;
            if pred(&answer) || std::time::Instant::now() > deadline {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An `/events` connection.
    pub async fn events(&self) -> Events {
        Events::connect_url(&self.url("/events")).await
    }
}

/// A Server-Sent Events reader over one `/events` connection.
pub struct Events {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Events {
    pub async fn connect_url(url: &str) -> Events {
        let resp = reqwest::get(url).await.expect("GET /events");
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
    let schema: Value = serde_json::from_str(include_str!("../../../../docs/frame.schema.json"))
        .expect("schema json");
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
