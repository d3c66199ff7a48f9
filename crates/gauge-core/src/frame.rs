//! The frame: one snapshot of everything a cluster shows, as it crosses the wire.
//!
//! Built only by the daemon's frame builder, read by the firmware, the simulator, the web page and
//! any other tool. Field names are a contract: fields may be added, never renamed. A decoder must
//! ignore fields it does not know, lamps it does not know and model families it does not know.

use core::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::family::ModelFamily;
use crate::gauge::Gauge;

mod scoped;
mod source;
mod spend;

pub use scoped::{ScopedName, ScopedWarnings, SCOPED_NAME_MAX_LEN, SCOPED_WARNINGS_MAX};
pub use source::{FuelSource, GaugeSource};
pub use spend::{Spend, SpendPeriod};

/// The frame format version carried in `v`.
pub const FRAME_VERSION: u8 = 1;

/// The longest encoded frame, in bytes, that a cluster must be able to hold.
///
/// The largest possible v1 frame (every field at its widest: every lamp lit, every optional
/// field present, a 15-byte family, four 23-byte scoped names, every number at its longest) is
/// 732 bytes; the margin leaves room for fields added later. A real frame (unix times of this
/// century, no scoped warning, no spend) stays under 384 bytes, the buffer of the first
/// clusters; with one scoped warning and the spend it stays under 512, the buffer of the next.
pub const FRAME_MAX_LEN: usize = 1024;

/// One annunciator lamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Lamp {
    /// The tachometer is at or over the redline.
    Hot = 0,
    /// 5-hour fuel is under the warn level.
    Warn5h = 1,
    /// 7-day fuel is under the warn level.
    Warn7d = 2,
    /// Claude reports the usage limit is reached, until the reset time.
    Limit = 3,
    /// No fresh data from any configured source (or, on a cluster, no frame from the daemon).
    Stall = 4,
    /// No activity for a while.
    Idle = 5,
    /// Claude's weekly Opus window is under the warn level (a model lamp: the cluster flashes
    /// its OPUS lamp).
    WarnOpus = 6,
    /// Claude's weekly Sonnet window is under the warn level (flashes the SONNET lamp).
    WarnSonnet = 7,
    /// A model-scoped weekly limit is at warning or critical (the frame's `warn_scoped` names
    /// it): a caution on every cluster.
    WarnScoped = 8,
    /// The account runs on usage credits: a window is at its limit but requests still succeed,
    /// or the spend limit is reached. Not LIMIT: work goes on, and costs money.
    Credits = 9,
}

impl Lamp {
    /// How many lamps there are.
    pub const COUNT: usize = 10;

    /// Every lamp, in wire order.
    pub const ALL: [Lamp; Lamp::COUNT] = [
        Lamp::Hot,
        Lamp::Warn5h,
        Lamp::Warn7d,
        Lamp::Limit,
        Lamp::Stall,
        Lamp::Idle,
        Lamp::WarnOpus,
        Lamp::WarnSonnet,
        Lamp::WarnScoped,
        Lamp::Credits,
    ];

    /// The wire name, e.g. `WARN_5H`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Lamp::Hot => "HOT",
            Lamp::Warn5h => "WARN_5H",
            Lamp::Warn7d => "WARN_7D",
            Lamp::Limit => "LIMIT",
            Lamp::Stall => "STALL",
            Lamp::Idle => "IDLE",
            Lamp::WarnOpus => "WARN_OPUS",
            Lamp::WarnSonnet => "WARN_SONNET",
            Lamp::WarnScoped => "WARN_SCOPED",
            Lamp::Credits => "CREDITS",
        }
    }

    /// The model family whose weekly window this lamp warns of, for a model lamp.
    pub const fn model_family(self) -> Option<ModelFamily> {
        match self {
            Lamp::WarnOpus => Some(ModelFamily::OPUS),
            Lamp::WarnSonnet => Some(ModelFamily::SONNET),
            _ => None,
        }
    }

    /// The lamp with this wire name, if it is one this decoder knows.
    pub fn from_wire(name: &str) -> Option<Lamp> {
        Lamp::ALL.into_iter().find(|lamp| lamp.as_str() == name)
    }

    const fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// The set of lit lamps; on the wire a JSON array of lamp names in [`Lamp::ALL`] order. One bit
/// per lamp: a u16 holds all ten and six more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Lamps(u16);

impl Lamps {
    /// No lamp lit.
    pub const NONE: Lamps = Lamps(0);

    /// Whether `lamp` is lit.
    pub const fn is_lit(self, lamp: Lamp) -> bool {
        self.0 & lamp.bit() != 0
    }

    /// Lights or clears `lamp`.
    pub fn set(&mut self, lamp: Lamp, is_lit: bool) {
        if is_lit {
            self.0 |= lamp.bit();
        } else {
            self.0 &= !lamp.bit();
        }
    }

    /// This set with `lamp` lit as well.
    #[must_use]
    pub const fn with(self, lamp: Lamp) -> Lamps {
        Lamps(self.0 | lamp.bit())
    }

    /// The lit lamps, in wire order.
    pub fn iter(self) -> impl Iterator<Item = Lamp> {
        Lamp::ALL.into_iter().filter(move |lamp| self.is_lit(*lamp))
    }

    /// Whether no lamp is lit.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw bit set (bit n is `Lamp::ALL[n]`).
    pub const fn bits(self) -> u16 {
        self.0
    }
}

impl Serialize for Lamps {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for lamp in self.iter() {
            seq.serialize_element(lamp.as_str())?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Lamps {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LampsVisitor;
        impl<'de> Visitor<'de> for LampsVisitor {
            type Value = Lamps;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of lamp names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lamps, A::Error> {
                let mut lamps = Lamps::NONE;
                // Unknown lamp names are skipped: a newer daemon may light lamps this
                // cluster has no cap for.
                while let Some(name) = seq.next_element::<&str>()? {
                    if let Some(lamp) = Lamp::from_wire(name) {
                        lamps.set(lamp, true);
                    }
                }
                Ok(lamps)
            }
        }
        deserializer.deserialize_seq(LampsVisitor)
    }
}

/// One snapshot of the cluster's inputs: the v1 wire contract (see `docs/protocol.md`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Format version, [`FRAME_VERSION`].
    pub v: u8,
    /// Changes whenever any other field does.
    pub seq: u32,
    /// When the frame was built, unix seconds.
    pub ts: u64,
    /// Remaining fraction (0..=1) of the 5-hour window; `None` when unknown.
    pub fuel_5h: Option<f32>,
    /// Remaining fraction (0..=1) of the 7-day window; `None` when unknown.
    pub fuel_7d: Option<f32>,
    /// Tokens per minute over the last 60 s.
    pub tach: u32,
    /// When the 5-hour window resets, unix seconds; `None` when unknown.
    pub reset_5h: Option<u64>,
    /// When the 7-day window resets, unix seconds; `None` when unknown.
    pub reset_7d: Option<u64>,
    /// Family of the most recent request's model, by name; `None` when unknown.
    pub model: Option<ModelFamily>,
    /// Where the fuel figures come from, for both windows (kept for older clusters; read
    /// [`Frame::source_5h_or_legacy`] and [`Frame::source_7d_or_legacy`]).
    pub source: FuelSource,
    /// The lit annunciators.
    pub lamps: Lamps,
    /// The 5-hour fuel an even burn would leave now: the fraction of the window still ahead in
    /// time (0..=1); `None` when the reset is unknown. Absent in older frames.
    #[serde(default)]
    pub pace_5h: Option<f32>,
    /// The 7-day fuel an even burn would leave now; `None` when the reset is unknown.
    #[serde(default)]
    pub pace_7d: Option<f32>,
    /// When the 5-hour fuel runs out at the recent burn rate, unix seconds; `None` when that is
    /// after the reset (or nothing burns).
    #[serde(default)]
    pub empty_5h: Option<u64>,
    /// When the 7-day fuel runs out at the recent burn rate, unix seconds; `None` when that is
    /// after the reset.
    #[serde(default)]
    pub empty_7d: Option<u64>,
    /// Where the 5-hour figure comes from; omitted from the encoding when `None` (older
    /// daemons send only `source`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_5h: Option<GaugeSource>,
    /// Where the 7-day figure comes from; omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_7d: Option<GaugeSource>,
    /// The model-scoped weekly limits at warning or critical, by display name; omitted when
    /// empty.
    #[serde(default, skip_serializing_if = "ScopedWarnings::is_empty")]
    pub warn_scoped: ScopedWarnings,
    /// Spend on usage credits this period; omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<Spend>,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            v: FRAME_VERSION,
            seq: 0,
            ts: 0,
            fuel_5h: None,
            fuel_7d: None,
            tach: 0,
            reset_5h: None,
            reset_7d: None,
            model: None,
            source: FuelSource::None,
            lamps: Lamps::NONE,
            pace_5h: None,
            pace_7d: None,
            empty_5h: None,
            empty_7d: None,
            source_5h: None,
            source_7d: None,
            warn_scoped: ScopedWarnings::EMPTY,
            spend: None,
        }
    }
}

impl Frame {
    /// This frame with every value forced into its valid range: fuel and pace into 0..=1 (NaN
    /// becomes unknown).
    #[must_use]
    pub fn clamped(mut self) -> Frame {
        self.fuel_5h = clamp_fraction(self.fuel_5h);
        self.fuel_7d = clamp_fraction(self.fuel_7d);
        self.pace_5h = clamp_fraction(self.pace_5h);
        self.pace_7d = clamp_fraction(self.pace_7d);
        self.spend = self.spend.map(Spend::clamped);
        self
    }

    /// Where the 5-hour figure comes from: `source_5h`, or for a frame without it (an older
    /// daemon) what the legacy `source` says ([`GaugeSource::from_legacy`]).
    pub fn source_5h_or_legacy(&self) -> GaugeSource {
        self.source_5h
            .unwrap_or(GaugeSource::from_legacy(self.source))
    }

    /// Where the 7-day figure comes from: `source_7d`, or the legacy `source`.
    pub fn source_7d_or_legacy(&self) -> GaugeSource {
        self.source_7d
            .unwrap_or(GaugeSource::from_legacy(self.source))
    }

    /// Where `gauge`'s figure comes from (`source_5h_or_legacy`, `source_7d_or_legacy`); the
    /// tachometer counts local requests, an estimate.
    pub fn gauge_source(&self, gauge: Gauge) -> GaugeSource {
        match gauge {
            Gauge::Fuel5h => self.source_5h_or_legacy(),
            Gauge::Tach => GaugeSource::Estimate,
            Gauge::Fuel7d => self.source_7d_or_legacy(),
        }
    }

    /// `gauge`'s fuel as a needle shows it: `None` (parked off the scale) when unknown or when
    /// Claude has no such window ([`GaugeSource::None`]); the tachometer has no fuel.
    pub fn shown_fuel(&self, gauge: Gauge) -> Option<f32> {
        let fuel = match gauge {
            Gauge::Fuel5h => self.fuel_5h,
            Gauge::Tach => None,
            Gauge::Fuel7d => self.fuel_7d,
        };
        fuel.filter(|_| self.gauge_source(gauge).has_window())
    }

    /// Whether everything but `seq` and `ts` is equal: whether a cluster would show the same.
    pub fn shows_same_as(&self, other: &Frame) -> bool {
        Frame {
            seq: 0,
            ts: 0,
            ..*self
        } == Frame {
            seq: 0,
            ts: 0,
            ..*other
        }
    }
}

fn clamp_fraction(value: Option<f32>) -> Option<f32> {
    match value {
        Some(v) if v.is_nan() => None,
        Some(v) => Some(v.clamp(0.0, 1.0)),
        None => None,
    }
}

/// Why a frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a JSON object of the frame's shape (or too deeply nested, or truncated).
    Malformed,
    /// The frame declares a version this decoder cannot read.
    UnsupportedVersion(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Malformed => f.write_str("malformed frame"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported frame version {v}"),
        }
    }
}

/// Decodes one frame (one line of the serial protocol, or a `/usage` body) without allocating.
///
/// Unknown fields, lamps and model families are ignored; values out of range are clamped
/// ([`Frame::clamped`]). Never panics, whatever the bytes.
pub fn decode_frame(bytes: &[u8]) -> Result<Frame, DecodeError> {
    let trimmed = trim_ascii(bytes);
    let (frame, _used) =
        serde_json_core::from_slice::<Frame>(trimmed).map_err(|_| DecodeError::Malformed)?;
    if frame.v != FRAME_VERSION {
        return Err(DecodeError::UnsupportedVersion(frame.v));
    }
    Ok(frame.clamped())
}

/// Encodes a frame into `buf` without allocating; returns the number of bytes written, or `None`
/// when `buf` is too small.
pub fn encode_frame(frame: &Frame, buf: &mut [u8]) -> Option<usize> {
    serde_json_core::to_slice(frame, buf).ok()
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests;
