//! The file tracker: how far each transcript has been read, and reading what was added since.
//!
//! A file is known by path plus device and inode. An unchanged identity with a larger size
//! resumes at the stored offset; a new identity or a shorter file is read from the start (what
//! was read from the old file stays on record: history is never subtracted). Progress is sent
//! with the entries it covers, so the ledger commits both at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use claude_usage::{
    read_appended, FileOrigin, FileScan, LineCounts, LineParser, PriceTable, UsageEntry,
};

use super::convert::to_event;
use crate::ledger::FileProgress;
use crate::readings::{stable_hash, UsageEvent};
use crate::stats::IngestStats;

/// The identity and size of a file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileStat {
    device: u64,
    inode: u64,
    size: u64,
    mtime_ns: i64,
}

impl FileStat {
    /// The size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Stats `path`; `None` when it is gone, unreadable, or not a regular file: a FIFO named
    /// `*.jsonl` would block the reader in `open`, and a symbolic link is not followed (the same
    /// rule as the directory walk, at start and while tailing).
    pub(crate) fn of(path: &Path) -> Option<FileStat> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (device, inode) = (0, 0);
        let mtime_ns = meta.modified().map_or(0, crate::clock::unix_ns);
        Some(FileStat {
            device,
            inode,
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// What reading one file produced.
#[derive(Debug, Default)]
pub(crate) struct FileRead {
    /// Requests read.
    pub events: Vec<UsageEvent>,
    /// Usage-limit notices read (reset times, unix seconds).
    pub limit_resets_secs: Vec<i64>,
    /// The new progress, to commit with `events`.
    pub progress: Option<FileProgress>,
}

/// Progress of every file, and a reusable read buffer.
pub(crate) struct FileTracker {
    progress: HashMap<String, FileProgress>,
    prices: PriceTable,
    buffer: Vec<u8>,
    stats: Arc<IngestStats>,
    /// Files that could not be read, counted and named once until a read works again (the
    /// rescan tries every 10 s).
    failing: std::collections::HashSet<String>,
}

impl FileTracker {
    /// A tracker resuming from the stored progress.
    pub(crate) fn new(
        progress: HashMap<String, FileProgress>,
        stats: Arc<IngestStats>,
    ) -> FileTracker {
        FileTracker {
            progress,
            prices: PriceTable::embedded(),
            buffer: Vec::new(),
            stats,
            failing: std::collections::HashSet::new(),
        }
    }

    /// Where reading `path` should start, or `None` when nothing changed since the last read
    /// (a file that ends in an unfinished line is not read again until it changes). A file
    /// rewritten in place, as long as before or longer, is told by the fingerprint of what was
    /// read: then it is read from the start (the ledger keeps one copy of each request).
    pub(crate) fn start_offset(&self, path: &Path, stat: &FileStat) -> Option<u64> {
        let Some(known) = self.progress.get(&path_key(path)) else {
            return Some(0);
        };
        let same_file = known.device == stat.device && known.inode == stat.inode;
        if !same_file || stat.size < known.offset {
            return Some(0);
        }
        if stat.size == known.size && stat.mtime_ns == known.mtime_ns {
            return None;
        }
        let rewritten = known.fingerprint != 0
            && fingerprint(path, known.offset).is_some_and(|now| now != known.fingerprint);
        Some(if rewritten { 0 } else { known.offset })
    }

    /// Reads what was added to `path` since the last read. Errors are counted, not fatal.
    pub(crate) fn read_new(&mut self, path: &Path) -> FileRead {
        let Some(stat) = FileStat::of(path) else {
            return FileRead::default();
        };
        let Some(offset) = self.start_offset(path, &stat) else {
            return FileRead::default();
        };
        let read = read_from(path, offset, &self.prices, &mut self.buffer);
        self.finish(path, stat, read)
    }

    /// Records the outcome of a [`read_from`] of `path` (as `stat`): counts, progress.
    pub(crate) fn finish(
        &mut self,
        path: &Path,
        stat: FileStat,
        read: Option<RawRead>,
    ) -> FileRead {
        let Some(read) = read else {
            self.unreadable(path, "cannot read it");
            return FileRead::default();
        };
        self.failing.remove(&path_key(path));
        self.count(&read.counts);
        FileRead {
            events: read.events,
            limit_resets_secs: read.limit_resets_secs,
            progress: Some(self.advance(path, stat, read.new_offset)),
        }
    }

    /// Records a file read by the cold scan (as `stat` before the scan): counts, progress.
    pub(crate) fn finish_scan(&mut self, file: FileScan, stat: FileStat) -> FileRead {
        if let Some(error) = &file.error {
            self.unreadable(&file.path, &error.to_string());
            return FileRead::default();
        }
        self.failing.remove(&path_key(&file.path));
        let mut read = FileRead::default();
        let mut counts = file.counts;
        convert_entries(
            &file.entries,
            &file.path,
            &mut read.events,
            &mut read.limit_resets_secs,
            &mut counts,
        );
        self.count(&counts);
        read.progress = Some(self.advance(&file.path, stat, file.end_offset));
        read
    }

    /// The price table lines are priced with.
    pub(crate) fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// Records that `path` (as `stat`) has been read up to `offset`; returns the progress to
    /// commit.
    pub(crate) fn advance(&mut self, path: &Path, stat: FileStat, offset: u64) -> FileProgress {
        let progress = FileProgress {
            path: path_key(path),
            device: stat.device,
            inode: stat.inode,
            size: stat.size.max(offset),
            mtime_ns: stat.mtime_ns,
            offset,
            fingerprint: fingerprint(path, offset).unwrap_or(0),
        };
        self.progress
            .insert(progress.path.clone(), progress.clone());
        progress
    }

    /// Counts and names a file that could not be read, once until a read of it works again.
    fn unreadable(&mut self, path: &Path, reason: &str) {
        if self.failing.insert(path_key(path)) {
            IngestStats::add(&self.stats.transcript_file_errors, 1);
            // The path and the I/O error only, never the file's contents.
            tracing::warn!(
                "cannot read {}: {reason}; it is tried again at each rescan",
                path.display()
            );
        }
    }

    /// Adds line counts to the ingest stats.
    pub(crate) fn count(&self, counts: &LineCounts) {
        IngestStats::add(&self.stats.transcript_usage_lines, counts.usage_lines);
        IngestStats::add(
            &self.stats.transcript_malformed_lines,
            counts.malformed_lines,
        );
        IngestStats::add(&self.stats.transcript_rejected_lines, counts.rejected_lines);
    }
}

/// What one read of one file found, before the tracker records it.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawRead {
    events: Vec<UsageEvent>,
    limit_resets_secs: Vec<i64>,
    new_offset: u64,
    counts: LineCounts,
}

/// Reads the complete lines of `path` from `offset` on; `None` when the file cannot be read.
/// A long backlog is read in pieces of at most [`claude_usage::MAX_READ_BYTES`]. Safe to call
/// from worker threads, each with its own buffer.
pub(crate) fn read_from(
    path: &Path,
    offset: u64,
    prices: &PriceTable,
    buffer: &mut Vec<u8>,
) -> Option<RawRead> {
    let mut parser = LineParser::new(FileOrigin::from_path(path), prices.clone());
    let mut out = RawRead {
        new_offset: offset,
        ..RawRead::default()
    };
    loop {
        let from = out.new_offset;
        let read = read_appended(path, from, &mut parser, buffer).ok()?;
        let start = if read.restarted { 0 } else { from };
        let consumed = usize::try_from(read.new_offset - start)
            .unwrap_or(buffer.len())
            .min(buffer.len());
        out.limit_resets_secs
            .extend(limit_notices(&buffer[..consumed]));
        out.counts.usage_lines += read.counts.usage_lines;
        out.counts.skipped_lines += read.counts.skipped_lines;
        out.counts.malformed_lines += read.counts.malformed_lines;
        out.counts.rejected_lines += read.counts.rejected_lines;
        convert_entries(
            &read.entries,
            path,
            &mut out.events,
            &mut out.limit_resets_secs,
            &mut out.counts,
        );
        out.new_offset = read.new_offset;
        let is_capped = read.new_offset - start >= claude_usage::MAX_READ_BYTES / 2;
        if read.restarted || !is_capped {
            break;
        }
    }
    // Do not keep a large file's bytes around between reads.
    if buffer.capacity() > 4 << 20 {
        *buffer = Vec::new();
    }
    Some(out)
}

/// How many bytes at each end of a file's read prefix its fingerprint covers.
const FINGERPRINT_BYTES: u64 = 256;

/// A fingerprint of `path`'s first `offset` bytes: [`stable_hash`] of the first and the last
/// [`FINGERPRINT_BYTES`] of them and the offset itself, stable across builds (it is stored).
/// `None` when the file cannot be read; 0 is never returned for a readable file.
pub(crate) fn fingerprint(path: &Path, offset: u64) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let head_len = offset.min(FINGERPRINT_BYTES);
    let tail_from = offset.saturating_sub(FINGERPRINT_BYTES).max(head_len);
    let mut bytes = Vec::with_capacity(2 * FINGERPRINT_BYTES as usize);
    (&mut file).take(head_len).read_to_end(&mut bytes).ok()?;
    file.seek(SeekFrom::Start(tail_from)).ok()?;
    (&mut file)
        .take(offset - tail_from)
        .read_to_end(&mut bytes)
        .ok()?;
    bytes.extend_from_slice(&offset.to_le_bytes());
    Some(stable_hash(&bytes))
}

/// The daemon's events for `entries` read from `path`, and the usage-limit resets they announce
/// (unix seconds), appended to `events` and `limit_resets_secs`. A line whose token counts the
/// store cannot hold ([`fits_the_store`]) is counted in `counts` as malformed instead.
fn convert_entries(
    entries: &[UsageEntry],
    path: &Path,
    events: &mut Vec<UsageEvent>,
    limit_resets_secs: &mut Vec<i64>,
    counts: &mut LineCounts,
) {
    for entry in entries {
        if let Some(reset_ms) = entry.usage_limit_reset_ms {
            limit_resets_secs.push(reset_ms / 1000);
        }
        match to_event(entry, path) {
            Some(event) if !fits_the_store(&event) => {
                counts.usage_lines = counts.usage_lines.saturating_sub(1);
                counts.malformed_lines += 1;
            }
            event => events.extend(event),
        }
    }
}

/// The most tokens of one kind a stored request may carry: the store's integers are signed 64
/// bits and `/stats` sums them, so one absurd line (`input_tokens` 2^63-1 or u64::MAX) must not
/// overflow every sum after it. A trillion tokens per request is far beyond any real one; the
/// reports, which read the files themselves, still count such a line as ccusage does.
pub(crate) const MAX_STORED_TOKENS: u64 = 1 << 40;

/// Whether every token count of `event` is at most [`MAX_STORED_TOKENS`].
fn fits_the_store(event: &UsageEvent) -> bool {
    let t = &event.tokens;
    [t.input, t.output, t.cache_creation, t.cache_read]
        .iter()
        .all(|&n| n <= MAX_STORED_TOKENS)
        && event.cost_usd.is_finite()
}

/// Reset times of the usage-limit messages among `bytes` (whole lines). Only lines that mention a
/// limit and are an API error or a system line are parsed, so a scan of code that says "limit"
/// stays cheap.
fn limit_notices(bytes: &[u8]) -> Vec<i64> {
    let mentions = memchr::memmem::Finder::new(b"limit");
    let api_error = memchr::memmem::Finder::new(b"\"isApiErrorMessage\":true");
    let system = memchr::memmem::Finder::new(b"\"type\":\"system\"");
    let mut resets = Vec::new();
    // A reset that names no zone is read in this machine's, looked up once a candidate shows.
    let mut zone = None;
    let mut from = 0;
    while let Some(hit) = mentions.find(&bytes[from..]) {
        let at = from + hit;
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let line = &bytes[line_start..line_end];
        if api_error.find(line).is_some() || system.find(line).is_some() {
            let zone = zone.get_or_insert_with(jiff::tz::TimeZone::system);
            let notice = std::str::from_utf8(line)
                .ok()
                .and_then(|line| claude_usage::usage_limit_notice(line, zone));
            if let Some(notice) = notice {
                resets.push(notice.resets_at_secs);
            }
        }
        from = line_end;
    }
    resets
}

/// The key a path is stored under.
pub(crate) fn path_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Every `*.jsonl` under `dir` (recursively, symlinks not followed).
pub(crate) fn jsonl_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_last_line_is_not_read_again_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, "{\"type\":\"user\"}\n{\"unfinished\":").unwrap();
        let mut tracker = FileTracker::new(HashMap::new(), Arc::default());
        let stat = FileStat::of(&path).unwrap();
        assert_eq!(tracker.start_offset(&path, &stat), Some(0));
        let read = tracker.read_new(&path);
        assert_eq!(read.progress.map(|p| p.offset), Some(16));
        // Nothing changed: no read, however long the unfinished line.
        assert_eq!(
            tracker.start_offset(&path, &FileStat::of(&path).unwrap()),
            None
        );
        std::fs::write(&path, "{\"type\":\"user\"}\n{\"unfinished\":1}\n").unwrap();
        assert_eq!(
            tracker.start_offset(&path, &FileStat::of(&path).unwrap()),
            Some(16)
        );
    }

    #[test]
    fn the_fingerprint_covers_the_read_prefix_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, "a".repeat(1000)).unwrap();
        let before = fingerprint(&path, 900).unwrap();
        std::fs::write(&path, "a".repeat(900) + &"b".repeat(500)).unwrap();
        assert_eq!(fingerprint(&path, 900), Some(before), "appends keep it");
        std::fs::write(&path, "a".repeat(899) + "c" + &"a".repeat(100)).unwrap();
        assert_ne!(
            fingerprint(&path, 900),
            Some(before),
            "a rewrite changes it"
        );
        assert!(FileStat::of(dir.path()).is_none(), "a directory is no file");
    }
}
