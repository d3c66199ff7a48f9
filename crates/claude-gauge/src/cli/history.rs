//! History beyond Claude Code's cleanup: the stored requests that no remaining transcript
//! holds, as report entries (`docs/history.md`).
//!
//! The store keeps every request the daemon saw, from transcripts (also the ones Claude Code
//! has since deleted) and from OTLP. A report reads the transcripts that remain as ccusage
//! does, then adds each stored request that none of their lines is a copy of: the same ledger
//! key (`req:<requestId>` with the same message fingerprint, `msg:<session>:<message.id>`, or
//! `line:<path>:<offset>` of a file that is still there). The added entries come after the
//! transcripts' in canonical order, oldest first, and go through the same dedup, so a stored
//! request that is a sidechain replay of a remaining line still collapses with it.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use claude_usage::{FileOrigin, PriceTable, Speed, TokenUsage, UsageEntry};

use gauge_daemon::{message_fingerprint, UsageEvent};

/// The session and project of a stored request whose ledger key does not name them.
const UNKNOWN: &str = "unknown";
/// The project path of a stored request (ccusage's name for a path that names none).
const UNKNOWN_PROJECT_PATH: &str = "Unknown Project";
/// The prefix of a message id made for a stored request whose `message.id` no remaining line
/// has (the store keeps only its fingerprint); no real id starts so.
const STORED_MESSAGE_PREFIX: &str = "claude-gauge-store:";
/// The store keeps whether a request had `speed`, not which: a stored cost above the dearest
/// standard cost of its tokens (every cache write at the 5m or every one at the 1h rate) can
/// only be fast mode, whose multipliers (2 and more) exceed the 1h/5m write-rate ratio.
const FAST_MARGIN: f64 = 1.0 + 1e-9;

/// The stored requests, indexed by what the transcripts' lines can match.
pub(crate) struct StoredRequests {
    events: Vec<UsageEvent>,
    /// Whether some remaining line is a copy of the request.
    is_present: Vec<bool>,
    /// `message.id` strings of remaining lines, by fingerprint, for stored requests.
    message_ids: HashMap<u64, Box<str>>,
    /// Request id → indexes of `req:` rows.
    by_request: HashMap<String, Vec<usize>>,
    /// `msg:` and `line:` keys → index.
    by_key: HashMap<String, usize>,
    /// Message fingerprints of stored requests.
    fingerprints: HashSet<u64>,
}

impl StoredRequests {
    /// Indexes `events` (as the store gives them, oldest first).
    pub(crate) fn new(events: Vec<UsageEvent>) -> Self {
        let mut by_request: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_key = HashMap::new();
        let mut fingerprints = HashSet::new();
        for (index, event) in events.iter().enumerate() {
            fingerprints.extend(event.message_id);
            match request_of(event) {
                Some(request) => by_request
                    .entry(request.to_string())
                    .or_default()
                    .push(index),
                None => {
                    by_key.insert(event.dedup_key.clone(), index);
                }
            }
        }
        Self {
            is_present: vec![false; events.len()],
            events,
            message_ids: HashMap::new(),
            by_request,
            by_key,
            fingerprints,
        }
    }

    /// Marks the stored requests that `entry`, a line of a remaining transcript at `path`,
    /// is a copy of.
    pub(crate) fn see(&mut self, entry: &UsageEntry, path: &str) {
        let fingerprint = entry.message_id.as_deref().map(message_fingerprint);
        if let (Some(print), Some(id)) = (fingerprint, &entry.message_id) {
            if self.fingerprints.contains(&print) && !self.message_ids.contains_key(&print) {
                self.message_ids.insert(print, id.clone());
            }
        }
        let key = match (&entry.request_id, &entry.message_id) {
            (Some(request), _) => {
                for &index in self.by_request.get(&**request).into_iter().flatten() {
                    let stored = self.events[index].message_id;
                    if stored.is_none() || fingerprint.is_none() || stored == fingerprint {
                        self.is_present[index] = true;
                    }
                }
                return;
            }
            (None, Some(message)) => format!("msg:{}:{message}", entry.session_id),
            (None, None) => format!("line:{path}:{}", entry.line_offset),
        };
        if let Some(&index) = self.by_key.get(&key) {
            self.is_present[index] = true;
        }
    }

    /// The stored requests no remaining line is a copy of, as entries, oldest first.
    pub(crate) fn gone(&self, prices: &PriceTable) -> Vec<UsageEntry> {
        let unknown: Arc<str> = Arc::from(UNKNOWN);
        self.events
            .iter()
            .zip(&self.is_present)
            .filter(|(_, is_present)| !**is_present)
            .map(|(event, _)| self.entry(event, prices, &unknown))
            .collect()
    }

    fn entry(&self, event: &UsageEvent, prices: &PriceTable, unknown: &Arc<str>) -> UsageEntry {
        let message_id = |print: u64| -> Box<str> {
            self.message_ids
                .get(&print)
                .cloned()
                .unwrap_or_else(|| format!("{STORED_MESSAGE_PREFIX}{print:016x}").into())
        };
        let (request_id, message, session) = match request_of(event) {
            Some(request) => (Some(request.into()), event.message_id.map(message_id), None),
            None => match split_message_key(event) {
                Some((session, message)) => (None, Some(message.into()), Some(session)),
                None => (None, None, None),
            },
        };
        let model = (event.model != UNKNOWN).then(|| Arc::<str>::from(event.model.as_str()));
        let usage = TokenUsage {
            input_tokens: event.tokens.input,
            output_tokens: event.tokens.output,
            cache_write_5m_tokens: event.tokens.cache_creation,
            cache_write_1h_tokens: 0,
            cache_read_tokens: event.tokens.cache_read,
        };
        let price = model.as_deref().and_then(|model| prices.find(model));
        let speed = event.has_speed.then(|| {
            let all_1h = TokenUsage {
                cache_write_5m_tokens: 0,
                cache_write_1h_tokens: usage.cache_write_5m_tokens,
                ..usage
            };
            // The dearest the standard cost can be, whichever lifetime the writes had.
            let standard_max = price.map_or(f64::INFINITY, |price| {
                let standard = |usage: &TokenUsage| price.cost_usd(usage, Some(Speed::Standard));
                standard(&usage).max(standard(&all_1h))
            });
            if event.cost_usd > standard_max * FAST_MARGIN {
                Speed::Fast
            } else {
                Speed::Standard
            }
        });
        let display_model = model
            .as_deref()
            .filter(|model| *model != "<synthetic>")
            .map(|model| match speed {
                Some(Speed::Fast) => Arc::from(format!("{model}-fast")),
                _ => Arc::from(model),
            });
        let session_id: Arc<str> = session.map_or_else(|| Arc::clone(unknown), Arc::from);
        // The transcript is gone: the entry names no file, and the session its key names.
        let origin = Arc::new(FileOrigin {
            project: Arc::clone(unknown),
            session_id: Arc::clone(&session_id),
            project_path: Arc::from(UNKNOWN_PROJECT_PATH),
            path: Arc::from(std::path::Path::new("")),
        });
        UsageEntry {
            timestamp_ms: event.at_ms,
            message_id: message,
            request_id,
            is_unpriced: display_model.is_some()
                && price.is_none()
                && event.cost_usd == 0.0
                && usage.total_tokens() > 0,
            model,
            display_model,
            usage,
            cost_usd: event.cost_usd,
            session_id,
            project: Arc::clone(unknown),
            origin,
            // The store keeps the cost, not whether the line had `costUSD`.
            has_cost_field: false,
            is_sidechain: event.is_sidechain,
            speed,
            is_progress: false,
            is_daily_readable: true,
            usage_limit_reset_ms: None,
            line_offset: 0,
        }
    }
}

/// The request id of a `req:<id>` or `req:<id>#<fingerprint>` key.
fn request_of(event: &UsageEvent) -> Option<&str> {
    let rest = event.dedup_key.strip_prefix("req:")?;
    let suffix = event.message_id.map(|print| format!("#{print:016x}"));
    Some(
        suffix
            .and_then(|suffix| rest.strip_suffix(suffix.as_str()))
            .unwrap_or(rest),
    )
}

/// The session and `message.id` of a `msg:<session>:<id>` key: split at the `:` after which
/// the rest has the stored fingerprint (a session id has no `:`, an advisor's message id does).
fn split_message_key(event: &UsageEvent) -> Option<(&str, &str)> {
    let rest = event.dedup_key.strip_prefix("msg:")?;
    let splits = rest
        .match_indices(':')
        .map(|(at, _)| (&rest[..at], &rest[at + 1..]));
    let mut first = None;
    for (session, message) in splits {
        first.get_or_insert((session, message));
        if event.message_id == Some(message_fingerprint(message)) {
            return Some((session, message));
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use gauge_daemon::{Origin, TokenCounts};

    fn event(key: &str, message: Option<&str>, model: &str, cost_usd: f64) -> UsageEvent {
        UsageEvent {
            at_ms: 1_790_000_000_000,
            origin: Origin::Transcript,
            dedup_key: key.to_string(),
            message_id: message.map(message_fingerprint),
            model: model.to_string(),
            tokens: TokenCounts {
                input: 10,
                output: 20,
                cache_creation: 30,
                cache_read: 40,
            },
            cost_usd,
            is_sidechain: false,
            has_speed: false,
        }
    }

    fn line(request: Option<&str>, message: &str, session: &str) -> UsageEntry {
        let mut entry = StoredRequests::new(vec![event("x", Some(message), "m", 1.0)]).entry(
            &event("msg:s:x", Some(message), "m", 1.0),
            &PriceTable::embedded(),
            &Arc::from("p"),
        );
        entry.request_id = request.map(Into::into);
        entry.message_id = Some(message.into());
        entry.session_id = Arc::from(session);
        entry
    }

    #[test]
    fn keys_split_back_into_their_ids() {
        let second = event("req:r1#00000000000000ff", None, "m", 0.0);
        let second = UsageEvent {
            message_id: Some(0xff),
            ..second
        };
        assert_eq!(request_of(&second), Some("r1"));
        let advisor = event("msg:s-1:msg_1:advisor:0", Some("msg_1:advisor:0"), "m", 0.0);
        assert_eq!(
            split_message_key(&advisor),
            Some(("s-1", "msg_1:advisor:0"))
        );
    }

    #[test]
    fn only_requests_no_remaining_line_holds_are_gone() {
        let mut stored = StoredRequests::new(vec![
            event("req:kept", Some("msg_a"), "claude-opus-4-6", 1.0),
            event("req:gone", Some("msg_b"), "claude-opus-4-6", 2.0),
            event("req:other-message", Some("msg_c"), "claude-opus-4-6", 3.0),
            event("msg:s1:msg_d", Some("msg_d"), "claude-opus-4-6", 4.0),
            event("req:otlp-only", None, "claude-opus-4-6", 5.0),
        ]);
        stored.see(&line(Some("kept"), "msg_a", "s"), "/t/a.jsonl");
        stored.see(&line(Some("other-message"), "msg_z", "s"), "/t/a.jsonl");
        stored.see(&line(None, "msg_d", "s1"), "/t/a.jsonl");
        // A line that shares the gone request's message id lends it the real id.
        stored.see(&line(Some("replay"), "msg_b", "s"), "/t/b.jsonl");
        let gone = stored.gone(&PriceTable::embedded());
        let costs: Vec<f64> = gone.iter().map(|e| e.cost_usd).collect();
        assert_eq!(costs, [2.0, 3.0, 5.0]);
        assert_eq!(gone[0].message_id.as_deref(), Some("msg_b"));
        assert_eq!(gone[0].request_id.as_deref(), Some("gone"));
        assert!(gone[1]
            .message_id
            .as_deref()
            .is_some_and(|id| id.starts_with(STORED_MESSAGE_PREFIX)));
        assert_eq!(
            (gone[2].message_id.as_deref(), gone[2].request_id.as_deref()),
            (None, Some("otlp-only"))
        );
    }

    #[test]
    fn fast_mode_is_told_from_the_stored_cost() {
        let prices = PriceTable::embedded();
        let price = prices.find("claude-opus-4-6").expect("priced");
        let usage = TokenUsage {
            input_tokens: 10,
            output_tokens: 20,
            cache_write_5m_tokens: 30,
            cache_write_1h_tokens: 0,
            cache_read_tokens: 40,
        };
        let stored = StoredRequests::new(Vec::new());
        for (speed, display) in [
            (Speed::Fast, "claude-opus-4-6-fast"),
            (Speed::Standard, "claude-opus-4-6"),
        ] {
            let cost = price.cost_usd(&usage, Some(speed));
            let event = UsageEvent {
                has_speed: true,
                ..event("req:r", Some("m"), "claude-opus-4-6", cost)
            };
            let entry = stored.entry(&event, &prices, &Arc::from("u"));
            assert_eq!(entry.display_model.as_deref(), Some(display));
            assert_eq!(entry.speed, Some(speed));
        }
    }
}
