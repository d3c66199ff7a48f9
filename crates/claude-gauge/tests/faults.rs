//! Bad days that need the process: the store's disk fills up, and nothing acknowledged or read
//! is lost once space returns, through a kill -9 and a restart too; kill -9 under concurrent
//! OTLP load. The others are tested in-process in `crates/gauge-daemon/tests/faults.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::util::{append, assistant_line, lamps, timestamp_now, Daemon, TestDirs};

/// A size-limited tmpfs mounted over a test directory, unmounted on drop. Needs root (CI and
/// these machines run tests as root); `None` where mounting is not allowed.
struct SmallDisk {
    at: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .ok()?;
        status.success().then(|| SmallDisk {
            at: at.to_path_buf(),
        })
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.at)
            .status()
            .expect("remount");
        assert!(status.success(), "remount {size}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

fn store_error(stats: &Value) -> Option<String> {
    stats["sources"]
        .as_array()?
        .iter()
        .find(|s| s["source"] == "store")?["last_error"]
        .as_str()
        .map(str::to_string)
}

#[tokio::test]
async fn a_full_disk_loses_nothing_once_space_returns() {
    const REQUESTS: u64 = 20_000;
    let dirs = TestDirs::new();
    let Some(disk) = SmallDisk::mount(&dirs.data(), "1m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    // Many requests across files, appended in pieces while the disk is full.
    let claude = dirs.claude().join("projects/-work");
    std::fs::create_dir_all(&claude).expect("mkdir");
    let write_file = |index: u64| {
        let lines: String = (0..1_000)
            .map(|i| {
                let id = index * 1_000 + i;
                let at = timestamp_now(-((REQUESTS - id) as i64) * 1_000);
                format!(
                    "{}\n",
                    assistant_line(&format!("req_{id}"), &at, "claude-opus-4-5", 3, 2)
                )
            })
            .collect();
        append(&claude.join(format!("s{index}.jsonl")), &lines);
    };
    let files = REQUESTS / 1_000;
    for index in 0..files - 4 {
        write_file(index);
    }
    let mut daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(60), |s| store_error(s).is_some())
        .await;
    let error = store_error(&stats).unwrap_or_else(|| panic!("the disk never filled: {stats}"));
    assert!(error.contains("full"), "{error}");
    assert!(
        lamps(&daemon.usage().await).contains(&"STALL".to_string()),
        "a store that cannot write lights STALL"
    );
    // More usage arrives while the disk is full.
    for index in files - 4..files {
        write_file(index);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    disk.resize("256m");
    let stats = daemon
        .wait_stats(Duration::from_secs(120), |s| {
            s["usage_totals"]["requests"] == REQUESTS && store_error(s).is_none()
        })
        .await;
    assert_eq!(stats["usage_totals"]["requests"], REQUESTS, "{stats}");
    assert_eq!(
        stats["usage_totals"]["input_tokens"],
        3 * REQUESTS,
        "{stats}"
    );
    assert_eq!(store_error(&stats), None, "{stats}");
    assert!(!lamps(&daemon.usage().await).contains(&"STALL".to_string()));
    // And after a kill -9 and a restart: the same, nothing twice.
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(60), |s| {
            s["ingest"]["transcript_usage_lines"].as_u64().is_some()
                && s["usage_totals"]["requests"] == REQUESTS
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = daemon.get_json("/stats").await;
    assert_eq!(again["usage_totals"], stats["usage_totals"], "{again}");
    assert_eq!(again["usage_totals"]["requests"], REQUESTS, "{again}");
    drop(daemon);
    drop(disk);
}

/// An OTLP/JSON logs export of `count` `api_request` events with request ids
/// `<prefix>-0 .. <prefix>-<count-1>`, shaped like Claude Code's own (one of its captured
/// records as the template).
fn otlp_batch(prefix: &str, count: usize) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp/delta-http-json-0001-logs.json");
    let fixture: Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    let records = fixture["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array()
        .expect("records");
    let template = records
        .iter()
        .find(|r| r["body"]["stringValue"] == "claude_code.api_request")
        .expect("an api_request record")
        .clone();
    let now_ns = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos())
    .to_string();
    let events: Vec<Value> = (0..count)
        .map(|i| {
            let mut record = template.clone();
            record["timeUnixNano"] = Value::String(now_ns.clone());
            for kv in record["attributes"].as_array_mut().expect("attributes") {
                if kv["key"] == "request_id" {
                    kv["value"] = serde_json::json!({"stringValue": format!("{prefix}-{i}")});
                }
            }
            record
        })
        .collect();
    let mut export = fixture.clone();
    export["resourceLogs"] = serde_json::json!([{
        "resource": fixture["resourceLogs"][0]["resource"].clone(),
        "scopeLogs": [{"scope": fixture["resourceLogs"][0]["scopeLogs"][0]["scope"].clone(),
                       "logRecords": events}]
    }]);
    serde_json::to_vec(&export).expect("JSON")
}

#[tokio::test]
async fn kill_9_under_concurrent_otlp_load_loses_no_acknowledged_export() {
    const EXPORTERS: usize = 8;
    const PER_BATCH: usize = 50;
    let dirs = TestDirs::new();
    let daemon = Daemon::start_with(
        dirs,
        &["--otlp-http", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0"],
    );
    let http = daemon
        .startup_lines
        .iter()
        .find_map(|l| {
            l.split("otlp http on ")
                .nth(1)
                .map(|a| format!("http://{}/v1/logs", a.trim()))
        })
        .expect("the OTLP address");
    let stop_at = Instant::now() + Duration::from_secs(3);
    let mut exporters = Vec::new();
    for exporter in 0..EXPORTERS {
        let http = http.clone();
        exporters.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            let mut batch = 0;
            while Instant::now() < stop_at {
                let prefix = format!("req-e{exporter}-b{batch}");
                let sent = client
                    .post(&http)
                    .header("content-type", "application/json")
                    .body(otlp_batch(&prefix, PER_BATCH))
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status() == 200) {
                    acknowledged.push(prefix);
                }
                batch += 1;
            }
            acknowledged
        }));
    }
    // kill -9 while they are still sending.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut daemon = daemon;
    daemon.stop();
    let mut acknowledged = Vec::new();
    for exporter in exporters {
        acknowledged.extend(exporter.await.expect("exporter"));
    }
    assert!(
        acknowledged.len() >= EXPORTERS,
        "too few exports got through: {acknowledged:?}"
    );
    // Every request of every acknowledged export is in the store.
    let store = rusqlite::Connection::open(daemon.dirs.data().join("claude-gauge.sqlite3"))
        .expect("open the store");
    let mut missing = Vec::new();
    for prefix in &acknowledged {
        for i in 0..PER_BATCH {
            let key = format!("req:{prefix}-{i}");
            let found: i64 = store
                .query_row(
                    "SELECT COUNT(*) FROM entries WHERE dedup_key = ?1",
                    [&key],
                    |row| row.get(0),
                )
                .expect("query");
            if found != 1 {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged requests lost, e.g. {:?}",
        missing.len(),
        acknowledged.len() * PER_BATCH,
        &missing[..missing.len().min(3)]
    );
}
