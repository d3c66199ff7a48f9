//! Face drawings: each dial's printable face and the front panel, as SVG at true size.
//!
//! The last step from the scales to paper: a [`DialFace`] (what is printed) placed by the
//! gauge's [`DialCalibration`](crate::DialCalibration) and [`ClusterConfig::needle_angle_deg`]
//! (where the needle points), so a printed face, the web page (gauge-wasm hands it this SVG)
//! and the needle agree by construction. Lengths are millimetres: `width`/`height` carry `mm`
//! and the `viewBox` counts millimetres, so printing at 100 % gives the true size.
//! Written through [`core::fmt::Write`], without allocating (`docs/dial-faces.md`).

use core::f64::consts::PI;
use core::fmt::{self, Write};

use crate::cluster::ClusterConfig;
use crate::gauge::Gauge;
use crate::scale::{DialFace, ZoneKind};

/// A dial face's default diameter, mm (`docs/hardware.md`: faces of Ø 50–60 mm).
pub const DIAL_DIAMETER_MM: f32 = 56.0;

/// The default distance between two dial centres on the panel, mm (at least 65 mm).
pub const DIAL_PITCH_MM: f32 = 65.0;

/// The hole each motor's shaft comes through, diameter in mm.
pub const SHAFT_HOLE_MM: f32 = 4.0;

/// The smallest and largest face diameters [`FaceLayout`] accepts, mm.
pub const DIAL_DIAMETER_RANGE_MM: (f32, f32) = (30.0, 200.0);

const FACE_BLACK: &str = "#060708";
const INK_WHITE: &str = "#f4f5f0";
const DIM_GREY: &str = "#a3a9b0";
const REDLINE_RED: &str = "#e8202a";
const RESERVE_AMBER: &str = "#ffb000";
/// Cut lines (face edge, shaft hole, panel outline and windows): a thin pure red, as laser
/// cutters and cutting plotters expect.
const CUT_RED: &str = "#ff0000";
const CUT_WIDTH_MM: f64 = 0.1;
const FONT: &str = "'DejaVu Sans Condensed', 'Arial Narrow', 'Helvetica Neue', Arial, sans-serif";

/// How big the faces are and how the panel spaces them, mm. `Copy + Default`
/// ([`DIAL_DIAMETER_MM`], [`DIAL_PITCH_MM`], [`SHAFT_HOLE_MM`]); setters clamp to what can be
/// drawn, so a layout is always valid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceLayout {
    diameter_mm: f32,
    dial_pitch_mm: f32,
    shaft_hole_mm: f32,
}

impl Default for FaceLayout {
    fn default() -> Self {
        FaceLayout {
            diameter_mm: DIAL_DIAMETER_MM,
            dial_pitch_mm: DIAL_PITCH_MM,
            shaft_hole_mm: SHAFT_HOLE_MM,
        }
    }
}

impl FaceLayout {
    /// Sets the face diameter, mm, clamped to [`DIAL_DIAMETER_RANGE_MM`] (NaN keeps the
    /// default).
    #[must_use]
    pub fn with_diameter_mm(mut self, diameter_mm: f32) -> Self {
        let (min, max) = DIAL_DIAMETER_RANGE_MM;
        self.diameter_mm = if diameter_mm.is_nan() {
            DIAL_DIAMETER_MM
        } else {
            diameter_mm.clamp(min, max)
        };
        self
    }

    /// Sets the distance between dial centres on the panel, mm (never closer than a face
    /// diameter plus 6 mm, see [`dial_pitch_mm`](Self::dial_pitch_mm)).
    #[must_use]
    pub const fn with_dial_pitch_mm(mut self, dial_pitch_mm: f32) -> Self {
        self.dial_pitch_mm = dial_pitch_mm;
        self
    }

    /// Sets the shaft hole's diameter, mm (1 mm up to a fifth of the face).
    #[must_use]
    pub const fn with_shaft_hole_mm(mut self, shaft_hole_mm: f32) -> Self {
        self.shaft_hole_mm = shaft_hole_mm;
        self
    }

    /// The face diameter, mm.
    pub const fn diameter_mm(&self) -> f32 {
        self.diameter_mm
    }

    /// Centre to centre of two dials on the panel, mm: the configured pitch, at least the face
    /// diameter plus 6 mm, so neighbouring windows never touch.
    pub fn dial_pitch_mm(&self) -> f32 {
        let least = self.diameter_mm + 6.0;
        if self.dial_pitch_mm >= least {
            self.dial_pitch_mm
        } else {
            least
        }
    }

    /// The shaft hole's diameter, mm, between 1 mm and a fifth of the face.
    pub fn shaft_hole_mm(&self) -> f32 {
        let most = self.diameter_mm / 5.0;
        if self.shaft_hole_mm.is_nan() {
            SHAFT_HOLE_MM.min(most)
        } else {
            self.shaft_hole_mm.clamp(1.0, most)
        }
    }
}

/// A coordinate or length in mm, printed to the thousandth without trailing zeros.
#[derive(Clone, Copy)]
struct Mm(f64);

impl fmt::Display for Mm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = libm::round(self.0 * 1000.0);
        // Nothing on a panel is near i64's range; NaN prints 0.
        let thousandths = if rounded.is_finite() {
            rounded as i64
        } else {
            0
        };
        let sign = if thousandths < 0 { "-" } else { "" };
        let magnitude = thousandths.unsigned_abs();
        let (whole, mut fraction) = (magnitude / 1000, magnitude % 1000);
        if fraction == 0 {
            return write!(f, "{sign}{whole}");
        }
        let mut width = 3;
        while fraction % 10 == 0 {
            fraction /= 10;
            width -= 1;
        }
        write!(f, "{sign}{whole}.{fraction:0width$}")
    }
}

/// Text content, XML-escaped.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                // Wire names such as WARN_5H are printed with a space.
                '_' => f.write_char(' ')?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A point `radius` from `centre` at `angle_deg` clockwise from 12 o'clock (SVG's y points down).
fn polar(centre: (f64, f64), angle_deg: f64, radius: f64) -> (Mm, Mm) {
    let radians = angle_deg * PI / 180.0;
    (
        Mm(centre.0 + radius * libm::sin(radians)),
        Mm(centre.1 - radius * libm::cos(radians)),
    )
}

/// The words under a face's unit: which window a fuel dial reads.
const fn title(gauge: Gauge) -> &'static str {
    match gauge {
        Gauge::Fuel5h => "5 H",
        Gauge::Tach => "",
        Gauge::Fuel7d => "7 D",
    }
}

/// The file-name stem of a gauge's face: `fuel-5h`, `tach`, `fuel-7d`.
pub const fn face_file_stem(gauge: Gauge) -> &'static str {
    match gauge {
        Gauge::Fuel5h => "fuel-5h",
        Gauge::Tach => "tach",
        Gauge::Fuel7d => "fuel-7d",
    }
}

/// One gauge's face, placed by `config`: where the needle points at each mark.
struct FacePlan<'a> {
    config: &'a ClusterConfig,
    gauge: Gauge,
    face: DialFace,
    centre: (f64, f64),
    radius: f64,
}

impl FacePlan<'_> {
    /// The needle angle at `scale_bp`, on the whole step the motor would stop at.
    fn angle_at_bp(&self, scale_bp: u16) -> f64 {
        let steps = self.config.dial(self.gauge).position_steps(scale_bp);
        // Positions are at most a few thousand steps: exact in f32.
        f64::from(self.config.needle_angle_deg(self.gauge, steps as f32))
    }

    fn write_zone(&self, out: &mut impl Write) -> fmt::Result {
        let zone = self.face.zone();
        let (from, to) = (self.angle_at_bp(zone.from_bp), self.angle_at_bp(zone.to_bp));
        let (class, colour) = match zone.kind {
            ZoneKind::Reserve => ("reserve", RESERVE_AMBER),
            ZoneKind::Redline => ("redline", REDLINE_RED),
        };
        let radius = 0.93 * self.radius;
        let (x1, y1) = polar(self.centre, from, radius);
        let (x2, y2) = polar(self.centre, to, radius);
        let large = u8::from(to - from > 180.0);
        let (r, width) = (Mm(radius), Mm(0.06 * self.radius));
        writeln!(
            out,
            r#"<path class="zone {class}" d="M {x1} {y1} A {r} {r} 0 {large} 1 {x2} {y2}" fill="none" stroke="{colour}" stroke-width="{width}"/>"#
        )
    }

    fn write_ticks(&self, out: &mut impl Write) -> fmt::Result {
        let outer = 0.9 * self.radius;
        for index in 0..=self.face.tick_intervals() {
            let bp = self.face.tick_bp(index);
            let angle = self.angle_at_bp(bp);
            let is_major = self.face.is_major_tick(index);
            let (class, inner, width) = if is_major {
                ("tick major", 0.74 * self.radius, 0.03 * self.radius)
            } else {
                ("tick", 0.82 * self.radius, 0.013 * self.radius)
            };
            let (x1, y1) = polar(self.centre, angle, outer);
            let (x2, y2) = polar(self.centre, angle, inner);
            let width = Mm(width);
            writeln!(
                out,
                r#"<line class="{class}" data-bp="{bp}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK_WHITE}" stroke-width="{width}" stroke-linecap="butt"/>"#
            )?;
        }
        Ok(())
    }

    fn write_labels(&self, out: &mut impl Write) -> fmt::Result {
        let size = Mm(0.17 * self.radius);
        for label in self.face.labels() {
            let angle = self.angle_at_bp(label.scale_bp);
            let (x, y) = polar(self.centre, angle, 0.58 * self.radius);
            let (bp, text) = (label.scale_bp, Escaped(label.text));
            writeln!(
                out,
                r#"<text class="label" data-bp="{bp}" x="{x}" y="{y}" fill="{INK_WHITE}" font-size="{size}" font-weight="700" text-anchor="middle" dominant-baseline="central">{text}</text>"#
            )?;
        }
        Ok(())
    }

    /// The unit under the hub and, on a fuel dial, which window it reads.
    fn write_captions(&self, out: &mut impl Write) -> fmt::Result {
        let (cx, cy) = self.centre;
        let (x, y) = (Mm(cx), Mm(cy + 0.3 * self.radius));
        let (size, spacing) = (Mm(0.085 * self.radius), Mm(0.01 * self.radius));
        let unit = Escaped(self.face.unit());
        writeln!(
            out,
            r#"<text class="unit" x="{x}" y="{y}" fill="{DIM_GREY}" font-size="{size}" letter-spacing="{spacing}" text-anchor="middle" dominant-baseline="central">{unit}</text>"#
        )?;
        let title = title(self.gauge);
        if title.is_empty() {
            return Ok(());
        }
        let (y, size) = (Mm(cy + 0.62 * self.radius), Mm(0.13 * self.radius));
        writeln!(
            out,
            r#"<text class="title" x="{x}" y="{y}" fill="{INK_WHITE}" font-size="{size}" font-weight="700" text-anchor="middle" dominant-baseline="central">{}</text>"#,
            Escaped(title)
        )
    }

    /// Where the needle of an unknown reading parks (below E on a fuel dial): a hollow dot.
    fn write_park_mark(&self, out: &mut impl Write) -> fmt::Result {
        let steps = self.config.dial(self.gauge).park_steps();
        let angle = f64::from(self.config.needle_angle_deg(self.gauge, f32::from(steps)));
        let (x, y) = polar(self.centre, angle, 0.84 * self.radius);
        let (r, width) = (Mm(0.028 * self.radius), Mm(0.012 * self.radius));
        writeln!(
            out,
            r#"<circle class="park" data-steps="{steps}" cx="{x}" cy="{y}" r="{r}" fill="none" stroke="{INK_WHITE}" stroke-width="{width}"/>"#
        )
    }
}

/// The shaft hole (a cut line) and a cross to centre the punch on.
fn write_shaft_mark(out: &mut impl Write, centre: (f64, f64), hole_mm: f64) -> fmt::Result {
    let (cx, cy) = centre;
    let (x, y, r) = (Mm(cx), Mm(cy), Mm(hole_mm / 2.0));
    writeln!(
        out,
        r#"<g class="shaft"><circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="{CUT_RED}" stroke-width="{}"/>"#,
        Mm(CUT_WIDTH_MM)
    )?;
    let arm = hole_mm / 2.0 + 1.5;
    let (left, right, top, bottom) = (Mm(cx - arm), Mm(cx + arm), Mm(cy - arm), Mm(cy + arm));
    writeln!(
        out,
        r#"<path d="M {left} {y} H {right} M {x} {top} V {bottom}" stroke="{DIM_GREY}" stroke-width="0.15"/></g>"#
    )
}

fn write_svg_open(out: &mut impl Write, size_mm: (f64, f64), name: &str) -> fmt::Result {
    let (w, h) = (Mm(size_mm.0), Mm(size_mm.1));
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" font-family="{FONT}">"#
    )?;
    writeln!(out, "<title>{}</title>", Escaped(name))
}

/// Writes one gauge's printable face: the 270° scale around the shaft with its long and short
/// ticks, figures, unit, coloured zone (amber reserve or red redline), the parking mark of an
/// unknown reading and the shaft hole, `layout.diameter_mm()` across.
///
/// Every mark sits where `config` points the needle for its value, on the step the motor stops
/// at. `width`/`height` are in mm and the `viewBox` is `0 0 D D`, so the centre is (D/2, D/2).
pub fn write_face_svg(
    out: &mut impl Write,
    config: &ClusterConfig,
    gauge: Gauge,
    layout: &FaceLayout,
) -> fmt::Result {
    let diameter = f64::from(layout.diameter_mm());
    let radius = diameter / 2.0;
    let plan = FacePlan {
        config,
        gauge,
        face: gauge.face(),
        centre: (radius, radius),
        radius,
    };
    write_svg_open(out, (diameter, diameter), face_file_stem(gauge))?;
    let (c, edge) = (Mm(radius), Mm(radius - CUT_WIDTH_MM / 2.0));
    writeln!(
        out,
        r#"<circle class="face" cx="{c}" cy="{c}" r="{edge}" fill="{FACE_BLACK}" stroke="{CUT_RED}" stroke-width="{}"/>"#,
        Mm(CUT_WIDTH_MM)
    )?;
    plan.write_zone(out)?;
    plan.write_ticks(out)?;
    if matches!(gauge, Gauge::Fuel5h | Gauge::Fuel7d) {
        plan.write_park_mark(out)?;
    }
    plan.write_labels(out)?;
    plan.write_captions(out)?;
    write_shaft_mark(out, plan.centre, f64::from(layout.shaft_hole_mm()))?;
    writeln!(out, "</svg>")
}

mod panel;

pub use panel::write_panel_svg;

#[cfg(test)]
mod tests;
