//! Reading the usage answer: both shapes (the flat buckets and the newer `limits[]`), every
//! window it reports, and extra usage (`docs/official-limits.md`, "The OAuth poller").
//!
//! The 5-hour and 7-day windows become official samples (the gauges); every other window-shaped
//! object (`seven_day_opus`, `seven_day_sonnet`, `seven_day_oauth_apps`, a `limits[]`
//! `weekly_scoped` entry, names not yet known) becomes a [`ScopedSample`], kept by its name.

use serde_json::{Map, Value};

use crate::readings::{ExtraUsage, OfficialOrigin, OfficialSample, ScopedSample, Severity, Window};
use crate::sources::statusline::clamp_percentage;

/// Just after a reset the endpoint may still report the old window's near-full value with the new
/// `resets_at` (AIBattery #174): such readings in a window this young are dropped.
const ROLLOVER_ARTEFACT_AGE_MS: i64 = 5 * 60 * 1000;
const ROLLOVER_ARTEFACT_PCT: f64 = 95.0;
/// The flat keys of the two windows the gauges show, and the `limits[]` kinds that mean them.
const MAIN_WINDOWS: [(Window, &str, &str); 2] = [
    (Window::FiveHour, "five_hour", "session"),
    (Window::SevenDay, "seven_day", "weekly_all"),
];
/// Top-level keys that carry a percentage but are no usage window.
const NOT_WINDOWS: [&str; 3] = ["extra_usage", "spend", "limits"];
/// The length assumed for other windows (for the rollover check): they are weekly.
const SCOPED_LENGTH_SECS: i64 = 7 * 24 * 3600;

/// What one answer carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct UsageReading {
    /// The official samples, 5h and/or 7d.
    pub samples: Vec<OfficialSample>,
    /// Every other window, by the name Claude gives it.
    pub scoped: Vec<ScopedSample>,
    /// Extra usage, when the answer has the object.
    pub extra: Option<ExtraUsage>,
    /// Until when a window is locked (`locked_reason`), unix seconds.
    pub locked_until_secs: Option<i64>,
}

/// The body was not a usage response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the usage endpoint's answer is not a usage object (no five_hour, seven_day or limits[])")]
pub(crate) struct UnreadableUsage;

/// Reads a usage answer, either shape: the flat `five_hour` / `seven_day` buckets and the newer
/// `limits[]` array, which wins where present, field by field. Unknown keys are ignored, unless
/// they hold a window (an object with a numeric `utilization`), which is kept.
pub(crate) fn parse_usage(body: &[u8], now_ms: i64) -> Result<UsageReading, UnreadableUsage> {
    let value: Value = serde_json::from_slice(body).map_err(|_| UnreadableUsage)?;
    let root = value.as_object().ok_or(UnreadableUsage)?;
    let limits: &[Value] = root
        .get("limits")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let from_limits = |kind: &str| {
        limits
            .iter()
            .find(|entry| entry.get("kind").and_then(Value::as_str) == Some(kind))
            .and_then(read_limit_row)
            .filter(|w| !w.is_placeholder())
    };
    let mut reading = UsageReading::default();
    let mut saw_window = false;
    for (window, flat_key, limits_kind) in MAIN_WINDOWS {
        let flat = root
            .get(flat_key)
            .and_then(|bucket| read_window(bucket, "utilization"));
        let Some(found) = from_limits(limits_kind).or(flat) else {
            continue;
        };
        saw_window = true;
        if found.is_locked {
            let until = found.resets_at_secs.unwrap_or(now_ms / 1000 + 3600);
            reading.locked_until_secs =
                Some(reading.locked_until_secs.map_or(until, |u| u.max(until)));
        }
        if found.is_rollover_artefact(window.length_secs(), now_ms) {
            continue;
        }
        reading.samples.push(OfficialSample {
            at_ms: now_ms,
            window,
            used_pct: found.used_pct,
            resets_at_secs: found.resets_at_secs,
            origin: OfficialOrigin::Oauth,
        });
    }
    reading.scoped = scoped_windows(root, limits, now_ms);
    reading.extra = root
        .get("extra_usage")
        .and_then(|extra| read_extra(extra, now_ms));
    let has_buckets = ["five_hour", "seven_day", "limits"]
        .iter()
        .any(|key| root.contains_key(*key));
    if saw_window || has_buckets {
        Ok(reading)
    } else {
        Err(UnreadableUsage)
    }
}

/// Every window but the main two: flat keys holding a window object, then `limits[]` entries of
/// other kinds (named `<kind>:<scope>`, e.g. `weekly_scoped:Fable`). Placeholders (0% and no
/// reset) and rollover artefacts are left out.
fn scoped_windows(root: &Map<String, Value>, limits: &[Value], now_ms: i64) -> Vec<ScopedSample> {
    let is_main_key = |key: &str| MAIN_WINDOWS.iter().any(|(_, flat, _)| *flat == key);
    let is_main_kind = |kind: &str| MAIN_WINDOWS.iter().any(|(_, _, k)| *k == kind);
    let flat = root
        .iter()
        .filter(|(key, _)| !is_main_key(key) && !NOT_WINDOWS.contains(&key.as_str()))
        .filter_map(|(key, bucket)| {
            let found = read_window(bucket, "utilization")?;
            Some((key.clone(), ScopedSample::family_of(key), None, None, found))
        });
    let listed = limits.iter().filter_map(|entry| {
        let kind = entry.get("kind").and_then(Value::as_str)?;
        if is_main_kind(kind) {
            return None;
        }
        let found = read_limit_row(entry)?;
        let scope = scope_name(entry.get("scope"));
        let severity = entry
            .get("severity")
            .and_then(Value::as_str)
            .and_then(Severity::from_name);
        let name = match &scope {
            Some(scope) => format!("{kind}:{scope}"),
            None => kind.to_string(),
        };
        let family = scope
            .as_deref()
            .and_then(ScopedSample::family_of)
            .or_else(|| ScopedSample::family_of(kind));
        let display_name = scope.map(|s| s.chars().take(64).collect::<String>());
        Some((name, family, display_name, severity, found))
    });
    flat.chain(listed)
        .filter(|(_, _, _, _, found)| {
            !found.is_placeholder() && !found.is_rollover_artefact(SCOPED_LENGTH_SECS, now_ms)
        })
        .map(
            |(name, family, display_name, severity, found)| ScopedSample {
                at_ms: now_ms,
                // Names are Claude's keys; a very long one is cut so a report stays readable.
                name: name.chars().take(64).collect(),
                family,
                display_name,
                severity,
                used_pct: found.used_pct,
                resets_at_secs: found.resets_at_secs,
                origin: OfficialOrigin::Oauth,
            },
        )
        .collect()
}

/// A `limits[]` scope's name: the model's display name or id, else the surface.
fn scope_name(scope: Option<&Value>) -> Option<String> {
    let scope = scope?;
    let model = scope.get("model");
    [
        model.and_then(|m| m.get("display_name")),
        model.and_then(|m| m.get("id")),
        scope.get("surface"),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
    .map(str::to_string)
}

/// `extra_usage`: `is_enabled`, `monthly_limit`, `used_credits`, `utilization`, `currency`.
/// The amounts come in the currency's minor units (cents for USD), as Claude Code reads them
/// (it shows `used_credits / 100`), except for currencies without minor units; `utilization`
/// goes past 100 once spending passes the limit, and is kept so.
fn read_extra(extra: &Value, now_ms: i64) -> Option<ExtraUsage> {
    let object = extra.as_object()?;
    let number = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let currency = object
        .get("currency")
        .and_then(Value::as_str)
        .filter(|c| c.len() <= 8)
        .map(str::to_string);
    let minor_per_major = match currency.as_deref() {
        Some("JPY" | "KRW" | "VND") => 1.0,
        _ => 100.0,
    };
    Some(ExtraUsage {
        at_ms: now_ms,
        is_enabled: object
            .get("is_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        monthly_limit: number("monthly_limit").map(|v| v / minor_per_major),
        used_credits: number("used_credits").map(|v| v / minor_per_major),
        used_pct: number("utilization").filter(|pct| *pct <= crate::readings::MAX_SPEND_PCT),
        currency,
        period: Some("monthly".to_string()),
        origin: OfficialOrigin::Oauth,
    })
}

/// A `limits[]` row's reading: `percent_precise` where the server sends it (Claude Code reads
/// it first), else `percent`.
fn read_limit_row(entry: &Value) -> Option<WindowRead> {
    let has_precise = entry
        .get("percent_precise")
        .and_then(Value::as_f64)
        .is_some();
    read_window(
        entry,
        if has_precise {
            "percent_precise"
        } else {
            "percent"
        },
    )
}

struct WindowRead {
    used_pct: f64,
    resets_at_secs: Option<i64>,
    is_locked: bool,
}

impl WindowRead {
    /// A 0% entry without a reset is a placeholder, not a reading.
    fn is_placeholder(&self) -> bool {
        self.used_pct <= 0.0 && self.resets_at_secs.is_none()
    }

    /// A near-full reading of a window that began minutes ago: the old window's value.
    fn is_rollover_artefact(&self, length_secs: i64, now_ms: i64) -> bool {
        let window_start_ms = self
            .resets_at_secs
            .map(|reset| (reset - length_secs).saturating_mul(1000));
        self.used_pct >= ROLLOVER_ARTEFACT_PCT
            && window_start_ms.is_some_and(|start| now_ms - start < ROLLOVER_ARTEFACT_AGE_MS)
    }
}

/// One bucket: a numeric percentage under `pct_key` (0..100, clamped), `resets_at` as RFC 3339 or
/// null, and `locked_reason`.
fn read_window(bucket: &Value, pct_key: &str) -> Option<WindowRead> {
    let used_pct = clamp_percentage(bucket.get(pct_key)?.as_f64()?)?;
    let resets_at_secs = bucket
        .get("resets_at")
        .and_then(Value::as_str)
        .and_then(|text| text.parse::<jiff::Timestamp>().ok())
        .map(|at| at.as_second());
    let is_locked = bucket
        .get("locked_reason")
        .and_then(Value::as_str)
        .is_some_and(|reason| !reason.is_empty());
    Some(WindowRead {
        used_pct,
        resets_at_secs,
        is_locked,
    })
}
