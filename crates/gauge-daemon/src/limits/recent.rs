//! The recent-usage index: the last eight days of deduplicated requests, in time order, for the
//! hot queries (tach, the active 5-hour block, the 7-day sum, the P90 history).

use std::collections::{BTreeMap, HashMap};

use gauge_core::ModelFamily;

use crate::readings::{TokenCounts, UsageEvent};

/// How far back the index keeps requests: the 7-day window plus a day, and the P90's 192 hours.
pub(crate) const RECENT_SPAN_MS: i64 = 8 * 24 * 3600 * 1000;
const FIVE_HOURS_MS: i64 = 5 * 3600 * 1000;
const HOUR_MS: i64 = 3600 * 1000;

#[derive(Clone, Copy, Debug)]
struct Recent {
    tokens: TokenCounts,
    cost_usd: f64,
    family: ModelFamily,
}

/// How far after now a request may be dated and still count as the newest: clocks of two
/// machines (or a file copied from one) disagree by seconds, not hours. Anything later waits
/// until its time comes; the tach, blocks and sums already count nothing after now.
pub(crate) const FUTURE_TOLERANCE_MS: i64 = 2 * 60 * 1000;

/// A 5-hour block as ccusage and claude-monitor draw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    /// The first request's time floored to the hour, unix ms.
    pub start_ms: i64,
    /// The last request in the block, unix ms.
    pub last_ms: i64,
    /// Fuel tokens (input + output) in the block.
    pub fuel_tokens: u64,
}

impl Block {
    /// The block's end: start + 5 hours.
    pub(crate) fn end_ms(&self) -> i64 {
        self.start_ms + FIVE_HOURS_MS
    }

    /// The block running at `now_ms` among `blocks` (as [`RecentUsage::blocks`] returns them).
    pub(crate) fn active_among(blocks: &[Block], now_ms: i64) -> Option<Block> {
        blocks
            .last()
            .copied()
            .filter(|block| block.is_active(now_ms))
    }

    /// Whether the block is still running at `now_ms`.
    pub(crate) fn is_active(&self, now_ms: i64) -> bool {
        now_ms < self.end_ms() && now_ms - self.last_ms < FIVE_HOURS_MS
    }
}

/// Requests of the last eight days, keyed by time, upserted by dedup key.
#[derive(Debug, Default)]
pub(crate) struct RecentUsage {
    by_time: BTreeMap<(i64, u64), Recent>,
    by_key: HashMap<String, (i64, u64)>,
    next_id: u64,
}

impl RecentUsage {
    /// Adds a request, or replaces the one with the same dedup key; returns the replaced
    /// request's tokens and cost, so running totals can add only the difference.
    pub(crate) fn upsert(&mut self, event: &UsageEvent) -> Option<(TokenCounts, f64)> {
        let replaced = self
            .by_key
            .remove(&event.dedup_key)
            .and_then(|old| self.by_time.remove(&old))
            .map(|old| (old.tokens, old.cost_usd));
        let slot = (event.at_ms, self.next_id);
        self.next_id += 1;
        self.by_time.insert(
            slot,
            Recent {
                tokens: event.tokens,
                cost_usd: event.cost_usd,
                family: event.family(),
            },
        );
        self.by_key.insert(event.dedup_key.clone(), slot);
        replaced
    }

    /// Drops requests older than [`RECENT_SPAN_MS`] before `now_ms`.
    pub(crate) fn prune(&mut self, now_ms: i64) {
        let keep_from = (now_ms - RECENT_SPAN_MS, 0);
        let kept = self.by_time.split_off(&keep_from);
        if kept.len() != self.by_time.len() {
            let dropped = std::mem::replace(&mut self.by_time, kept);
            if !dropped.is_empty() {
                self.by_key.retain(|_, slot| *slot >= keep_from);
            }
        } else {
            self.by_time = kept;
        }
    }

    /// How many requests the index holds.
    pub(crate) fn len(&self) -> usize {
        self.by_time.len()
    }

    /// The newest request's time and model family as of `now_ms`: requests dated more than
    /// [`FUTURE_TOLERANCE_MS`] after it are not yet due.
    pub(crate) fn newest(&self, now_ms: i64) -> Option<(i64, ModelFamily)> {
        self.by_time
            .range(..(now_ms.saturating_add(FUTURE_TOLERANCE_MS + 1), 0))
            .next_back()
            .map(|(&(at_ms, _), recent)| (at_ms, recent.family))
    }

    /// Tach tokens (input + output + cache creation) in `(now_ms - 60 s, now_ms]`.
    pub(crate) fn tach_tokens_last_minute(&self, now_ms: i64) -> u64 {
        self.by_time
            .range((now_ms - 60_000 + 1, 0)..(now_ms + 1, 0))
            .map(|(_, r)| r.tokens.tach_tokens())
            .sum()
    }

    /// Fuel tokens (input + output) in `(now_ms - span_ms, now_ms]`.
    pub(crate) fn fuel_tokens_since(&self, now_ms: i64, span_ms: i64) -> u64 {
        self.by_time
            .range((now_ms - span_ms + 1, 0)..(now_ms + 1, 0))
            .map(|(_, r)| r.tokens.fuel_tokens())
            .sum()
    }

    /// Every 5-hour block with a request up to `now_ms`, oldest first (gaps are not blocks).
    pub(crate) fn blocks(&self, now_ms: i64) -> Vec<Block> {
        let mut blocks: Vec<Block> = Vec::new();
        for (&(at_ms, _), recent) in self.by_time.range(..(now_ms + 1, 0)) {
            let tokens = recent.tokens.fuel_tokens();
            match blocks.last_mut() {
                Some(block) if at_ms < block.end_ms() && at_ms - block.last_ms < FIVE_HOURS_MS => {
                    block.last_ms = at_ms;
                    block.fuel_tokens += tokens;
                }
                _ => blocks.push(Block {
                    start_ms: at_ms.div_euclid(HOUR_MS) * HOUR_MS,
                    last_ms: at_ms,
                    fuel_tokens: tokens,
                }),
            }
        }
        blocks
    }

    /// The block running at `now_ms`, if any.
    pub(crate) fn active_block(&self, now_ms: i64) -> Option<Block> {
        Block::active_among(&self.blocks(now_ms), now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readings::Origin;

    pub(crate) fn event(key: &str, at_ms: i64, input: u64, output: u64) -> UsageEvent {
        UsageEvent {
            at_ms,
            origin: Origin::Transcript,
            dedup_key: key.to_string(),
            message_id: None,
            model: "claude-sonnet-4-5".to_string(),
            tokens: TokenCounts {
                input,
                output,
                cache_creation: 7,
                cache_read: 1000,
            },
            cost_usd: 0.0,
            is_sidechain: false,
            has_speed: false,
        }
    }

    #[test]
    fn upsert_replaces_by_key() {
        let mut recent = RecentUsage::default();
        assert_eq!(recent.upsert(&event("a", 1_000, 10, 1)), None);
        let replaced = recent.upsert(&event("a", 1_000, 20, 2));
        assert_eq!(replaced.map(|(tokens, _)| tokens.input), Some(10));
        assert_eq!(recent.len(), 1);
        assert_eq!(recent.fuel_tokens_since(1_000, 60_000), 22);
    }

    #[test]
    fn tach_counts_only_the_last_minute() {
        let mut recent = RecentUsage::default();
        recent.upsert(&event("old", 100_000, 100, 0));
        recent.upsert(&event("new", 150_000, 10, 5));
        // 10 + 5 + 7 cache creation; cache reads excluded.
        assert_eq!(recent.tach_tokens_last_minute(160_000), 22);
        assert_eq!(recent.tach_tokens_last_minute(160_001), 22);
        assert_eq!(recent.tach_tokens_last_minute(100_000), 107);
        assert_eq!(recent.tach_tokens_last_minute(160_000 + 60_000), 0);
    }

    #[test]
    fn blocks_floor_to_the_hour_and_split_on_gaps() {
        let h = HOUR_MS;
        let mut recent = RecentUsage::default();
        recent.upsert(&event("a", 10 * h + 1_234, 1, 0));
        recent.upsert(&event("b", 14 * h, 1, 0));
        recent.upsert(&event("c", 15 * h + 1, 1, 0)); // past start + 5h: new block
        let blocks = recent.blocks(16 * h);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].start_ms, 10 * h);
        assert_eq!(blocks[0].fuel_tokens, 2);
        assert_eq!(blocks[1].start_ms, 15 * h);
        assert!(recent.active_block(16 * h).is_some());
        assert!(recent.active_block(20 * h + 2).is_none());
    }

    #[test]
    fn prune_drops_old_requests() {
        let mut recent = RecentUsage::default();
        recent.upsert(&event("a", 0, 1, 0));
        recent.upsert(&event("b", RECENT_SPAN_MS + 10, 1, 0));
        recent.prune(RECENT_SPAN_MS + 20);
        assert_eq!(recent.len(), 1);
        recent.upsert(&event("a", RECENT_SPAN_MS + 11, 5, 0));
        assert_eq!(recent.len(), 2);
    }
}
