use super::*;

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
    assert_eq!(store.schema_version().unwrap(), 1);
    let changed = store
        .write_batch(&[event("a", 5, 1), event("b", 6, 1)], &[], &[], |_| {})
        .unwrap();
    assert_eq!(changed.len(), 2);
    let changed = store
        .write_batch(&[event("a", 5, 9), event("b", 6, 0)], &[], &[], |_| {})
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
    };
    store
        .write_batch(&[], std::slice::from_ref(&progress), &[], |_| {})
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
