//! The motor task: owns the stepping timeline. Runs on the high-priority interrupt executor so
//! Wi-Fi and HTTP work never delay a step.
//!
//! The [`Cluster`] lives in [`CLUSTER`], a critical-section mutex shared with the lamp task
//! (which only reads lamp outputs and sets brightness). Frames arrive through [`LATEST_FRAME`]:
//! a `Signal` keeps only the newest, which is what a gauge should show.

use core::cell::RefCell;

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant, Timer};
use gauge_core::{Cluster, Frame, Gauge};

use crate::motors::Motors;

/// The cluster, once main has built it.
pub(crate) static CLUSTER: Mutex<CriticalSectionRawMutex, RefCell<Option<Cluster>>> =
    Mutex::new(RefCell::new(None));

/// The newest decoded frame from any link (Wi-Fi or USB serial).
pub(crate) static LATEST_FRAME: Signal<CriticalSectionRawMutex, Frame> = Signal::new();

/// The longest the task sleeps with nothing due, so idle coils are still released on time.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Microseconds since boot: the one clock every gauge-core call gets.
pub(crate) fn now_us() -> u64 {
    Instant::now().as_micros()
}

/// Runs `f` on the cluster; `None` before main has installed it.
pub(crate) fn with_cluster<R>(f: impl FnOnce(&mut Cluster) -> R) -> Option<R> {
    CLUSTER.lock(|cell| cell.borrow_mut().as_mut().map(f))
}

/// Steps the needles at their deadlines and takes frames as they come. Never returns.
#[embassy_executor::task]
pub(crate) async fn motor_task(mut motors: Motors) {
    loop {
        let now = now_us();
        let steps = with_cluster(|cluster| cluster.poll(now)).unwrap_or([None; 3]);
        for (gauge, step) in Gauge::ALL.into_iter().zip(steps) {
            if let Some(step) = step {
                motors.step(gauge, step, now);
            }
        }
        motors.service(now);

        let latest = Instant::now() + MAX_SLEEP;
        let wake = with_cluster(|cluster| cluster.next_deadline())
            .flatten()
            .map_or(latest, |at_us| Instant::from_micros(at_us).min(latest));
        if let Either::Second(frame) = select(Timer::at(wake), LATEST_FRAME.wait()).await {
            let now = now_us();
            with_cluster(|cluster| cluster.feed_frame(&frame, now));
        }
    }
}
