//! The OAuth usage poller (opt-in): Claude's own 5-hour and 7-day percentages from
//! `GET /api/oauth/usage`, the endpoint behind Claude Code's `/usage` screen, turned into official
//! samples.
//!
//! Contract (the endpoint is undocumented; this is what Claude Code itself does, see
//! `docs/official-limits.md`): the headers Claude Code sends, including
//! `User-Agent: claude-code/<version>` (without it the endpoint answers 429 forever); at most one
//! poll per 180 s; on 429 it waits `Retry-After` or an exponential backoff, whichever is longer;
//! 401/403 mean disconnected. The token is read fresh from `CLAUDE_CODE_OAUTH_TOKEN` or the
//! credentials file before each poll, and is **never refreshed, written or logged**: a second
//! refresher would log Claude Code out.
//!
//! The answer is read by `parse.rs`: the 5-hour and 7-day windows, every other window it
//! reports (per-model weekly ones), and extra usage.
//!
//! Ownership and shutdown: [`OauthPoller::run`] is one task; it owns its HTTP client and selects on
//! the shutdown token at every await, so a stop never waits for a poll or a backoff.

mod parse;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use std::path::PathBuf;

use super::{Out, Source};
use crate::clock::unix_now_ms;
use crate::ledger::LedgerClosed;
use crate::readings::SourceKind;
use crate::secret::Secret;

pub(crate) use parse::{parse_usage, UsageReading};

/// The beta header the endpoint requires.
const ANTHROPIC_BETA: &str = "oauth-2025-04-20";
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest usage answer read (the real one is under a kilobyte): past it the poll fails
/// instead of filling memory.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The longest wait between polls after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);
/// The longest `Retry-After` honoured; longer ones are capped so the gauge comes back eventually.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3600);
/// The OAuth usage poller's settings, resolved by `config`.
#[derive(Clone, Debug)]
pub struct OauthSettings {
    /// Whether to poll at all.
    pub enabled: bool,
    /// The API's base URL, without a trailing slash.
    pub base_url: String,
    /// Time between polls (at least 180 s).
    pub interval: Duration,
    /// Where Claude Code keeps its login.
    pub credentials_file: PathBuf,
    /// `CLAUDE_CODE_OAUTH_TOKEN`, which wins over the file.
    pub env_token: Option<Secret>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

/// The poller failed to start.
#[derive(Debug, thiserror::Error)]
pub enum OauthError {
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client for the OAuth usage poller: {0}")]
    Client(#[from] reqwest::Error),
}

/// What one poll came to.
#[derive(Clone, Debug, PartialEq)]
enum PollOutcome {
    /// 200 with a readable body.
    Usage(UsageReading),
    /// No usable login: no token, an expired one, 401 or 403. The message says what to do.
    Disconnected(String),
    /// 429, with the `Retry-After` it gave.
    RateLimited(Option<Duration>),
    /// Anything else: network, 5xx, an unreadable body.
    Failed(String),
}

/// The running poller.
pub(crate) struct OauthPoller {
    settings: OauthSettings,
    client: reqwest::Client,
}

impl OauthPoller {
    /// A poller for `settings`.
    pub(crate) fn new(settings: OauthSettings) -> Result<OauthPoller, OauthError> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(OauthPoller { settings, client })
    }
}

impl Source for OauthPoller {
    fn kind(&self) -> SourceKind {
        SourceKind::Oauth
    }

    /// Polls until `shutdown`: at once, then every interval or backoff.
    async fn run(self, out: Out, shutdown: CancellationToken) {
        if out.configured(SourceKind::Oauth).await.is_err() {
            return;
        }
        tracing::info!(
            "oauth usage poller on: {} every {}s",
            self.settings.base_url,
            self.settings.interval.as_secs()
        );
        let mut failures = 0u32;
        let mut last_problem: Option<String> = None;
        loop {
            let outcome = tokio::select! {
                () = shutdown.cancelled() => break,
                outcome = self.poll_once() => outcome,
            };
            failures = match outcome {
                PollOutcome::RateLimited(_) | PollOutcome::Failed(_) => failures.saturating_add(1),
                _ => 0,
            };
            let delay = next_delay(&outcome, self.settings.interval, failures);
            let delivered = report(&out, outcome, &mut last_problem).await;
            if delivered.is_err() {
                break;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }
}

impl OauthPoller {
    async fn poll_once(&self) -> PollOutcome {
        let token = match read_token(&self.settings, unix_now_ms()) {
            Ok(token) => token,
            Err(problem) => return PollOutcome::Disconnected(problem),
        };
        let url = format!("{}/api/oauth/usage", self.settings.base_url);
        let sent = self
            .client
            .get(&url)
            .bearer_auth(token.expose())
            .header("anthropic-beta", ANTHROPIC_BETA)
            .header(reqwest::header::USER_AGENT, &self.settings.user_agent)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // reqwest's message names the URL, never the headers.
            Err(err) => return PollOutcome::Failed(format!("cannot reach {url}: {err}")),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, unix_now_ms()));
        match status {
            200 => match read_capped(response, MAX_BODY_BYTES).await {
                Ok(body) => match parse_usage(&body, unix_now_ms()) {
                    Ok(reading) => PollOutcome::Usage(reading),
                    Err(err) => PollOutcome::Failed(err.to_string()),
                },
                Err(problem) => PollOutcome::Failed(problem),
            },
            401 => PollOutcome::Disconnected(
                "disconnected: Claude rejected the login token (HTTP 401); open Claude Code so it \
                 can refresh its login"
                    .into(),
            ),
            403 => PollOutcome::Disconnected(
                "disconnected: the login token may not read usage (HTTP 403; it needs the \
                 user:profile scope, which `claude setup-token` tokens lack); sign in with `claude`"
                    .into(),
            ),
            429 => PollOutcome::RateLimited(retry_after),
            other => PollOutcome::Failed(format!("the usage endpoint answered HTTP {other}")),
        }
    }
}

/// The body, at most `max_bytes` of it: a longer one (declared or sent) is an error.
async fn read_capped(mut response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, String> {
    let too_long = || format!("the usage answer is over {max_bytes} bytes; not read");
    let max_len = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    if response.content_length().is_some_and(|len| len > max_len) {
        return Err(too_long());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > max_bytes => return Err(too_long()),
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body),
            Err(err) => return Err(format!("cannot read the usage answer: {err}")),
        }
    }
}

/// Sends what a poll found on, and logs a problem once when it first appears.
async fn report(
    out: &Out,
    outcome: PollOutcome,
    last_problem: &mut Option<String>,
) -> Result<(), LedgerClosed> {
    let problem = match outcome {
        PollOutcome::Usage(reading) => {
            // The other windows and extra usage first, so the frame the samples make already
            // shows their lamps.
            out.scoped(reading.scoped).await?;
            if let Some(extra) = reading.extra {
                out.extra_usage(extra).await?;
            }
            if let Err(err) = out.official(reading.samples).await {
                // The next poll reads the windows again; only a closed ledger ends the loop.
                if matches!(err, crate::ledger::WriteError::Closed) {
                    return Err(LedgerClosed);
                }
                tracing::warn!("oauth usage: {err}");
            }
            if let Some(until_secs) = reading.locked_until_secs {
                out.limit_reached(until_secs).await?;
            }
            if last_problem.take().is_some() {
                tracing::info!("oauth usage: connected again");
            }
            return out.health(SourceKind::Oauth, Ok(())).await;
        }
        PollOutcome::Disconnected(message) | PollOutcome::Failed(message) => message,
        PollOutcome::RateLimited(retry_after) => format!(
            "rate limited (HTTP 429{}); backing off",
            retry_after.map_or(String::new(), |d| format!(", Retry-After {}s", d.as_secs()))
        ),
    };
    if last_problem.as_deref() != Some(problem.as_str()) {
        tracing::warn!("oauth usage: {problem}");
        *last_problem = Some(problem.clone());
    }
    out.health(SourceKind::Oauth, Err(problem)).await
}

/// The wait before the next poll: the interval after an answer; after `failures` failures in a
/// row, the interval doubled per failure up to 30 min, or the server's `Retry-After` if longer.
fn next_delay(outcome: &PollOutcome, interval: Duration, failures: u32) -> Duration {
    match outcome {
        PollOutcome::Usage(_) | PollOutcome::Disconnected(_) => interval,
        PollOutcome::RateLimited(_) | PollOutcome::Failed(_) => {
            let doubled = interval.saturating_mul(1u32 << failures.min(16));
            let backoff = doubled.min(MAX_BACKOFF).max(interval);
            match outcome {
                PollOutcome::RateLimited(Some(retry_after)) => {
                    backoff.max((*retry_after).min(MAX_RETRY_AFTER))
                }
                _ => backoff,
            }
        }
    }
}

/// `Retry-After`: seconds, or an HTTP date.
fn parse_retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait_ms = at.as_millisecond() - now_ms;
    Some(Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)))
}

/// The access token: `CLAUDE_CODE_OAUTH_TOKEN`, else `claudeAiOauth.accessToken` from the
/// credentials file, read now. The error says what to do, and never contains the token.
fn read_token(settings: &OauthSettings, now_ms: i64) -> Result<Secret, String> {
    if let Some(token) = &settings.env_token {
        return Ok(token.clone());
    }
    token_from_file(&settings.credentials_file, now_ms)
}

fn token_from_file(path: &Path, now_ms: i64) -> Result<Secret, String> {
    let sign_in = "sign in with `claude`, or set CLAUDE_CODE_OAUTH_TOKEN";
    let text = std::fs::read_to_string(path).map_err(|err| {
        format!(
            "disconnected: no Claude Code login at {} ({err}); {sign_in}",
            path.display()
        )
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        format!(
            "disconnected: {} is not valid JSON; {sign_in}",
            path.display()
        )
    })?;
    let oauth = value.get("claudeAiOauth");
    let token = oauth
        .and_then(|o| o.get("accessToken"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            format!(
                "disconnected: {} has no claudeAiOauth.accessToken; {sign_in}",
                path.display()
            )
        })?;
    let expires_at_ms = oauth
        .and_then(|o| o.get("expiresAt"))
        .and_then(Value::as_i64);
    if expires_at_ms.is_some_and(|expires| expires <= now_ms) {
        return Err(
            "disconnected: the Claude Code login has expired; open Claude Code so it can \
             refresh it (claude-gauge never refreshes tokens)"
                .into(),
        );
    }
    Ok(Secret::new(token.to_string()))
}

#[cfg(test)]
mod tests;
