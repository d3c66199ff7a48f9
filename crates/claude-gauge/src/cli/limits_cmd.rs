//! `claude-gauge limits`: what the running daemon knows about Claude's limits (`GET /limits`):
//! the newest official reading per window, the learned limit, the OAuth poller's state.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::Value;

use super::local_http;

/// How long to wait for the daemon.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Flags of `limits`.
#[derive(Debug, Args)]
pub(crate) struct LimitsArgs {
    /// The daemon's URL (default: CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long, value_name = "URL")]
    daemon: Option<String>,
    /// Print the daemon's JSON as is.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub(crate) fn run(args: LimitsArgs, default_url: &str) -> anyhow::Result<ExitCode> {
    let url = args.daemon.as_deref().unwrap_or(default_url);
    let reply = local_http::request(url, "GET", "/limits", None, Instant::now() + TIMEOUT)
        .with_context(|| {
            format!("is the daemon running? start it with `claude-gauge serve` (asked {url})")
        })?;
    if reply.status != 200 {
        anyhow::bail!(
            "the daemon at {url} answered HTTP {} to /limits",
            reply.status
        );
    }
    let report: Value =
        serde_json::from_slice(&reply.body).context("the daemon's /limits answer is not JSON")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        render(&report, now_ms(), &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the report as a small table.
pub(crate) fn render(report: &Value, now_ms: i64, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{:<7}{:<38}learned limit", "window", "official")?;
    for window in report["windows"].as_array().into_iter().flatten() {
        let official = match window.get("official").filter(|o| !o.is_null()) {
            Some(o) => format!(
                "{:.1}% used, {} ({}, {})",
                o["used_pct"].as_f64().unwrap_or(0.0),
                resets(o["resets_at_secs"].as_i64()),
                o["origin"].as_str().unwrap_or("?"),
                age(now_ms, o["at_ms"].as_i64()),
            ),
            None => "none yet".to_string(),
        };
        let learned = match window.get("calibration").filter(|c| !c.is_null()) {
            Some(c) => format!(
                "{} tokens ({:.0} tokens/%, from {:.1}% = {} tokens, {})",
                c["effective_limit_tokens"].as_u64().unwrap_or(0),
                c["tokens_per_pct"].as_f64().unwrap_or(0.0),
                c["from_used_pct"].as_f64().unwrap_or(0.0),
                c["from_tokens"].as_u64().unwrap_or(0),
                age(now_ms, c["learned_at_ms"].as_i64()),
            ),
            None => "not learned yet".to_string(),
        };
        let name = window["window"].as_str().unwrap_or("?");
        writeln!(out, "{name:<7}{official:<38}{learned}")?;
    }
    if let Some(until) = report["limit_until_secs"].as_i64() {
        if until * 1000 > now_ms {
            writeln!(out, "LIMIT reached until {}", local_time(until))?;
        }
    }
    let oauth = match report.get("oauth").filter(|o| !o.is_null()) {
        None => "off (enable with `serve --oauth-usage` or [oauth] enabled = true)".to_string(),
        Some(o) => match o["last_error"].as_str() {
            Some(error) => error.to_string(),
            None => format!("ok, {}", age(now_ms, o["last_ok_ms"].as_i64())),
        },
    };
    writeln!(out, "oauth usage poller: {oauth}")
}

fn resets(secs: Option<i64>) -> String {
    secs.map_or_else(
        || "no reset time".to_string(),
        |s| format!("resets {}", local_time(s)),
    )
}

fn local_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(
        |_| secs.to_string(),
        |ts| {
            ts.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

fn age(now_ms: i64, at_ms: Option<i64>) -> String {
    match at_ms {
        Some(at) => {
            let secs = ((now_ms - at) / 1000).max(0);
            if secs < 120 {
                format!("{secs}s ago")
            } else if secs < 7200 {
                format!("{}m ago", secs / 60)
            } else {
                format!("{}h ago", secs / 3600)
            }
        }
        None => "never".to_string(),
    }
}

fn now_ms() -> i64 {
    crate::engine::unix_now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_learned_limits_and_oauth_state() {
        let report = serde_json::json!({
            "windows": [
                {"window": "5h",
                 "official": {"used_pct": 40.0, "resets_at_secs": null, "origin": "statusline", "at_ms": 1_000},
                 "calibration": {"tokens_per_pct": 500.0, "effective_limit_tokens": 50_000,
                                 "learned_at_ms": 1_000, "from_used_pct": 40.0, "from_tokens": 20_000}},
                {"window": "7d", "official": null, "calibration": null}],
            "limit_until_secs": null,
            "oauth": {"last_ok_ms": null, "last_error": "disconnected: HTTP 401"}
        });
        let mut out = Vec::new();
        render(&report, 31_000, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("40.0% used"), "{text}");
        assert!(text.contains("50000 tokens (500 tokens/%"), "{text}");
        assert!(text.contains("30s ago"), "{text}");
        assert!(text.contains("not learned yet"), "{text}");
        assert!(
            text.contains("oauth usage poller: disconnected: HTTP 401"),
            "{text}"
        );
    }
}
