//! Dedup: which copies of one API response count, as ccusage 20.0.24 decides
//! (`docs/ccusage-rules.md`, section 3).
//!
//! Claude Code writes several lines per response (content splits, streaming snapshots with
//! growing `output_tokens`) and copies parent messages into sidechain and subagent logs. Sits
//! between the parser and the reports: entries go in in canonical order (files sorted by path
//! string, lines in file order) and the survivors come out in the same order.
//!
//! # The rule
//! * An entry without `message.id` is never deduped.
//! * Its key ([`DedupKey`]): `(message.id, requestId)` when both are present, global across
//!   sessions; else `(message.id, effective session)`, plus the timestamp under
//!   [`DedupRules::Daily`] (ccusage's `claude daily` loader).
//! * No kept entry with the same key → a sidechain replay may still match: a kept entry with
//!   the same `message.id` where either side `isSidechain`, under [`DedupRules::Regular`] only
//!   if the timestamps are equal.
//! * On a match the candidate replaces the kept entry **in place** iff [`prefer`] says so.
//!
//! # Order dependence, and how a durable store avoids it
//! [`prefer`] is a strict preference (non-sidechain, then more tokens, then higher cost, then
//! `speed` present); when neither copy is preferred the first one seen wins, and the survivor
//! keeps the slot of the first copy. So results depend on order in two ways: exact ties (same
//! tokens, cost and speed presence, but e.g. another timestamp or project) and the output
//! position, which fixes float summation order and `modelsUsed` order. ccusage's order is the
//! canonical one: path string, then byte offset. A store that sees files in any order reaches
//! the same totals by keeping, per key, the winner under [`prefer_at`] (ties broken by the
//! smaller [`SourcePosition`]) and, separately, the smallest position of any copy as the
//! row's order. The replay match is not transitive (two non-sidechain copies with different
//! request ids both absorb the same sidechain copy), so store sidechain copies under their own
//! key too and resolve replays at query time against rows with the same `message.id`.

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    sync::Arc,
};

use crate::{
    entry::UsageEntry,
    hash::{fast_hash, BuildFastHasher, FastHasher},
};

/// Which ccusage loader to reproduce. Their rules differ (`docs/ccusage-rules.md`, section 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DedupRules {
    /// `blocks`, `session`, `monthly`, `weekly`: requestless copies collapse per session
    /// across timestamps; sidechain replays only with equal timestamps; agent-progress entries
    /// are dropped.
    Regular,
    /// `claude daily`: requestless copies collapse only with equal timestamps; sidechain
    /// replays regardless of timestamp; agent-progress entries count.
    Daily,
}

/// The identity of one API response for dedup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DedupKey {
    /// `message.id` and `requestId`: one key across all sessions and projects.
    Request {
        /// `message.id`.
        message_id: Box<str>,
        /// `requestId`.
        request_id: Box<str>,
    },
    /// `message.id` without `requestId` ("gateway" traffic): scoped to the effective session.
    Session {
        /// `message.id`.
        message_id: Box<str>,
        /// The line's `sessionId`, else the session from the path.
        session_id: Arc<str>,
        /// The timestamp, under [`DedupRules::Daily`] only.
        timestamp_ms: Option<i64>,
    },
}

impl DedupKey {
    /// The key of `entry`, or `None` if it has no `message.id` (never deduped).
    pub fn of(entry: &UsageEntry, rules: DedupRules) -> Option<Self> {
        let message_id = entry.message_id.clone()?;
        Some(match &entry.request_id {
            Some(request_id) => DedupKey::Request {
                message_id,
                request_id: request_id.clone(),
            },
            None => DedupKey::Session {
                message_id,
                session_id: Arc::clone(&entry.session_id),
                timestamp_ms: (rules == DedupRules::Daily).then_some(entry.timestamp_ms),
            },
        })
    }
}

/// Whether `candidate` replaces `existing`, two copies of the same response: a non-sidechain
/// copy beats a sidechain one, then more total tokens, then a higher cost, then having `speed`
/// beats not having it. `false` on a tie (the first copy stays).
pub fn prefer(existing: &UsageEntry, candidate: &UsageEntry) -> bool {
    if existing.is_sidechain != candidate.is_sidechain {
        return existing.is_sidechain;
    }
    let (existing_tokens, candidate_tokens) = (existing.total_tokens(), candidate.total_tokens());
    if existing_tokens != candidate_tokens {
        return candidate_tokens > existing_tokens;
    }
    if existing.cost_usd != candidate.cost_usd {
        return candidate.cost_usd > existing.cost_usd;
    }
    candidate.speed.is_some() && existing.speed.is_none()
}

/// Where a line sits in ccusage's canonical order: the file's lossy path string, then the
/// line's byte offset in that file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePosition {
    /// The transcript path, as `Path::to_string_lossy`.
    pub path: Arc<str>,
    /// Byte offset of the line's first byte.
    pub offset: u64,
}

/// [`prefer`] made order-independent: a tie goes to the copy earlier in canonical order, which
/// is the copy a whole-corpus scan would have seen first.
pub fn prefer_at(
    existing: &UsageEntry,
    existing_position: &SourcePosition,
    candidate: &UsageEntry,
    candidate_position: &SourcePosition,
) -> bool {
    prefer(existing, candidate)
        || (!prefer(candidate, existing) && candidate_position < existing_position)
}

/// Whether `candidate` is a sidechain replay of the kept `existing` (same `message.id`, either
/// side a sidechain, and under [`DedupRules::Regular`] the same timestamp).
pub fn is_sidechain_replay(
    existing: &UsageEntry,
    candidate: &UsageEntry,
    rules: DedupRules,
) -> bool {
    existing.message_id.is_some()
        && existing.message_id == candidate.message_id
        && (existing.is_sidechain || candidate.is_sidechain)
        && (rules == DedupRules::Daily || existing.timestamp_ms == candidate.timestamp_ms)
}

/// In-memory dedup of a whole scan, fed in canonical order.
///
/// One hash map, keyed by a hash of `message.id`, finds every slot that could match: an exact
/// key match and a sidechain replay both need the same `message.id`, and a slot's `message.id`
/// never changes (a copy replaces it only on a match). At most one slot holds a given key at a
/// time (a new slot is made, or a slot takes a new key through a replay, only when no slot holds
/// it), so scanning the slots in creation order finds the same exact match as a map by key.
/// Each slot's current key hash is kept beside it, so most candidates are told apart without
/// touching the kept entry or its strings; equal hashes are compared in full.
#[derive(Debug)]
pub struct Deduper {
    rules: DedupRules,
    kept: Vec<UsageEntry>,
    /// The key hash of each kept entry with a `message.id` (0 for the others).
    kept_key_hashes: Vec<u64>,
    /// Hash of a `message.id` → slots that hold an entry with that id.
    by_message: HashMap<u64, Slots, BuildFastHasher>,
}

impl Deduper {
    /// An empty deduper applying `rules`.
    pub fn new(rules: DedupRules) -> Self {
        Self {
            rules,
            kept: Vec::new(),
            kept_key_hashes: Vec::new(),
            by_message: HashMap::default(),
        }
    }

    /// Adds one entry. Entries the chosen ccusage loader never reads are ignored:
    /// agent-progress entries under [`DedupRules::Regular`], entries that are not
    /// [`UsageEntry::is_daily_readable`] under [`DedupRules::Daily`].
    pub fn push(&mut self, entry: UsageEntry) {
        let is_read = match self.rules {
            DedupRules::Regular => !entry.is_progress,
            DedupRules::Daily => entry.is_daily_readable,
        };
        if !is_read {
            return;
        }
        let Some(message_id) = entry.message_id.as_deref() else {
            self.kept.push(entry);
            self.kept_key_hashes.push(0);
            return;
        };
        // Hash the borrowed parts of the key: building a `DedupKey` would allocate twice.
        let key_hash = key_hash(&entry, self.rules);
        let message_hash = fast_hash(message_id);
        match self.find_match(key_hash, message_hash, &entry) {
            Some(slot) => {
                if prefer(&self.kept[slot], &entry) {
                    self.kept[slot] = entry;
                    self.kept_key_hashes[slot] = key_hash;
                }
            }
            None => {
                let slot = self.kept.len();
                self.kept.push(entry);
                self.kept_key_hashes.push(key_hash);
                match self.by_message.entry(message_hash) {
                    std::collections::hash_map::Entry::Vacant(vacant) => {
                        vacant.insert(Slots::One(slot));
                    }
                    std::collections::hash_map::Entry::Occupied(mut occupied) => {
                        occupied.get_mut().push(slot);
                    }
                }
            }
        }
    }

    fn find_match(&self, key_hash: u64, message_hash: u64, entry: &UsageEntry) -> Option<usize> {
        let slots = self.by_message.get(&message_hash)?;
        let exact = slots.iter().find(|&slot| {
            self.kept_key_hashes[slot] == key_hash && same_key(&self.kept[slot], entry, self.rules)
        });
        exact.or_else(|| {
            slots
                .iter()
                .find(|&slot| is_sidechain_replay(&self.kept[slot], entry, self.rules))
        })
    }

    /// The surviving entries, in canonical order.
    pub fn entries(&self) -> &[UsageEntry] {
        &self.kept
    }

    /// Consumes the deduper, returning the surviving entries in canonical order.
    pub fn into_entries(self) -> Vec<UsageEntry> {
        self.kept
    }
}

/// Whether two entries with a `message.id` have the same [`DedupKey`] under `rules`.
fn same_key(a: &UsageEntry, b: &UsageEntry, rules: DedupRules) -> bool {
    a.message_id == b.message_id
        && match (&a.request_id, &b.request_id) {
            (Some(x), Some(y)) => x == y,
            (None, None) => {
                a.session_id == b.session_id
                    && (rules == DedupRules::Regular || a.timestamp_ms == b.timestamp_ms)
            }
            _ => false,
        }
}

fn key_hash(entry: &UsageEntry, rules: DedupRules) -> u64 {
    let mut hasher = FastHasher::default();
    entry.message_id.hash(&mut hasher);
    entry.request_id.hash(&mut hasher);
    if entry.request_id.is_none() {
        entry.session_id.hash(&mut hasher);
        if rules == DedupRules::Daily {
            entry.timestamp_ms.hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// The slots under one hash: almost always one, so no allocation for it.
#[derive(Debug)]
enum Slots {
    One(usize),
    Many(Vec<usize>),
}

impl Slots {
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (one, many) = match self {
            Slots::One(slot) => (Some(*slot), &[][..]),
            Slots::Many(slots) => (None, slots.as_slice()),
        };
        one.into_iter().chain(many.iter().copied())
    }

    /// Adds a new slot (larger than every slot held, so creation order is kept).
    fn push(&mut self, slot: usize) {
        match self {
            Slots::One(first) => *self = Slots::Many(vec![*first, slot]),
            Slots::Many(list) => list.push(slot),
        }
    }
}

impl Extend<UsageEntry> for Deduper {
    fn extend<I: IntoIterator<Item = UsageEntry>>(&mut self, entries: I) {
        for entry in entries {
            self.push(entry);
        }
    }
}

/// Dedups `entries` (in canonical order) under `rules`: the one-call form of [`Deduper`].
pub fn dedup(entries: impl IntoIterator<Item = UsageEntry>, rules: DedupRules) -> Vec<UsageEntry> {
    let mut deduper = Deduper::new(rules);
    deduper.extend(entries);
    deduper.into_entries()
}

#[cfg(test)]
mod tests;
