//! Pace and run-out (docs/protocol.md, "Pace and run-out"): the frame's `pace_5h` is the share
//! of the window still ahead, `empty_5h` the time the fuel runs out at the recent burn rate, and
//! a run-out before the reset lights WARN_5H, through the real daemon and the real
//! `claude-gauge statusline` command.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::util::run_with_stdin;
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
    let mut command = daemon.dirs.command();
    let out = run_with_stdin(
        command.args(["statusline", "--daemon", &daemon.base_url]),
        payload,
    );
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

/// A daemon that has read 10,000 fuel tokens of the last twenty minutes.
async fn daemon_with_a_recent_burn() -> Daemon {
    let dirs = TestDirs::new();
    let file = dirs.claude().join("projects/-work/pace.jsonl");
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
    daemon
}

#[tokio::test]
async fn a_burn_that_empties_the_window_before_its_reset_lights_warn_5h() {
    let daemon = daemon_with_a_recent_burn().await;
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

const PAGE_PACE: &str = r#"JSON.stringify({
  ready: document.body.dataset.ready === '1',
  error: document.body.dataset.error || null,
  seq: Number(document.body.dataset.seq),
  pace_5h: (m => m && ({visible: m.getAttribute('visibility'), pace: m.dataset.pace,
    angle: Number(m.dataset.angleDeg)}))(document.querySelector('#gauge-5h .pace-mark')),
  pace_7d: (m => m && m.getAttribute('visibility'))(document.querySelector('#gauge-7d .pace-mark')),
  empty_5h: (n => n && n.textContent)(document.getElementById('empty-5h')),
  opus: (n => ({caution: n.dataset.caution, pattern: n.dataset.pattern}))(document.querySelector('[data-model=opus]')),
  sonnet: (n => ({caution: n.dataset.caution, pattern: n.dataset.pattern}))(document.querySelector('[data-model=sonnet]')),
  windows: (n => n && !n.hidden ? n.textContent : null)(document.getElementById('windows')),
})"#;

#[tokio::test]
async fn the_page_marks_pace_and_run_out_and_flashes_the_opus_lamp() {
    let Some(chromium) = crate::cdp::chromium_or_skip("pace on the web page") else {
        return;
    };
    let daemon = daemon_with_a_recent_burn().await;
    // This statusLine payload also carries the weekly Opus window, at 91 %.
    let payload = json!({
        "session_id": "s-pace", "model": {"id": "claude-sonnet-4-5"},
        "rate_limits": {
            "five_hour": {"used_percentage": 50.0, "resets_at": now_secs() + 3600},
            "seven_day_opus": {"used_percentage": 91.0, "resets_at": now_secs() + 86_400}}
    });
    statusline(&daemon, &payload.to_string());
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            f["empty_5h"].is_u64() && lamps(f).contains(&"WARN_OPUS".to_string())
        })
        .await;
    assert_valid_frame(&frame);
    let mut browser = crate::cdp::Browser::launch(&chromium, 1200, 720).await;
    browser.navigate(&daemon.url("/?boot_sweep=0")).await;
    let ready = browser
        .wait_for(
            "!!(document.body && document.body.dataset.ready === '1')",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(ready, true, "the page did not start");
    // Past the 2 s lamp test, the Opus lamp flashes its caution.
    let started = std::time::Instant::now();
    let mut state = Value::Null;
    while started.elapsed() < Duration::from_secs(15) {
        state = serde_json::from_str(browser.eval(PAGE_PACE).await.as_str().unwrap()).unwrap();
        assert!(state["error"].is_null(), "{state}");
        let is_done = started.elapsed() > Duration::from_millis(2500)
            && state["seq"] == frame["seq"]
            && state["windows"].is_string()
            && state["opus"]["pattern"] == "slow";
        if is_done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The pace mark stands where gauge-core puts 0.2 on the 5 h dial.
    let config = gauge_core::ClusterConfig::default();
    let gauge = gauge_core::Gauge::Fuel5h;
    let pace_bp = (frame["pace_5h"].as_f64().unwrap() * 10_000.0).round() as u16;
    let steps = config.dial(gauge).position_steps(pace_bp) as f32;
    let angle = f64::from(config.needle_angle_deg(gauge, steps));
    assert_eq!(state["pace_5h"]["visible"], "visible", "{state}");
    let shown = state["pace_5h"]["angle"].as_f64().unwrap_or(f64::NAN);
    assert!((shown - angle).abs() < 0.001, "{shown} != {angle}: {state}");
    assert_eq!(
        state["pace_7d"], "hidden",
        "no 7-day figure, no mark: {state}"
    );
    let empty = state["empty_5h"].as_str().unwrap_or("");
    assert!(
        empty.starts_with("empty in 2") || empty.starts_with("empty in 3"),
        "{state}"
    );
    assert_eq!(
        state["opus"],
        json!({"caution": "1", "pattern": "slow"}),
        "{state}"
    );
    assert_eq!(state["sonnet"]["caution"], "0", "{state}");
    assert_eq!(state["windows"], "7D OPUS 9% left", "{state}");
    let build = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build");
    std::fs::create_dir_all(&build).unwrap();
    browser.screenshot(&build.join("web-pace.png")).await;
}
