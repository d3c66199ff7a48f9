use super::*;

fn run(motion: &mut NeedleMotion, from_us: u64, limit: usize) -> ([(u64, Step); 2048], usize) {
    let mut steps = [(0, Step::Up); 2048];
    let mut n = 0;
    let mut now = from_us;
    while let Some(due) = motion.next_deadline() {
        now = later(now, due);
        if let Some(step) = motion.poll(now) {
            steps[n] = (now, step);
            n += 1;
        }
        if n == limit {
            break;
        }
    }
    (steps, n)
}

fn plain() -> MotionConfig {
    MotionConfig::default()
        .with_glide_us(0)
        .with_deadband_steps(0)
}

#[test]
fn a_short_move_follows_the_table_and_stops_on_target() {
    let mut m = NeedleMotion::new(plain());
    m.move_to(3, 0);
    let (steps, n) = run(&mut m, 0, 100);
    assert_eq!(n, 3);
    assert_eq!(
        steps[..3],
        [(0, Step::Up), (3000, Step::Up), (6000, Step::Up)]
    );
    assert_eq!(m.position_steps(), 3);
    assert!(m.is_at_rest());
    assert_eq!(m.next_deadline(), None);
}

#[test]
fn homing_drives_past_the_range_and_zeroes() {
    let mut m = NeedleMotion::new(plain());
    m.start_homing(0);
    let (steps, n) = run(&mut m, 0, 2048);
    assert_eq!(n, 945 + 45);
    assert!(steps[..n].iter().all(|(_, s)| *s == Step::Down));
    assert!(steps[..n].windows(2).all(|w| w[1].0 - w[0].0 >= 800));
    assert_eq!(m.position_steps(), 0);
    assert!(!m.is_homing());
}

#[test]
fn deadband_ignores_small_changes() {
    let mut m = NeedleMotion::new(MotionConfig::default().with_deadband_steps(2));
    assert!(m.set_target(100, 0));
    assert!(!m.set_target(102, 10));
    assert!(m.set_target(103, 20));
    assert_eq!(m.goal_steps(), 103);
    assert!(m.set_target(5_000, 30));
    assert_eq!(m.goal_steps(), 944);
    assert!(!m.set_target(944, 40), "the same goal again is ignored");
}

/// `sim --url` and `watch` poll the daemon every 250 ms and feed every answer: re-sending the
/// same goal restarted the glide each time, and the needle stopped 3 steps short of 485.
#[test]
fn the_same_goal_resent_faster_than_the_glide_still_arrives() {
    for resend_us in [20_000, 250_000, 990_000] {
        let mut m = NeedleMotion::new(MotionConfig::default());
        let mut now = 0;
        while now < 6_000_000 {
            m.run_until(now, |_, _| {});
            m.set_target(485, now);
            now += resend_us;
        }
        m.run_until(now, |_, _| {});
        assert_eq!(m.position_steps(), 485, "re-sent every {resend_us} µs");
        assert!(m.is_at_rest());
    }
}
