//! Harness of the `sse_stream` fuzz target: a byte stream through gauge-core's [`SseParser`]
//! (the firmware's `/events` reader), against a plain model of the WHATWG event-stream rules.
//!
//! Shared by `fuzz/fuzz_targets/sse_stream.rs` (libFuzzer, nightly) and
//! `crates/gauge-core/tests/fuzz_replay.rs` (the saved corpus, stable). Any broken invariant
//! panics.

use gauge_core::{SseParser, SsePush};

/// Checks, at two buffer sizes, that the parser does not panic and dispatches exactly the
/// events of [`model_events`]: the same data, in order, with over-long events dropped whole.
pub(crate) fn check(bytes: &[u8]) {
    check_with(&mut SseParser::<24>::new(), 24, bytes);
    check_with(&mut SseParser::<512>::new(), 512, bytes);
}

fn check_with<const N: usize>(parser: &mut SseParser<N>, capacity: usize, bytes: &[u8]) {
    let mut events = Vec::new();
    let mut dropped = 0_u32;
    for &byte in bytes {
        match parser.push(byte) {
            SsePush::Event => {
                let data = parser.event().data;
                assert!(data.len() < capacity, "{} data bytes", data.len());
                events.push(data.to_vec());
            }
            SsePush::Dropped => dropped += 1,
            SsePush::Incomplete => assert!(parser.event().data.is_empty()),
        }
    }
    let (expected, expected_dropped) = model_events(bytes, capacity);
    assert_eq!(events, expected);
    assert_eq!(dropped, expected_dropped);
    assert_eq!(parser.dropped_events(), expected_dropped);
}

/// The events in `bytes` by the spec, read whole: lines end at `\r\n`, `\r` or `\n`; a blank
/// line dispatches the `data:` lines joined by `\n` (nothing without one); comments and other
/// fields are skipped. An event with a line over `capacity` bytes, or whose data with a `\n`
/// after each line is over `capacity`, is dropped (counted). A last line without its end
/// dispatches nothing.
fn model_events(bytes: &[u8], capacity: usize) -> (Vec<Vec<u8>>, u32) {
    let mut lines: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' || bytes[i] == b'\n' {
            lines.push(&bytes[start..i]);
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    let (mut events, mut dropped) = (Vec::new(), 0);
    let (mut data, mut has_data, mut is_too_long) = (Vec::new(), false, false);
    for line in lines {
        if line.is_empty() {
            if is_too_long {
                dropped += 1;
            } else if has_data {
                data.pop();
                events.push(data.clone());
            }
            (data, has_data, is_too_long) = (Vec::new(), false, false);
            continue;
        }
        if line.len() > capacity {
            is_too_long = true;
            continue;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        if field == b"data" {
            has_data = true;
            if data.len() + value.len() + 1 > capacity {
                is_too_long = true;
            } else {
                data.extend_from_slice(value);
                data.push(b'\n');
            }
        }
    }
    (events, dropped)
}
