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

mod store;

use std::collections::HashMap;
use std::path::Path;

use tokio::sync::{mpsc, oneshot};

use store::Store;
pub(crate) use store::{FileProgress, StoreError, StoredTotals};

use crate::readings::{EngineInput, EngineSender, OfficialSample, UsageEvent};

/// The store's file name inside the data directory.
pub(crate) const STORE_FILE: &str = "claude-gauge.sqlite3";
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
        progress: Vec<FileProgress>,
        reply: CommitReply,
    },
    Official {
        samples: Vec<OfficialSample>,
        reply: CommitReply,
    },
    Totals(oneshot::Sender<Result<StoredTotals, String>>),
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

/// A cheap, cloneable handle to the write queue.
#[derive(Clone, Debug)]
pub(crate) struct LedgerHandle {
    queue: mpsc::Sender<LedgerInput>,
}

impl LedgerHandle {
    /// Queues requests and how far their files were read, for one transaction. A request already
    /// on record under the same dedup key is replaced only when the new copy wins
    /// ([`UsageEvent::beats`]), so one request counts once whichever source reports it.
    pub(crate) async fn record_usage(
        &self,
        events: Vec<UsageEvent>,
        progress: Vec<FileProgress>,
    ) -> Result<Receipt, LedgerClosed> {
        let (reply, receipt) = oneshot::channel();
        let input = LedgerInput::Usage {
            events,
            progress,
            reply,
        };
        self.queue.send(input).await.map_err(|_| LedgerClosed)?;
        Ok(Receipt(receipt))
    }

    /// [`LedgerHandle::record_usage`] for a source on its own thread.
    pub(crate) fn blocking_record_usage(
        &self,
        events: Vec<UsageEvent>,
        progress: Vec<FileProgress>,
    ) -> Result<Receipt, LedgerClosed> {
        let (reply, receipt) = oneshot::channel();
        let input = LedgerInput::Usage {
            events,
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

    /// Sums over every stored request, including every write queued before this call.
    pub(crate) async fn totals(&self) -> Result<StoredTotals, String> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send(LedgerInput::Totals(tx))
            .await
            .map_err(|_| LedgerClosed.to_string())?;
        rx.await.map_err(|_| LedgerClosed.to_string())?
    }
}

/// What the store held at start-up that sources need.
#[derive(Debug, Default)]
pub(crate) struct LedgerStartup {
    /// How far each transcript file was read.
    pub(crate) file_progress: HashMap<String, FileProgress>,
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
    let store = Store::open(&data_dir.join(STORE_FILE))?;
    let recent = store.entries_since(preload_since_ms)?;
    let by_model = store.totals_by_model()?;
    let official = store.latest_official()?;
    let startup = LedgerStartup {
        file_progress: store.file_progress()?,
    };
    let (queue_tx, queue_rx) = mpsc::channel(QUEUE_CAPACITY);
    let thread = std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || {
            let preload = std::iter::once(EngineInput::Stored { recent, by_model })
                .chain(official.into_iter().map(EngineInput::Official));
            for input in preload {
                if engine.blocking_send(input).is_err() {
                    return;
                }
            }
            write_loop(store, queue_rx, &engine);
        })
        .map_err(StoreError::Thread)?;
    Ok((
        LedgerHandle { queue: queue_tx },
        startup,
        LedgerThread(thread),
    ))
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
    let store = Store::open(&data_dir.join(STORE_FILE))?;
    Ok((
        store.totals()?,
        store.latest_official()?,
        store.file_progress()?,
    ))
}

/// Everything drained from the queue for one transaction.
#[derive(Default)]
struct Batch {
    events: Vec<UsageEvent>,
    progress: Vec<FileProgress>,
    samples: Vec<OfficialSample>,
    replies: Vec<CommitReply>,
    totals_waiters: Vec<oneshot::Sender<Result<StoredTotals, String>>>,
}

impl Batch {
    fn add(&mut self, input: LedgerInput) {
        match input {
            LedgerInput::Usage {
                events,
                progress,
                reply,
            } => {
                self.events.extend(events);
                self.progress.extend(progress);
                self.replies.push(reply);
            }
            LedgerInput::Official { samples, reply } => {
                self.samples.extend(samples);
                self.replies.push(reply);
            }
            // Answered after this batch commits, so the totals include it.
            LedgerInput::Totals(reply) => self.totals_waiters.push(reply),
        }
    }
}

fn write_loop(mut store: Store, mut queue: mpsc::Receiver<LedgerInput>, engine: &EngineSender) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = Batch::default();
        batch.add(first);
        for _ in 1..MAX_BATCH {
            match queue.try_recv() {
                Ok(input) => batch.add(input),
                Err(_) => break,
            }
        }
        // Forward before the commit: the gauge need not wait for the disk (see `write_batch`).
        let mut is_engine_gone = false;
        let samples = &batch.samples;
        let forward = |changed: &[UsageEvent]| {
            let usage = (!changed.is_empty()).then(|| EngineInput::Usage(changed.to_vec()));
            let official = samples.iter().copied().map(EngineInput::Official);
            for input in usage.into_iter().chain(official) {
                is_engine_gone |= engine.blocking_send(input).is_err();
            }
        };
        let outcome = store
            .write_batch(&batch.events, &batch.progress, samples, forward)
            .map(|_| ())
            .map_err(|err| err.to_string());
        if let Err(err) = &outcome {
            // Not stored, and neither are the file offsets that covered it, so the next start
            // reads those lines again. Say so, without contents.
            tracing::error!("ledger write failed: {err}");
        }
        for reply in batch.replies {
            // A writer that did not wait is no error.
            let _ = reply.send(outcome.clone());
        }
        for reply in batch.totals_waiters {
            let _ = reply.send(store.totals().map_err(|e| e.to_string()));
        }
        if is_engine_gone {
            return;
        }
    }
}
