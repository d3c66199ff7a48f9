//! The Prometheus source: polls a PromQL engine's HTTP API for usage aggregates (tach, 5-hour and
//! 7-day token sums, the latest model) over a label selector and hands each reading to the engine,
//! which then drives the needles from it instead of local requests.
//!
//! Failure is a value: a poll that errors or outlasts its timeout becomes
//! `Health(Prometheus, Err(..))` (STALL), logged once when the link goes down and once when it
//! comes back, never once per poll. Credentials live in the `Authorization` header only; error
//! texts are stripped of the URL's query, and the URL itself cannot hold credentials (config).

mod query;

use std::time::Duration;

use reqwest::header::HeaderValue;
use tokio_util::sync::CancellationToken;

use super::{Out, Source};
use crate::clock::unix_now_ms;
use crate::readings::{PrometheusReading, SourceKind};
use crate::secret::Secret;
use crate::stats::IngestStats;
use query::{AnswerError, ApiResponse, Queries};

/// The Prometheus source's settings, ready to use.
#[derive(Clone, Debug)]
pub struct PrometheusSettings {
    /// Base URL of the HTTP API; queries go to `{url}/api/v1/query`.
    pub url: reqwest::Url,
    /// Label matchers without braces; may be empty.
    pub selector: String,
    /// Time between polls.
    pub interval: Duration,
    /// Time one poll may take.
    pub timeout: Duration,
    /// How to authenticate.
    pub auth: PrometheusAuth,
}

/// How the source authenticates to Prometheus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrometheusAuth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP basic auth.
    Basic {
        /// The user name.
        username: String,
        /// The password, if any.
        password: Option<Secret>,
    },
}

/// Why one poll failed. The text goes to the log and `/stats`; it never holds a credential.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PollError {
    /// No answer: connection refused, DNS, TLS, reset.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The server's base URL.
        url: String,
        /// What the HTTP client said.
        reason: String,
    },
    /// No full answer within the poll timeout.
    #[error("{url} did not answer within {timeout:?}")]
    Timeout {
        /// The server's base URL.
        url: String,
        /// The timeout.
        timeout: Duration,
    },
    /// An HTTP error status without the API's error body.
    #[error("{url} answered HTTP {status}{hint}")]
    Status {
        /// The server's base URL.
        url: String,
        /// The status code.
        status: u16,
        /// What to check, for the statuses that have an obvious cause.
        hint: &'static str,
    },
    /// The API answered, but not with data.
    #[error(transparent)]
    Answer(#[from] AnswerError),
}

/// The client could not be built (TLS roots, for instance).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the prometheus HTTP client: {0}")]
pub struct ClientError(String);

/// The running source.
#[derive(Debug)]
pub(crate) struct PrometheusSource {
    client: reqwest::Client,
    /// `{url}/api/v1/query`.
    endpoint: reqwest::Url,
    /// The base URL as the user wrote it, for messages.
    display_url: String,
    selector: String,
    queries: Queries,
    interval: Duration,
    timeout: Duration,
    auth: PrometheusAuth,
    /// `Authorization: Bearer …`, built once and marked sensitive.
    bearer: Option<HeaderValue>,
}

/// Whether the last poll worked, so only changes are logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Unknown,
    Up,
    Down,
}

impl PrometheusSource {
    /// A source for `settings`.
    pub(crate) fn new(settings: PrometheusSettings) -> Result<PrometheusSource, ClientError> {
        // No proxy from the environment: env vars are read only in config/, and a gauge talks to
        // a Prometheus it was pointed at.
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .no_proxy()
            .build()
            .map_err(|err| ClientError(err.without_url().to_string()))?;
        let mut base = settings.url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let endpoint = base
            .join("api/v1/query")
            .map_err(|err| ClientError(err.to_string()))?;
        let bearer = match &settings.auth {
            PrometheusAuth::Bearer(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| {
                        ClientError("the bearer token has characters a header cannot carry".into())
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            PrometheusAuth::None | PrometheusAuth::Basic { .. } => None,
        };
        Ok(PrometheusSource {
            client,
            endpoint,
            display_url: settings.url.as_str().trim_end_matches('/').to_string(),
            queries: Queries::new(&settings.selector),
            selector: settings.selector,
            interval: settings.interval,
            timeout: settings.timeout,
            auth: settings.auth,
            bearer,
        })
    }
}

impl Source for PrometheusSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Prometheus
    }

    /// Polls until `shutdown` fires or `out` closes.
    async fn run(self, out: Out, shutdown: CancellationToken) {
        if out.configured(SourceKind::Prometheus).await.is_err() {
            return;
        }
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut link = Link::Unknown;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            // The outer timeout bounds the whole poll (four requests), so a frame never waits on
            // a hung server; the client's own timeout bounds each request.
            let polled = tokio::select! {
                () = shutdown.cancelled() => return,
                polled = tokio::time::timeout(self.timeout, self.poll()) => polled,
            };
            let result = polled.unwrap_or_else(|_| {
                Err(PollError::Timeout {
                    url: self.display_url.clone(),
                    timeout: self.timeout,
                })
            });
            IngestStats::add(&out.stats().prometheus_polls, 1);
            let delivered = match result {
                Ok(reading) => {
                    self.log_up(&mut link);
                    match out.aggregate(reading).await {
                        Ok(()) => out.health(SourceKind::Prometheus, Ok(())).await,
                        Err(closed) => Err(closed),
                    }
                }
                Err(err) => {
                    IngestStats::add(&out.stats().prometheus_poll_errors, 1);
                    self.log_down(&mut link, &err);
                    out.health(SourceKind::Prometheus, Err(err.to_string()))
                        .await
                }
            };
            if delivered.is_err() {
                return;
            }
        }
    }
}

impl PrometheusSource {
    fn log_up(&self, link: &mut Link) {
        match *link {
            Link::Up => {}
            Link::Unknown => tracing::info!(
                "prometheus source: reading usage from {} (selector {{{}}})",
                self.display_url,
                self.selector
            ),
            Link::Down => tracing::info!(
                "prometheus source: {} answers again; STALL clears",
                self.display_url
            ),
        }
        *link = Link::Up;
    }

    fn log_down(&self, link: &mut Link, err: &PollError) {
        if *link != Link::Down {
            tracing::warn!(
                "prometheus source: {err}; the gauge shows STALL until it answers (retrying every {:?})",
                self.interval
            );
        }
        *link = Link::Down;
    }

    /// One poll: the four queries at one evaluation time, concurrently.
    async fn poll(&self) -> Result<PrometheusReading, PollError> {
        let at_ms = unix_now_ms();
        let (tach, fuel_5h, fuel_7d, model) = tokio::try_join!(
            self.query(&self.queries.tach, at_ms),
            self.query(&self.queries.fuel_5h, at_ms),
            self.query(&self.queries.fuel_7d, at_ms),
            self.query(&self.queries.model, at_ms),
        )?;
        Ok(PrometheusReading {
            at_ms,
            tach_tokens_per_min: query::tokens(&tach),
            fuel_tokens_5h: query::tokens(&fuel_5h),
            fuel_tokens_7d: query::tokens(&fuel_7d),
            model: query::model(&model),
        })
    }

    /// One instant query evaluated at `at_ms`.
    async fn query(&self, promql: &str, at_ms: i64) -> Result<Vec<query::Element>, PollError> {
        let time = format!("{:.3}", at_ms as f64 / 1000.0);
        let timeout = format!("{}ms", self.timeout.as_millis());
        let mut request = self.client.get(self.endpoint.clone()).query(&[
            ("query", promql),
            ("time", &time),
            ("timeout", &timeout),
        ]);
        if let Some(bearer) = &self.bearer {
            request = request.header(reqwest::header::AUTHORIZATION, bearer.clone());
        }
        if let PrometheusAuth::Basic { username, password } = &self.auth {
            request = request.basic_auth(username, password.as_ref().map(|p| p.expose()));
        }
        let unreachable = |err: reqwest::Error| {
            if err.is_timeout() {
                PollError::Timeout {
                    url: self.display_url.clone(),
                    timeout: self.timeout,
                }
            } else {
                PollError::Unreachable {
                    url: self.display_url.clone(),
                    reason: error_chain(&err.without_url()),
                }
            }
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        // Error statuses (400, 422, 503) usually carry the API's error body: prefer its message.
        match ApiResponse::parse(&body) {
            Ok(answer) => Ok(answer.into_elements()?),
            Err(_) if !status.is_success() => Err(PollError::Status {
                url: self.display_url.clone(),
                status: status.as_u16(),
                hint: match status.as_u16() {
                    401 | 403 => " (check prometheus.bearer_token_file or username/password_file)",
                    404 => " (is prometheus.url the API's base, e.g. http://host:9090?)",
                    _ => "",
                },
            }),
            Err(err) => Err(err.into()),
        }
    }
}

/// An error and its causes on one line (reqwest's top-level text alone is vague).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
