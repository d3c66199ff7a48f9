//! Drawing the cluster in a terminal: three round dials on braille canvases and the annunciator
//! row, from a [`View`]. Pure: a ratatui `Frame` in, nothing else touched.

use gauge_core::{ClusterConfig, Frame, FuelSource, Gauge};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Context, Line as CanvasLine};
use ratatui::widgets::{Block, Paragraph};

use crate::sim::Sample;

/// Everything one screen shows.
pub(crate) struct View<'a> {
    /// What the cluster shows now.
    pub(crate) sample: &'a Sample,
    /// The cluster's configuration (dial geometry).
    pub(crate) config: &'a ClusterConfig,
    /// The last frame received, for the figures and countdowns.
    pub(crate) frame: Option<&'a Frame>,
    /// Whether the link to the daemon is up.
    pub(crate) is_link_up: bool,
    /// Now, unix seconds (for the countdowns).
    pub(crate) now_secs: u64,
}

const NEEDLE: Color = Color::Rgb(255, 90, 31);
const AMBER: Color = Color::Rgb(255, 176, 32);
const RED: Color = Color::Rgb(255, 45, 45);
const GREEN: Color = Color::Rgb(55, 224, 122);
const BLUE: Color = Color::Rgb(73, 182, 255);
const DIM: Color = Color::DarkGray;

/// Draws the whole view into `area`.
pub(crate) fn draw(frame: &mut ratatui::Frame, view: &View) {
    let [header, dials, figures, lamps] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(header_line(view), header);
    let columns = Layout::horizontal([Constraint::Ratio(1, 3); 3]);
    let dial_areas: [Rect; 3] = columns.areas(dials);
    let figure_areas: [Rect; 3] = columns.areas(figures);
    for gauge in Gauge::ALL {
        let i = gauge.index();
        draw_dial(frame, dial_areas[i], view, gauge);
        frame.render_widget(figure(view, gauge), figure_areas[i]);
    }
    frame.render_widget(lamp_row(view.sample), lamps);
}

fn header_line(view: &View) -> Paragraph<'static> {
    let source = match view.frame.map(|frame| frame.source) {
        Some(FuelSource::Official) => Span::styled("OFFICIAL", Style::new().fg(GREEN)),
        Some(FuelSource::Estimate) => Span::styled("ESTIMATE", Style::new().fg(AMBER)),
        _ => Span::styled("NO DATA", Style::new().fg(DIM)),
    };
    let link = if view.is_link_up {
        Span::styled("LINK", Style::new().fg(GREEN))
    } else {
        Span::styled("NO LINK", Style::new().fg(RED).add_modifier(Modifier::BOLD))
    };
    Paragraph::new(Line::from(vec![
        Span::styled("CLAUDE GAUGE", Style::new().add_modifier(Modifier::BOLD)),
        Span::raw("  "),
        source,
        Span::raw("  "),
        link,
        Span::styled("   q quit  a acknowledge", Style::new().fg(DIM)),
    ]))
}

fn title(gauge: Gauge) -> &'static str {
    match gauge {
        Gauge::Fuel5h => " 5H FUEL ",
        Gauge::Tach => " TOK/MIN ",
        Gauge::Fuel7d => " 7D FUEL ",
    }
}

fn draw_dial(frame: &mut ratatui::Frame, area: Rect, view: &View, gauge: Gauge) {
    let block = Block::bordered()
        .title(title(gauge))
        .border_style(Style::new().fg(DIM));
    let inner = block.inner(area);
    // Terminal cells are about twice as tall as wide: scale the bounds so the dial is round.
    let (cols, rows) = (
        f64::from(inner.width.max(1)),
        f64::from(inner.height.max(1)) * 2.0,
    );
    let (x_span, y_span) = if cols >= rows {
        (1.15 * cols / rows, 1.15)
    } else {
        (1.15, 1.15 * rows / cols)
    };
    let config = *view.config;
    let position = view.sample.positions[gauge.index()];
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([-x_span, x_span])
        .y_bounds([-y_span, y_span])
        .paint(move |ctx| paint_dial(ctx, &config, gauge, position));
    frame.render_widget(canvas, area);
}

fn point(angle_deg: f64, radius: f64) -> (f64, f64) {
    let radians = angle_deg.to_radians();
    (radius * radians.sin(), radius * radians.cos())
}

fn paint_dial(ctx: &mut Context, config: &ClusterConfig, gauge: Gauge, position_steps: u16) {
    let dial = config.dial(gauge);
    let zero = dial.zero_offset_steps();
    let full = dial.full_scale_steps();
    let at = |fraction: f64| {
        // Fractions of full scale, rounded to a step as the motor would be.
        let steps = (f64::from(zero) + fraction * f64::from(full)).round();
        f64::from(config.needle_angle_deg(gauge, steps as f32))
    };
    let redline_from = (gauge == Gauge::Tach).then(|| {
        let tach = config.tach_scale();
        f64::from(tach.redline_per_min()) / f64::from(tach.full_scale_per_min().max(1))
    });
    let ticks = 20;
    for i in 0..=ticks {
        let fraction = f64::from(i) / f64::from(ticks);
        let (x1, y1) = point(at(fraction), 1.0);
        let inner = if i % 5 == 0 { 0.78 } else { 0.9 };
        let (x2, y2) = point(at(fraction), inner);
        let is_red = redline_from.is_some_and(|red| fraction >= red)
            || (gauge != Gauge::Tach && fraction < 0.2);
        let color = match (is_red, gauge) {
            (true, Gauge::Tach) => RED,
            (true, _) => AMBER,
            _ => Color::Gray,
        };
        ctx.draw(&CanvasLine {
            x1,
            y1,
            x2,
            y2,
            color,
        });
    }
    let full_k = config.tach_scale().full_scale_per_min() / 1000;
    let labels: [(f64, String); 3] = if gauge == Gauge::Tach {
        [
            (0.0, "0".into()),
            (0.5, format!("{}k", full_k / 2)),
            (1.0, format!("{full_k}k")),
        ]
    } else {
        [(0.0, "E".into()), (0.5, "½".into()), (1.0, "F".into())]
    };
    for (fraction, text) in labels {
        let (x, y) = point(at(fraction), 0.6);
        ctx.print(
            x,
            y,
            Span::styled(text, Style::new().add_modifier(Modifier::BOLD)),
        );
    }
    ctx.layer();
    let angle = f64::from(config.needle_angle_deg(gauge, f32::from(position_steps)));
    let (x2, y2) = point(angle, 0.85);
    ctx.draw(&CanvasLine {
        x1: 0.0,
        y1: 0.0,
        x2,
        y2,
        color: NEEDLE,
    });
}

fn countdown(reset_secs: Option<u64>, now_secs: u64) -> String {
    let Some(reset) = reset_secs else {
        return "reset --".into();
    };
    let left = reset.saturating_sub(now_secs);
    let (days, hours, mins) = (left / 86_400, left % 86_400 / 3600, left % 3600 / 60);
    if days > 0 {
        format!("reset {days}d {hours}h")
    } else {
        format!("reset {hours}h {mins:02}m")
    }
}

fn figure(view: &View, gauge: Gauge) -> Paragraph<'static> {
    let percent = |fuel: Option<f32>| fuel.map_or("--".into(), |f| format!("{:.0}%", f * 100.0));
    let (value, detail) = match (view.frame, gauge) {
        (None, _) => ("--".to_string(), String::new()),
        (Some(frame), Gauge::Fuel5h) => (
            percent(frame.fuel_5h),
            countdown(frame.reset_5h, view.now_secs),
        ),
        (Some(frame), Gauge::Fuel7d) => (
            percent(frame.fuel_7d),
            countdown(frame.reset_7d, view.now_secs),
        ),
        (Some(frame), Gauge::Tach) => (format!("{} tok/min", frame.tach), String::new()),
    };
    Paragraph::new(vec![
        Line::styled(value, Style::new().add_modifier(Modifier::BOLD)),
        Line::styled(detail, Style::new().fg(AMBER)),
    ])
    .centered()
}

fn lamp_span(label: &str, pattern: &str, is_on: bool, color: Color) -> Span<'static> {
    // Lit lamps are bracketed, so a plain-text snapshot tells them apart; the colour blinks.
    if pattern == "off" {
        return Span::styled(format!(" {label} "), Style::new().fg(DIM));
    }
    let style = if is_on {
        Style::new()
            .fg(Color::Black)
            .bg(color)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(color)
    };
    Span::styled(format!("[{label}]"), style)
}

fn lamp_row(sample: &Sample) -> Paragraph<'static> {
    let mut spans = Vec::new();
    for model in ["opus", "sonnet", "haiku"] {
        let is_lit = sample.model == Some(model);
        let pattern = if is_lit { "steady" } else { "off" };
        spans.push(lamp_span(&model.to_uppercase(), pattern, is_lit, BLUE));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw("  "));
    for lamp in &sample.lamps {
        let color = match lamp.lamp {
            "HOT" | "LIMIT" | "STALL" => RED,
            "IDLE" => GREEN,
            _ => AMBER,
        };
        spans.push(lamp_span(lamp.lamp, lamp.pattern, lamp.is_on, color));
        spans.push(Span::raw(" "));
    }
    Paragraph::new(Line::from(spans)).centered()
}

/// Renders the view into a `width` x `height` text grid (no colours): `watch --once` and tests.
pub(crate) fn render_text(view: &View, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let Ok(mut terminal) = ratatui::Terminal::new(backend) else {
        return String::new();
    };
    if terminal.draw(|frame| draw(frame, view)).is_err() {
        return String::new();
    }
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        let row: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        text.push_str(row.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Simulator;

    const FRAME: &[u8] = br#"{"v":1,"seq":3,"ts":0,"fuel_5h":0.58,"fuel_7d":0.17,"tach":3120,"reset_5h":7200,"reset_7d":300000,"model":"opus","source":"official","lamps":["WARN_7D","IDLE"]}"#;

    fn settled() -> (Simulator, u64) {
        let mut sim = Simulator::new(ClusterConfig::default().with_boot_sweep(false));
        for second in 0..8 {
            sim.feed(FRAME, second * 1_000_000);
        }
        sim.advance(8_000_000);
        (sim, 8_000_000)
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
        };
        for (width, height) in [(1, 1), (20, 5), (40, 12), (200, 60)] {
            let text = render_text(&view, width, height);
            assert_eq!(text.lines().count(), usize::from(height));
        }
    }
}
