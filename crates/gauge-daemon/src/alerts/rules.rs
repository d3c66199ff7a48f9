//! When an alert fires: the pure rules over the frames the engine publishes, and the marks that
//! make each alert fire once.
//!
//! A fuel threshold fires when a window's remaining fuel falls to it or under, and re-arms only
//! when the fuel rises above it by [`REARM_MARGIN`] (after a reset, say), so a reading that
//! wobbles around a threshold says it once. A reset notice fires when a window's reset time
//! moves on after the old one passed. LIMIT fires when its lamp lights, and re-arms when it
//! goes out. What fired is a mark ([`Marks`]), kept in the store, so a restart does not fire it
//! again.

use std::collections::HashMap;

use gauge_core::{Frame, FuelSource, Lamp};

/// How far above a threshold fuel must rise before that threshold can fire again.
pub(crate) const REARM_MARGIN: f64 = 0.05;
/// Slack for `f32` fuel against an `f64` threshold: 50 % used is exactly the 0.5 threshold.
const EPSILON: f64 = 1e-6;

/// A 5-hour or 7-day window, as the frame carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertWindow {
    /// The 5-hour window.
    FiveHour,
    /// The 7-day window.
    SevenDay,
}

impl AlertWindow {
    /// `5h` or `7d`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertWindow::FiveHour => "5h",
            AlertWindow::SevenDay => "7d",
        }
    }

    fn fuel(self, frame: &Frame) -> Option<f64> {
        match self {
            AlertWindow::FiveHour => frame.fuel_5h,
            AlertWindow::SevenDay => frame.fuel_7d,
        }
        .map(f64::from)
    }

    fn reset_secs(self, frame: &Frame) -> Option<i64> {
        match self {
            AlertWindow::FiveHour => frame.reset_5h,
            AlertWindow::SevenDay => frame.reset_7d,
        }
        .and_then(|secs| i64::try_from(secs).ok())
    }
}

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AlertKind {
    /// Fuel fell to `threshold` (a remaining fraction) or under.
    Fuel {
        /// The window.
        window: AlertWindow,
        /// The threshold crossed.
        threshold: f64,
    },
    /// The window reset.
    Reset {
        /// The window.
        window: AlertWindow,
    },
    /// Claude reports the usage limit reached.
    Limit,
}

/// One alert, with the frame's readings at the time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// When it fired, unix seconds.
    pub at_secs: i64,
    /// Remaining 5-hour fuel (0..=1), if known.
    pub fuel_5h: Option<f64>,
    /// Remaining 7-day fuel (0..=1), if known.
    pub fuel_7d: Option<f64>,
    /// When the 5-hour window resets, unix seconds.
    pub reset_5h: Option<i64>,
    /// When the 7-day window resets, unix seconds.
    pub reset_7d: Option<i64>,
    /// Where the fuel figures come from.
    pub source: FuelSource,
}

/// Which alerts are on.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRules {
    /// Remaining-fuel fractions that fire, each in 0..1, highest first.
    pub fuel_thresholds: Vec<f64>,
    /// Say when a window resets.
    pub is_reset_on: bool,
    /// Say when the LIMIT lamp lights.
    pub is_limit_on: bool,
}

/// What fired, by key: `fuel:<window>:<threshold>` = 1 while fired, `reset:<window>` = the last
/// reset time seen (unix seconds), `limit` = 1 while lit.
pub(crate) type Marks = HashMap<String, i64>;

/// The key of a fuel threshold's mark.
pub(crate) fn fuel_key(window: AlertWindow, threshold: f64) -> String {
    format!("fuel:{}:{threshold}", window.as_str())
}

impl AlertRules {
    /// The alerts `frame` fires at `now_secs`, and the marks that changed (already applied to
    /// `marks`). A frame with unknown fuel neither fires nor re-arms that window's thresholds.
    pub fn evaluate(
        &self,
        frame: &Frame,
        now_secs: i64,
        marks: &mut Marks,
    ) -> (Vec<Alert>, Vec<(String, i64)>) {
        let mut kinds = Vec::new();
        let mut changed = Vec::new();
        let mut set = |marks: &mut Marks, key: String, value: i64| {
            if marks.get(&key) != Some(&value) {
                marks.insert(key.clone(), value);
                changed.push((key, value));
            }
        };
        for window in [AlertWindow::FiveHour, AlertWindow::SevenDay] {
            if let Some(fuel) = window.fuel(frame) {
                // One reading that crosses several thresholds says the lowest one; the higher
                // ones count as said.
                let mut lowest = None;
                for &threshold in &self.fuel_thresholds {
                    let key = fuel_key(window, threshold);
                    let is_fired = marks.get(&key) == Some(&1);
                    if !is_fired && fuel <= threshold + EPSILON {
                        set(marks, key, 1);
                        lowest = Some(threshold);
                    } else if is_fired && fuel > threshold + REARM_MARGIN {
                        set(marks, key, 0);
                    }
                }
                if let Some(threshold) = lowest {
                    kinds.push(AlertKind::Fuel { window, threshold });
                }
            }
            if let (true, Some(reset)) = (self.is_reset_on, window.reset_secs(frame)) {
                let key = format!("reset:{}", window.as_str());
                let seen = marks.get(&key).copied();
                if seen.is_some_and(|old| old != reset && old <= now_secs && reset > old) {
                    kinds.push(AlertKind::Reset { window });
                }
                set(marks, key, reset);
            }
        }
        if self.is_limit_on {
            let is_lit = frame.lamps.is_lit(Lamp::Limit);
            let was_lit = marks.get("limit") == Some(&1);
            if is_lit && !was_lit {
                kinds.push(AlertKind::Limit);
            }
            set(marks, "limit".to_string(), i64::from(is_lit));
        }
        let alerts = kinds
            .into_iter()
            .map(|kind| Alert {
                kind,
                at_secs: now_secs,
                fuel_5h: AlertWindow::FiveHour.fuel(frame),
                fuel_7d: AlertWindow::SevenDay.fuel(frame),
                reset_5h: AlertWindow::FiveHour.reset_secs(frame),
                reset_7d: AlertWindow::SevenDay.reset_secs(frame),
                source: frame.source,
            })
            .collect();
        (alerts, changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gauge_core::Lamps;

    fn frame(fuel_5h: Option<f32>, reset_5h: Option<u64>) -> Frame {
        Frame {
            v: 1,
            seq: 1,
            ts: 0,
            fuel_5h,
            fuel_7d: Some(0.9),
            tach: 0,
            reset_5h,
            reset_7d: None,
            pace_5h: None,
            pace_7d: None,
            empty_5h: None,
            empty_7d: None,
            model: None,
            source: FuelSource::Official,
            lamps: Lamps::NONE,
            ..Frame::default()
        }
    }

    fn rules() -> AlertRules {
        AlertRules {
            fuel_thresholds: vec![0.5, 0.1],
            is_reset_on: true,
            is_limit_on: true,
        }
    }

    fn fired(rules: &AlertRules, marks: &mut Marks, used_pcts: &[f32]) -> Vec<AlertKind> {
        used_pcts
            .iter()
            .flat_map(|used| {
                let fuel = 1.0 - used / 100.0;
                rules.evaluate(&frame(Some(fuel), None), 0, marks).0
            })
            .map(|alert| alert.kind)
            .collect()
    }

    #[test]
    fn each_threshold_fires_once_per_crossing() {
        let rules = rules();
        let mut marks = Marks::new();
        let kinds = fired(&rules, &mut marks, &[50.0, 60.0, 95.0, 96.0]);
        let five = AlertWindow::FiveHour;
        assert_eq!(
            kinds,
            vec![
                AlertKind::Fuel {
                    window: five,
                    threshold: 0.5
                },
                AlertKind::Fuel {
                    window: five,
                    threshold: 0.1
                },
            ]
        );
        // Wobbling just above a threshold does not re-arm it.
        assert!(fired(&rules, &mut marks, &[88.0, 91.0, 86.0, 92.0]).is_empty());
        // Rising past threshold + margin (a reset) re-arms both.
        assert!(fired(&rules, &mut marks, &[10.0]).is_empty());
        assert_eq!(fired(&rules, &mut marks, &[50.0]).len(), 1);
        assert!(fired(&rules, &mut marks, &[48.0, 52.0, 47.0]).is_empty());
        assert_eq!(fired(&rules, &mut marks, &[90.0]).len(), 1);
    }

    #[test]
    fn a_jump_past_both_thresholds_says_the_lowest() {
        let mut marks = Marks::new();
        let kinds = fired(&rules(), &mut marks, &[97.0]);
        let window = AlertWindow::FiveHour;
        assert_eq!(
            kinds,
            vec![AlertKind::Fuel {
                window,
                threshold: 0.1
            }]
        );
        assert_eq!(marks.get(&fuel_key(window, 0.5)), Some(&1));
    }

    #[test]
    fn unknown_fuel_neither_fires_nor_rearms() {
        let rules = rules();
        let mut marks = Marks::new();
        fired(&rules, &mut marks, &[95.0]);
        let (alerts, changed) = rules.evaluate(&frame(None, None), 0, &mut marks);
        assert!(alerts.is_empty() && changed.is_empty());
        assert!(fired(&rules, &mut marks, &[96.0]).is_empty());
    }

    #[test]
    fn a_reset_fires_once_the_old_reset_time_passed() {
        let rules = rules();
        let mut marks = Marks::new();
        // The first reset time seen is only remembered.
        assert!(
            rules
                .evaluate(&frame(Some(0.5), Some(1000)), 900, &mut marks)
                .0
                .len()
                == 1
        );
        // A moved reset time before the old one passed is a correction, not a reset.
        let (alerts, _) = rules.evaluate(&frame(Some(0.5), Some(1010)), 950, &mut marks);
        assert!(alerts.is_empty());
        let (alerts, _) = rules.evaluate(&frame(Some(1.0), Some(19_000)), 1_020, &mut marks);
        let window = AlertWindow::FiveHour;
        assert_eq!(alerts[0].kind, AlertKind::Reset { window });
        let (alerts, _) = rules.evaluate(&frame(Some(1.0), Some(19_000)), 1_030, &mut marks);
        assert!(alerts.is_empty());
    }

    #[test]
    fn limit_fires_when_the_lamp_lights_and_rearms_when_it_goes_out() {
        let rules = rules();
        let mut marks = Marks::new();
        let mut lit = frame(Some(0.9), None);
        lit.lamps.set(Lamp::Limit, true);
        let kinds = |marks: &mut Marks, f: &Frame| -> Vec<AlertKind> {
            rules
                .evaluate(f, 0, marks)
                .0
                .into_iter()
                .map(|a| a.kind)
                .collect()
        };
        assert_eq!(kinds(&mut marks, &lit), vec![AlertKind::Limit]);
        assert!(kinds(&mut marks, &lit).is_empty());
        assert!(kinds(&mut marks, &frame(Some(0.9), None)).is_empty());
        assert_eq!(kinds(&mut marks, &lit), vec![AlertKind::Limit]);
    }

    #[test]
    fn marks_restored_from_the_store_fire_nothing_again() {
        let rules = rules();
        let mut marks = Marks::new();
        fired(&rules, &mut marks, &[50.0, 95.0]);
        let mut restored = marks.clone();
        assert!(fired(&rules, &mut restored, &[96.0]).is_empty());
    }
}
