//! The report cache: what each transcript file contributed, kept in one file between runs.
//!
//! Sits in place of the cold scan, before dedup. Each file's parsed entries are stored with
//! the file's stamp (path, device, inode, size, mtime, ctime) and fingerprints of its head and
//! of the bytes before its last `\n`. On the next run a file whose stamp is unchanged is not
//! opened; one that grew and still has the same head and tail is parsed from its last complete
//! line on; anything else (truncated, rewritten, replaced, new) is parsed again in full. Dedup
//! is not cached: every run feeds all entries, in canonical order, to the caller, which dedups
//! them exactly as after a cold scan, so the cache cannot change a report.
//!
//! A file changed twice within the clock tick of the mtime it was stamped with could look
//! unchanged ("racy", as git calls it): files stamped less than [`RACY_SLACK_MS`] before the
//! cache was written have their fingerprints checked again. A cache file that is damaged,
//! truncated, or of another format or build is dropped and rebuilt; it never fails a report.

mod format;
mod read;

use std::{
    collections::HashMap,
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::mpsc,
    thread,
};

pub use format::FormatError;
use format::{FileStamp, Header, RawRecord};

use crate::{
    discover::FileOrigin,
    parse::LineParser,
    scan::{scan_files_each, FileScan, ScanOptions, TrailingLine},
};

/// Files stamped this close to the cache's writing are checked again (see the module doc).
/// Two seconds cover file systems that keep mtimes in whole (or even) seconds.
pub const RACY_SLACK_MS: i64 = 2_000;

/// This build of the crate; a cache written by another build is dropped, since its parser or
/// prices may differ.
fn build_hash() -> u64 {
    u64::from_str_radix(env!("CLAUDE_USAGE_SOURCE_HASH"), 16).unwrap_or(0)
}

/// What a cached scan did.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Files whose entries came from the cache unread.
    pub reused_files: usize,
    /// Files read from their last complete line on (they grew).
    pub appended_files: usize,
    /// Files read in full (new, changed, or no usable cache).
    pub parsed_files: usize,
    /// Why an existing cache file was dropped, if it was.
    pub dropped: Option<FormatError>,
    /// The cache file was rewritten.
    pub is_written: bool,
    /// Why the cache file could not be read or written (the scan's results stand).
    pub io_error: Option<io::Error>,
}

/// What to do with one file.
enum Plan<'a> {
    /// Unchanged: decode the record.
    Reuse(RawRecord<'a>),
    /// Grew: keep the record's complete lines and parse the rest.
    Append(RawRecord<'a>, FileStamp),
    /// Parse in full; the stamp is `None` when the file could not be stat'ed.
    Full(Option<FileStamp>),
}

/// Scans `files` (in canonical order) like [`scan_files_each`] with [`TrailingLine::Parse`],
/// reusing what the cache at `cache_path` holds for files that did not change, and rewrites
/// the cache when anything changed. `now_ms` is the time before any file was looked at.
///
/// `sink` gets every file's [`FileScan`] in canonical order, with the same entries a cold scan
/// would give.
pub fn scan_files_cached(
    files: &[PathBuf],
    options: &ScanOptions,
    cache_path: &Path,
    now_ms: i64,
    mut sink: impl FnMut(FileScan),
) -> CacheStats {
    let mut stats = CacheStats::default();
    let old = match CacheBytes::open(cache_path) {
        Ok(bytes) => bytes,
        Err(error) => {
            if error.kind() != io::ErrorKind::NotFound {
                stats.io_error = Some(error);
            }
            CacheBytes::Empty
        }
    };
    // Two stages: decoding and parsing on a thread of their own, the caller's `sink` (its
    // dedup) here, so that the two overlap.
    let (sender, receiver) = mpsc::sync_channel::<FileScan>(PIPELINE_FILES);
    let (body, is_changed) = thread::scope(|scope| {
        let producer = scope.spawn(|| produce(files, options, old.bytes(), &mut stats, sender));
        for file in receiver {
            sink(file);
        }
        // A panic on the producer is a bug; re-raise it here.
        producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    if is_changed {
        let header = Header {
            build: build_hash(),
            written_now_ms: now_ms,
        };
        match write(cache_path, header, &body) {
            Ok(()) => stats.is_written = true,
            Err(error) => stats.io_error = Some(error),
        }
    }
    stats
}

/// Files decoded ahead of the caller's sink.
const PIPELINE_FILES: usize = 64;

/// The old cache file, mapped (or nothing).
enum CacheBytes {
    Empty,
    Mapped(memmap2::Mmap),
}

impl CacheBytes {
    fn open(path: &Path) -> io::Result<Self> {
        let file = fs::File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(CacheBytes::Empty);
        }
        // SAFETY: the map is read-only. This crate replaces the cache file by a rename, never
        // in place, so the mapped inode does not change under the map; only another program
        // truncating the file during a report could make a read fault.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
        Ok(CacheBytes::Mapped(map))
    }

    fn bytes(&self) -> &[u8] {
        match self {
            CacheBytes::Empty => &[],
            CacheBytes::Mapped(map) => map,
        }
    }
}

/// Reads the cache, plans every file, and sends each file's scan in canonical order. Returns
/// the new cache body and whether it differs from the old one.
fn produce(
    files: &[PathBuf],
    options: &ScanOptions,
    old: &[u8],
    stats: &mut CacheStats,
    sender: mpsc::SyncSender<FileScan>,
) -> (Vec<u8>, bool) {
    let (header, records) = match load(old) {
        Ok(loaded) => loaded,
        Err(error) => {
            stats.dropped = Some(error);
            (None, Vec::new())
        }
    };
    let by_path: HashMap<&[u8], RawRecord<'_>> = records
        .iter()
        .map(|record| (record.path, *record))
        .collect();
    let plans: Vec<Plan<'_>> = files
        .iter()
        .map(|path| plan(path, by_path.get(path_bytes(path).as_slice()), header))
        .collect();
    // When every file is reused, the body is not rebuilt (copying it costs as much as the
    // rest of a warm run's reading).
    let is_changed = header.is_none()
        || records.len() != files.len()
        || plans.iter().any(|plan| !matches!(plan, Plan::Reuse(_)));
    let mut run = Run {
        options,
        body: Vec::with_capacity(if is_changed { old.len() } else { 0 }),
        is_building: is_changed,
        is_changed,
        parser: None,
        buffer: Vec::new(),
    };
    let full: Vec<PathBuf> = files
        .iter()
        .zip(&plans)
        .filter(|(_, plan)| matches!(plan, Plan::Full(_)))
        .map(|(path, _)| path.clone())
        .collect();
    let mut next = 0;
    let scan_options = ScanOptions {
        trailing_line: TrailingLine::Wait,
        ..options.clone()
    };
    // A send fails only when the receiving side is gone (it panicked): stop quietly then.
    let send = |file: FileScan| {
        let _ = sender.send(file);
    };
    scan_files_each(&full, &scan_options, |scanned| {
        // Files before this one that need no full scan go first, keeping canonical order.
        while !matches!(plans[next], Plan::Full(_)) {
            send(run.cached(&files[next], &plans[next], stats));
            next += 1;
        }
        let Plan::Full(stamp) = &plans[next] else {
            unreachable!("the loop above stops at a full plan");
        };
        send(run.finish_full(scanned, *stamp, stats));
        next += 1;
    });
    for (path, plan) in files.iter().zip(&plans).skip(next) {
        send(run.cached(path, plan, stats));
    }
    if run.is_changed && !run.is_building {
        // A record stopped decoding after the plans said nothing changed: the body was not
        // built, so write an empty cache and let the next run rebuild it.
        return (Vec::new(), true);
    }
    (run.body, run.is_changed)
}

fn load(bytes: &[u8]) -> Result<(Option<Header>, Vec<RawRecord<'_>>), FormatError> {
    if bytes.is_empty() {
        return Ok((None, Vec::new()));
    }
    let (header, body) = format::split_file(bytes, build_hash())?;
    Ok((Some(header), format::records(body)?))
}

fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

/// Decides, from a stat and at most two small reads, what to do with `path`.
fn plan<'a>(path: &Path, record: Option<&RawRecord<'a>>, header: Option<Header>) -> Plan<'a> {
    let Ok(meta) = fs::metadata(path) else {
        return Plan::Full(None);
    };
    let now = read::stamp_of(&meta);
    let (Some(record), Some(header)) = (record, header) else {
        return Plan::Full(Some(now));
    };
    let old = record.stamp;
    if (now.device, now.inode) != (old.device, old.inode) || now.size < old.size {
        return Plan::Full(Some(now));
    }
    let is_same = (now.size, now.mtime_ns, now.ctime_ns) == (old.size, old.mtime_ns, old.ctime_ns);
    let racy_from_ns = header
        .written_now_ms
        .saturating_sub(RACY_SLACK_MS)
        .saturating_mul(1_000_000);
    let is_racy = old.mtime_ns.max(old.ctime_ns) >= racy_from_ns;
    if is_same && !is_racy {
        return Plan::Reuse(*record);
    }
    if !is_same && now.size == old.size {
        // Same length, new times: rewritten in place (or touched); an append changes the size.
        return Plan::Full(Some(now));
    }
    let is_intact = read::open(path)
        .and_then(|file| read::fingerprints(&file, old.complete_offset))
        .is_ok_and(|prints| prints == (old.head_fingerprint, old.tail_fingerprint));
    match (is_intact, is_same) {
        (true, true) => Plan::Reuse(*record),
        (true, false) => Plan::Append(*record, now),
        (false, _) => Plan::Full(Some(now)),
    }
}

/// The state of one cached scan: the new cache body and reusable buffers.
struct Run<'o> {
    options: &'o ScanOptions,
    body: Vec<u8>,
    /// Whether `body` is being built (something changed when the plans were made).
    is_building: bool,
    is_changed: bool,
    parser: Option<LineParser>,
    buffer: Vec<u8>,
}

impl Run<'_> {
    fn parser(&mut self, path: &Path) -> &mut LineParser {
        let origin = FileOrigin::from_path(path);
        let prices = &self.options.prices;
        let parser = self
            .parser
            .get_or_insert_with(|| LineParser::new(origin.clone(), prices.clone()));
        parser.set_origin(origin);
        parser
    }

    /// A file with a record: decoded, plus what was appended. Falls back to a full read when
    /// the record does not decode.
    fn cached(&mut self, path: &Path, plan: &Plan<'_>, stats: &mut CacheStats) -> FileScan {
        let mut file = FileScan {
            path: path.to_path_buf(),
            end_offset: 0,
            counts: Default::default(),
            error: None,
            entries: Vec::new(),
        };
        let (record, appended) = match plan {
            Plan::Reuse(record) => (record, None),
            Plan::Append(record, stamp) => (record, Some(*stamp)),
            Plan::Full(stamp) => return self.read_full(file, *stamp, stats),
        };
        let origin = std::sync::Arc::new(FileOrigin::from_path(path));
        let Ok(counts) = format::decode_payload(record.payload, &origin, &mut file.entries) else {
            stats.dropped = Some(FormatError::Damaged);
            self.is_changed = true;
            file.entries.clear();
            return self.read_full(file, appended.or(Some(record.stamp)), stats);
        };
        let Some(stamp) = appended else {
            stats.reused_files += 1;
            file.end_offset = record.stamp.size;
            file.counts = counts.complete;
            file.counts.add(&counts.trailing);
            file.entries.shrink_to_fit();
            if self.is_building {
                self.body.extend_from_slice(record.bytes);
            }
            return file;
        };
        stats.appended_files += 1;
        self.is_changed = true;
        let old = record.stamp;
        file.entries
            .retain(|entry| entry.line_offset < old.complete_offset);
        self.read_rest(file, stamp, old.complete_offset, counts.complete)
    }

    /// Reads a whole file on this thread (a record that would not decode, or no stat).
    fn read_full(
        &mut self,
        file: FileScan,
        stamp: Option<FileStamp>,
        stats: &mut CacheStats,
    ) -> FileScan {
        stats.parsed_files += 1;
        self.is_changed = true;
        self.read_rest(file, stamp.unwrap_or_default(), 0, Default::default())
    }

    /// A file the parallel scan read up to its last `\n`: the unterminated rest is parsed
    /// here, and the record written.
    fn finish_full(
        &mut self,
        scanned: FileScan,
        stamp: Option<FileStamp>,
        stats: &mut CacheStats,
    ) -> FileScan {
        stats.parsed_files += 1;
        self.is_changed = true;
        if scanned.error.is_some() {
            return scanned;
        }
        let (offset, counts) = (scanned.end_offset, scanned.counts);
        self.read_rest(scanned, stamp.unwrap_or_default(), offset, counts)
    }

    /// Parses `file.path` from `offset` (whose complete lines before it gave `counts` and
    /// are in `file.entries`) and records the result.
    fn read_rest(
        &mut self,
        mut file: FileScan,
        mut stamp: FileStamp,
        offset: u64,
        counts: crate::scan::LineCounts,
    ) -> FileScan {
        let path = file.path.clone();
        let mut buffer = std::mem::take(&mut self.buffer);
        let result = read::open(&path).and_then(|mut handle| {
            let tail = read::parse_from(&mut handle, offset, self.parser(&path), &mut buffer)?;
            let prints = read::fingerprints(&handle, tail.complete_offset)?;
            Ok((tail, prints))
        });
        self.buffer = buffer;
        let (tail, (head_fingerprint, tail_fingerprint)) = match result {
            Ok(read) => read,
            Err(error) => {
                file.error = Some(error.kind());
                return file;
            }
        };
        let mut file_counts = tail.counts;
        file_counts.complete.add(&counts);
        stamp.size = tail.end_offset;
        stamp.complete_offset = tail.complete_offset;
        stamp.head_fingerprint = head_fingerprint;
        stamp.tail_fingerprint = tail_fingerprint;
        file.entries.extend(tail.entries);
        file.entries.shrink_to_fit();
        file.end_offset = tail.end_offset;
        file.counts = file_counts.complete;
        file.counts.add(&file_counts.trailing);
        // A file without a stat is read but not kept: the next run cannot tell if it changed.
        if stamp.mtime_ns != 0 || stamp.inode != 0 {
            format::encode_record(
                &mut self.body,
                path_bytes(&path).as_slice(),
                &stamp,
                &file_counts,
                &file.entries,
            );
        }
        file
    }
}

/// Writes the cache next to its final place, then renames it there: a reader sees the old
/// file or the new one, never a part, and two reports writing at once leave one of the two.
fn write(cache_path: &Path, header: Header, body: &[u8]) -> io::Result<()> {
    let mut temporary = cache_path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(&format::header_bytes(header, body))?;
            file.write_all(body)
        })
        .and_then(|()| fs::rename(&temporary, cache_path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests;
