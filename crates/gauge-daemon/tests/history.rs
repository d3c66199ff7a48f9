//! The history page (`/history`) and its data (`/history.json`): from a real store fed by real
//! transcripts and statusLine readings, drawn by the vendored uPlot in headless Chromium.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::support::cdp::{chromium_or_skip, Browser};
use crate::util::{assistant_line, timestamp_now, write, TestDaemon, TestDirs};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Transcripts: two models every two hours over the last three days, and an old session (20
/// days back) in a file of its own. Returns the old file and how many requests were written.
fn write_transcripts(dirs: &TestDirs) -> (PathBuf, u64) {
    let project = dirs.claude().join("projects/-work-project");
    let mut lines = Vec::new();
    for step in 0..36i64 {
        let at = timestamp_now(-(step * 2 * HOUR_MS) - 60_000);
        let (model, input, output) = if step % 3 == 0 {
            ("claude-opus-4-1-20250805", 2_000 + step as u64 * 10, 900)
        } else {
            (
                "claude-sonnet-4-5-20250929",
                5_000 + step as u64 * 100,
                1_500,
            )
        };
        lines.push(assistant_line(
            &format!("req_{step}"),
            &at,
            model,
            input,
            output,
        ));
    }
    write(&project.join("recent.jsonl"), &(lines.join("\n") + "\n"));
    let old: Vec<String> = (0..3)
        .map(|i| {
            let at = timestamp_now(-20 * DAY_MS - i * HOUR_MS);
            assistant_line(
                &format!("old_{i}"),
                &at,
                "claude-sonnet-4-5-20250929",
                40_000,
                8_000,
            )
        })
        .collect();
    let old_file = project.join("old.jsonl");
    write(&old_file, &(old.join("\n") + "\n"));
    (old_file, 39)
}

/// Official samples of the last two days, as a statusLine would have stored them: the 5-hour
/// window climbs and resets every five hours, the 7-day one climbs slowly. Written into the
/// store's own table with a second connection, as the daemon runs.
fn seed_official(data_dir: &Path) {
    let conn = rusqlite::Connection::open(data_dir.join("claude-gauge.sqlite3")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let now = now_secs();
    let window = 5 * 3600;
    let tx = conn.unchecked_transaction().unwrap();
    for step in (1..=288).rev() {
        let at = now - step * 600;
        let end = (at / window + 1) * window;
        let used_5h = ((window - (end - at)) as f64 / window as f64 * 85.0).round();
        let used_7d = (45.0 - step as f64 * 0.08).round();
        for (name, used, resets) in [("5h", used_5h, end), ("7d", used_7d, now + 5 * 86_400)] {
            tx.execute(
                "INSERT INTO official_samples (at_ms, window, used_pct, resets_at_secs, origin)
                 VALUES (?1, ?2, ?3, ?4, 'statusline')",
                rusqlite::params![at * 1000, name, used, resets],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// A daemon over a store with all three kinds of history.
async fn daemon_with_history() -> (TestDaemon, PathBuf, u64) {
    let dirs = TestDirs::new();
    let (old_file, requests) = write_transcripts(&dirs);
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == requests
        })
        .await;
    assert_eq!(stats["usage_totals"]["requests"], requests, "{stats}");
    seed_official(&daemon.dirs.data());
    (daemon, old_file, requests)
}

async fn history_json(daemon: &TestDaemon, query: &str) -> (u16, Value) {
    let answer = reqwest::get(daemon.url(&format!("/history.json{query}")))
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_json_serves_percentages_resets_tokens_and_cost_from_the_store() {
    let (mut daemon, old_file, _) = daemon_with_history().await;
    let (status, history) = history_json(&daemon, "?days=7").await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["days"], 7);
    let five = &history["official"]["5h"];
    assert!(five["t"].as_array().unwrap().len() >= 280, "{five}");
    assert_eq!(
        five["t"].as_array().unwrap().len(),
        five["used_pct"].as_array().unwrap().len()
    );
    let resets = history["official"]["resets"].as_array().unwrap();
    assert!(
        resets.len() >= 9 && resets.iter().all(|r| r["window"] == "5h"),
        "two days of 5-hour windows: {resets:?}"
    );
    let tokens = &history["tokens_per_hour"];
    assert_eq!(tokens["t"].as_array().unwrap().len(), 7 * 24 + 1);
    let models: Vec<&str> = tokens["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929"]
    );
    let hour_sum: u64 = tokens["series"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
        })
        .sum();
    // Every recent request: input + output + the 100 cache-read tokens of each line.
    let expected: u64 = (0..36u64)
        .map(|step| {
            if step % 3 == 0 {
                2_000 + step * 10 + 900 + 100
            } else {
                5_000 + step * 100 + 1_500 + 100
            }
        })
        .sum();
    assert_eq!(hour_sum, expected);
    let old_day = &history["cost_per_day"]["days"][0];
    let cost = history["cost_per_day"]["series"][1]["cost_usd"][0]
        .as_f64()
        .unwrap();
    assert!(cost > 0.0, "{history}");

    // Claude Code deletes old transcripts; the store keeps their cost.
    std::fs::remove_file(&old_file).unwrap();
    daemon.stop().await;
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let (_, after) = history_json(&daemon, "").await;
    assert_eq!(after["days"], 7, "days defaults to 7");
    assert_eq!(&after["cost_per_day"]["days"][0], old_day);
    assert_eq!(
        after["cost_per_day"]["series"][1]["cost_usd"][0].as_f64(),
        Some(cost)
    );

    // The page loads only the daemon's own scripts, styles and data.
    let page = reqwest::get(daemon.url("/history")).await.unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("script-src 'self'"),
        "{policy}"
    );
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("vendor/uplot/uPlot.iife.min.js"));
    let index = reqwest::get(daemon.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains("href=\"history\""),
        "the cluster page links the history page"
    );

    for bad in ["?days=0", "?days=91", "?days=week", "?days=7&x=1"] {
        let (status, body) = history_json(&daemon, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("days"),
            "{bad}: {body}"
        );
    }
}

/// What the page drew: each chart's columns and series labels, and the resets it marked.
const DRAWN: &str = r#"JSON.stringify((() => {
  const h = window.gaugeHistory, c = h.charts;
  const cols = (u) => u.data.map((col) => Array.from(col));
  const labels = (u) => u.series.slice(1).map((s) => s.label);
  const canvas = (u) => [u.ctx.canvas.width, u.ctx.canvas.height];
  return {
    official: cols(c.official), tokens: cols(c.tokens), cost: cols(c.cost),
    tokenLabels: labels(c.tokens), costLabels: labels(c.cost),
    resetsDrawn: c.official.resetsDrawn, canvases: [canvas(c.official), canvas(c.tokens), canvas(c.cost)],
  };
})())"#;

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_page_draws_the_values_of_history_json() {
    let Some(chromium) = chromium_or_skip("history_page_draws_the_values_of_history_json") else {
        return;
    };
    let (daemon, _, _) = daemon_with_history().await;
    let mut browser = Browser::launch(&chromium, 1100, 1250).await;
    browser.navigate(&daemon.url("/history?days=7")).await;
    let state = browser
        .wait_for(
            "document.body && document.body.dataset.state !== 'loading' && document.body.dataset.state",
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(
        state,
        "ready",
        "{}",
        browser
            .eval("document.getElementById('error').textContent")
            .await
    );
    let drawn: Value = serde_json::from_str(browser.eval(DRAWN).await.as_str().unwrap()).unwrap();
    let (_, history) = history_json(&daemon, "?days=7").await;

    // Official: each window's drawn points are the served ones, at the served times.
    for (column, window) in [(1, "5h"), (2, "7d")] {
        let (times, values): (Vec<f64>, Vec<f64>) = numbers(&drawn["official"][0])
            .into_iter()
            .zip(drawn["official"][column].as_array().unwrap())
            .filter_map(|(t, v)| v.as_f64().map(|v| (t, v)))
            .unzip();
        assert_eq!(
            times,
            numbers(&history["official"][window]["t"]),
            "{window}"
        );
        assert_eq!(
            values,
            numbers(&history["official"][window]["used_pct"]),
            "{window}"
        );
    }
    let resets = history["official"]["resets"].as_array().unwrap().len();
    assert!(resets >= 9);
    assert_eq!(drawn["resetsDrawn"], resets);

    // Tokens per hour: the same models and, hour by hour, the same values.
    let series = history["tokens_per_hour"]["series"].as_array().unwrap();
    let models: Vec<&Value> = series.iter().map(|s| &s["model"]).collect();
    assert_eq!(
        drawn["tokenLabels"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        models
    );
    let served_t = numbers(&history["tokens_per_hour"]["t"]);
    let drawn_t = numbers(&drawn["tokens"][0]);
    for (i, s) in series.iter().enumerate() {
        let served = numbers(&s["tokens"]);
        let drawn_values = numbers(&drawn["tokens"][i + 1]);
        let by_hour = |t: &[f64], v: &[f64]| -> Vec<(i64, i64)> {
            t.iter()
                .zip(v)
                .filter(|(_, v)| **v > 0.0)
                .map(|(t, v)| (*t as i64, *v as i64))
                .collect()
        };
        assert_eq!(
            by_hour(&drawn_t, &drawn_values),
            by_hour(&served_t, &served)
        );
        assert!(served.iter().any(|v| *v > 0.0));
    }

    // Cost per day: the same days, models and values.
    assert_eq!(
        numbers(&drawn["cost"][0]),
        numbers(&history["cost_per_day"]["t"])
    );
    for (i, s) in history["cost_per_day"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_eq!(drawn["costLabels"][i], s["model"]);
        assert_eq!(numbers(&drawn["cost"][i + 1]), numbers(&s["cost_usd"]));
    }
    for canvas in drawn["canvases"].as_array().unwrap() {
        assert!(
            canvas[0].as_u64().unwrap() > 300 && canvas[1].as_u64().unwrap() > 100,
            "{canvas}"
        );
    }
    let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build");
    browser.screenshot(&build.join("history.png")).await;
}
