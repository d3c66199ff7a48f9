//! Night dimming: an ambient-light reading becomes the lamp brightness.
//!
//! Sits beside the lamp panel: the firmware samples a light sensor (an LDR divider on an ADC
//! pin) a few times a second, [`NightDimmer::update`] smooths and maps the reading, and the
//! result goes to [`crate::Cluster::set_brightness_pct`]. A dark room dims the lamps to
//! `min_pct`; a bright one drives them at `max_pct`; in between is linear.

/// Night-dimming settings. `Copy + Default` (12-bit ADC, dark ≤ 200, bright ≥ 3000,
/// 10..100 %, smoothing over about 8 samples).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DimmerConfig {
    dark_raw: u16,
    bright_raw: u16,
    min_pct: u8,
    max_pct: u8,
    smoothing_shift: u8,
}

impl Default for DimmerConfig {
    fn default() -> Self {
        DimmerConfig {
            dark_raw: 200,
            bright_raw: 3_000,
            min_pct: 10,
            max_pct: 100,
            smoothing_shift: 3,
        }
    }
}

impl DimmerConfig {
    /// Readings at or below `dark_raw` give the minimum, at or above `bright_raw` the maximum
    /// (the two are swapped if given the wrong way round).
    #[must_use]
    pub const fn with_raw_range(mut self, dark_raw: u16, bright_raw: u16) -> Self {
        if dark_raw <= bright_raw {
            self.dark_raw = dark_raw;
            self.bright_raw = bright_raw;
        } else {
            self.dark_raw = bright_raw;
            self.bright_raw = dark_raw;
        }
        self
    }

    /// The brightness range, percent (clamped to 100; `min_pct` at most `max_pct`).
    #[must_use]
    pub const fn with_brightness_range_pct(mut self, min_pct: u8, max_pct: u8) -> Self {
        let max_pct = if max_pct > 100 { 100 } else { max_pct };
        self.max_pct = max_pct;
        self.min_pct = if min_pct > max_pct { max_pct } else { min_pct };
        self
    }

    /// Exponential smoothing weight 1/2^`shift` per new sample (0 = none, at most 8).
    #[must_use]
    pub const fn with_smoothing_shift(mut self, shift: u8) -> Self {
        self.smoothing_shift = if shift > 8 { 8 } else { shift };
        self
    }
}

/// Smooths light readings and maps them to a lamp brightness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NightDimmer {
    config: DimmerConfig,
    /// The smoothed reading, scaled by 256 so small steps are not lost.
    smoothed_x256: Option<u32>,
}

impl NightDimmer {
    /// A dimmer with no reading yet (the first reading is taken as is).
    pub const fn new(config: DimmerConfig) -> NightDimmer {
        NightDimmer {
            config,
            smoothed_x256: None,
        }
    }

    /// Takes one raw sensor reading; returns the brightness to show, percent.
    pub fn update(&mut self, raw: u16) -> u8 {
        let sample = u32::from(raw) << 8;
        let smoothed = match self.smoothed_x256 {
            None => sample,
            Some(prev) => {
                let shift = u32::from(self.config.smoothing_shift);
                // prev + (sample - prev) / 2^shift, in signed steps so it moves both ways.
                let delta = (i64::from(sample) - i64::from(prev)) >> shift;
                u32::try_from(i64::from(prev) + delta).unwrap_or(sample)
            }
        };
        self.smoothed_x256 = Some(smoothed);
        self.brightness_pct()
    }

    /// The brightness for the smoothed reading so far (the maximum before any reading).
    pub fn brightness_pct(&self) -> u8 {
        let DimmerConfig {
            dark_raw,
            bright_raw,
            min_pct,
            max_pct,
            ..
        } = self.config;
        let Some(smoothed) = self.smoothed_x256 else {
            return max_pct;
        };
        let raw = smoothed >> 8;
        let (dark, bright) = (u32::from(dark_raw), u32::from(bright_raw));
        if raw <= dark {
            return min_pct;
        }
        if raw >= bright {
            return max_pct;
        }
        let span_pct = u32::from(max_pct - min_pct);
        let above = (raw - dark) * span_pct / (bright - dark);
        // above < span_pct <= 100, so the sum fits in a u8.
        min_pct + u8::try_from(above).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_dark_to_min_bright_to_max_and_linear_between() {
        let config = DimmerConfig::default().with_smoothing_shift(0);
        let mut dimmer = NightDimmer::new(config);
        assert_eq!(dimmer.brightness_pct(), 100);
        assert_eq!(dimmer.update(0), 10);
        assert_eq!(dimmer.update(4095), 100);
        assert_eq!(dimmer.update(1600), 55);
    }

    #[test]
    fn smoothing_moves_gradually_and_configs_clamp() {
        let mut dimmer = NightDimmer::new(DimmerConfig::default());
        assert_eq!(dimmer.update(3000), 100);
        let first = dimmer.update(0);
        assert!(first > 10 && first < 100, "{first}");
        let later = (0..100).map(|_| dimmer.update(0)).last();
        assert_eq!(later, Some(10));
        let odd = DimmerConfig::default()
            .with_raw_range(3000, 200)
            .with_brightness_range_pct(120, 50);
        let expected = DimmerConfig::default()
            .with_raw_range(200, 3000)
            .with_brightness_range_pct(50, 50);
        assert_eq!(odd, expected);
    }
}
