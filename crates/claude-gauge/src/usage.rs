//! The data that flows from sources into the engine: one model request ([`UsageEvent`]) and one
//! official percentage reading ([`OfficialSample`]).
//!
//! Sources produce these values; the ledger stores them; `limits/` and the frame builder read
//! them. Nothing here does I/O.

use gauge_core::ModelFamily;

/// Token counts of one request, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TokenCounts {
    /// Fresh input tokens.
    pub(crate) input: u64,
    /// Output tokens.
    pub(crate) output: u64,
    /// Tokens written to the prompt cache (5-minute and 1-hour writes together).
    pub(crate) cache_creation: u64,
    /// Tokens read from the prompt cache.
    pub(crate) cache_read: u64,
}

impl TokenCounts {
    /// The tokens the tachometer counts: input + output + cache creation (cache reads are
    /// excluded: they dominate raw totals but barely count against limits).
    pub(crate) fn tach_tokens(&self) -> u64 {
        self.input + self.output + self.cache_creation
    }

    /// The tokens the fuel estimate counts against a token limit: input + output, the basis of
    /// the peers' published plan figures and of the P90 method.
    pub(crate) fn fuel_tokens(&self) -> u64 {
        self.input + self.output
    }

    /// Every token, cache reads included (ccusage's `totalTokens`).
    pub(crate) fn total(&self) -> u64 {
        self.input + self.output + self.cache_creation + self.cache_read
    }
}

/// Where a usage event was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Origin {
    /// A Claude Code JSONL transcript.
    Transcript,
    /// Claude Code's OpenTelemetry export.
    Otlp,
}

impl Origin {
    /// The name stored in the ledger.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Origin::Transcript => "transcript",
            Origin::Otlp => "otlp",
        }
    }
}

/// One model request, deduplicated by `dedup_key` across every source.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UsageEvent {
    /// When the request was answered, unix milliseconds (UTC).
    pub(crate) at_ms: i64,
    /// Where it was read.
    pub(crate) origin: Origin,
    /// The key that makes one request count once.
    pub(crate) dedup_key: String,
    /// The model id, e.g. `claude-opus-4-5-20251101`.
    pub(crate) model: String,
    /// Tokens by kind.
    pub(crate) tokens: TokenCounts,
    /// Cost in US dollars.
    pub(crate) cost_usd: f64,
    /// Read from a sidechain (subagent) copy of the conversation.
    pub(crate) is_sidechain: bool,
    /// The request carried a `speed` (fast mode) marker.
    pub(crate) has_speed: bool,
}

impl UsageEvent {
    /// Whether this copy of a request should replace `other`, the copy on record under the same
    /// dedup key (ccusage 20.0.24's preference): a main-chain copy beats a sidechain one, then
    /// more tokens, then a higher cost, then a `speed` marker. A strict order, so the winner does
    /// not depend on arrival order except for exact ties, where the first stays.
    pub(crate) fn beats(&self, other: &UsageEvent) -> bool {
        let key = |e: &UsageEvent| (!e.is_sidechain, e.tokens.total(), e.has_speed);
        let (a, b) = (key(self), key(other));
        if (a.0, a.1) != (b.0, b.1) {
            return (a.0, a.1) > (b.0, b.1);
        }
        if self.cost_usd != other.cost_usd {
            return self.cost_usd > other.cost_usd;
        }
        a.2 && !b.2
    }

    /// The model's family, for the frame.
    pub(crate) fn family(&self) -> ModelFamily {
        ModelFamily::from_model_id(&self.model)
    }
}

/// The usage window an official percentage speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Window {
    /// The 5-hour session window.
    FiveHour,
    /// The 7-day window.
    SevenDay,
}

impl Window {
    /// The name stored in the ledger and shown in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Window::FiveHour => "5h",
            Window::SevenDay => "7d",
        }
    }

    /// The window's length in seconds.
    pub(crate) fn length_secs(self) -> i64 {
        match self {
            Window::FiveHour => 5 * 3600,
            Window::SevenDay => 7 * 24 * 3600,
        }
    }
}

/// Where an official sample came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum OfficialOrigin {
    /// Claude Code's statusLine feed.
    Statusline,
    /// The OAuth usage endpoint.
    Oauth,
}

/// Claude's own reading of one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct OfficialSample {
    /// When it was read, unix milliseconds.
    pub(crate) at_ms: i64,
    /// Which window.
    pub(crate) window: Window,
    /// Percent of the window used, already clamped to 0..=100.
    pub(crate) used_pct: f64,
    /// When the window resets, unix seconds.
    pub(crate) resets_at_secs: Option<i64>,
    /// Where it came from.
    pub(crate) origin: OfficialOrigin,
}

/// One reading of a Prometheus usage source: aggregates over a label selector, not requests.
/// Token figures count the same kinds as local data (tach: input + output + cache creation;
/// fuel: input + output), so the needles mean the same whichever source drives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrometheusReading {
    /// The evaluation time of the queries, unix milliseconds.
    pub(crate) at_ms: i64,
    /// Tach tokens in the 60 s before `at_ms`, i.e. tokens per minute.
    pub(crate) tach_tokens_per_min: u64,
    /// Fuel tokens in the 5 hours before `at_ms`.
    pub(crate) fuel_tokens_5h: u64,
    /// Fuel tokens in the 7 days before `at_ms`.
    pub(crate) fuel_tokens_7d: u64,
    /// The model that used the most tokens lately, if any did.
    pub(crate) model: Option<String>,
}
