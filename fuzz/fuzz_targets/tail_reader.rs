//! Fuzz target: appends, cuts and rewrites under the live tail (see `harness/tail_reader.rs`).
#![no_main]

use std::{path::PathBuf, sync::OnceLock};

use libfuzzer_sys::fuzz_target;

#[path = "../harness/tail_reader.rs"]
mod harness;

/// One temp dir per fuzzing process; each input empties the transcript first.
fn transcript() -> &'static PathBuf {
    static PATH: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &PATH
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temp dir");
            let path = dir.path().join("projects/fuzz/session.jsonl");
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a project dir");
            (dir, path)
        })
        .1
}

fuzz_target!(|data: &[u8]| harness::check(transcript(), data));
