//! A fake Anthropic Messages API on 127.0.0.1:0 for driving the real Claude Code CLI: every
//! `POST /v1/messages` gets a streamed answer (spec section 7) with distinct, known usage and a
//! unique `request-id`; the fake adds up what it reported.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The usage of one answered request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
}

impl Reported {
    /// Input + output + cache creation: what the tach counts.
    pub fn tach(&self) -> u64 {
        self.input + self.output + self.cache_creation
    }
}

#[derive(Default)]
struct Ledger {
    answered: Vec<(String, Reported)>,
}

#[derive(Clone)]
pub struct FakeApi {
    pub base_url: String,
    ledger: Arc<Mutex<Ledger>>,
    prefix: String,
}

impl FakeApi {
    pub async fn start() -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let fake = FakeApi {
            base_url: format!("http://{addr}"),
            ledger: Arc::default(),
            prefix: format!("req_fake_{}_{}", std::process::id(), nanos % 1_000_000_000),
        };
        let app = Router::new()
            .route("/v1/messages", post(messages_post))
            .fallback(|| async { StatusCode::OK })
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// Every request answered so far: request id and usage.
    pub fn answered(&self) -> Vec<(String, Reported)> {
        self.ledger.lock().unwrap().answered.clone()
    }

    /// The sum of every answered request's usage.
    pub fn totals(&self) -> Reported {
        self.answered()
            .iter()
            .fold(Reported::default(), |acc, (_, r)| Reported {
                input: acc.input + r.input,
                output: acc.output + r.output,
                cache_creation: acc.cache_creation + r.cache_creation,
                cache_read: acc.cache_read + r.cache_read,
            })
    }

    fn answer(&self) -> (String, Reported) {
        let mut ledger = self.ledger.lock().unwrap();
        let n = ledger.answered.len() as u64;
        let reported = Reported {
            input: 1000 + 7 * n,
            output: 50 + n,
            cache_creation: 200 + 3 * n,
            cache_read: 3000 + 11 * n,
        };
        let id = format!("{}_{n}", self.prefix);
        ledger.answered.push((id.clone(), reported));
        (id, reported)
    }
}

async fn messages_post(State(fake): State<FakeApi>, _headers: HeaderMap, body: String) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let model = request["model"]
        .as_str()
        .unwrap_or("claude-sonnet-4-5")
        .to_string();
    let (id, usage) = fake.answer();
    let message_id = format!("msg_{id}");
    if request["stream"].as_bool() != Some(true) {
        let message = json!({
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "Hello."}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": usage.input, "output_tokens": usage.output,
                      "cache_creation_input_tokens": usage.cache_creation,
                      "cache_read_input_tokens": usage.cache_read}
        });
        return ([("request-id", id)], Json(message)).into_response();
    }
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": usage.input,
                      "cache_creation_input_tokens": usage.cache_creation,
                      "cache_read_input_tokens": usage.cache_read, "output_tokens": 1}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "Hello."}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": usage.output}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let body: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/event-stream".to_string()),
            (header::HeaderName::from_static("request-id"), id),
        ],
        body,
    )
        .into_response()
}
