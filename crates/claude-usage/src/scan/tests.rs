use std::path::Path;

use super::*;

const LINE: &str = r#"{"timestamp":"2026-01-05T10:00:00.000Z","requestId":"r","message":{"id":"m","model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":2}}}"#;

fn parser() -> LineParser {
    let origin = FileOrigin::from_path(Path::new("/d/projects/p/s.jsonl"));
    LineParser::new(origin, PriceTable::embedded())
}

#[test]
fn splits_lines_and_handles_the_trailing_line() {
    let text = format!("{LINE}\r\n\n{{\"type\":\"user\"}}\n{LINE}");
    let mut out = Vec::new();
    let (counts, consumed) = parse_lines(
        &mut parser(),
        text.as_bytes(),
        100,
        TrailingLine::Wait,
        &mut out,
    );
    assert_eq!((counts.usage_lines, counts.skipped_lines), (1, 2));
    assert_eq!(consumed, text.len() - LINE.len());
    assert_eq!(out[0].line_offset, 100);
    out.clear();
    let (counts, consumed) = parse_lines(
        &mut parser(),
        text.as_bytes(),
        0,
        TrailingLine::Parse,
        &mut out,
    );
    assert_eq!(counts.usage_lines, 2);
    assert_eq!(consumed, text.len());
    assert_eq!(out[1].line_offset as usize, text.len() - LINE.len());
}

#[test]
fn mapped_windows_agree_with_one_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("projects/p/big.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Larger than one window, with a line longer than a window in the middle.
    let long = format!(
        "{{\"pad\":\"{}\"}}",
        "x".repeat(MMAP_WINDOW_BYTES as usize + 10)
    );
    let chunk = format!("{LINE}\n").repeat(10_000);
    std::fs::write(&path, format!("{chunk}{long}\n{chunk}{LINE}")).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut expected = Vec::new();
    let direct = parse_lines(&mut parser(), &bytes, 0, TrailingLine::Wait, &mut expected);
    let mut entries = Vec::new();
    let mut buffer = Vec::new();
    let mapped = scan_file(
        &path,
        &mut buffer,
        &mut parser(),
        TrailingLine::Wait,
        &mut entries,
    );
    let (counts, consumed) = mapped.unwrap();
    assert_eq!((counts, consumed as usize), direct);
    assert_eq!(entries, expected);
    assert_eq!(entries.len(), 20_000);
}

#[test]
fn scans_files_in_canonical_order_and_reports_unreadable_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, lines) in [("a.jsonl", 1), ("b.jsonl", 3), ("c.jsonl", 2)] {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{LINE}\n").repeat(lines)).unwrap();
        files.push(path);
    }
    files.push(dir.path().join("missing.jsonl"));
    let scan = scan_files(
        &files,
        &ScanOptions {
            threads: 2,
            ..ScanOptions::default()
        },
    );
    assert_eq!(scan.entry_count(), 6);
    assert_eq!(scan.files.len(), 4);
    let offsets: Vec<u64> = scan.entries().map(|e| e.line_offset).collect();
    let step = LINE.len() as u64 + 1;
    assert_eq!(offsets, [0, 0, step, 2 * step, 0, step]);
    assert_eq!(scan.files[3].error, Some(io::ErrorKind::NotFound));
}
