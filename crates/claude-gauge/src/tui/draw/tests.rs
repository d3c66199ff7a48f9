//! The terminal view's drawing, through ratatui's TestBackend: figures, lamps, needles, hints.

use super::*;
use crate::sim::Simulator;

const FRAME: &[u8] = br#"{"v":1,"seq":3,"ts":0,"fuel_5h":0.58,"fuel_7d":0.17,"tach":3120,"reset_5h":7200,"reset_7d":300000,"model":"opus","source":"official","lamps":["WARN_7D","IDLE"]}"#;

/// The same frame with no 7-day figure, as the daemon sends without `limits.tokens_7d`.
const UNKNOWN_7D: &[u8] = br#"{"v":1,"seq":4,"ts":0,"fuel_5h":0.58,"fuel_7d":null,"tach":3120,"reset_5h":7200,"reset_7d":null,"model":"opus","source":"estimate","lamps":[]}"#;

fn settled() -> (Simulator, u64) {
    settled_on(FRAME)
}

fn settled_on(frame: &[u8]) -> (Simulator, u64) {
    let mut sim = Simulator::new(ClusterConfig::default().with_boot_sweep(false));
    for second in 0..8 {
        sim.feed(frame, second * 1_000_000);
    }
    sim.advance(8_000_000);
    (sim, 8_000_000)
}

/// Whether any cell in the columns of `gauge`'s dial is drawn in `color`.
fn dial_has_color(buffer: &Buffer, gauge: Gauge, color: Color) -> bool {
    let third = buffer.area.width / 3;
    let columns = third * u16::try_from(gauge.index()).unwrap()
        ..third * (u16::try_from(gauge.index()).unwrap() + 1);
    columns
        .into_iter()
        .any(|x| (1..buffer.area.height - 4).any(|y| buffer[(x, y)].fg == color))
}

#[test]
fn key_hints_show_only_in_the_interactive_view() {
    let (sim, now_us) = settled();
    let sample = sim.sample(now_us);
    let frame = *sim.cluster().frame().unwrap();
    let config = *sim.cluster().config();
    let mut view = View {
        sample: &sample,
        config: &config,
        frame: Some(&frame),
        is_link_up: true,
        now_secs: 0,
        is_interactive: true,
        limits: None,
    };
    assert!(render_text(&view, 100, 24).contains("q quit  a acknowledge"));
    view.is_interactive = false;
    let text = render_text(&view, 100, 24);
    assert!(
        !text.contains("quit") && !text.contains("acknowledge"),
        "{text}"
    );
    assert!(text.starts_with("CLAUDE GAUGE  OFFICIAL  LINK\n"), "{text}");
}

#[test]
fn an_unknown_7d_parks_below_e_and_says_how_to_get_a_value() {
    let (sim, now_us) = settled_on(UNKNOWN_7D);
    let sample = sim.sample(now_us);
    let frame = *sim.cluster().frame().unwrap();
    let config = *sim.cluster().config();
    let dial = config.dial(Gauge::Fuel7d);
    assert_eq!(sample.positions[2], dial.park_steps());
    assert!(
        i32::from(sample.positions[2]) < dial.position_steps(0),
        "below E"
    );
    let view = View {
        sample: &sample,
        config: &config,
        frame: Some(&frame),
        is_link_up: true,
        now_secs: 0,
        is_interactive: false,
        limits: None,
    };
    let text = render_text(&view, 100, 24);
    for expected in [
        "58%",
        "--",
        "7D FUEL unknown, needle below E: set limits.tokens_7d or run claude-gauge install-statusline",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    assert!(!text.contains("5H FUEL unknown"), "{text}");
    // The parked needle is drawn dim; the 5 h needle, which shows a value, is not.
    let buffer = render_buffer(&view, 100, 24).unwrap();
    assert!(dial_has_color(&buffer, Gauge::Fuel5h, NEEDLE));
    assert!(!dial_has_color(&buffer, Gauge::Fuel7d, NEEDLE));

    // Stalled: every needle rests at its zero, so no needle is parked and no hint shows.
    let (mut sim, now_us) = settled_on(UNKNOWN_7D);
    sim.advance(now_us + 10_000_000);
    let stalled = sim.sample(now_us + 10_000_000);
    assert!(stalled.is_stalled);
    assert_eq!(i32::from(stalled.positions[2]), dial.position_steps(0));
    let stalled_view = View {
        sample: &stalled,
        ..view
    };
    assert!(!render_text(&stalled_view, 100, 24).contains("unknown"));

    // Known fuel: no hint.
    let (sim, now_us) = settled();
    let sample = sim.sample(now_us);
    let frame = *sim.cluster().frame().unwrap();
    let view = View {
        sample: &sample,
        frame: Some(&frame),
        ..view
    };
    assert!(!render_text(&view, 100, 24).contains("unknown"));
}

#[test]
fn a_snapshot_shows_figures_lamps_and_needles() {
    let (sim, now_us) = settled();
    let sample = sim.sample(now_us);
    let frame = *sim.cluster().frame().unwrap();
    let config = *sim.cluster().config();
    let view = View {
        sample: &sample,
        config: &config,
        frame: Some(&frame),
        is_link_up: true,
        now_secs: 0,
        is_interactive: false,
        limits: None,
    };
    let text = render_text(&view, 100, 24);
    for expected in [
        "OFFICIAL",
        "58%",
        "17%",
        "3120 tok/min",
        "reset 2h 00m",
        "reset 3d 11h",
        "[OPUS]",
        " SONNET ",
        "[WARN_7D]",
        "[IDLE]",
        " HOT ",
        " STALL ",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    // Braille dots: the dials and needles were drawn.
    assert!(
        text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
        "{text}"
    );
}

#[test]
fn any_size_renders_without_panicking() {
    let (sim, now_us) = settled();
    let sample = sim.sample(now_us);
    let config = *sim.cluster().config();
    let view = View {
        sample: &sample,
        config: &config,
        frame: None,
        is_link_up: false,
        now_secs: 0,
        is_interactive: true,
        limits: None,
    };
    for (width, height) in [(1, 1), (20, 5), (40, 12), (200, 60)] {
        let text = render_text(&view, width, height);
        assert_eq!(text.lines().count(), usize::from(height));
    }
}

/// A frame with pace and a run-out, and the Opus weekly window past the warn level.
const PACED: &[u8] = br#"{"v":1,"seq":5,"ts":0,"fuel_5h":0.5,"fuel_7d":0.8,"tach":3120,"reset_5h":3600,"reset_7d":300000,"model":"sonnet","source":"official","lamps":["WARN_5H","WARN_OPUS"],"pace_5h":0.2,"pace_7d":0.5,"empty_5h":1800,"empty_7d":null}"#;

#[test]
fn pace_marks_run_out_model_cautions_and_other_windows_are_drawn() {
    let (sim, now_us) = settled_on(PACED);
    // Inside the first flash half-period after the lamp test: a flashing lamp is on.
    let sample = sim.sample(now_us);
    let frame = *sim.cluster().frame().unwrap();
    let config = *sim.cluster().config();
    let limits: LimitsReport = serde_json::from_value(serde_json::json!({
        "windows": [], "limit_until_secs": null, "oauth": null,
        "scoped": [
            {"name": "seven_day_oauth_apps", "model": null, "used_pct": 3.0,
             "resets_at_secs": null, "origin": "oauth", "at_ms": 0},
            {"name": "seven_day_opus", "model": "opus", "used_pct": 91.0,
             "resets_at_secs": null, "origin": "oauth", "at_ms": 0}],
        "extra_usage": {"is_enabled": true, "monthly_limit": null, "used_credits": null,
                        "used_pct": 25.0, "currency": null, "at_ms": 0}
    }))
    .unwrap();
    let mut view = View {
        sample: &sample,
        config: &config,
        frame: Some(&frame),
        is_link_up: true,
        now_secs: 0,
        is_interactive: false,
        limits: Some(&limits),
    };
    let text = render_text(&view, 120, 26);
    assert!(text.contains("reset 1h 00m · empty in 30m"), "{text}");
    assert!(
        text.contains("7D OPUS 9% left · seven_day_oauth_apps 97% left · EXTRA 25% used"),
        "{text}"
    );
    // The OPUS model lamp carries the caution (slow flash, gauge-core's pattern); WARN_OPUS
    // has no lamp of its own.
    let opus = sample.lamps.iter().find(|l| l.lamp == "WARN_OPUS").unwrap();
    assert_eq!(opus.pattern, "slow");
    assert!(
        text.contains("[OPUS]") && text.contains("[SONNET]"),
        "{text}"
    );
    assert!(!text.contains("WARN_OPUS"), "{text}");
    // The pace marks are drawn in blue on both fuel dials, none on the tach.
    let buffer = render_buffer(&view, 120, 26).unwrap();
    assert!(dial_has_color(&buffer, Gauge::Fuel5h, BLUE));
    assert!(dial_has_color(&buffer, Gauge::Fuel7d, BLUE));
    assert!(!dial_has_color(&buffer, Gauge::Tach, BLUE));
    // Without a report, no line of other windows.
    view.limits = None;
    assert!(!render_text(&view, 120, 26).contains("7D OPUS"));
}
