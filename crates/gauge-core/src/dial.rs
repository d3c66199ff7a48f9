//! Dials: a frame value -> a needle position, per gauge, through a calibration.
//!
//! Values reach a dial as a scale position in basis points (`_bp`: 0 = E or zero,
//! 10 000 = F or full scale), integer so the firmware (no FPU on the C3) and the browser compute
//! the same steps. Positions are steps above the stop, the motion's coordinates. An unknown
//! reading has no scale position: its needle parks below the zero ([`DialCalibration::park_steps`]).
//! What the faces print is in [`crate::DialFace`].

use crate::error::ConfigError;
use crate::scale::{FULL_SCALE_BP, TACH_FULL_SCALE_PER_MIN, TACH_REDLINE_PER_MIN};

/// The most points a [`DialCalibration`] table holds.
pub const CALIBRATION_MAX_POINTS: usize = 8;

/// One calibration point: at `scale_bp` of the scale, the needle sits `offset_steps` above the
/// dial's zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CalibrationPoint {
    /// Where on the scale, basis points (0..=10 000).
    pub scale_bp: u16,
    /// How far above the dial zero the needle points there, steps.
    pub offset_steps: u16,
}

impl CalibrationPoint {
    /// A point: `scale_bp` of the scale sits `offset_steps` above the dial zero.
    pub const fn new(scale_bp: u16, offset_steps: u16) -> CalibrationPoint {
        CalibrationPoint {
            scale_bp,
            offset_steps,
        }
    }
}

/// How one dial's scale maps onto needle steps. `Copy + Default`.
///
/// Linear by default: 0 bp at `zero_offset_steps` above the stop, 10 000 bp at
/// `zero_offset_steps + full_scale_steps`. With a table (2 to 8 points, `scale_bp` strictly
/// increasing), positions are interpolated between points; below the first point toward
/// (0 bp, 0 steps), above the last toward (10 000 bp, `full_scale_steps`). An unknown reading
/// parks the needle at `park_steps`, below the zero: off the scale, as a fuel gauge with the
/// ignition off rests below E.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DialCalibration {
    zero_offset_steps: u16,
    full_scale_steps: u16,
    park_steps: u16,
    points: [CalibrationPoint; CALIBRATION_MAX_POINTS],
    len: u8,
}

impl Default for DialCalibration {
    fn default() -> Self {
        DialCalibration::x27_direct()
    }
}

impl DialCalibration {
    /// A 270° dial on a direct-drive X27: zero 5° above the stop (Juken's zeroing), 810 steps;
    /// an unknown reading parks on the stop, 5° below the zero.
    pub const fn x27_direct() -> DialCalibration {
        DialCalibration::linear(15, 810)
    }

    /// The same dial in VID6606 microsteps (×4).
    pub const fn vid6606() -> DialCalibration {
        DialCalibration::linear(60, 3240)
    }

    /// A linear dial: zero at `zero_offset_steps`, full scale `full_scale_steps` above it; an
    /// unknown reading parks on the stop.
    pub const fn linear(zero_offset_steps: u16, full_scale_steps: u16) -> DialCalibration {
        DialCalibration {
            zero_offset_steps,
            full_scale_steps,
            park_steps: 0,
            points: [CalibrationPoint::new(0, 0); CALIBRATION_MAX_POINTS],
            len: 0,
        }
    }

    /// Moves the dial's zero (needle fit, clone variance).
    #[must_use]
    pub const fn with_zero_offset_steps(mut self, zero_offset_steps: u16) -> Self {
        self.zero_offset_steps = zero_offset_steps;
        self
    }

    /// Sets how many steps full scale lies above the zero.
    #[must_use]
    pub const fn with_full_scale_steps(mut self, full_scale_steps: u16) -> Self {
        self.full_scale_steps = full_scale_steps;
        self
    }

    /// Parks the needle of an unknown reading at `park_steps` above the stop. It stays below the
    /// zero ([`park_steps`](Self::park_steps) is at most `zero_offset_steps`): a parked needle
    /// must never point at a value. The stop (0) is always within the motor's travel.
    #[must_use]
    pub const fn with_park_steps(mut self, park_steps: u16) -> Self {
        self.park_steps = park_steps;
        self
    }

    /// Uses a piecewise-linear table (an empty slice goes back to linear).
    pub fn with_points(mut self, points: &[CalibrationPoint]) -> Result<Self, ConfigError> {
        if points.len() == 1 {
            return Err(ConfigError::TooFewRows { len: 1 });
        }
        if points.len() > CALIBRATION_MAX_POINTS {
            return Err(ConfigError::TooManyRows {
                len: points.len(),
                max: CALIBRATION_MAX_POINTS,
            });
        }
        for (row, pair) in points.windows(2).enumerate() {
            if pair[1].scale_bp <= pair[0].scale_bp {
                return Err(ConfigError::NotIncreasing { row: row + 1 });
            }
        }
        self.points[..points.len()].copy_from_slice(points);
        // At most CALIBRATION_MAX_POINTS (8), checked above.
        self.len = points.len() as u8;
        Ok(self)
    }

    /// The dial zero, steps above the stop.
    pub const fn zero_offset_steps(&self) -> u16 {
        self.zero_offset_steps
    }

    /// Full scale, steps above the dial zero.
    pub const fn full_scale_steps(&self) -> u16 {
        self.full_scale_steps
    }

    /// Where the needle of an unknown reading parks, steps above the stop: the configured park
    /// position, but never above the dial zero.
    pub const fn park_steps(&self) -> u16 {
        if self.park_steps < self.zero_offset_steps {
            self.park_steps
        } else {
            self.zero_offset_steps
        }
    }

    /// The calibration table (empty when linear).
    pub fn points(&self) -> &[CalibrationPoint] {
        &self.points[..usize::from(self.len)]
    }

    /// The needle position for `scale_bp` (clamped to 0..=10 000), steps above the stop.
    pub fn position_steps(&self, scale_bp: u16) -> i32 {
        let scale = scale_bp.min(FULL_SCALE_BP);
        let start = CalibrationPoint::new(0, 0);
        let end = CalibrationPoint::new(FULL_SCALE_BP, self.full_scale_steps);
        let points = self.points();
        let below = points
            .iter()
            .rev()
            .find(|p| p.scale_bp <= scale)
            .copied()
            .unwrap_or(start);
        let above = points
            .iter()
            .find(|p| p.scale_bp > scale)
            .copied()
            .unwrap_or(end);
        i32::from(self.zero_offset_steps) + interpolate(below, above, scale)
    }

    /// The needle position for a reading: [`position_steps`](Self::position_steps) for a known
    /// scale position, [`park_steps`](Self::park_steps) for an unknown one (`None`).
    pub fn reading_steps(&self, scale_bp: Option<u16>) -> i32 {
        match scale_bp {
            Some(scale_bp) => self.position_steps(scale_bp),
            None => i32::from(self.park_steps()),
        }
    }
}

fn interpolate(a: CalibrationPoint, b: CalibrationPoint, scale_bp: u16) -> i32 {
    if b.scale_bp <= a.scale_bp {
        return i32::from(a.offset_steps);
    }
    let span = i32::from(b.scale_bp) - i32::from(a.scale_bp);
    let into = i32::from(scale_bp) - i32::from(a.scale_bp);
    let rise = i32::from(b.offset_steps) - i32::from(a.offset_steps);
    // Round half away from zero so the same value lands on the same step everywhere.
    let scaled = rise * into;
    let rounded = (scaled + scaled.signum() * span / 2) / span;
    i32::from(a.offset_steps) + rounded
}

/// A fuel fraction (0..=1) as a scale position: E = 0 bp, F = 10 000 bp. Unknown (`None`, or
/// NaN, which the protocol reads as unknown) has no scale position: the needle parks
/// ([`DialCalibration::reading_steps`]).
pub fn fuel_scale_bp(fuel: Option<f32>) -> Option<u16> {
    match fuel {
        Some(fraction) if fraction.is_nan() => None,
        // `as` saturates, so any other f32 lands in 0..=10 000 after the clamp.
        Some(fraction) => Some(((fraction * 10_000.0 + 0.5) as u16).min(FULL_SCALE_BP)),
        None => None,
    }
}

/// The tachometer's scale: tokens per minute at full scale, and where the redline starts.
/// `Copy + Default` ([`TACH_FULL_SCALE_PER_MIN`] at full scale, redline from
/// [`TACH_REDLINE_PER_MIN`]: the daemon's default `HOT` threshold; see `docs/gauge-core.md`,
/// "Scales").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TachScale {
    full_scale_per_min: u32,
    redline_per_min: u32,
}

impl Default for TachScale {
    fn default() -> Self {
        TachScale {
            full_scale_per_min: TACH_FULL_SCALE_PER_MIN,
            redline_per_min: TACH_REDLINE_PER_MIN,
        }
    }
}

impl TachScale {
    /// Sets tokens per minute at full scale (at least 1).
    #[must_use]
    pub const fn with_full_scale_per_min(mut self, full_scale_per_min: u32) -> Self {
        self.full_scale_per_min = if full_scale_per_min == 0 {
            1
        } else {
            full_scale_per_min
        };
        self
    }

    /// Sets where the redline zone starts, tokens per minute.
    #[must_use]
    pub const fn with_redline_per_min(mut self, redline_per_min: u32) -> Self {
        self.redline_per_min = redline_per_min;
        self
    }

    /// Tokens per minute at full scale.
    pub const fn full_scale_per_min(&self) -> u32 {
        self.full_scale_per_min
    }

    /// Where the redline zone starts, tokens per minute.
    pub const fn redline_per_min(&self) -> u32 {
        self.redline_per_min
    }

    /// A tach reading as a scale position (pegged at full scale).
    pub fn scale_bp(&self, tokens_per_min: u32) -> u16 {
        let clamped = u64::from(tokens_per_min.min(self.full_scale_per_min));
        let bp = (clamped * u64::from(FULL_SCALE_BP) + u64::from(self.full_scale_per_min) / 2)
            / u64::from(self.full_scale_per_min);
        // At most FULL_SCALE_BP by the clamp above.
        bp as u16
    }

    /// Where the redline zone starts on the scale (it runs to full scale).
    pub fn redline_scale_bp(&self) -> u16 {
        self.scale_bp(self.redline_per_min)
    }

    /// Whether a reading is in the redline zone.
    pub const fn is_redline(&self, tokens_per_min: u32) -> bool {
        tokens_per_min >= self.redline_per_min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_dial_maps_ends_and_middle() {
        let dial = DialCalibration::default();
        assert_eq!(dial.position_steps(0), 15);
        assert_eq!(dial.position_steps(5_000), 15 + 405);
        assert_eq!(dial.position_steps(10_000), 825);
        assert_eq!(dial.position_steps(u16::MAX), 825);
    }

    #[test]
    fn table_dial_interpolates_between_points() {
        let points = [
            CalibrationPoint::new(2_500, 100),
            CalibrationPoint::new(7_500, 700),
        ];
        let dial = DialCalibration::linear(10, 800)
            .with_points(&points)
            .unwrap();
        assert_eq!(dial.position_steps(0), 10);
        assert_eq!(dial.position_steps(1_250), 10 + 50);
        assert_eq!(dial.position_steps(2_500), 110);
        assert_eq!(dial.position_steps(5_000), 10 + 400);
        assert_eq!(dial.position_steps(8_750), 10 + 750);
        assert_eq!(dial.position_steps(10_000), 810);
        let unsorted = [CalibrationPoint::new(5, 1), CalibrationPoint::new(5, 2)];
        assert_eq!(
            DialCalibration::default().with_points(&unsorted),
            Err(ConfigError::NotIncreasing { row: 1 })
        );
        assert!(DialCalibration::default()
            .with_points(&points[..1])
            .is_err());
    }

    #[test]
    fn an_unknown_reading_parks_below_the_zero() {
        let dial = DialCalibration::default();
        assert_eq!(dial.park_steps(), 0);
        assert_eq!(dial.reading_steps(None), 0);
        assert!(dial.reading_steps(None) < dial.position_steps(0));
        assert_eq!(dial.reading_steps(Some(5_000)), dial.position_steps(5_000));
        assert_eq!(DialCalibration::vid6606().reading_steps(None), 0);
        // A park position is kept below the zero, whichever setter runs last.
        assert_eq!(dial.with_park_steps(9).park_steps(), 9);
        assert_eq!(dial.with_park_steps(900).park_steps(), 15);
        let moved = dial.with_park_steps(12).with_zero_offset_steps(10);
        assert_eq!(moved.reading_steps(None), 10);
    }

    #[test]
    fn fuel_and_tach_scales() {
        assert_eq!(fuel_scale_bp(None), None);
        assert_eq!(fuel_scale_bp(Some(0.58)), Some(5_800));
        assert_eq!(fuel_scale_bp(Some(f32::NAN)), None);
        assert_eq!(fuel_scale_bp(Some(-1.0)), Some(0));
        assert_eq!(fuel_scale_bp(Some(7.0)), Some(10_000));
        let tach = TachScale::default();
        assert_eq!(tach.scale_bp(3_120), 624);
        assert_eq!(tach.scale_bp(u32::MAX), 10_000);
        assert_eq!(tach.redline_scale_bp(), 8_000);
        assert!(tach.is_redline(40_000) && !tach.is_redline(39_999));
        assert_eq!(
            TachScale::default().with_full_scale_per_min(0).scale_bp(5),
            10_000
        );
    }
}
