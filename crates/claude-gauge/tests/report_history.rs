//! History beyond Claude Code's cleanup (`docs/history.md`), on the real binary and a real
//! store: the daemon stores a transcript tree and one OTLP-only request; a project's
//! transcripts are deleted; `daily --json` keeps its totals (with the daemon running and after
//! it stopped), and `--no-history` prints what ccusage 20.0.24 prints for the remaining files.
//! On the way, a damaged report cache is shown to change nothing.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use serde_json::Value;

use crate::util::{Daemon, TestDirs};

/// One transcript line.
struct Line<'a> {
    request: Option<&'a str>,
    message: &'a str,
    session: &'a str,
    at: String,
    model: &'a str,
    output: u64,
    is_sidechain: bool,
    is_fast: bool,
}

impl Line<'_> {
    fn json(&self, index: u64) -> String {
        let mut usage = serde_json::json!({
            "input_tokens": 10 + index,
            "output_tokens": self.output,
            "cache_creation_input_tokens": 300 + index,
            "cache_read_input_tokens": 2000 + index,
            "cache_creation": {"ephemeral_5m_input_tokens": 100 + index, "ephemeral_1h_input_tokens": 200},
        });
        if self.is_fast {
            usage["speed"] = "fast".into();
        }
        let mut line = serde_json::json!({
            "type": "assistant", "sessionId": self.session, "timestamp": self.at,
            "version": "2.0.30", "isSidechain": self.is_sidechain, "cwd": "/work",
            "message": {"id": self.message, "model": self.model, "role": "assistant",
                        "usage": usage},
        });
        if let Some(request) = self.request {
            line["requestId"] = request.into();
        }
        line.to_string()
    }
}

fn at(day: u64, minute: u64) -> String {
    format!(
        "2026-10-{:02}T{:02}:{:02}:00.000Z",
        day,
        8 + minute / 60,
        minute % 60
    )
}

fn write_lines(path: &Path, lines: &[Line<'_>]) {
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(index, line)| line.json(index as u64) + "\n")
        .collect();
    crate::util::write(path, &text);
}

/// Two projects; returns how many requests the ledger keeps for them.
fn lay_out(claude: &Path) -> u64 {
    let projects = claude.join("projects");
    let a_ids: Vec<(String, String)> = (0..12)
        .map(|i| (format!("req_a{i}"), format!("msg_a{i}")))
        .collect();
    let mut a = Vec::new();
    for (i, (request, message)) in a_ids.iter().enumerate() {
        let i = i as u64;
        // Streamed: a snapshot, then the final copy with more output.
        for output in [5, 50 + i] {
            a.push(Line {
                request: Some(request),
                message,
                session: "sess-a",
                at: at(1 + i % 3, 10 * i),
                model: "claude-sonnet-4-5-20250929",
                output,
                is_sidechain: false,
                is_fast: false,
            });
        }
    }
    write_lines(&projects.join("-work-a/sess-a.jsonl"), &a);
    let b_ids: Vec<(String, String)> = (0..8)
        .map(|i| (format!("req_b{i}"), format!("msg_b{i}")))
        .collect();
    let b_line = |i: usize| {
        let (request, message) = &b_ids[i];
        Line {
            request: Some(request),
            message,
            session: "sess-b",
            at: at(2 + i as u64 % 3, 7 * i as u64),
            model: if i == 7 {
                "<synthetic>"
            } else {
                "claude-opus-4-6"
            },
            output: 400 + i as u64,
            is_sidechain: false,
            is_fast: i.is_multiple_of(3),
        }
    };
    // A subagent of project A replays b0 (same message, same time, its own request id), and
    // makes one request of its own.
    let replay = Line {
        request: Some("req_side_b0"),
        is_sidechain: true,
        output: 20,
        ..b_line(0)
    };
    let own = Line {
        request: Some("req_agent1"),
        message: "msg_agent1",
        session: "sess-a",
        at: at(2, 33),
        model: "claude-haiku-4-5-20251001",
        output: 9,
        is_sidechain: true,
        is_fast: false,
    };
    write_lines(
        &projects.join("-work-a/sess-a/subagents/agent-1.jsonl"),
        &[replay, own],
    );
    let mut b: Vec<Line<'_>> = (0..8).map(b_line).collect();
    // Gateway traffic: no request id, two copies at the same time.
    for _ in 0..2 {
        b.push(Line {
            request: None,
            message: "msg_gw1",
            session: "sess-b",
            at: at(3, 90),
            model: "claude-sonnet-4-5-20250929",
            output: 77,
            is_sidechain: false,
            is_fast: false,
        });
    }
    write_lines(&projects.join("-work-b/sess-b.jsonl"), &b);
    let b2: Vec<Line<'_>> = ["req_c0", "req_c1", "req_c2"]
        .iter()
        .zip(["msg_c0", "msg_c1", "msg_c2"])
        .enumerate()
        .map(|(i, (request, message))| Line {
            request: Some(request),
            message,
            session: "sess-b2",
            at: at(4, 5 * i as u64),
            model: "claude-haiku-4-5-20251001",
            output: 30,
            is_sidechain: false,
            is_fast: false,
        })
        .collect();
    write_lines(&projects.join("-work-b/sess-b2.jsonl"), &b2);
    // req_a*, req_side_b0, req_agent1, req_b*, msg:sess-b:msg_gw1, req_c*.
    12 + 2 + 8 + 1 + 3
}

/// A report's stdout and stderr; panics if it fails.
fn run(mut cmd: Command, claude: &Path, scratch: &Path) -> (Vec<u8>, String) {
    let output = cmd
        .env("CLAUDE_CONFIG_DIR", claude)
        .env("TZ", "UTC")
        .env("HOME", scratch)
        .env("XDG_CONFIG_HOME", scratch.join("xdg-config"))
        .env("XDG_CACHE_HOME", scratch.join("xdg-cache"))
        .env("XDG_DATA_HOME", scratch.join("xdg-data"))
        .env("NO_COLOR", "1")
        .current_dir(scratch)
        .output()
        .expect("run a report");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{cmd:?} failed: {stderr}");
    (output.stdout, stderr)
}

fn ours(args: &[&str], dirs: &TestDirs, scratch: &Path) -> (Vec<u8>, String) {
    let mut cmd = crate::util::bin();
    cmd.args(args)
        .arg("--json")
        .arg("--data-dir")
        .arg(dirs.data());
    run(cmd, &dirs.claude(), scratch)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a report prints JSON")
}

const TOKEN_KEYS: [&str; 5] = [
    "inputTokens",
    "outputTokens",
    "cacheCreationTokens",
    "cacheReadTokens",
    "totalTokens",
];

fn tokens(totals: &Value) -> [u64; 5] {
    TOKEN_KEYS.map(|key| totals[key].as_u64().expect("a token count"))
}

/// Daily totals equal: tokens exactly, cost up to the summation order of the added requests.
fn assert_same_totals(after: &Value, before: &Value) {
    assert_eq!(
        tokens(&after["totals"]),
        tokens(&before["totals"]),
        "{after}\n{before}"
    );
    let cost = |v: &Value| v["totals"]["totalCost"].as_f64().expect("cost");
    let (a, b) = (cost(after), cost(before));
    assert!((a - b).abs() <= b.abs() * 1e-12, "cost {a} vs {b}");
    let days = |v: &Value| -> Vec<(String, [u64; 5])> {
        v["daily"]
            .as_array()
            .expect("days")
            .iter()
            .map(|d| (d["date"].as_str().unwrap_or("").to_string(), tokens(d)))
            .collect()
    };
    assert_eq!(days(after), days(before));
}

/// Block totals (tokens of every non-gap block), for `blocks --json`.
fn block_tokens(blocks: &Value) -> [u64; 4] {
    let keys = [
        "inputTokens",
        "outputTokens",
        "cacheCreationInputTokens",
        "cacheReadInputTokens",
    ];
    let mut sums = [0; 4];
    for block in blocks["blocks"].as_array().expect("blocks") {
        for (sum, key) in sums.iter_mut().zip(keys) {
            *sum += block["tokenCounts"][key].as_u64().unwrap_or(0);
        }
    }
    sums
}

/// A captured OTLP logs export with its request id replaced and its time moved to `at_ns`.
fn otlp_export(request_id: &str, at_ns: u64) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp/delta-http-json-0001-logs.json");
    let mut export: Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json");
    for resource in export["resourceLogs"].as_array_mut().expect("resources") {
        for scope in resource["scopeLogs"].as_array_mut().expect("scopes") {
            for record in scope["logRecords"].as_array_mut().expect("records") {
                record["timeUnixNano"] = at_ns.to_string().into();
                record["observedTimeUnixNano"] = at_ns.to_string().into();
                for attr in record["attributes"].as_array_mut().expect("attributes") {
                    if attr["key"] == "request_id" {
                        attr["value"] = serde_json::json!({ "stringValue": request_id });
                    }
                }
            }
        }
    }
    serde_json::to_vec(&export).expect("json")
}

fn stored_tokens(stats: &Value) -> [u64; 5] {
    let t = &stats["usage_totals"];
    [
        "requests",
        "input_tokens",
        "output_tokens",
        "cache_creation_tokens",
        "cache_read_tokens",
    ]
    .map(|key| t[key].as_u64().unwrap_or(0))
}

#[tokio::test]
async fn deleted_transcripts_keep_daily_totals_and_no_history_is_ccusage() {
    let dirs = TestDirs::new();
    let claude = dirs.claude();
    let scratch = dirs.root.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("mkdir");
    let requests = lay_out(&claude);
    // Before any store: ccusage's view.
    let (full, _) = ours(&["daily", "--no-history"], &dirs, &scratch);
    let (full_blocks, _) = ours(&["blocks", "--no-history"], &dirs, &scratch);
    // A damaged report cache changes nothing: it is dropped and rebuilt.
    let cache = dirs.data().join("report-cache.bin");
    let good = std::fs::read(&cache).expect("the report cache was written");
    let noise: Vec<u8> = (0..good.len()).map(|i| (i * 7919 % 251) as u8).collect();
    for damaged in [good[..good.len() / 2].to_vec(), noise] {
        std::fs::write(&cache, damaged).expect("damage the cache");
        assert!(ours(&["daily", "--no-history"], &dirs, &scratch).0 == full);
    }

    let data = dirs.data();
    let mut daemon = Daemon::start_with(dirs, &["--otlp-http", "127.0.0.1:0"]);
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == requests
        })
        .await;
    let stored = stored_tokens(&stats);
    assert_eq!(stored[0], requests, "{stats}");
    // One request that arrives only by OTLP, on 2026-10-05.
    let otlp = daemon
        .startup_lines
        .iter()
        .find_map(|l| {
            l.split("otlp http on ")
                .nth(1)
                .map(|a| a.trim().to_string())
        })
        .expect("the OTLP/HTTP address");
    let answer = reqwest::Client::new()
        .post(format!("http://{otlp}/v1/logs"))
        .header("content-type", "application/json")
        .body(otlp_export("req_otlp_only", 1_791_187_200_000_000_000))
        .send()
        .await
        .expect("POST /v1/logs");
    assert_eq!(answer.status(), 200);
    let stats = daemon
        .wait_stats(Duration::from_secs(10), |s| {
            s["usage_totals"]["requests"] == requests + 1
        })
        .await;
    let with_otlp = stored_tokens(&stats);
    let otlp_tokens: Vec<u64> = (1..5).map(|i| with_otlp[i] - stored[i]).collect();
    assert!(otlp_tokens.iter().any(|&n| n > 0), "{stats}");

    let dirs = &daemon.dirs;
    let (all, stderr) = ours(&["daily"], dirs, &scratch);
    assert!(
        stderr.contains("included 1 requests from the claude-gauge store"),
        "{stderr}"
    );
    let (all, full) = (json(&all), json(&full));
    let added = |key: &str| {
        all["totals"][key].as_u64().unwrap_or(0) - full["totals"][key].as_u64().unwrap_or(0)
    };
    assert_eq!(
        [
            added("inputTokens"),
            added("outputTokens"),
            added("cacheCreationTokens"),
            added("cacheReadTokens")
        ]
        .to_vec(),
        otlp_tokens,
        "the OTLP-only request counts"
    );
    let (all_blocks, _) = ours(&["blocks"], dirs, &scratch);

    // Claude Code's cleanup takes project B.
    std::fs::remove_dir_all(claude.join("projects/-work-b")).expect("delete project B");
    let (kept, stderr) = ours(&["daily"], dirs, &scratch);
    assert!(
        stderr.contains("requests from the claude-gauge store whose transcripts are gone"),
        "{stderr}"
    );
    assert_same_totals(&json(&kept), &all);
    let (kept_blocks, _) = ours(&["blocks"], dirs, &scratch);
    assert_eq!(
        block_tokens(&json(&kept_blocks)),
        block_tokens(&json(&all_blocks))
    );
    assert_ne!(
        block_tokens(&json(&full_blocks)),
        block_tokens(&json(&all_blocks))
    );

    // The daemon gone (its WAL left behind): the same, read-only.
    daemon.stop();
    let dirs = &daemon.dirs;
    let (stopped, _) = ours(&["daily", "--no-cache"], dirs, &scratch);
    assert_eq!(json(&stopped), json(&kept));
    assert!(data.join("claude-gauge.sqlite3").is_file());

    // --no-history: exactly ccusage's view of what remains.
    let (without, stderr) = ours(&["daily", "--no-history"], dirs, &scratch);
    assert!(!stderr.contains("claude-gauge store"), "{stderr}");
    assert!(tokens(&json(&without)["totals"])[1] < tokens(&full["totals"])[1]);
    let Ok(ccusage) = std::env::var("CCUSAGE_BIN") else {
        eprintln!("skipped the ccusage comparison: CCUSAGE_BIN is not set");
        return;
    };
    let mut cmd = Command::new(ccusage);
    cmd.args(["claude", "daily", "--json", "--offline"]);
    let (theirs, _) = run(cmd, &claude, &scratch);
    assert!(
        without == theirs,
        "--no-history differs from ccusage:\nours:   {}\ntheirs: {}",
        String::from_utf8_lossy(&without),
        String::from_utf8_lossy(&theirs)
    );
}
