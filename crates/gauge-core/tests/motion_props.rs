//! Property tests of [`NeedleMotion`]: targets reached, intervals respected, range kept,
//! reversals decelerated, homing long enough, time wrap-around harmless, motors independent.

use gauge_core::{MicrosExtender, MotionConfig, NeedleMotion, Step};
use proptest::prelude::*;

use crate::util::{plain, run_to_rest};

/// A config drawn from the interesting space: either preset, any range, glide and deadband.
fn any_config() -> impl Strategy<Value = MotionConfig> {
    (
        any::<bool>(),
        2u16..4000,
        0u32..2_000_000,
        0u16..4,
        0u32..1000,
    )
        .prop_map(|(is_vid, range, glide, deadband, min)| {
            let base = if is_vid {
                MotionConfig::vid6606()
            } else {
                MotionConfig::x27_direct()
            };
            base.with_range_steps(range)
                .with_glide_us(glide)
                .with_deadband_steps(deadband)
                .with_min_step_interval_us(min)
        })
}

/// Goals set at increasing times (gaps in µs), some inside moves.
fn any_goals() -> impl Strategy<Value = Vec<(u64, i32)>> {
    proptest::collection::vec((0u64..400_000, -100i32..4100), 1..12)
}

/// Runs goals then polls at random extra times, checking every step; returns the step log.
fn drive(
    config: MotionConfig,
    start_us: u64,
    goals: &[(u64, i32)],
    extra_polls: &[u64],
) -> (NeedleMotion, Vec<(u64, Step)>) {
    let mut motion = NeedleMotion::new(config);
    let mut log = Vec::new();
    let mut now = start_us;
    let mut polls = extra_polls.iter().copied().cycle();
    for &(gap, goal) in goals {
        let until = now.wrapping_add(gap);
        // Poll at the deadlines and at arbitrary times in between.
        while let Some(next) = motion.next_deadline() {
            let jitter = polls.next().unwrap_or(0) % 2_000;
            let at = if (next.wrapping_sub(now) as i64) > 0 {
                next
            } else {
                now
            };
            let at = at.wrapping_add(jitter);
            if (until.wrapping_sub(at) as i64) < 0 {
                break;
            }
            now = at;
            let step = motion.poll(now);
            if let Some(step) = step {
                log.push((now, step));
            }
            assert!(motion.position_steps() < config.range_steps());
            assert!(
                step.is_some() || motion.next_deadline() != Some(next),
                "no progress"
            );
        }
        now = until;
        motion.set_target(goal, now);
    }
    let tail = run_to_rest(&mut motion, now, 100_000);
    log.extend(tail.iter().map(|&(t, s, _)| (t, s)));
    (motion, log)
}

fn min_interval(config: &MotionConfig) -> u64 {
    u64::from(
        config
            .min_step_interval_us()
            .max(config.accel_table().min_delay_us()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_goal_is_reached_and_the_needle_stops(
        config in any_config(), goals in any_goals(), polls in proptest::collection::vec(any::<u64>(), 1..8)
    ) {
        let (motion, _) = drive(config, 0, &goals, &polls);
        let last = goals.last().unwrap().1.clamp(0, i32::from(config.max_position_steps()));
        prop_assert!(motion.is_at_rest());
        prop_assert_eq!(motion.next_deadline(), None);
        prop_assert_eq!(motion.position_steps(), motion.goal_steps());
        prop_assert!((i32::from(motion.goal_steps()) - last).abs() <= i32::from(config.deadband_steps()));
    }

    #[test]
    fn steps_are_never_closer_than_the_minimum_and_stay_in_range(
        config in any_config(), goals in any_goals(), start in any::<u64>(),
        polls in proptest::collection::vec(any::<u64>(), 1..8)
    ) {
        let (_, log) = drive(config, start, &goals, &polls);
        let mut position = 0i32;
        for pair in log.windows(2) {
            prop_assert!(pair[1].0.wrapping_sub(pair[0].0) >= min_interval(&config));
        }
        for (_, step) in &log {
            position += step.delta();
            prop_assert!((0..i32::from(config.range_steps())).contains(&position));
        }
    }

    #[test]
    fn reversal_decelerates_before_turning(first in 300i32..944, after in 10usize..290, back in 0i32..10) {
        let mut motion = NeedleMotion::new(plain());
        motion.move_to(first, 0);
        let head = run_to_rest(&mut motion, 0, after);
        let at = head.last().unwrap().0 + 1;
        let behind = i32::from(motion.position_steps()) - 1 - back;
        motion.move_to(behind, at);
        let tail = run_to_rest(&mut motion, at, 10_000);
        let turn = tail.iter().position(|s| s.1 == Step::Down).unwrap();
        let forward: Vec<u64> = tail[..turn].iter().map(|s| s.0).collect();
        // Old-direction steps after the retarget slow down monotonically...
        for w in forward.windows(3) {
            prop_assert!(w[2] - w[1] >= w[1] - w[0]);
        }
        // ...and the turn happens at start speed.
        let last_forward = forward.last().copied().unwrap_or(head.last().unwrap().0);
        prop_assert!(tail[turn].0 - last_forward >= u64::from(AccelStart::delay()));
        prop_assert_eq!(i32::from(motion.position_steps()), behind);
    }

    #[test]
    fn homing_travels_at_least_the_full_range(config in any_config(), start in any::<u64>(), from in 0i32..4000) {
        let mut motion = NeedleMotion::new(config);
        motion.move_to(from, start);
        run_to_rest(&mut motion, start, 10_000);
        let at = start.wrapping_add(10_000_000);
        motion.start_homing(at);
        let log = run_to_rest(&mut motion, at, 100_000);
        prop_assert!(log.len() >= usize::from(config.range_steps()));
        prop_assert_eq!(log.len() as u32, config.homing_steps());
        prop_assert!(log.iter().all(|s| s.1 == Step::Down));
        let floor = u64::from(config.homing_step_interval_us()).max(min_interval(&config));
        prop_assert!(log.windows(2).all(|w| w[1].0.wrapping_sub(w[0].0) >= floor));
        prop_assert_eq!(motion.position_steps(), 0);
    }

    #[test]
    fn u64_wrap_around_changes_nothing(goals in any_goals(), offset in 0u64..10_000_000) {
        let config = MotionConfig::default();
        let (_, from_zero) = drive(config, 0, &goals, &[0]);
        let start = u64::MAX - offset;
        let (_, wrapped) = drive(config, start, &goals, &[0]);
        let shifted: Vec<_> = wrapped.iter().map(|&(t, s)| (t.wrapping_sub(start), s)).collect();
        prop_assert_eq!(from_zero, shifted);
    }

    #[test]
    fn u32_wrap_around_through_the_extender(target in 1i32..944, offset in 0u32..2_000_000, tick in 1u32..200) {
        // A 32-bit clock read every `tick` µs, started at 0 and started just before its wrap.
        let run = |start_low: u32| {
            let mut ext = MicrosExtender::new();
            let base = ext.extend(start_low);
            let mut motion = NeedleMotion::new(MotionConfig::default());
            motion.set_target(target, base);
            let mut log = Vec::new();
            let mut low = start_low;
            while !motion.is_at_rest() {
                let now = ext.extend(low);
                if let Some(step) = motion.poll(now) {
                    log.push((now - base, step));
                }
                low = low.wrapping_add(tick);
            }
            log
        };
        prop_assert_eq!(run(0), run(u32::MAX - offset));
    }

    #[test]
    fn three_motors_interleave_on_one_timeline(goals in proptest::collection::vec(any_goals(), 3)) {
        let alone: Vec<_> = goals.iter().map(|g| drive(MotionConfig::default(), 0, g, &[0]).1).collect();
        // The same goal lists, all three motors polled from one loop at the earliest deadline.
        let mut motors = [NeedleMotion::new(MotionConfig::default()); 3];
        let mut logs: [Vec<(u64, Step)>; 3] = Default::default();
        let mut pending: Vec<(u64, usize, i32)> = Vec::new();
        for (m, list) in goals.iter().enumerate() {
            let mut t = 0;
            for &(gap, goal) in list {
                t += gap;
                pending.push((t, m, goal));
            }
        }
        pending.sort();
        let mut now = 0u64;
        loop {
            let step_at = motors.iter().filter_map(|m| m.next_deadline()).map(|d| d.max(now)).min();
            let goal_at = pending.first().map(|p| p.0);
            match (step_at, goal_at) {
                (None, None) => break,
                (Some(s), g) if g.is_none_or(|g| s < g) => {
                    now = s;
                    for (m, motor) in motors.iter_mut().enumerate() {
                        if let Some(step) = motor.poll(now) {
                            logs[m].push((now, step));
                        }
                    }
                }
                _ => {
                    let (t, m, goal) = pending.remove(0);
                    now = t;
                    motors[m].set_target(goal, t);
                }
            }
        }
        prop_assert_eq!(&alone[..], &logs[..]);
    }
}

/// The default table's start delay, for the reversal property.
struct AccelStart;

impl AccelStart {
    fn delay() -> u32 {
        plain().accel_table().start_delay_us()
    }
}
