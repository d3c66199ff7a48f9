//! The HTTP transport: `/usage`, `/events`, `/healthz`, `/ingest/statusline`.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::util::{assert_valid_frame, lamps, TestDaemon};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_claude_dir_serves_a_stalled_frame_quickly() {
    let started = Instant::now();
    let daemon = TestDaemon::start().await;
    let frame = daemon.usage().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_valid_frame(&frame);
    assert_eq!(frame["source"], "none");
    assert!(lamps(&frame).contains(&"STALL".to_string()), "{frame}");
    assert_eq!(frame["v"], 1);
    let resp = reqwest::get(daemon.url("/usage")).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(daemon.get_json("/healthz").await["status"], "ok");
    // The transcript reader is configured but has no projects/ directory: not fresh, and why.
    let stats = daemon.get_json("/stats").await;
    let transcripts = &stats["sources"][0];
    assert_eq!(transcripts["source"], "transcripts", "{stats}");
    assert_eq!(transcripts["is_fresh"], false, "{stats}");
    assert!(
        transcripts["last_error"]
            .as_str()
            .unwrap()
            .contains("projects/"),
        "{stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_deliver_a_change_within_100ms() {
    let daemon = TestDaemon::start().await;
    let mut events = daemon.events().await;
    let first = events
        .next_frame(Duration::from_secs(2))
        .await
        .expect("initial frame");
    assert_valid_frame(&first);
    let payload = json!({
        "model": {"id": "claude-opus-4-6"},
        "rate_limits": {
            "five_hour": {"used_percentage": 42.0, "resets_at": 4_102_444_800u64},
            "seven_day": {"used_percentage": 17.0, "resets_at": 4_102_444_800u64}
        }
    });
    let client = reqwest::Client::new();
    let sent = Instant::now();
    let resp = client
        .post(daemon.url("/ingest/statusline"))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let mut changed = None;
    while let Some(frame) = events.next_frame(Duration::from_millis(500)).await {
        if frame["source"] == "official" && !frame["fuel_7d"].is_null() {
            changed = Some(frame);
            break;
        }
    }
    let elapsed = sent.elapsed();
    let frame = changed.expect("a frame with the official source");
    assert!(elapsed < Duration::from_millis(100), "took {elapsed:?}");
    assert_valid_frame(&frame);
    assert!(frame["seq"].as_u64() > first["seq"].as_u64());
    assert!(
        (frame["fuel_5h"].as_f64().unwrap() - 0.58).abs() < 1e-6,
        "{frame}"
    );
    assert!(
        (frame["fuel_7d"].as_f64().unwrap() - 0.83).abs() < 1e-6,
        "{frame}"
    );
    assert_eq!(frame["reset_5h"], 4_102_444_800u64);
    assert_eq!(frame["model"], "opus");
    assert!(!lamps(&frame).contains(&"STALL".to_string()), "{frame}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_statusline_is_a_400_and_counted() {
    let daemon = TestDaemon::start().await;
    let client = reqwest::Client::new();
    let resp = client
        .post(daemon.url("/ingest/statusline"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["ingest"]["statusline_rejected"], 1);
    assert_eq!(daemon.usage().await["source"], "none");
}
