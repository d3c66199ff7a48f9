//! Where the fuel figures come from: the frame's legacy `source` (one for both windows) and
//! the per-gauge `source_5h` / `source_7d` that replaced it.

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// Where the fuel figures come from, for both windows at once (the frame's `source`, kept for
/// older clusters; [`GaugeSource`] says it per gauge).
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

/// Where one fuel gauge's figure comes from (the frame's `source_5h`, `source_7d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum GaugeSource {
    /// Claude's own percentage, fresh (statusLine feed or the OAuth usage endpoint).
    Official,
    /// Claude Code's own cached copy of the official percentage.
    Cached,
    /// Computed from local usage against a configured, learned or historical limit.
    Estimate,
    /// Claude reports no such window for this account (no 5-hour limit on this plan, say): the
    /// needle parks off the scale, as for an unknown figure.
    None,
    /// Nothing known (or a source name this decoder does not know).
    #[default]
    Unknown,
}

impl GaugeSource {
    /// Every source, in the order of the web page's numbering (`gauge-wasm`).
    pub const ALL: [GaugeSource; 5] = [
        GaugeSource::Official,
        GaugeSource::Cached,
        GaugeSource::Estimate,
        GaugeSource::None,
        GaugeSource::Unknown,
    ];

    /// The wire name: `official`, `cached`, `estimate`, `none` or `unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GaugeSource::Official => "official",
            GaugeSource::Cached => "cached",
            GaugeSource::Estimate => "estimate",
            GaugeSource::None => "none",
            GaugeSource::Unknown => "unknown",
        }
    }

    /// What a frame's legacy `source` says of each gauge: its `none` meant "no figures", which
    /// is [`GaugeSource::Unknown`] here, not "no such window".
    pub const fn from_legacy(source: FuelSource) -> GaugeSource {
        match source {
            FuelSource::Official => GaugeSource::Official,
            FuelSource::Estimate => GaugeSource::Estimate,
            FuelSource::None => GaugeSource::Unknown,
        }
    }

    /// Whether Claude has this window for the account (every source but [`GaugeSource::None`]).
    pub const fn has_window(self) -> bool {
        !matches!(self, GaugeSource::None)
    }
}

impl Serialize for GaugeSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GaugeSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;
        impl Visitor<'_> for SourceVisitor {
            type Value = GaugeSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a gauge source name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GaugeSource, E> {
                let known = GaugeSource::ALL.into_iter().find(|s| s.as_str() == v);
                Ok(known.unwrap_or(GaugeSource::Unknown))
            }
        }
        deserializer.deserialize_str(SourceVisitor)
    }
}
