use super::*;
use crate::readings::Origin;

fn event(key: &str, at_ms: i64, output: u64) -> UsageEvent {
    let tokens = TokenCounts {
        input: 10,
        output,
        cache_creation: 0,
        cache_read: 0,
    };
    UsageEvent {
        at_ms,
        origin: Origin::Transcript,
        dedup_key: key.into(),
        message_id: None,
        model: "claude-sonnet-4-5".into(),
        tokens,
        cost_usd: 0.5,
        is_sidechain: false,
        has_speed: false,
    }
}

#[test]
fn higher_rank_replaces_lower_is_ignored_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let changed = store
        .write_batch(&[event("a", 5, 1), event("b", 6, 1)], &[], &[], &[], |_| {})
        .unwrap();
    assert_eq!(changed.len(), 2);
    let changed = store
        .write_batch(&[event("a", 5, 9), event("b", 6, 0)], &[], &[], &[], |_| {})
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].tokens.output, 9);
    let progress = FileProgress {
        path: "/x.jsonl".into(),
        device: 1,
        inode: 2,
        size: 30,
        mtime_ns: 4,
        offset: 30,
        fingerprint: 7,
    };
    store
        .write_batch(&[], std::slice::from_ref(&progress), &[], &[], |_| {})
        .unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    let totals = store.totals().unwrap();
    assert_eq!((totals.requests, totals.output_tokens), (2, 10));
    assert_eq!(store.file_progress().unwrap()["/x.jsonl"], progress);
    assert_eq!(store.entries_since(6).unwrap().len(), 1);
}

#[test]
fn a_newer_schema_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&path).err().unwrap().to_string();
    assert!(err.contains("schema version 99"), "{err}");
}

#[test]
fn two_messages_under_one_request_id_both_count_and_otlp_meets_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
    let message = |id: &str, output: u64| UsageEvent {
        message_id: Some(crate::readings::message_fingerprint(id)),
        ..event("req:r1", 5, output)
    };
    // Claude Code 1.0.x: a thinking-only message, then the full one, one request id.
    let changed = store
        .write_batch(
            &[message("m1", 3), message("m2", 40)],
            &[],
            &[],
            &[],
            |_| {},
        )
        .unwrap();
    assert_eq!(changed.len(), 2);
    let second = format!("req:r1#{:016x}", crate::readings::message_fingerprint("m2"));
    assert_eq!(changed[1].dedup_key, second);
    // A streamed copy of each counts once more only if it wins.
    let changed = store
        .write_batch(
            &[message("m1", 3), message("m2", 41)],
            &[],
            &[],
            &[],
            |_| {},
        )
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].dedup_key, second);
    let totals = store.totals().unwrap();
    assert_eq!((totals.requests, totals.output_tokens), (2, 3 + 41));
    // OTLP knows the request id only: it meets the stored copy and adds nothing.
    let otlp = UsageEvent {
        origin: Origin::Otlp,
        ..event("req:r1", 5, 3)
    };
    assert!(store
        .write_batch(&[otlp], &[], &[], &[], |_| {})
        .unwrap()
        .is_empty());
    assert_eq!(store.totals().unwrap().requests, 2);
    // And a transcript copy arriving after the OTLP one replaces it, keeping one row.
    let otlp_first = UsageEvent {
        origin: Origin::Otlp,
        ..event("req:r2", 5, 3)
    };
    store
        .write_batch(&[otlp_first], &[], &[], &[], |_| {})
        .unwrap();
    let transcript = UsageEvent {
        message_id: Some(crate::readings::message_fingerprint("m9")),
        ..event("req:r2", 5, 4)
    };
    let changed = store
        .write_batch(&[transcript], &[], &[], &[], |_| {})
        .unwrap();
    assert_eq!(changed[0].dedup_key, "req:r2");
    assert_eq!(store.totals().unwrap().requests, 3);
}
