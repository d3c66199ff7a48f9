use super::*;
use crate::usage::{OfficialOrigin, Origin, TokenCounts, UsageEvent};

fn settings() -> FrameSettings {
    FrameSettings {
        lamps: LampThresholds {
            redline_tokens_per_min: 1_000,
            warn_fuel_5h: 0.2,
            warn_fuel_7d: 0.2,
            idle_after: Duration::from_secs(300),
        },
        limits: TokenLimits {
            tokens_5h: Some(10_000),
            tokens_7d: Some(100_000),
        },
        official_stale_after: Duration::from_secs(600),
    }
}

fn event(key: &str, at_ms: i64, input: u64, output: u64) -> UsageEvent {
    UsageEvent {
        at_ms,
        origin: Origin::Transcript,
        dedup_key: key.into(),
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
    assert_eq!(frame.model, Some(ModelFamily::Opus));
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
