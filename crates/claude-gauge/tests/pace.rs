//! Pace and run-out (docs/protocol.md, "Pace and run-out"): the frame's `pace_5h` is the share
//! of the window still ahead, `empty_5h` the time the fuel runs out at the recent burn rate, and
//! a run-out before the reset lights WARN_5H, through the real daemon and the real
//! `claude-gauge statusline` command.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::util::TestDirs;
use crate::util::{append, assert_valid_frame, assistant_line, lamps, timestamp_now, Daemon};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A statusLine payload: 50 % of the 5-hour window used, its reset an hour away.
fn half_used_an_hour_left() -> String {
    json!({
        "session_id": "s-pace",
        "model": {"id": "claude-opus-4-5"},
        "rate_limits": {"five_hour": {"used_percentage": 50.0, "resets_at": now_secs() + 3600}}
    })
    .to_string()
}

/// Runs `claude-gauge statusline` against the daemon with `payload`; returns its line.
fn statusline(daemon: &Daemon, payload: &str) -> String {
    let mut child = daemon
        .dirs
        .command()
        .args(["statusline", "--daemon", &daemon.base_url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn f64_of(frame: &Value, key: &str) -> f64 {
    frame[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}: {frame}"))
}

#[tokio::test]
async fn an_hour_before_the_reset_pace_reads_a_fifth_and_an_even_burn_warns_of_nothing() {
    let daemon = Daemon::start();
    statusline(&daemon, &half_used_an_hour_left());
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| f["source"] == "official")
        .await;
    assert_valid_frame(&frame);
    assert!((f64_of(&frame, "fuel_5h") - 0.5).abs() < 1e-6, "{frame}");
    assert!((f64_of(&frame, "pace_5h") - 0.2).abs() <= 0.02, "{frame}");
    // 50 % in four hours leaves fuel at the reset: no run-out, no caution.
    assert_eq!(frame["empty_5h"], Value::Null, "{frame}");
    assert!(!lamps(&frame).contains(&"WARN_5H".to_string()), "{frame}");
}

#[tokio::test]
async fn a_burn_that_empties_the_window_before_its_reset_lights_warn_5h() {
    let dirs = TestDirs::new();
    let file = dirs.claude().join("projects/-work/pace.jsonl");
    // 10,000 fuel tokens in the last twenty minutes.
    for i in 0..10 {
        let at = timestamp_now(-120_000 * (i + 1));
        let line = assistant_line(&format!("req_pace_{i}"), &at, "claude-opus-4-5", 500, 500);
        append(&file, &format!("{line}\n"));
    }
    let daemon = Daemon::start_with(dirs, &[]);
    daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 10
        })
        .await;
    // Claude says those tokens are 50 % of the window: the last half hour burned half of it, so
    // the other half lasts about 30 minutes, and the reset is an hour away.
    let line = statusline(&daemon, &half_used_an_hour_left());
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| f["empty_5h"].is_u64())
        .await;
    assert_valid_frame(&frame);
    let now = now_secs();
    let empty = frame["empty_5h"].as_u64().unwrap_or(0);
    assert!(
        (now + 25 * 60..=now + 35 * 60).contains(&empty),
        "run-out about 30 min away: {frame}"
    );
    assert!(empty < frame["reset_5h"].as_u64().unwrap_or(0), "{frame}");
    assert!((f64_of(&frame, "fuel_5h") - 0.5).abs() < 1e-6, "{frame}");
    assert!(
        lamps(&frame).contains(&"WARN_5H".to_string()),
        "lit by the run-out, not the fuel level: {frame}"
    );
    // The statusLine line carries it compactly (the line before may predate the reading).
    let line = if line.contains("empty") {
        line
    } else {
        statusline(&daemon, &half_used_an_hour_left())
    };
    assert!(
        line.starts_with("5h 50% left (pace 20%, empty in "),
        "{line:?}"
    );
}
