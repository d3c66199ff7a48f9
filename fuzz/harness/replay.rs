//! The replay driver of the stable `fuzz_replay` tests: every saved input of a fuzz target
//! (`fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`) through that target's harness, so
//! CI checks the fuzzers' invariants without nightly or libFuzzer.

use std::{
    fs,
    panic::{catch_unwind, AssertUnwindSafe},
    path::{Path, PathBuf},
};

/// The saved inputs of `target`, sorted: its minimised corpus and its crash regressions.
/// `manifest_dir` is the replaying crate's `CARGO_MANIFEST_DIR` (`crates/<name>`).
fn saved_inputs(manifest_dir: &str, target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(manifest_dir).join("../../fuzz");
    let mut inputs = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        inputs.extend(dir.map(|entry| entry.expect("a readable fuzz dir").path()));
    }
    inputs.sort();
    inputs
}

/// Runs `check` on every saved input of `target`, naming each input that fails.
pub(crate) fn replay(manifest_dir: &str, target: &str, mut check: impl FnMut(&[u8])) {
    let inputs = saved_inputs(manifest_dir, target);
    assert!(
        !inputs.is_empty(),
        "no saved inputs for fuzz target {target}"
    );
    let mut failed = Vec::new();
    for input in inputs {
        let bytes = fs::read(&input).expect("a readable fuzz input");
        if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
            failed.push(input.display().to_string());
        }
    }
    assert!(failed.is_empty(), "inputs that break {target}: {failed:#?}");
}
