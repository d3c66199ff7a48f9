//! Fuzz target: arbitrary bytes as OTLP protobuf logs and metrics exports (see `harness/otlp.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The other OTLP target uses the other half of the harness.
#[allow(dead_code)]
#[path = "../harness/otlp.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check_protobuf(data));
