//! Fuzz target: arbitrary bytes as one transcript line (see `harness/transcript_line.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/transcript_line.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check(data));
