//! The `otlp_protobuf` and `otlp_json` fuzzers' saved inputs, replayed on stable through the same
//! harness the fuzz targets run (`fuzz/harness/otlp.rs`: the OTLP/HTTP receiver's decode, with
//! the daemon's own prost, serde_json and opentelemetry-proto). The recorded exports in
//! `tests/fixtures/otlp/` were the fuzzers' seeds and go through the harness too. Runs and
//! findings: `docs/reliability.md`, "Fuzzing".

#[path = "../../../fuzz/harness/replay.rs"]
mod replay;

#[path = "../../../fuzz/harness/otlp.rs"]
mod otlp;

use std::time::Duration;
use std::{fs, path::Path};

use replay::replay;

#[test]
fn otlp_protobuf_corpus_keeps_its_invariants() {
    replay(
        env!("CARGO_MANIFEST_DIR"),
        "otlp_protobuf",
        otlp::check_protobuf,
    );
}

#[test]
fn otlp_json_corpus_keeps_its_invariants() {
    replay(env!("CARGO_MANIFEST_DIR"), "otlp_json", otlp::check_json);
}

#[test]
fn recorded_otlp_exports_keep_the_fuzz_invariants() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/otlp");
    for entry in fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("pb") => otlp::check_protobuf(&bytes),
            Some("json") => otlp::check_json(&bytes),
            _ => {}
        }
    }
}

/// The statusLine payload has no fuzz target; this pins what reading it found: a `resets_at` too
/// large for milliseconds in an `i64` (here 1e300, once read as `i64::MAX` seconds) overflowed
/// `reset * 1000` in the engine, which panicked in a debug build (every later ingest answered
/// 503) and, in release, wrapped into a reset in the past. Fixed: a reset past 9999-12-31 is no
/// reset, and the engine's time arithmetic saturates. See `docs/reliability.md`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statusline_reset_beyond_i64_milliseconds_keeps_the_engine_running() {
    let daemon = crate::util::TestDaemon::start().await;
    let post = |resets_at: &'static str| {
        let body = format!(
            r#"{{"model":{{"id":"claude-opus-4-5"}},"rate_limits":{{"five_hour":{{"used_percentage":100,"resets_at":{resets_at}}}}}}}"#
        );
        let url = daemon.url("/ingest/statusline");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let first = post("1e300").await;
    assert!(first == 202 || first == 400, "answered {first}");
    // The engine takes readings in order: once a frame shows a reading posted after the bad
    // one, the engine has been through the bad one (the process-era test only slept 10 x
    // 100 ms). Its reset is in 2100, so the frame keeps it.
    assert_eq!(post("4102444800").await, 202, "the engine stopped");
    let frame = daemon
        .wait_for(Duration::from_secs(10), |f| {
            f["reset_5h"] == 4_102_444_800u64
        })
        .await;
    assert_eq!(frame["reset_5h"], 4_102_444_800u64, "{frame}");
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(post("1795494907").await, 202, "the engine stopped");
    }
}
