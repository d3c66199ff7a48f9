//! The cluster page (`/`) as a person sees it, in headless Chromium, for what Claude Code
//! 2.1.337 reports today: an account without a 5-hour limit, a Fable model, a spend limit
//! passed. Writes `build/web-today.png`.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::support::cdp::{chromium_or_skip, Browser};
use crate::util::TestDaemon;

/// What the page shows of the fields the frame gained, read off the DOM.
const PAGE_TODAY: &str = r#"JSON.stringify({
  ready: document.body.dataset.ready === '1',
  seq: Number(document.body.dataset.seq),
  no_window_5h: !document.getElementById('nowindow-5h').hidden,
  hint_5h: !document.getElementById('hint-5h').hidden,
  unknown_5h: document.getElementById('gauge-5h').dataset.unknown,
  value_5h: document.getElementById('value-5h').textContent,
  value_7d: document.getElementById('value-7d').textContent,
  credits: document.querySelector('[data-lamp=CREDITS]').dataset.pattern,
  limit: document.querySelector('[data-lamp=LIMIT]').dataset.pattern,
  all: [...document.querySelectorAll('[data-lamp]')].map(n => n.dataset.lamp + '=' + n.dataset.pattern).join(' '),
  spend: document.getElementById('spend').hidden ? null : document.getElementById('spend').textContent,
  text: document.body.innerText,
})"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_no_5h_limit_the_family_and_spend_past_its_limit() {
    let Some(chromium) = chromium_or_skip("today's fields on the cluster page") else {
        return;
    };
    let daemon = TestDaemon::start().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // What Claude Code 2.1.337 sends for a gateway sign-in with no 5-hour window.
    let payload = json!({
        "model": {"id": "claude-fable-5-2"},
        "rate_limits": {
            "seven_day": {"used_percentage": 62.0, "resets_at": now + 200_000},
            "spend_limit": {"used_percentage": 125.0, "used_usd": 62.5, "limit_usd": 50.0,
                            "period": "monthly"}
        }
    });
    let resp = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let frame = daemon
        .wait_for(Duration::from_secs(5), |f| f["spend"].is_object())
        .await;
    assert_eq!(frame["source_5h"], "none", "{frame}");
    let seq = frame["seq"].as_u64().unwrap();

    let mut browser = Browser::launch(&chromium, 1400, 900).await;
    // Without the boot sweep, which lights every lamp for a moment.
    browser.navigate(&daemon.url("/?boot_sweep=0")).await;
    // Ready, settled, the spend drawn and the boot's lamp test over (every lamp burns for 2 s,
    // HOT among them, which this frame leaves dark).
    let shown = browser
        .wait_for(
            &format!(
                "document.body && document.body.dataset.ready === '1' && document.body.dataset.settled === '1' \
                 && Number(document.body.dataset.seq) >= {seq} \
                 && !document.getElementById('spend').hidden \
                 && document.querySelector('[data-lamp=HOT]').dataset.pattern === 'off'"
            ),
            Duration::from_secs(15),
        )
        .await;
    let state: serde_json::Value =
        serde_json::from_str(browser.eval(PAGE_TODAY).await.as_str().unwrap()).unwrap();
    assert_eq!(shown, true, "{state}");
    assert!(state["no_window_5h"].as_bool().unwrap(), "{state}");
    assert!(!state["hint_5h"].as_bool().unwrap(), "{state}");
    assert_eq!(state["unknown_5h"], "1", "the 5h needle parks: {state}");
    assert_eq!(state["value_5h"], "--", "{state}");
    assert_eq!(state["value_7d"], "38%", "{state}");
    assert_ne!(state["credits"], "off", "{state}");
    assert_eq!(state["limit"], "off", "credits are no stop: {state}");
    assert_eq!(
        state["spend"], "spend $62.50 / $50.00 monthly, 125 %",
        "{state}"
    );
    let text = state["text"].as_str().unwrap();
    assert!(text.contains("no 5-hour limit on this plan"), "{text}");
    assert!(text.contains("FABLE"), "the family by name: {text}");
    let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build");
    browser.screenshot(&build.join("web-today.png")).await;
}
