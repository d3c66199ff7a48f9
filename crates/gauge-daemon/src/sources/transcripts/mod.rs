//! The transcript source: Claude Code's JSONL transcripts, read once in full and then tailed.
//!
//! Runs on its own thread (file I/O is blocking and bursty). At start it catches up every file
//! from its stored offset, in parallel, in chunks that each commit with their file progress; then
//! it follows filesystem events (notify), reading only appended bytes, and walks every new
//! directory at once so files created right after it are not missed. A slow rescan every
//! [`RESCAN_EVERY`] catches anything the event stream dropped and picks up a `projects/`
//! directory that appears later. The first catch-up reports its progress through
//! [`Out::scan_progress`]; the command line draws the bar.

mod convert;
mod progress;
mod rewalk;
mod tracker;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use claude_usage::{scan_files_each, ScanOptions, TrailingLine};
use notify::{RecursiveMode, Watcher};
use tokio_util::sync::CancellationToken;

use super::{Out, ScanProgress, Source};
use crate::ledger::{FileProgress, LedgerClosed};
use crate::readings::{SourceKind, UsageEvent};
use progress::Progress;
use rewalk::Rewalks;
use tracker::{jsonl_files_under, read_from, FileRead, FileStat, FileTracker};

/// How often the source tells the engine it is alive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// How often every file is re-statted, in case an event was lost.
const RESCAN_EVERY: Duration = Duration::from_secs(10);
/// Files per committed chunk of the catch-up scan.
const CHUNK_FILES: usize = 64;
/// How long the loop waits for an event before checking shutdown and timers.
const POLL: Duration = Duration::from_millis(200);

/// Where to look for transcripts: the source's settings, resolved by `config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptConfig {
    /// Claude config directories; each one's `projects/` holds the transcripts. Roots without a
    /// `projects/` directory yet are kept: the source waits for it to appear.
    pub roots: Vec<PathBuf>,
    /// How often every directory is walked again, for events the watcher lost and for a
    /// `projects/` directory that appears late (`RESCAN_EVERY`, 10 s, by default).
    pub rescan_every: Duration,
}

impl TranscriptConfig {
    /// Reads `roots`, with the default timing.
    pub fn new(roots: Vec<PathBuf>) -> TranscriptConfig {
        TranscriptConfig {
            roots,
            rescan_every: RESCAN_EVERY,
        }
    }

    fn projects_dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.roots
            .iter()
            .map(|root| root.join("projects"))
            .filter(|dir| dir.is_dir())
    }
}

/// The transcript source, ready to run: its settings and how far each file was read before.
pub(crate) struct TranscriptSource {
    config: TranscriptConfig,
    progress: HashMap<String, FileProgress>,
}

impl TranscriptSource {
    /// A source over `config`'s roots that resumes each file at its stored `progress`.
    pub(crate) fn new(
        config: TranscriptConfig,
        progress: HashMap<String, FileProgress>,
    ) -> TranscriptSource {
        TranscriptSource { config, progress }
    }
}

impl Source for TranscriptSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Transcripts
    }

    /// Runs the reader on its own thread (file I/O is blocking and bursty) and waits for it; the
    /// thread polls `shutdown` every [`POLL`].
    async fn run(self, out: Out, shutdown: CancellationToken) {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("transcripts".into())
            .spawn(move || {
                let mut reader = Reader::new(self.config, out, self.progress);
                match reader.run(&shutdown) {
                    Ok(()) | Err(LedgerClosed) => {}
                }
                drop(done_tx);
            });
        match spawned {
            // Ends when the thread does (the sender is dropped then, even by a panic).
            Ok(_thread) => {
                let _ = done_rx.await;
            }
            Err(err) => tracing::error!("cannot start the transcript reader: {err}"),
        }
    }
}

/// Reads of several files, sent to the ledger as one transaction.
#[derive(Debug, Default)]
struct Batch {
    files: usize,
    events: Vec<UsageEvent>,
    progress: Vec<FileProgress>,
    limit_resets_secs: Vec<i64>,
}

impl Batch {
    fn add(&mut self, read: FileRead) {
        self.files += 1;
        self.events.extend(read.events);
        self.progress.extend(read.progress);
        self.limit_resets_secs.extend(read.limit_resets_secs);
    }

    fn send(self, out: &Out) -> Result<(), LedgerClosed> {
        if !self.progress.is_empty() {
            // Not waited for: the file offsets commit in the same transaction as the requests,
            // so a write that fails is read again from the stored offsets after a restart.
            drop(out.blocking_file_usage(self.events, self.progress)?);
        }
        if let Some(&until_secs) = self.limit_resets_secs.iter().max() {
            out.blocking_limit_reached(until_secs)?;
        }
        Ok(())
    }
}

/// What a catch-up pass did.
#[derive(Debug, Clone, Copy)]
struct CatchUp {
    files_seen: usize,
    files_read: usize,
    bytes_read: u64,
}

/// The reader's state, on its own thread.
struct Reader {
    config: TranscriptConfig,
    out: Out,
    tracker: FileTracker,
    watched: HashSet<PathBuf>,
    rewalks: Rewalks,
}

impl Reader {
    fn new(config: TranscriptConfig, out: Out, progress: HashMap<String, FileProgress>) -> Reader {
        let stats = out.stats().clone();
        Reader {
            config,
            out,
            tracker: FileTracker::new(progress, stats),
            watched: HashSet::new(),
            rewalks: Rewalks::default(),
        }
    }

    fn run(&mut self, shutdown: &CancellationToken) -> Result<(), LedgerClosed> {
        self.out.blocking_configured(SourceKind::Transcripts)?;
        let (event_tx, event_rx) = mpsc::channel();
        let mut watcher = match notify::recommended_watcher(event_tx) {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                tracing::warn!(
                    "cannot watch transcripts ({err}); falling back to a rescan every {:?}",
                    self.config.rescan_every
                );
                None
            }
        };
        self.watch_new_roots(watcher.as_mut());
        let started = Instant::now();
        let caught_up = self.catch_up_all(shutdown)?;
        // Counts only; the benchmark reads the "caught up" line. A warm restart that finds
        // nothing appended says so, rather than counting files it only stat'ed.
        if caught_up.bytes_read == 0 {
            tracing::info!(
                "transcripts: nothing new in {} file{}, in {} ms",
                caught_up.files_seen,
                if caught_up.files_seen == 1 { "" } else { "s" },
                started.elapsed().as_millis()
            );
        } else {
            tracing::info!(
                "transcripts: caught up {} of {} files, {} bytes read, in {} ms",
                caught_up.files_read,
                caught_up.files_seen,
                caught_up.bytes_read,
                started.elapsed().as_millis()
            );
        }
        self.heartbeat()?;
        let mut last_heartbeat = Instant::now();
        let mut last_rescan = Instant::now();
        while !shutdown.is_cancelled() {
            match event_rx.recv_timeout(POLL) {
                Ok(first) => {
                    let mut paths = HashSet::new();
                    collect_paths(first, &mut paths);
                    while let Ok(more) = event_rx.try_recv() {
                        collect_paths(more, &mut paths);
                    }
                    self.read_paths(paths, true)?;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => watcher = None,
            }
            let due: HashSet<PathBuf> = self.rewalks.take_due(Instant::now());
            if !due.is_empty() {
                self.read_paths(due, false)?;
            }
            if last_rescan.elapsed() >= self.config.rescan_every {
                last_rescan = Instant::now();
                self.watch_new_roots(watcher.as_mut());
                self.catch_up_all(shutdown)?;
            }
            if last_heartbeat.elapsed() >= HEARTBEAT_EVERY {
                last_heartbeat = Instant::now();
                self.heartbeat()?;
            }
        }
        Ok(())
    }

    /// Alive while at least one root has a `projects/` directory.
    fn heartbeat(&self) -> Result<(), LedgerClosed> {
        let health = if self.config.projects_dirs().next().is_some() {
            Ok(())
        } else {
            Err("no projects/ directory in any Claude config dir".to_string())
        };
        self.out.blocking_health(SourceKind::Transcripts, health)
    }

    fn watch_new_roots(&mut self, watcher: Option<&mut notify::RecommendedWatcher>) {
        let Some(watcher) = watcher else { return };
        let dirs: Vec<PathBuf> = self
            .config
            .projects_dirs()
            .filter(|d| !self.watched.contains(d))
            .collect();
        for dir in dirs {
            match watcher.watch(&dir, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(dir);
                }
                Err(err) => tracing::warn!("cannot watch {}: {err}", dir.display()),
            }
        }
    }

    /// Reads whatever changed in every file under every root, in parallel chunks.
    fn catch_up_all(&mut self, shutdown: &CancellationToken) -> Result<CatchUp, LedgerClosed> {
        let files: Vec<PathBuf> = self
            .config
            .projects_dirs()
            .flat_map(|dir| jsonl_files_under(&dir))
            .collect();
        let files_seen = files.len();
        let work: Vec<(PathBuf, FileStat, u64)> = files
            .into_iter()
            .filter_map(|path| {
                let stat = FileStat::of(&path)?;
                let offset = self.tracker.start_offset(&path, &stat)?;
                Some((path, stat, offset))
            })
            .collect();
        let total_bytes: u64 = work
            .iter()
            .map(|(_, stat, offset)| stat.size().saturating_sub(*offset))
            .sum();
        let caught_up = CatchUp {
            files_seen,
            files_read: work.len(),
            bytes_read: total_bytes,
        };
        if work.is_empty() {
            return Ok(caught_up);
        }
        let mut progress = Progress::new(self.out.clone(), total_bytes);
        let (fresh, resumed): (Vec<_>, Vec<_>) =
            work.into_iter().partition(|(_, _, offset)| *offset == 0);
        self.scan_fresh(&fresh, &mut progress, shutdown)?;
        for chunk in resumed.chunks(CHUNK_FILES) {
            if shutdown.is_cancelled() {
                break;
            }
            let reads = read_parallel(chunk, self.tracker.prices());
            let mut batch = Batch::default();
            for ((path, stat, offset), read) in chunk.iter().zip(reads) {
                batch.add(self.tracker.finish(path, *stat, read));
                progress.add(stat.size().saturating_sub(*offset));
            }
            batch.send(&self.out)?;
        }
        progress.finish();
        Ok(caught_up)
    }

    /// Reads files never read before with claude-usage's parallel cold scan (memory-mapped,
    /// files handed over in order while the workers go on), committing every [`CHUNK_FILES`].
    fn scan_fresh(
        &mut self,
        fresh: &[(PathBuf, FileStat, u64)],
        progress: &mut Progress,
        shutdown: &CancellationToken,
    ) -> Result<(), LedgerClosed> {
        let paths: Vec<PathBuf> = fresh.iter().map(|(path, _, _)| path.clone()).collect();
        let options = ScanOptions {
            threads: 0,
            prices: self.tracker.prices().clone(),
            // The tail resumes where the scan stopped: a partial last line waits for it.
            trailing_line: TrailingLine::Wait,
        };
        let mut batch = Batch::default();
        let mut outcome = Ok(());
        let mut index = 0;
        scan_files_each(&paths, &options, |file| {
            let Some((_, stat, _)) = fresh.get(index) else {
                return;
            };
            index += 1;
            // Once the ledger is gone or shutdown began, let the scan run out unrecorded:
            // nothing is lost, the offsets were not stored.
            if outcome.is_err() || shutdown.is_cancelled() {
                return;
            }
            progress.add(stat.size());
            batch.add(self.tracker.finish_scan(file, *stat));
            if batch.files >= CHUNK_FILES {
                outcome = std::mem::take(&mut batch).send(&self.out);
            }
        });
        outcome?;
        if !shutdown.is_cancelled() {
            batch.send(&self.out)?;
        }
        Ok(())
    }

    /// Reads the files an event batch (or a due re-walk) named; a directory is walked whole.
    fn read_paths(&mut self, paths: HashSet<PathBuf>, is_event: bool) -> Result<(), LedgerClosed> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                files.extend(jsonl_files_under(&path));
                // The watch on a new directory is added after it appears, so a file written in
                // between sends no event: walk it again shortly, twice.
                if is_event {
                    self.rewalks.schedule(&path, Instant::now());
                }
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                files.push(path);
            }
        }
        files.sort();
        files.dedup();
        let mut batch = Batch::default();
        for path in files {
            batch.add(self.tracker.read_new(&path));
        }
        batch.send(&self.out)
    }
}

fn collect_paths(event: notify::Result<notify::Event>, paths: &mut HashSet<PathBuf>) {
    if let Ok(event) = event {
        if !matches!(event.kind, notify::EventKind::Access(_)) {
            paths.extend(event.paths);
        }
    }
}

/// Reads `chunk` on as many threads as the machine has cores.
fn read_parallel(
    chunk: &[(PathBuf, FileStat, u64)],
    prices: &claude_usage::PriceTable,
) -> Vec<Option<tracker::RawRead>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(chunk.len())
        .max(1);
    let per_thread = chunk.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunk
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    let mut buffer = Vec::new();
                    part.iter()
                        .map(|(path, _, offset)| read_from(path, *offset, prices, &mut buffer))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A worker that panicked loses its files for this pass; they are read again next time.
        handles
            .into_iter()
            .zip(chunk.chunks(per_thread))
            .flat_map(|(handle, part)| handle.join().unwrap_or_else(|_| vec![None; part.len()]))
            .collect()
    })
}
