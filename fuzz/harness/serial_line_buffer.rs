//! Harness of the `serial_line_buffer` fuzz target: a byte stream through [`LineBuffer`], then
//! each line through [`decode_frame`], as the firmware's USB-serial task does.
//!
//! Shared by `fuzz/fuzz_targets/serial_line_buffer.rs` (libFuzzer, nightly) and
//! `crates/gauge-core/tests/fuzz_replay.rs` (the saved corpus, stable). Any broken invariant
//! panics.

use gauge_core::{decode_frame, LineBuffer, LinePush, FRAME_MAX_LEN};

/// Feeds `bytes` to a small buffer (every line near its capacity) and to the firmware's size,
/// and checks each against [`model_lines`].
pub(crate) fn check(bytes: &[u8]) {
    check_with(&mut LineBuffer::<16>::new(), bytes);
    check_with(&mut LineBuffer::<FRAME_MAX_LEN>::new(), bytes);
}

/// Checks what the buffer promises:
/// - it does not panic;
/// - a line never exceeds the capacity `N` and holds no `\n` or `\r`;
/// - it yields exactly the lines of a plain model: split on `\n`, `\r` dropped, empty lines
///   skipped, lines over `N` bytes dropped whole and counted;
/// - between lines, [`LineBuffer::line`] is empty.
fn check_with<const N: usize>(buffer: &mut LineBuffer<N>, bytes: &[u8]) {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut overflows = 0_u32;
    for &byte in bytes {
        match buffer.push(byte) {
            LinePush::Line => {
                let line = buffer.line();
                assert!(
                    !line.is_empty() && line.len() <= N,
                    "line of {} bytes",
                    line.len()
                );
                assert!(!line.contains(&b'\n') && !line.contains(&b'\r'));
                let _ = decode_frame(line);
                lines.push(line.to_vec());
            }
            LinePush::Overflowed => {
                overflows += 1;
                assert!(buffer.line().is_empty());
            }
            LinePush::Incomplete => assert!(buffer.line().is_empty()),
        }
    }
    let (expected, dropped) = model_lines(bytes, N);
    assert_eq!(lines, expected, "the lines differ from the model's");
    assert_eq!(overflows, dropped);
    assert_eq!(buffer.dropped_lines(), dropped);
}

/// The lines a serial reader should get from `bytes`, and how many it should drop as too long.
fn model_lines(bytes: &[u8], capacity: usize) -> (Vec<Vec<u8>>, u32) {
    let mut lines = Vec::new();
    let mut dropped = 0;
    let mut pieces = bytes.split(|&byte| byte == b'\n').peekable();
    while let Some(piece) = pieces.next() {
        // The last piece has no newline yet: nothing comes out of it.
        if pieces.peek().is_none() {
            break;
        }
        let line: Vec<u8> = piece
            .iter()
            .copied()
            .filter(|&byte| byte != b'\r')
            .collect();
        if line.len() > capacity {
            dropped += 1;
        } else if !line.is_empty() {
            lines.push(line);
        }
    }
    (lines, dropped)
}
