//! SwitecX25 side by side with our motion.
//!
//! `SwitecX25` below re-implements `advance()`, `update()` and `setPosition()` of
//! clearwater/SwitecX25 at 45a336e (BSD-2), not copied:
//! <https://github.com/clearwater/SwitecX25/blob/45a336e/SwitecX25.cpp>. With a fixed target
//! both emit the same steps at the same times unless SwitecX25 overshoots, and ours never
//! overshoots.

use gauge_core::{AccelTable, NeedleMotion, Step};

use crate::util::{plain, run_to_rest};

struct SwitecX25 {
    current_step: i32,
    target_step: i32,
    steps: i32,
    vel: u16,
    dir: i32,
    is_stopped: bool,
    time0_us: u64,
    micro_delay_us: u32,
    table: AccelTable,
}

impl SwitecX25 {
    fn new(steps: i32) -> SwitecX25 {
        SwitecX25 {
            current_step: 0,
            target_step: 0,
            steps,
            vel: 0,
            dir: 0,
            is_stopped: true,
            time0_us: 0,
            micro_delay_us: 0,
            table: AccelTable::SWITEC_X25,
        }
    }

    fn set_position(&mut self, pos: i32, now_us: u64) {
        self.target_step = pos.min(self.steps - 1);
        if self.is_stopped {
            self.is_stopped = false;
            self.time0_us = now_us;
            self.micro_delay_us = 0;
        }
    }

    fn update(&mut self, now_us: u64) -> Option<i32> {
        if !self.is_stopped && now_us - self.time0_us >= u64::from(self.micro_delay_us) {
            self.advance(now_us)
        } else {
            None
        }
    }

    fn advance(&mut self, now_us: u64) -> Option<i32> {
        if self.current_step == self.target_step && self.vel == 0 {
            self.is_stopped = true;
            self.dir = 0;
            self.time0_us = now_us;
            return None;
        }
        if self.vel == 0 {
            self.dir = if self.current_step < self.target_step {
                1
            } else {
                -1
            };
            self.vel = 1;
        }
        self.current_step = (self.current_step + self.dir).clamp(0, self.steps - 1);
        let delta = if self.dir > 0 {
            self.target_step - self.current_step
        } else {
            self.current_step - self.target_step
        };
        if delta > 0 {
            if delta < i32::from(self.vel) {
                self.vel -= 1;
            } else if self.vel < self.table.max_vel() {
                self.vel += 1;
            }
        } else {
            self.vel -= 1;
        }
        self.micro_delay_us = self.table.delay_us(self.vel);
        self.time0_us = now_us;
        Some(self.dir)
    }

    /// Event-driven run until stopped: (time, dir, position after) per step.
    fn run(&mut self, max_steps: usize) -> Vec<(u64, i32, i32)> {
        let mut log = Vec::new();
        while !self.is_stopped && log.len() < max_steps {
            let now = self.time0_us + u64::from(self.micro_delay_us);
            if let Some(dir) = self.update(now) {
                log.push((now, dir, self.current_step));
            }
        }
        log
    }
}

fn ours_from(start: i32, target: i32) -> Vec<(u64, i32, i32)> {
    let mut motion = NeedleMotion::new(plain());
    motion.move_to(start, 0);
    run_to_rest(&mut motion, 0, 10_000);
    motion.move_to(target, 10_000_000);
    run_to_rest(&mut motion, 10_000_000, 10_000)
        .into_iter()
        .map(|(t, s, p)| (t, s.delta(), i32::from(p)))
        .collect()
}

fn switec_from(start: i32, target: i32) -> Vec<(u64, i32, i32)> {
    let mut switec = SwitecX25::new(945);
    switec.set_position(start, 0);
    switec.run(10_000);
    switec.set_position(target, 10_000_000);
    switec.run(10_000)
}

fn overshoots(start: i32, target: i32, log: &[(u64, i32, i32)]) -> bool {
    log.iter()
        .any(|&(_, _, p)| (p - target) * (target - start).signum() > 0)
}

#[test]
fn fixed_targets_match_switec_unless_it_overshoots() {
    let mut matched = 0;
    let mut switec_overshoots = 0;
    for (start, target) in (1..945).map(|t| (0, t)).chain((0..944).map(|t| (944, t))) {
        let ours = ours_from(start, target);
        let theirs = switec_from(start, target);
        assert!(!overshoots(start, target, &ours), "{start} -> {target}");
        assert_eq!(
            ours.len() as i32,
            (target - start).abs(),
            "{start} -> {target}"
        );
        assert_eq!(ours.last().map(|s| s.2), Some(target));
        if overshoots(start, target, &theirs) {
            switec_overshoots += 1;
            // Up to the point where SwitecX25 starts its last deceleration, we agree.
            let common = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
            assert!(
                common >= ours.len() / 2,
                "{start} -> {target}: only {common} agree"
            );
        } else {
            assert_eq!(ours, theirs, "{start} -> {target}");
            matched += 1;
        }
    }
    // The comparison has teeth on both sides (SwitecX25 overshoots on 0->2, 0->10 and 0->500).
    assert!(matched > 500, "{matched}");
    assert!(switec_overshoots > 100, "{switec_overshoots}");
    assert!(overshoots(0, 2, &switec_from(0, 2)));
}

/// Retarget mid-move to a point ahead but inside the stopping distance.
fn retarget(first: i32, after_steps: usize, second: i32) -> (Vec<i32>, Vec<i32>) {
    let mut motion = NeedleMotion::new(plain());
    motion.move_to(first, 0);
    let head = run_to_rest(&mut motion, 0, after_steps);
    let at = head.last().map_or(0, |s| s.0) + 1;
    motion.move_to(second, at);
    let tail = run_to_rest(&mut motion, at, 10_000);
    let ours = head.iter().chain(&tail).map(|s| i32::from(s.2)).collect();

    let mut switec = SwitecX25::new(945);
    switec.set_position(first, 0);
    let head = switec.run(after_steps);
    switec.set_position(second, at);
    let tail = switec.run(10_000);
    let theirs = head.iter().chain(&tail).map(|s| s.2).collect();
    (ours, theirs)
}

#[test]
fn retarget_ahead_never_overshoots_where_switec_does() {
    let mut switec_worst = 0;
    for after_steps in [40, 100, 200, 300, 400] {
        for lead in [1, 5, 10, 50] {
            let (ours, theirs) = retarget(900, after_steps, after_steps as i32 + lead);
            let goal = after_steps as i32 + lead;
            assert!(ours.iter().all(|&p| p <= goal), "{after_steps} + {lead}");
            assert_eq!(ours.last(), Some(&goal));
            switec_worst = switec_worst.max(theirs.iter().max().unwrap() - goal);
        }
    }
    // At full speed SwitecX25 coasts up to `vel` (300) steps past: it sheds one unit of `vel`
    // per step.
    assert!(switec_worst > 100, "{switec_worst}");
}

#[test]
fn our_first_step_and_timing_equal_switec_on_a_long_sweep() {
    let ours = ours_from(0, 900);
    let theirs = switec_from(0, 900);
    assert_eq!(ours[..300], theirs[..300]);
    assert_eq!(ours.first().map(|s| s.1), Some(Step::Up.delta()));
}
