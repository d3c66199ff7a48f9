//! Following a daemon as the firmware does: `GET /events` read through gauge-core's
//! [`SseParser`], `GET /usage` polls while the stream is refused, reconnects as gauge-core's
//! [`LinkPlan`] says, and the read token as `Authorization: Bearer` when one is set.
//!
//! The firmware (`firmware/src/net.rs`) runs the same parser and plan over embassy-net; this is
//! their host twin, so the simulator exercises them against a real daemon.

use std::time::{Duration, Instant};

use gauge_core::{LinkMode, LinkOutcome, LinkPlan, SseParser, SsePush};
use tokio::sync::mpsc;

use super::LinkEvent;

/// The parser's line and data buffers: a `data:` line of the longest frame fits with room.
pub(crate) const SSE_BUFFER_LEN: usize = 512;
/// How long a connection may take to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longer than the daemon's 10 s keep-alive: silence this long means the stream is dead.
const READ_TIMEOUT: Duration = Duration::from_secs(25);

/// Follows the daemon at `base_url` until the receiver goes away.
pub(super) async fn follow(base_url: &str, token: Option<&str>, events: &mpsc::Sender<LinkEvent>) {
    let base = base_url.trim_end_matches('/');
    let client = match reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            let _ = events.send(LinkEvent::Down(err.to_string())).await;
            return;
        }
    };
    let started = Instant::now();
    let now_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut plan = LinkPlan::default();
    loop {
        let mode = plan.mode(now_ms());
        let (outcome, why) = match mode {
            LinkMode::Events => stream(&client, base, token, events).await,
            LinkMode::Poll => poll(&client, base, token, events).await,
        };
        if events.is_closed() {
            return;
        }
        if let Some(why) = why {
            let _ = events.send(LinkEvent::Down(why)).await;
        }
        let delay_ms = plan.after(outcome, now_ms(), jitter());
        tokio::time::sleep(Duration::from_millis(u64::from(delay_ms))).await;
    }
}

fn get(client: &reqwest::Client, url: String, token: Option<&str>) -> reqwest::RequestBuilder {
    let request = client.get(url);
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// One `/events` connection, until it ends; the outcome for the plan and why it ended.
async fn stream(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    events: &mpsc::Sender<LinkEvent>,
) -> (LinkOutcome, Option<String>) {
    let url = format!("{base}/events");
    let response = match get(client, url.clone(), token).send().await {
        Ok(response) => response,
        Err(err) => return (LinkOutcome::Unreachable, Some(format!("{url}: {err}"))),
    };
    let is_stream = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    if !response.status().is_success() || !is_stream {
        let why = format!("{url}: {} (not an event stream)", response.status());
        return (LinkOutcome::Refused, Some(why));
    }
    let _ = events.send(LinkEvent::Up).await;
    let mut response = response;
    let mut parser = SseParser::<SSE_BUFFER_LEN>::new();
    let mut frames = 0u64;
    let why = loop {
        let chunk = match tokio::time::timeout(READ_TIMEOUT, response.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => break "the stream ended".to_string(),
            Ok(Err(err)) => break err.to_string(),
            Err(_) => break "no keep-alive for 25 s".to_string(),
        };
        for &byte in chunk.iter() {
            match parser.push(byte) {
                SsePush::Event if parser.event().name == b"frame" => {
                    frames += 1;
                    let frame = LinkEvent::Frame(parser.event().data.to_vec());
                    if events.send(frame).await.is_err() {
                        return (LinkOutcome::Ended, None);
                    }
                }
                SsePush::Dropped => tracing::warn!("dropped an over-long event"),
                SsePush::Event | SsePush::Incomplete => {}
            }
        }
    };
    let outcome = if frames > 0 {
        LinkOutcome::Ended
    } else {
        LinkOutcome::Refused
    };
    (outcome, Some(format!("{url}: {why}")))
}

/// One `/usage` poll.
async fn poll(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    events: &mpsc::Sender<LinkEvent>,
) -> (LinkOutcome, Option<String>) {
    let url = format!("{base}/usage");
    let answer = async {
        let response = get(client, url.clone(), token)
            .timeout(CONNECT_TIMEOUT)
            .send()
            .await?
            .error_for_status()?;
        response.bytes().await
    };
    match answer.await {
        Ok(bytes) => {
            let _ = events.send(LinkEvent::Frame(bytes.to_vec())).await;
            (LinkOutcome::Frame, None)
        }
        Err(err) if err.is_status() => (LinkOutcome::Refused, Some(format!("{url}: {err}"))),
        Err(err) => (LinkOutcome::Unreachable, Some(format!("{url}: {err}"))),
    }
}

/// A few random bits for the backoff's jitter (the clock's nanoseconds are enough here).
fn jitter() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos())
}
