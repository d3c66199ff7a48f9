//! Harness of the `transcript_line` fuzz target: one transcript line through [`LineParser`].
//!
//! Shared by `fuzz/fuzz_targets/transcript_line.rs` (libFuzzer, nightly) and
//! `crates/claude-usage/tests/fuzz_replay.rs` (the saved corpus, stable), so both check the
//! same invariants. Any broken invariant panics.

use std::path::Path;

use claude_usage::{FileOrigin, LineParser, ParsedLine, PriceTable};

/// A parser for a line of `projects/fuzz/session.jsonl`.
pub(crate) fn parser() -> LineParser {
    let origin = FileOrigin::from_path(Path::new("/claude/projects/fuzz/session.jsonl"));
    LineParser::new(origin, PriceTable::embedded())
}

/// Parses `line` and checks what the parser promises:
/// - it does not panic (the crate's "Must never");
/// - the answer does not depend on what the parser saw before: a fresh parser and one warmed by
///   the same line (its price memo and name cache filled) agree;
/// - a trailing `\r` changes nothing ("a trailing `\r` is allowed", CRLF transcripts);
/// - a line counted as usage is JSON by serde_json, the authority on which lines ccusage
///   accepts (the sonic-rs fast path must never accept a line that serde_json refuses).
pub(crate) fn check(line: &[u8]) {
    let mut parser = parser();
    let first = parser.parse(line);
    let warmed = parser.parse(line);
    assert_eq!(first, warmed, "a warmed parser disagrees with a fresh one");

    let mut with_cr = line.to_vec();
    with_cr.push(b'\r');
    let crlf = self::parser().parse(&with_cr);
    assert_eq!(first, crlf, "a trailing \\r changed the parse");

    if let ParsedLine::Usage { .. } = first {
        let authority = serde_json::from_slice::<serde::de::IgnoredAny>(line);
        assert!(
            authority.is_ok(),
            "a usage line that serde_json refuses: {authority:?}"
        );
    }
}
