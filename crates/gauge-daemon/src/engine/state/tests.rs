use std::time::Duration;

use gauge_core::{FuelSource, GaugeSource, Lamp};

use super::*;
use crate::engine::{LampThresholds, TokenLimits};
use crate::readings::{
    ExtraUsage, OfficialOrigin, OfficialSample, Origin, PrometheusReading, ScopedSample,
    TokenCounts, UsageEvent, Window,
};

fn settings() -> FrameSettings {
    FrameSettings {
        lamps: LampThresholds {
            redline_tokens_per_min: 1_000,
            warn_fuel_5h: 0.2,
            warn_fuel_7d: 0.2,
            idle_after: Duration::from_secs(300),
            run_out_margin_5h: Duration::from_secs(300),
            run_out_margin_7d: Duration::from_secs(3600),
        },
        token_limits: TokenLimits {
            tokens_5h: Some(10_000),
            tokens_7d: Some(100_000),
        },
        official_stale_after: Duration::from_secs(600),
        tick: FrameSettings::DEFAULT_TICK,
    }
}

fn event(key: &str, at_ms: i64, input: u64, output: u64) -> UsageEvent {
    UsageEvent {
        at_ms,
        origin: Origin::Transcript,
        dedup_key: key.into(),
        message_id: None,
        model: "claude-opus-4-5".into(),
        tokens: TokenCounts {
            input,
            output,
            cache_creation: 0,
            cache_read: 0,
        },
        cost_usd: 0.0,
        is_sidechain: false,
        has_speed: false,
    }
}

const NOW: i64 = 1_795_491_113_000;

#[test]
fn no_source_means_stall_idle_and_none() {
    let state = EngineState::new(settings());
    let frame = state.next_frame(NOW, None);
    assert_eq!(frame.source, FuelSource::None);
    assert!(frame.lamps.is_lit(Lamp::Stall));
    assert!(frame.lamps.is_lit(Lamp::Idle));
    assert_eq!(frame.fuel_5h, None);
    assert_eq!(frame.seq, 1);
}

#[test]
fn usage_drives_tach_fuel_model_and_hot() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Health(SourceKind::Transcripts, Ok(())), NOW);
    state.apply(
        EngineInput::Usage(vec![event("a", NOW - 1_000, 600, 600)]),
        NOW,
    );
    let frame = state.next_frame(NOW, None);
    assert_eq!(frame.tach, 1_200);
    assert_eq!(frame.fuel_5h, Some(0.88));
    assert_eq!(frame.fuel_7d, Some(0.988));
    assert_eq!(frame.model, Some(ModelFamily::OPUS));
    assert_eq!(frame.source, FuelSource::Estimate);
    assert!(frame.lamps.is_lit(Lamp::Hot));
    assert!(!frame.lamps.is_lit(Lamp::Stall));
    assert!(!frame.lamps.is_lit(Lamp::Idle));
    // A minute later the tach is back at zero and HOT goes out.
    let later = state.next_frame(NOW + 60_000, Some(&frame));
    assert_eq!(later.tach, 0);
    assert!(!later.lamps.is_lit(Lamp::Hot));
    assert_eq!(later.seq, frame.seq + 1);
}

#[test]
fn seq_holds_while_nothing_changes() {
    let state = EngineState::new(settings());
    let first = state.next_frame(NOW, None);
    let again = state.next_frame(NOW + 10_000, Some(&first));
    assert_eq!(again, first);
}

#[test]
fn official_sample_wins_and_lights_warn_and_limit() {
    let mut state = EngineState::new(settings());
    let sample = |window, used_pct| OfficialSample {
        at_ms: NOW,
        window,
        used_pct,
        resets_at_secs: Some(NOW / 1000 + 60),
        origin: OfficialOrigin::Statusline,
    };
    state.apply(EngineInput::Official(sample(Window::FiveHour, 85.0)), NOW);
    state.apply(EngineInput::Official(sample(Window::SevenDay, 100.0)), NOW);
    state.apply(EngineInput::Health(SourceKind::Statusline, Ok(())), NOW);
    let frame = state.next_frame(NOW, None);
    assert_eq!(frame.source, FuelSource::Official);
    assert_eq!(frame.fuel_5h, Some(0.15));
    assert_eq!(frame.reset_5h, Some((NOW / 1000 + 60) as u64));
    assert!(frame.lamps.is_lit(Lamp::Warn5h));
    assert!(frame.lamps.is_lit(Lamp::Warn7d));
    assert!(frame.lamps.is_lit(Lamp::Limit));
    // After the reset both windows read full and LIMIT goes out.
    let after = state.next_frame(NOW + 61_000, Some(&frame));
    assert_eq!(after.fuel_5h, Some(1.0));
    assert!(!after.lamps.is_lit(Lamp::Limit));
}

#[test]
fn stall_follows_source_freshness() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Health(SourceKind::Transcripts, Ok(())), NOW);
    assert!(!state
        .next_frame(NOW + 29_000, None)
        .lamps
        .is_lit(Lamp::Stall));
    assert!(state
        .next_frame(NOW + 31_000, None)
        .lamps
        .is_lit(Lamp::Stall));
}

fn reading(at_ms: i64, tach: u64, fuel_5h: u64, fuel_7d: u64, model: Option<&str>) -> EngineInput {
    EngineInput::Aggregate(PrometheusReading {
        at_ms,
        tach_tokens_per_min: tach,
        fuel_tokens_5h: fuel_5h,
        fuel_tokens_7d: fuel_7d,
        model: model.map(str::to_string),
    })
}

#[test]
fn prometheus_readings_drive_tach_fuel_and_model() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Configured(SourceKind::Prometheus), NOW);
    // Configured but not read yet: nothing known, and STALL.
    let first = state.next_frame(NOW, None);
    assert_eq!((first.fuel_5h, first.tach), (None, 0));
    assert!(first.lamps.is_lit(Lamp::Stall));
    state.apply(
        reading(NOW, 1_500, 2_500, 50_000, Some("claude-sonnet-4-5")),
        NOW,
    );
    state.apply(EngineInput::Health(SourceKind::Prometheus, Ok(())), NOW);
    // Local requests do not add to the aggregates (they would count twice).
    state.apply(
        EngineInput::Usage(vec![event("a", NOW - 1_000, 600, 600)]),
        NOW,
    );
    let frame = state.next_frame(NOW + 1_000, Some(&first));
    assert_eq!(frame.tach, 1_500);
    assert_eq!(frame.fuel_5h, Some(0.75));
    assert_eq!(frame.fuel_7d, Some(0.5));
    assert_eq!(frame.reset_5h, None);
    assert_eq!(frame.model, Some(ModelFamily::SONNET));
    assert_eq!(frame.source, FuelSource::Estimate);
    assert!(frame.lamps.is_lit(Lamp::Hot));
    assert!(!frame.lamps.is_lit(Lamp::Stall));
    assert!(!frame.lamps.is_lit(Lamp::Idle));
    // A later reading without a model keeps the last one.
    state.apply(reading(NOW + 5_000, 0, 2_500, 50_000, None), NOW + 5_000);
    let quiet = state.next_frame(NOW + 5_000, Some(&frame));
    assert_eq!((quiet.tach, quiet.model), (0, Some(ModelFamily::SONNET)));
}

#[test]
fn failing_prometheus_stalls_at_once_holds_fuel_and_drops_tach() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Configured(SourceKind::Prometheus), NOW);
    // A fresh transcript source does not hide a failing Prometheus: it drives no needle.
    state.apply(EngineInput::Health(SourceKind::Transcripts, Ok(())), NOW);
    state.apply(reading(NOW, 1_500, 2_500, 50_000, Some("opus")), NOW);
    state.apply(EngineInput::Health(SourceKind::Prometheus, Ok(())), NOW);
    let up = state.next_frame(NOW, None);
    assert!(!up.lamps.is_lit(Lamp::Stall));
    state.apply(
        EngineInput::Health(SourceKind::Prometheus, Err("refused".into())),
        NOW + 1_000,
    );
    let down = state.next_frame(NOW + 1_000, Some(&up));
    assert!(down.lamps.is_lit(Lamp::Stall));
    assert_eq!(down.tach, 0);
    assert_eq!(down.fuel_5h, Some(0.75));
    let statuses = state.source_statuses(NOW + 1_000);
    let prometheus = statuses.iter().find(|s| s.source == "prometheus").unwrap();
    assert!(!prometheus.is_fresh);
    // Recovery clears it.
    state.apply(reading(NOW + 2_000, 10, 2_600, 50_100, None), NOW + 2_000);
    state.apply(
        EngineInput::Health(SourceKind::Prometheus, Ok(())),
        NOW + 2_000,
    );
    let again = state.next_frame(NOW + 2_000, Some(&down));
    assert!(!again.lamps.is_lit(Lamp::Stall));
    assert_eq!(again.tach, 10);
}

#[test]
fn usage_totals_count_replacements_once() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Usage(vec![event("a", NOW, 10, 5)]), NOW);
    state.apply(EngineInput::Usage(vec![event("a", NOW, 10, 9)]), NOW);
    let (model, totals) = state.totals().by_model().next().unwrap();
    assert_eq!(model, "claude-opus-4-5");
    assert_eq!((totals.tokens.input, totals.tokens.output), (10, 9));
}

#[test]
fn calibration_keeps_the_needle_still_when_official_goes_stale() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Health(SourceKind::Transcripts, Ok(())), NOW);
    // 2,000 fuel tokens in the window, and Claude says 40% used: 50 tokens per percent.
    state.apply(
        EngineInput::Usage(vec![event("a", NOW - 60_000, 1_500, 500)]),
        NOW,
    );
    let sample = OfficialSample {
        at_ms: NOW,
        window: Window::FiveHour,
        used_pct: 40.0,
        resets_at_secs: Some(NOW / 1000 + 3 * 3600),
        origin: OfficialOrigin::Statusline,
    };
    state.apply(EngineInput::Official(sample), NOW);
    let (_, learned) = state.official_and_calibration(Window::FiveHour);
    assert_eq!(learned.unwrap().tokens_per_pct, 50.0);
    let fresh = state.next_frame(NOW + 1_000, None);
    assert_eq!(fresh.source, FuelSource::Official);
    assert_eq!(fresh.fuel_5h, Some(0.6));
    // Stale: the calibrated estimate continues from 40%, where the plain estimate (2,000 of the
    // configured 10,000) would have jumped to 80% fuel.
    let stale_ms = NOW + 601_000;
    let stale = state.next_frame(stale_ms, Some(&fresh));
    assert_eq!(stale.source, FuelSource::Estimate);
    assert_eq!(stale.fuel_5h, Some(0.6));
    // 500 more tokens = 10 more percent.
    state.apply(
        EngineInput::Usage(vec![event("b", stale_ms, 250, 250)]),
        stale_ms,
    );
    assert_eq!(state.next_frame(stale_ms, Some(&stale)).fuel_5h, Some(0.5));
    // Past the reset, the new window counts only its own tokens.
    let after_reset_ms = NOW + 3 * 3600 * 1000 + 60_000;
    state.apply(
        EngineInput::Usage(vec![event("c", after_reset_ms, 100, 150)]),
        after_reset_ms,
    );
    assert_eq!(state.next_frame(after_reset_ms, None).fuel_5h, Some(0.95));
}

#[test]
fn a_line_dated_in_the_future_waits_for_its_time() {
    let mut state = EngineState::new(settings());
    state.apply(EngineInput::Health(SourceKind::Transcripts, Ok(())), NOW);
    let haiku = UsageEvent {
        model: "claude-haiku-4-5".into(),
        ..event("future", NOW + 3 * 3600 * 1000, 500, 500)
    };
    state.apply(
        EngineInput::Usage(vec![event("now", NOW - 1_000, 10, 10), haiku]),
        NOW,
    );
    let frame = state.next_frame(NOW, None);
    assert_eq!(
        frame.model,
        Some(ModelFamily::OPUS),
        "the current model stays"
    );
    assert_eq!(frame.tach, 20, "future tokens are not in the tach");
    assert!(!frame.lamps.is_lit(Lamp::Idle));
    // Within the clock-skew tolerance a line counts at once.
    let skewed = UsageEvent {
        model: "claude-sonnet-4-5".into(),
        ..event("skewed", NOW + 60_000, 1, 1)
    };
    state.apply(EngineInput::Usage(vec![skewed]), NOW);
    assert_eq!(state.next_frame(NOW, None).model, Some(ModelFamily::SONNET));
    // When its time comes, the future line is the newest.
    let then = state.next_frame(NOW + 3 * 3600 * 1000, None);
    assert_eq!(then.model, Some(ModelFamily::HAIKU));
}

#[test]
fn the_statusline_model_wins_while_fresh() {
    let mut state = EngineState::new(settings());
    state.apply(
        EngineInput::Model("claude-opus-4-6[1m]".into()),
        NOW - 5_000,
    );
    let sonnet = UsageEvent {
        model: "claude-sonnet-4-5".into(),
        ..event("subagent", NOW - 1_000, 10, 10)
    };
    state.apply(EngineInput::Usage(vec![sonnet]), NOW);
    assert_eq!(state.next_frame(NOW, None).model, Some(ModelFamily::OPUS));
    // Once the report is stale, the newest usage decides again.
    let later = NOW + 601_000;
    assert_eq!(
        state.next_frame(later, None).model,
        Some(ModelFamily::SONNET)
    );
}

#[test]
fn an_old_limit_message_lights_nothing() {
    let mut state = EngineState::new(settings());
    let months_ago_secs = NOW / 1000 - 90 * 86_400;
    state.apply(
        EngineInput::LimitReached {
            until_secs: months_ago_secs,
        },
        NOW,
    );
    assert!(!state.next_frame(NOW, None).lamps.is_lit(Lamp::Limit));
    assert_eq!(
        crate::engine::LimitsReport::of(&state, NOW).limit_until_secs,
        None
    );
    // A reset still ahead lights LIMIT and shows in the report until it passes.
    let soon_secs = NOW / 1000 + 600;
    state.apply(
        EngineInput::LimitReached {
            until_secs: soon_secs,
        },
        NOW,
    );
    assert!(state.next_frame(NOW, None).lamps.is_lit(Lamp::Limit));
    let report = crate::engine::LimitsReport::of(&state, NOW);
    assert_eq!(report.limit_until_secs, Some(soon_secs));
    let after = NOW + 601_000;
    assert_eq!(
        crate::engine::LimitsReport::of(&state, after).limit_until_secs,
        None
    );
}

fn official_5h(at_ms: i64, used_pct: f64, resets_at_secs: i64) -> EngineInput {
    EngineInput::Official(OfficialSample {
        at_ms,
        window: Window::FiveHour,
        used_pct,
        resets_at_secs: Some(resets_at_secs),
        origin: OfficialOrigin::Statusline,
    })
}

#[test]
fn pace_is_the_time_ahead_and_an_even_burn_lights_nothing() {
    let mut state = EngineState::new(settings());
    let reset = NOW / 1000 + 3600;
    state.apply(official_5h(NOW, 50.0, reset), NOW);
    let frame = state.next_frame(NOW, None);
    assert_eq!(frame.pace_5h, Some(0.2));
    assert_eq!(frame.empty_5h, None, "12.5%/h leaves fuel at the reset");
    assert!(!frame.lamps.is_lit(Lamp::Warn5h));
    assert_eq!(frame.pace_7d, None, "no 7-day reset known");
}

#[test]
fn a_recent_burn_that_empties_the_window_first_lights_warn() {
    let mut state = EngineState::new(settings());
    let reset = NOW / 1000 + 3600;
    // 5,000 fuel tokens in the last 20 minutes, then Claude says 50%: 100 tokens per percent,
    // so the last half hour burned half the window and the other half lasts 30 minutes.
    let events = (0..5)
        .map(|i| event(&format!("r{i}"), NOW - 20 * 60_000 + i * 60_000, 900, 100))
        .collect();
    state.apply(EngineInput::Usage(events), NOW);
    state.apply(official_5h(NOW, 50.0, reset), NOW);
    let frame = state.next_frame(NOW, None);
    assert_eq!(frame.fuel_5h, Some(0.5));
    let empty = frame.empty_5h.expect("runs out before the reset");
    assert!(
        (NOW as u64 / 1000 + 29 * 60..=NOW as u64 / 1000 + 31 * 60).contains(&empty),
        "{empty}"
    );
    assert!(frame.lamps.is_lit(Lamp::Warn5h), "run-out, not fuel level");
    // A margin wider than the gap keeps the lamp dark; the time is still sent.
    let mut wide = settings();
    wide.lamps.run_out_margin_5h = Duration::from_secs(3000);
    let mut state_wide = EngineState::new(wide);
    let events = (0..5)
        .map(|i| event(&format!("r{i}"), NOW - 20 * 60_000 + i * 60_000, 900, 100))
        .collect();
    state_wide.apply(EngineInput::Usage(events), NOW);
    state_wide.apply(official_5h(NOW, 50.0, reset), NOW);
    let frame = state_wide.next_frame(NOW, None);
    assert!(frame.empty_5h.is_some());
    assert!(!frame.lamps.is_lit(Lamp::Warn5h));
}

fn scoped(name: &str, at_ms: i64, used_pct: f64, reset_secs: i64) -> ScopedSample {
    ScopedSample {
        at_ms,
        name: name.into(),
        family: ScopedSample::family_of(name),
        display_name: None,
        severity: None,
        used_pct,
        resets_at_secs: Some(reset_secs),
        origin: OfficialOrigin::Oauth,
    }
}

#[test]
fn a_model_weekly_window_past_warn_lights_its_model_lamp() {
    let mut state = EngineState::new(settings());
    let reset = NOW / 1000 + 86_400;
    state.apply(
        EngineInput::Scoped(vec![
            scoped("seven_day_opus", NOW, 91.0, reset),
            scoped("seven_day_sonnet", NOW, 50.0, reset),
            scoped("seven_day_oauth_apps", NOW, 99.0, reset),
        ]),
        NOW,
    );
    let frame = state.next_frame(NOW, None);
    assert!(frame.lamps.is_lit(Lamp::WarnOpus));
    assert!(!frame.lamps.is_lit(Lamp::WarnSonnet));
    assert_eq!(state.scoped().count(), 3, "every window is kept");
    // An older reading never replaces a newer one; a stale one or one past its reset lights
    // nothing.
    state.apply(
        EngineInput::Scoped(vec![scoped("seven_day_opus", NOW - 1, 10.0, reset)]),
        NOW,
    );
    assert!(state.next_frame(NOW, None).lamps.is_lit(Lamp::WarnOpus));
    assert!(!state
        .next_frame(NOW + 601_000, None)
        .lamps
        .is_lit(Lamp::WarnOpus));
    let mut state = EngineState::new(settings());
    state.apply(
        EngineInput::Scoped(vec![scoped("seven_day_opus", NOW, 91.0, NOW / 1000 - 1)]),
        NOW,
    );
    assert!(!state.next_frame(NOW, None).lamps.is_lit(Lamp::WarnOpus));
}

fn official_7d(at_ms: i64, used_pct: f64, origin: OfficialOrigin) -> EngineInput {
    EngineInput::Official(OfficialSample {
        at_ms,
        window: Window::SevenDay,
        used_pct,
        resets_at_secs: Some(NOW / 1000 + 86_400),
        origin,
    })
}

#[test]
fn a_window_claude_does_not_report_is_none_not_an_estimate() {
    let mut state = EngineState::new(settings());
    // Local usage makes an estimate possible for both windows...
    state.apply(
        EngineInput::Usage(vec![event("a", NOW - 60_000, 9_000, 500)]),
        NOW,
    );
    let estimated = state.next_frame(NOW, None);
    assert_eq!(estimated.source_5h, Some(GaugeSource::Estimate));
    // ...until Claude reports the weekly window and no 5-hour one: this plan has none.
    state.apply(official_7d(NOW, 40.0, OfficialOrigin::Statusline), NOW);
    let frame = state.next_frame(NOW, None);
    assert_eq!(frame.source_5h, Some(GaugeSource::None), "{frame:?}");
    assert_eq!(frame.source_7d, Some(GaugeSource::Official));
    assert_eq!(frame.fuel_5h, None, "the 5h needle parks");
    assert_eq!(frame.reset_5h, None);
    assert!(!frame.lamps.is_lit(Lamp::Warn5h), "{frame:?}");
    assert_eq!(frame.source, FuelSource::Official);
    // Claude Code's cached copy is its own source.
    state.apply(official_7d(NOW, 41.0, OfficialOrigin::CachedUsage), NOW);
    assert_eq!(
        state.next_frame(NOW, None).source_7d,
        Some(GaugeSource::Cached)
    );
}

#[test]
fn a_critical_scoped_window_is_named_and_lights_its_caution() {
    let mut state = EngineState::new(settings());
    let mut fable = scoped("weekly_scoped:Fable", NOW, 95.0, NOW / 1000 + 3600);
    fable.display_name = Some("Fable".into());
    fable.severity = Some(crate::readings::Severity::Critical);
    let mut calm = scoped("weekly_scoped:Other", NOW, 99.0, NOW / 1000 + 3600);
    calm.display_name = Some("Other".into());
    calm.severity = Some(crate::readings::Severity::Normal);
    state.apply(EngineInput::Scoped(vec![fable, calm]), NOW);
    let frame = state.next_frame(NOW, None);
    let names: Vec<&str> = frame.warn_scoped.iter().collect();
    assert_eq!(names, ["Fable"], "the server's grade decides");
    assert!(frame.lamps.is_lit(Lamp::WarnScoped));
}

#[test]
fn spend_past_its_limit_is_kept_in_dollars_and_lights_credits() {
    let mut state = EngineState::new(settings());
    state.apply(
        EngineInput::Extra(ExtraUsage {
            at_ms: NOW,
            is_enabled: true,
            monthly_limit: Some(50.0),
            used_credits: Some(62.5),
            used_pct: Some(125.0),
            currency: Some("USD".into()),
            period: Some("monthly".into()),
            origin: OfficialOrigin::Oauth,
        }),
        NOW,
    );
    let frame = state.next_frame(NOW, None);
    let spend = frame.spend.expect("spend");
    assert_eq!(
        (spend.used_usd, spend.limit_usd, spend.used_pct),
        (62.5, Some(50.0), Some(125.0))
    );
    assert!(frame.lamps.is_lit(Lamp::Credits));
    assert!(!frame.lamps.is_lit(Lamp::Limit));
}

#[test]
fn a_window_at_its_limit_with_requests_flowing_runs_on_credits() {
    let mut state = EngineState::new(settings());
    state.apply(official_5h(NOW - 1_000, 100.0, NOW / 1000 + 3600), NOW);
    let stopped = state.next_frame(NOW, None);
    assert!(stopped.lamps.is_lit(Lamp::Limit), "{stopped:?}");
    assert!(!stopped.lamps.is_lit(Lamp::Credits));
    state.apply(EngineInput::Usage(vec![event("b", NOW - 500, 10, 10)]), NOW);
    let on_credits = state.next_frame(NOW, None);
    assert!(on_credits.lamps.is_lit(Lamp::Credits), "{on_credits:?}");
    assert!(!on_credits.lamps.is_lit(Lamp::Limit));
}

#[test]
fn todays_model_families_are_named() {
    let mut state = EngineState::new(settings());
    let mut fable = event("f", NOW - 1_000, 10, 10);
    fable.model = "claude-fable-5-2".into();
    state.apply(EngineInput::Usage(vec![fable]), NOW);
    assert_eq!(
        state
            .next_frame(NOW, None)
            .model
            .map(|m| m.as_str().to_string()),
        Some("fable".to_string())
    );
}
