//! Scales: what each dial face shows (full scale, marks, labels, unit, coloured zone), in scale
//! basis points.
//!
//! The one source of truth for the printed dials, the web page (through gauge-wasm), the
//! terminal view and `docs/gauge-core.md` ("Scales", whose figures a test checks against these
//! constants). It sits beside the dials: a [`DialCalibration`](crate::DialCalibration) turns
//! basis points into steps, a [`DialFace`] says which basis points carry a mark.

/// Full scale, in basis points of the dial.
pub const FULL_SCALE_BP: u16 = 10_000;

/// The tachometer's full scale, tokens per minute ([`TachScale`](crate::TachScale)'s default).
pub const TACH_FULL_SCALE_PER_MIN: u32 = 50_000;

/// Where the tachometer's redline zone starts, tokens per minute: the daemon's default HOT
/// threshold (`lamps.redline_tokens_per_min`), so the needle enters the red as HOT lights.
pub const TACH_REDLINE_PER_MIN: u32 = 40_000;

/// Where the fuel dials' reserve zone ends (it starts at E), basis points: the daemon's default
/// WARN level (`lamps.warn_fuel_5h`, `lamps.warn_fuel_7d`: 0.2 remaining).
pub const FUEL_RESERVE_BP: u16 = 2_000;

/// What a coloured zone of a dial warns of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZoneKind {
    /// Fuel running low (amber), from E up.
    Reserve,
    /// Too fast (red), up to full scale.
    Redline,
}

/// A coloured arc on a dial face, from `from_bp` to `to_bp` of the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScaleZone {
    /// Where the arc starts, basis points.
    pub from_bp: u16,
    /// Where the arc ends, basis points.
    pub to_bp: u16,
    /// What it warns of.
    pub kind: ZoneKind,
}

/// One printed figure on a dial face.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScaleLabel {
    /// Where on the scale, basis points.
    pub scale_bp: u16,
    /// The text printed there.
    pub text: &'static str,
}

impl ScaleLabel {
    /// `text` printed at `scale_bp`.
    pub const fn new(scale_bp: u16, text: &'static str) -> ScaleLabel {
        ScaleLabel { scale_bp, text }
    }
}

/// What one dial face shows: evenly spaced ticks (every `major_every`-th one long, the first
/// and the last always long), figures, a unit and one coloured zone. `Copy`; the faces of the
/// default dials are [`DialFace::FUEL`] and [`DialFace::TACH`] ([`Gauge::face`](crate::Gauge::face)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DialFace {
    tick_intervals: u16,
    major_every: u16,
    labels: &'static [ScaleLabel],
    unit: &'static str,
    zone: ScaleZone,
}

const FUEL_LABELS: [ScaleLabel; 5] = [
    ScaleLabel::new(0, "E"),
    ScaleLabel::new(FULL_SCALE_BP / 4, "¼"),
    ScaleLabel::new(FULL_SCALE_BP / 2, "½"),
    ScaleLabel::new(FULL_SCALE_BP / 4 * 3, "¾"),
    ScaleLabel::new(FULL_SCALE_BP, "F"),
];

const TACH_LABELS: [ScaleLabel; 6] = [
    ScaleLabel::new(0, "0"),
    ScaleLabel::new(2_000, "10"),
    ScaleLabel::new(4_000, "20"),
    ScaleLabel::new(6_000, "30"),
    ScaleLabel::new(8_000, "40"),
    ScaleLabel::new(FULL_SCALE_BP, "50"),
];

/// `per_min` as basis points of [`TACH_FULL_SCALE_PER_MIN`], rounded as
/// [`TachScale::scale_bp`](crate::TachScale::scale_bp) rounds.
const fn tach_bp(per_min: u32) -> u16 {
    let full = TACH_FULL_SCALE_PER_MIN as u64;
    // per_min is at most the full scale here, so the result is at most 10 000.
    ((per_min as u64 * FULL_SCALE_BP as u64 + full / 2) / full) as u16
}

impl DialFace {
    /// The fuel dials (5 h and 7 d): E, ¼, ½, ¾, F; ticks at every eighth, long at the quarters;
    /// the reserve zone from E to [`FUEL_RESERVE_BP`].
    pub const FUEL: DialFace = DialFace {
        tick_intervals: 8,
        major_every: 2,
        labels: &FUEL_LABELS,
        unit: "FUEL",
        zone: ScaleZone {
            from_bp: 0,
            to_bp: FUEL_RESERVE_BP,
            kind: ZoneKind::Reserve,
        },
    };

    /// The tachometer: 0 to [`TACH_FULL_SCALE_PER_MIN`] tokens per minute, figures in thousands
    /// every 10 000, ticks every 2 500; the redline zone from [`TACH_REDLINE_PER_MIN`] to full
    /// scale.
    pub const TACH: DialFace = DialFace {
        tick_intervals: 20,
        major_every: 4,
        labels: &TACH_LABELS,
        unit: "×1000 TOK/MIN",
        zone: ScaleZone {
            from_bp: tach_bp(TACH_REDLINE_PER_MIN),
            to_bp: FULL_SCALE_BP,
            kind: ZoneKind::Redline,
        },
    };

    /// A face: `tick_intervals` equal intervals (at least 1), every `major_every`-th tick long
    /// (at least 1), `labels` printed, `unit` under the hub, `zone` coloured.
    pub const fn new(
        tick_intervals: u16,
        major_every: u16,
        labels: &'static [ScaleLabel],
        unit: &'static str,
        zone: ScaleZone,
    ) -> DialFace {
        DialFace {
            tick_intervals: if tick_intervals == 0 {
                1
            } else {
                tick_intervals
            },
            major_every: if major_every == 0 { 1 } else { major_every },
            labels,
            unit,
            zone,
        }
    }

    /// How many equal intervals the ticks divide the scale into (ticks = intervals + 1).
    pub const fn tick_intervals(&self) -> u16 {
        self.tick_intervals
    }

    /// Every this many ticks one is long (a major tick), counting from the first.
    pub const fn major_every(&self) -> u16 {
        self.major_every
    }

    /// Where tick `index` (0..=[`tick_intervals`](Self::tick_intervals)) sits, basis points.
    pub const fn tick_bp(&self, index: u16) -> u16 {
        let index = if index > self.tick_intervals {
            self.tick_intervals
        } else {
            index
        };
        let bp = index as u32 * FULL_SCALE_BP as u32 / self.tick_intervals as u32;
        // index <= tick_intervals, so bp <= FULL_SCALE_BP.
        bp as u16
    }

    /// Whether tick `index` is long: every [`major_every`](Self::major_every)-th, and both ends.
    pub const fn is_major_tick(&self, index: u16) -> bool {
        index.is_multiple_of(self.major_every) || index >= self.tick_intervals
    }

    /// The printed figures, in scale order.
    pub const fn labels(&self) -> &'static [ScaleLabel] {
        self.labels
    }

    /// The unit printed under the hub.
    pub const fn unit(&self) -> &'static str {
        self.unit
    }

    /// The coloured zone.
    pub const fn zone(&self) -> ScaleZone {
        self.zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dial::TachScale;

    #[test]
    fn the_tach_face_matches_the_tach_scale() {
        let scale = TachScale::default();
        assert_eq!(scale.full_scale_per_min(), TACH_FULL_SCALE_PER_MIN);
        assert_eq!(scale.redline_per_min(), TACH_REDLINE_PER_MIN);
        assert_eq!(DialFace::TACH.zone().from_bp, scale.redline_scale_bp());
        // Each figure is its scale position in thousands of tokens per minute.
        for label in DialFace::TACH.labels() {
            let per_min: u32 = label.text.parse::<u32>().unwrap() * 1000;
            assert_eq!(scale.scale_bp(per_min), label.scale_bp, "{label:?}");
        }
    }

    #[test]
    fn ticks_span_the_scale_with_long_ends() {
        for face in [DialFace::FUEL, DialFace::TACH] {
            let last = face.tick_intervals();
            assert_eq!(face.tick_bp(0), 0);
            assert_eq!(face.tick_bp(last), FULL_SCALE_BP);
            assert_eq!(face.tick_bp(last + 5), FULL_SCALE_BP);
            assert!(face.is_major_tick(0) && face.is_major_tick(last));
            // Every figure sits on a long tick.
            for label in face.labels() {
                let index = (0..=last).find(|&i| face.tick_bp(i) == label.scale_bp);
                assert!(index.is_some_and(|i| face.is_major_tick(i)), "{label:?}");
            }
        }
        assert_eq!(DialFace::FUEL.tick_bp(2), 2_500);
        assert!(!DialFace::FUEL.is_major_tick(1));
        let odd = DialFace::new(0, 0, &[], "", DialFace::FUEL.zone());
        assert_eq!((odd.tick_intervals(), odd.major_every()), (1, 1));
    }
}
