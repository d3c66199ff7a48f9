//! The vocabulary of the flow: what sources read (one model request, [`UsageEvent`]; Claude's
//! own percentage for a window, [`OfficialSample`]; a Prometheus aggregate,
//! [`PrometheusReading`]) and the messages that carry them to the engine ([`EngineInput`]).
//!
//! Sources produce these values (through `sources::Out`); the ledger stores them; `limits/` and
//! the engine read them. Every layer may use this module; it uses none of them. Nothing here
//! does I/O.

use gauge_core::ModelFamily;

/// Token counts of one request, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Fresh input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Tokens written to the prompt cache (5-minute and 1-hour writes together).
    pub cache_creation: u64,
    /// Tokens read from the prompt cache.
    pub cache_read: u64,
}

impl TokenCounts {
    /// The tokens the tachometer counts: input + output + cache creation (cache reads are
    /// excluded: they dominate raw totals but barely count against limits).
    pub fn tach_tokens(&self) -> u64 {
        self.input + self.output + self.cache_creation
    }

    /// The tokens the fuel estimate counts against a token limit: input + output, the basis of
    /// the peers' published plan figures and of the P90 method.
    pub fn fuel_tokens(&self) -> u64 {
        self.input + self.output
    }

    /// Every token, cache reads included (ccusage's `totalTokens`).
    pub fn total(&self) -> u64 {
        self.input + self.output + self.cache_creation + self.cache_read
    }
}

/// Where a usage event was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A Claude Code JSONL transcript.
    Transcript,
    /// Claude Code's OpenTelemetry export.
    Otlp,
}

impl Origin {
    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Transcript => "transcript",
            Origin::Otlp => "otlp",
        }
    }
}

/// One model request, deduplicated by `dedup_key` across every source.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageEvent {
    /// When the request was answered, unix milliseconds (UTC).
    pub at_ms: i64,
    /// Where it was read.
    pub origin: Origin,
    /// The key that makes one request count once.
    pub dedup_key: String,
    /// A fingerprint of the response's `message.id` ([`message_fingerprint`]), when the source
    /// knows it (transcripts do, OTLP does not). Claude Code 1.0.x wrote two messages under one
    /// request id (a thinking-only one, then the full one); ccusage counts both, and so does the
    /// ledger, which only needs to tell the two apart (see `docs/architecture.md`). A number,
    /// not the id: every copy of every request carries it, and a string each would cost the
    /// first scan tens of megabytes.
    pub message_id: Option<u64>,
    /// The model id, e.g. `claude-opus-4-5-20251101`.
    pub model: String,
    /// Tokens by kind.
    pub tokens: TokenCounts,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// Read from a sidechain (subagent) copy of the conversation.
    pub is_sidechain: bool,
    /// The request carried a `speed` (fast mode) marker.
    pub has_speed: bool,
}

/// The fingerprint of a `message.id` that [`UsageEvent::message_id`] holds (`stable_hash`).
pub fn message_fingerprint(message_id: &str) -> u64 {
    stable_hash(message_id.as_bytes())
}

/// FNV-1a over `bytes`, never 0: stable across builds and platforms, so what it gives can be
/// stored (message ids, transcript prefixes) and compared after an upgrade.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash.max(1)
}

impl UsageEvent {
    /// Whether this copy of a request should replace `other`, the copy on record under the same
    /// dedup key (ccusage 20.0.24's preference): a main-chain copy beats a sidechain one, then
    /// more tokens, then a higher cost, then a `speed` marker. A strict order, so the winner does
    /// not depend on arrival order except for exact ties, where the first stays.
    pub fn beats(&self, other: &UsageEvent) -> bool {
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
    pub fn family(&self) -> ModelFamily {
        ModelFamily::from_model_id(&self.model)
    }
}

/// The usage window an official percentage speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// The 5-hour session window.
    FiveHour,
    /// The 7-day window.
    SevenDay,
}

impl Window {
    /// The name stored in the ledger and shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::FiveHour => "5h",
            Window::SevenDay => "7d",
        }
    }

    /// The window [`Window::as_str`] names, if any.
    pub fn from_name(name: &str) -> Option<Window> {
        [Window::FiveHour, Window::SevenDay]
            .into_iter()
            .find(|window| window.as_str() == name)
    }

    /// The window's length in seconds.
    pub fn length_secs(self) -> i64 {
        match self {
            Window::FiveHour => 5 * 3600,
            Window::SevenDay => 7 * 24 * 3600,
        }
    }
}

/// Where an official sample came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OfficialOrigin {
    /// Claude Code's statusLine feed.
    Statusline,
    /// The OAuth usage endpoint.
    Oauth,
    /// Claude Code's own copy of the OAuth endpoint's last answer (`cachedUsageUtilization` in
    /// `.claude.json`), read while it is fresh.
    CachedUsage,
}

impl OfficialOrigin {
    /// The name stored in the ledger and shown in `/limits`.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficialOrigin::Statusline => "statusline",
            OfficialOrigin::Oauth => "oauth",
            OfficialOrigin::CachedUsage => "cached",
        }
    }

    /// The origin [`OfficialOrigin::as_str`] names, if any.
    pub fn from_name(name: &str) -> Option<OfficialOrigin> {
        [
            OfficialOrigin::Statusline,
            OfficialOrigin::Oauth,
            OfficialOrigin::CachedUsage,
        ]
        .into_iter()
        .find(|origin| origin.as_str() == name)
    }
}

/// Claude's own reading of one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OfficialSample {
    /// When it was read, unix milliseconds.
    pub at_ms: i64,
    /// Which window.
    pub window: Window,
    /// Percent of the window used, already clamped to 0..=100.
    pub used_pct: f64,
    /// When the window resets, unix seconds.
    pub resets_at_secs: Option<i64>,
    /// Where it came from.
    pub origin: OfficialOrigin,
}

/// Claude's own reading of a window beyond the two the gauges show: a per-model weekly window
/// (`seven_day_opus`, `seven_day_sonnet`, a `limits[]` `weekly_scoped` entry) or any other one
/// Claude reports (`seven_day_oauth_apps`, ...). Kept generically, by the name Claude gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopedSample {
    /// When it was read, unix milliseconds.
    pub at_ms: i64,
    /// The name Claude reports it under: the key (`seven_day_opus`), or for a `limits[]` entry
    /// its kind and scope (`weekly_scoped:Fable`).
    pub name: String,
    /// The model family it limits, when its name or scope names one.
    pub family: Option<ModelFamily>,
    /// The name Claude Code shows for it (`scope.model.display_name`, e.g. `Fable`), when
    /// Claude gives one.
    pub display_name: Option<String>,
    /// How the server grades it (`severity` of a `limits[]` row), when it does.
    pub severity: Option<Severity>,
    /// Percent of the window used, already clamped to 0..=100.
    pub used_pct: f64,
    /// When the window resets, unix seconds.
    pub resets_at_secs: Option<i64>,
    /// Where it came from.
    pub origin: OfficialOrigin,
}

/// How Claude's server grades a limit (`severity` of a `limits[]` row of the usage endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Nothing to say.
    Normal,
    /// Getting close.
    Warning,
    /// At or nearly at the limit.
    Critical,
}

impl Severity {
    /// The server's word for it, as `/limits` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// The grade the server's word names, if it is one of the three.
    pub fn from_name(name: &str) -> Option<Severity> {
        match name {
            "normal" => Some(Severity::Normal),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl ScopedSample {
    /// The model family a window name or scope speaks of: only a whole `opus`, `sonnet` or
    /// `haiku` word counts (so a codename that merely contains one does not).
    pub fn family_of(name: &str) -> Option<ModelFamily> {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .find_map(|word| match word.to_ascii_lowercase().as_str() {
                "opus" => Some(ModelFamily::OPUS),
                "sonnet" => Some(ModelFamily::SONNET),
                "haiku" => Some(ModelFamily::HAIKU),
                _ => None,
            })
    }
}

/// Extra usage (usage credits, or an organisation's spend limit): paid use past the plan's
/// limits, as the OAuth endpoint (`extra_usage`) or the statusLine feed (`rate_limits.
/// spend_limit`) reports it. Amounts are in the currency's major units (dollars, not cents):
/// the sources convert what Claude sends.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtraUsage {
    /// When it was read, unix milliseconds.
    pub at_ms: i64,
    /// Whether extra usage is switched on for the account.
    pub is_enabled: bool,
    /// The spending limit of the period, if one is set.
    pub monthly_limit: Option<f64>,
    /// What was spent this period.
    pub used_credits: Option<f64>,
    /// Percent of the limit used; over 100 when the spending went past it (never clamped).
    pub used_pct: Option<f64>,
    /// The currency of the amounts (`USD`), when given.
    pub currency: Option<String>,
    /// The period the limit is for (`monthly`), when given.
    pub period: Option<String>,
    /// Where it came from.
    pub origin: OfficialOrigin,
}

/// The largest spend percentage taken as real: spending may pass its limit, but not a
/// thousandfold.
pub(crate) const MAX_SPEND_PCT: f64 = 100_000.0;

/// One reading of a Prometheus usage source: aggregates over a label selector, not requests.
/// Token figures count the same kinds as local data (tach: input + output + cache creation;
/// fuel: input + output), so the needles mean the same whichever source drives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrometheusReading {
    /// The evaluation time of the queries, unix milliseconds.
    pub at_ms: i64,
    /// Tach tokens in the 60 s before `at_ms`, i.e. tokens per minute.
    pub tach_tokens_per_min: u64,
    /// Fuel tokens in the 5 hours before `at_ms`.
    pub fuel_tokens_5h: u64,
    /// Fuel tokens in the 7 days before `at_ms`.
    pub fuel_tokens_7d: u64,
    /// The model that used the most tokens lately, if any did.
    pub model: Option<String>,
}

/// The latest time any reading may name, unix seconds (9999-12-31T23:59:59Z): a reset or limit
/// time past it cannot be real, and its milliseconds would overflow an `i64`.
pub(crate) const MAX_UNIX_SECS: i64 = 253_402_300_799;

/// A kind of source, for health and STALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// The JSONL transcripts.
    Transcripts,
    /// The statusLine feed.
    Statusline,
    /// The OAuth usage poller.
    Oauth,
    /// The OTLP receivers.
    Otlp,
    /// A Prometheus server.
    Prometheus,
    /// Not a source: the ledger's store, which reports whether it can write (a full disk lights
    /// STALL until writes succeed again).
    Store,
}

impl SourceKind {
    /// The name used in logs and `/stats`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Transcripts => "transcripts",
            SourceKind::Statusline => "statusline",
            SourceKind::Oauth => "oauth",
            SourceKind::Otlp => "otlp",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Store => "store",
        }
    }
}

/// The stored usage of one model: what the store holds in all, for counters that must equal it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelUsage {
    /// The model id.
    pub model: String,
    /// Tokens by kind.
    pub tokens: TokenCounts,
    /// Cost in billionths of a US dollar, each request's cost rounded before the sum.
    pub cost_nano_usd: u64,
}

/// What was learned of one window's limit from Claude's own readings: fuel tokens per percent
/// (see `limits::Calibration`). Kept in the store, so a restart keeps the limit in use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LearnedRate {
    /// Which window.
    pub window: Window,
    /// Fuel tokens per percent of the window.
    pub tokens_per_pct: f64,
    /// When it was learned, unix ms.
    pub learned_at_ms: i64,
    /// The official percentage it was learned from.
    pub from_used_pct: f64,
    /// The local fuel tokens in the window then.
    pub from_tokens: u64,
    /// The reset time of the window it was learned in, unix seconds.
    pub window_resets_at_secs: Option<i64>,
}

/// Something the engine is told: by the ledger (requests, once deduplicated) or by a source
/// through `sources::Out` (everything that need not be stored).
#[derive(Debug)]
pub enum EngineInput {
    /// What the store held at start: the recent requests (for the needles) and every model's
    /// stored totals (where the counters of `/metrics` start, so they do not jump at a restart).
    Stored {
        /// Requests of the recent window, oldest first.
        recent: Vec<UsageEvent>,
        /// Every model's totals over the whole store.
        by_model: Vec<ModelUsage>,
    },
    /// Requests that are new, or replace an earlier version with the same dedup key.
    Usage(Vec<UsageEvent>),
    /// Inputs that belong together (what one ledger transaction stored): applied as one, so no
    /// frame shows half of them.
    Together(Vec<EngineInput>),
    /// Claude's own reading of a window.
    Official(OfficialSample),
    /// Claude's readings of windows beyond the 5-hour and 7-day ones (per-model weekly windows
    /// and others), kept in memory: newest per name.
    Scoped(Vec<ScopedSample>),
    /// Claude's report of extra usage.
    Extra(ExtraUsage),
    /// A window's learned rate, as stored (at start).
    Learned(LearnedRate),
    /// A Prometheus source's aggregates; they drive tach, fuel and model while that source is
    /// configured.
    Aggregate(PrometheusReading),
    /// The model of the session Claude Code reports right now.
    Model(String),
    /// A source is alive (`Ok`) or failing (`Err` with a short reason, never user data).
    Health(SourceKind, Result<(), String>),
    /// A source is configured, so STALL should count it.
    Configured(SourceKind),
    /// Claude reports the usage limit reached until this time, unix seconds.
    LimitReached {
        /// When the limit lifts, unix seconds.
        until_secs: i64,
    },
    /// Tach tokens known only in aggregate (OTLP metrics of a session that sends no events):
    /// they move the tach for a minute but are not requests, so they never reach the ledger.
    Metered {
        /// When they were used, unix ms.
        at_ms: i64,
        /// Input + output + cache creation tokens.
        tach_tokens: u64,
    },
}

/// How the ledger and the sources reach the engine.
pub(crate) type EngineSender = tokio::sync::mpsc::Sender<EngineInput>;

/// The counter Claude Code exports its token usage as (in Prometheus naming): what the
/// Prometheus source queries, and what `/metrics` exports under the same name so one dashboard
/// fits both.
pub(crate) const CLAUDE_CODE_TOKEN_METRIC: &str = "claude_code_token_usage_tokens_total";
