//! The `transcript_line` and `tail_reader` fuzzers' saved inputs, replayed on stable through the
//! same harness the fuzz targets run (`fuzz/harness/`). Runs and findings:
//! `docs/reliability.md`, "Fuzzing".

use std::fs;

#[path = "../../../fuzz/harness/replay.rs"]
mod replay;

#[path = "../../../fuzz/harness/transcript_line.rs"]
mod transcript_line;

#[path = "../../../fuzz/harness/tail_reader.rs"]
mod tail_reader;

use replay::replay;

#[test]
fn transcript_line_corpus_keeps_its_invariants() {
    replay(
        env!("CARGO_MANIFEST_DIR"),
        "transcript_line",
        transcript_line::check,
    );
}

#[test]
fn tail_reader_corpus_keeps_its_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("projects/fuzz/session.jsonl");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    replay(env!("CARGO_MANIFEST_DIR"), "tail_reader", |bytes| {
        tail_reader::check(&path, bytes);
    });
}
