//! The terminal view's pace and run-out: the pace mark on each fuel dial, "empty in ..." under
//! it, and the line of Claude's other windows (from `/limits`). Apart from the dial drawing, so
//! the two change independently.

use gauge_core::{ClusterConfig, Gauge};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Context, Line as CanvasLine};
use ratatui::widgets::Paragraph;

use super::{point, View, AMBER, BLUE, DIM, RED};

/// The pace a fuel dial marks (`pace_5h` / `pace_7d`), unless the dial shows no value.
pub(super) fn pace_of(view: &View, gauge: Gauge) -> Option<f32> {
    let frame = view.frame.filter(|_| !view.sample.is_stalled)?;
    match gauge {
        Gauge::Fuel5h if frame.fuel_5h.is_some() => frame.pace_5h,
        Gauge::Fuel7d if frame.fuel_7d.is_some() => frame.pace_7d,
        _ => None,
    }
}

/// The pace mark: a short blue tick outside the scale where an even burn would have the needle
/// now (a needle below it burns faster than the window allows).
pub(super) fn paint_pace_mark(
    ctx: &mut Context,
    config: &ClusterConfig,
    gauge: Gauge,
    pace: Option<f32>,
) {
    let Some(scale_bp) = gauge_core::fuel_scale_bp(pace) else {
        return;
    };
    let steps = config.dial(gauge).position_steps(scale_bp) as f32;
    let angle = f64::from(config.needle_angle_deg(gauge, steps));
    let (x1, y1) = point(angle, 1.02);
    let (x2, y2) = point(angle, 1.14);
    ctx.draw(&CanvasLine {
        x1,
        y1,
        x2,
        y2,
        color: BLUE,
    });
}

/// `empty in 1h 12m`.
pub(super) fn empty_in(empty_secs: Option<u64>, now_secs: u64) -> Option<String> {
    let left = empty_secs?.saturating_sub(now_secs);
    let (days, hours, mins) = (left / 86_400, left % 86_400 / 3600, left % 3600 / 60);
    Some(if days > 0 {
        format!("empty in {days}d {hours}h")
    } else if hours > 0 {
        format!("empty in {hours}h {mins:02}m")
    } else {
        format!("empty in {mins}m")
    })
}

/// Claude's other windows (model windows first) and extra usage, as one line; `None` without
/// any.
pub(super) fn other_windows_line(view: &View) -> Option<Paragraph<'static>> {
    let limits = view.limits?;
    let mut windows: Vec<_> = limits.scoped.iter().collect();
    windows.sort_by_key(|w| (w.model.is_none(), w.name.clone()));
    let mut spans = Vec::new();
    for window in windows {
        let label = match &window.model {
            Some(model) => format!("7D {}", model.to_uppercase()),
            None => window.name.clone(),
        };
        let left = (100.0 - window.used_pct).clamp(0.0, 100.0);
        let color = if left < 20.0 { RED } else { Color::Gray };
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", Style::new().fg(DIM)));
        }
        spans.push(Span::styled(
            format!("{label} {left:.0}% left"),
            Style::new().fg(color),
        ));
    }
    if let Some(extra) = limits.extra_usage.as_ref().filter(|e| e.is_enabled) {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", Style::new().fg(DIM)));
        }
        let used = extra
            .used_pct
            .map_or("on".to_string(), |pct| format!("{pct:.0}% used"));
        spans.push(Span::styled(
            format!("EXTRA {used}"),
            Style::new().fg(AMBER),
        ));
    }
    (!spans.is_empty()).then(|| Paragraph::new(Line::from(spans)).centered())
}
