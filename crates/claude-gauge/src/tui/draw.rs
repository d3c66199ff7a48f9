//! Drawing the cluster in a terminal: three round dials on braille canvases (each fuel dial with
//! its pace mark), the figures (with the run-out), Claude's other windows and the annunciator
//! row, from a [`View`]. Pure: a ratatui `Frame` in, nothing else touched. The faces (ticks,
//! figures, zones) are gauge-core's ([`Gauge::face`], `docs/gauge-core.md`, "Scales").

use gauge_core::{ClusterConfig, Frame, FuelSource, Gauge, ZoneKind, FULL_SCALE_BP};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Context, Line as CanvasLine};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::sim::Sample;
use gauge_daemon::LimitsReport;

mod pace;

use pace::{empty_in, other_windows_line, pace_of, paint_pace_mark};

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
    /// Whether keys work (the live view): only then are the key hints shown.
    pub(crate) is_interactive: bool,
    /// The daemon's limits report (`/limits`), for Claude's other windows and extra usage.
    pub(crate) limits: Option<&'a LimitsReport>,
}

impl View<'_> {
    /// Whether the last frame says `gauge`'s fuel is unknown, so its needle parks below E
    /// (not while stalled: then every needle rests at its zero).
    fn is_unknown(&self, gauge: Gauge) -> bool {
        let frame = self.frame.filter(|_| !self.sample.is_stalled);
        frame.is_some_and(|frame| match gauge {
            Gauge::Fuel5h => frame.fuel_5h.is_none(),
            Gauge::Tach => false,
            Gauge::Fuel7d => frame.fuel_7d.is_none(),
        })
    }
}

const NEEDLE: Color = Color::Rgb(255, 90, 31);
const AMBER: Color = Color::Rgb(255, 176, 32);
const RED: Color = Color::Rgb(255, 45, 45);
const GREEN: Color = Color::Rgb(55, 224, 122);
const BLUE: Color = Color::Rgb(73, 182, 255);
const DIM: Color = Color::DarkGray;

/// Draws the whole view into `area`.
pub(crate) fn draw(frame: &mut ratatui::Frame, view: &View) {
    let hint = unknown_fuel_hint(view);
    // One line, two when it does not fit the width.
    let hint_lines = hint.as_ref().map_or(0, |hint| {
        let width = usize::from(frame.area().width.max(1));
        if hint.chars().count() > width {
            2
        } else {
            1
        }
    });
    let windows = other_windows_line(view);
    let [header, dials, figures, hint_area, windows_area, lamps] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(2),
        Constraint::Length(hint_lines),
        Constraint::Length(u16::from(windows.is_some())),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    if let Some(windows) = windows {
        frame.render_widget(windows, windows_area);
    }
    frame.render_widget(header_line(view), header);
    if let Some(hint) = hint {
        let paragraph = Paragraph::new(hint)
            .style(Style::new().fg(AMBER))
            .wrap(Wrap { trim: true })
            .centered();
        frame.render_widget(paragraph, hint_area);
    }
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
    let mut spans = vec![
        Span::styled("CLAUDE GAUGE", Style::new().add_modifier(Modifier::BOLD)),
        Span::raw("  "),
        source,
        Span::raw("  "),
        link,
    ];
    if view.is_interactive {
        spans.push(Span::styled(
            "   q quit  a acknowledge",
            Style::new().fg(DIM),
        ));
    }
    Paragraph::new(Line::from(spans))
}

/// How to get a value for each unknown fuel, or `None` when every fuel is known.
fn unknown_fuel_hint(view: &View) -> Option<String> {
    let keys: Vec<&str> = [
        (Gauge::Fuel5h, "limits.tokens_5h"),
        (Gauge::Fuel7d, "limits.tokens_7d"),
    ]
    .into_iter()
    .filter(|(gauge, _)| view.is_unknown(*gauge))
    .map(|(_, key)| key)
    .collect();
    let which = match keys.as_slice() {
        [] => return None,
        ["limits.tokens_5h"] => "5H FUEL",
        ["limits.tokens_7d"] => "7D FUEL",
        _ => "5H and 7D FUEL",
    };
    Some(format!(
        "{which} unknown, needle below E: set {} or run claude-gauge install-statusline",
        keys.join(" and ")
    ))
}

fn title(gauge: Gauge) -> String {
    match gauge {
        Gauge::Fuel5h => " 5H FUEL ".into(),
        // The tach's figures are in the face's unit (thousands of tokens per minute).
        Gauge::Tach => format!(" {} ", gauge.face().unit()),
        Gauge::Fuel7d => " 7D FUEL ".into(),
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
    // A parked needle is drawn dim: it shows no value.
    let needle = if view.is_unknown(gauge) { DIM } else { NEEDLE };
    let pace = pace_of(view, gauge);
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([-x_span, x_span])
        .y_bounds([-y_span, y_span])
        .paint(move |ctx| {
            paint_dial(ctx, &config, gauge, (position, needle));
            paint_pace_mark(ctx, &config, gauge, pace);
        });
    frame.render_widget(canvas, area);
}

fn point(angle_deg: f64, radius: f64) -> (f64, f64) {
    let radians = angle_deg.to_radians();
    (radius * radians.sin(), radius * radians.cos())
}

fn paint_dial(ctx: &mut Context, config: &ClusterConfig, gauge: Gauge, needle: (u16, Color)) {
    let dial = config.dial(gauge);
    let face = gauge.face();
    // Scale positions land on whole steps, as the motor would put them.
    let at = |scale_bp: u16| {
        f64::from(config.needle_angle_deg(gauge, dial.position_steps(scale_bp) as f32))
    };
    let zone = face.zone();
    let zone_color = match zone.kind {
        ZoneKind::Redline => RED,
        ZoneKind::Reserve => AMBER,
    };
    // Sub-ticks fill the zone's colour in between the face's ticks.
    let fine = face.tick_intervals().saturating_mul(4);
    for i in 0..=fine {
        let bp = u16::try_from(u32::from(i) * u32::from(FULL_SCALE_BP) / u32::from(fine))
            .unwrap_or(FULL_SCALE_BP);
        let is_tick = i % 4 == 0;
        let is_zone = (zone.from_bp..=zone.to_bp).contains(&bp);
        if !is_tick && !is_zone {
            continue;
        }
        let inner = match (is_tick, face.is_major_tick(i / 4)) {
            (true, true) => 0.78,
            (true, false) => 0.9,
            (false, _) => 0.96,
        };
        let (x1, y1) = point(at(bp), 1.0);
        let (x2, y2) = point(at(bp), inner);
        let color = if is_zone { zone_color } else { Color::Gray };
        ctx.draw(&CanvasLine {
            x1,
            y1,
            x2,
            y2,
            color,
        });
    }
    for label in face.labels() {
        let (x, y) = point(at(label.scale_bp), 0.6);
        ctx.print(
            x,
            y,
            Span::styled(label.text, Style::new().add_modifier(Modifier::BOLD)),
        );
    }
    ctx.layer();
    let (position_steps, color) = needle;
    let angle = f64::from(config.needle_angle_deg(gauge, f32::from(position_steps)));
    let (x2, y2) = point(angle, 0.85);
    ctx.draw(&CanvasLine {
        x1: 0.0,
        y1: 0.0,
        x2,
        y2,
        color,
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
    let with_run_out = |reset: Option<u64>, empty: Option<u64>| {
        let countdown = countdown(reset, view.now_secs);
        match empty_in(empty, view.now_secs) {
            Some(empty) => (format!("{countdown} · {empty}"), RED),
            None => (countdown, AMBER),
        }
    };
    let (value, (detail, detail_color)) = match (view.frame, gauge) {
        (None, _) => ("--".to_string(), (String::new(), AMBER)),
        (Some(frame), Gauge::Fuel5h) => (
            percent(frame.fuel_5h),
            with_run_out(frame.reset_5h, frame.empty_5h),
        ),
        (Some(frame), Gauge::Fuel7d) => (
            percent(frame.fuel_7d),
            with_run_out(frame.reset_7d, frame.empty_7d),
        ),
        (Some(frame), Gauge::Tach) => (format!("{} tok/min", frame.tach), (String::new(), AMBER)),
    };
    Paragraph::new(vec![
        Line::styled(value, Style::new().add_modifier(Modifier::BOLD)),
        Line::styled(detail, Style::new().fg(detail_color)),
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
        // A model lamp flashes (gauge-core's caution) while that model's weekly window is past
        // the warn level (WARN_OPUS, WARN_SONNET); else it burns while the model is in use.
        let caution = format!("WARN_{}", model.to_uppercase());
        let warned = sample
            .lamps
            .iter()
            .find(|lamp| lamp.lamp == caution && lamp.pattern != "off");
        let (pattern, is_on, color) = match warned {
            Some(lamp) => (lamp.pattern, lamp.is_on, AMBER),
            None if sample.model.as_deref() == Some(model) => ("steady", true, BLUE),
            None => ("off", false, BLUE),
        };
        spans.push(lamp_span(&model.to_uppercase(), pattern, is_on, color));
        spans.push(Span::raw(" "));
    }
    // Today's families beyond the three (fable, mythos, any later `claude-<family>-<n>`) are
    // shown by name, lit while in use.
    if let Some(family) = sample
        .model
        .as_deref()
        .filter(|m| !["opus", "sonnet", "haiku"].contains(m))
    {
        spans.push(lamp_span(&family.to_uppercase(), "steady", true, BLUE));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw("  "));
    // The model cautions show on the model lamps above.
    let is_model_caution = |name: &str| {
        gauge_core::Lamp::from_wire(name).is_some_and(|lamp| lamp.model_family().is_some())
    };
    for lamp in sample.lamps.iter().filter(|l| !is_model_caution(l.lamp)) {
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

/// Renders the view into a `width` x `height` cell buffer (`None` if ratatui fails).
fn render_buffer(view: &View, width: u16, height: u16) -> Option<Buffer> {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend).ok()?;
    terminal.draw(|frame| draw(frame, view)).ok()?;
    Some(terminal.backend().buffer().clone())
}

/// Renders the view into a `width` x `height` text grid (no colours): `watch --once` and tests.
pub(crate) fn render_text(view: &View, width: u16, height: u16) -> String {
    let Some(buffer) = render_buffer(view, width, height) else {
        return String::new();
    };
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
mod tests;
