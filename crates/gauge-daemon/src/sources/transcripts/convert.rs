//! From claude-usage's [`UsageEntry`] to the daemon's [`UsageEvent`].
//!
//! The dedup key: `req:<requestId>` when the line has a request id (one API request, whichever
//! file or source reports it; OTLP's `api_request` events carry the same id), else
//! `msg:<session>:<message.id>` (ccusage's session-scoped key for requestless lines), else the
//! line's own position, so a line without ids counts once however often its file is re-read.

use std::path::Path;

use claude_usage::UsageEntry;

use crate::readings::{message_fingerprint, Origin, TokenCounts, UsageEvent};

/// The event for one entry read from `path`; `None` for entries ccusage's regular loader drops
/// (agent-progress copies).
pub(crate) fn to_event(entry: &UsageEntry, path: &Path) -> Option<UsageEvent> {
    if entry.is_progress {
        return None;
    }
    let dedup_key = match (&entry.request_id, &entry.message_id) {
        (Some(request_id), _) => format!("req:{request_id}"),
        (None, Some(message_id)) => format!("msg:{}:{message_id}", entry.session_id),
        (None, None) => format!("line:{}:{}", path.display(), entry.line_offset),
    };
    let usage = &entry.usage;
    Some(UsageEvent {
        at_ms: entry.timestamp_ms,
        origin: Origin::Transcript,
        dedup_key,
        message_id: entry.message_id.as_deref().map(message_fingerprint),
        model: entry.model.as_deref().unwrap_or("unknown").to_string(),
        tokens: TokenCounts {
            input: usage.input_tokens,
            output: usage.output_tokens,
            cache_creation: usage.cache_creation_tokens(),
            cache_read: usage.cache_read_tokens,
        },
        cost_usd: entry.cost_usd,
        is_sidechain: entry.is_sidechain,
        has_speed: entry.speed.is_some(),
    })
}
