//! The firmware's paths, run on the host the way `firmware/` runs them: the motor task's
//! `poll`-at-deadline loop driving real gauge-core drivers on fake pins, the USB-serial line
//! framing, link loss, the boot homing + lamp test, and night dimming. The firmware holds only
//! the glue around these calls.

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use embedded_hal::digital::{ErrorType, OutputPin};
use embedded_hal_mock::eh1::delay::NoopDelay;
use gauge_core::{
    decode_frame, encode_frame, BootPhase, Cluster, ClusterConfig, DimmerConfig, DirectDrive,
    Frame, FuelSource, Gauge, Lamp, LampPattern, Lamps, LineBuffer, LinePush, NightDimmer, Step,
    StepDir, FRAME_MAX_LEN, PARTIAL_STEP_STATES,
};

const S: u64 = 1_000_000;

/// A pin that records its level and its rising edges.
#[derive(Clone, Default)]
struct FakePin(Rc<RefCell<(bool, u32)>>);

impl FakePin {
    fn is_high(&self) -> bool {
        self.0.borrow().0
    }
    fn rises(&self) -> u32 {
        self.0.borrow().1
    }
}

impl ErrorType for FakePin {
    type Error = Infallible;
}

impl OutputPin for FakePin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.0.borrow_mut().0 = false;
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        let mut state = self.0.borrow_mut();
        if !state.0 {
            state.1 += 1;
        }
        state.0 = true;
        Ok(())
    }
}

/// The motor task's loop (`firmware/src/cluster_task.rs`): poll at `now`, apply each step,
/// sleep until the next deadline (at most 100 ms), until `until_us`.
fn motor_loop(
    cluster: &mut Cluster,
    from_us: u64,
    until_us: u64,
    mut apply: impl FnMut(Gauge, Step, u64),
) {
    let mut now = from_us;
    while now < until_us {
        let steps = cluster.poll(now);
        for (gauge, step) in Gauge::ALL.into_iter().zip(steps) {
            if let Some(step) = step {
                apply(gauge, step, now);
            }
        }
        let latest = now + 100_000;
        now = cluster
            .next_deadline()
            .map_or(latest, |at| at.clamp(now, latest));
    }
}

fn frame(fuel_5h: f32, tach: u32, fuel_7d: f32, lamps: Lamps) -> Frame {
    Frame {
        fuel_5h: Some(fuel_5h),
        fuel_7d: Some(fuel_7d),
        tach,
        source: FuelSource::Official,
        lamps,
        ..Frame::default()
    }
}

/// The serial task's framing (`firmware/src/serial.rs`): bytes in, decoded frames out.
fn serial_frames(lines: &mut LineBuffer<FRAME_MAX_LEN>, bytes: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    for &byte in bytes {
        if lines.push(byte) == LinePush::Line {
            if let Ok(frame) = decode_frame(lines.line()) {
                frames.push(frame);
            }
        }
    }
    frames
}

#[test]
fn direct_drive_homes_into_the_stop_then_follows_a_frame() {
    let pins: [[FakePin; 4]; 3] = Default::default();
    let mut drives = pins.clone().map(DirectDrive::new);
    for drive in &mut drives {
        drive.energise().unwrap();
    }
    let mut cluster = Cluster::new(ClusterConfig::default().with_boot_sweep(false), 0);
    let mut log: [Vec<Step>; 3] = Default::default();
    motor_loop(&mut cluster, 0, 2 * S, |gauge, step, now| {
        drives[gauge.index()].step(step, now).unwrap();
        log[gauge.index()].push(step);
    });
    // Homing: 945 partial steps of range + 45 of overtravel, all down, into the stop.
    for steps in &log {
        assert!(steps.len() >= 990);
        assert!(steps[..990].iter().all(|&s| s == Step::Down));
    }
    assert!(cluster.is_homed());
    assert_eq!(cluster.boot_phases(), [BootPhase::Ready; 3]);
    let rest = cluster.needle_positions();

    cluster.feed_frame(&frame(0.5, 0, 1.0, Lamps::NONE), 2 * S);
    motor_loop(&mut cluster, 2 * S, 6 * S, |gauge, step, now| {
        drives[gauge.index()].step(step, now).unwrap();
        log[gauge.index()].push(step);
    });
    assert_eq!(cluster.needle_positions(), [rest[0] + 405, rest[1], 825]);
    // The coils sit on the state the net step count says: the pins follow the motion.
    for (gauge, drive) in drives.iter().enumerate() {
        let net: i64 = log[gauge].iter().map(|s| i64::from(s.delta())).sum();
        let state = usize::try_from(net.rem_euclid(6)).unwrap();
        assert_eq!(usize::from(drive.state_index()), state);
        let levels: u8 = (0..4)
            .map(|bit| u8::from(pins[gauge][bit].is_high()) << bit)
            .sum();
        assert_eq!(levels, PARTIAL_STEP_STATES[state]);
    }
}

#[test]
fn vid6606_edges_match_the_needle_positions() {
    let step_pins: [FakePin; 3] = Default::default();
    let dir_pins: [FakePin; 3] = Default::default();
    let mut channels: Vec<_> = (0..3)
        .map(|i| StepDir::new(step_pins[i].clone(), dir_pins[i].clone(), NoopDelay::new()))
        .collect();
    let mut cluster = Cluster::new(ClusterConfig::vid6606(), 0);
    cluster.feed_frame(&frame(0.25, 20_000, 0.75, Lamps::NONE), 0);
    let (mut ups, mut downs) = ([0i64; 3], [0i64; 3]);
    let mut homing_downs = [0i64; 3];
    motor_loop(&mut cluster, 0, 8 * S, |gauge, step, _| {
        let i = gauge.index();
        channels[i].step(step).unwrap();
        match step {
            Step::Up => ups[i] += 1,
            Step::Down if ups[i] == 0 => homing_downs[i] += 1,
            Step::Down => downs[i] += 1,
        }
    });
    assert_eq!(cluster.boot_phases(), [BootPhase::Ready; 3]);
    for i in 0..3 {
        // One STEP edge per microstep; homing ran 3780 + 180 µsteps down into the stop.
        assert_eq!(
            i64::from(step_pins[i].rises()),
            ups[i] + downs[i] + homing_downs[i]
        );
        assert_eq!(homing_downs[i], 3960);
        assert_eq!(ups[i] - downs[i], i64::from(cluster.needle_positions()[i]));
        assert_eq!(cluster.needle_positions()[i], cluster.needle_goals()[i]);
    }
}

#[test]
fn serial_frames_arrive_in_chunks_and_bad_lines_are_skipped() {
    let sent = frame(0.42, 3_000, 0.9, Lamps::NONE.with(Lamp::Hot));
    let mut buf = [0u8; FRAME_MAX_LEN];
    let len = encode_frame(&sent, &mut buf).unwrap();
    let mut stream = b"{garbage\r\n".to_vec();
    stream.extend(std::iter::repeat_n(b'x', FRAME_MAX_LEN + 10));
    stream.push(b'\n');
    stream.extend_from_slice(&buf[..len]);
    stream.extend_from_slice(b"\r\n");

    let mut lines = LineBuffer::<FRAME_MAX_LEN>::new();
    let mut frames = Vec::new();
    for chunk in stream.chunks(7) {
        frames.extend(serial_frames(&mut lines, chunk));
    }
    assert_eq!(frames.len(), 1);
    assert_eq!(lines.dropped_lines(), 1);
    assert!(frames[0].shows_same_as(&sent));

    let mut cluster = Cluster::new(ClusterConfig::default(), 0);
    cluster.feed_frame(&frames[0], S);
    assert!(cluster.lamps().lit().is_lit(Lamp::Hot));
}

#[test]
fn boot_lamp_test_then_stall_when_the_link_drops_and_recovery() {
    let config = ClusterConfig::default().with_boot_sweep(false);
    let mut cluster = Cluster::new(config, 0);
    // Lamp test: every lamp on for the first 2 s, whatever the frame says.
    assert!(cluster.lamp_outputs(0).iter().all(|o| o.is_on));
    assert!(cluster.lamp_outputs(S).iter().all(|o| o.is_on));
    cluster.feed_frame(&frame(0.6, 1_000, 0.6, Lamps::NONE), S);
    motor_loop(&mut cluster, S, 4 * S, |_, _, _| {});
    assert!(cluster.lamp_outputs(4 * S).iter().all(|o| !o.is_on));
    let showing = cluster.needle_positions();
    assert!(showing[0] > 15);

    // The link drops: no frame for 5 s lights STALL (flashing) and rests the needles.
    motor_loop(&mut cluster, 4 * S, 9 * S, |_, _, _| {});
    assert!(cluster.is_stalled());
    let stall = cluster.lamp_outputs(9 * S)[Lamp::Stall as usize];
    assert_eq!(stall.pattern, LampPattern::FastFlash);
    assert_eq!(cluster.needle_positions(), [15; 3]);

    // The link comes back.
    cluster.feed_frame(&frame(0.6, 1_000, 0.6, Lamps::NONE), 9 * S);
    motor_loop(&mut cluster, 9 * S, 12 * S, |_, _, _| {});
    assert!(!cluster.is_stalled());
    assert_eq!(cluster.needle_positions(), showing);
    assert!(!cluster.lamp_outputs(12 * S)[Lamp::Stall as usize].is_on);
}

#[test]
fn night_dimming_sets_the_lamp_pwm_level() {
    let mut cluster = Cluster::new(ClusterConfig::default(), 0);
    cluster.feed_frame(&frame(0.1, 0, 0.9, Lamps::NONE.with(Lamp::Warn5h)), 3 * S);
    cluster.acknowledge();
    let mut dimmer = NightDimmer::new(DimmerConfig::default());
    // The light task: a sample every 250 ms; a dark room settles on the minimum.
    for _ in 0..40 {
        let brightness_pct = dimmer.update(50);
        cluster.set_brightness_pct(brightness_pct);
    }
    let warn = cluster.lamp_outputs(4 * S)[Lamp::Warn5h as usize];
    assert!(warn.is_on);
    assert_eq!(warn.level_pct, 10);
    // Daylight: full brightness again.
    for _ in 0..40 {
        cluster.set_brightness_pct(dimmer.update(4_000));
    }
    assert_eq!(
        cluster.lamp_outputs(5 * S)[Lamp::Warn5h as usize].level_pct,
        100
    );
    assert_eq!(cluster.lamp_outputs(5 * S)[Lamp::Hot as usize].level_pct, 0);
}
