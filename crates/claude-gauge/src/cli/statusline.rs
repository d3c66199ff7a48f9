//! `claude-gauge statusline`: Claude Code's statusLine command. Reads the statusLine JSON on stdin,
//! forwards what the daemon needs to `POST /ingest/statusline`, and prints one compact line:
//! 5-hour fuel, 7-day fuel (each with its pace and run-out when the daemon knows them), tach.
//!
//! It must never hurt Claude Code: our part has 50 ms in all, counted from the moment the payload
//! has been read (Claude Code may write it late); a daemon that is down or slow only
//! costs the tach reading; malformed input prints a short fallback line; the exit status is
//! always 0. `--chain CMD` runs the user's previous statusLine command with the same stdin and
//! prints its output after ours.

use std::io::{IsTerminal, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use super::local_http;
use gauge_daemon::clamp_percentage;
use gauge_daemon::Secret;

/// Our whole budget, from the payload read to the printed line (the chained command is not
/// counted).
const BUDGET: Duration = Duration::from_millis(50);
/// How long the chained command may take before it is killed.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// The line printed when stdin is not a statusLine JSON object.
const FALLBACK_LINE: &str = "claude-gauge: no status";

/// Flags of `statusline`.
#[derive(Debug, Args)]
pub(crate) struct StatuslineArgs {
    /// The daemon's URL (default: CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long = "url", alias = "daemon", value_name = "URL")]
    daemon: Option<String>,
    /// The previous statusLine command: run with the same stdin, its output printed after ours.
    #[arg(long, value_name = "CMD")]
    chain: Option<String>,
    /// Colour the line: auto (only when stdout is a terminal), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// When to colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Only when stdout is a terminal.
    Auto,
    /// Always (Claude Code shows ANSI colours).
    Always,
    /// Never.
    Never,
}

/// What the line shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StatusView {
    /// 5-hour fuel left, 0..=1, and whether it is an estimate.
    pub(crate) fuel_5h: Option<(f64, bool)>,
    /// 7-day fuel left, 0..=1, and whether it is an estimate.
    pub(crate) fuel_7d: Option<(f64, bool)>,
    /// Tach, tokens per minute; `None` when the daemon did not answer.
    pub(crate) tach: Option<u64>,
    /// The daemon's pace and run-out of the 5-hour window.
    pub(crate) pace_5h: PaceView,
    /// The daemon's pace and run-out of the 7-day window.
    pub(crate) pace_7d: PaceView,
}

/// A window's pace and run-out, from the daemon's frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct PaceView {
    /// The fuel an even burn would leave now, 0..=1.
    pub(crate) pace: Option<f64>,
    /// Seconds until the fuel runs out at the recent burn rate (before the reset).
    pub(crate) empty_in_secs: Option<u64>,
}

/// Runs the command; `default_url` is the daemon's URL unless `--daemon` says otherwise; `token`
/// (the daemon's, when its file could be read) goes with the POST, as beyond loopback every write
/// needs it.
pub(crate) fn run(args: StatuslineArgs, default_url: &str, token: Option<&Secret>) -> ExitCode {
    let mut input = Vec::new();
    if !std::io::stdin().is_terminal() {
        // Claude Code writes one object and closes stdin.
        let _ = std::io::stdin().lock().read_to_end(&mut input);
    }
    // The budget starts once the payload is here: a late payload still gets all of it, and
    // Claude Code, which is waiting for our line, is still never held up longer than that.
    let deadline = Instant::now() + BUDGET;
    let chained = args
        .chain
        .as_deref()
        .and_then(|cmd| spawn_chain(cmd, &input));
    let url = args.daemon.as_deref().unwrap_or(default_url);
    let line = match serde_json::from_slice::<Value>(&input) {
        Ok(payload) if payload.is_object() => {
            let frame = exchange(url, token, &payload, deadline);
            let colour = match args.color {
                ColorChoice::Auto => std::io::stdout().is_terminal(),
                ColorChoice::Always => true,
                ColorChoice::Never => false,
            };
            render(
                &view(&payload, frame.as_ref(), gauge_daemon::unix_now_secs()),
                colour,
            )
        }
        _ => FALLBACK_LINE.to_string(),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    if let Some(child) = chained {
        let _ = out.write_all(&finish_chain(child));
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// Forwards the fields the daemon reads and fetches the current frame, both before `deadline`.
/// Failures only mean no frame.
fn exchange(
    url: &str,
    token: Option<&Secret>,
    payload: &Value,
    deadline: Instant,
) -> Option<Value> {
    let forwarded = forwarded_fields(payload);
    let body = serde_json::to_vec(&forwarded).ok()?;
    let post = local_http::Request {
        method: "POST",
        path: "/ingest/statusline",
        body: Some(&body),
        bearer: token,
    };
    // The answer does not matter: a refusal still leaves the line to print.
    let _ = local_http::send(url, &post, deadline);
    let get = local_http::Request {
        method: "GET",
        path: "/usage",
        body: None,
        bearer: token,
    };
    let reply = local_http::send(url, &get, deadline).ok()?;
    (reply.status == 200)
        .then(|| serde_json::from_slice(&reply.body).ok())
        .flatten()
}

/// What the daemon needs: rate limits, model, session, context window, cost. Paths, the working
/// directory and everything else stay here.
pub(crate) fn forwarded_fields(payload: &Value) -> Value {
    let mut out = json!({});
    for key in [
        "session_id",
        "model",
        "rate_limits",
        "context_window",
        "cost",
        "version",
    ] {
        if let Some(value) = payload.get(key) {
            out[key] = value.clone();
        }
    }
    out
}

/// The view: Claude's own percentages from stdin first (they are the newest), else the daemon's
/// frame; the tach only from the frame.
pub(crate) fn view(payload: &Value, frame: Option<&Value>, now_secs: i64) -> StatusView {
    let from_stdin = |key: &str| {
        let window = payload.get("rate_limits")?.get(key)?;
        let used = clamp_percentage(window.get("used_percentage")?.as_f64()?)?;
        let is_over = window
            .get("resets_at")
            .and_then(Value::as_f64)
            .is_some_and(|reset| (now_secs as f64) >= reset);
        Some((if is_over { 1.0 } else { (100.0 - used) / 100.0 }, false))
    };
    let is_estimate = frame.is_some_and(|f| f["source"] == "estimate");
    let from_frame = |key: &str| {
        let fuel = frame?.get(key)?.as_f64()?;
        Some((fuel.clamp(0.0, 1.0), is_estimate))
    };
    let pace = |pace_key: &str, empty_key: &str| PaceView {
        pace: frame
            .and_then(|f| f.get(pace_key)?.as_f64())
            .map(|p| p.clamp(0.0, 1.0)),
        empty_in_secs: frame
            .and_then(|f| f.get(empty_key)?.as_u64())
            .map(|empty| empty.saturating_sub(u64::try_from(now_secs).unwrap_or(0))),
    };
    StatusView {
        fuel_5h: from_stdin("five_hour").or_else(|| from_frame("fuel_5h")),
        fuel_7d: from_stdin("seven_day").or_else(|| from_frame("fuel_7d")),
        tach: frame.and_then(|f| f.get("tach")?.as_u64()),
        pace_5h: pace("pace_5h", "empty_5h"),
        pace_7d: pace("pace_7d", "empty_7d"),
    }
}

/// ` (pace 20%, empty in 1h12m)`, the parts that are known, or nothing.
fn pace_suffix(pace: PaceView) -> String {
    let parts: Vec<String> = [
        pace.pace.map(|p| format!("pace {:.0}%", p * 100.0)),
        pace.empty_in_secs
            .map(|secs| format!("empty in {}", duration_compact(secs))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// `42m`, `1h12m`, `3d4h`.
pub(crate) fn duration_compact(secs: u64) -> String {
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{mins:02}m")
    } else {
        format!("{mins}m")
    }
}

/// The line, e.g. `5h 58% left · 7d 83% left · 1.2k tok/min`.
pub(crate) fn render(view: &StatusView, colour: bool) -> String {
    let paint = |text: String, code: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let fuel = |label: &str, fuel: Option<(f64, bool)>, pace: PaceView| match fuel {
        Some((left, is_estimate)) => {
            let mark = if is_estimate { "~" } else { "" };
            // A run-out before the reset is a caution, whatever the level.
            let code = if left < 0.2 || pace.empty_in_secs.is_some() {
                "31"
            } else if left < 0.5 {
                "33"
            } else {
                "32"
            };
            let text = format!(
                "{label} {mark}{:.0}% left{}",
                left * 100.0,
                pace_suffix(pace)
            );
            paint(text, code)
        }
        None => format!("{label} --"),
    };
    let tach = match view.tach {
        Some(rate) if rate >= 1_000 => format!("{:.1}k tok/min", rate as f64 / 1_000.0),
        Some(rate) => format!("{rate} tok/min"),
        None => "tach --".to_string(),
    };
    format!(
        "{} · {} · {}",
        fuel("5h", view.fuel_5h, view.pace_5h),
        fuel("7d", view.fuel_7d, view.pace_7d),
        paint(tach, "36")
    )
}

/// Starts the chained command under `sh -c`, feeding it `input` from a thread.
fn spawn_chain(command: &str, input: &[u8]) -> Option<Child> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        std::thread::spawn(move || {
            // A command that ignores its stdin closes the pipe early; that is fine.
            let _ = stdin.write_all(&input);
        });
    }
    Some(child)
}

/// The chained command's output, waiting at most [`CHAIN_TIMEOUT`].
fn finish_chain(mut child: Child) -> Vec<u8> {
    let Some(mut stdout) = child.stdout.take() else {
        return Vec::new();
    };
    let reader = std::thread::spawn(move || {
        let mut output = Vec::new();
        let _ = stdout.read_to_end(&mut output);
        output
    });
    let deadline = Instant::now() + CHAIN_TIMEOUT;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return reader.join().unwrap_or_default();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    reader.join().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_percentages_win_and_resets_roll_over() {
        let payload = json!({"rate_limits": {
            "five_hour": {"used_percentage": 42, "resets_at": 2_000},
            "seven_day": {"used_percentage": 17, "resets_at": 500}}});
        let frame = json!({"fuel_5h": 0.1, "fuel_7d": 0.1, "tach": 1234, "source": "estimate"});
        let v = view(&payload, Some(&frame), 1_000);
        assert_eq!(v.fuel_5h, Some((0.58, false)));
        assert_eq!(v.fuel_7d, Some((1.0, false)), "past resets_at: full");
        assert_eq!(v.tach, Some(1234));
        assert_eq!(
            render(&v, false),
            "5h 58% left · 7d 100% left · 1.2k tok/min"
        );
    }

    #[test]
    fn frame_fills_in_and_daemon_down_still_renders() {
        let frame = json!({"fuel_5h": 0.75, "fuel_7d": null, "tach": 12, "source": "estimate"});
        let v = view(&json!({}), Some(&frame), 0);
        assert_eq!(render(&v, false), "5h ~75% left · 7d -- · 12 tok/min");
        let v = view(&json!({"model": {}}), None, 0);
        assert_eq!(render(&v, false), "5h -- · 7d -- · tach --");
        // A percentage equal to the reset epoch is dropped, not shown as 0% left.
        let bad = json!({"rate_limits": {"five_hour": {"used_percentage": 1774020000}}});
        assert_eq!(view(&bad, None, 0).fuel_5h, None);
    }

    #[test]
    fn pace_and_run_out_come_from_the_frame_compactly() {
        let payload = json!({"rate_limits": {
            "five_hour": {"used_percentage": 50, "resets_at": 4_600}}});
        let frame = json!({"fuel_5h": 0.5, "fuel_7d": 0.9, "tach": 10, "source": "official",
                           "pace_5h": 0.2, "empty_5h": 1_000 + 72 * 60 + 30,
                           "pace_7d": 0.95, "empty_7d": null});
        let v = view(&payload, Some(&frame), 1_000);
        assert_eq!(v.pace_5h.empty_in_secs, Some(72 * 60 + 30));
        assert_eq!(
            render(&v, false),
            "5h 50% left (pace 20%, empty in 1h12m) · 7d 90% left (pace 95%) · 10 tok/min"
        );
        // An early run-out paints the window red even above the warn level.
        assert!(render(&v, true).contains("\x1b[31m5h 50% left"));
        assert_eq!(duration_compact(42 * 60), "42m");
        assert_eq!(duration_compact(3 * 86_400 + 4 * 3600), "3d4h");
    }

    #[test]
    fn colour_only_when_asked() {
        let v = StatusView {
            fuel_5h: Some((0.1, false)),
            ..StatusView::default()
        };
        assert!(render(&v, true).contains("\x1b[31m5h 10% left"));
        assert!(!render(&v, false).contains('\x1b'));
    }

    #[test]
    fn forwards_only_what_the_daemon_needs() {
        let payload = json!({"session_id": "s", "transcript_path": "/home/u/secret.jsonl",
                             "cwd": "/home/u", "model": {"id": "m"}, "rate_limits": {}});
        let forwarded = forwarded_fields(&payload);
        assert_eq!(
            forwarded,
            json!({"session_id": "s", "model": {"id": "m"}, "rate_limits": {}})
        );
    }
}
