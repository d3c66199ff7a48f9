//! Pace and run-out: where an even burn would leave a window's fuel now, and when the fuel runs
//! out at the recent burn rate (`docs/protocol.md`, "Pace and run-out").
//!
//! Sits beside fuel: the frame builder hands in a window's fuel, its reset and what local usage
//! says of the recent burn, and puts the answers into the frame's `pace_*` and `empty_*`.

/// How far back the recent burn rate looks, per window: half an hour for the 5-hour window, a
/// day for the 7-day one (a day of the week's use, as Geekmagic's forecast does).
pub(crate) const BURN_SPAN_5H_MS: i64 = 30 * 60 * 1000;
/// See [`BURN_SPAN_5H_MS`].
pub(crate) const BURN_SPAN_7D_MS: i64 = 24 * 3600 * 1000;

/// The window's average burn (used fuel over the time since it began) counts only once this
/// share of the window has passed: early on a percent of rounding would forecast a run-out at
/// once.
const MIN_AVERAGE_SHARE: f64 = 0.08;

/// Pace is sent with two decimals (a 5-hour window moves it every 3 minutes), run-out times to
/// the minute: enough for a mark and a countdown, and the frame does not change every tick.
const PACE_STEPS: f64 = 100.0;
const RUN_OUT_STEP_SECS: i64 = 60;

/// The fuel an even burn would leave at `now_ms`: the fraction of the window still ahead in
/// time, 0..=1 (four hours into a five-hour window: 0.2). `None` without a reset time.
pub(crate) fn pace(now_ms: i64, resets_at_secs: Option<i64>, length_secs: i64) -> Option<f64> {
    let reset_ms = resets_at_secs?.checked_mul(1000)?;
    if length_secs <= 0 {
        return None;
    }
    let ahead = (reset_ms - now_ms) as f64 / (length_secs * 1000) as f64;
    Some((ahead.clamp(0.0, 1.0) * PACE_STEPS).round() / PACE_STEPS)
}

/// Everything [`run_out_secs`] weighs for one window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BurnInputs {
    /// Now, unix ms.
    pub now_ms: i64,
    /// The window's length, seconds.
    pub length_secs: i64,
    /// Fuel left, 0..=1.
    pub fraction: f64,
    /// When the window resets, unix seconds.
    pub resets_at_secs: Option<i64>,
    /// The fuel the recent span burned (local fuel tokens of the span over the window's limit in
    /// tokens), when a limit is known; with the span's length in ms.
    pub recent: Option<(f64, i64)>,
}

/// The burn rate, fuel per ms: the faster of the window's average so far (once
/// `MIN_AVERAGE_SHARE` of it has passed) and the recent span's. `None` when neither is known.
pub(crate) fn burn_per_ms(inputs: &BurnInputs) -> Option<f64> {
    let length_ms = inputs.length_secs.checked_mul(1000)?;
    let average = inputs.resets_at_secs.and_then(|reset| {
        let elapsed_ms = inputs.now_ms - (reset.checked_mul(1000)? - length_ms);
        let is_settled = elapsed_ms as f64 >= MIN_AVERAGE_SHARE * length_ms as f64;
        is_settled.then(|| (1.0 - inputs.fraction).max(0.0) / elapsed_ms as f64)
    });
    let recent = inputs
        .recent
        .filter(|(burned, span_ms)| burned.is_finite() && *span_ms > 0)
        .map(|(burned, span_ms)| burned.max(0.0) / span_ms as f64);
    match (average, recent) {
        (Some(a), Some(r)) => Some(a.max(r)),
        (a, r) => a.or(r),
    }
}

/// When the fuel reaches zero at the burn rate ([`burn_per_ms`]), unix seconds rounded up to the
/// minute; `None` when that is at or after the reset, when nothing burns, when the window is
/// already empty or over, or without a reset time.
pub(crate) fn run_out_secs(inputs: &BurnInputs) -> Option<i64> {
    let reset_ms = inputs.resets_at_secs?.checked_mul(1000)?;
    // NaN fuel counts as empty: nothing to forecast.
    let has_fuel = inputs.fraction.is_finite() && inputs.fraction > 0.0;
    if inputs.now_ms >= reset_ms || !has_fuel {
        return None;
    }
    let rate = burn_per_ms(inputs).filter(|rate| *rate > 0.0 && rate.is_finite())?;
    let empty_ms = inputs.now_ms as f64 + inputs.fraction / rate;
    if empty_ms >= reset_ms as f64 {
        return None;
    }
    let empty_secs = (empty_ms / 1000.0).ceil() as i64;
    let rounded = empty_secs.div_euclid(RUN_OUT_STEP_SECS) * RUN_OUT_STEP_SECS;
    let rounded = if rounded < empty_secs {
        rounded + RUN_OUT_STEP_SECS
    } else {
        rounded
    };
    // Rounding up must not carry it past the reset it comes before.
    Some(rounded.min(reset_ms / 1000))
}

/// Whether a run-out at `empty_secs` comes at least `margin_secs` before the reset: what lights
/// WARN_5H / WARN_7D besides the fuel level.
pub(crate) fn is_run_out_early(
    empty_secs: Option<i64>,
    resets_at_secs: Option<i64>,
    margin_secs: i64,
) -> bool {
    match (empty_secs, resets_at_secs) {
        (Some(empty), Some(reset)) => empty <= reset.saturating_sub(margin_secs),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H_MS: i64 = 3600 * 1000;
    const FIVE_H: i64 = 5 * 3600;
    const NOW_MS: i64 = 1_800_000_000_000;

    fn inputs(fraction: f64, reset_in_ms: i64) -> BurnInputs {
        BurnInputs {
            now_ms: NOW_MS,
            length_secs: FIVE_H,
            fraction,
            resets_at_secs: Some((NOW_MS + reset_in_ms) / 1000),
            recent: None,
        }
    }

    #[test]
    fn pace_is_the_share_of_the_window_ahead() {
        let reset = Some((NOW_MS + H_MS) / 1000);
        assert_eq!(pace(NOW_MS, reset, FIVE_H), Some(0.2));
        assert_eq!(pace(NOW_MS, Some(NOW_MS / 1000), FIVE_H), Some(0.0));
        assert_eq!(
            pace(NOW_MS, Some(NOW_MS / 1000 + 9 * 3600), FIVE_H),
            Some(1.0)
        );
        assert_eq!(pace(NOW_MS, None, FIVE_H), None);
        // Two decimals: 0.2 of a 7-day window, give or take a minute.
        let week = 7 * 86_400;
        let reset = Some(NOW_MS / 1000 + week / 5 + 60);
        assert_eq!(pace(NOW_MS, reset, week), Some(0.2));
    }

    #[test]
    fn an_even_burn_runs_out_after_the_reset() {
        // 50% used four hours in, an hour to go: the average needs four more hours.
        let i = inputs(0.5, H_MS);
        assert!((burn_per_ms(&i).unwrap() - 0.5 / (4.0 * H_MS as f64)).abs() < 1e-15);
        assert_eq!(run_out_secs(&i), None);
        assert!(!is_run_out_early(run_out_secs(&i), i.resets_at_secs, 300));
    }

    #[test]
    fn a_recent_burn_runs_out_before_the_reset() {
        // Half the window burned in the last half hour: the other half goes in 30 minutes.
        let mut i = inputs(0.5, H_MS);
        i.recent = Some((0.5, 30 * 60 * 1000));
        let empty = run_out_secs(&i).unwrap();
        assert_eq!(empty, NOW_MS / 1000 + 30 * 60);
        assert!(is_run_out_early(Some(empty), i.resets_at_secs, 300));
        // With a margin wider than the gap, the lamp stays dark; the time is still sent.
        assert!(!is_run_out_early(Some(empty), i.resets_at_secs, 3600));
    }

    #[test]
    fn early_in_a_window_the_average_does_not_count() {
        // 5% used one minute into the window: no forecast from that.
        let i = inputs(0.95, 5 * H_MS - 60_000);
        assert_eq!(burn_per_ms(&i), None);
        assert_eq!(run_out_secs(&i), None);
    }

    #[test]
    fn nothing_to_forecast() {
        let mut i = inputs(0.0, H_MS);
        i.recent = Some((0.5, 1000));
        assert_eq!(run_out_secs(&i), None, "already empty");
        let mut i = inputs(0.5, -1000);
        i.recent = Some((0.5, 1000));
        assert_eq!(run_out_secs(&i), None, "window over");
        let mut i = inputs(0.5, H_MS);
        i.resets_at_secs = None;
        i.recent = Some((0.5, 1000));
        assert_eq!(run_out_secs(&i), None, "no reset");
        let mut i = inputs(1.0, 4 * H_MS);
        i.recent = Some((0.0, 1000));
        assert_eq!(run_out_secs(&i), None, "nothing burns");
        let mut i = inputs(0.5, H_MS);
        i.recent = Some((f64::NAN, 1000));
        assert_eq!(run_out_secs(&i), None, "a NaN burn is no burn");
    }

    proptest::proptest! {
        /// A run-out is always after now, on a whole minute or the reset, and never after the
        /// reset; pace stays in 0..=1.
        #[test]
        fn run_out_lies_between_now_and_the_reset(
            fraction in 0.0f64..=1.0,
            reset_in_ms in -H_MS..6 * H_MS,
            burned in proptest::option::of(0.0f64..2.0),
        ) {
            let mut i = inputs(fraction, reset_in_ms);
            i.recent = burned.map(|b| (b, BURN_SPAN_5H_MS));
            if let Some(empty) = run_out_secs(&i) {
                let reset = i.resets_at_secs.unwrap();
                proptest::prop_assert!(empty * 1000 >= NOW_MS);
                proptest::prop_assert!(empty <= reset);
                proptest::prop_assert!(empty % 60 == 0 || empty == reset);
            }
            let p = pace(NOW_MS, i.resets_at_secs, FIVE_H).unwrap();
            proptest::prop_assert!((0.0..=1.0).contains(&p));
        }
    }
}
