//! Two machines' exports into one hub (docs/otlp.md, "One hub for many machines"): the logs
//! export each machine's Claude Code sends, and the hub's `/stats` row for a machine. Shared by
//! the daemon's in-process hub test and the binary's test of the commands that read a hub.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The session ids of the two machines' exports.
pub const LAPTOP_SESSION: &str = "11111111-aaaa-4000-8000-000000000001";
pub const DESKTOP_SESSION: &str = "22222222-bbbb-4000-8000-000000000002";

fn fixture(name: &str) -> Value {
    // Through the sibling crate's name, so the binary's tests can include this file too.
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
pub fn machine_logs(host: &str, request_id: &str, session: &str) -> Vec<u8> {
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

/// Machine `host`'s row in a `/stats` answer.
pub fn machine<'a>(stats: &'a Value, host: &str) -> &'a Value {
    stats["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .find(|m| m["host"] == host)
        .unwrap_or_else(|| panic!("no machine {host} in {stats}"))
}

/// The transcript line of this machine's own request (700 + 30 tokens, and 100 cache read).
pub fn local_line() -> String {
    crate::util::assistant_line(
        "req_local_1",
        &crate::util::timestamp_now(-1_000),
        "claude-sonnet-4-5",
        700,
        30,
    )
}
