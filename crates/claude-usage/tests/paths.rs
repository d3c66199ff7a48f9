//! One corpus through every read path (house style rule 13): a cold scan, and a live tail that
//! sees each file grow in random slices (cut mid-line, mid-CRLF, mid-UTF-8), must give the
//! same entries, the same line counts and the same reports.

use std::{
    fs::{self, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use claude_usage::{
    daily_report, dedup, read_appended, resolve_roots, scan_files, usage_files, write_daily_json,
    DedupRules, FileOrigin, LineCounts, LineParser, PriceTable, ScanOptions, TimeZone,
    TrailingLine, UsageEntry,
};

use crate::corpus::{self, Rng};

/// A fixed `now` for the corpus' active block (reports here do not depend on it).
const NOW_MS: i64 = 1_790_000_000_000;

fn cold(files: &[PathBuf]) -> (Vec<UsageEntry>, LineCounts) {
    let options = ScanOptions {
        trailing_line: TrailingLine::Wait,
        ..ScanOptions::default()
    };
    let scan = scan_files(files, &options);
    let counts = scan.counts;
    (scan.into_entries().collect(), counts)
}

/// Replays each file into `live_dir` in random slices, tailing after every slice.
fn tailed(
    files: &[PathBuf],
    source_root: &Path,
    live_root: &Path,
) -> (Vec<UsageEntry>, LineCounts) {
    let mut rng = Rng::new(7);
    let mut entries = Vec::new();
    let mut counts = LineCounts::default();
    let mut buffer = Vec::new();
    for source in files {
        let bytes = fs::read(source).expect("read source");
        let target = live_root.join(source.strip_prefix(source_root).expect("under root"));
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::write(&target, b"").expect("create");
        let mut parser = LineParser::new(FileOrigin::from_path(source), PriceTable::embedded());
        let (mut written, mut offset) = (0, 0);
        while written < bytes.len() {
            let slice = 1 + rng.below(4_000) as usize;
            let end = (written + slice).min(bytes.len());
            let mut file = OpenOptions::new().append(true).open(&target).expect("open");
            file.write_all(&bytes[written..end]).expect("append");
            written = end;
            let read = read_appended(&target, offset, &mut parser, &mut buffer).expect("tail");
            assert!(!read.restarted);
            offset = read.new_offset;
            counts.add(&read.counts);
            entries.extend(read.entries);
        }
    }
    (entries, counts)
}

fn daily_json(entries: Vec<UsageEntry>) -> String {
    let report = daily_report(&dedup(entries, DedupRules::Daily), &TimeZone::UTC);
    let mut out = Vec::new();
    write_daily_json(&mut out, &report).expect("write");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn cold_scan_equals_live_tail() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    corpus::generate(&root, 0x7a11, NOW_MS);
    let roots = resolve_roots(Some(&root.to_string_lossy()), None, None).expect("roots");
    let files = usage_files(&roots);

    let (cold_entries, cold_counts) = cold(&files);
    let (tail_entries, tail_counts) = tailed(&files, &root, &scratch.path().join("live"));

    assert_eq!(cold_counts, tail_counts);
    assert_eq!(cold_entries.len(), tail_entries.len());
    for (cold, tail) in cold_entries.iter().zip(&tail_entries) {
        assert_eq!(cold, tail);
    }
    assert_eq!(daily_json(cold_entries), daily_json(tail_entries));
}
