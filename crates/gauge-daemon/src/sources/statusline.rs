//! The statusLine feed: Claude Code's statusLine JSON (as forwarded by `claude-gauge statusline`
//! to `POST /ingest/statusline`) turned into official samples and the current model.
//!
//! Claude's own percentages arrive here: the 5-hour and 7-day windows as official samples, and
//! any other window `rate_limits` carries (`seven_day_opus`, ...) as a scoped sample, by name. Known bad values are clamped or dropped: a percentage
//! over 101 (seen when it equals the reset epoch) is dropped, 100..=101 reads as 100.
//!
//! Shape: [`StatuslineSource::new`] gives the source and its ingest [`Router`], which the daemon
//! merges into its HTTP app; the router hands each body to [`Source::run`] over a channel and
//! answers with what `run` made of it, so a payload is acknowledged (202) only once its samples
//! are stored.
//!
//! Only `Content-Type: application/json` is read (415 otherwise): a browser can send a
//! `text/plain` POST to any site without asking first, and JSON it cannot. The Host, Origin and
//! token checks are the listener's (`access`).

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutLayer;

use super::{Out, Source};
use crate::clock::unix_now_ms;
use crate::ledger::WriteError;
use crate::readings::{
    ExtraUsage, OfficialOrigin, OfficialSample, ScopedSample, SourceKind, Window, MAX_UNIX_SECS,
};
use crate::stats::IngestStats;

/// The ingest path.
pub(crate) const INGEST_PATH: &str = "/ingest/statusline";
/// The largest body accepted.
const BODY_LIMIT: usize = 256 * 1024;
/// How long one ingest request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Payloads waiting for the source before senders wait.
const QUEUE_CAPACITY: usize = 64;

/// The answer while the daemon stops.
const SHUTTING_DOWN: &str = "shutting down";

/// What became of one payload.
#[derive(Debug)]
enum Outcome {
    /// Stored: this many official samples.
    Accepted(usize),
    /// Not a statusLine JSON object.
    Rejected(String),
    /// Not stored (shutting down, or the store failed): the sender may try again.
    Unavailable(&'static str),
}

type Payload = (axum::body::Bytes, oneshot::Sender<Outcome>);

/// The statusLine source, ready to run.
pub(crate) struct StatuslineSource {
    payloads: mpsc::Receiver<Payload>,
}

impl StatuslineSource {
    /// The source and the router that feeds it (`POST /ingest/statusline`).
    pub(crate) fn new() -> (StatuslineSource, Router) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let router = Router::new()
            .route(INGEST_PATH, post(statusline_post))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .with_state(tx);
        (StatuslineSource { payloads: rx }, router)
    }
}

impl Source for StatuslineSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Statusline
    }

    /// Takes payloads until `shutdown`. The statusLine speaks only when Claude Code runs, so
    /// the source counts for STALL from its first payload on, not from start.
    async fn run(mut self, out: Out, shutdown: CancellationToken) {
        loop {
            let (body, reply) = tokio::select! {
                () = shutdown.cancelled() => return,
                next = self.payloads.recv() => match next {
                    Some(payload) => payload,
                    None => return,
                },
            };
            let outcome = take(&out, &body).await;
            let is_closed = matches!(outcome, Outcome::Unavailable(SHUTTING_DOWN));
            // A sender that gave up is no error.
            let _ = reply.send(outcome);
            if is_closed {
                return;
            }
        }
    }
}

/// Reads one payload and stores what it carries.
async fn take(out: &Out, body: &[u8]) -> Outcome {
    let payload: StatuslinePayload = match serde_json::from_slice(body) {
        Ok(payload) => payload,
        Err(err) => {
            IngestStats::add(&out.stats().statusline_rejected, 1);
            return Outcome::Rejected(format!("not a statusLine JSON object: {err}"));
        }
    };
    IngestStats::add(&out.stats().statusline_payloads, 1);
    let now_ms = unix_now_ms();
    let samples = official_samples(&payload, now_ms);
    let scoped = scoped_samples(&payload, now_ms);
    let spend = spend_limit(&payload, now_ms);
    let accepted = samples.len();
    // The model and liveness first: the samples that follow then land on a frame that already
    // shows them.
    let mut told = Ok(());
    if let Some(model_id) = payload.model.and_then(|m| m.id) {
        told = out.model(model_id).await;
    }
    if told.is_ok() {
        told = out.health(SourceKind::Statusline, Ok(())).await;
    }
    if told.is_ok() {
        told = out.scoped(scoped).await;
    }
    if let (Ok(()), Some(spend)) = (&told, spend) {
        told = out.extra_usage(spend).await;
    }
    if told.is_err() {
        return Outcome::Unavailable(SHUTTING_DOWN);
    }
    match out.official(samples).await {
        Ok(()) => Outcome::Accepted(accepted),
        Err(WriteError::Closed) => Outcome::Unavailable(SHUTTING_DOWN),
        Err(WriteError::NotStored(_)) => Outcome::Unavailable("not stored; try again"),
    }
}

/// `POST /ingest/statusline`: a Claude Code statusLine payload, as `claude-gauge statusline`
/// forwards it.
async fn statusline_post(
    State(source): State<mpsc::Sender<Payload>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !is_json(&headers) {
        let error = "send the statusLine JSON with Content-Type: application/json";
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(json!({ "error": error })),
        )
            .into_response();
    }
    let (reply, answer) = oneshot::channel();
    let outcome = match source.send((body, reply)).await {
        Ok(()) => answer.await.unwrap_or(Outcome::Unavailable(SHUTTING_DOWN)),
        Err(_) => Outcome::Unavailable(SHUTTING_DOWN),
    };
    match outcome {
        Outcome::Accepted(accepted) => {
            (StatusCode::ACCEPTED, Json(json!({ "accepted": accepted }))).into_response()
        }
        Outcome::Rejected(reason) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": reason }))).into_response()
        }
        Outcome::Unavailable(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": reason })),
        )
            .into_response(),
    }
}

/// Whether the body is declared JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The part of the statusLine JSON we read; every other key is ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatuslinePayload {
    /// `model.id`.
    #[serde(default)]
    pub model: Option<StatuslineModel>,
    /// `rate_limits`, present for subscribers after the first response.
    #[serde(default)]
    pub rate_limits: Option<RateLimits>,
}

/// `model`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatuslineModel {
    /// The model id.
    #[serde(default)]
    pub id: Option<String>,
}

/// `rate_limits`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RateLimits {
    /// `five_hour`.
    #[serde(default)]
    pub five_hour: Option<RateWindow>,
    /// `seven_day`.
    #[serde(default)]
    pub seven_day: Option<RateWindow>,
    /// Every other key: windows Claude Code may add (`seven_day_opus`, ...).
    #[serde(flatten)]
    pub others: serde_json::Map<String, serde_json::Value>,
}

/// One window of `rate_limits`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RateWindow {
    /// Percent used, 0..100 (a float).
    #[serde(default)]
    pub used_percentage: Option<f64>,
    /// Reset time, unix seconds.
    #[serde(default)]
    pub resets_at: Option<f64>,
}

/// The samples a payload carries, read at `now_ms`.
pub(crate) fn official_samples(payload: &StatuslinePayload, now_ms: i64) -> Vec<OfficialSample> {
    let Some(limits) = &payload.rate_limits else {
        return Vec::new();
    };
    [
        (Window::FiveHour, &limits.five_hour),
        (Window::SevenDay, &limits.seven_day),
    ]
    .into_iter()
    .filter_map(|(window, rate)| {
        let (used_pct, resets_at_secs) = rate.as_ref()?.read()?;
        Some(OfficialSample {
            at_ms: now_ms,
            window,
            used_pct,
            resets_at_secs,
            origin: OfficialOrigin::Statusline,
        })
    })
    .collect()
}

/// The other windows a payload's `rate_limits` carries (any key whose value has a
/// `used_percentage`), read at `now_ms`.
pub(crate) fn scoped_samples(payload: &StatuslinePayload, now_ms: i64) -> Vec<ScopedSample> {
    let Some(limits) = &payload.rate_limits else {
        return Vec::new();
    };
    limits
        .others
        .iter()
        // The spend limit is no usage window: it is read by [`spend_limit`].
        .filter(|(name, _)| name.as_str() != SPEND_LIMIT_KEY)
        .filter_map(|(name, value)| {
            let rate = RateWindow::deserialize(value).ok()?;
            let (used_pct, resets_at_secs) = rate.read()?;
            Some(ScopedSample {
                at_ms: now_ms,
                name: name.chars().take(64).collect(),
                family: ScopedSample::family_of(name),
                display_name: None,
                severity: None,
                used_pct,
                resets_at_secs,
                origin: OfficialOrigin::Statusline,
            })
        })
        .collect()
}

/// The key of an organisation's spend limit in `rate_limits` (gateway sign-ins).
pub const SPEND_LIMIT_KEY: &str = "spend_limit";

/// `rate_limits.spend_limit` as read: `used_percentage` (not capped: over 100 once spending
/// passes the limit), `used_usd`, `limit_usd` and `period`, in dollars as Claude Code sends
/// them. The daemon and the statusline command (which shows it without a daemon) read it so.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatuslineSpend {
    /// Dollars spent this period.
    pub used_usd: Option<f64>,
    /// The period's limit, dollars.
    pub limit_usd: Option<f64>,
    /// Percent of the limit spent, past 100 too.
    pub used_pct: Option<f64>,
    /// The period (`monthly`), when it is a plain word.
    pub period: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SpendLimit {
    #[serde(default)]
    used_percentage: Option<f64>,
    #[serde(default)]
    used_usd: Option<f64>,
    #[serde(default)]
    limit_usd: Option<f64>,
    #[serde(default)]
    period: Option<String>,
}

impl StatuslineSpend {
    /// A `rate_limits.spend_limit` object, if it has a percentage or an amount. Amounts that
    /// cannot be real (negative, not finite, a percentage past 100,000) are dropped.
    pub fn from_value(spend_limit: &serde_json::Value) -> Option<StatuslineSpend> {
        let spend = SpendLimit::deserialize(spend_limit).ok()?;
        let amount = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= 0.0);
        let used_pct =
            amount(spend.used_percentage).filter(|pct| *pct <= crate::readings::MAX_SPEND_PCT);
        let used_usd = amount(spend.used_usd);
        if used_pct.is_none() && used_usd.is_none() {
            return None;
        }
        Some(StatuslineSpend {
            used_usd,
            limit_usd: amount(spend.limit_usd),
            used_pct,
            period: spend.period.filter(|p| {
                !p.is_empty()
                    && p.len() <= 16
                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            }),
        })
    }
}

/// The spend limit a payload carries, read at `now_ms`.
pub(crate) fn spend_limit(payload: &StatuslinePayload, now_ms: i64) -> Option<ExtraUsage> {
    let value = payload.rate_limits.as_ref()?.others.get(SPEND_LIMIT_KEY)?;
    let spend = StatuslineSpend::from_value(value)?;
    Some(ExtraUsage {
        at_ms: now_ms,
        is_enabled: true,
        monthly_limit: spend.limit_usd,
        used_credits: spend.used_usd,
        used_pct: spend.used_pct,
        currency: Some("USD".to_string()),
        period: spend.period,
        origin: OfficialOrigin::Statusline,
    })
}

impl RateWindow {
    /// The percentage (clamped; `None` when it cannot be real) and the reset time.
    fn read(&self) -> Option<(f64, Option<i64>)> {
        let used_pct = clamp_percentage(self.used_percentage?)?;
        let resets_at_secs = self
            .resets_at
            .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_UNIX_SECS as f64)
            .map(|r| r as i64);
        Some((used_pct, resets_at_secs))
    }
}

/// Clamps a used percentage into 0..=100; `None` for values that cannot be real.
pub fn clamp_percentage(pct: f64) -> Option<f64> {
    if !pct.is_finite() || pct > 101.0 {
        return None;
    }
    Some(pct.clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_is_read() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn reads_both_windows_and_drops_bad_values() {
        let payload: StatuslinePayload = serde_json::from_str(
            r#"{"model":{"id":"claude-opus-4-6[1m]"},"other":1,
                "rate_limits":{"five_hour":{"used_percentage":42.5,"resets_at":1774020000},
                               "seven_day":{"used_percentage":1774540000,"resets_at":1774540000}}}"#,
        )
        .unwrap();
        let samples = official_samples(&payload, 5);
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].window, Window::FiveHour);
        assert_eq!(samples[0].used_pct, 42.5);
        assert_eq!(samples[0].resets_at_secs, Some(1_774_020_000));
        assert!(scoped_samples(&payload, 5).is_empty());
        assert_eq!(clamp_percentage(100.7), Some(100.0));
        assert_eq!(clamp_percentage(-3.0), Some(0.0));
        assert_eq!(clamp_percentage(f64::NAN), None);
    }

    #[test]
    fn other_rate_limit_windows_are_kept_by_name() {
        let payload: StatuslinePayload = serde_json::from_str(
            r#"{"rate_limits":{"five_hour":{"used_percentage":10,"resets_at":1774020000},
                "seven_day_opus":{"used_percentage":91.5,"resets_at":1774540000},
                "seven_day_sonnet":null,"note":"text","seven_day_oauth_apps":{"used_percentage":4}}}"#,
        )
        .unwrap();
        assert_eq!(official_samples(&payload, 5).len(), 1);
        let scoped = scoped_samples(&payload, 5);
        assert_eq!(scoped.len(), 2, "{scoped:?}");
        assert_eq!(scoped[0].name, "seven_day_opus");
        assert_eq!(scoped[0].family, Some(gauge_core::ModelFamily::OPUS));
        assert_eq!(scoped[0].used_pct, 91.5);
        assert_eq!(scoped[0].resets_at_secs, Some(1_774_540_000));
        assert_eq!(scoped[0].origin, OfficialOrigin::Statusline);
        assert_eq!(scoped[1].name, "seven_day_oauth_apps");
        assert_eq!(scoped[1].resets_at_secs, None);
    }
}
