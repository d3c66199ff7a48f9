//! The OTLP receivers of a test daemon: settings with both receivers on free loopback ports, and
//! the captured exports in `tests/fixtures/otlp/` (their README says how they were recorded).

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use gauge_daemon::OtlpSettings;

/// Both receivers on `127.0.0.1:0`, the default size caps, and `metrics_hold`.
pub fn otlp_settings(metrics_hold: Duration) -> OtlpSettings {
    OtlpSettings {
        http_listen: Some("127.0.0.1:0".parse().expect("addr")),
        grpc_listen: Some("127.0.0.1:0".parse().expect("addr")),
        max_body_bytes: OtlpSettings::DEFAULT_MAX_BODY_BYTES,
        max_decompressed_bytes: OtlpSettings::DEFAULT_MAX_DECOMPRESSED_BYTES,
        metrics_hold,
    }
}

/// A captured export's bytes, by file name.
pub fn fixture(name: &str) -> Vec<u8> {
    // Through the sibling crate's name, so the binary's tests can include this file too.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
