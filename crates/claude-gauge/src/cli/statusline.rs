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

use gauge_core::{decode_frame, Frame, Gauge, GaugeSource};

use super::local_http;
use gauge_daemon::Secret;
use gauge_daemon::{clamp_percentage, StatuslineSpend, SPEND_LIMIT_KEY};

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
    /// 5-hour fuel.
    pub(crate) fuel_5h: FuelView,
    /// 7-day fuel.
    pub(crate) fuel_7d: FuelView,
    /// Tach, tokens per minute; `None` when the daemon did not answer.
    pub(crate) tach: Option<u64>,
    /// The daemon's pace and run-out of the 5-hour window.
    pub(crate) pace_5h: PaceView,
    /// The daemon's pace and run-out of the 7-day window.
    pub(crate) pace_7d: PaceView,
    /// Extra usage: dollars spent, the limit, percent of it (may pass 100).
    pub(crate) spend: Option<(f64, Option<f64>, Option<f64>)>,
}

/// One window's fuel as the line shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum FuelView {
    /// Not known (no reading, no daemon).
    #[default]
    Unknown,
    /// Claude reports no such window for this account (e.g. no 5-hour limit on this plan).
    NoWindow,
    /// What is left, 0..=1, and whether it is an estimate.
    Left(f64, bool),
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
) -> Option<Frame> {
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
        .then(|| decode_frame(&reply.body).ok())
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
/// frame, read as gauge-core reads it, each window with the source the daemon gives it; the
/// tach only from the frame. Without a daemon the same rule holds: Claude reporting the weekly
/// window and no 5-hour one means this plan has no 5-hour limit.
pub(crate) fn view(payload: &Value, frame: Option<&Frame>, now_secs: i64) -> StatusView {
    let limits = payload.get("rate_limits").filter(|l| l.is_object());
    let from_stdin = |key: &str| {
        let window = limits?.get(key)?;
        let used = clamp_percentage(window.get("used_percentage")?.as_f64()?)?;
        let is_over = window
            .get("resets_at")
            .and_then(Value::as_f64)
            .is_some_and(|reset| (now_secs as f64) >= reset);
        Some(FuelView::Left(
            if is_over { 1.0 } else { (100.0 - used) / 100.0 },
            false,
        ))
    };
    let (stdin_5h, stdin_7d) = (from_stdin("five_hour"), from_stdin("seven_day"));
    let no_window = |this: &Option<FuelView>, other: &Option<FuelView>| {
        (this.is_none() && other.is_some()).then_some(FuelView::NoWindow)
    };
    let from_frame = |gauge: Gauge| {
        let frame = frame?;
        match frame.gauge_source(gauge) {
            GaugeSource::None => Some(FuelView::NoWindow),
            source => {
                let fuel = frame.shown_fuel(gauge)?;
                Some(FuelView::Left(
                    f64::from(fuel).clamp(0.0, 1.0),
                    source == GaugeSource::Estimate,
                ))
            }
        }
    };
    let pace = |pace: Option<f32>, empty: Option<u64>| PaceView {
        pace: pace.map(|p| f64::from(p).clamp(0.0, 1.0)),
        empty_in_secs: empty
            .map(|empty| empty.saturating_sub(u64::try_from(now_secs).unwrap_or(0))),
    };
    let stdin_spend = limits
        .and_then(|l| l.get(SPEND_LIMIT_KEY))
        .and_then(StatuslineSpend::from_value)
        .and_then(|spend| Some((spend.used_usd?, spend.limit_usd, spend.used_pct)));
    let frame_spend = frame.and_then(|f| f.spend).map(|s| {
        (
            f64::from(s.used_usd),
            s.limit_usd.map(f64::from),
            s.used_pct.map(f64::from),
        )
    });
    StatusView {
        fuel_5h: stdin_5h
            .or_else(|| from_frame(Gauge::Fuel5h))
            .or_else(|| no_window(&stdin_5h, &stdin_7d))
            .unwrap_or_default(),
        // Only the 5-hour window is known to be absent from plans; a weekly one Claude does not
        // send stays unknown.
        fuel_7d: stdin_7d
            .or_else(|| from_frame(Gauge::Fuel7d))
            .unwrap_or_default(),
        tach: frame.map(|f| u64::from(f.tach)),
        pace_5h: pace(
            frame.and_then(|f| f.pace_5h),
            frame.and_then(|f| f.empty_5h),
        ),
        pace_7d: pace(
            frame.and_then(|f| f.pace_7d),
            frame.and_then(|f| f.empty_7d),
        ),
        spend: stdin_spend.or(frame_spend),
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
    let fuel = |label: &str, fuel: FuelView, pace: PaceView| match fuel {
        FuelView::Left(left, is_estimate) => {
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
        FuelView::NoWindow => format!("no {label} limit"),
        FuelView::Unknown => format!("{label} --"),
    };
    let tach = match view.tach {
        Some(rate) if rate >= 1_000 => format!("{:.1}k tok/min", rate as f64 / 1_000.0),
        Some(rate) => format!("{rate} tok/min"),
        None => "tach --".to_string(),
    };
    let mut line = format!(
        "{} · {} · {}",
        fuel("5h", view.fuel_5h, view.pace_5h),
        fuel("7d", view.fuel_7d, view.pace_7d),
        paint(tach, "36")
    );
    if let Some((used, limit, pct)) = view.spend {
        // As Claude Code shows it: `$62.50 / $50.00`; red once the limit is passed.
        let mut text = format!("${used:.2}");
        if let Some(limit) = limit {
            text.push_str(&format!(" / ${limit:.2}"));
        }
        if let Some(pct) = pct {
            text.push_str(&format!(" ({pct:.0}%)"));
        }
        let code = if pct.is_some_and(|p| p >= 100.0) {
            "31"
        } else {
            "35"
        };
        line.push_str(" · ");
        line.push_str(&paint(text, code));
    }
    line
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

    fn frame(fuel_5h: Option<f32>, fuel_7d: Option<f32>, tach: u32, source: &str) -> Frame {
        let source = match source {
            "official" => gauge_core::FuelSource::Official,
            "estimate" => gauge_core::FuelSource::Estimate,
            _ => gauge_core::FuelSource::None,
        };
        Frame {
            fuel_5h,
            fuel_7d,
            tach,
            source,
            ..Frame::default()
        }
    }

    #[test]
    fn stdin_percentages_win_and_resets_roll_over() {
        let payload = json!({"rate_limits": {
            "five_hour": {"used_percentage": 42, "resets_at": 2_000},
            "seven_day": {"used_percentage": 17, "resets_at": 500}}});
        let frame = frame(Some(0.1), Some(0.1), 1234, "estimate");
        let v = view(&payload, Some(&frame), 1_000);
        assert_eq!(v.fuel_5h, FuelView::Left(0.58, false));
        assert_eq!(
            v.fuel_7d,
            FuelView::Left(1.0, false),
            "past resets_at: full"
        );
        assert_eq!(v.tach, Some(1234));
        assert_eq!(
            render(&v, false),
            "5h 58% left · 7d 100% left · 1.2k tok/min"
        );
    }

    #[test]
    fn frame_fills_in_and_daemon_down_still_renders() {
        let frame = frame(Some(0.75), None, 12, "estimate");
        let v = view(&json!({}), Some(&frame), 0);
        assert_eq!(render(&v, false), "5h ~75% left · 7d -- · 12 tok/min");
        let v = view(&json!({"model": {}}), None, 0);
        assert_eq!(render(&v, false), "5h -- · 7d -- · tach --");
        // A percentage equal to the reset epoch is dropped, not shown as 0% left.
        let bad = json!({"rate_limits": {"five_hour": {"used_percentage": 1774020000}}});
        assert_eq!(view(&bad, None, 0).fuel_5h, FuelView::Unknown);
    }

    #[test]
    fn a_missing_5h_window_reads_the_same_with_and_without_the_daemon() {
        let payload = json!({"rate_limits": {
            "seven_day": {"used_percentage": 17, "resets_at": 4_000}}});
        let down = view(&payload, None, 1_000);
        assert_eq!(render(&down, false), "no 5h limit · 7d 83% left · tach --");
        // The daemon says the same through the 5h gauge's own source.
        let up = Frame {
            source_5h: Some(GaugeSource::None),
            source_7d: Some(GaugeSource::Official),
            ..frame(None, Some(0.83), 5, "official")
        };
        let from_daemon = view(&json!({}), Some(&up), 1_000);
        assert_eq!(from_daemon.fuel_5h, FuelView::NoWindow);
        // An estimate is marked per gauge, not by the frame's legacy source.
        let mixed = Frame {
            source_5h: Some(GaugeSource::Estimate),
            source_7d: Some(GaugeSource::Official),
            ..frame(Some(0.5), Some(0.9), 5, "official")
        };
        assert_eq!(
            render(&view(&json!({}), Some(&mixed), 0), false),
            "5h ~50% left · 7d 90% left · 5 tok/min"
        );
    }

    #[test]
    fn spend_past_its_limit_is_shown_in_dollars() {
        let payload = json!({"rate_limits": {
            "seven_day": {"used_percentage": 17, "resets_at": 4_000},
            "spend_limit": {"used_percentage": 125.0, "used_usd": 62.5, "limit_usd": 50.0,
                            "period": "monthly"}}});
        let v = view(&payload, None, 1_000);
        assert_eq!(
            render(&v, false),
            "no 5h limit · 7d 83% left · tach -- · $62.50 / $50.00 (125%)"
        );
    }

    #[test]
    fn pace_and_run_out_come_from_the_frame_compactly() {
        let payload = json!({"rate_limits": {
            "five_hour": {"used_percentage": 50, "resets_at": 4_600}}});
        let frame = Frame {
            pace_5h: Some(0.2),
            empty_5h: Some(1_000 + 72 * 60 + 30),
            pace_7d: Some(0.95),
            ..frame(Some(0.5), Some(0.9), 10, "official")
        };
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
            fuel_5h: FuelView::Left(0.1, false),
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
