use super::*;
use crate::entry::{Speed, TokenUsage};

fn entry(message_id: &str, request_id: Option<&str>, output: u64) -> UsageEntry {
    UsageEntry {
        timestamp_ms: 1_000,
        message_id: Some(message_id.into()),
        request_id: request_id.map(Into::into),
        model: None,
        display_model: None,
        usage: TokenUsage {
            output_tokens: output,
            ..TokenUsage::default()
        },
        cost_usd: 0.0,
        is_unpriced: false,
        session_id: "s".into(),
        project: "p".into(),
        origin: crate::entry::test_origin(),
        has_cost_field: false,
        is_sidechain: false,
        speed: None,
        is_progress: false,
        is_daily_readable: true,
        usage_limit_reset_ms: None,
        line_offset: 0,
    }
}

fn outputs(rules: DedupRules, entries: Vec<UsageEntry>) -> Vec<u64> {
    let mut deduper = Deduper::new(rules);
    deduper.extend(entries);
    deduper
        .entries()
        .iter()
        .map(|e| e.usage.output_tokens)
        .collect()
}

#[test]
fn most_complete_copy_wins_in_the_first_slot() {
    let entries = vec![
        entry("m1", Some("r1"), 10),
        entry("m2", Some("r2"), 5),
        entry("m1", Some("r1"), 30),
        entry("m1", Some("r1"), 20),
    ];
    assert_eq!(outputs(DedupRules::Regular, entries), [30, 5]);
}

#[test]
fn parent_beats_sidechain_replay_with_another_request() {
    let mut replay = entry("m1", Some("r9"), 50);
    replay.is_sidechain = true;
    let parent = entry("m1", Some("r1"), 5);
    assert_eq!(
        outputs(DedupRules::Regular, vec![replay.clone(), parent.clone()]),
        [5]
    );
    assert_eq!(
        outputs(DedupRules::Daily, vec![parent.clone(), replay.clone()]),
        [5]
    );
    // Regular needs equal timestamps for a replay; Daily does not.
    let mut late = replay;
    late.timestamp_ms += 60_000;
    assert_eq!(
        outputs(DedupRules::Regular, vec![parent.clone(), late.clone()]),
        [5, 50]
    );
    assert_eq!(outputs(DedupRules::Daily, vec![parent, late]), [5]);
}

#[test]
fn requestless_copies_are_scoped_by_session() {
    let a = entry("m1", None, 1);
    let mut b = entry("m1", None, 2);
    b.timestamp_ms += 1;
    let mut other_session = entry("m1", None, 3);
    other_session.session_id = "t".into();
    let all = vec![a, b, other_session];
    assert_eq!(outputs(DedupRules::Regular, all.clone()), [2, 3]);
    assert_eq!(outputs(DedupRules::Daily, all), [1, 2, 3]);
}

#[test]
fn entries_without_message_id_are_kept_and_progress_only_in_daily() {
    let mut anonymous = entry("x", Some("r"), 1);
    anonymous.message_id = None;
    let mut progress = entry("m", Some("r"), 2);
    progress.is_progress = true;
    let all = vec![anonymous.clone(), anonymous, progress];
    assert_eq!(outputs(DedupRules::Regular, all.clone()), [1, 1]);
    assert_eq!(outputs(DedupRules::Daily, all), [1, 1, 2]);
}

#[test]
fn prefer_breaks_ties_by_cost_then_speed_then_position() {
    let base = entry("m", Some("r"), 1);
    let mut pricier = base.clone();
    pricier.cost_usd = 1.0;
    assert!(prefer(&base, &pricier) && !prefer(&pricier, &base));
    let mut fast = base.clone();
    fast.speed = Some(Speed::Fast);
    assert!(prefer(&base, &fast) && !prefer(&fast, &base));
    assert!(!prefer(&base, &base.clone()));
    let first = SourcePosition {
        path: "/a.jsonl".into(),
        offset: 10,
    };
    let later = SourcePosition {
        path: "/a.jsonl".into(),
        offset: 20,
    };
    assert!(prefer_at(&base, &later, &base, &first));
    assert!(!prefer_at(&base, &first, &base, &later));
}

#[test]
fn keys_follow_the_rules() {
    let requestless = entry("m", None, 1);
    let daily = DedupKey::of(&requestless, DedupRules::Daily).unwrap();
    let regular = DedupKey::of(&requestless, DedupRules::Regular).unwrap();
    assert_ne!(daily, regular);
    let with_request = entry("m", Some("r"), 1);
    assert_eq!(
        DedupKey::of(&with_request, DedupRules::Daily),
        DedupKey::of(&with_request, DedupRules::Regular)
    );
}

#[test]
fn a_slot_that_took_a_new_key_through_a_replay_matches_by_that_key_only() {
    let mut replay = entry("m1", Some("r1"), 5);
    replay.is_sidechain = true;
    let entries = vec![
        replay,
        // Replaces the sidechain copy in place: slot 0 now holds (m1, r2).
        entry("m1", Some("r2"), 3),
        // (m1, r1) is held by no slot any more: a new slot.
        entry("m1", Some("r1"), 10),
        // (m1, r2) is slot 0's key: it matches there and wins on tokens.
        entry("m1", Some("r2"), 7),
    ];
    assert_eq!(outputs(DedupRules::Regular, entries), [7, 10]);
}
