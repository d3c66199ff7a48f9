//! The metrics fallback: metered usage reaches the tach only for sessions that send no events.
//!
//! Events (`api_request`) are exact and go to the ledger; metrics say the same thing again in
//! aggregate. A session is "with events" once any of its log records arrived; its metered usage
//! is then dropped. Because Claude Code exports logs and metrics in separate requests, in no
//! fixed order (a `-p` run flushes both at exit), metered usage is held (for [`DEFAULT_HOLD_MS`],
//! or `[otlp] metrics_hold_ms`) before
//! it is released, so the events of the same moment can still claim the session.

use std::collections::HashMap;

use super::metrics::Metered;

/// How long metered usage waits for the same session's events. Claude Code exports logs every
/// 5 s by default (`OTEL_LOGS_EXPORT_INTERVAL`), so 10 s covers one interval and a retry.
pub(crate) const DEFAULT_HOLD_MS: u64 = 10_000;
/// How long a session counts as "with events" after its last record.
const EVENT_MEMORY_MS: i64 = 6 * 3600 * 1000;

/// Sessions with events, and metered usage waiting to be released.
#[derive(Debug)]
pub(super) struct MeteredGate {
    /// How long metered usage waits, ms.
    hold_ms: i64,
    /// `session.id` (or `None` for records without one) -> the last record's arrival, unix ms.
    with_events: HashMap<Option<String>, i64>,
    /// Metered usage and its arrival, unix ms, oldest first.
    held: Vec<(i64, Metered)>,
}

impl MeteredGate {
    /// A gate that holds metered usage for `hold_ms`.
    pub(super) fn new(hold_ms: u64) -> MeteredGate {
        MeteredGate {
            hold_ms: i64::try_from(hold_ms).unwrap_or(i64::MAX),
            with_events: HashMap::new(),
            held: Vec::new(),
        }
    }

    /// Notes that `session` sent log records at `now_ms`.
    pub(super) fn saw_events(&mut self, session: Option<String>, now_ms: i64) {
        self.with_events.insert(session, now_ms);
    }

    /// Holds metered usage that arrived at `now_ms`.
    pub(super) fn hold(&mut self, metered: Vec<Metered>, now_ms: i64) {
        self.held.extend(metered.into_iter().map(|m| (now_ms, m)));
    }

    /// Whether anything waits to be released.
    pub(super) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The metered usage that has waited its hold and whose session sent no events.
    pub(super) fn release(&mut self, now_ms: i64) -> Vec<Metered> {
        self.with_events
            .retain(|_, last_ms| now_ms - *last_ms < EVENT_MEMORY_MS);
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(arrived_ms, _)| now_ms - arrived_ms >= self.hold_ms);
        self.held = waiting;
        due.into_iter()
            .map(|(_, metered)| metered)
            .filter(|m| !self.has_events(m.session.as_ref()))
            .collect()
    }

    fn has_events(&self, session: Option<&String>) -> bool {
        match session {
            // Metrics without `session.id` (OTEL_METRICS_INCLUDE_SESSION_ID=false) cannot be
            // matched: any session with events claims them.
            None => !self.with_events.is_empty(),
            Some(id) => {
                self.with_events.contains_key(&Some(id.clone()))
                    || self.with_events.contains_key(&None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readings::TokenCounts;

    fn metered(session: Option<&str>) -> Metered {
        Metered {
            at_ms: 0,
            session: session.map(str::to_owned),
            model: "claude-sonnet-4-5".into(),
            tokens: TokenCounts {
                input: 10,
                ..TokenCounts::default()
            },
            cost_usd: 0.0,
        }
    }

    #[test]
    fn metered_usage_waits_then_goes_only_for_sessions_without_events() {
        const HOLD_MS: i64 = DEFAULT_HOLD_MS as i64;
        let mut gate = MeteredGate::new(DEFAULT_HOLD_MS);
        gate.hold(vec![metered(Some("a")), metered(Some("b"))], 1_000);
        assert!(gate.release(1_000 + HOLD_MS - 1).is_empty());
        // Session a's events arrive after its metrics, within the hold.
        gate.saw_events(Some("a".into()), 1_000 + HOLD_MS - 1);
        let released = gate.release(1_000 + HOLD_MS);
        assert_eq!(released, vec![metered(Some("b"))]);
        assert!(!gate.is_holding());
    }

    #[test]
    fn metrics_without_session_yield_to_any_events() {
        const HOLD_MS: i64 = DEFAULT_HOLD_MS as i64;
        let mut gate = MeteredGate::new(DEFAULT_HOLD_MS);
        gate.hold(vec![metered(None)], 0);
        assert_eq!(gate.release(HOLD_MS), vec![metered(None)]);
        gate.saw_events(Some("x".into()), HOLD_MS);
        gate.hold(vec![metered(None)], HOLD_MS);
        assert!(gate.release(2 * HOLD_MS).is_empty());
        // Memory of events fades.
        gate.hold(vec![metered(None)], EVENT_MEMORY_MS + HOLD_MS);
        assert_eq!(
            gate.release(EVENT_MEMORY_MS + 2 * HOLD_MS),
            vec![metered(None)]
        );
    }
}
