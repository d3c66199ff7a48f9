//! The OAuth usage poller (docs/official-limits.md) against a local mock of the endpoint: both
//! answer shapes, the headers it sends. The `statusline` command, the installer, the poller's
//! failures as `claude-gauge limits` shows them and the real Claude Code CLI are tested with the
//! binary, in `crates/claude-gauge/tests/official.rs`.
//!
//! Only fake tokens and loopback addresses appear here.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::oauth_mock::{start_usage_mock, UsageMock};
use crate::util::{write, TestDaemon, TestDirs};

const FAKE_ACCESS_TOKEN: &str = "sk-ant-oat01-fake-test-token";

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A daemon polling `mock` with a fake subscriber's credentials (`[oauth] enabled = true`,
/// `base_url` the mock's).
async fn oauth_daemon(mock: &UsageMock) -> TestDaemon {
    let dirs = TestDirs::new();
    write(
        &dirs.claude().join(".credentials.json"),
        &json!({"claudeAiOauth": {
            "accessToken": FAKE_ACCESS_TOKEN, "refreshToken": "sk-ant-ort01-fake",
            "expiresAt": (now_secs() + 3600) * 1000,
            "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}})
        .to_string(),
    );
    let base_url = mock.base_url.clone();
    TestDaemon::start_with(dirs, |s| {
        s.oauth.enabled = true;
        s.oauth.base_url = base_url;
    })
    .await
}

async fn wait_for_limits(daemon: &TestDaemon, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = daemon.get_json("/limits").await;
        if pred(&report) || Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn iso(secs: u64) -> String {
    jiff::Timestamp::from_second(secs as i64)
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_poller_reads_both_shapes_with_the_right_headers() {
    let reset_5h = now_secs() + 3 * 3600;
    let reset_7d = now_secs() + 3 * 86_400;
    let classic = json!({
        "five_hour": {"utilization": 24.0, "resets_at": iso(reset_5h)},
        "seven_day": {"utilization": 2.0, "resets_at": iso(reset_7d)},
        "seven_day_opus": null, "extra_usage": {"is_enabled": false}});
    let newer = json!({
        "five_hour": null, "seven_day": null,
        "limits": [
            {"kind": "session", "group": "session", "percent": 15, "severity": "normal",
             "resets_at": iso(reset_5h), "scope": null, "is_active": false},
            {"kind": "weekly_all", "group": "weekly", "percent": 48, "severity": "normal",
             "resets_at": iso(reset_7d), "scope": null}]});
    for (body, fuel_5h, fuel_7d) in [(classic, 0.76, 0.98), (newer, 0.85, 0.52)] {
        let mock = start_usage_mock(200, body.to_string(), None).await;
        let daemon = oauth_daemon(&mock).await;
        let frame = daemon
            .wait_for(Duration::from_secs(20), |f| f["source"] == "official")
            .await;
        assert!(
            (frame["fuel_5h"].as_f64().unwrap() - fuel_5h).abs() < 1e-6,
            "{frame}"
        );
        assert!(
            (frame["fuel_7d"].as_f64().unwrap() - fuel_7d).abs() < 1e-6,
            "{frame}"
        );
        assert_eq!(frame["reset_5h"], reset_5h);
        let report = wait_for_limits(&daemon, |r| r["oauth"]["last_ok_ms"].is_number()).await;
        assert_eq!(
            report["windows"][0]["official"]["origin"], "oauth",
            "{report}"
        );
        let seen = mock.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "one poll, then 180 s of quiet");
        let h = &seen[0];
        assert_eq!(
            h["authorization"],
            format!("Bearer {FAKE_ACCESS_TOKEN}").as_str()
        );
        assert_eq!(h["anthropic-beta"], "oauth-2025-04-20");
        assert!(h["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("claude-code/"));
    }
}
