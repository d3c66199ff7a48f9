//! The three gauges of the cluster, by name: what every per-gauge array is indexed by.

use crate::scale::DialFace;

/// One of the three gauges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gauge {
    /// 5-hour fuel, E..F (left).
    Fuel5h = 0,
    /// Tachometer, tokens per minute (middle).
    Tach = 1,
    /// 7-day fuel, E..F (right).
    Fuel7d = 2,
}

impl Gauge {
    /// Every gauge, in index order (the order of every `[_; 3]` here).
    pub const ALL: [Gauge; 3] = [Gauge::Fuel5h, Gauge::Tach, Gauge::Fuel7d];

    /// The index into `[_; 3]` arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// What this gauge's dial face prints ([`DialFace::FUEL`] or [`DialFace::TACH`]; the
    /// figures are in `docs/gauge-core.md`, "Scales").
    pub const fn face(self) -> DialFace {
        match self {
            Gauge::Fuel5h | Gauge::Fuel7d => DialFace::FUEL,
            Gauge::Tach => DialFace::TACH,
        }
    }
}
