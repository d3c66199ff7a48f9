//! `claude-gauge limits`: what the running daemon knows about Claude's limits (`GET /limits`):
//! the newest official reading per window, the learned limit, the OAuth poller's state.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::daemon_token::{self, DaemonToken};
use anyhow::Context;
use clap::Args;
use gauge_daemon::LimitsReport;

/// How long to wait for the daemon.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Flags of `limits`.
#[derive(Debug, Args)]
pub(crate) struct LimitsArgs {
    /// The daemon's URL (default: CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long, alias = "daemon", value_name = "URL")]
    url: Option<String>,
    /// Print the daemon's JSON as is.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub(crate) fn run(
    args: LimitsArgs,
    default_url: &str,
    token: &DaemonToken,
) -> anyhow::Result<ExitCode> {
    let url = args.url.as_deref().unwrap_or(default_url);
    let body = daemon_token::get(url, "/limits", token, Instant::now() + TIMEOUT)?;
    let report: LimitsReport = serde_json::from_slice(&body)
        .context("the daemon's /limits answer is not a limits report")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        render(&report, now_ms(), &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the report as a small table, its columns as wide as their widest cell.
pub(crate) fn render(
    report: &LimitsReport,
    now_ms: i64,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut rows = vec![[
        "window".to_string(),
        "official".to_string(),
        "limit in use".to_string(),
        "learned limit".to_string(),
    ]];
    // Claude reporting one window and not the other (within the same few minutes) means the
    // account has no such window: an account without a 5-hour limit gets the weekly one only.
    let newest_official_ms = report
        .windows
        .iter()
        .filter_map(|w| w.official.as_ref().map(|o| o.at_ms))
        .max();
    for window in &report.windows {
        let is_absent = newest_official_ms.is_some_and(|newest| {
            window
                .official
                .as_ref()
                .is_none_or(|o| newest - o.at_ms > ABSENT_AFTER_MS)
        });
        let official = match &window.official {
            _ if is_absent => format!("no {} limit on this plan", window_words(&window.window)),
            Some(o) => format!(
                "{:.1}% used, {} ({}, {})",
                o.used_pct,
                resets(o.resets_at_secs),
                o.origin,
                age(now_ms, Some(o.at_ms)),
            ),
            None => "none yet".to_string(),
        };
        let learned = match &window.calibration {
            Some(c) => format!(
                "{} tokens ({:.0} tokens/%, from {:.1}% = {} tokens, {})",
                c.effective_limit_tokens,
                c.tokens_per_pct,
                c.from_used_pct,
                c.from_tokens,
                age(now_ms, Some(c.learned_at_ms)),
            ),
            None => "not learned yet".to_string(),
        };
        let in_use = match &window.limit_in_use {
            Some(limit) => match limit.completed_blocks {
                Some(blocks) => format!("{} tokens (p90 of {blocks} blocks)", limit.tokens),
                None => format!("{} tokens ({})", limit.tokens, limit.source),
            },
            None => "none (set limits.tokens_7d)".to_string(),
        };
        rows.push([window.window.clone(), official, in_use, learned]);
    }
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (first, second, third) = (width(0), width(1), width(2));
    for [window, official, in_use, learned] in &rows {
        writeln!(
            out,
            "{window:<first$}  {official:<second$}  {in_use:<third$}  {learned}"
        )?;
    }
    render_scoped(report, now_ms, out)?;
    if let Some(until) = report.limit_until_secs {
        if until * 1000 > now_ms {
            writeln!(out, "LIMIT reached until {}", local_time(until))?;
        }
    }
    let oauth = match &report.oauth {
        None => "off (enable with `serve --oauth-usage` or [oauth] enabled = true)".to_string(),
        Some(o) => match &o.last_error {
            Some(error) => error.clone(),
            None => format!("ok, {}", age(now_ms, o.last_ok_ms)),
        },
    };
    writeln!(out, "oauth usage poller: {oauth}")
}

/// How much older than the other window's reading a window's reading may be before the window
/// counts as one Claude no longer reports (the daemon's official freshness).
const ABSENT_AFTER_MS: i64 = 10 * 60 * 1000;

/// `5-hour` for `5h`, `weekly` for `7d`.
fn window_words(window: &str) -> &str {
    match window {
        "5h" => "5-hour",
        "7d" => "weekly",
        other => other,
    }
}

/// The other windows (per-model weekly ones first) and extra usage, one line each.
fn render_scoped(report: &LimitsReport, now_ms: i64, out: &mut impl Write) -> std::io::Result<()> {
    let mut scoped: Vec<_> = report.scoped.iter().collect();
    // Model windows first, then the rest, each by name.
    scoped.sort_by_key(|w| (w.model.is_none(), w.name.clone()));
    let width = scoped
        .iter()
        .map(|w| scoped_label(w).chars().count())
        .max()
        .unwrap_or(0);
    for window in scoped {
        writeln!(
            out,
            "{:<width$}  {:.1}% used, {} ({}, {})",
            scoped_label(window),
            window.used_pct,
            resets(window.resets_at_secs),
            window.origin,
            age(now_ms, Some(window.at_ms)),
        )?;
    }
    if let Some(extra) = &report.extra_usage {
        let state = if extra.is_enabled { "on" } else { "off" };
        // As Claude Code shows it: `$62.50 / $50.00`; other currencies by their code.
        let money = |amount: f64| match extra.currency.as_deref() {
            None | Some("USD") => format!("${amount:.2}"),
            Some(code) => format!("{amount:.2} {code}"),
        };
        let spent = match (extra.used_credits, extra.monthly_limit) {
            (Some(used), Some(limit)) => format!(", {} / {}", money(used), money(limit)),
            (Some(used), None) => format!(", {} spent", money(used)),
            _ => String::new(),
        };
        let period = extra
            .period
            .as_deref()
            .map_or(String::new(), |p| format!(" {p}"));
        let pct = extra
            .used_pct
            .map_or(String::new(), |pct| format!(" ({pct:.1}%)"));
        let over = if extra.used_pct.is_some_and(|p| p >= 100.0) {
            ": over the limit, on usage credits"
        } else {
            ""
        };
        writeln!(out, "extra usage: {state}{spent}{period}{pct}{over}")?;
    }
    Ok(())
}

/// `7d opus (seven_day_opus)` for a model's weekly window, else the name as Claude gives it.
fn scoped_label(window: &gauge_daemon::ScopedReport) -> String {
    let severity = window
        .severity
        .as_deref()
        .filter(|s| *s != "normal")
        .map_or(String::new(), |s| format!(" [{s}]"));
    match (&window.display_name, &window.model) {
        (Some(name), _) => format!("7d {name} ({}){severity}", window.name),
        (None, Some(model)) => format!("7d {model} ({}){severity}", window.name),
        (None, None) => format!("{}{severity}", window.name),
    }
}

fn resets(secs: Option<i64>) -> String {
    secs.map_or_else(
        || "no reset time".to_string(),
        |s| format!("resets {}", local_time(s)),
    )
}

/// `secs` as local `YYYY-MM-DD HH:MM`.
pub(super) fn local_time(secs: i64) -> String {
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
    gauge_daemon::unix_now_ms()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_learned_limits_and_oauth_state() {
        let report: LimitsReport = serde_json::from_value(serde_json::json!({
            "windows": [
                {"window": "5h",
                 "official": {"used_pct": 40.0, "resets_at_secs": null, "origin": "statusline", "at_ms": 1_000},
                 "calibration": {"tokens_per_pct": 500.0, "effective_limit_tokens": 50_000,
                                 "learned_at_ms": 1_000, "from_used_pct": 40.0, "from_tokens": 20_000},
                 "limit_in_use": {"source": "learned", "tokens": 50_000}},
                {"window": "7d", "official": null, "calibration": null}],
            "limit_until_secs": null,
            "oauth": {"last_ok_ms": null, "last_error": "disconnected: HTTP 401"}
        }))
        .unwrap();
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
        // Every row's third column starts where its header does.
        let lines: Vec<&str> = text.lines().take(3).collect();
        let column = lines[0].find("learned limit").unwrap();
        assert!(lines[1][column..].starts_with("50000 tokens"), "{text}");
        assert!(lines[2][column..].starts_with("not learned yet"), "{text}");
        assert!(!text.contains("extra usage"), "{text}");
    }

    #[test]
    fn renders_model_windows_and_extra_usage() {
        let report: LimitsReport = serde_json::from_value(serde_json::json!({
            "windows": [], "limit_until_secs": null, "oauth": null,
            "scoped": [
                {"name": "seven_day_oauth_apps", "model": null, "used_pct": 3.5,
                 "resets_at_secs": null, "origin": "oauth", "at_ms": 1_000},
                {"name": "seven_day_opus", "model": "opus", "used_pct": 91.0,
                 "resets_at_secs": null, "origin": "oauth", "at_ms": 1_000}],
            "extra_usage": {"is_enabled": true, "monthly_limit": 50.0, "used_credits": 12.5,
                            "used_pct": 24.69, "currency": "USD", "at_ms": 1_000}
        }))
        .unwrap();
        let mut out = Vec::new();
        render(&report, 31_000, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let opus = text
            .find("7d opus (seven_day_opus)  91.0% used")
            .expect(&text);
        let apps = text.find("seven_day_oauth_apps").expect(&text);
        assert!(opus < apps, "model windows first: {text}");
        assert!(
            text.contains("extra usage: on, $12.50 / $50.00 (24.7%)"),
            "{text}"
        );
    }
}
