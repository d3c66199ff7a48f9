//! Fuzz target: see `harness/sse_stream.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/sse_stream.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check(data));
