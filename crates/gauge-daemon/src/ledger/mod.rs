//! The ledger: the durable record of usage. Sources hand it requests (with how far each
//! transcript file was read) and official samples through `sources::Out`; it deduplicates the
//! requests across sources, keeps everything in [`store`], and forwards what changed to the
//! engine.
//!
//! Ownership: one writer thread owns the SQLite connection (rusqlite is synchronous). Sources
//! hold cloneable [`LedgerHandle`]s and send over a channel; the thread drains whatever is queued
//! into one transaction, forwards the requests that were new or replaced an earlier copy, commits,
//! and then tells each writer that asked whether its rows are on disk ([`Receipt`]).
//! Shutdown: when the last handle is dropped the channel closes, the thread commits what it has
//! and exits; [`LedgerThread::join`] waits for that.
//!
//! Must never: tell the engine anything but stored requests and samples (health, models and the
//! like go from the sources to the engine directly), or acknowledge a write it did not commit.

mod health;
mod history;
mod machines;
mod marks;
mod store;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use health::StoreHealth;
pub(crate) use history::StoredHistory;
/// The rows of a [`StoredHistory`], for tests that build one.
#[cfg(test)]
pub(crate) use history::{DayCost, HourTokens, OfficialPoint};
pub(crate) use marks::AlertMark;
use store::Store;
pub use store::{read_requests, read_requests_by_machine, MachineUsage};
pub(crate) use store::{FileProgress, StoreError, StoredTotals};

use crate::readings::{EngineInput, EngineSender, LearnedRate, OfficialSample, UsageEvent};

/// The store's file name inside the data directory.
pub const STORE_FILE: &str = "claude-gauge.sqlite3";
/// Room in the ledger's queue before sources wait.
const QUEUE_CAPACITY: usize = 256;
/// The most inputs folded into one transaction.
const MAX_BATCH: usize = 512;

/// The ledger has shut down; the daemon is stopping.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the ledger has shut down")]
pub(crate) struct LedgerClosed;

/// A write that is not on disk.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum WriteError {
    /// The ledger has shut down; the write may or may not have been committed before.
    #[error("the ledger has shut down")]
    Closed,
    /// The transaction failed (a full disk, a broken file); nothing of it was stored.
    #[error("not stored: {0}")]
    NotStored(String),
}

impl From<LedgerClosed> for WriteError {
    fn from(_: LedgerClosed) -> WriteError {
        WriteError::Closed
    }
}

/// The answer to one write: whether its transaction committed.
type CommitReply = oneshot::Sender<Result<(), String>>;

enum LedgerInput {
    Usage {
        events: Vec<UsageEvent>,
        /// The machine each event came from (`hosts[i]` for `events[i]`); empty: this machine.
        hosts: Vec<Option<String>>,
        progress: Vec<FileProgress>,
        reply: CommitReply,
    },
    Official {
        samples: Vec<OfficialSample>,
        reply: CommitReply,
    },
    Learned(LearnedRate),
    Marks {
        marks: Vec<AlertMark>,
        reply: CommitReply,
    },
}

impl std::fmt::Debug for LedgerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerInput")
    }
}

/// Whether a queued write reached the disk. Wait on it to acknowledge only what is saved; drop
/// it when the write carries its own proof (file progress stored in the same transaction).
#[derive(Debug)]
#[must_use = "a receipt says whether the write was stored; drop it explicitly if that is not needed"]
pub(crate) struct Receipt(oneshot::Receiver<Result<(), String>>);

impl Receipt {
    /// Waits until the write's transaction committed (or failed).
    pub(crate) async fn committed(self) -> Result<(), WriteError> {
        match self.0.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(WriteError::NotStored(reason)),
            Err(_) => Err(WriteError::Closed),
        }
    }
}

/// A cheap, cloneable handle to the write queue, and a connection of its own for reads.
#[derive(Clone)]
pub(crate) struct LedgerHandle {
    queue: mpsc::Sender<LedgerInput>,
    reader: Arc<Mutex<Store>>,
}

impl std::fmt::Debug for LedgerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerHandle")
    }
}

impl LedgerHandle {
    /// [`LedgerHandle::record_usage_from`] for a source on its own thread, with every request
    /// from this machine.
    pub(crate) fn blocking_record_usage(
        &self,
        events: Vec<UsageEvent>,
        progress: Vec<FileProgress>,
    ) -> Result<Receipt, LedgerClosed> {
        let (reply, receipt) = oneshot::channel();
        let input = LedgerInput::Usage {
            events,
            hosts: Vec::new(),
            progress,
            reply,
        };
        self.queue.blocking_send(input).map_err(|_| LedgerClosed)?;
        Ok(Receipt(receipt))
    }

    /// Queues official samples read together (both windows of one reading), for one
    /// transaction: the engine gets them together, so no frame shows half a reading.
    pub(crate) async fn record_official(
        &self,
        samples: Vec<OfficialSample>,
    ) -> Result<Receipt, LedgerClosed> {
        let (reply, receipt) = oneshot::channel();
        let input = LedgerInput::Official { samples, reply };
        self.queue.send(input).await.map_err(|_| LedgerClosed)?;
        Ok(Receipt(receipt))
    }

    /// Keeps what was learned of a window's limit (not waited for: it is learned again from
    /// the next official reading should this write be lost).
    pub(crate) async fn record_learned(&self, rate: LearnedRate) -> Result<(), LedgerClosed> {
        self.queue
            .send(LedgerInput::Learned(rate))
            .await
            .map_err(|_| LedgerClosed)
    }

    /// Sums over every committed request. Read on a connection of its own, so it answers while
    /// a write waits for the disk (and `/stats` can say why).
    pub(crate) async fn totals(&self) -> Result<StoredTotals, String> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            // A poisoned lock only means a reader panicked; the connection is still usable.
            let store = reader.lock().unwrap_or_else(PoisonError::into_inner);
            store.totals().map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

/// What the store held at start-up that sources need.
#[derive(Debug, Default)]
pub(crate) struct LedgerStartup {
    /// How far each transcript file was read.
    pub file_progress: HashMap<String, FileProgress>,
    /// What the alerts already said, by key.
    pub alert_marks: HashMap<String, i64>,
}

/// The writer thread; join it after dropping every handle.
pub(crate) struct LedgerThread(std::thread::JoinHandle<()>);

impl LedgerThread {
    /// Waits for the writer to commit what it has and stop.
    pub(crate) fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("the ledger writer panicked");
        }
    }
}

/// Opens the store in `data_dir`, loads requests since `preload_since_ms`, every model's totals
/// and the newest official samples into the engine, and starts the writer.
pub(crate) fn open(
    data_dir: &Path,
    engine: EngineSender,
    preload_since_ms: i64,
) -> Result<(LedgerHandle, LedgerStartup, LedgerThread), StoreError> {
    let path = data_dir.join(STORE_FILE);
    let store = match Store::open(&path) {
        Err(StoreError::Corrupt { reason, .. }) => rebuild(&path, &reason)?,
        opened => opened?,
    };
    let reader = Arc::new(Mutex::new(Store::open_reader(&path)?));
    let recent = store.entries_since(preload_since_ms)?;
    let by_model = store.totals_by_model()?;
    let official = store.latest_official()?;
    let learned = store.learned_rates()?;
    let startup = LedgerStartup {
        file_progress: store.file_progress()?,
        alert_marks: store.alert_marks()?,
    };
    let (queue_tx, queue_rx) = mpsc::channel(QUEUE_CAPACITY);
    let thread = std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || {
            let preload = std::iter::once(EngineInput::Stored { recent, by_model })
                .chain(official.into_iter().map(EngineInput::Official))
                .chain(learned.into_iter().map(EngineInput::Learned));
            for input in preload {
                if engine.blocking_send(input).is_err() {
                    return;
                }
            }
            write_loop(store, queue_rx, &engine);
        })
        .map_err(StoreError::Thread)?;
    Ok((
        LedgerHandle {
            queue: queue_tx,
            reader,
        },
        startup,
        LedgerThread(thread),
    ))
}

/// Moves a damaged store aside (with its WAL and shared-memory files), says so in one line with
/// how many requests only it knew (those that came by OTLP: the transcripts still on disk are
/// read again), and opens a new one.
fn rebuild(path: &Path, reason: &str) -> Result<Store, StoreError> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let aside = path.with_extension(format!("sqlite3.damaged-{stamp}"));
    let io_error = |source: std::io::Error| StoreError::Sqlite {
        path: path.display().to_string(),
        source: rusqlite::Error::ToSqlConversionFailure(Box::new(source)),
    };
    std::fs::rename(path, &aside).map_err(io_error)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let mut side_aside = aside.as_os_str().to_owned();
        side_aside.push(suffix);
        let _ = std::fs::rename(&side, &side_aside);
    }
    let lost = rusqlite::Connection::open(&aside)
        .and_then(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM entries WHERE origin = 'otlp'",
                [],
                |row| row.get::<_, i64>(0),
            )
        })
        .map_or_else(|_| "an unknown number of".to_string(), |n| n.to_string());
    tracing::error!(
        "the store was damaged ({reason}); moved it to {} and rebuilding from the transcripts: {lost} requests received only by OTLP are lost",
        aside.display()
    );
    Store::open(path)
}

/// What a store holds: the totals, the newest official samples and the file progress.
#[cfg(test)]
pub(crate) type StoredState = (
    StoredTotals,
    Vec<OfficialSample>,
    HashMap<String, FileProgress>,
);

/// What a store holds, read with a connection of its own (as a second process would). For tests
/// that check that what was acknowledged is on disk.
#[cfg(test)]
pub(crate) fn read_stored(data_dir: &Path) -> Result<StoredState, StoreError> {
    let store = Store::open_reader(&data_dir.join(STORE_FILE))?;
    // One read transaction: one snapshot, so the three reads agree with each other.
    store.read_together(|store| {
        Ok((
            store.totals()?,
            store.latest_official()?,
            store.file_progress()?,
        ))
    })
}

/// Everything drained from the queue for one transaction.
#[derive(Default)]
struct Batch {
    events: Vec<UsageEvent>,
    /// Parallel to `events`: the machine each came from.
    hosts: Vec<Option<String>>,
    progress: Vec<FileProgress>,
    samples: Vec<OfficialSample>,
    learned: Vec<LearnedRate>,
    marks: Vec<AlertMark>,
    replies: Vec<CommitReply>,
}

impl Batch {
    fn add(&mut self, input: LedgerInput) {
        match input {
            LedgerInput::Usage {
                events,
                mut hosts,
                progress,
                reply,
            } => {
                hosts.resize(events.len(), None);
                self.hosts.extend(hosts);
                self.events.extend(events);
                self.progress.extend(progress);
                self.replies.push(reply);
            }
            LedgerInput::Official { samples, reply } => {
                self.samples.extend(samples);
                self.replies.push(reply);
            }
            LedgerInput::Learned(rate) => self.learned.push(rate),
            LedgerInput::Marks { marks, reply } => {
                self.marks.extend(marks);
                self.replies.push(reply);
            }
        }
    }
}

/// The first wait before a failed write is tried again; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between two tries of a failed write.
const RETRY_MAX: Duration = Duration::from_secs(10);
/// Once every handle is gone (the daemon is stopping), a failing write gets this many more
/// tries: what it held is not lost, since the stored file offsets did not move either.
const RETRIES_AT_SHUTDOWN: u32 = 3;

fn write_loop(mut store: Store, mut queue: mpsc::Receiver<LedgerInput>, engine: &EngineSender) {
    let mut health = StoreHealth::default();
    while let Some(first) = queue.blocking_recv() {
        let mut batch = Batch::default();
        batch.add(first);
        for _ in 1..MAX_BATCH {
            match queue.try_recv() {
                Ok(input) => batch.add(input),
                Err(_) => break,
            }
        }
        let mut is_engine_gone = false;
        let mut attempt = 0u32;
        // A failed write (a full disk, an I/O error) is kept and tried again, in order, until it
        // commits: batches behind it wait, so a later batch can never store a file offset past
        // lines an earlier, failed one held. Writers that wait for their receipt wait too.
        let outcome = loop {
            // Forward before the commit: the gauge need not wait for the disk (see
            // `write_batch`); a retry forwards the same requests again, which the engine's
            // upsert by key absorbs.
            let samples = &batch.samples;
            let forward = |changed: &[UsageEvent]| {
                let usage = (!changed.is_empty()).then(|| EngineInput::Usage(changed.to_vec()));
                let official = samples.iter().copied().map(EngineInput::Official);
                let inputs: Vec<EngineInput> = usage.into_iter().chain(official).collect();
                if !inputs.is_empty() {
                    is_engine_gone |= engine.blocking_send(EngineInput::Together(inputs)).is_err();
                }
            };
            store.stage_marks(&batch.marks);
            let written = store.write_batch_from(
                &batch.events,
                &batch.hosts,
                &batch.progress,
                samples,
                &batch.learned,
                forward,
            );
            match written {
                Ok(_) => {
                    health.succeeded(engine);
                    break Ok(());
                }
                Err(err) => {
                    let reason = err.to_string();
                    health.failed(engine, &reason);
                    if queue.is_closed() && attempt >= RETRIES_AT_SHUTDOWN {
                        break Err(reason);
                    }
                    std::thread::sleep(retry_delay(attempt));
                    attempt = attempt.saturating_add(1);
                }
            }
        };
        for reply in batch.replies {
            // A writer that did not wait is no error.
            let _ = reply.send(outcome.clone());
        }
        if is_engine_gone {
            return;
        }
    }
}

/// The wait before try `attempt + 1` of a failed write.
fn retry_delay(attempt: u32) -> Duration {
    RETRY_FIRST
        .saturating_mul(1u32 << attempt.min(16))
        .min(RETRY_MAX)
}
