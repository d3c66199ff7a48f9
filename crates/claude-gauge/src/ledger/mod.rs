//! The ledger: the one way usage reaches the engine. Sources hand it requests and official
//! samples; it deduplicates them across sources, keeps them durable in [`store`], and forwards
//! what changed to the engine.
//!
//! Ownership: one writer thread owns the SQLite connection (rusqlite is synchronous). Sources
//! hold cloneable [`LedgerHandle`]s and send over a channel; the thread drains whatever is queued
//! into one transaction, then forwards the requests that were new or replaced an earlier copy.
//! Shutdown: when the last handle is dropped the channel closes, the thread commits what it has
//! and exits; [`LedgerThread::join`] waits for that.

mod store;

use std::collections::HashMap;
use std::path::Path;

use tokio::sync::{mpsc, oneshot};

use store::Store;
pub(crate) use store::{FileProgress, StoreError, Totals};

use crate::engine::{EngineInput, EngineSender};
use crate::limits::RECENT_SPAN_MS;
use crate::usage::{OfficialSample, UsageEvent};

/// The store's file name inside the data directory.
pub(crate) const STORE_FILE: &str = "claude-gauge.sqlite3";
/// Room in the ledger's queue before sources wait.
const QUEUE_CAPACITY: usize = 256;

/// The ledger has shut down; the daemon is stopping.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the ledger has shut down")]
pub(crate) struct LedgerClosed;

enum LedgerInput {
    Usage {
        events: Vec<UsageEvent>,
        progress: Vec<FileProgress>,
    },
    Official(OfficialSample),
    Totals(oneshot::Sender<Result<Totals, String>>),
}

/// A cheap, cloneable handle that sources write through.
#[derive(Clone, Debug)]
pub(crate) struct LedgerHandle {
    queue: mpsc::Sender<LedgerInput>,
    engine: EngineSender,
}

impl std::fmt::Debug for LedgerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerInput")
    }
}

impl LedgerHandle {
    /// Records requests. A request already on record under the same dedup key is replaced only
    /// when the new copy wins ([`UsageEvent::beats`]), so one request counts once whichever
    /// source reports it, in whatever order.
    #[allow(dead_code)] // The OTLP source's way in; it lands on its own branch.
    pub(crate) async fn record_usage(&self, events: Vec<UsageEvent>) -> Result<(), LedgerClosed> {
        if events.is_empty() {
            return Ok(());
        }
        self.send(LedgerInput::Usage {
            events,
            progress: Vec::new(),
        })
        .await
    }

    /// Records requests read from transcript files together with how far those files were read,
    /// in one transaction. Blocking: for a source that runs on its own thread.
    pub(crate) fn blocking_record_files(
        &self,
        events: Vec<UsageEvent>,
        progress: Vec<FileProgress>,
    ) -> Result<(), LedgerClosed> {
        self.queue
            .blocking_send(LedgerInput::Usage { events, progress })
            .map_err(|_| LedgerClosed)
    }

    /// [`LedgerHandle::notify`] for a source that runs on its own thread.
    pub(crate) fn blocking_notify(&self, input: EngineInput) -> Result<(), LedgerClosed> {
        self.engine.blocking_send(input).map_err(|_| LedgerClosed)
    }

    /// Records one official sample.
    pub(crate) async fn record_official(&self, sample: OfficialSample) -> Result<(), LedgerClosed> {
        self.send(LedgerInput::Official(sample)).await
    }

    /// Passes a non-durable input (health, model, limit) straight to the engine.
    pub(crate) async fn notify(&self, input: EngineInput) -> Result<(), LedgerClosed> {
        self.engine.send(input).await.map_err(|_| LedgerClosed)
    }

    /// Sums over every stored request.
    pub(crate) async fn totals(&self) -> Result<Totals, String> {
        let (tx, rx) = oneshot::channel();
        self.send(LedgerInput::Totals(tx))
            .await
            .map_err(|e| e.to_string())?;
        rx.await.map_err(|_| LedgerClosed.to_string())?
    }

    async fn send(&self, input: LedgerInput) -> Result<(), LedgerClosed> {
        self.queue.send(input).await.map_err(|_| LedgerClosed)
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

/// Opens the store in `data_dir`, loads the recent window into the engine, and starts the writer.
pub(crate) fn open(
    data_dir: &Path,
    engine: EngineSender,
) -> Result<(LedgerHandle, LedgerStartup, LedgerThread), StoreError> {
    let store = Store::open(&data_dir.join(STORE_FILE))?;
    let now_ms = crate::engine::unix_now_ms();
    let recent = store.entries_since(now_ms - RECENT_SPAN_MS)?;
    let official = store.latest_official()?;
    let startup = LedgerStartup {
        file_progress: store.file_progress()?,
    };
    let (queue_tx, queue_rx) = mpsc::channel(QUEUE_CAPACITY);
    let writer_engine = engine.clone();
    let thread = std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || {
            let preload = std::iter::once(EngineInput::Usage(recent))
                .chain(official.into_iter().map(EngineInput::Official));
            for input in preload {
                if writer_engine.blocking_send(input).is_err() {
                    return;
                }
            }
            write_loop(store, queue_rx, &writer_engine);
        })
        .map_err(|source| StoreError::Sqlite {
            path: data_dir.display().to_string(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(source)),
        })?;
    Ok((
        LedgerHandle {
            queue: queue_tx,
            engine,
        },
        startup,
        LedgerThread(thread),
    ))
}

/// The most inputs folded into one transaction.
const MAX_BATCH: usize = 512;

fn write_loop(mut store: Store, mut queue: mpsc::Receiver<LedgerInput>, engine: &EngineSender) {
    while let Some(first) = queue.blocking_recv() {
        let mut events = Vec::new();
        let mut progress = Vec::new();
        let mut samples = Vec::new();
        let mut waiters = Vec::new();
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(input) = next.take() {
            match input {
                LedgerInput::Usage {
                    events: e,
                    progress: p,
                } => {
                    events.extend(e);
                    progress.extend(p);
                }
                LedgerInput::Official(sample) => samples.push(sample),
                // Answered after this batch commits, so the totals include it.
                LedgerInput::Totals(reply) => waiters.push(reply),
            }
            taken += 1;
            if taken < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        // Forward before the commit: the gauge need not wait for the disk (see `write_batch`).
        let mut is_engine_gone = false;
        let forward = |changed: &[UsageEvent]| {
            let usage = (!changed.is_empty()).then(|| EngineInput::Usage(changed.to_vec()));
            let official = samples.iter().copied().map(EngineInput::Official);
            for input in usage.into_iter().chain(official) {
                is_engine_gone |= engine.blocking_send(input).is_err();
            }
        };
        if let Err(err) = store.write_batch(&events, &progress, &samples, forward) {
            // Not stored, and neither are the file offsets that covered it, so the next start
            // reads those lines again. Say so, without contents.
            tracing::error!("ledger write failed: {err}");
        }
        if is_engine_gone {
            return;
        }
        for reply in waiters {
            // A caller that gave up is no error.
            let _ = reply.send(store.totals().map_err(|e| e.to_string()));
        }
    }
}
