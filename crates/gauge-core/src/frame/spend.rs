//! The frame's `spend`: money spent on usage credits in the current period, against the
//! account's spend limit, as Claude reports it.

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// The period a spend limit runs over (`period`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SpendPeriod {
    /// A calendar day.
    Daily,
    /// A week.
    Weekly,
    /// A month (Claude's extra usage has a monthly limit).
    #[default]
    Monthly,
    /// A period this decoder does not know.
    Other,
}

impl SpendPeriod {
    /// Every period.
    pub const ALL: [SpendPeriod; 4] = [
        SpendPeriod::Daily,
        SpendPeriod::Weekly,
        SpendPeriod::Monthly,
        SpendPeriod::Other,
    ];

    /// The wire name: `daily`, `weekly`, `monthly` or `other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpendPeriod::Daily => "daily",
            SpendPeriod::Weekly => "weekly",
            SpendPeriod::Monthly => "monthly",
            SpendPeriod::Other => "other",
        }
    }
}

impl Serialize for SpendPeriod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SpendPeriod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PeriodVisitor;
        impl Visitor<'_> for PeriodVisitor {
            type Value = SpendPeriod;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a spend period name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SpendPeriod, E> {
                let known = SpendPeriod::ALL.into_iter().find(|p| p.as_str() == v);
                Ok(known.unwrap_or(SpendPeriod::Other))
            }
        }
        deserializer.deserialize_str(PeriodVisitor)
    }
}

/// Spend on usage credits this period (the frame's `spend`).
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Spend {
    /// Spent so far this period, US dollars.
    pub used_usd: f32,
    /// The account's spend limit for the period, US dollars; `None` when there is none (or it
    /// is unknown).
    #[serde(default)]
    pub limit_usd: Option<f32>,
    /// The period the limit runs over.
    #[serde(default)]
    pub period: SpendPeriod,
    /// Spent, percent of the limit, as Claude reports it; over 100 once the limit is passed
    /// (never clamped to 100). `None` when unknown.
    #[serde(default)]
    pub used_pct: Option<f32>,
}

impl Spend {
    /// This spend with every figure encodable: amounts and the percentage at least 0, an
    /// infinite amount the largest `f32`; a NaN amount 0, a NaN or infinite limit or
    /// percentage unknown. The percentage keeps any finite value over 100.
    #[must_use]
    pub fn clamped(self) -> Spend {
        // Never NaN here: a NaN amount is replaced first, a NaN limit or percentage filtered out.
        let at_least_zero = |v: f32| v.clamp(0.0, f32::MAX);
        Spend {
            used_usd: if self.used_usd.is_nan() {
                0.0
            } else {
                at_least_zero(self.used_usd)
            },
            limit_usd: self.limit_usd.filter(|v| v.is_finite()).map(at_least_zero),
            period: self.period,
            used_pct: self.used_pct.filter(|v| v.is_finite()).map(at_least_zero),
        }
    }

    /// Whether the spend limit is reached: `used_pct` at or over 100, or, without it, the
    /// amount at or over the limit. False without a limit.
    pub fn is_at_limit(&self) -> bool {
        match (self.used_pct, self.limit_usd) {
            (Some(pct), _) => pct >= 100.0,
            (None, Some(limit)) => self.used_usd >= limit,
            (None, None) => false,
        }
    }
}
