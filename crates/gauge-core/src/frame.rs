//! The frame: one snapshot of everything a cluster shows, as it crosses the wire.
//!
//! Built only by the daemon's frame builder, read by the firmware, the simulator, the web page and
//! any other tool. Field names are a contract: fields may be added, never renamed. A decoder must
//! ignore fields it does not know, lamps it does not know and model families it does not know.

use core::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// The frame format version carried in `v`.
pub const FRAME_VERSION: u8 = 1;

/// The longest encoded frame, in bytes, that a cluster must be able to hold.
///
/// The largest possible v1 frame (every field at its widest, every lamp lit, the pace and
/// run-out fields included) is 400 bytes; the margin leaves room for fields added later. A real
/// frame (unix times of this century) stays under 384 bytes, the buffer of earlier clusters.
pub const FRAME_MAX_LEN: usize = 512;

/// Which family of Claude model served the most recent request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelFamily {
    /// Claude Opus.
    Opus,
    /// Claude Sonnet.
    Sonnet,
    /// Claude Haiku.
    Haiku,
    /// Any other model (or a family this decoder does not know yet).
    Other,
}

impl ModelFamily {
    /// The wire name: `opus`, `sonnet`, `haiku` or `other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelFamily::Opus => "opus",
            ModelFamily::Sonnet => "sonnet",
            ModelFamily::Haiku => "haiku",
            ModelFamily::Other => "other",
        }
    }

    /// The family of a model id such as `claude-opus-4-5-20251101`, by substring.
    pub fn from_model_id(model_id: &str) -> ModelFamily {
        let bytes = model_id.as_bytes();
        let has = |needle: &[u8]| {
            bytes
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        };
        if has(b"opus") {
            ModelFamily::Opus
        } else if has(b"sonnet") {
            ModelFamily::Sonnet
        } else if has(b"haiku") {
            ModelFamily::Haiku
        } else {
            ModelFamily::Other
        }
    }

    fn from_wire(name: &str) -> ModelFamily {
        match name {
            "opus" => ModelFamily::Opus,
            "sonnet" => ModelFamily::Sonnet,
            "haiku" => ModelFamily::Haiku,
            _ => ModelFamily::Other,
        }
    }
}

impl Serialize for ModelFamily {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ModelFamily {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FamilyVisitor;
        impl Visitor<'_> for FamilyVisitor {
            type Value = ModelFamily;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a model family name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModelFamily, E> {
                Ok(ModelFamily::from_wire(v))
            }
        }
        deserializer.deserialize_str(FamilyVisitor)
    }
}

/// Where the fuel figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FuelSource {
    /// Claude's own percentages (statusLine feed or the OAuth usage endpoint).
    Official,
    /// Computed from local usage against a configured, learned or historical limit.
    Estimate,
    /// No fuel figures at all.
    #[default]
    None,
}

impl FuelSource {
    /// The wire name: `official`, `estimate` or `none`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FuelSource::Official => "official",
            FuelSource::Estimate => "estimate",
            FuelSource::None => "none",
        }
    }
}

impl Serialize for FuelSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FuelSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;
        impl Visitor<'_> for SourceVisitor {
            type Value = FuelSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a fuel source name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FuelSource, E> {
                Ok(match v {
                    "official" => FuelSource::Official,
                    "estimate" => FuelSource::Estimate,
                    _ => FuelSource::None,
                })
            }
        }
        deserializer.deserialize_str(SourceVisitor)
    }
}

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
}

impl Lamp {
    /// How many lamps there are.
    pub const COUNT: usize = 8;

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
        }
    }

    /// The model family whose weekly window this lamp warns of, for a model lamp.
    pub const fn model_family(self) -> Option<ModelFamily> {
        match self {
            Lamp::WarnOpus => Some(ModelFamily::Opus),
            Lamp::WarnSonnet => Some(ModelFamily::Sonnet),
            _ => None,
        }
    }

    /// The lamp with this wire name, if it is one this decoder knows.
    pub fn from_wire(name: &str) -> Option<Lamp> {
        Lamp::ALL.into_iter().find(|lamp| lamp.as_str() == name)
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The set of lit lamps; on the wire a JSON array of lamp names in [`Lamp::ALL`] order. One bit
/// per lamp: a u8 holds all eight (a ninth lamp widens it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Lamps(u8);

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
    pub const fn bits(self) -> u8 {
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
    /// Family of the most recent request's model; `None` when unknown.
    pub model: Option<ModelFamily>,
    /// Where the fuel figures come from.
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
        self
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
