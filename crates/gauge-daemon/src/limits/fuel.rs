//! Fuel: what is left of a window, from Claude's own percentage while it is fresh, else from the
//! calibrated estimate (see `calibration`), else from local tokens against a limit. The chosen
//! origin becomes the frame's `source`.

use gauge_core::FuelSource;

use super::calibration::CalibratedUse;
use super::recent::Block;
use crate::readings::OfficialSample;

/// What is left of one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fuel {
    /// Remaining fraction, 0..=1.
    pub fraction: f64,
    /// When the window resets, unix seconds, if known.
    pub resets_at_secs: Option<i64>,
    /// Where the figure comes from.
    pub source: FuelSource,
}

/// Everything [`choose_fuel`] weighs for one window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FuelInputs<'a> {
    /// Now, unix ms.
    pub now_ms: i64,
    /// The newest official sample for this window.
    pub official: Option<&'a OfficialSample>,
    /// How long an official sample stays fresh, ms.
    pub official_stale_after_ms: i64,
    /// Fuel tokens used in the window, from local data.
    pub used_tokens: u64,
    /// The window's limit in fuel tokens, if known.
    pub limit_tokens: Option<u64>,
    /// When the local estimate thinks the window resets, unix seconds.
    pub estimate_resets_at_secs: Option<i64>,
    /// The calibrated estimate, when a limit was learned from official data.
    pub calibrated: Option<CalibratedUse>,
}

/// Official while fresh, then the calibrated estimate, then the plain estimate, then nothing.
pub(crate) fn choose_fuel(inputs: FuelInputs<'_>) -> Option<Fuel> {
    let calibrated = inputs.calibrated.map(|estimate| Fuel {
        fraction: (1.0 - estimate.used_pct / 100.0).clamp(0.0, 1.0),
        resets_at_secs: estimate.resets_at_secs,
        source: FuelSource::Estimate,
    });
    if let Some(sample) = inputs.official {
        let age_ms = inputs.now_ms - sample.at_ms;
        if age_ms <= inputs.official_stale_after_ms {
            let is_over = sample
                .resets_at_secs
                .is_some_and(|reset| inputs.now_ms >= reset.saturating_mul(1000));
            // At resets_at the window is over: full again until newer data says otherwise (the
            // calibrated estimate of the new window, when something was learned).
            return Some(if is_over {
                calibrated.unwrap_or(Fuel {
                    fraction: 1.0,
                    resets_at_secs: None,
                    source: FuelSource::Official,
                })
            } else {
                Fuel {
                    fraction: (1.0 - sample.used_pct / 100.0).clamp(0.0, 1.0),
                    resets_at_secs: sample.resets_at_secs,
                    source: FuelSource::Official,
                }
            });
        }
    }
    if calibrated.is_some() {
        return calibrated;
    }
    let limit = inputs.limit_tokens.filter(|limit| *limit > 0)?;
    Some(Fuel {
        fraction: (1.0 - inputs.used_tokens as f64 / limit as f64).clamp(0.0, 1.0),
        resets_at_secs: inputs.estimate_resets_at_secs,
        source: FuelSource::Estimate,
    })
}

/// The limits the peers know, for spotting blocks that ended at a limit.
const COMMON_LIMITS: [u64; 4] = [19_000, 88_000, 220_000, 880_000];
/// claude-monitor's floor for the learned limit.
const MIN_LIMIT_TOKENS: u64 = 19_000;
/// claude-monitor's limit when there is no history at all.
const NO_HISTORY_LIMIT_TOKENS: u64 = 44_000;

/// The 5-hour limit learned from history (claude-monitor's P90 method): completed blocks of the
/// last 192 hours; those within 95% of a common limit if any, else all; their 90th percentile;
/// never under 19,000; 44,000 without history.
pub(crate) fn history_limit_5h(blocks: &[Block], now_ms: i64) -> u64 {
    let since_ms = now_ms - 192 * 3600 * 1000;
    let completed: Vec<u64> = blocks
        .iter()
        .filter(|b| b.start_ms >= since_ms && !b.is_active(now_ms))
        .map(|b| b.fuel_tokens)
        .collect();
    if completed.is_empty() {
        return NO_HISTORY_LIMIT_TOKENS;
    }
    let hits: Vec<u64> = completed
        .iter()
        .copied()
        .filter(|t| {
            COMMON_LIMITS
                .iter()
                .any(|limit| *t as f64 >= 0.95 * *limit as f64)
        })
        .collect();
    let pool = if hits.is_empty() { completed } else { hits };
    percentile_90(pool).max(MIN_LIMIT_TOKENS)
}

/// Python's `statistics.quantiles(data, n=10)[8]` (the exclusive method), as claude-monitor uses.
fn percentile_90(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    let n = values.len();
    if n == 1 {
        return values[0];
    }
    // Position m = (n + 1) * 9 / 10, interpolated between neighbours, clamped to the ends.
    let m = (n as f64 + 1.0) * 0.9;
    let j = (m.floor() as usize).clamp(1, n - 1);
    let delta = (m - j as f64).clamp(0.0, 1.0);
    let low = values[j - 1] as f64;
    let high = values[j] as f64;
    (low + (high - low) * delta).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readings::{OfficialOrigin, Window};

    fn inputs(official: Option<&OfficialSample>) -> FuelInputs<'_> {
        FuelInputs {
            now_ms: 1_000_000,
            official,
            official_stale_after_ms: 600_000,
            used_tokens: 250,
            limit_tokens: Some(1_000),
            estimate_resets_at_secs: Some(5_000),
            calibrated: None,
        }
    }

    fn sample(at_ms: i64, used_pct: f64, resets_at_secs: Option<i64>) -> OfficialSample {
        OfficialSample {
            at_ms,
            window: Window::FiveHour,
            used_pct,
            resets_at_secs,
            origin: OfficialOrigin::Statusline,
        }
    }

    #[test]
    fn fresh_official_wins() {
        let s = sample(900_000, 42.0, Some(2_000));
        let fuel = choose_fuel(inputs(Some(&s))).unwrap();
        assert_eq!(fuel.source, FuelSource::Official);
        assert!((fuel.fraction - 0.58).abs() < 1e-9);
        assert_eq!(fuel.resets_at_secs, Some(2_000));
    }

    #[test]
    fn stale_official_falls_back_to_estimate() {
        let s = sample(300_000, 42.0, Some(2_000));
        let fuel = choose_fuel(inputs(Some(&s))).unwrap();
        assert_eq!(fuel.source, FuelSource::Estimate);
        assert!((fuel.fraction - 0.75).abs() < 1e-9);
    }

    #[test]
    fn past_reset_reads_full() {
        let s = sample(900_000, 99.0, Some(999));
        let fuel = choose_fuel(inputs(Some(&s))).unwrap();
        assert_eq!(fuel.fraction, 1.0);
        assert_eq!(fuel.resets_at_secs, None);
    }

    #[test]
    fn no_limit_no_official_is_unknown() {
        let mut i = inputs(None);
        i.limit_tokens = None;
        assert_eq!(choose_fuel(i), None);
        let mut i = inputs(None);
        i.used_tokens = 5_000;
        assert_eq!(choose_fuel(i).unwrap().fraction, 0.0);
    }

    #[test]
    fn stale_official_prefers_the_calibrated_estimate() {
        let s = sample(300_000, 42.0, Some(2_000));
        let mut i = inputs(Some(&s));
        i.calibrated = Some(CalibratedUse {
            used_pct: 45.0,
            resets_at_secs: Some(2_000),
        });
        let fuel = choose_fuel(i).unwrap();
        assert_eq!(fuel.source, FuelSource::Estimate);
        assert!((fuel.fraction - 0.55).abs() < 1e-9);
        // While the official sample is fresh it still wins.
        let s = sample(900_000, 42.0, Some(2_000));
        i.official = Some(&s);
        assert_eq!(choose_fuel(i).unwrap().source, FuelSource::Official);
    }

    proptest::proptest! {
        /// Precedence and staleness: a fresh official sample before its reset always wins, a stale
        /// one never shows as official, and the fraction always stays within 0..=1.
        #[test]
        fn precedence_staleness_and_range(
            age_ms in 0i64..2_000_000,
            used_pct in 0.0f64..=100.0,
            reset_in_secs in -5_000i64..5_000,
            used_tokens in 0u64..10_000,
            calibrated_pct in proptest::option::of(0.0f64..=100.0),
        ) {
            let now_ms = 10_000_000;
            let s = sample(now_ms - age_ms, used_pct, Some(now_ms / 1000 + reset_in_secs));
            let mut i = inputs(Some(&s));
            i.now_ms = now_ms;
            i.used_tokens = used_tokens;
            i.calibrated = calibrated_pct.map(|used_pct| CalibratedUse { used_pct, resets_at_secs: None });
            let fuel = choose_fuel(i).unwrap();
            proptest::prop_assert!((0.0..=1.0).contains(&fuel.fraction));
            let is_fresh = age_ms <= i.official_stale_after_ms;
            let is_over = reset_in_secs <= 0;
            if is_fresh && !is_over {
                proptest::prop_assert_eq!(fuel.source, FuelSource::Official);
                proptest::prop_assert!((fuel.fraction - (1.0 - used_pct / 100.0)).abs() < 1e-9);
            }
            if !is_fresh {
                proptest::prop_assert_eq!(fuel.source, FuelSource::Estimate);
            }
            // Reset roll-over: past resets_at a fresh sample's percentage no longer counts.
            if is_fresh && is_over && calibrated_pct.is_none() {
                proptest::prop_assert_eq!(fuel.fraction, 1.0);
            }
        }
    }

    #[test]
    fn p90_matches_python_quantiles() {
        // statistics.quantiles([1..=10], n=10)[8] == 9.9
        assert_eq!(
            percentile_90((1..=10).map(|v| v * 10_000).collect()),
            99_000
        );
        assert_eq!(percentile_90(vec![5, 7]), 7);
    }

    #[test]
    fn history_limit_prefers_limit_hits_and_has_a_floor() {
        let h = 3600 * 1000;
        let now = 100 * h;
        let block = |start_h: i64, tokens| Block {
            start_ms: start_h * h,
            last_ms: start_h * h + 1,
            fuel_tokens: tokens,
        };
        assert_eq!(history_limit_5h(&[], now), 44_000);
        assert_eq!(history_limit_5h(&[block(10, 500)], now), 19_000);
        let blocks = [
            block(10, 30_000),
            block(20, 87_000),
            block(30, 86_000),
            block(40, 50_000),
        ];
        let limit = history_limit_5h(&blocks, now);
        assert!((86_000..=87_000).contains(&limit), "{limit}");
    }
}
