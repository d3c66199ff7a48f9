//! One hub for many machines (docs/otlp.md, "One hub for many machines"): two machines' Claude
//! Code exports, told apart only by their `host.name` resource attribute, into one daemon that
//! listens beyond loopback; `/stats` breaks usage down by machine, the sums equal the totals, the
//! tach counts both, and the history page shows the same breakdown. The commands that read a hub
//! (`token`, `machines`, `daily --by-machine`, `otel-env --hub`) are tested with the binary.

use std::time::Duration;

use serde_json::Value;

use crate::support::cdp::{chromium_or_skip, Browser};
use crate::support::hub::{local_line, machine, machine_logs, DESKTOP_SESSION, LAPTOP_SESSION};
use crate::support::otlp::otlp_settings;
use crate::util::{append, TestDaemon, TestDirs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_into_one_hub_show_apart_and_sum_to_the_totals() {
    let dirs = TestDirs::new();
    // This machine's own transcript: one request of 700 + 30 tokens (and 100 cache read).
    let transcript = dirs.claude().join("projects/p/s.jsonl");
    append(&transcript, &format!("{}\n", local_line()));
    // A hub listens beyond loopback (`--otlp-http 0.0.0.0:0`), so every export needs the token.
    let daemon = TestDaemon::start_with(dirs, |s| {
        let mut otlp = otlp_settings(Duration::from_secs(1));
        otlp.http_listen = Some("0.0.0.0:0".parse().unwrap());
        s.otlp = Some(otlp);
        s.access.is_beyond_loopback = true;
    })
    .await;
    let port = daemon.daemon().otlp_http_addr().expect("otlp http").port();
    // What `claude-gauge token` prints: the token in the data dir.
    let token =
        gauge_daemon::load_or_create_token(&daemon.dirs.data().join(gauge_daemon::TOKEN_FILE))
            .expect("the token")
            .expose()
            .to_string();

    let client = reqwest::Client::new();
    let post = |body: Vec<u8>, token: Option<&str>| {
        let mut request = client
            .post(format!("http://127.0.0.1:{port}/v1/logs"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let laptop = machine_logs("laptop", "req_laptop_1", LAPTOP_SESSION);
    let refused = post(laptop.clone(), None).await.unwrap();
    assert_eq!(
        refused.status(),
        401,
        "beyond loopback an export needs the token"
    );
    assert_eq!(post(laptop, Some(&token)).await.unwrap().status(), 200);
    let desktop = machine_logs("desktop", "req_desktop_1", DESKTOP_SESSION);
    assert_eq!(
        post(desktop.clone(), Some(&token)).await.unwrap().status(),
        200
    );
    // A retry counts once.
    assert_eq!(post(desktop, Some(&token)).await.unwrap().status(), 200);

    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 3
        })
        .await;
    let totals = &stats["usage_totals"];
    assert_eq!(totals["requests"], 3, "{stats}");
    for host in ["laptop", "desktop"] {
        let m = machine(&stats, host);
        assert_eq!(m["requests"], 1, "{host}: {stats}");
        assert_eq!(m["input_tokens"], 1000, "{host}: {stats}");
        assert_eq!(m["output_tokens"], 50, "{host}: {stats}");
        assert_eq!(m["tokens"], 1000 + 50 + 200 + 3000, "{host}: {stats}");
        assert!(
            (m["cost_usd"].as_f64().unwrap() - 0.0066).abs() < 1e-9,
            "{stats}"
        );
    }
    let machines = stats["machines"].as_array().unwrap();
    assert_eq!(
        machines.len(),
        3,
        "laptop, desktop and this machine: {stats}"
    );
    let local = machines
        .iter()
        .find(|m| m["host"] != "laptop" && m["host"] != "desktop")
        .unwrap();
    assert_eq!(local["input_tokens"], 700, "{stats}");
    // The machines add up to the totals, field by field.
    for (field, total) in [
        ("requests", "requests"),
        ("input_tokens", "input_tokens"),
        ("output_tokens", "output_tokens"),
        ("cache_creation_tokens", "cache_creation_tokens"),
        ("cache_read_tokens", "cache_read_tokens"),
    ] {
        let sum: u64 = machines.iter().map(|m| m[field].as_u64().unwrap()).sum();
        assert_eq!(sum, totals[total].as_u64().unwrap(), "{field}: {stats}");
    }
    let cost: f64 = machines
        .iter()
        .map(|m| m["cost_usd"].as_f64().unwrap())
        .sum();
    assert!((cost - totals["cost_usd"].as_f64().unwrap()).abs() < 1e-9);
    // The hub's tach counts every machine: input + output + cache creation of the last minute.
    let both = 2 * (1000 + 50 + 200) + 700 + 30;
    let frame = daemon
        .wait_for(Duration::from_secs(10), |f| f["tach"] == both)
        .await;
    assert_eq!(frame["tach"], both, "{frame}");

    // The history page breaks the same usage down by machine (its data and its table).
    let history: Value = reqwest::get(daemon.url("/history.json?days=7"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let served = history["machines"]
        .as_array()
        .expect("machines in /history.json");
    let hosts = |list: &[Value]| {
        let mut hosts: Vec<(String, u64)> = list
            .iter()
            .map(|m| {
                (
                    m["host"].as_str().unwrap().to_string(),
                    m["tokens"].as_u64().unwrap(),
                )
            })
            .collect();
        hosts.sort();
        hosts
    };
    assert_eq!(hosts(served), hosts(machines), "{history}");
    if let Some(chromium) = chromium_or_skip("hub: the history page's machine table") {
        let mut browser = Browser::launch(&chromium, 1100, 1400).await;
        browser.navigate(&daemon.url("/history?days=7")).await;
        browser
            .wait_for(
                "document.body && document.body.dataset.state === 'ready'",
                Duration::from_secs(20),
            )
            .await;
        let rows = browser
            .eval(
                "JSON.stringify([...document.querySelectorAll('#machines tbody tr')]\
                 .map(r => [r.dataset.host, r.cells[1].textContent]))",
            )
            .await;
        let rows: Vec<(String, String)> = serde_json::from_str(rows.as_str().unwrap()).unwrap();
        for host in ["laptop", "desktop"] {
            assert!(
                rows.contains(&(host.to_string(), "1".to_string())),
                "{host} missing from the page's machine table: {rows:?}"
            );
        }
        assert_eq!(rows.len(), 3, "{rows:?}");
    }
}
