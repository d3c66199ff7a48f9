//! Fuzz target: arbitrary bytes as one frame (see `harness/frame_decode.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/frame_decode.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check(data));
