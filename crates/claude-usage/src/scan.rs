//! The cold scan: every transcript file read in parallel into entries in canonical order.
//!
//! Sits between discovery and dedup. Files are mapped a window at a time (large ones) or read
//! into a buffer reused across files (small ones), split on `\n` with memchr, prefiltered with
//! memmem inside the parser, and parsed on a shared pool of scoped threads that take the
//! largest files first.

use std::{
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
};

use crate::{
    discover::FileOrigin,
    entry::UsageEntry,
    parse::{LineParser, ParsedLine},
    pricing::PriceTable,
};

/// Files at least this large are memory-mapped; smaller ones are read into a reused buffer,
/// which is cheaper than a map, a fault and an unmap. (Mapping from 16 KiB up was tried: more
/// wall time with two threads, see `docs/performance.md`.)
const MMAP_MIN_BYTES: u64 = 256 * 1024;
/// Large files are mapped a window at a time, so a 500 MB transcript costs 4 MiB of resident
/// memory, not 500 MB. A line longer than the window doubles it for that line.
const MMAP_WINDOW_BYTES: u64 = 4 * 1024 * 1024;
/// Window offsets are multiples of this, a multiple of every page size Linux uses (4-64 KiB).
const MMAP_ALIGN_BYTES: u64 = 64 * 1024;

/// Counts of lines by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines that gave a usage entry.
    pub usage_lines: u64,
    /// Well-formed lines without counted usage (see [`crate::SkipReason`]).
    pub skipped_lines: u64,
    /// Lines that are not a JSON object.
    pub malformed_lines: u64,
    /// Of the skipped lines, those with usage that fail ccusage's validation (a `null` key, a
    /// negative, fractional or string count, a bad timestamp, version or id).
    pub rejected_lines: u64,
}

impl LineCounts {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &LineCounts) {
        self.usage_lines += other.usage_lines;
        self.skipped_lines += other.skipped_lines;
        self.malformed_lines += other.malformed_lines;
        self.rejected_lines += other.rejected_lines;
    }

    fn count(&mut self, parsed: &ParsedLine) {
        match parsed {
            ParsedLine::Usage { .. } => self.usage_lines += 1,
            ParsedLine::Skipped(reason) => {
                self.skipped_lines += 1;
                if *reason != crate::SkipReason::NoUsage {
                    self.rejected_lines += 1;
                }
            }
            ParsedLine::Malformed => self.malformed_lines += 1,
        }
    }
}

/// What to do with bytes after the last `\n` of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrailingLine {
    /// Parse them as a line, as ccusage does (a file may simply lack its final newline).
    #[default]
    Parse,
    /// Leave them for a later [`crate::read_appended`] call: the writer may be mid-line. Use
    /// this when the scan seeds a live tail, or that line would be read twice.
    Wait,
}

/// Options of a cold scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads; 0 means `std::thread::available_parallelism`.
    pub threads: usize,
    /// The price table for line costs.
    pub prices: PriceTable,
    /// The handling of an unterminated last line.
    pub trailing_line: TrailingLine,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            prices: PriceTable::embedded(),
            trailing_line: TrailingLine::Parse,
        }
    }
}

/// The outcome of scanning one file.
#[derive(Debug)]
pub struct FileScan {
    /// The file.
    pub path: PathBuf,
    /// Bytes consumed: the offset just after the last line parsed. With
    /// [`TrailingLine::Wait`], where a live tail should resume.
    pub end_offset: u64,
    /// Line counts of this file.
    pub counts: LineCounts,
    /// Why the file could not be read, if it could not (the scan goes on without it).
    pub error: Option<io::ErrorKind>,
    /// The file's entries in line order, not yet deduped.
    pub entries: Vec<UsageEntry>,
}

/// The result of a cold scan: one record per file, in the order given (canonical order when
/// the files come from [`crate::usage_files`]).
#[derive(Debug, Default)]
pub struct Scan {
    /// One record per input file, in input order.
    pub files: Vec<FileScan>,
    /// Line counts over all files.
    pub counts: LineCounts,
}

impl Scan {
    /// Number of entries over all files.
    pub fn entry_count(&self) -> usize {
        self.files.iter().map(|file| file.entries.len()).sum()
    }

    /// All entries in canonical order (files in order, lines in file order). Consuming: each
    /// file's entries are freed as the iterator passes them, so feeding this straight into
    /// [`crate::dedup()`] never holds two copies of the corpus.
    pub fn into_entries(self) -> impl Iterator<Item = UsageEntry> {
        self.files.into_iter().flat_map(|file| file.entries)
    }

    /// All entries in canonical order, borrowed.
    pub fn entries(&self) -> impl Iterator<Item = &UsageEntry> {
        self.files.iter().flat_map(|file| &file.entries)
    }
}

/// Parses the lines of `bytes`, the content of one file from `base_offset` on, appending
/// entries to `out`. Returns the counts and the number of bytes consumed: up to and including
/// the last `\n`, or everything with [`TrailingLine::Parse`].
pub fn parse_lines(
    parser: &mut LineParser,
    bytes: &[u8],
    base_offset: u64,
    trailing_line: TrailingLine,
    out: &mut Vec<UsageEntry>,
) -> (LineCounts, usize) {
    let mut counts = LineCounts::default();
    let mut start = 0;
    let mut handle = |line_start: usize, line: &[u8], counts: &mut LineCounts| {
        let parsed = parser.parse(line);
        counts.count(&parsed);
        let offset = base_offset + line_start as u64;
        out.extend(parsed.into_entries().map(|mut entry| {
            entry.line_offset = offset;
            entry
        }));
    };
    for newline in memchr::memchr_iter(b'\n', bytes) {
        handle(start, &bytes[start..newline], &mut counts);
        start = newline + 1;
    }
    if start < bytes.len() && trailing_line == TrailingLine::Parse {
        handle(start, &bytes[start..], &mut counts);
        start = bytes.len();
    }
    (counts, start)
}

/// Files at least this large are scanned first, largest first, so that no worker is left
/// with a huge file at the end; the rest go in canonical order, so that
/// [`scan_files_each`] can hand over a growing prefix while the scan goes on.
const SCAN_FIRST_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// Scans `files` (in canonical order, as [`crate::usage_files`] returns them) in parallel.
pub fn scan_files(files: &[PathBuf], options: &ScanOptions) -> Scan {
    let mut scan = Scan {
        files: Vec::with_capacity(files.len()),
        counts: LineCounts::default(),
    };
    scan_files_each(files, options, |file| {
        scan.counts.add(&file.counts);
        scan.files.push(file);
    });
    scan
}

/// How many finished files per worker may wait for `sink` before the workers wait.
const READ_AHEAD_FILES: usize = 4;

/// Scans `files` in parallel like [`scan_files`], calling `sink` on the calling thread with
/// each file's result in canonical order as soon as every earlier file is done, while the
/// workers go on. Feeding a [`crate::Deduper`] from `sink` overlaps dedup with the scan.
pub fn scan_files_each(files: &[PathBuf], options: &ScanOptions, mut sink: impl FnMut(FileScan)) {
    let threads = match options.threads {
        0 => thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
    .clamp(1, files.len().max(1));
    let order = scan_order(files);
    let next = AtomicUsize::new(0);
    // Bounded: when `sink` is slow (the daemon's waits for its store), the workers wait too.
    let (sender, receiver) = mpsc::sync_channel::<(usize, FileScan)>(threads * READ_AHEAD_FILES);
    let mut pending: Vec<Option<FileScan>> = Vec::new();
    pending.resize_with(files.len(), || None);
    let mut emitted = 0;
    thread::scope(|scope| {
        for _ in 0..threads {
            let sender = sender.clone();
            let (order, next) = (&order, &next);
            scope.spawn(move || scan_worker(files, order, next, options, &sender));
        }
        // The workers hold the only senders now: `recv` fails once all of them are done (or
        // one panicked, which the scope then re-raises).
        drop(sender);
        while let Ok((index, file)) = receiver.recv() {
            pending[index] = Some(file);
            while let Some(file) = pending.get_mut(emitted).and_then(Option::take) {
                sink(file);
                emitted += 1;
            }
        }
    });
}

/// Indexes into `files`: the large ones by size descending, then the others in order.
fn scan_order(files: &[PathBuf]) -> Vec<usize> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|path| path.metadata().map_or(0, |meta| meta.len()))
        .collect();
    let mut large: Vec<usize> = (0..files.len())
        .filter(|&index| sizes[index] >= SCAN_FIRST_MIN_BYTES)
        .collect();
    large.sort_by_key(|&index| std::cmp::Reverse(sizes[index]));
    let small = (0..files.len()).filter(|&index| sizes[index] < SCAN_FIRST_MIN_BYTES);
    large.into_iter().chain(small).collect()
}

fn scan_worker(
    files: &[PathBuf],
    order: &[usize],
    next: &AtomicUsize,
    options: &ScanOptions,
    results: &mpsc::SyncSender<(usize, FileScan)>,
) {
    let mut buffer = Vec::new();
    let mut parser: Option<LineParser> = None;
    while let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
        let path = &files[index];
        let origin = FileOrigin::from_path(path);
        let parser = match parser.as_mut() {
            Some(parser) => {
                parser.set_origin(origin);
                parser
            }
            None => parser.insert(LineParser::new(origin, options.prices.clone())),
        };
        let mut file = FileScan {
            path: path.clone(),
            end_offset: 0,
            counts: LineCounts::default(),
            error: None,
            entries: Vec::new(),
        };
        match scan_file(
            path,
            &mut buffer,
            parser,
            options.trailing_line,
            &mut file.entries,
        ) {
            Ok((counts, consumed)) => {
                file.counts = counts;
                file.end_offset = consumed;
            }
            Err(error) => file.error = Some(error.kind()),
        }
        // Growth slack over thousands of files adds up; the corpus is held until dedup.
        file.entries.shrink_to_fit();
        if results.send((index, file)).is_err() {
            // The receiving thread is gone (it panicked); stop early.
            return;
        }
    }
}

/// Parses the lines of one file: mapped window by window if large, else read into `buffer`.
/// Returns the counts and the offset after the last line parsed.
fn scan_file(
    path: &Path,
    buffer: &mut Vec<u8>,
    parser: &mut LineParser,
    trailing_line: TrailingLine,
    out: &mut Vec<UsageEntry>,
) -> io::Result<(LineCounts, u64)> {
    let file = File::open(path)?;
    // Bytes appended after this are left for the live tail.
    let len = file.metadata()?.len();
    if len < MMAP_MIN_BYTES {
        buffer.clear();
        (&file).take(len).read_to_end(buffer)?;
        let (counts, consumed) = parse_lines(parser, buffer, 0, trailing_line, out);
        return Ok((counts, consumed as u64));
    }
    let mut counts = LineCounts::default();
    let mut consumed = 0_u64;
    let mut window = MMAP_WINDOW_BYTES;
    while consumed < len {
        let map_start = consumed / MMAP_ALIGN_BYTES * MMAP_ALIGN_BYTES;
        let map_len = (len - map_start).min(window);
        let is_last = map_start + map_len == len;
        // SAFETY: the map is read-only and dropped at the end of this iteration. Claude Code
        // only appends to transcripts, and bytes appended after mapping are outside the map.
        // Truncating a file while it is mapped would fault (SIGBUS); nothing in Claude Code
        // does that, and cleanup deletes files, which keeps the mapped inode alive.
        #[allow(unsafe_code)]
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(map_start)
                .len(usize::try_from(map_len).unwrap_or(usize::MAX))
                .populate()
                .map(&file)?
        };
        let skip = usize::try_from(consumed - map_start).unwrap_or(0);
        let mode = if is_last {
            trailing_line
        } else {
            TrailingLine::Wait
        };
        let (window_counts, used) = parse_lines(parser, &map[skip..], consumed, mode, out);
        counts.add(&window_counts);
        consumed += used as u64;
        if is_last {
            break;
        }
        // No newline in the whole window: one very long line; map more of it.
        window = if used == 0 {
            window * 2
        } else {
            MMAP_WINDOW_BYTES
        };
    }
    Ok((counts, consumed))
}

#[cfg(test)]
mod tests;
