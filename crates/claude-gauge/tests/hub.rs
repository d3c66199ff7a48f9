//! One hub for many machines (docs/otlp.md, "One hub for many machines"): two machines' Claude
//! Code exports, told apart only by their `host.name` resource attribute, into one daemon that
//! listens beyond loopback; `/stats` breaks usage down by machine, the sums equal the totals, the
//! tach counts both, and `otel-env --hub` prints what points a machine at the hub.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::cdp::{chromium_or_skip, Browser};
use crate::util::{append, assistant_line, timestamp_now, Daemon, TestDirs};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("fixture json")
}

/// A captured logs export (one `api_request`: input 1000, output 50, cache creation 200, cache
/// read 3000) as machine `host` would send it with `OTEL_RESOURCE_ATTRIBUTES=host.name=<host>`:
/// Claude Code puts the key on the resource and copies it onto every record (the capture's
/// custom key, `probe`, shows where). Records moved to now, with their own request and session.
fn machine_logs(host: &str, request_id: &str, session: &str) -> Vec<u8> {
    let mut export = fixture("delta-http-json-0001-logs.json");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string();
    let retag = |attrs: &mut Value| {
        for attr in attrs.as_array_mut().unwrap() {
            match attr["key"].as_str() {
                Some("probe") => {
                    *attr = json!({"key": "host.name", "value": {"stringValue": host}})
                }
                Some("request_id") => attr["value"] = json!({ "stringValue": request_id }),
                Some("session.id") => attr["value"] = json!({ "stringValue": session }),
                _ => {}
            }
        }
    };
    for resource in export["resourceLogs"].as_array_mut().unwrap() {
        retag(&mut resource["resource"]["attributes"]);
        for scope in resource["scopeLogs"].as_array_mut().unwrap() {
            for record in scope["logRecords"].as_array_mut().unwrap() {
                record["timeUnixNano"] = Value::from(now.clone());
                record["observedTimeUnixNano"] = Value::from(now.clone());
                retag(&mut record["attributes"]);
            }
        }
    }
    serde_json::to_vec(&export).unwrap()
}

/// The OTLP/HTTP address a daemon printed at start.
fn otlp_http_port(daemon: &Daemon) -> u16 {
    daemon
        .startup_lines
        .iter()
        .find_map(|l| l.split("otlp http on ").nth(1))
        .and_then(|addr| addr.trim().rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no otlp http address in {:?}", daemon.startup_lines))
}

fn machine<'a>(stats: &'a Value, host: &str) -> &'a Value {
    stats["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .find(|m| m["host"] == host)
        .unwrap_or_else(|| panic!("no machine {host} in {stats}"))
}

#[tokio::test]
async fn two_machines_into_one_hub_show_apart_and_sum_to_the_totals() {
    let dirs = TestDirs::new();
    // This machine's own transcript: one request of 700 + 30 tokens (and 100 cache read).
    let transcript = dirs.claude().join("projects/p/s.jsonl");
    let line = assistant_line(
        "req_local_1",
        &timestamp_now(-1_000),
        "claude-sonnet-4-5",
        700,
        30,
    );
    append(&transcript, &format!("{line}\n"));
    // A hub listens beyond loopback, so every export needs the token.
    let daemon = Daemon::start_with(
        dirs,
        &["--otlp-http", "0.0.0.0:0", "--otlp-grpc", "127.0.0.1:0"],
    );
    let port = otlp_http_port(&daemon);
    let token = daemon
        .dirs
        .command()
        .args(["token", "--data-dir"])
        .arg(daemon.dirs.data())
        .output()
        .unwrap();
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();

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
    let laptop = machine_logs(
        "laptop",
        "req_laptop_1",
        "11111111-aaaa-4000-8000-000000000001",
    );
    let refused = post(laptop.clone(), None).await.unwrap();
    assert_eq!(
        refused.status(),
        401,
        "beyond loopback an export needs the token"
    );
    assert_eq!(post(laptop, Some(&token)).await.unwrap().status(), 200);
    let desktop = machine_logs(
        "desktop",
        "req_desktop_1",
        "22222222-bbbb-4000-8000-000000000002",
    );
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
    let local_host = local["host"].as_str().unwrap().to_string();
    by_machine_report_matches(&daemon, &local_host);
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

    // `claude-gauge machines` prints the same breakdown, one row per machine and a total.
    let out = daemon
        .dirs
        .command()
        .args(["machines", "--url", &daemon.base_url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().skip(1).take(2).collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no {name} row in\n{text}"))
    };
    assert_eq!(row("laptop"), ["1", "4250"], "{text}");
    assert_eq!(row("desktop"), ["1", "4250"], "{text}");
    let total_tokens: u64 = machines.iter().map(|m| m["tokens"].as_u64().unwrap()).sum();
    assert_eq!(
        row("total"),
        ["3".to_string(), total_tokens.to_string()],
        "{text}"
    );

    // What points a machine at this hub: the endpoint, the token and this machine's name.
    let token_file = daemon.dirs.root.path().join("hub-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let hub = format!("http://127.0.0.1:{port}");
    let out = daemon
        .dirs
        .command()
        .args(["otel-env", "--hub", &hub, "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        format!("export OTEL_EXPORTER_OTLP_ENDPOINT='{hub}'"),
        format!("export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20{token}'"),
        format!(
            "export OTEL_RESOURCE_ATTRIBUTES='host.name={}'",
            local["host"].as_str().unwrap()
        ),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
    // A bad hub URL is one clear line naming the fix.
    let out = daemon
        .dirs
        .command()
        .args(["otel-env", "--hub", "desk:4318"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--hub http://desk:4318"), "{err}");
}

/// `daily --by-machine --json` over the hub's store: one group per machine with that machine's
/// tokens (this machine's transcript under its own name), and totals that are the groups' sum.
fn by_machine_report_matches(daemon: &Daemon, local_host: &str) {
    let output = daemon
        .dirs
        .command()
        .args(["daily", "--by-machine", "--json", "--data-dir"])
        .arg(daemon.dirs.data())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let groups = report["machines"].as_object().expect("machines");
    let mut names: Vec<&str> = groups.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = vec!["desktop", "laptop", local_host];
    expected.sort_unstable();
    assert_eq!(names, expected, "{report}");
    let sum = |rows: &Value, field: &str| -> u64 {
        rows.as_array()
            .expect("rows")
            .iter()
            .map(|row| row[field].as_u64().unwrap())
            .sum()
    };
    let fields = [
        "inputTokens",
        "outputTokens",
        "cacheCreationTokens",
        "cacheReadTokens",
    ];
    for host in ["laptop", "desktop"] {
        let tokens = fields.map(|field| sum(&groups[host], field));
        assert_eq!(tokens, [1000, 50, 200, 3000], "{host}: {report}");
    }
    let local = fields.map(|field| sum(&groups[local_host], field));
    assert_eq!(local[..2], [700, 30], "{local_host}: {report}");
    for field in fields.into_iter().chain(["totalTokens"]) {
        let total: u64 = groups.values().map(|rows| sum(rows, field)).sum();
        assert_eq!(report["totals"][field], total, "{field}: {report}");
    }
    let cost: f64 = groups
        .values()
        .flat_map(|rows| rows.as_array().unwrap())
        .map(|row| row["totalCost"].as_f64().unwrap())
        .sum();
    let total_cost = report["totals"]["totalCost"].as_f64().unwrap();
    assert!((cost - total_cost).abs() < 1e-9, "{report}");
    // `monthly` groups the same requests the same way; the table heads each group by machine.
    let monthly = daemon
        .dirs
        .command()
        .args(["monthly", "--by-machine", "--json", "--data-dir"])
        .arg(daemon.dirs.data())
        .output()
        .unwrap();
    let monthly: Value = serde_json::from_slice(&monthly.stdout).expect("monthly JSON");
    assert_eq!(monthly["totals"], report["totals"], "{monthly}");
    assert_eq!(
        monthly["machines"]["laptop"][0]["inputTokens"], 1000,
        "{monthly}"
    );
    let table = daemon
        .dirs
        .command()
        .env("COLUMNS", "200")
        .args(["daily", "--by-machine", "--data-dir"])
        .arg(daemon.dirs.data())
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    for host in ["laptop", "desktop", local_host] {
        assert!(table.contains(&format!("Machine: {host}")), "{table}");
    }
}

#[test]
fn by_machine_without_a_store_says_so_in_one_line() {
    let dirs = TestDirs::new();
    let output = dirs
        .command()
        .args(["daily", "--by-machine", "--data-dir"])
        .arg(dirs.data())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--by-machine reads the daemon's store"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&dirs.data().display().to_string()),
        "{stderr}"
    );
}
