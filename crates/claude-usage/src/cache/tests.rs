use std::{fs, io::Write, path::PathBuf};

use super::*;
use crate::{scan::scan_files, usage_files};

/// A usage line of a response `id` in session `session`.
fn line(id: u32, output_tokens: u32, session: &str) -> String {
    format!(
        r#"{{"timestamp":"2026-10-0{day}T10:00:{sec:02}.000Z","sessionId":"{session}","requestId":"req_{id}","message":{{"id":"msg_{id}","model":"claude-sonnet-4-5-20250929","usage":{{"input_tokens":{id},"output_tokens":{output_tokens},"cache_read_input_tokens":7}}}}}}"#,
        day = 1 + id % 5,
        sec = id % 60
    )
}

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
}

impl Tree {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("claude");
        fs::create_dir_all(root.join("projects/p")).expect("mkdir");
        let cache = dir.path().join("cache.bin");
        Self {
            _dir: dir,
            root,
            cache,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.join("projects/p").join(name)
    }

    fn files(&self) -> Vec<PathBuf> {
        usage_files(std::slice::from_ref(&self.root))
    }

    /// Scans through the cache and without it; asserts both give the same files and entries.
    fn check(&self, now_ms: i64) -> CacheStats {
        let files = self.files();
        let mut cached = Vec::new();
        let stats = scan_files_cached(&files, &ScanOptions::default(), &self.cache, now_ms, |f| {
            cached.push(f)
        });
        let cold = scan_files(&files, &ScanOptions::default());
        assert_eq!(cached.len(), cold.files.len());
        for (cached, cold) in cached.iter().zip(&cold.files) {
            assert_eq!(cached.path, cold.path);
            assert_eq!(cached.entries, cold.entries, "{}", cold.path.display());
            assert_eq!(cached.counts, cold.counts, "{}", cold.path.display());
            assert_eq!(cached.end_offset, cold.end_offset);
        }
        stats
    }
}

/// Far from any file's mtime, so nothing is racy.
const LATER_MS: i64 = i64::MAX / 2_000_000;

#[test]
fn unchanged_files_are_reused_and_appends_read_only_the_new_lines() {
    let tree = Tree::new();
    let text: String = (0..20).map(|id| line(id, 5, "s1") + "\n").collect();
    fs::write(tree.file("a.jsonl"), &text).expect("write");
    fs::write(tree.file("b.jsonl"), line(100, 3, "s2")).expect("write");
    let first = tree.check(LATER_MS);
    assert_eq!((first.parsed_files, first.is_written), (2, true));
    let second = tree.check(LATER_MS);
    assert_eq!((second.reused_files, second.is_written), (2, false));
    // b.jsonl has no final newline: the append completes its last line.
    let mut b = fs::OpenOptions::new()
        .append(true)
        .open(tree.file("b.jsonl"))
        .expect("open");
    b.write_all(b"\n").expect("append");
    b.write_all(line(101, 4, "s2").as_bytes()).expect("append");
    drop(b);
    let third = tree.check(LATER_MS);
    assert_eq!((third.reused_files, third.appended_files), (1, 1));
}

#[test]
fn rewritten_truncated_and_replaced_files_are_read_again() {
    let tree = Tree::new();
    let text: String = (0..50).map(|id| line(id, 5, "s1") + "\n").collect();
    fs::write(tree.file("a.jsonl"), &text).expect("write");
    tree.check(LATER_MS);
    // Same length, one count changed in the middle.
    fs::write(
        tree.file("a.jsonl"),
        text.replace("\"output_tokens\":5", "\"output_tokens\":6"),
    )
    .expect("rewrite");
    assert_eq!(tree.check(LATER_MS).parsed_files, 1);
    fs::write(tree.file("a.jsonl"), &text[..text.len() / 2]).expect("truncate");
    assert_eq!(tree.check(LATER_MS).parsed_files, 1);
    let other = tree.file("new.tmp");
    fs::write(&other, line(7, 9, "s9") + "\n").expect("write");
    fs::rename(&other, tree.file("a.jsonl")).expect("replace");
    assert_eq!(tree.check(LATER_MS).parsed_files, 1);
}

#[test]
fn a_racy_file_is_checked_again() {
    let tree = Tree::new();
    let text: String = (0..3).map(|id| line(id, 5, "s1") + "\n").collect();
    fs::write(tree.file("a.jsonl"), &text).expect("write");
    // The cache is written at the files' own time: every stamp is racy.
    tree.check(0);
    let stats = tree.check(0);
    assert_eq!(stats.reused_files, 1, "fingerprints match: reused");
}

#[test]
fn a_damaged_cache_is_dropped_and_rebuilt() {
    let tree = Tree::new();
    let text: String = (0..40).map(|id| line(id, 5, "s1") + "\n").collect();
    fs::write(tree.file("a.jsonl"), &text).expect("write");
    fs::write(tree.file("b.jsonl"), &text[..text.len() / 3]).expect("write");
    tree.check(LATER_MS);
    let good = fs::read(&tree.cache).expect("cache");
    let mut random = vec![0_u8; good.len()];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for byte in &mut random {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        *byte = seed as u8;
    }
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x10;
    let mut other_version = good.clone();
    other_version[4] = other_version[4].wrapping_add(1);
    let mut other_build = good.clone();
    other_build[8] ^= 1;
    let cases = [
        (good[..good.len() - 9].to_vec(), FormatError::Truncated),
        (good[..10].to_vec(), FormatError::Truncated),
        (random, FormatError::Version),
        (flipped, FormatError::Checksum),
        (other_version, FormatError::Version),
        (other_build, FormatError::Version),
    ];
    for (bytes, why) in cases {
        fs::write(&tree.cache, &bytes).expect("damage");
        let stats = tree.check(LATER_MS);
        assert_eq!(stats.dropped, Some(why));
        assert_eq!((stats.parsed_files, stats.is_written), (2, true));
        assert_eq!(tree.check(LATER_MS).reused_files, 2, "rebuilt");
    }
}

#[test]
fn deleted_files_leave_the_cache() {
    let tree = Tree::new();
    fs::write(tree.file("a.jsonl"), line(1, 1, "s") + "\n").expect("write");
    fs::write(tree.file("b.jsonl"), line(2, 1, "s") + "\n").expect("write");
    tree.check(LATER_MS);
    let before = fs::metadata(&tree.cache).expect("cache").len();
    fs::remove_file(tree.file("b.jsonl")).expect("delete");
    let stats = tree.check(LATER_MS);
    assert!(stats.is_written);
    assert!(fs::metadata(&tree.cache).expect("cache").len() < before);
}

#[test]
fn a_record_that_does_not_decode_is_read_again_even_with_a_good_checksum() {
    let tree = Tree::new();
    let text: String = (0..10).map(|id| line(id, 5, "s1") + "\n").collect();
    fs::write(tree.file("a.jsonl"), &text).expect("write");
    tree.check(LATER_MS);
    let good = fs::read(&tree.cache).expect("cache");
    let (header, body) = format::split_file(&good, build_hash()).expect("valid");
    // The last byte of the record is an entry's last field: one too many makes it undecodable.
    let mut body = body.to_vec();
    let record_len = u32::from_le_bytes([body[0], body[1], body[2], body[3]]) + 1;
    body[..4].copy_from_slice(&record_len.to_le_bytes());
    body.push(0);
    let mut damaged = format::header_bytes(header, &body);
    damaged.extend_from_slice(&body);
    fs::write(&tree.cache, &damaged).expect("damage");
    let stats = tree.check(LATER_MS);
    assert_eq!(stats.dropped, Some(FormatError::Damaged));
    assert_eq!((stats.parsed_files, stats.is_written), (1, true));
    tree.check(LATER_MS);
    assert_eq!(tree.check(LATER_MS).reused_files, 1, "rebuilt");
}
