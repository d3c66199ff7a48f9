//! The limit in use, and what was learned of it, survive a restart.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::util::{append, assistant_line, timestamp_now, Daemon, TestDirs};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn post_statusline(daemon: &Daemon, used_5h: f64, resets_at: u64) {
    let body = json!({
        "model": {"id": "claude-opus-4-5"},
        "rate_limits": {"five_hour": {"used_percentage": used_5h, "resets_at": resets_at}}
    });
    let answer = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 202);
}

async fn wait_limits(daemon: &Daemon, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let report = daemon.get_json("/limits").await;
        if pred(&report) || Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_learned_limit_survives_a_restart() {
    let dirs = TestDirs::new();
    let file = dirs.claude().join("projects/-work/s.jsonl");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    for i in 0..10 {
        let line = assistant_line(
            &format!("req_{i}"),
            &timestamp_now(-60_000 * (i + 1)),
            "claude-opus-4-5",
            100,
            100,
        );
        append(&file, &format!("{line}\n"));
    }
    let mut daemon = Daemon::start_with(dirs, &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while daemon.get_json("/stats").await["usage_totals"]["requests"] != 10
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // 2,000 fuel tokens are 20 % of the window: 100 tokens per percent, a 10,000-token limit.
    let reset = now_secs() + 2 * 3600;
    post_statusline(&daemon, 20.0, reset).await;
    // Then a new window begins with a reading too small to learn from across windows: the
    // learned rate stays.
    post_statusline(&daemon, 2.0, reset + 5 * 3600).await;
    let report = wait_limits(&daemon, |r| r["windows"][0]["official"]["used_pct"] == 2.0).await;
    let learned = report["windows"][0]["calibration"]["tokens_per_pct"].clone();
    assert_eq!(learned, 100.0, "{report}");
    assert_eq!(
        report["windows"][0]["limit_in_use"],
        json!({"source": "learned", "tokens": 10_000}),
        "{report}"
    );
    // Give the writer a moment to keep it, then a kill -9 and a restart: the newest reading
    // alone (2 %) would teach 1,000 tokens per percent; the kept rate says 100.
    tokio::time::sleep(Duration::from_millis(500)).await;
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    let daemon = Daemon::start_with(dirs, &[]);
    let report = wait_limits(&daemon, |r| r["windows"][0]["calibration"].is_object()).await;
    assert_eq!(
        report["windows"][0]["calibration"]["tokens_per_pct"], 100.0,
        "{report}"
    );
    assert_eq!(
        report["windows"][0]["limit_in_use"],
        json!({"source": "learned", "tokens": 10_000}),
        "{report}"
    );
    // `claude-gauge limits` shows the limit in use.
    let out = daemon
        .dirs
        .command()
        .args(["limits", "--url", &daemon.base_url])
        .output()
        .expect("run limits");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("limit in use"), "{text}");
    assert!(text.contains("10000 tokens (learned)"), "{text}");
}
