//! Fuzz target: see `harness/setup_line.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/setup_line.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check(data));
