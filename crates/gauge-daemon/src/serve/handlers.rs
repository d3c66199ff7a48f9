//! The HTTP handlers.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::{Stream, StreamExt};
use serde_json::json;
use tokio_stream::wrappers::WatchStream;

use super::AppState;

/// `GET /usage`: the current frame.
pub(crate) async fn usage_get(State(state): State<AppState>) -> Response {
    let frame = *state.frames.borrow();
    Json(frame).into_response()
}

/// `GET /events`: Server-Sent Events, the current frame at once and then one per change, each
/// with `id` = `seq`, plus a keep-alive comment.
pub(crate) async fn events_get(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let frames = WatchStream::new(state.frames.clone()).map(|frame| {
        let data = serde_json::to_string(&frame).unwrap_or_default();
        Ok(Event::default()
            .event("frame")
            .id(frame.seq.to_string())
            .data(data))
    });
    let until_shutdown = frames.take_until(state.shutdown.cancelled_owned());
    Sse::new(until_shutdown).keep_alive(KeepAlive::new().interval(state.settings.events_keep_alive))
}

/// `GET /healthz`: the daemon is up, and its version (`claude-gauge doctor` compares it with its
/// own).
pub(crate) async fn healthz_get() -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

/// `GET /stats`: ingest counters, the stored usage totals, the usage by machine (a hub's
/// breakdown) and every source's status.
pub(crate) async fn stats_get(State(state): State<AppState>) -> Response {
    let machine_name = state.machine_name.to_string();
    let read = async {
        let totals = state.ledger.totals().await?;
        let machines = state.ledger.usage_by_machine(0, machine_name).await?;
        Ok::<_, String>((totals, machines))
    };
    match read.await {
        Ok((totals, machines)) => {
            let sources = state
                .health
                .lock()
                .map(|board| board.clone())
                .unwrap_or_default();
            let body = json!({
                "ingest": state.stats.snapshot(),
                "usage_totals": totals,
                "machines": machines,
                "sources": sources,
            });
            Json(body).into_response()
        }
        Err(err) => AppError(err).into_response(),
    }
}

/// An internal failure: logged in full, answered with a short message.
pub(crate) struct AppError(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!("request failed: {}", self.0);
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "internal error"})),
        )
            .into_response()
    }
}

/// `GET /limits`: the newest official reading and the learned calibration per window, and the
/// OAuth poller's state.
pub(crate) async fn limits_get(State(state): State<AppState>) -> Response {
    let report = state.limits_report.borrow().clone();
    Json(report).into_response()
}
