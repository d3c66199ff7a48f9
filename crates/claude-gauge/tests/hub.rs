//! The commands that read a hub (docs/otlp.md, "One hub for many machines"): `token`, `machines`,
//! `daily`/`monthly --by-machine` and `otel-env --hub`, over a hub daemon that two machines'
//! exports went into. The hub itself (`/stats` by machine, the tach, the history page) is tested
//! in-process in `crates/gauge-daemon/tests/hub.rs`.

use std::time::Duration;

use serde_json::Value;

use crate::hub_support::{local_line, machine_logs, DESKTOP_SESSION, LAPTOP_SESSION};
use crate::util::{append, Daemon, TestDirs};

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

#[tokio::test]
async fn the_commands_that_read_a_hub_show_each_machine() {
    let dirs = TestDirs::new();
    let transcript = dirs.claude().join("projects/p/s.jsonl");
    append(&transcript, &format!("{}\n", local_line()));
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
    for logs in [
        machine_logs("laptop", "req_laptop_1", LAPTOP_SESSION),
        machine_logs("desktop", "req_desktop_1", DESKTOP_SESSION),
    ] {
        let answer = client
            .post(format!("http://127.0.0.1:{port}/v1/logs"))
            .header("content-type", "application/json")
            .bearer_auth(&token)
            .body(logs)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            200,
            "the token from `claude-gauge token` works"
        );
    }
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 3
        })
        .await;
    let machines = stats["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 3, "{stats}");
    let local = machines
        .iter()
        .find(|m| m["host"] != "laptop" && m["host"] != "desktop")
        .unwrap();
    let local_host = local["host"].as_str().unwrap().to_string();
    by_machine_report_matches(&daemon, &local_host);

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
