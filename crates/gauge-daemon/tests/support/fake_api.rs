//! A fake Anthropic Messages API on loopback, speaking the streaming format Claude Code expects
//! (the Messages API's server-sent events, <https://docs.anthropic.com/en/api/messages-streaming>),
//! so the real Claude Code CLI runs fully offline in tests.
//!
//! Every request gets its own `request-id` and message id and the configured usage; the fake
//! keeps the sums of what it reported so tests can compare them with what claude-gauge saw.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Router;
use serde_json::{json, Value};

/// How many fakes this test process started.
static INSTANCES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The usage the fake reports for each request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FakeUsage {
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
}

/// What the fake has answered so far.
#[derive(Debug, Default)]
pub struct FakeLog {
    pub requests: u64,
    pub totals: FakeUsage,
    pub models: Vec<String>,
    pub request_ids: Vec<String>,
}

#[derive(Clone)]
struct FakeState {
    usage: FakeUsage,
    /// A tool call (`{"name": ..., "input": {...}}`) to answer a turn with, until the request
    /// carries its result.
    tool: Option<Arc<Value>>,
    /// Which fake of this test process it is (the first is 0).
    instance: u32,
    extra_headers: Arc<HashMap<String, String>>,
    log: Arc<Mutex<FakeLog>>,
}

/// A running fake API; stops when dropped.
pub struct FakeApi {
    pub base_url: String,
    pub log: Arc<Mutex<FakeLog>>,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeApi {
    /// Starts a fake that reports `usage` per request and adds `extra_headers` to every
    /// response (e.g. the `anthropic-ratelimit-unified-*` headers).
    pub async fn start(usage: FakeUsage, extra_headers: &[(&str, String)]) -> FakeApi {
        FakeApi::start_with_tool(usage, extra_headers, None).await
    }

    /// [`FakeApi::start`], answering each prompt first with a call of `tool` (`{"name": "Write",
    /// "input": {...}}`), then, once the request carries the tool's result, with text.
    pub async fn start_with_tool(
        usage: FakeUsage,
        extra_headers: &[(&str, String)],
        tool: Option<Value>,
    ) -> FakeApi {
        let log = Arc::new(Mutex::new(FakeLog::default()));
        let state = FakeState {
            usage,
            tool: tool.map(Arc::new),
            instance: INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            extra_headers: Arc::new(
                extra_headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            log: log.clone(),
        };
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .fallback(any(|| async { (StatusCode::OK, "{}") }))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake api");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeApi {
            base_url,
            log,
            _server: server,
        }
    }

    pub fn totals(&self) -> (u64, FakeUsage) {
        let log = self.log.lock().unwrap();
        (log.requests, log.totals)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self._server.abort();
    }
}

async fn messages(State(state): State<FakeState>, body: axum::body::Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = request["model"]
        .as_str()
        .unwrap_or("claude-sonnet-4-5")
        .to_string();
    let is_stream = request["stream"].as_bool().unwrap_or(false);
    let u = state.usage;
    let n = {
        let mut log = state.log.lock().unwrap();
        log.requests += 1;
        log.totals.input += u.input;
        log.totals.output += u.output;
        log.totals.cache_creation += u.cache_creation;
        log.totals.cache_read += u.cache_read;
        log.models.push(model.clone());
        let n = log.requests;
        log.request_ids
            .push(format!("req_fake{}_{n:06}", state.instance));
        n
    };
    // Each fake has ids of its own, so two fakes in one test never share one.
    let request_id = format!("req_fake{}_{n:06}", state.instance);
    let message_id = format!("msg_fake{}_{n:06}", state.instance);
    let mut headers = HeaderMap::new();
    headers.insert("request-id", HeaderValue::from_str(&request_id).unwrap());
    for (k, v) in state.extra_headers.iter() {
        headers.insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    // As the real API does, cache writes come with their split by lifetime.
    let usage_start = json!({
        "input_tokens": u.input,
        "cache_creation_input_tokens": u.cache_creation,
        "cache_read_input_tokens": u.cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": u.cache_creation, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 1
    });
    if !is_stream {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let message = json!({
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": u.input, "cache_creation_input_tokens": u.cache_creation,
                      "cache_read_input_tokens": u.cache_read, "output_tokens": u.output}
        });
        return (StatusCode::OK, headers, message.to_string()).into_response();
    }
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    // A tool call until the conversation holds its result (the messages-streaming format's
    // tool_use block: the input arrives as `input_json_delta`).
    let has_tool_result = request["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|last| last["content"].as_array())
        .is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "tool_result"));
    let (block, delta, stop_reason) = match &state.tool {
        Some(tool) if !has_tool_result => (
            json!({"type": "tool_use", "id": format!("toolu_fake_{n:06}"),
                   "name": tool["name"], "input": {}}),
            json!({"type": "input_json_delta", "partial_json": tool["input"].to_string()}),
            "tool_use",
        ),
        _ => (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": "Hello from the fake API."}),
            "end_turn",
        ),
    };
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage_start}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": block}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": u.output}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let text: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    (StatusCode::OK, headers, Body::from(text)).into_response()
}

/// The real Claude Code CLI, from `CLAUDE_CODE_BIN` (set by `scripts/test`). `None` with a
/// printed skip line outside CI; a panic in CI, where it must be installed.
pub fn claude_code_bin() -> Option<std::path::PathBuf> {
    match std::env::var_os("CLAUDE_CODE_BIN") {
        Some(path) if std::path::Path::new(&path).exists() => Some(path.into()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CLAUDE_CODE_BIN is not set or missing in CI; scripts/install-test-deps installs Claude Code")
        }
        _ => {
            eprintln!("skipped: CLAUDE_CODE_BIN not set (run scripts/install-test-deps, then scripts/test)");
            None
        }
    }
}
