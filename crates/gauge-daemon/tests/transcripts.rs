//! The transcript source end to end: live tail, malformed lines, new directories, restarts.
//! The restart after a kill -9 mid-scan needs a process to kill and stays with the binary
//! (`crates/claude-gauge/tests/transcripts.rs`).

use std::time::Duration;

use crate::util::{append, assistant_line, lamps, timestamp_now, TestDaemon, TestDirs};

fn transcript(dirs: &TestDirs, project: &str, session: &str) -> std::path::PathBuf {
    dirs.claude()
        .join("projects")
        .join(project)
        .join(format!("{session}.jsonl"))
}

/// Stops `daemon` (a clean stop: the store commits what it holds) and hands back its dirs.
async fn stop_and_take_dirs(mut daemon: TestDaemon) -> TestDirs {
    daemon.stop().await;
    std::mem::replace(&mut daemon.dirs, TestDirs::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appended_line_moves_tach_and_fuel_and_malformed_changes_nothing() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    // `[limits] tokens_5h = 100000, tokens_7d = 1000000`.
    let daemon = TestDaemon::start_with(dirs, |s| {
        s.frame.token_limits.tokens_5h = Some(100_000);
        s.frame.token_limits.tokens_7d = Some(1_000_000);
    })
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_project_and_subagent_dir_are_picked_up_at_once() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    // The default rescan (10 s) stays: "at once" means the watch, not the rescan, finds them.
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_last_line_waits_for_its_newline() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let file = transcript(&daemon.dirs, "-p", "s");
    let line = assistant_line("req_p", &timestamp_now(0), "claude-opus-4-5", 7, 8);
    let (head, tail) = line.split_at(line.len() / 2);
    append(&file, head);
    // A wait for something that must not happen: there is no condition to poll for.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 50
        })
        .await;
    assert_eq!(stats["usage_totals"]["input_tokens"], 5_000, "{stats}");
    // A clean stop; the restart after a kill -9 is `kill_9_during_the_first_scan_then_restart_
    // equals_a_clean_run`, with the binary.
    let dirs = stop_and_take_dirs(daemon).await;
    // Claude Code deletes old transcripts; our history stays.
    std::fs::remove_file(transcript(&dirs, "-q", "copy")).unwrap();
    append(
        &file,
        &format!(
            "{}\n",
            assistant_line("req_new", &timestamp_now(0), "claude-opus-4-5", 1, 1)
        ),
    );
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 51
        })
        .await;
    assert_eq!(stats["usage_totals"]["input_tokens"], 5_001, "{stats}");
    // A wait for something that must not happen (a second count): nothing to poll for.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["usage_totals"]["requests"], 51, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_limit_message_lights_limit_until_the_reset() {
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
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
    let other = TestDaemon::start_with(dirs, |_| {}).await;
    let frame = other
        .wait_for(Duration::from_secs(20), |f| {
            !lamps(f).contains(&"STALL".into())
        })
        .await;
    assert!(!lamps(&frame).contains(&"LIMIT".to_string()), "{frame}");
}

/// The `/metrics` lines of Claude Code's own counters (tokens and cost by model).
async fn usage_counters(daemon: &TestDaemon) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
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
    let dirs = stop_and_take_dirs(daemon).await;
    // Nothing new: a Prometheus scraping before and after must see the same counters (today's
    // bug was counting the start-up scan as new usage).
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 20
        })
        .await;
    // A wait for something that must not happen (the scan counted again): nothing to poll for.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(usage_counters(&daemon).await, before);
}
