//! The statusLine feed: Claude Code's statusLine JSON (as forwarded by `claude-gauge statusline`)
//! turned into official samples and the current model.
//!
//! Claude's own percentages arrive here. Known bad values are clamped or dropped: a percentage
//! over 101 (seen when it equals the reset epoch) is dropped, 100..=101 reads as 100.

use serde::Deserialize;

use crate::usage::{OfficialOrigin, OfficialSample, Window};

/// The part of the statusLine JSON we read; every other key is ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatuslinePayload {
    /// `model.id`.
    #[serde(default)]
    pub(crate) model: Option<StatuslineModel>,
    /// `rate_limits`, present for subscribers after the first response.
    #[serde(default)]
    pub(crate) rate_limits: Option<RateLimits>,
}

/// `model`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatuslineModel {
    /// The model id.
    #[serde(default)]
    pub(crate) id: Option<String>,
}

/// `rate_limits`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RateLimits {
    /// `five_hour`.
    #[serde(default)]
    pub(crate) five_hour: Option<RateWindow>,
    /// `seven_day`.
    #[serde(default)]
    pub(crate) seven_day: Option<RateWindow>,
}

/// One window of `rate_limits`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RateWindow {
    /// Percent used, 0..100 (a float).
    #[serde(default)]
    pub(crate) used_percentage: Option<f64>,
    /// Reset time, unix seconds.
    #[serde(default)]
    pub(crate) resets_at: Option<f64>,
}

/// The samples a payload carries, read at `now_ms`.
pub(crate) fn official_samples(payload: &StatuslinePayload, now_ms: i64) -> Vec<OfficialSample> {
    let Some(limits) = &payload.rate_limits else {
        return Vec::new();
    };
    [
        (Window::FiveHour, &limits.five_hour),
        (Window::SevenDay, &limits.seven_day),
    ]
    .into_iter()
    .filter_map(|(window, rate)| {
        let rate = rate.as_ref()?;
        let used_pct = clamp_percentage(rate.used_percentage?)?;
        Some(OfficialSample {
            at_ms: now_ms,
            window,
            used_pct,
            resets_at_secs: rate
                .resets_at
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| r as i64),
            origin: OfficialOrigin::Statusline,
        })
    })
    .collect()
}

/// Clamps a used percentage into 0..=100; `None` for values that cannot be real.
pub(crate) fn clamp_percentage(pct: f64) -> Option<f64> {
    if !pct.is_finite() || pct > 101.0 {
        return None;
    }
    Some(pct.clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_windows_and_drops_bad_values() {
        let payload: StatuslinePayload = serde_json::from_str(
            r#"{"model":{"id":"claude-opus-4-6[1m]"},"other":1,
                "rate_limits":{"five_hour":{"used_percentage":42.5,"resets_at":1774020000},
                               "seven_day":{"used_percentage":1774540000,"resets_at":1774540000}}}"#,
        )
        .unwrap();
        let samples = official_samples(&payload, 5);
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].window, Window::FiveHour);
        assert_eq!(samples[0].used_pct, 42.5);
        assert_eq!(samples[0].resets_at_secs, Some(1_774_020_000));
        assert_eq!(clamp_percentage(100.7), Some(100.0));
        assert_eq!(clamp_percentage(-3.0), Some(0.0));
        assert_eq!(clamp_percentage(f64::NAN), None);
    }
}
