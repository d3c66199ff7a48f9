//! `docs/gauge-core.md`, "Scales", against gauge-core's constants: the doc that describes the
//! scales once must say what the code does, and the other docs must point there instead of
//! repeating figures.

use gauge_core::{
    ClusterConfig, DialFace, Gauge, ZoneKind, FUEL_RESERVE_BP, FULL_SCALE_BP,
    TACH_FULL_SCALE_PER_MIN, TACH_REDLINE_PER_MIN,
};

const GAUGE_CORE_MD: &str = include_str!("../../../docs/gauge-core.md");
const HARDWARE_MD: &str = include_str!("../../../docs/hardware.md");
const PROTOCOL_MD: &str = include_str!("../../../docs/protocol.md");

/// The text of the `## Scales` section, and the rest of the doc without it.
fn scales_section() -> (&'static str, String) {
    let start = GAUGE_CORE_MD
        .find("\n## Scales\n")
        .expect("docs/gauge-core.md has a \"## Scales\" section");
    let body = &GAUGE_CORE_MD[start + 1..];
    let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 3);
    let rest = format!("{}{}", &GAUGE_CORE_MD[..start], &body[end..]);
    (&body[..end], rest)
}

/// The table row of `dial` in the Scales section.
fn row(section: &str, dial: &str) -> String {
    section
        .lines()
        .find(|line| line.starts_with(&format!("| {dial} ")))
        .unwrap_or_else(|| panic!("no row for {dial:?} in\n{section}"))
        .to_string()
}

/// 50000 -> "50,000", as the doc writes figures.
fn thousands(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Degrees clockwise from a gauge's zero to `scale_bp`, on the default dial.
fn degrees_from_zero(gauge: Gauge, steps: i32) -> String {
    let config = ClusterConfig::default();
    let zero = config.dial(gauge).position_steps(0);
    let at = |steps: i32| config.needle_angle_deg(gauge, steps as f32);
    format!("{}°", (at(steps) - at(zero)).round())
}

fn bp_degrees(gauge: Gauge, scale_bp: u16) -> String {
    let steps = ClusterConfig::default()
        .dial(gauge)
        .position_steps(scale_bp);
    degrees_from_zero(gauge, steps)
}

fn ordinal(n: u16) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

/// What the doc must say of a face's ticks and figures.
fn face_fragments(face: DialFace) -> Vec<String> {
    let figures: Vec<&str> = face.labels().iter().map(|label| label.text).collect();
    vec![
        format!(
            "| {} intervals, long every {} |",
            face.tick_intervals(),
            ordinal(face.major_every())
        ),
        format!("| {} (unit {}) |", figures.join(", "), face.unit()),
    ]
}

fn assert_contains(text: &str, fragment: &str) {
    assert!(text.contains(fragment), "{fragment:?} missing from {text}");
}

#[test]
fn the_scales_section_matches_gauge_core() {
    let (section, _) = scales_section();
    let arc = bp_degrees(Gauge::Tach, FULL_SCALE_BP);
    assert_eq!(arc, "270°");
    assert_contains(section, &format!("Each dial is a {arc} arc"));

    let fuel = row(section, "fuel (5 h, 7 d)");
    let face = Gauge::Fuel5h.face();
    assert_eq!(face, Gauge::Fuel7d.face());
    for fragment in face_fragments(face) {
        assert_contains(&fuel, &fragment);
    }
    let zone = face.zone();
    assert_eq!(zone.kind, ZoneKind::Reserve);
    assert_eq!((zone.from_bp, zone.to_bp), (0, FUEL_RESERVE_BP));
    let reserve = f64::from(FUEL_RESERVE_BP) / f64::from(FULL_SCALE_BP);
    assert_contains(
        &fuel,
        &format!(
            "| reserve (amber): E to {reserve} remaining ({} to {}) |",
            bp_degrees(Gauge::Fuel5h, zone.from_bp),
            bp_degrees(Gauge::Fuel5h, zone.to_bp)
        ),
    );

    let tach = row(section, "tachometer");
    let face = Gauge::Tach.face();
    for fragment in face_fragments(face) {
        assert_contains(&tach, &fragment);
    }
    let full = thousands(TACH_FULL_SCALE_PER_MIN);
    assert_contains(&tach, &format!("| 0 to {full} tokens/min, linear |"));
    let zone = face.zone();
    assert_eq!(zone.kind, ZoneKind::Redline);
    let tach_scale = *ClusterConfig::default().tach_scale();
    assert_eq!(zone.from_bp, tach_scale.redline_scale_bp());
    assert_contains(
        &tach,
        &format!(
            "| redline (red): {} to {full} tokens/min ({} to {}) |",
            thousands(TACH_REDLINE_PER_MIN),
            bp_degrees(Gauge::Tach, zone.from_bp),
            bp_degrees(Gauge::Tach, zone.to_bp)
        ),
    );
}

#[test]
fn the_scales_section_says_where_an_unknown_fuel_parks() {
    let (section, _) = scales_section();
    for gauge in [Gauge::Fuel5h, Gauge::Fuel7d] {
        let park = ClusterConfig::default().dial(gauge).reading_steps(None);
        let below = degrees_from_zero(gauge, park).replace('-', "");
        assert_eq!(below, "5°");
        assert_contains(section, &format!("on its stop {below} below E"));
    }
    let (_, rest) = scales_section();
    assert_contains(&rest, "| 0 / 0 (the stop, 5° below E) |");
}

#[test]
fn the_other_docs_link_to_the_scales_instead_of_repeating_them() {
    let (_, rest) = scales_section();
    let figures = [TACH_FULL_SCALE_PER_MIN, TACH_REDLINE_PER_MIN];
    let spellings: Vec<String> = figures
        .iter()
        .flat_map(|&n| [thousands(n), thousands(n).replace(',', " "), n.to_string()])
        .collect();
    for (name, text) in [
        ("docs/gauge-core.md outside Scales", rest.as_str()),
        ("docs/hardware.md", HARDWARE_MD),
    ] {
        for spelling in &spellings {
            assert!(
                !text.contains(spelling.as_str()),
                "{name} repeats the scale figure {spelling:?}: link to gauge-core.md#scales"
            );
        }
    }
    assert_contains(HARDWARE_MD, "gauge-core.md#scales");
    assert_contains(PROTOCOL_MD, "gauge-core.md#scales");
}
