//! The [`Access`] check as axum middleware, in front of every listener's router, and the
//! refusals it answers with: JSON for HTTP, a trailers-only gRPC status for gRPC.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{Access, Refusal};

/// `google.rpc.Code.PERMISSION_DENIED`.
const GRPC_PERMISSION_DENIED: &str = "7";
/// `google.rpc.Code.UNAUTHENTICATED`.
const GRPC_UNAUTHENTICATED: &str = "16";

/// Whether the first unknown Host was logged: later ones go to debug (a rebinding page may send
/// many).
static LOGGED_UNKNOWN_HOST: AtomicBool = AtomicBool::new(false);

/// Runs `request` when [`Access::check`] passes it; refuses it otherwise, before any handler
/// (and so any store) sees it.
pub(super) async fn guard(
    State(access): State<Arc<Access>>,
    request: Request,
    next: Next,
) -> Response {
    match access.check(request.method(), request.uri(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            log(refusal, request.headers());
            respond(refusal, is_grpc(request.headers()))
        }
    }
}

/// One line per refusal, without any token; the first unknown Host at `warn`, so a user whose
/// cluster connects by a name we do not know learns the fix.
fn log(refusal: Refusal, headers: &HeaderMap) {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let is_first =
        refusal == Refusal::UnknownHost && !LOGGED_UNKNOWN_HOST.swap(true, Ordering::Relaxed);
    if is_first {
        tracing::warn!(
            "refused a request for Host {host:?}: {} (further ones are logged at debug)",
            refusal.message()
        );
    } else {
        tracing::debug!(
            "refused a request ({}): {}",
            refusal.status(),
            refusal.message()
        );
    }
}

fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

fn respond(refusal: Refusal, is_grpc: bool) -> Response {
    let is_token = matches!(refusal, Refusal::NoToken | Refusal::WrongToken);
    if is_grpc {
        // gRPC carries its status in headers; a trailers-only answer is HTTP 200.
        let code = if is_token {
            GRPC_UNAUTHENTICATED
        } else {
            GRPC_PERMISSION_DENIED
        };
        let headers = [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/grpc"),
            ),
            (
                header::HeaderName::from_static("grpc-status"),
                HeaderValue::from_static(code),
            ),
            (
                header::HeaderName::from_static("grpc-message"),
                HeaderValue::from_static(refusal.message()),
            ),
        ];
        return (StatusCode::OK, headers).into_response();
    }
    let body = Json(serde_json::json!({ "error": refusal.message() }));
    let mut response = (refusal.status(), body).into_response();
    if is_token {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"claude-gauge\""),
        );
    }
    response
}
