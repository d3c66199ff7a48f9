//! The engine: owns the live state (recent usage, official samples, source health), turns it into
//! frames and publishes each changed frame on a watch channel.
//!
//! Flow: the ledger (stored requests and samples) and the sources (everything else, through
//! `sources::Out`) send [`EngineInput`]s in; transports read frames out of the [`FrameFeed`].
//! The frame itself is computed by the pure [`EngineState::next_frame`] (`state/frame.rs`),
//! from the state (`state.rs`) and source health (`state/health.rs`). Totals by model go out on
//! a second feed, [`TotalsFeed`], for `/metrics`; source statuses on the [`HealthBoard`]; the
//! limits report on the [`LimitsFeed`], for `/limits`. Asked on [`SummaryRequests`], it answers
//! with the [`StartupSummary`] (what each gauge shows, and from where) once every input queued
//! before the question is applied.
//!
//! Must never: do I/O beyond its channels, or read the clock outside [`Engine::run`].

mod report;
mod settings;
mod state;
mod totals;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gauge_core::Frame;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

pub use report::{LimitsReport, ScopedReport};
pub use settings::{FrameSettings, LampThresholds, TokenLimits};
pub(crate) use state::{EngineState, SourceStatus};
pub use state::{FuelSummary, LimitOrigin, StartupSummary, TachSummary, Unknown};
pub(crate) use totals::TotalsByModel;

use crate::clock::unix_now_ms;
use crate::readings::{EngineInput, EngineSender};

/// The published frames: the latest one, and a change notification.
pub(crate) type FrameFeed = watch::Receiver<Frame>;

/// The sources' statuses, refreshed with every evaluation, for `/stats`.
pub(crate) type HealthBoard = Arc<Mutex<Vec<SourceStatus>>>;

/// The published usage totals by model, for `/metrics`.
pub(crate) type TotalsFeed = watch::Receiver<TotalsByModel>;
/// The published limits report (official readings, calibration, OAuth state), for `/limits`.
pub(crate) type LimitsFeed = watch::Receiver<LimitsReport>;
/// Where to ask for the [`StartupSummary`]: send a reply channel.
pub(crate) type SummaryRequests = mpsc::Sender<oneshot::Sender<StartupSummary>>;

/// Whether `input` changes the limits report at once (official readings, learned rates, a limit,
/// the OAuth poller's state); requests alone change it only through the limit in use, which the
/// next tick picks up.
fn changes_limits(input: &EngineInput) -> bool {
    match input {
        EngineInput::Official(_)
        | EngineInput::Learned(_)
        | EngineInput::LimitReached { .. }
        | EngineInput::Scoped(_)
        | EngineInput::Extra(_) => true,
        EngineInput::Health(kind, _) | EngineInput::Configured(kind) => {
            *kind == crate::readings::SourceKind::Oauth
        }
        EngineInput::Together(inputs) => inputs.iter().any(changes_limits),
        _ => false,
    }
}

/// Room in the input queue before sources wait.
const INPUT_CAPACITY: usize = 1024;

/// What [`Engine::start`] hands out.
pub(crate) struct EngineParts {
    /// The engine, to be run as a task.
    pub engine: Engine,
    /// Where inputs go.
    pub sender: EngineSender,
    /// The published frames.
    pub frames: FrameFeed,
    /// The sources' statuses.
    pub health: HealthBoard,
    /// The totals by model.
    pub totals: TotalsFeed,
    /// The limits report; it changes whenever an input arrives.
    pub limits: LimitsFeed,
    /// Where to ask for the startup summary.
    pub summaries: SummaryRequests,
}

/// The running engine's ends.
pub(crate) struct Engine {
    state: EngineState,
    inputs: mpsc::Receiver<EngineInput>,
    frames: watch::Sender<Frame>,
    health: HealthBoard,
    totals: watch::Sender<TotalsByModel>,
    limits: watch::Sender<LimitsReport>,
    /// When the limits report was last computed, unix ms.
    limits_at_ms: i64,
    summaries: mpsc::Receiver<oneshot::Sender<StartupSummary>>,
    /// How often time-dependent readings are re-evaluated (tach decay, STALL, IDLE).
    tick: Duration,
}

impl Engine {
    /// A new engine and its ends. The first frame is built at once.
    pub(crate) fn start(settings: FrameSettings) -> EngineParts {
        let (input_tx, input_rx) = mpsc::channel(INPUT_CAPACITY);
        let state = EngineState::new(settings);
        let now_ms = unix_now_ms();
        let first = state.next_frame(now_ms, None);
        let (frame_tx, frame_rx) = watch::channel(first);
        let health = Arc::new(Mutex::new(state.source_statuses(now_ms)));
        let (totals_tx, totals_rx) = watch::channel(TotalsByModel::default());
        let (limits_tx, limits_rx) = watch::channel(LimitsReport::of(&state, now_ms));
        let (summary_tx, summary_rx) = mpsc::channel(1);
        EngineParts {
            engine: Engine {
                state,
                inputs: input_rx,
                frames: frame_tx,
                health: health.clone(),
                totals: totals_tx,
                limits: limits_tx,
                limits_at_ms: now_ms,
                summaries: summary_rx,
                tick: settings.tick,
            },
            sender: input_tx,
            frames: frame_rx,
            health,
            totals: totals_rx,
            limits: limits_rx,
            summaries: summary_tx,
        }
    }

    /// Applies inputs and publishes changed frames until `shutdown` fires or every sender is gone.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                input = self.inputs.recv() => match input {
                    Some(input) => {
                        self.apply(input);
                        self.apply_queued();
                    }
                    None => break,
                },
                // A closed request channel only disables this branch.
                Some(reply) = self.summaries.recv() => {
                    // What was sent before the question is part of the answer.
                    self.apply_queued();
                    // The asker may have gone; then nobody needs the answer.
                    let _ = reply.send(self.state.summary(unix_now_ms()));
                }
                _ = tick.tick() => {}
            }
            self.publish();
        }
    }

    /// Applies what is already queued, so a burst makes one frame, not many.
    fn apply_queued(&mut self) {
        while let Ok(more) = self.inputs.try_recv() {
            self.apply(more);
        }
    }

    /// Applies one input; one that changes what `/limits` shows asks for a fresh report.
    fn apply(&mut self, input: EngineInput) {
        if changes_limits(&input) {
            self.limits_at_ms = i64::MIN;
        }
        self.state.apply(input, unix_now_ms());
    }

    fn publish(&mut self) {
        let now_ms = unix_now_ms();
        let previous = *self.frames.borrow();
        let next = self.state.next_frame(now_ms, Some(&previous));
        let statuses = self.state.source_statuses(now_ms);
        // A poisoned board only means a reader panicked; the data is plain and still valid.
        *self
            .health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = statuses;
        if next.seq != previous.seq {
            // send_replace never fails, even with no receiver.
            self.frames.send_replace(next);
        }
        // The report changes with inputs and with time (a limit that lifts). It walks the recent
        // index, so it is made at most once per tick: a burst of inputs (the first scan) is not
        // slowed by it, and `/limits` is at most half a second behind.
        if now_ms.saturating_sub(self.limits_at_ms)
            >= i64::try_from(self.tick.as_millis()).unwrap_or(i64::MAX)
        {
            self.limits_at_ms = now_ms;
            let report = LimitsReport::of(&self.state, now_ms);
            self.limits.send_if_modified(|old| {
                let is_changed = *old != report;
                if is_changed {
                    *old = report;
                }
                is_changed
            });
        }
        let totals = self.state.totals();
        self.totals.send_if_modified(|old| {
            let is_changed = old != totals;
            if is_changed {
                old.clone_from(totals);
            }
            is_changed
        });
    }
}
