//! Calibration: the effective limit of a window, learned whenever Claude's own percentage and our
//! local token count for the same window are both known, and the estimate that continues from the
//! last official reading once it goes stale.
//!
//! Sits in `limits/` beside fuel: the engine calls [`Calibration::learn`] when an official sample
//! arrives and [`calibrated_estimate`] when it builds a frame. The estimate is anchored on the last
//! official percentage (plus the tokens spent since, at the learned rate), so the needle does not
//! jump when the source changes from official to estimate (docs/official-limits.md,
//! "Calibration").

use serde::Serialize;

use crate::readings::{LearnedRate, OfficialSample};

/// Below this percentage a reading says too little (the statusLine rounds to whole percent).
const MIN_LEARN_PCT: f64 = 1.0;
/// A reading from a new window replaces one from an older window only from this percentage on:
/// early in a window a percent or two of rounding error would swing the learned rate widely.
const MIN_RELEARN_ACROSS_WINDOWS_PCT: f64 = 5.0;

/// What one window costs in local tokens: fuel tokens (input + output) per percent.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// Fuel tokens per percent of the window.
    pub tokens_per_pct: f64,
    /// When it was learned, unix ms.
    pub learned_at_ms: i64,
    /// The official percentage it was learned from.
    pub from_used_pct: f64,
    /// The local fuel tokens in the window at that moment.
    pub from_tokens: u64,
    /// The reset time of the window it was learned in, unix seconds.
    pub window_resets_at_secs: Option<i64>,
}

impl Calibration {
    /// A calibration as stored.
    pub fn from_learned(rate: &LearnedRate) -> Calibration {
        Calibration {
            tokens_per_pct: rate.tokens_per_pct,
            learned_at_ms: rate.learned_at_ms,
            from_used_pct: rate.from_used_pct,
            from_tokens: rate.from_tokens,
            window_resets_at_secs: rate.window_resets_at_secs,
        }
    }

    /// The rate one official `sample` and the local fuel tokens of its window (`window_tokens`)
    /// imply, or `None` when the pair says too little.
    pub fn learn(sample: &OfficialSample, window_tokens: u64) -> Option<Calibration> {
        if !sample.used_pct.is_finite() || sample.used_pct < MIN_LEARN_PCT || window_tokens == 0 {
            return None;
        }
        Some(Calibration {
            tokens_per_pct: window_tokens as f64 / sample.used_pct,
            learned_at_ms: sample.at_ms,
            from_used_pct: sample.used_pct,
            from_tokens: window_tokens,
            window_resets_at_secs: sample.resets_at_secs,
        })
    }

    /// Folds a new reading into what was learned: within one window the newest reading wins (more
    /// percent, less rounding error); a reading from a new window wins once it is big enough.
    pub fn update(previous: Option<Calibration>, reading: Calibration) -> Calibration {
        match previous {
            Some(old)
                if old.window_resets_at_secs != reading.window_resets_at_secs
                    && reading.from_used_pct < MIN_RELEARN_ACROSS_WINDOWS_PCT =>
            {
                old
            }
            _ => reading,
        }
    }

    /// The window's whole limit in fuel tokens, as learned.
    pub fn effective_limit_tokens(&self) -> u64 {
        (self.tokens_per_pct * 100.0).round() as u64
    }
}

/// A window's use as the calibrated estimate sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CalibratedUse {
    /// Percent used, 0..=100.
    pub used_pct: f64,
    /// When the window resets, unix seconds, if known.
    pub resets_at_secs: Option<i64>,
}

/// Everything [`calibrated_estimate`] weighs for one window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CalibratedInputs<'a> {
    /// Now, unix ms.
    pub now_ms: i64,
    /// What was learned for this window.
    pub calibration: Option<&'a Calibration>,
    /// The newest official sample, fresh or not.
    pub last_official: Option<&'a OfficialSample>,
    /// Fuel tokens spent after that sample.
    pub tokens_since_official: u64,
    /// Fuel tokens of the window running now, used once the official sample's window is over.
    pub tokens_in_new_window: u64,
    /// When the window running now resets, if known.
    pub new_window_resets_at_secs: Option<i64>,
}

/// The calibrated estimate: the last official percentage plus the tokens spent since, at the
/// learned rate; after that window's reset, the new window's tokens at the learned rate.
/// `None` until something was learned.
pub(crate) fn calibrated_estimate(inputs: CalibratedInputs<'_>) -> Option<CalibratedUse> {
    let calibration = inputs.calibration?;
    let per_pct = calibration.tokens_per_pct;
    if !per_pct.is_finite() || per_pct <= 0.0 {
        return None;
    }
    let anchored = inputs.last_official.filter(|sample| {
        sample
            .resets_at_secs
            .is_none_or(|reset| inputs.now_ms < reset.saturating_mul(1000))
    });
    let (used_pct, resets_at_secs) = match anchored {
        Some(sample) => (
            sample.used_pct + inputs.tokens_since_official as f64 / per_pct,
            sample.resets_at_secs,
        ),
        None => (
            inputs.tokens_in_new_window as f64 / per_pct,
            inputs.new_window_resets_at_secs,
        ),
    };
    Some(CalibratedUse {
        used_pct: used_pct.clamp(0.0, 100.0),
        resets_at_secs,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::readings::{OfficialOrigin, Window};

    fn sample(at_ms: i64, used_pct: f64, resets_at_secs: Option<i64>) -> OfficialSample {
        OfficialSample {
            at_ms,
            window: Window::FiveHour,
            used_pct,
            resets_at_secs,
            origin: OfficialOrigin::Statusline,
        }
    }

    fn inputs<'a>(
        calibration: &'a Calibration,
        official: &'a OfficialSample,
        now_ms: i64,
    ) -> CalibratedInputs<'a> {
        CalibratedInputs {
            now_ms,
            calibration: Some(calibration),
            last_official: Some(official),
            tokens_since_official: 0,
            tokens_in_new_window: 0,
            new_window_resets_at_secs: None,
        }
    }

    #[test]
    fn learns_tokens_per_percent() {
        let cal = Calibration::learn(&sample(1, 40.0, Some(100)), 20_000).unwrap();
        assert_eq!(cal.tokens_per_pct, 500.0);
        assert_eq!(cal.effective_limit_tokens(), 50_000);
        assert_eq!(Calibration::learn(&sample(1, 0.5, None), 20_000), None);
        assert_eq!(Calibration::learn(&sample(1, 40.0, None), 0), None);
    }

    #[test]
    fn a_small_reading_from_a_new_window_does_not_replace() {
        let old = Calibration::learn(&sample(1, 80.0, Some(100)), 40_000).unwrap();
        let early = Calibration::learn(&sample(2, 2.0, Some(200)), 2_000).unwrap();
        assert_eq!(Calibration::update(Some(old), early), old);
        let later = Calibration::learn(&sample(3, 10.0, Some(200)), 6_000).unwrap();
        assert_eq!(Calibration::update(Some(old), later), later);
        let same_window = Calibration::learn(&sample(4, 2.0, Some(100)), 1_000).unwrap();
        assert_eq!(Calibration::update(Some(old), same_window), same_window);
    }

    #[test]
    fn continues_from_the_last_official_reading() {
        let cal = Calibration::learn(&sample(0, 40.0, Some(10_000)), 20_000).unwrap();
        let official = sample(1_000, 40.0, Some(10_000));
        let mut i = inputs(&cal, &official, 2_000_000);
        i.tokens_since_official = 5_000;
        let est = calibrated_estimate(i).unwrap();
        assert_eq!(est.used_pct, 50.0);
        assert_eq!(est.resets_at_secs, Some(10_000));
    }

    #[test]
    fn after_the_reset_counts_the_new_window() {
        let cal = Calibration::learn(&sample(0, 40.0, Some(10)), 20_000).unwrap();
        let official = sample(1_000, 90.0, Some(10));
        let mut i = inputs(&cal, &official, 11_000);
        i.tokens_since_official = 99_999;
        i.tokens_in_new_window = 2_500;
        i.new_window_resets_at_secs = Some(18_010);
        let est = calibrated_estimate(i).unwrap();
        assert_eq!(est.used_pct, 5.0);
        assert_eq!(est.resets_at_secs, Some(18_010));
    }

    #[test]
    fn nothing_learned_means_no_estimate() {
        let official = sample(1_000, 40.0, None);
        let i = CalibratedInputs {
            now_ms: 2_000,
            calibration: None,
            last_official: Some(&official),
            tokens_since_official: 10,
            tokens_in_new_window: 10,
            new_window_resets_at_secs: None,
        };
        assert_eq!(calibrated_estimate(i), None);
    }

    proptest! {
        /// At the moment official data goes stale, with no tokens spent since, the calibrated
        /// estimate equals the last official reading: the needle does not jump.
        #[test]
        fn no_jump_at_the_switch(
            used_pct in 0.0f64..=100.0,
            learn_pct in 1.0f64..=100.0,
            tokens in 1u64..10_000_000,
        ) {
            let cal = Calibration::learn(&sample(0, learn_pct, Some(1_000_000)), tokens).unwrap();
            let official = sample(1_000, used_pct, Some(1_000_000));
            let est = calibrated_estimate(inputs(&cal, &official, 700_000)).unwrap();
            prop_assert!((est.used_pct - used_pct).abs() < 1e-9);
        }

        /// The estimate only grows with tokens spent, and stays within 0..=100.
        #[test]
        fn monotone_and_clamped(
            used_pct in 0.0f64..=100.0,
            per_pct in 0.001f64..1e6,
            a in 0u64..1_000_000_000,
            b in 0u64..1_000_000_000,
        ) {
            let cal = Calibration {
                tokens_per_pct: per_pct,
                learned_at_ms: 0,
                from_used_pct: 50.0,
                from_tokens: 1,
                window_resets_at_secs: None,
            };
            let official = sample(0, used_pct, None);
            let mut lo = inputs(&cal, &official, 1);
            lo.tokens_since_official = a.min(b);
            let mut hi = lo;
            hi.tokens_since_official = a.max(b);
            let lo = calibrated_estimate(lo).unwrap().used_pct;
            let hi = calibrated_estimate(hi).unwrap().used_pct;
            prop_assert!((0.0..=100.0).contains(&lo) && (0.0..=100.0).contains(&hi));
            prop_assert!(lo <= hi);
        }

        /// Learning then estimating the same window reproduces the official percentage.
        #[test]
        fn learn_round_trips(used_pct in 1.0f64..=100.0, tokens in 1u64..1_000_000_000) {
            let cal = Calibration::learn(&sample(0, used_pct, None), tokens).unwrap();
            let back = tokens as f64 / cal.tokens_per_pct;
            prop_assert!((back - used_pct).abs() < 1e-6 * used_pct.max(1.0));
        }
    }
}
