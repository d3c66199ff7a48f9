//! The virtual cluster: the web page in headless Chromium, the simulator on a serial pty or
//! HTTP, and `watch --once`, each checked against gauge-core's own numbers for the same frame,
//! also one with an unknown 7-day fuel.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gauge_core::{decode_frame, Cluster, ClusterConfig, Gauge, Lamp};
use serde_json::{json, Value};

use crate::cdp::{chromium_or_skip, Browser};
use crate::util::{lamps, Daemon, TestDirs};

/// A statusLine payload: 5 h 42% used (fuel 0.58), 7 d 83% used (fuel 0.17, WARN_7D), Opus.
fn statusline() -> Value {
    let resets_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3 * 3600;
    json!({
        "model": {"id": "claude-opus-4-6"},
        "rate_limits": {
            "five_hour": {"used_percentage": 42.0, "resets_at": resets_at},
            "seven_day": {"used_percentage": 83.0, "resets_at": resets_at + 86_400}
        }
    })
}

/// Feeds a statusLine with the 5-hour window only and waits for its frame: no 7-day figure
/// from anywhere (no `limits.tokens_7d`), so `fuel_7d` is null.
async fn feed_unknown_7d_frame(daemon: &Daemon) -> Value {
    let mut payload = statusline();
    payload["rate_limits"]
        .as_object_mut()
        .unwrap()
        .remove("seven_day");
    let resp = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            f["source"] == "official" && f["fuel_5h"] == 0.58
        })
        .await;
    assert_eq!(frame["fuel_7d"], Value::Null, "{frame}");
    frame
}

/// Feeds the known statusLine and waits for its frame.
async fn feed_known_frame(daemon: &Daemon) -> Value {
    let resp = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .json(&statusline())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            f["source"] == "official" && f["model"] == "opus"
        })
        .await;
    assert_eq!(frame["fuel_5h"], 0.58, "{frame}");
    assert!(lamps(&frame).contains(&"WARN_7D".to_string()), "{frame}");
    frame
}

/// Where gauge-core's dials put each needle for `frame`, steps above the stop.
fn dial_positions(frame: &Value) -> [u16; 3] {
    let frame = decode_frame(frame.to_string().as_bytes()).unwrap();
    ClusterConfig::default()
        .goal_steps(&frame)
        .map(|steps| u16::try_from(steps).unwrap())
}

/// The needle angle the page must draw: gauge-core's, for the default dials.
fn angle_deg(gauge: Gauge, steps: u16) -> f64 {
    f64::from(ClusterConfig::default().needle_angle_deg(gauge, f32::from(steps)))
}

fn build_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build")
}

const PAGE_STATE: &str = r#"JSON.stringify({
  ready: document.body.dataset.ready === '1',
  error: document.body.dataset.error || null,
  seq: Number(document.body.dataset.seq),
  settled: document.body.dataset.settled === '1',
  link: document.body.dataset.link,
  needles: [...document.querySelectorAll('.needle')].map(n => ({
    steps: Number(n.dataset.positionSteps), angle: Number(n.dataset.angleDeg),
    transform: n.getAttribute('transform') })),
  lamps: Object.fromEntries([...document.querySelectorAll('[data-lamp]')].map(l => [l.dataset.lamp, l.dataset.pattern])),
  models: Object.fromEntries([...document.querySelectorAll('[data-model]')].map(l => [l.dataset.model, l.dataset.pattern])),
  source: document.getElementById('source').textContent,
})"#;

async fn page_state(browser: &mut Browser) -> Value {
    serde_json::from_str(browser.eval(PAGE_STATE).await.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn web_page_shows_the_frame_with_gauge_core_motion_and_stalls_and_reconnects() {
    let Some(chromium) = chromium_or_skip("web page e2e") else {
        return;
    };
    let dirs = TestDirs::new();
    let daemon = Daemon::start_with(dirs, &[]);
    let frame = feed_known_frame(&daemon).await;
    let mut browser = Browser::launch(&chromium, 1200, 720).await;
    browser.navigate(&daemon.url("/?boot_sweep=0")).await;
    let ready = browser
        .wait_for(
            "!!(document.body && document.body.dataset.ready === '1')",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(ready, true, "the page did not start");

    // Settled on the frame, after the 2 s lamp test.
    let started = Instant::now();
    let mut state = page_state(&mut browser).await;
    while started.elapsed() < Duration::from_secs(15) {
        state = page_state(&mut browser).await;
        assert!(state["error"].is_null(), "{state}");
        let lamp_test_over = started.elapsed() > Duration::from_millis(2500);
        if state["settled"] == true && lamp_test_over && state["seq"] == frame["seq"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let frame = daemon.usage().await;
    assert_eq!(
        state["seq"], frame["seq"],
        "the page shows the latest frame: {state}"
    );
    let expected = dial_positions(&frame);
    for gauge in Gauge::ALL {
        let needle = &state["needles"][gauge.index()];
        assert_eq!(
            needle["steps"],
            expected[gauge.index()],
            "{gauge:?}: {state}"
        );
        let angle = angle_deg(gauge, expected[gauge.index()]);
        let shown = needle["angle"].as_f64().unwrap();
        assert!(
            (shown - angle).abs() < 0.001,
            "{gauge:?}: {shown} != {angle}"
        );
        assert_eq!(needle["transform"], format!("rotate({angle:.3} 100 100)"));
    }
    let lit = lamps(&frame);
    for lamp in Lamp::ALL {
        if lamp.model_family().is_some() {
            // WARN_OPUS / WARN_SONNET show on the model lamps (tests/pace.rs).
            continue;
        }
        let pattern = state["lamps"][lamp.as_str()].as_str().unwrap();
        assert_eq!(
            pattern != "off",
            lit.contains(&lamp.as_str().to_string()),
            "{lamp:?}: {state}"
        );
    }
    assert_eq!(
        state["models"],
        json!({"opus": "steady", "sonnet": "off", "haiku": "off"})
    );
    assert_eq!(state["source"], "OFFICIAL");
    browser.screenshot(&build_dir().join("web-e2e.png")).await;

    // The same motion model: a recorded sequence replayed on the page equals gauge-core here.
    replay_matches_gauge_core(&mut browser).await;

    // The daemon goes away: the cluster's watchdog lights STALL and rests the needles.
    let addr = daemon.base_url.trim_start_matches("http://").to_string();
    let dirs = {
        let mut daemon = daemon;
        daemon.stop();
        std::mem::replace(&mut daemon.dirs, TestDirs::new())
    };
    let stalled = browser
        .wait_for(
            "document.querySelector('[data-lamp=STALL]').dataset.pattern !== 'off' && document.body.dataset.stalled === '1'",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(stalled, true, "{}", page_state(&mut browser).await);
    assert_eq!(page_state(&mut browser).await["link"], "down");
    browser
        .screenshot(&build_dir().join("web-e2e-stall.png"))
        .await;

    // It comes back on the same address: the page reconnects by itself.
    let daemon = Daemon::start_with(dirs, &["--listen", &addr]);
    feed_known_frame(&daemon).await;
    let recovered = browser
        .wait_for(
            "document.body.dataset.link === 'up' && document.body.dataset.stalled === '0'",
            Duration::from_secs(15),
        )
        .await;
    assert_eq!(recovered, true, "{}", page_state(&mut browser).await);
}

/// Frames at chosen times (one garbled, one long gap that trips the watchdog), replayed in the
/// page's own `Instrument` and in gauge-core's `Cluster`, sampled every 20 ms: same positions.
async fn replay_matches_gauge_core(browser: &mut Browser) {
    let frame = |seq: u32, fuel_5h: f64, fuel_7d: f64, tach: u32, lamps: &[&str]| {
        json!({"v":1,"seq":seq,"ts":0,"fuel_5h":fuel_5h,"fuel_7d":fuel_7d,"tach":tach,
               "reset_5h":null,"reset_7d":null,"model":"sonnet","source":"estimate","lamps":lamps})
        .to_string()
    };
    let mut events: Vec<(u64, String)> = vec![
        (300_000, frame(1, 0.9, 0.5, 1000, &[])),
        (1_200_000, frame(2, 0.4, 0.45, 9000, &["HOT"])),
        (1_250_000, "{\"v\":1,\"seq\":".to_string()),
        (2_000_000, frame(3, 0.1, 0.4, 200, &["WARN_5H"])),
        (2_600_000, frame(4, 1.0, 0.0, 0, &["IDLE"])),
        // Silence for 6 s: the 5 s watchdog fires at 7.6 s, then a frame brings it back.
        (8_600_000, frame(5, 0.33, 0.66, 4000, &[])),
    ];
    events.sort_by_key(|(t, _)| *t);
    let samples: Vec<u64> = (0..=550).map(|i| i * 20_000).collect();

    let mut cluster = Cluster::new(ClusterConfig::default(), 0);
    let mut next = 0;
    let mut expected = Vec::new();
    for &t in &samples {
        while next < events.len() && events[next].0 <= t {
            let (at, ref bytes) = events[next];
            cluster.advance_to(at, |_, _, _| {});
            let _ = cluster.feed_bytes(bytes.as_bytes(), at);
            next += 1;
        }
        cluster.advance_to(t, |_, _, _| {});
        expected.push(cluster.needle_positions().to_vec());
    }
    assert!(cluster.needle_positions() != [0, 0, 0]);

    let events_js: Vec<Value> = events
        .iter()
        .map(|(t, f)| json!({"t_us": t, "frame": f}))
        .collect();
    let script = format!(
        "window.gauge.replay({}, {}, {{linkTimeoutMs: 5000, bootSweep: true}}).then(JSON.stringify)",
        Value::from(events_js),
        json!(samples)
    );
    let replayed: Vec<Vec<u16>> =
        serde_json::from_str(browser.eval(&script).await.as_str().unwrap()).unwrap();
    assert_eq!(replayed.len(), expected.len());
    for (i, (page, core)) in replayed.iter().zip(&expected).enumerate() {
        assert_eq!(page, core, "sample {i} at {} µs", samples[i]);
    }
}

/// `claude-gauge sim --pty LINK --jsonl`, its stdout lines on a channel, killed on drop.
struct Sim {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Sim {
    /// A virtual cluster on a pty linked at `link`.
    fn start(link: &Path) -> Sim {
        Sim::start_with(&["--pty", link.to_str().unwrap()])
    }

    /// A simulator reading frames from `source` (`--pty PATH`, `--url URL`).
    fn start_with(source: &[&str]) -> Sim {
        let (child, lines) = crate::util::spawn_sim_jsonl(crate::util::bin(), source);
        Sim { child, lines }
    }

    /// Waits until the simulated needles stand at `positions`; returns that sample.
    fn wait_for_positions(&self, positions: [u16; 3], timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = Value::Null;
        while let Ok(sample) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if sample["positions"] == json!(positions) && sample["is_stalled"] == false {
                return sample;
            }
            last = sample;
        }
        panic!("the simulator never reached {positions:?}; last sample {last}");
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn serve_serial_drives_the_simulator_over_a_pty_and_resumes_after_unplug() {
    let dirs = TestDirs::new();
    let link = dirs.root.path().join("ttyCLUSTER");
    let link_arg = link.to_str().unwrap().to_string();
    // The daemon starts before the port exists: it keeps trying.
    let daemon = Daemon::start_with(dirs, &["--serial", &link_arg, "--baud", "115200"]);
    let frame = feed_known_frame(&daemon).await;
    let expected = dial_positions(&frame);

    let sim = Sim::start(&link);
    let sample = sim.wait_for_positions(expected, Duration::from_secs(10));
    // This frame or a later one: the frame's pace moves on by itself (every 3 minutes).
    assert!(sample["seq"].as_u64() >= frame["seq"].as_u64(), "{sample}");
    assert_eq!(sample["model"], "opus");
    let warn = sample["lamps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lamp"] == "WARN_7D")
        .unwrap();
    assert_ne!(warn["pattern"], "off", "{sample}");

    // Unplug: the cluster goes away, and the link with it.
    drop(sim);
    assert!(!link.exists(), "the link went with the cable");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Plug back in: a new pty at the same path; the daemon reopens it and frames flow again.
    let sim = Sim::start(&link);
    let sample = sim.wait_for_positions(expected, Duration::from_secs(10));
    assert!(sample["seq"].as_u64() >= frame["seq"].as_u64(), "{sample}");
}

#[tokio::test]
async fn watch_once_prints_the_gauges_and_lamps() {
    let daemon = Daemon::start();
    feed_known_frame(&daemon).await;
    let output = tokio::task::spawn_blocking({
        let url = daemon.base_url.clone();
        move || {
            crate::util::bin()
                .args([
                    "watch", "--once", "--width", "100", "--height", "24", "--url", &url,
                ])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().count(), 24);
    assert!(
        text.contains("reset 2h 59m") || text.contains("reset 3h 00m"),
        "{text}"
    );
    for expected in [
        "OFFICIAL",
        "58%",
        "17%",
        "0 tok/min",
        "reset 1d ",
        "[OPUS]",
        "[WARN_7D]",
        " HOT ",
        " LIMIT ",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    // A snapshot takes no keys, so it shows no key hints.
    assert!(text.starts_with("CLAUDE GAUGE  OFFICIAL  LINK\n"), "{text}");
    assert!(
        !text.contains("quit") && !text.contains("acknowledge"),
        "{text}"
    );
    std::fs::create_dir_all(build_dir()).unwrap();
    std::fs::write(build_dir().join("watch-once.txt"), &text).unwrap();

    // With no daemon, --once fails with a hint.
    let stopped = daemon.base_url.clone();
    drop(daemon);
    let output = crate::util::bin()
        .args(["watch", "--once", "--url", &stopped])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is the daemon running"));
}

/// `watch --once` against the daemon at `url`: its text.
fn watch_once(url: &str) -> String {
    let output = crate::util::bin()
        .args([
            "watch", "--once", "--width", "100", "--height", "24", "--url", url,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The page state of the 7-day gauge: its needle, hint and unknown mark.
const PAGE_7D: &str = r#"JSON.stringify({
  ready: document.body.dataset.ready === '1',
  seq: Number(document.body.dataset.seq),
  settled: document.body.dataset.settled === '1',
  steps: Number(document.querySelector('#gauge-7d .needle').dataset.positionSteps),
  angle: Number(document.querySelector('#gauge-7d .needle').dataset.angleDeg),
  unknown: document.getElementById('gauge-7d').dataset.unknown,
  hint: document.getElementById('hint-7d').hidden ? null : document.getElementById('hint-7d').textContent,
  hint_5h: document.getElementById('hint-5h').hidden ? null : document.getElementById('hint-5h').textContent,
  value: document.getElementById('value-7d').textContent,
})"#;

/// The issue: with no 7-day figure the 7 d needle rested on E, which reads "weekly empty".
/// Now it parks below E (gauge-core's park position) in the simulator, on the page and in
/// `watch`, and the page and `watch` say how to get a value.
#[tokio::test]
async fn unknown_7d_parks_below_e_not_on_it() {
    let daemon = Daemon::start();
    let frame = feed_unknown_7d_frame(&daemon).await;
    let config = ClusterConfig::default();
    let e_steps = config.dial(Gauge::Fuel7d).position_steps(0);
    let expected = dial_positions(&frame);
    assert!(i32::from(expected[2]) < e_steps, "{expected:?}");
    assert!(
        i32::from(expected[0]) > e_steps,
        "the known 5 h reads on the scale"
    );

    // sim --jsonl: the simulated 7 d needle stands below E.
    let sim = Sim::start_with(&["--url", &daemon.base_url]);
    let sample = sim.wait_for_positions(expected, Duration::from_secs(10));
    assert!(sample["seq"].as_u64() >= frame["seq"].as_u64(), "{sample}");
    assert!(sample["positions"][2].as_i64().unwrap() < i64::from(e_steps));
    drop(sim);

    // watch --once: says so, and how to get a value.
    let text = tokio::task::spawn_blocking({
        let url = daemon.base_url.clone();
        move || watch_once(&url)
    })
    .await
    .unwrap();
    assert!(
        text.contains(
            "7D FUEL unknown, needle below E: set limits.tokens_7d or run claude-gauge install-statusline"
        ),
        "{text}"
    );

    // The page: the needle (gauge-core's, through wasm) below E, dimmed, with the hint.
    let Some(chromium) = chromium_or_skip("web page unknown 7d") else {
        return;
    };
    let mut browser = Browser::launch(&chromium, 1200, 720).await;
    browser.navigate(&daemon.url("/?boot_sweep=0")).await;
    let started = Instant::now();
    let mut state = Value::Null;
    while started.elapsed() < Duration::from_secs(15) {
        let raw = browser
            .eval(&format!(
                "document.body && document.body.dataset.ready === '1' ? {PAGE_7D} : null"
            ))
            .await;
        if let Some(raw) = raw.as_str() {
            state = serde_json::from_str(raw).unwrap();
            if state["settled"] == true && state["seq"] == frame["seq"] {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["steps"], expected[2], "{state}");
    let angle = angle_deg(Gauge::Fuel7d, expected[2]);
    let shown = state["angle"].as_f64().unwrap();
    assert!((shown - angle).abs() < 0.001, "{shown} != {angle}");
    let e_angle = f64::from(config.needle_angle_deg(Gauge::Fuel7d, e_steps as f32));
    assert!(
        shown < e_angle,
        "the needle at {shown}° is not below E at {e_angle}°"
    );
    assert_eq!(state["unknown"], "1", "{state}");
    assert_eq!(state["value"], "--", "{state}");
    assert_eq!(state["hint_5h"], Value::Null, "{state}");
    let hint = state["hint"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        hint, "unknown: set limits.tokens_7d or run claude-gauge install-statusline",
        "{state}"
    );
    browser
        .wait_for(
            "document.querySelector('[data-lamp=HOT]').dataset.pattern === 'off'",
            Duration::from_secs(5),
        )
        .await;
    browser
        .screenshot(&build_dir().join("web-unknown-7d.png"))
        .await;
}

/// `sim` without `--jsonl` opens with a one-line legend, then one line per change.
#[tokio::test]
async fn sim_text_starts_with_a_legend() {
    let daemon = Daemon::start();
    feed_known_frame(&daemon).await;
    let url = daemon.base_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        crate::util::bin()
            .args([
                "sim",
                "--no-boot-sweep",
                "--duration-secs",
                "1",
                "--url",
                &url,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let legend = lines.next().unwrap();
    assert!(
        legend.starts_with(
            "# t=seconds since boot  5h|tach|7d position/goal in steps above the stop"
        ),
        "{text}"
    );
    assert!(legend.contains("unknown fuel parked at 0"), "{legend}");
    assert!(
        lines.next().is_some_and(|line| line.starts_with("t=")),
        "{text}"
    );
    assert!(lines.all(|line| line.starts_with("t=")), "{text}");
}
