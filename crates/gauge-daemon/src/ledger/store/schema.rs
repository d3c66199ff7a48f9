//! The store's schema, as ordered migrations: `PRAGMA user_version` says how many have run, and
//! opening a store runs the rest, each in its own transaction.

/// Schema migrations; entry `n` takes the store from version `n` to `n + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE entries (
        dedup_key TEXT PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        origin TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_creation_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        is_sidechain INTEGER NOT NULL,
        has_speed INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX entries_at ON entries(at_ms);
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        device INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        offset INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE official_samples (
        at_ms INTEGER NOT NULL,
        window TEXT NOT NULL,
        used_pct REAL NOT NULL,
        resets_at_secs INTEGER,
        origin TEXT NOT NULL
    );
    CREATE INDEX official_at ON official_samples(at_ms);",
    // v2: a fingerprint of the response's message id (16 hex digits), so one request id can
    // hold two messages (Claude Code 1.0.x); rows from v1 have none and match any message of
    // their request, as before.
    "ALTER TABLE entries ADD COLUMN message_id TEXT;",
    // v3: a fingerprint of each file's read prefix, so a file rewritten in place (same inode,
    // as long or longer) is read again; 0 (rows from v2) skips the check once.
    "ALTER TABLE files ADD COLUMN fingerprint INTEGER NOT NULL DEFAULT 0;",
    // v4: what was learned of each window's limit, so a restart keeps the limit in use.
    "CREATE TABLE learned_rates (
        window TEXT PRIMARY KEY,
        tokens_per_pct REAL NOT NULL,
        learned_at_ms INTEGER NOT NULL,
        from_used_pct REAL NOT NULL,
        from_tokens INTEGER NOT NULL,
        window_resets_at_secs INTEGER
    ) WITHOUT ROWID;",
    // v5: the machine a request came from: the OTLP resource's `host.name` (a hub receives many
    // machines' telemetry); NULL for this machine's own transcripts.
    "ALTER TABLE entries ADD COLUMN host TEXT;",
    // v6: what the alerts already said (a threshold fired, the last reset seen), so a restart
    // does not say it again (src/alerts).
    "CREATE TABLE alert_marks (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL,
        at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;",
];
