//! The `frame_decode`, `serial_line_buffer`, `setup_line` and `sse_stream` fuzzers' saved inputs, replayed on stable through
//! the same harness the fuzz targets run (`fuzz/harness/`). Runs and findings:
//! `docs/reliability.md`, "Fuzzing".

#[path = "../../../fuzz/harness/replay.rs"]
mod replay;

#[path = "../../../fuzz/harness/frame_decode.rs"]
mod frame_decode;

#[path = "../../../fuzz/harness/serial_line_buffer.rs"]
mod serial_line_buffer;

#[path = "../../../fuzz/harness/setup_line.rs"]
mod setup_line;

#[path = "../../../fuzz/harness/sse_stream.rs"]
mod sse_stream;

use replay::replay;

#[test]
fn frame_decode_corpus_keeps_its_invariants() {
    replay(
        env!("CARGO_MANIFEST_DIR"),
        "frame_decode",
        frame_decode::check,
    );
}

#[test]
fn serial_line_buffer_corpus_keeps_its_invariants() {
    replay(
        env!("CARGO_MANIFEST_DIR"),
        "serial_line_buffer",
        serial_line_buffer::check,
    );
}

#[test]
fn setup_line_corpus_keeps_its_invariants() {
    replay(env!("CARGO_MANIFEST_DIR"), "setup_line", setup_line::check);
}

#[test]
fn sse_stream_corpus_keeps_its_invariants() {
    replay(env!("CARGO_MANIFEST_DIR"), "sse_stream", sse_stream::check);
}
