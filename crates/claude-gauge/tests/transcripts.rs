//! The transcript source end to end: live tail, malformed lines, new directories, restarts.

use std::time::Duration;

use crate::util::{append, assistant_line, lamps, timestamp_now, Daemon, TestDirs};

fn transcript(dirs: &TestDirs, project: &str, session: &str) -> std::path::PathBuf {
    dirs.claude()
        .join("projects")
        .join(project)
        .join(format!("{session}.jsonl"))
}

#[tokio::test]
async fn appended_line_moves_tach_and_fuel_and_malformed_changes_nothing() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    std::fs::write(
        dirs.config_file(),
        "[limits]\ntokens_5h = 100000\ntokens_7d = 1000000\n",
    )
    .unwrap();
    let daemon = Daemon::start_with(dirs, &[]);
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            !lamps(f).contains(&"STALL".into())
        })
        .await;
    assert_eq!(frame["tach"], 0, "{frame}");
    assert_eq!(frame["source"], "estimate", "{frame}");
    assert_eq!(frame["fuel_5h"], 1.0, "{frame}");

    let file = transcript(&daemon.dirs, "-work-project", "s1");
    append(
        &file,
        &format!(
            "{}\n",
            assistant_line(
                "req_1",
                &timestamp_now(0),
                "claude-opus-4-5-20251101",
                3_000,
                2_000
            )
        ),
    );
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| f["tach"] != 0)
        .await;
    assert_eq!(frame["tach"], 5_000, "{frame}");
    assert_eq!(frame["model"], "opus");
    assert!(
        (frame["fuel_5h"].as_f64().unwrap() - 0.95).abs() < 1e-6,
        "{frame}"
    );
    assert!(
        (frame["fuel_7d"].as_f64().unwrap() - 0.995).abs() < 1e-6,
        "{frame}"
    );
    assert!(!lamps(&frame).contains(&"IDLE".into()), "{frame}");

    let before = daemon.usage().await;
    append(&file, "{\"type\":\"assistant\",\"message\":{\"usage\":\n");
    append(&file, "not json at all\n");
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["ingest"]["transcript_malformed_lines"].as_u64() >= Some(2)
        })
        .await;
    assert!(
        stats["ingest"]["transcript_malformed_lines"].as_u64() >= Some(2),
        "{stats}"
    );
    let after = daemon.usage().await;
    assert_eq!(after["tach"], before["tach"]);
    assert_eq!(after["fuel_5h"], before["fuel_5h"]);
    assert_eq!(stats["usage_totals"]["requests"], 1);
    let sources = stats["sources"].as_array().unwrap();
    let transcripts = sources
        .iter()
        .find(|s| s["source"] == "transcripts")
        .expect("transcripts listed");
    assert_eq!(transcripts["is_fresh"], true, "{stats}");
}

#[tokio::test]
async fn a_new_project_and_subagent_dir_are_picked_up_at_once() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let daemon = Daemon::start_with(dirs, &[]);
    daemon
        .wait_for(Duration::from_secs(20), |f| {
            !lamps(f).contains(&"STALL".into())
        })
        .await;
    // A directory created and written to immediately: the watch on it may come too late, the
    // walk of the new directory must not.
    let sub = daemon
        .dirs
        .claude()
        .join("projects/-new-project/sess/subagents");
    std::fs::create_dir_all(&sub).unwrap();
    append(
        &sub.join("agent-1.jsonl"),
        &format!(
            "{}\n",
            assistant_line("req_a", &timestamp_now(0), "claude-haiku-4-5", 10, 20)
        ),
    );
    append(
        &daemon
            .dirs
            .claude()
            .join("projects/-new-project/sess.jsonl"),
        &format!(
            "{}\n",
            assistant_line("req_b", &timestamp_now(0), "claude-sonnet-4-5", 1, 2)
        ),
    );
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 2
        })
        .await;
    assert_eq!(stats["usage_totals"]["input_tokens"], 11, "{stats}");
    assert_eq!(stats["usage_totals"]["output_tokens"], 22, "{stats}");
}

#[tokio::test]
async fn partial_last_line_waits_for_its_newline() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let daemon = Daemon::start_with(dirs, &[]);
    let file = transcript(&daemon.dirs, "-p", "s");
    let line = assistant_line("req_p", &timestamp_now(0), "claude-opus-4-5", 7, 8);
    let (head, tail) = line.split_at(line.len() / 2);
    append(&file, head);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["usage_totals"]["requests"], 0, "{stats}");
    assert_eq!(stats["ingest"]["transcript_malformed_lines"], 0, "{stats}");
    append(&file, &format!("{tail}\n"));
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 1
        })
        .await;
    assert_eq!(stats["usage_totals"]["input_tokens"], 7);
    assert_eq!(stats["ingest"]["transcript_malformed_lines"], 0, "{stats}");
}

#[tokio::test]
async fn restart_resumes_without_double_counting_and_keeps_deleted_history() {
    let dirs = TestDirs::new();
    let file = transcript(&dirs, "-p", "s");
    for i in 0..50 {
        append(
            &file,
            &format!(
                "{}\n",
                assistant_line(
                    &format!("req_{i}"),
                    &timestamp_now(-1000 * i),
                    "claude-opus-4-5",
                    100,
                    10
                )
            ),
        );
    }
    // The same request copied into another file counts once.
    append(
        &transcript(&dirs, "-q", "copy"),
        &format!(
            "{}\n",
            assistant_line("req_3", &timestamp_now(-3000), "claude-opus-4-5", 100, 10)
        ),
    );
    let mut daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 50
        })
        .await;
    assert_eq!(stats["usage_totals"]["input_tokens"], 5_000, "{stats}");
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    // Claude Code deletes old transcripts; our history stays.
    std::fs::remove_file(transcript(&dirs, "-q", "copy")).unwrap();
    append(
        &file,
        &format!(
            "{}\n",
            assistant_line("req_new", &timestamp_now(0), "claude-opus-4-5", 1, 1)
        ),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 51
        })
        .await;
    assert_eq!(stats["usage_totals"]["input_tokens"], 5_001, "{stats}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["usage_totals"]["requests"], 51, "{stats}");
}

#[tokio::test]
async fn kill_9_during_the_first_scan_then_restart_equals_a_clean_run() {
    let dirs = TestDirs::new();
    // 120 files of 400 lines, each line with some bulk, and every 10th request copied into a
    // second file: enough that the first scan is still running when the daemon is killed.
    let padding = "x".repeat(600);
    let (mut requests, mut input) = (0u64, 0u64);
    for f in 0..120u64 {
        let mut text = String::new();
        for l in 0..400u64 {
            let id = format!("req_{f}_{l}");
            let line = assistant_line(
                &id,
                &timestamp_now(-((f * 400 + l) as i64) * 1000),
                "claude-opus-4-5",
                f + l + 1,
                3,
            );
            text.push_str(&line.replace("Done:", &format!("Done {padding}:")));
            text.push('\n');
            requests += 1;
            input += f + l + 1;
            if l % 10 == 0 {
                let copy = transcript(&dirs, "-copies", &format!("c{f}"));
                append(&copy, &format!("{line}\n"));
            }
        }
        append(
            &transcript(&dirs, &format!("-p{}", f % 7), &format!("s{f}")),
            &text,
        );
    }
    let mut daemon = Daemon::start_with(dirs, &[]);
    // Kill as soon as the first chunk is committed, while the scan goes on.
    let partial = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"].as_u64() > Some(0)
        })
        .await;
    let stored = partial["usage_totals"]["requests"].as_u64().unwrap();
    assert!(
        stored > 0 && stored < requests,
        "not killed mid-scan: {partial}"
    );
    eprintln!(
        "requests stored before the kill: {} of {requests}",
        partial["usage_totals"]["requests"]
    );
    daemon.stop(); // SIGKILL
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == requests
        })
        .await;
    assert_eq!(
        stats["usage_totals"]["requests"], requests,
        "partial before the kill: {partial}\nafter: {stats}"
    );
    assert_eq!(stats["usage_totals"]["input_tokens"], input, "{stats}");
    assert_eq!(
        stats["usage_totals"]["output_tokens"],
        requests * 3,
        "{stats}"
    );
    // A second restart with nothing changed reads nothing new and counts nothing twice.
    let mut daemon = daemon;
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    let daemon = Daemon::start_with(dirs, &[]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = daemon.get_json("/stats").await;
    assert_eq!(again["usage_totals"], stats["usage_totals"]);
    assert_eq!(again["ingest"]["transcript_usage_lines"], 0, "{again}");
}

#[tokio::test]
async fn a_usage_limit_message_lights_limit_until_the_reset() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let daemon = Daemon::start_with(dirs, &[]);
    daemon
        .wait_for(Duration::from_secs(20), |f| {
            !lamps(f).contains(&"STALL".into())
        })
        .await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let line = serde_json::json!({
        "type": "assistant",
        "timestamp": timestamp_now(0),
        "sessionId": "s",
        "isApiErrorMessage": true,
        "message": {"role": "assistant", "model": "<synthetic>",
                    "content": [{"type": "text", "text": format!("Claude AI usage limit reached|{reset}")}]}
    });
    append(&transcript(&daemon.dirs, "-p", "s"), &format!("{line}\n"));
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            lamps(f).contains(&"LIMIT".into())
        })
        .await;
    assert!(lamps(&frame).contains(&"LIMIT".to_string()), "{frame}");
    // A user who merely types the words does not light it.
    let dirs = TestDirs::new();
    let user_line = serde_json::json!({"type": "user", "timestamp": timestamp_now(0),
        "message": {"role": "user", "content": format!("why do I see usage limit reached|{reset}?")}});
    append(&transcript(&dirs, "-p", "u"), &format!("{user_line}\n"));
    let other = Daemon::start_with(dirs, &[]);
    let frame = other
        .wait_for(Duration::from_secs(20), |f| {
            !lamps(f).contains(&"STALL".into())
        })
        .await;
    assert!(!lamps(&frame).contains(&"LIMIT".to_string()), "{frame}");
}

/// The `/metrics` lines of Claude Code's own counters (tokens and cost by model).
async fn usage_counters(daemon: &Daemon) -> Vec<String> {
    let text = reqwest::get(daemon.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| {
            l.starts_with("claude_code_token_usage_tokens_total")
                || l.starts_with("claude_code_cost_usage_USD_total")
        })
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn metrics_counters_are_the_same_after_a_restart() {
    let dirs = TestDirs::new();
    let file = transcript(&dirs, "-p", "s");
    for i in 0..20 {
        let line = assistant_line(
            &format!("req_{i}"),
            &timestamp_now(-60_000 * i),
            "claude-opus-4-5",
            100,
            10,
        );
        append(&file, &format!("{line}\n"));
    }
    let mut daemon = Daemon::start_with(dirs, &[]);
    daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 20
        })
        .await;
    let before = usage_counters(&daemon).await;
    assert!(
        before
            .iter()
            .any(|l| l.contains("type=\"input\"") && l.ends_with(" 2000")),
        "{before:?}"
    );
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    // Nothing new: a Prometheus scraping before and after must see the same counters (today's
    // bug was counting the start-up scan as new usage).
    let daemon = Daemon::start_with(dirs, &[]);
    daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 20
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(usage_counters(&daemon).await, before);
}
