use super::*;
use crate::frame::FuelSource;

const S: u64 = 1_000_000;

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

/// Runs the cluster to `until_us` and counts steps per gauge.
fn run(cluster: &mut Cluster, until_us: u64) -> [u32; 3] {
    let mut counts = [0; 3];
    cluster.advance_to(until_us, |gauge, _, _| counts[gauge.index()] += 1);
    counts
}

#[test]
fn boots_homes_sweeps_and_follows_frames() {
    let mut cluster = Cluster::new(ClusterConfig::default(), 0);
    assert_eq!(cluster.boot_phases(), [BootPhase::Homing; 3]);
    cluster.feed_frame(&frame(0.5, 25_000, 1.0, Lamps::NONE), S / 2);
    let counts = run(&mut cluster, 4 * S);
    assert!(cluster.is_homed());
    assert_eq!(cluster.boot_phases(), [BootPhase::Ready; 3]);
    // Homing (990), up from the stop to full scale, down to zero, up to the goal.
    assert_eq!(counts[2], 990 + 825 + 810 + 810);
    assert_eq!(cluster.needle_positions(), [15 + 405, 15 + 405, 825]);
    assert_eq!(cluster.next_deadline(), Some(S / 2 + 5 * S));
}

#[test]
fn stall_rests_the_needles_and_recovers_on_the_next_frame() {
    let config = ClusterConfig::default().with_boot_sweep(false);
    let mut cluster = Cluster::new(config, 0);
    let lamps = Lamps::NONE.with(Lamp::Hot);
    cluster.feed_frame(&frame(0.2, 45_000, 0.3, lamps), 0);
    run(&mut cluster, 4 * S);
    assert_eq!(cluster.needle_positions(), [15 + 162, 15 + 729, 15 + 243]);
    assert!(cluster.lamps().lit().is_lit(Lamp::Hot));
    run(&mut cluster, 5 * S);
    assert!(cluster.is_stalled());
    assert_eq!(cluster.lamps().lit(), Lamps::NONE.with(Lamp::Stall));
    run(&mut cluster, 7 * S);
    assert_eq!(cluster.needle_positions(), [15; 3]);
    cluster.feed_frame(&frame(0.2, 45_000, 0.3, lamps), 7 * S);
    assert!(!cluster.is_stalled());
    run(&mut cluster, 9 * S);
    assert_eq!(cluster.needle_positions(), [15 + 162, 15 + 729, 15 + 243]);
    assert_eq!(cluster.lamps().lit(), lamps);
}

#[test]
fn advance_to_does_not_depend_on_the_call_rate() {
    let events = [
        (S, 0.9, 8_000),
        (2 * S, 0.1, 100),
        (2 * S + S / 3, 0.6, 10_000),
    ];
    let run_at = |tick_us: u64| {
        let mut cluster = Cluster::new(ClusterConfig::default(), 0);
        let mut log = Vec::new();
        let mut now = 0;
        for &(at, fuel, tach) in &events {
            while now + tick_us < at {
                now += tick_us;
                cluster.advance_to(now, |g, s, t| log.push((g, s, t)));
            }
            cluster.advance_to(at, |g, s, t| log.push((g, s, t)));
            cluster.feed_frame(&frame(fuel, tach, fuel, Lamps::NONE), at);
            now = at;
        }
        cluster.advance_to(12 * S, |g, s, t| log.push((g, s, t)));
        (log, cluster.needle_positions())
    };
    let coarse = run_at(S);
    assert_eq!(coarse, run_at(16_667));
    assert_eq!(coarse, run_at(97));
}

#[test]
fn bad_bytes_change_nothing_and_redline_is_on_the_dial() {
    let mut cluster = Cluster::new(ClusterConfig::default(), 0);
    assert_eq!(cluster.feed_bytes(b"{nope", 0), Err(DecodeError::Malformed));
    assert!(cluster.frame().is_none());
    assert_eq!(cluster.redline_position_steps(), 15 + 648);
    cluster.set_brightness_pct(30);
    cluster.acknowledge();
    assert_eq!(cluster.lamp_outputs(0)[0].level_pct, 30);
}

#[test]
fn the_dial_is_centred_on_twelve_o_clock() {
    let config = ClusterConfig::default();
    let dial = config.dial(Gauge::Tach);
    let zero = f64::from(config.needle_angle_deg(Gauge::Tach, f32::from(dial.zero_offset_steps())));
    let full = f64::from(config.needle_angle_deg(
        Gauge::Tach,
        f32::from(dial.zero_offset_steps() + dial.full_scale_steps()),
    ));
    assert!(
        (zero + 135.0).abs() < 1e-9 && (full - 135.0).abs() < 1e-9,
        "{zero} {full}"
    );
}

#[test]
fn a_step_turns_the_needle_by_the_motor_s_step_angle() {
    let direct = ClusterConfig::default();
    assert_eq!(direct.needle_angle_deg(Gauge::Fuel5h, 420.0), 0.0);
    assert_eq!(direct.needle_angle_deg(Gauge::Fuel5h, 0.0), -140.0);
    assert_eq!(direct.needle_angle_deg(Gauge::Fuel7d, 423.0), 1.0);
    // Fractions of a step, for marks on the dial face.
    assert_eq!(direct.needle_angle_deg(Gauge::Tach, 421.5), 0.5);
    let vid6606 = ClusterConfig::vid6606();
    assert_eq!(vid6606.needle_angle_deg(Gauge::Tach, 60.0), -135.0);
    assert_eq!(vid6606.needle_angle_deg(Gauge::Tach, 1692.0), 1.0);
}

#[test]
fn an_unknown_fuel_parks_below_e_and_a_stall_still_rests_at_zero() {
    let config = ClusterConfig::default().with_boot_sweep(false);
    let mut cluster = Cluster::new(config, 0);
    let unknown_7d = Frame {
        fuel_7d: None,
        ..frame(0.5, 0, 0.0, Lamps::NONE)
    };
    cluster.feed_frame(&unknown_7d, 0);
    run(&mut cluster, 4 * S);
    let park = i32::from(config.dial(Gauge::Fuel7d).park_steps());
    assert!(park < config.dial(Gauge::Fuel7d).position_steps(0));
    assert_eq!(cluster.needle_positions(), [15 + 405, 15, 0]);
    assert_eq!(config.goal_steps(&unknown_7d), [15 + 405, 15, park]);
    // Known but empty reads E, on the scale.
    cluster.feed_frame(&frame(0.5, 0, 0.0, Lamps::NONE), 4 * S);
    run(&mut cluster, 8 * S);
    assert_eq!(cluster.needle_positions(), [15 + 405, 15, 15]);
    // The link goes: every needle rests at its zero and STALL alone lights, as before.
    cluster.feed_frame(&unknown_7d, 8 * S);
    run(&mut cluster, 16 * S);
    assert!(cluster.is_stalled());
    assert_eq!(cluster.lamps().lit(), Lamps::NONE.with(Lamp::Stall));
    assert_eq!(cluster.needle_positions(), [15; 3]);
}

#[test]
fn a_pointed_needle_holds_and_new_dials_move_the_others() {
    let config = ClusterConfig::default().with_boot_sweep(false);
    let mut cluster = Cluster::new(config, 0);
    let full = frame(1.0, 0, 0.5, Lamps::NONE);
    cluster.feed_frame(&full, 0);
    run(&mut cluster, 3_000_000);
    assert_eq!(cluster.needle_positions()[0], 825);
    cluster.point_needle(Gauge::Fuel5h, Some(400), 3_000_000);
    let trimmed = DialCalibration::x27_direct()
        .with_zero_offset_steps(20)
        .with_full_scale_steps(790);
    cluster.set_dials([DialCalibration::x27_direct(), trimmed, trimmed], 3_000_000);
    cluster.feed_frame(&full, 3_000_000);
    run(&mut cluster, 6_000_000);
    assert_eq!(cluster.needle_positions(), [400, 20, 20 + 395]);
    cluster.point_needle(Gauge::Fuel5h, None, 6_000_000);
    run(&mut cluster, 8_000_000);
    assert_eq!(cluster.needle_positions()[0], 825);
}

#[test]
fn a_window_claude_does_not_have_parks_like_an_unknown_one_never_on_e() {
    let config = ClusterConfig::default().with_boot_sweep(false);
    let park = i32::from(config.dial(Gauge::Fuel5h).park_steps());
    let e = config.dial(Gauge::Fuel5h).position_steps(0);
    // `none` for the 5-hour window, even with a fuel figure (0 would read E): parked.
    let no_5h = Frame {
        source_5h: Some(crate::GaugeSource::None),
        source_7d: Some(crate::GaugeSource::Cached),
        ..frame(0.0, 0, 0.5, Lamps::NONE)
    };
    assert_eq!(config.goal_steps(&no_5h), [park, 15, 15 + 405]);
    assert_ne!(park, e);
    // Unknown (or a name this cluster does not know) shows the figure it has.
    let unknown = Frame {
        source_5h: Some(crate::GaugeSource::Unknown),
        ..no_5h
    };
    assert_eq!(config.goal_steps(&unknown)[0], e);
    let mut cluster = Cluster::new(config, 0);
    cluster.feed_frame(&no_5h, 0);
    run(&mut cluster, 4 * S);
    assert_eq!(cluster.needle_positions(), [0, 15, 15 + 405]);
}

#[test]
fn model_lamps_follow_the_family_by_the_configured_map() {
    use crate::family::ModelFamily;
    use crate::model_lamps::ModelLamps;
    let config = ClusterConfig::default()
        .with_boot_sweep(false)
        .with_lamps(LampConfig::default().with_lamp_test_us(0));
    let mut cluster = Cluster::new(config, 0);
    assert_eq!(cluster.model_lamp(), None);
    let with_model = |name: &str, lamps: Lamps| Frame {
        model: Some(ModelFamily::from_model_id(name)),
        ..frame(0.5, 0, 0.5, lamps)
    };
    let lit = |cluster: &Cluster, at: u64| cluster.model_lamp_outputs(at).map(|o| o.is_on);
    cluster.feed_frame(&with_model("claude-fable-5-2", Lamps::NONE), S);
    assert_eq!(
        cluster.model_lamp(),
        Some(1),
        "fable on the second lamp by default"
    );
    assert_eq!(lit(&cluster, S), [false, true, false]);
    cluster.feed_frame(&with_model("claude-mythos-5-2", Lamps::NONE), 2 * S);
    assert_eq!(lit(&cluster, 2 * S), [true, false, false]);
    cluster.feed_frame(&with_model("claude-unknown-9", Lamps::NONE), 3 * S);
    assert_eq!(lit(&cluster, 3 * S), [false; 3]);
    // WARN_OPUS flashes the lamp Opus is on, wherever the map puts it.
    let warn = Lamps::NONE.with(Lamp::WarnOpus);
    cluster.feed_frame(&with_model("claude-haiku-4-5", warn), 4 * S);
    let outputs = cluster.model_lamp_outputs(4 * S);
    assert_eq!(outputs[0].caution, Some(Lamp::WarnOpus));
    assert_eq!(outputs[0].pattern, LampPattern::SlowFlash);
    assert_eq!(outputs[2].pattern, LampPattern::Steady);
    let moved = config.with_model_lamps(
        ModelLamps::default().with_lamp(2, &[ModelFamily::OPUS, ModelFamily::HAIKU]),
    );
    let mut cluster = Cluster::new(moved, 0);
    cluster.feed_frame(&with_model("claude-opus-5-5", warn), S);
    let outputs = cluster.model_lamp_outputs(S);
    assert_eq!(
        outputs.map(|o| o.caution),
        [None, None, Some(Lamp::WarnOpus)]
    );
    // No link: the model lamps go dark with the rest.
    run(&mut cluster, 10 * S);
    assert_eq!(cluster.model_lamp(), None);
}

#[test]
fn the_scoped_warning_and_credits_lamps_are_cautions() {
    let config = ClusterConfig::default().with_lamps(LampConfig::default().with_lamp_test_us(0));
    let mut cluster = Cluster::new(config, 0);
    let lamps = Lamps::NONE.with(Lamp::WarnScoped).with(Lamp::Credits);
    cluster.feed_frame(&frame(0.5, 0, 0.5, lamps), S);
    let outputs = cluster.lamp_outputs(S);
    for lamp in [Lamp::WarnScoped, Lamp::Credits] {
        assert_eq!(
            outputs[lamp as usize].pattern,
            LampPattern::SlowFlash,
            "{lamp:?}"
        );
    }
    assert!(cluster.lamps().is_master_caution(S));
}
