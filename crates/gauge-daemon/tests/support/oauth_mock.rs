//! A local stand-in for the OAuth usage endpoint (`GET /api/oauth/usage`), shared by the
//! daemon's tests and the binary's (which include this file with `#[path]`).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

/// A local stand-in for `GET /api/oauth/usage`: answers each request with the next canned reply
/// and records the headers it saw.
pub struct UsageMock {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<HeaderMap>>>,
}

pub async fn start_usage_mock(
    status: u16,
    body: String,
    extra: Option<(&'static str, &'static str)>,
) -> UsageMock {
    let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/api/oauth/usage",
        axum::routing::get(move |headers: HeaderMap| {
            let log = log.clone();
            let body = body.clone();
            async move {
                log.lock().unwrap().push(headers);
                let mut reply = (StatusCode::from_u16(status).unwrap(), body).into_response();
                if let Some((name, value)) = extra {
                    reply.headers_mut().insert(name, value.parse().unwrap());
                }
                reply
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    UsageMock { base_url, seen }
}
