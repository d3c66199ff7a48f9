//! The front panel: the plate in front of the three faces, with their windows and the
//! annunciator's, drawn at true size by the same SVG helpers as the faces.

use core::fmt::{self, Write};

use super::{
    face_file_stem, write_svg_open, Escaped, FaceLayout, Mm, CUT_RED, CUT_WIDTH_MM, DIM_GREY,
    INK_WHITE,
};
use crate::frame::Lamp;
use crate::gauge::Gauge;

/// An annunciator window on the panel (a 5 mm LED behind each), width and height in mm.
const LAMP_WINDOW_MM: (f64, f64) = (15.0, 8.0);
/// Centre to centre of two annunciator windows, mm.
const LAMP_PITCH_MM: f64 = 17.0;
/// The lamps' LED, diameter in mm (5 mm LEDs, `docs/hardware.md`).
const LAMP_LED_MM: f64 = 5.0;
/// Panel margin around the dials and the lamp row, mm.
const PANEL_MARGIN_MM: f64 = 9.0;
/// The panel window over a face is this much smaller than the face, so its edge stays hidden.
const WINDOW_OVERLAP_MM: f64 = 2.0;
/// Mounting holes in the panel corners (M3), diameter in mm.
const MOUNT_HOLE_MM: f64 = 3.2;

const PANEL_GREY: &str = "#1e2125";

/// Writes the front panel: a window for each of the three faces (5 h, tach, 7 d from left, a
/// little smaller than the face so its edge stays hidden) with the shaft's centre marked, a row
/// of six annunciator windows with their legends ([`Lamp::ALL`] order), and M3 mounting holes.
/// Cut lines are thin red; `width`/`height` are in mm.
pub fn write_panel_svg(out: &mut impl Write, layout: &FaceLayout) -> fmt::Result {
    let diameter = f64::from(layout.diameter_mm());
    let pitch = f64::from(layout.dial_pitch_mm());
    let lamps_width = LAMP_PITCH_MM * (Lamp::ALL.len() - 1) as f64 + LAMP_WINDOW_MM.0;
    let width = (2.0 * pitch + diameter).max(lamps_width) + 2.0 * PANEL_MARGIN_MM;
    let dial_y = PANEL_MARGIN_MM + diameter / 2.0;
    let caption_y = PANEL_MARGIN_MM + diameter + 4.0;
    let lamp_y = caption_y + 5.0 + LAMP_WINDOW_MM.1 / 2.0;
    let height = lamp_y + LAMP_WINDOW_MM.1 / 2.0 + PANEL_MARGIN_MM;
    write_svg_open(out, (width, height), "panel")?;
    let cut = Mm(CUT_WIDTH_MM);
    let (w, h) = (Mm(width - CUT_WIDTH_MM), Mm(height - CUT_WIDTH_MM));
    let inset = Mm(CUT_WIDTH_MM / 2.0);
    writeln!(
        out,
        r#"<rect class="panel" x="{inset}" y="{inset}" width="{w}" height="{h}" rx="4" fill="{PANEL_GREY}" stroke="{CUT_RED}" stroke-width="{cut}"/>"#
    )?;
    let hole = MOUNT_HOLE_MM / 2.0;
    for (x, y) in [
        (5.0, 5.0),
        (width - 5.0, 5.0),
        (5.0, height - 5.0),
        (width - 5.0, height - 5.0),
    ] {
        let (x, y, r) = (Mm(x), Mm(y), Mm(hole));
        writeln!(
            out,
            r##"<circle class="mount" cx="{x}" cy="{y}" r="{r}" fill="#000" stroke="{CUT_RED}" stroke-width="{cut}"/>"##
        )?;
    }
    for gauge in Gauge::ALL {
        let x = width / 2.0 + pitch * (gauge.index() as f64 - 1.0);
        write_dial_window(out, gauge, (x, dial_y), diameter, caption_y)?;
    }
    for (i, lamp) in Lamp::ALL.into_iter().enumerate() {
        let x = width / 2.0 + LAMP_PITCH_MM * (i as f64 - 2.5);
        write_lamp_window(out, lamp, (x, lamp_y))?;
    }
    writeln!(out, "</svg>")
}

fn write_dial_window(
    out: &mut impl Write,
    gauge: Gauge,
    centre: (f64, f64),
    diameter: f64,
    caption_y: f64,
) -> fmt::Result {
    let (x, y) = (Mm(centre.0), Mm(centre.1));
    let r = Mm((diameter - WINDOW_OVERLAP_MM) / 2.0);
    let stem = face_file_stem(gauge);
    writeln!(
        out,
        r##"<circle class="dial-window" data-face="{stem}" cx="{x}" cy="{y}" r="{r}" fill="#000" stroke="{CUT_RED}" stroke-width="{}"/>"##,
        Mm(CUT_WIDTH_MM)
    )?;
    let arm = 2.5;
    let (left, right) = (Mm(centre.0 - arm), Mm(centre.0 + arm));
    let (top, bottom) = (Mm(centre.1 - arm), Mm(centre.1 + arm));
    writeln!(
        out,
        r#"<path class="centre" d="M {left} {y} H {right} M {x} {top} V {bottom}" stroke="{DIM_GREY}" stroke-width="0.15"/>"#
    )?;
    let caption = match gauge {
        Gauge::Fuel5h => "5 H FUEL",
        Gauge::Tach => "TOKENS / MIN",
        Gauge::Fuel7d => "7 D FUEL",
    };
    writeln!(
        out,
        r#"<text class="caption" x="{x}" y="{}" fill="{INK_WHITE}" font-size="3" font-weight="700" letter-spacing="0.4" text-anchor="middle" dominant-baseline="central">{caption}</text>"#,
        Mm(caption_y)
    )
}

fn write_lamp_window(out: &mut impl Write, lamp: Lamp, centre: (f64, f64)) -> fmt::Result {
    let (w, h) = LAMP_WINDOW_MM;
    let (x, y) = (Mm(centre.0 - w / 2.0), Mm(centre.1 - h / 2.0));
    let name = lamp.as_str();
    writeln!(
        out,
        r##"<rect class="lamp-window" data-lamp="{name}" x="{x}" y="{y}" width="{}" height="{}" rx="1" fill="#000" stroke="{CUT_RED}" stroke-width="{}"/>"##,
        Mm(w),
        Mm(h),
        Mm(CUT_WIDTH_MM)
    )?;
    let (cx, cy, r) = (Mm(centre.0), Mm(centre.1), Mm(LAMP_LED_MM / 2.0));
    writeln!(
        out,
        r##"<circle class="led" cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#3a3f45" stroke-width="0.15" stroke-dasharray="0.6 0.6"/>"##
    )?;
    writeln!(
        out,
        r#"<text class="legend" x="{cx}" y="{cy}" fill="{INK_WHITE}" font-size="2.6" font-weight="700" letter-spacing="0.2" text-anchor="middle" dominant-baseline="central">{}</text>"#,
        Escaped(name)
    )
}
