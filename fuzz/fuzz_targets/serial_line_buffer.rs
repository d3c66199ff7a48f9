//! Fuzz target: an arbitrary serial byte stream through the line buffer and the frame decoder
//! (see `harness/serial_line_buffer.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/serial_line_buffer.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::check(data));
