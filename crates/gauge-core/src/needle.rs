//! One gauge's needle: its motion plus the boot sequence (home, optional sweep) and the goal
//! that waits for the sequence to finish.

use crate::motion::{MotionConfig, NeedleMotion, Step};

/// Where a needle is in its boot sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BootPhase {
    /// Driving down past the full range into the stop.
    Homing,
    /// Boot sweep: up to full scale.
    SweepUp,
    /// Boot sweep: back to the dial zero.
    SweepDown,
    /// Following frames.
    Ready,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Needle {
    motion: NeedleMotion,
    phase: BootPhase,
    goal_steps: i32,
    rest_steps: i32,
    sweep_top_steps: Option<i32>,
}

impl Needle {
    /// Starts homing at `now_us`; afterwards sweeps to `sweep_top_steps` (if any) and back to
    /// `rest_steps`, then follows goals.
    pub(crate) fn boot(
        config: MotionConfig,
        rest_steps: i32,
        sweep_top_steps: Option<i32>,
        now_us: u64,
    ) -> Needle {
        let mut motion = NeedleMotion::new(config);
        motion.start_homing(now_us);
        Needle {
            motion,
            phase: BootPhase::Homing,
            goal_steps: rest_steps,
            rest_steps,
            sweep_top_steps,
        }
    }

    pub(crate) fn set_goal(&mut self, goal_steps: i32, now_us: u64) {
        self.goal_steps = goal_steps;
        if self.phase == BootPhase::Ready {
            self.motion.set_target(goal_steps, now_us);
        }
    }

    pub(crate) fn poll(&mut self, now_us: u64) -> Option<Step> {
        let step = self.motion.poll(now_us);
        match self.phase {
            BootPhase::Homing if !self.motion.is_homing() => match self.sweep_top_steps {
                Some(top) => {
                    self.motion.move_to(top, now_us);
                    self.phase = BootPhase::SweepUp;
                }
                None => self.finish_boot(now_us),
            },
            BootPhase::SweepUp if self.motion.is_at_rest() => {
                self.motion.move_to(self.rest_steps, now_us);
                self.phase = BootPhase::SweepDown;
            }
            BootPhase::SweepDown if self.motion.is_at_rest() => self.finish_boot(now_us),
            _ => {}
        }
        step
    }

    fn finish_boot(&mut self, now_us: u64) {
        self.motion.move_to(self.rest_steps, now_us);
        self.phase = BootPhase::Ready;
        self.motion.set_target(self.goal_steps, now_us);
    }

    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.motion.next_deadline()
    }

    pub(crate) const fn motion(&self) -> &NeedleMotion {
        &self.motion
    }

    pub(crate) const fn phase(&self) -> BootPhase {
        self.phase
    }
}
