//! Harness of the `otlp_protobuf` and `otlp_json` fuzz targets: arbitrary bytes decoded as OTLP
//! logs and metrics exports, exactly as the daemon's OTLP/HTTP receiver decodes them
//! (`crates/claude-gauge/src/sources/otlp/http.rs`, `decode`: prost for protobuf, serde_json for
//! JSON, same crate versions and features).
//!
//! Shared by `fuzz/fuzz_targets/otlp_*.rs` (libFuzzer, nightly) and
//! `crates/gauge-daemon/tests/fuzz_replay.rs` (the saved corpus, stable). Any broken invariant
//! panics.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use prost::Message;

/// Decodes `bytes` as a protobuf logs export and a protobuf metrics export.
pub(crate) fn check_protobuf(bytes: &[u8]) {
    if let Ok(request) = ExportLogsServiceRequest::decode(bytes) {
        check_reencodes(&request);
    }
    if let Ok(request) = ExportMetricsServiceRequest::decode(bytes) {
        check_reencodes(&request);
    }
}

/// Decodes `bytes` as a JSON logs export and a JSON metrics export.
pub(crate) fn check_json(bytes: &[u8]) {
    if let Ok(request) = serde_json::from_slice::<ExportLogsServiceRequest>(bytes) {
        check_reencodes(&request);
    }
    if let Ok(request) = serde_json::from_slice::<ExportMetricsServiceRequest>(bytes) {
        check_reencodes(&request);
    }
}

/// A decoded export is a well-formed message: its protobuf encoding decodes and encodes to
/// the same bytes (compared as bytes, since metric values may be NaN).
fn check_reencodes<T: Message + Default>(request: &T) {
    let encoded = request.encode_to_vec();
    let decoded = T::decode(encoded.as_slice()).expect("an encoded export decodes");
    assert_eq!(
        decoded.encode_to_vec(),
        encoded,
        "an export changed on a round trip"
    );
}
