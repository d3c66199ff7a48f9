//! The cluster: frames and time in, steps and lamp states out, for all three gauges.
//!
//! The last stop of the flow before the pins: a decoded [`Frame`] becomes three needle goals
//! (through the dials; an unknown fuel parks below E) and a lit set (through the lamp panel);
//! the link watchdog replaces both with "rest at zero, STALL" when frames stop.

use crate::dial::{fuel_scale_bp, DialCalibration, TachScale};
use crate::frame::{decode_frame, DecodeError, Frame, Lamp, Lamps};
use crate::gauge::Gauge;
use crate::lamps::{LampConfig, LampOutput, LampPanel, LampPattern, ModelLampOutput};
use crate::model_lamps::{ModelLamps, MODEL_LAMP_COUNT};
use crate::motion::{MotionConfig, Step};
use crate::needle::{BootPhase, Needle};
use crate::time::later;
use crate::watchdog::LinkWatchdog;

/// How far an X27.168 turns from stop to stop, degrees: a motion's `range_steps` cover it, so a
/// step is 1/3° in direct drive and 1/12° on a VID6606.
const MOTOR_TRAVEL_DEG: f32 = 315.0;

/// Everything a cluster needs. `Copy + Default` (three direct-drive X27s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    motion: [MotionConfig; 3],
    dials: [DialCalibration; 3],
    tach: TachScale,
    lamps: LampConfig,
    model_lamps: ModelLamps,
    link_timeout_us: u32,
    is_boot_sweep: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            motion: [MotionConfig::x27_direct(); 3],
            dials: [DialCalibration::x27_direct(); 3],
            tach: TachScale::default(),
            lamps: LampConfig::default(),
            model_lamps: ModelLamps::default(),
            link_timeout_us: 5_000_000,
            is_boot_sweep: true,
        }
    }
}

impl ClusterConfig {
    /// Three X27s behind a VID6606 (microsteps).
    pub fn vid6606() -> ClusterConfig {
        ClusterConfig {
            motion: [MotionConfig::vid6606(); 3],
            dials: [DialCalibration::vid6606(); 3],
            ..ClusterConfig::default()
        }
    }

    /// Sets one gauge's motion.
    #[must_use]
    pub const fn with_motion(mut self, gauge: Gauge, motion: MotionConfig) -> Self {
        self.motion[gauge.index()] = motion;
        self
    }

    /// Sets one gauge's dial calibration.
    #[must_use]
    pub const fn with_dial(mut self, gauge: Gauge, dial: DialCalibration) -> Self {
        self.dials[gauge.index()] = dial;
        self
    }

    /// Sets the tachometer's scale. The default matches [`DialFace::TACH`](crate::DialFace::TACH); a printed face for
    /// another scale needs its own figures.
    #[must_use]
    pub const fn with_tach_scale(mut self, tach: TachScale) -> Self {
        self.tach = tach;
        self
    }

    /// Sets lamp timing and brightness.
    #[must_use]
    pub const fn with_lamps(mut self, lamps: LampConfig) -> Self {
        self.lamps = lamps;
        self
    }

    /// Sets which model families light which of the three model lamps.
    #[must_use]
    pub const fn with_model_lamps(mut self, model_lamps: ModelLamps) -> Self {
        self.model_lamps = model_lamps;
        self
    }

    /// No frame for this long lights STALL and rests the needles.
    #[must_use]
    pub const fn with_link_timeout_us(mut self, link_timeout_us: u32) -> Self {
        self.link_timeout_us = link_timeout_us;
        self
    }

    /// Whether the needles sweep to full scale and back after homing.
    #[must_use]
    pub const fn with_boot_sweep(mut self, is_boot_sweep: bool) -> Self {
        self.is_boot_sweep = is_boot_sweep;
        self
    }

    /// One gauge's motion.
    pub const fn motion(&self, gauge: Gauge) -> &MotionConfig {
        &self.motion[gauge.index()]
    }

    /// One gauge's dial.
    pub const fn dial(&self, gauge: Gauge) -> &DialCalibration {
        &self.dials[gauge.index()]
    }

    /// The tachometer's scale.
    pub const fn tach_scale(&self) -> &TachScale {
        &self.tach
    }

    /// Lamp timing and brightness.
    pub const fn lamps(&self) -> &LampConfig {
        &self.lamps
    }

    /// Which model families light which model lamp.
    pub const fn model_lamps(&self) -> &ModelLamps {
        &self.model_lamps
    }

    /// Where each needle goes for `frame`, steps above the stop, in [`Gauge::ALL`] order: fuel
    /// and tach through their dials; an unknown fuel, or one of a window Claude does not have
    /// for the account ([`crate::GaugeSource::None`]), parked below E
    /// ([`DialCalibration::reading_steps`], [`Frame::shown_fuel`]).
    pub fn goal_steps(&self, frame: &Frame) -> [i32; 3] {
        let bp = [
            fuel_scale_bp(frame.shown_fuel(Gauge::Fuel5h)),
            Some(self.tach.scale_bp(frame.tach)),
            fuel_scale_bp(frame.shown_fuel(Gauge::Fuel7d)),
        ];
        Gauge::ALL.map(|gauge| self.dial(gauge).reading_steps(bp[gauge.index()]))
    }

    /// Where one gauge's needle points at `position_steps` (steps above the stop; fractions
    /// allowed, for marks on the dial face): degrees clockwise from 12 o'clock, the dial's scale
    /// centred on 12 o'clock. The simulator, the terminal view and the web page all draw this.
    pub fn needle_angle_deg(&self, gauge: Gauge, position_steps: f32) -> f32 {
        let dial = self.dial(gauge);
        let centre_steps =
            f32::from(dial.zero_offset_steps()) + f32::from(dial.full_scale_steps()) / 2.0;
        // For whole and half steps only the division rounds, so the default dial's ends are
        // exactly -135° and 135°. The range is at least 2 steps (`MotionConfig`).
        (position_steps - centre_steps) * MOTOR_TRAVEL_DEG
            / f32::from(self.motion(gauge).range_steps())
    }
}

/// Three needles, the lamp row and the link watchdog, on one timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cluster {
    config: ClusterConfig,
    needles: [Needle; 3],
    lamps: LampPanel,
    watchdog: LinkWatchdog,
    frame: Option<Frame>,
    is_stalled: bool,
    last_us: u64,
    /// Needles held at a position for calibration (`SetupEffect::Point`), ignoring frames.
    pointed: [Option<u16>; 3],
}

impl Cluster {
    /// Boots at `now_us`: lamp test, homing of all three needles, then the sweep if enabled.
    pub fn new(config: ClusterConfig, now_us: u64) -> Cluster {
        let needles = Gauge::ALL.map(|gauge| {
            let dial = config.dials[gauge.index()];
            let rest = dial.position_steps(0);
            let top = config.is_boot_sweep.then(|| dial.position_steps(u16::MAX));
            Needle::boot(config.motion[gauge.index()], rest, top, now_us)
        });
        Cluster {
            config,
            needles,
            lamps: LampPanel::new(config.lamps, now_us),
            watchdog: LinkWatchdog::new(config.link_timeout_us, now_us),
            frame: None,
            is_stalled: false,
            last_us: now_us,
            pointed: [None; 3],
        }
    }

    /// Takes new dials (a calibration changed at `now_us`): the needles move to the current
    /// readings on the new dials.
    pub fn set_dials(&mut self, dials: [DialCalibration; 3], now_us: u64) {
        for gauge in Gauge::ALL {
            self.config = self.config.with_dial(gauge, dials[gauge.index()]);
        }
        self.apply(now_us);
    }

    /// Holds `gauge`'s needle at `position_steps` above its stop whatever the frames say
    /// (calibration), or lets it follow them again (`None`).
    pub fn point_needle(&mut self, gauge: Gauge, position_steps: Option<u16>, now_us: u64) {
        self.pointed[gauge.index()] = position_steps;
        self.apply(now_us);
    }

    /// Takes a decoded frame received at `now_us` (values are clamped again here).
    pub fn feed_frame(&mut self, frame: &Frame, now_us: u64) {
        self.last_us = now_us;
        self.frame = Some(frame.clamped());
        self.watchdog.feed(now_us);
        self.is_stalled = false;
        self.apply(now_us);
    }

    /// Decodes and takes one frame; a bad one is returned as an error and changes nothing
    /// (it does not feed the watchdog).
    pub fn feed_bytes(&mut self, bytes: &[u8], now_us: u64) -> Result<(), DecodeError> {
        let frame = decode_frame(bytes)?;
        self.feed_frame(&frame, now_us);
        Ok(())
    }

    fn apply(&mut self, now_us: u64) {
        let (goals, lamps) = match self.frame {
            Some(frame) if !self.is_stalled => (self.config.goal_steps(&frame), frame.lamps),
            // No link: every needle rests at its zero (not parked: the values are not unknown,
            // only stale) and STALL alone is lit.
            _ => (
                self.config.dials.map(|dial| dial.position_steps(0)),
                Lamps::NONE.with(Lamp::Stall),
            ),
        };
        for ((needle, goal), pointed) in self.needles.iter_mut().zip(goals).zip(self.pointed) {
            let goal = pointed.map_or(goal, i32::from);
            needle.set_goal(goal, now_us);
        }
        self.lamps.set_lit(lamps, now_us);
    }

    fn check_watchdog(&mut self, now_us: u64) {
        if !self.is_stalled && self.watchdog.is_stalled(now_us) {
            self.is_stalled = true;
            self.apply(now_us);
        }
    }

    /// Runs everything due at `now_us`: at most one step per gauge (firmware timer style).
    pub fn poll(&mut self, now_us: u64) -> [Option<Step>; 3] {
        self.last_us = now_us;
        self.check_watchdog(now_us);
        let mut steps = [None; 3];
        for (step, needle) in steps.iter_mut().zip(self.needles.iter_mut()) {
            *step = needle.poll(now_us);
        }
        steps
    }

    /// Runs every event up to `now_us` at its own deadline, in time order, calling
    /// `on_step(gauge, step, at_us)`: the result does not depend on how often this is called
    /// (simulator and web page style). Call it before feeding a frame that arrived at `now_us`.
    pub fn advance_to(&mut self, now_us: u64, mut on_step: impl FnMut(Gauge, Step, u64)) {
        while let Some((at, gauge)) = self.next_event() {
            let at = later(at, self.last_us);
            if later(at, now_us) != now_us {
                break;
            }
            self.last_us = at;
            match gauge {
                None => self.check_watchdog(at),
                Some(gauge) => {
                    let before = self.needles[gauge.index()].next_deadline();
                    match self.needles[gauge.index()].poll(at) {
                        Some(step) => on_step(gauge, step, at),
                        // No progress would loop forever; cannot happen (see motion docs).
                        None if self.needles[gauge.index()].next_deadline() == before => break,
                        None => {}
                    }
                }
            }
        }
        self.last_us = later(self.last_us, now_us);
    }

    /// The earliest event: a needle deadline (`Some(gauge)`) or the watchdog (`None`).
    fn next_event(&self) -> Option<(u64, Option<Gauge>)> {
        let mut best: Option<(u64, Option<Gauge>)> = None;
        let watchdog = (!self.is_stalled).then(|| (self.watchdog.stalls_at(), None));
        let needles = Gauge::ALL.into_iter().filter_map(|g| {
            self.needles[g.index()]
                .next_deadline()
                .map(|at| (at, Some(g)))
        });
        for (at, event) in watchdog.into_iter().chain(needles) {
            // Strictly earlier wins, so ties go to the watchdog, then gauge order.
            if best.is_none_or(|(best_at, _)| later(at, best_at) != at) {
                best = Some((at, event));
            }
        }
        best
    }

    /// The earliest time anything is due (a step or the watchdog), for the firmware's timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.next_event().map(|(at, _)| at)
    }

    /// What every lamp shows at `now_us`, in [`Lamp::ALL`] order.
    pub fn lamp_outputs(&self, now_us: u64) -> [LampOutput; Lamp::COUNT] {
        self.lamps.outputs(now_us)
    }

    /// Which model lamp (0..3) the last frame's family lights ([`ModelLamps`]); `None` with no
    /// family, a family on no lamp, before the first frame and while stalled.
    pub fn model_lamp(&self) -> Option<usize> {
        let family = self.frame.filter(|_| !self.is_stalled)?.model?;
        self.config.model_lamps.lamp_of(family)
    }

    /// Each model lamp's state at `now_us`: lit for the frame's family, and showing its model
    /// caution (WARN_OPUS, WARN_SONNET on the lamp of their family) while that is lit, which
    /// wins. During the lamp test every one burns.
    pub fn model_lamp_outputs(&self, now_us: u64) -> [ModelLampOutput; MODEL_LAMP_COUNT] {
        let lamps = self.lamp_outputs(now_us);
        let in_use = self.model_lamp();
        core::array::from_fn(|index| {
            let caution = lamps.iter().find(|output| {
                output.pattern != LampPattern::Off
                    && self.config.model_lamps.lamp_of_caution(output.lamp) == Some(index)
            });
            match caution {
                Some(output) => ModelLampOutput {
                    pattern: output.pattern,
                    is_on: output.is_on,
                    level_pct: output.level_pct,
                    caution: Some(output.lamp),
                },
                None => {
                    let is_on = in_use == Some(index) || self.lamps.is_lamp_test(now_us);
                    ModelLampOutput {
                        pattern: if is_on {
                            LampPattern::Steady
                        } else {
                            LampPattern::Off
                        },
                        is_on,
                        level_pct: if is_on {
                            self.lamps.brightness_pct()
                        } else {
                            0
                        },
                        caution: None,
                    }
                }
            }
        })
    }

    /// The lamp panel (patterns, master caution).
    pub const fn lamps(&self) -> &LampPanel {
        &self.lamps
    }

    /// Acknowledges the master caution: flashing lamps burn steady.
    pub fn acknowledge(&mut self) {
        self.lamps.acknowledge();
    }

    /// Sets lamp brightness for night dimming, percent.
    pub fn set_brightness_pct(&mut self, brightness_pct: u8) {
        self.lamps.set_brightness_pct(brightness_pct);
    }

    /// Each needle's position, steps above its stop, in [`Gauge::ALL`] order.
    pub fn needle_positions(&self) -> [u16; 3] {
        self.needles.map(|n| n.motion().position_steps())
    }

    /// Each needle's goal, steps above its stop.
    pub fn needle_goals(&self) -> [u16; 3] {
        self.needles.map(|n| n.motion().goal_steps())
    }

    /// Each needle's boot phase.
    pub fn boot_phases(&self) -> [BootPhase; 3] {
        self.needles.map(|n| n.phase())
    }

    /// Whether every needle has found its stop.
    pub fn is_homed(&self) -> bool {
        self.needles.iter().all(|n| n.phase() != BootPhase::Homing)
    }

    /// Whether the link watchdog has fired (STALL lit, needles resting).
    pub const fn is_stalled(&self) -> bool {
        self.is_stalled
    }

    /// The last frame taken, if any.
    pub const fn frame(&self) -> Option<&Frame> {
        self.frame.as_ref()
    }

    /// Where the tach's redline zone starts, steps above the stop (it runs to full scale).
    pub fn redline_position_steps(&self) -> i32 {
        let bp = self.config.tach.redline_scale_bp();
        self.config.dials[Gauge::Tach.index()].position_steps(bp)
    }

    /// The configuration.
    pub const fn config(&self) -> &ClusterConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests;
