//! Needle motion: one motor's step generator, fed `now_us`, giving at most one [`Step`] per poll.
//!
//! Sits between the dials (which turn frame values into goals) and the drivers (which turn steps
//! into pin levels). The model is SwitecX25's (clearwater/SwitecX25 `SwitecX25.cpp`, HEAD
//! 45a336e, BSD-2; see `docs/gauge-core.md`) with four changes: the needle never passes its
//! target (it brakes to the remaining distance instead), velocity stops counting once the table
//! is at top speed (so reversals coast half as far), every delay is at least the configured
//! minimum, and goals are deadbanded and glided.

use crate::accel::AccelTable;
use crate::glide::Glide;
use crate::time::{has_elapsed, later};

/// One step of a needle: a partial step (1/3°) in direct drive, a microstep (1/12°) on a VID6606.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Clockwise, away from the stop: the position grows.
    Up,
    /// Counter-clockwise, toward the stop: the position shrinks.
    Down,
}

impl Step {
    /// +1 for [`Step::Up`], −1 for [`Step::Down`].
    pub const fn delta(self) -> i32 {
        match self {
            Step::Up => 1,
            Step::Down => -1,
        }
    }
}

/// How one needle moves. `Copy + Default`; the default is an X27.168 in direct drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MotionConfig {
    accel_table: AccelTable,
    range_steps: u16,
    min_step_interval_us: u32,
    deadband_steps: u16,
    glide_us: u32,
    homing_step_interval_us: u32,
    homing_overtravel_steps: u16,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig::x27_direct()
    }
}

impl MotionConfig {
    /// An X27.168 driven directly: 945 partial steps, SwitecX25's table, 600 µs minimum,
    /// homing at 800 µs/step (≈417°/s, SwitecX25's `zero()` rate) with 15° of overtravel.
    pub const fn x27_direct() -> MotionConfig {
        MotionConfig {
            accel_table: AccelTable::SWITEC_X25,
            range_steps: 945,
            min_step_interval_us: 600,
            deadband_steps: 1,
            glide_us: 1_000_000,
            homing_step_interval_us: 800,
            homing_overtravel_steps: 45,
        }
    }

    /// An X27.168 behind a VID6606 / AX1201728SG: 3780 microsteps, [`AccelTable::VID6606`],
    /// 150 µs minimum (≈556°/s), homing at 200 µs/µstep with 15° of overtravel.
    pub const fn vid6606() -> MotionConfig {
        MotionConfig {
            accel_table: AccelTable::VID6606,
            range_steps: 3780,
            min_step_interval_us: 150,
            deadband_steps: 4,
            glide_us: 1_000_000,
            homing_step_interval_us: 200,
            homing_overtravel_steps: 180,
        }
    }

    /// Uses `table` for acceleration and deceleration.
    #[must_use]
    pub const fn with_accel_table(mut self, table: AccelTable) -> Self {
        self.accel_table = table;
        self
    }

    /// Sets the travel, stop to stop: positions are `0..range_steps` (at least 2).
    #[must_use]
    pub const fn with_range_steps(mut self, range_steps: u16) -> Self {
        self.range_steps = if range_steps < 2 { 2 } else { range_steps };
        self
    }

    /// Never steps faster than this, whatever the table says.
    #[must_use]
    pub const fn with_min_step_interval_us(mut self, min_step_interval_us: u32) -> Self {
        self.min_step_interval_us = min_step_interval_us;
        self
    }

    /// Ignores a new goal within this many steps of the current one (stops hunting).
    #[must_use]
    pub const fn with_deadband_steps(mut self, deadband_steps: u16) -> Self {
        self.deadband_steps = deadband_steps;
        self
    }

    /// Glides the target to each new goal over this time (0 = jump).
    #[must_use]
    pub const fn with_glide_us(mut self, glide_us: u32) -> Self {
        self.glide_us = glide_us;
        self
    }

    /// Homing runs up to this speed into the stop.
    #[must_use]
    pub const fn with_homing_step_interval_us(mut self, homing_step_interval_us: u32) -> Self {
        self.homing_step_interval_us = homing_step_interval_us;
        self
    }

    /// Homing drives this many steps past the full range.
    #[must_use]
    pub const fn with_homing_overtravel_steps(mut self, homing_overtravel_steps: u16) -> Self {
        self.homing_overtravel_steps = homing_overtravel_steps;
        self
    }

    /// The acceleration table.
    pub const fn accel_table(&self) -> &AccelTable {
        &self.accel_table
    }

    /// The travel, stop to stop, in steps.
    pub const fn range_steps(&self) -> u16 {
        self.range_steps
    }

    /// The shortest time between two steps, µs.
    pub const fn min_step_interval_us(&self) -> u32 {
        self.min_step_interval_us
    }

    /// Goals closer than this to the current goal are ignored.
    pub const fn deadband_steps(&self) -> u16 {
        self.deadband_steps
    }

    /// How long the target takes to glide to a new goal, µs.
    pub const fn glide_us(&self) -> u32 {
        self.glide_us
    }

    /// Homing's top speed, as µs per step.
    pub const fn homing_step_interval_us(&self) -> u32 {
        self.homing_step_interval_us
    }

    /// Homing's overtravel past the full range, steps.
    pub const fn homing_overtravel_steps(&self) -> u16 {
        self.homing_overtravel_steps
    }

    /// The highest position: `range_steps - 1`.
    pub const fn max_position_steps(&self) -> u16 {
        self.range_steps - 1
    }

    /// Total steps a homing run emits: the whole range plus the overtravel.
    pub const fn homing_steps(&self) -> u32 {
        self.range_steps as u32 + self.homing_overtravel_steps as u32
    }

    fn delay_us(&self, vel: u16) -> u32 {
        let table = self.accel_table.delay_us(vel);
        if table > self.min_step_interval_us {
            table
        } else {
            self.min_step_interval_us
        }
    }
}

/// One needle's motion state: position, velocity, glide and timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeedleMotion {
    config: MotionConfig,
    position: i32,
    target: i32,
    glide: Glide,
    vel: u16,
    heading: Option<Step>,
    last_step_us: Option<u64>,
    delay_us: u32,
    seek_steps_left: u32,
    last_seen_us: u64,
}

impl NeedleMotion {
    /// A needle at rest at position 0 (as after homing), nothing stepped yet.
    pub const fn new(config: MotionConfig) -> NeedleMotion {
        NeedleMotion {
            config,
            position: 0,
            target: 0,
            glide: Glide::hold(0),
            vel: 0,
            heading: None,
            last_step_us: None,
            delay_us: 0,
            seek_steps_left: 0,
            last_seen_us: 0,
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &MotionConfig {
        &self.config
    }

    /// Sets a new goal, glided and deadbanded; clamped into the range. Returns whether it was
    /// taken (a goal within the deadband of the current one, the same goal included, is
    /// ignored).
    pub fn set_target(&mut self, goal_steps: i32, now_us: u64) -> bool {
        let goal = self.clamp(goal_steps);
        let deadband = i32::from(self.config.deadband_steps);
        // The same goal again (a frame re-sent by a heartbeat or a poll) must not restart the
        // glide: restarted every 250 ms, a glide that rounds toward its start never arrives,
        // and the needle stopped a few steps short.
        if (goal - self.glide.goal()).abs() <= deadband {
            return false;
        }
        let from = self.glide.at(now_us);
        self.glide = Glide::new(from, goal, now_us, self.config.glide_us);
        self.touch(now_us);
        true
    }

    /// Sets a new goal at once: no glide, no deadband (boot sweep, tests).
    pub fn move_to(&mut self, goal_steps: i32, now_us: u64) {
        self.glide = Glide::hold(self.clamp(goal_steps));
        self.touch(now_us);
    }

    /// Starts homing: declares the position unknown (taken as the top), then drives down the
    /// whole range plus the overtravel, accelerating to the homing speed, and sets 0 at the stop.
    pub fn start_homing(&mut self, now_us: u64) {
        self.position = i32::from(self.config.max_position_steps());
        self.vel = 0;
        self.heading = None;
        self.seek_steps_left = self.config.homing_steps();
        self.glide = Glide::hold(0);
        self.touch(now_us);
    }

    fn touch(&mut self, now_us: u64) {
        self.last_seen_us = now_us;
        if self.seek_steps_left == 0 {
            self.target = self.glide.at(now_us);
        }
    }

    fn clamp(&self, steps: i32) -> i32 {
        steps.clamp(0, i32::from(self.config.max_position_steps()))
    }

    /// Takes the step that is due at `now_us`, if any. At most one step per call; the next one
    /// is never due sooner than the minimum interval after this call.
    pub fn poll(&mut self, now_us: u64) -> Option<Step> {
        self.last_seen_us = now_us;
        if self.seek_steps_left > 0 {
            return self.poll_seek(now_us);
        }
        self.target = self.glide.at(now_us);
        if self.vel == 0 && self.position == self.target {
            return None;
        }
        if !self.is_step_due(now_us) {
            return None;
        }
        Some(self.advance(now_us))
    }

    fn is_step_due(&self, now_us: u64) -> bool {
        self.last_step_us
            .is_none_or(|last| has_elapsed(now_us, last, u64::from(self.delay_us)))
    }

    /// SwitecX25's `advance()` with the no-overshoot brake, the velocity cap and the range wall.
    fn advance(&mut self, now_us: u64) -> Step {
        let step = match self.heading {
            Some(heading) if self.vel > 0 => heading,
            _ if self.target > self.position => Step::Up,
            _ => Step::Down,
        };
        let vel = self.vel.max(1);
        self.position = self.clamp(self.position + step.delta());
        let max = i32::from(self.config.max_position_steps());
        let remaining = (self.target - self.position) * step.delta();
        let room = if step == Step::Up {
            max - self.position
        } else {
            self.position
        };
        self.vel = if remaining > 0 {
            if remaining < i32::from(vel) {
                // Brake to the remaining distance: SwitecX25 would `vel -= 1` and overshoot
                // when the target moved closer (or by one step on some distances).
                remaining as u16
            } else if vel < self.config.accel_table.saturation_vel() {
                vel + 1
            } else {
                vel
            }
        } else if remaining == 0 {
            0
        } else {
            // The target is behind: decelerate, then turn; never into the range's end.
            (vel - 1).min(room.max(0) as u16)
        };
        self.heading = if self.vel > 0 { Some(step) } else { None };
        self.delay_us = self.config.delay_us(self.vel);
        self.last_step_us = Some(now_us);
        step
    }

    fn poll_seek(&mut self, now_us: u64) -> Option<Step> {
        if !self.is_step_due(now_us) {
            return None;
        }
        self.seek_steps_left -= 1;
        self.position = (self.position - 1).max(0);
        self.vel = (self.vel + 1).min(self.config.accel_table.saturation_vel());
        self.delay_us = self
            .config
            .delay_us(self.vel)
            .max(self.config.homing_step_interval_us);
        self.last_step_us = Some(now_us);
        if self.seek_steps_left == 0 {
            // Against the stop: this is zero. The first step out starts from rest.
            self.position = 0;
            self.target = 0;
            self.vel = 0;
            self.delay_us = self.config.delay_us(0);
        }
        Some(Step::Down)
    }

    /// When [`NeedleMotion::poll`] next has something to do; `None` while at rest with nothing
    /// pending. A deadline in the past means "now".
    pub fn next_deadline(&self) -> Option<u64> {
        let step_due = self
            .last_step_us
            .map(|last| last.wrapping_add(u64::from(self.delay_us)));
        if self.seek_steps_left > 0 || self.vel > 0 {
            return Some(step_due.unwrap_or(self.last_seen_us));
        }
        let move_at = if self.position == self.target {
            self.glide.leaves_at(self.position)?
        } else {
            self.last_seen_us
        };
        Some(step_due.map_or(move_at, |due| later(due, move_at)))
    }

    /// Polls at every deadline up to and including `now_us`, in order, calling `on_step` with
    /// each step and its time: the result does not depend on how often this is called.
    pub fn run_until(&mut self, now_us: u64, mut on_step: impl FnMut(Step, u64)) {
        while let Some(due) = self.next_deadline() {
            let at = later(due, self.last_seen_us);
            if later(at, now_us) != now_us {
                break;
            }
            match self.poll(at) {
                Some(step) => on_step(step, at),
                None => break,
            }
        }
    }

    /// The position, steps above the stop.
    pub fn position_steps(&self) -> u16 {
        // Always clamped into 0..range_steps, which fits u16.
        self.position as u16
    }

    /// The target the needle is chasing now (the glide's current point).
    pub fn target_steps(&self) -> u16 {
        self.target as u16
    }

    /// The goal the glide ends at.
    pub fn goal_steps(&self) -> u16 {
        self.glide.goal() as u16
    }

    /// Steps travelled under acceleration (SwitecX25's `vel`); 0 at rest.
    pub const fn velocity(&self) -> u16 {
        self.vel
    }

    /// Whether a homing run is under way.
    pub const fn is_homing(&self) -> bool {
        self.seek_steps_left > 0
    }

    /// Whether the needle stands at its goal with nothing left to do.
    pub fn is_at_rest(&self) -> bool {
        self.seek_steps_left == 0 && self.vel == 0 && self.position == self.glide.goal()
    }
}

#[cfg(test)]
mod tests;
