//! The transcript source after a kill -9 in the middle of its first scan: the one test of it
//! that needs a process to kill. The rest (live tail, malformed lines, new directories, clean
//! restarts) runs in-process in `crates/gauge-daemon/tests/transcripts.rs`.

use std::time::Duration;

use crate::util::{append, assistant_line, timestamp_now, Daemon, TestDirs};

fn transcript(dirs: &TestDirs, project: &str, session: &str) -> std::path::PathBuf {
    dirs.claude()
        .join("projects")
        .join(project)
        .join(format!("{session}.jsonl"))
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
