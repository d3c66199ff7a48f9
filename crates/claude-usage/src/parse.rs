//! The line parser: one transcript line's bytes → a priced [`UsageEntry`], a skip, or a
//! malformed line, by ccusage 20.0.24's rules (`docs/ccusage-rules.md`, section 2).
//!
//! Sits after discovery and before dedup. It borrows from the line and keeps nothing of it but
//! ids, model names and numbers: prompt text and tool output are skipped unread.

use std::{borrow::Cow, collections::HashMap, sync::Arc};

use memchr::memmem;

use crate::{
    discover::FileOrigin,
    entry::{Speed, TokenUsage, UsageEntry},
    hash::BuildFastHasher,
    limit_notice::ccusage_limit_reset_ms,
    pricing::{PriceCache, PriceTable},
};

/// The bytes a usage line must contain (compact JSON only, as ccusage's prefilter).
const USAGE_MARKER: &[u8] = br#""usage":{"#;
/// Bytes at the end of a line searched first for [`USAGE_MARKER`] (it sits 350-600 bytes
/// from the end of an assistant line).
const USAGE_TAIL_BYTES: usize = 1024;
/// Keys whose `null` value makes ccusage drop the line wherever they occur
/// (`docs/ccusage-rules.md`, section 2.1).
const NULL_GUARDED_KEYS: &[&[u8]] = &[
    b"id",
    b"cwd",
    b"model",
    b"speed",
    b"costUSD",
    b"version",
    b"sessionId",
    b"requestId",
    b"isApiErrorMessage",
    b"cache_read_input_tokens",
    b"cache_creation_input_tokens",
];
/// Names kept in [`LineParser`]'s recent-name cache: a session, two models and their display
/// names cover consecutive lines.
const RECENT_NAMES: usize = 4;
const SYNTHETIC_MODEL: &str = "<synthetic>";

/// What one line holds.
// Boxing the entry would cost an allocation per usage line; a ParsedLine lives only until its
// entries are moved out.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedLine {
    /// A usage entry, plus one entry per advisor iteration in `message.usage.iterations`.
    Usage {
        /// The line's own entry.
        entry: UsageEntry,
        /// Extra entries for `advisor_message` iterations (usually none).
        advisors: Vec<UsageEntry>,
    },
    /// A well-formed line that ccusage would not count.
    Skipped(SkipReason),
    /// A line that is not a JSON object (bad syntax, or cut short).
    Malformed,
}

impl ParsedLine {
    /// The entries of a usage line (none otherwise).
    pub fn into_entries(self) -> impl Iterator<Item = UsageEntry> {
        let (entry, advisors) = match self {
            ParsedLine::Usage { entry, advisors } => (Some(entry), advisors),
            _ => (None, Vec::new()),
        };
        entry.into_iter().chain(advisors)
    }
}

/// Why a well-formed line carries no counted usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// No `"usage":{` in the line (user prompts, tool results, summaries, blank lines).
    NoUsage,
    /// A guarded key is `null` (ccusage's valibot emulation).
    NullField,
    /// The JSON does not fit the schema: missing or mistyped fields, floats or negative
    /// token counts, an unknown `speed`.
    Schema,
    /// The timestamp is not one of the accepted shapes.
    Timestamp,
    /// A bad `version` (not `N.N.N…`) or an empty id, session, request or model.
    Invalid,
}

/// Parses lines of one transcript file. Holds the file's origin, a price memo and interned
/// model names, so reuse one parser per file (or per worker, with [`LineParser::set_origin`]).
#[derive(Debug)]
pub struct LineParser {
    origin: Arc<FileOrigin>,
    prices: PriceCache,
    names: HashMap<Box<str>, Arc<str>, BuildFastHasher>,
    /// The last few names interned, checked before `names`: a line interns its session, model
    /// and display model, and consecutive lines nearly always repeat them, so a comparison or
    /// two replaces hashing a 36-byte session id.
    recent_names: [Option<Arc<str>>; RECENT_NAMES],
    recent_next: usize,
    usage_marker: memmem::Finder<'static>,
    null_marker: NullMarkerFinder,
    /// The decoder's buffers, reused from line to line.
    scratch: wire::Scratch,
}

impl LineParser {
    /// A parser for lines of the file at `origin`, priced with `table`.
    pub fn new(origin: FileOrigin, table: PriceTable) -> Self {
        Self {
            origin: Arc::new(origin),
            prices: PriceCache::new(table),
            names: HashMap::default(),
            recent_names: Default::default(),
            recent_next: 0,
            usage_marker: memmem::Finder::new(USAGE_MARKER),
            null_marker: NullMarkerFinder::new(),
            scratch: wire::Scratch::default(),
        }
    }

    /// Switches to another file, keeping the memo and the interned names.
    pub fn set_origin(&mut self, origin: FileOrigin) {
        self.origin = Arc::new(origin);
    }

    /// Parses one line (without its `\n`; a trailing `\r` is allowed). Never panics.
    pub fn parse(&mut self, line: &[u8]) -> ParsedLine {
        if !self.has_usage_marker(line) {
            return classify_without_usage(line);
        }
        if self.has_null_guarded_key(line) {
            return ParsedLine::Skipped(SkipReason::NullField);
        }
        // Taken for the decode, which borrows it while `self` builds the entry.
        let mut scratch = std::mem::take(&mut self.scratch);
        let parsed = self.parse_usage(line, &mut scratch);
        self.scratch = scratch;
        parsed
    }

    fn parse_usage(&mut self, line: &[u8], scratch: &mut wire::Scratch) -> ParsedLine {
        let raw = match wire::decode(line, scratch) {
            Ok(raw) => raw,
            Err(wire::DecodeError::Malformed) => return ParsedLine::Malformed,
            Err(wire::DecodeError::Schema) => return ParsedLine::Skipped(SkipReason::Schema),
        };
        let Some(timestamp_ms) = crate::timestamp::parse_timestamp_ms(&raw.timestamp) else {
            return ParsedLine::Skipped(SkipReason::Timestamp);
        };
        if !is_valid(&raw) {
            return ParsedLine::Skipped(SkipReason::Invalid);
        }
        let usage_limit_reset_ms =
            ccusage_limit_reset_ms(line, raw.is_api_error_message == Some(true));
        let entry = self.build_entry(&raw, timestamp_ms, usage_limit_reset_ms);
        let advisors = match &raw.advisor_iterations {
            Some(iterations) => self.advisor_entries(&entry, iterations),
            None => Vec::new(),
        };
        ParsedLine::Usage { entry, advisors }
    }

    /// Whether `line` contains [`USAGE_MARKER`]. Claude Code writes `usage` after `content`,
    /// a few hundred bytes from the end of the line, so the tail is searched first and the
    /// head (with an overlap of one marker less a byte) only if that fails: a usage line is
    /// then found without a pass over its content, and any other line still costs one pass.
    fn has_usage_marker(&self, line: &[u8]) -> bool {
        let split = line.len().saturating_sub(USAGE_TAIL_BYTES);
        let head_end = (split + USAGE_MARKER.len() - 1).min(line.len());
        self.usage_marker.find(&line[split..]).is_some()
            || self.usage_marker.find(&line[..head_end]).is_some()
    }

    fn has_null_guarded_key(&self, line: &[u8]) -> bool {
        let mut from = 0;
        while let Some(found) = self.null_marker.find(&line[from..]) {
            let before = &line[..from + found];
            let is_guarded = NULL_GUARDED_KEYS.iter().any(|key| {
                before.ends_with(key)
                    && before.len() > key.len()
                    && before[before.len() - key.len() - 1] == b'"'
            });
            if is_guarded {
                return true;
            }
            from += found + 1;
        }
        false
    }

    fn build_entry(
        &mut self,
        raw: &wire::WireLine<'_>,
        timestamp_ms: i64,
        usage_limit_reset_ms: Option<i64>,
    ) -> UsageEntry {
        let usage = raw.usage;
        let speed = raw.speed;
        let model = raw.model.as_deref();
        let (cost_usd, is_unpriced) = match raw.cost_usd {
            Some(cost) => (cost, false),
            None => self.computed_cost(model, &usage, speed),
        };
        let display = display_model(model, speed);
        let session_id = match raw.session_id.as_deref() {
            Some(session) if session != &*self.origin.session_id => self.intern(session),
            _ => Arc::clone(&self.origin.session_id),
        };
        UsageEntry {
            timestamp_ms,
            message_id: raw.message_id.as_deref().map(Box::from),
            request_id: raw.request_id.as_deref().map(Box::from),
            model: model.map(|model| self.intern(model)),
            display_model: display.map(|display| self.intern(&display)),
            usage,
            cost_usd,
            is_unpriced,
            session_id,
            project: Arc::clone(&self.origin.project),
            origin: Arc::clone(&self.origin),
            has_cost_field: raw.cost_usd.is_some(),
            is_sidechain: raw.is_sidechain == Some(true),
            speed,
            is_progress: raw.is_progress,
            is_daily_readable: raw.is_daily_readable,
            usage_limit_reset_ms,
            line_offset: 0,
        }
    }

    fn computed_cost(
        &mut self,
        model: Option<&str>,
        usage: &TokenUsage,
        speed: Option<Speed>,
    ) -> (f64, bool) {
        // ccusage never reports `<synthetic>` (its placeholder for local messages) as unpriced.
        let Some(model) = model.filter(|model| *model != SYNTHETIC_MODEL) else {
            return (0.0, false);
        };
        match self.prices.find(model) {
            Some(price) => (price.cost_usd(usage, speed), false),
            None => (0.0, usage.total_tokens() > 0),
        }
    }

    /// Extra entries for `advisor_message` iterations: their own model and tokens, priced
    /// from tokens, shown without the `-fast` suffix (observed on 20.0.24).
    fn advisor_entries(&mut self, parent: &UsageEntry, iterations: &str) -> Vec<UsageEntry> {
        let mut entries = Vec::new();
        for (index, iteration) in wire::advisor_iterations(iterations) {
            let usage = iteration.usage();
            let model = iteration.model.as_ref();
            let (cost_usd, is_unpriced) = self.computed_cost(Some(model), &usage, iteration.speed);
            let model = self.intern(model);
            let display = (&*model != SYNTHETIC_MODEL).then(|| Arc::clone(&model));
            entries.push(UsageEntry {
                message_id: parent
                    .message_id
                    .as_deref()
                    .map(|id| format!("{id}:advisor:{index}").into_boxed_str()),
                model: Some(model),
                display_model: display,
                usage,
                cost_usd,
                is_unpriced,
                speed: iteration.speed,
                has_cost_field: false,
                ..parent.clone()
            });
        }
        entries
    }

    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(recent) = self
            .recent_names
            .iter()
            .flatten()
            .find(|recent| ***recent == *name)
        {
            return Arc::clone(recent);
        }
        let interned = match self.names.get(name) {
            Some(interned) => Arc::clone(interned),
            None => {
                let interned: Arc<str> = Arc::from(name);
                self.names.insert(name.into(), Arc::clone(&interned));
                interned
            }
        };
        self.recent_names[self.recent_next] = Some(Arc::clone(&interned));
        self.recent_next = (self.recent_next + 1) % RECENT_NAMES;
        interned
    }
}

/// The null guard's search: `":null`.
const NULL_MARKER: &[u8] = b"\":null";

/// Finds [`NULL_MARKER`]. memchr's own choice of byte pair for it, `"` and `:`, matches at the
/// end of every key of the line, and checking each of those cost 2 % of the whole scan; `:`
/// followed by `n` is nearly only ever `:null`.
#[derive(Debug)]
struct NullMarkerFinder {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::packedpair::Finder>,
    fallback: memmem::Finder<'static>,
}

impl NullMarkerFinder {
    fn new() -> Self {
        Self {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::all::packedpair::Pair::with_indices(NULL_MARKER, 1, 2).and_then(
                |pair| memchr::arch::x86_64::avx2::packedpair::Finder::with_pair(NULL_MARKER, pair),
            ),
            fallback: memmem::Finder::new(NULL_MARKER),
        }
    }

    fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = &self.avx2 {
            // `find` panics below this length; memmem handles short haystacks.
            if haystack.len() >= avx2.min_haystack_len() {
                return avx2.find(haystack, NULL_MARKER);
            }
        }
        self.fallback.find(haystack)
    }
}

fn classify_without_usage(line: &[u8]) -> ParsedLine {
    let trimmed = line.trim_ascii();
    match (trimmed.first(), trimmed.last()) {
        (None, _) => ParsedLine::Skipped(SkipReason::NoUsage),
        (Some(b'{'), Some(b'}')) => ParsedLine::Skipped(SkipReason::NoUsage),
        _ => ParsedLine::Malformed,
    }
}

fn display_model<'a>(model: Option<&'a str>, speed: Option<Speed>) -> Option<Cow<'a, str>> {
    match model {
        None | Some(SYNTHETIC_MODEL) => None,
        Some(model) if speed == Some(Speed::Fast) => Some(Cow::Owned(format!("{model}-fast"))),
        Some(model) => Some(Cow::Borrowed(model)),
    }
}

fn is_valid(raw: &wire::WireLine<'_>) -> bool {
    let is_empty = |value: &Option<Cow<'_, str>>| value.as_deref().is_some_and(str::is_empty);
    if raw
        .version
        .as_deref()
        .is_some_and(|version| !is_semver_prefix(version))
    {
        return false;
    }
    !(is_empty(&raw.session_id)
        || is_empty(&raw.request_id)
        || is_empty(&raw.message_id)
        || is_empty(&raw.model))
}

/// `\d+\.\d+\.\d` at the start.
fn is_semver_prefix(version: &str) -> bool {
    let bytes = version.as_bytes();
    let mut at = 0;
    for part in 0..3 {
        let digits = bytes[at..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if digits == 0 {
            return false;
        }
        if part == 2 {
            return true;
        }
        at += digits;
        if bytes.get(at) != Some(&b'.') {
            return false;
        }
        at += 1;
    }
    true
}

mod wire;

#[cfg(test)]
mod tests;
