use super::*;
use crate::frame::Lamp;

fn face(gauge: Gauge, layout: &FaceLayout) -> String {
    let mut svg = String::new();
    write_face_svg(&mut svg, &ClusterConfig::default(), gauge, layout).unwrap();
    svg
}

fn attr(node: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} of {node:?}"))
}

/// Degrees clockwise from 12 o'clock of (x, y) around (c, c).
fn angle_of(c: f64, x: f64, y: f64) -> f64 {
    (x - c).atan2(c - y).to_degrees()
}

#[test]
fn millimetres_print_to_the_thousandth_without_trailing_zeros() {
    let shown = |v: f64| format!("{}", Mm(v));
    assert_eq!(shown(56.0), "56");
    assert_eq!(shown(28.5), "28.5");
    assert_eq!(shown(-1.23456), "-1.235");
    assert_eq!(shown(0.0204), "0.02");
    assert_eq!(shown(-0.0004), "0");
    assert_eq!(shown(f64::NAN), "0");
    assert_eq!(
        format!("{}", Escaped("a<b&\"c\"_d")),
        "a&lt;b&amp;&quot;c&quot; d"
    );
}

#[test]
fn layouts_clamp_to_what_can_be_drawn() {
    let layout = FaceLayout::default();
    assert_eq!(layout.diameter_mm(), DIAL_DIAMETER_MM);
    assert_eq!(layout.dial_pitch_mm(), DIAL_PITCH_MM);
    assert_eq!(layout.shaft_hole_mm(), SHAFT_HOLE_MM);
    assert_eq!(layout.with_diameter_mm(5.0).diameter_mm(), 30.0);
    assert_eq!(layout.with_diameter_mm(f32::NAN).diameter_mm(), 56.0);
    let big = layout.with_diameter_mm(80.0);
    assert_eq!(big.dial_pitch_mm(), 86.0, "windows never touch");
    assert_eq!(big.with_shaft_hole_mm(0.1).shaft_hole_mm(), 1.0);
    assert_eq!(layout.with_diameter_mm(30.0).shaft_hole_mm(), 4.0);
    assert_eq!(layout.with_shaft_hole_mm(40.0).shaft_hole_mm(), 11.2);
}

#[test]
fn every_tick_and_figure_sits_where_the_needle_points_for_its_value() {
    let config = ClusterConfig::default();
    for gauge in Gauge::ALL {
        let svg = face(gauge, &FaceLayout::default().with_diameter_mm(60.0));
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("width"), Some("60mm"));
        assert_eq!(root.attribute("viewBox"), Some("0 0 60 60"));
        let dial = config.dial(gauge);
        let expected =
            |bp: u16| f64::from(config.needle_angle_deg(gauge, dial.position_steps(bp) as f32));
        let face = gauge.face();
        let ticks: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("line"))
            .collect();
        assert_eq!(ticks.len(), usize::from(face.tick_intervals()) + 1);
        for (index, tick) in ticks.iter().enumerate() {
            let bp = face.tick_bp(index as u16);
            for end in ["1", "2"] {
                let at = angle_of(
                    30.0,
                    attr(*tick, &format!("x{end}")),
                    attr(*tick, &format!("y{end}")),
                );
                assert!(
                    (at - expected(bp)).abs() < 0.01,
                    "{gauge:?} tick {index}: {at}"
                );
            }
            let is_major = tick.attribute("class") == Some("tick major");
            assert_eq!(is_major, face.is_major_tick(index as u16));
        }
        let labels: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("label"))
            .collect();
        assert_eq!(labels.len(), face.labels().len());
        for (node, label) in labels.iter().zip(face.labels()) {
            assert_eq!(node.text(), Some(label.text));
            let at = angle_of(30.0, attr(*node, "x"), attr(*node, "y"));
            assert!(
                (at - expected(label.scale_bp)).abs() < 0.01,
                "{label:?}: {at}"
            );
        }
        let park = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("park"));
        match gauge {
            Gauge::Tach => assert!(park.is_none(), "a tach reading is never unknown"),
            _ => {
                let park = park.unwrap();
                let at = angle_of(30.0, attr(park, "cx"), attr(park, "cy"));
                let parked =
                    f64::from(config.needle_angle_deg(gauge, f32::from(dial.park_steps())));
                assert!((at - parked).abs() < 0.01 && at < expected(0), "{at}");
            }
        }
    }
}

#[test]
fn the_panel_has_three_dial_windows_and_six_lamp_windows() {
    let mut svg = String::new();
    write_panel_svg(&mut svg, &FaceLayout::default()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let windows: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("dial-window"))
        .collect();
    assert_eq!(windows.len(), 3);
    assert_eq!(attr(windows[1], "cx") - attr(windows[0], "cx"), 65.0);
    assert_eq!(attr(windows[0], "r"), 27.0);
    let lamps: Vec<_> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-lamp"))
        .collect();
    assert_eq!(lamps, Lamp::ALL.map(Lamp::as_str));
    assert!(svg.contains(">WARN 5H</text>"), "{svg}");
    // Three dials 65 mm apart, 56 mm across, 9 mm margins: 204 mm wide.
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("204mm"));
    let view_box = root.attribute("viewBox").unwrap();
    let height = root.attribute("height").unwrap().trim_end_matches("mm");
    assert_eq!(view_box, format!("0 0 204 {height}"));
}

/// A writer that refuses to grow past its buffer, as gauge-wasm's does.
struct Fixed<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Write for Fixed<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[test]
fn a_face_fits_in_a_fixed_buffer_and_a_small_one_is_an_error() {
    let config = ClusterConfig::default();
    let mut fixed = Fixed::<12_288> {
        buf: [0; 12_288],
        len: 0,
    };
    write_face_svg(&mut fixed, &config, Gauge::Tach, &FaceLayout::default()).unwrap();
    assert_eq!(
        &fixed.buf[..fixed.len],
        face(Gauge::Tach, &FaceLayout::default()).as_bytes()
    );
    let mut small = Fixed::<100> {
        buf: [0; 100],
        len: 0,
    };
    assert!(write_face_svg(&mut small, &config, Gauge::Tach, &FaceLayout::default()).is_err());
}
