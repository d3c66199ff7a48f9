//! Claude Code transcript reader: the same numbers as ccusage 20.0.24, at the speed of the disk.
//!
//! Claude Code appends one JSON object per line to `projects/**/*.jsonl` under its config
//! directories. This crate turns those lines into priced, deduplicated [`UsageEntry`] values
//! and ccusage-compatible reports. It is pure library code for the `claude-gauge` daemon: it
//! takes environment values, paths and `now` as parameters and returns values.
//!
//! The flow, one module per stage:
//! * discovery — [`ClaudeRoots`], [`resolve_roots`], [`usage_files`], [`FileOrigin`];
//! * lines — [`LineParser`] gives a [`ParsedLine`]: usage, skipped, or malformed;
//!   [`usage_limit_notice`] reads a usage-limit message ([`UsageLimitNotice`]) in any form;
//! * files — [`scan_files`] / [`scan_files_each`] (parallel cold scan) and [`read_appended`]
//!   (live tail from an offset), both over [`parse_lines`]; [`scan_files_cached`], the same
//!   scan through a per-file cache of parsed entries ([`CacheStats`]);
//! * dedup — [`Deduper`] for a whole scan; [`DedupKey`], [`prefer`] and [`prefer_at`] for a
//!   durable store that applies the rule one entry at a time;
//! * prices — [`PriceTable`] (the embedded offline table) and [`ModelPrice`];
//! * reports — [`session_blocks`] (with [`select_blocks`]), [`usage_report`] (daily, weekly,
//!   monthly), [`session_report`] and [`session_detail`], after [`apply_cost_mode`]; written
//!   as ccusage's JSON by [`write_blocks_json`], [`write_usage_json`], [`write_sessions_json`]
//!   and [`write_session_detail_json`], and as ccusage's tables by [`write_usage_table`],
//!   [`write_session_table`], [`write_blocks_table`] and [`write_active_block`].
//!
//! The rules are ccusage 20.0.24's, summarised in `docs/ccusage-rules.md`; a parity test runs the
//! real ccusage 20.0.24 on a generated corpus and compares both reports.
//!
//! Must never: log or keep prompt text or file contents (only ids, model names, numbers and
//! paths leave a line); write to the user's Claude files (every file is opened read-only); read
//! environment variables or the clock; panic on any input bytes.

mod cache;
mod dedup;
mod discover;
mod entry;
mod hash;
mod limit_notice;
mod parse;
mod pricing;
mod report;
mod scan;
mod tail;
mod timestamp;

pub use cache::{scan_files_cached, CacheStats, FormatError as CacheFormatError, RACY_SLACK_MS};
pub use dedup::{
    dedup, is_sidechain_replay, prefer, prefer_at, DedupKey, DedupRules, Deduper, SourcePosition,
};
pub use discover::{resolve_roots, usage_files, ClaudeRoots, DiscoverError, FileOrigin};
pub use entry::{Speed, TokenUsage, UsageEntry};
pub use limit_notice::{usage_limit_notice, LimitWindow, UsageLimitNotice};
pub use parse::{LineParser, ParsedLine, SkipReason};
pub use pricing::{LongContext, LongContextRates, ModelPrice, PriceCache, PriceTable};
pub use report::blocks::{
    select_blocks, session_blocks, BlocksQuery, BurnRate, Projection, SessionBlock, TokenLimit,
    DEFAULT_SESSION_LENGTH_MS,
};
pub use report::daily::{
    daily_report, local_date, unpriced_models, usage_report, UsageReport, UsageReportOptions,
};
pub use report::filter::{
    last_periods_since, parse_date_bound, DateError, DateRange, PeriodKind, SortOrder, WeekStart,
};
pub use report::json::{write_blocks_json, BlocksJsonOptions};
pub use report::json_usage::{
    write_daily_json, write_session_detail_json, write_sessions_json, write_usage_json,
};
pub use report::layout::Align;
pub use report::mode::{apply_cost_mode, CostMode};
pub use report::session::{
    session_detail, session_report, SessionDetail, SessionEntryDetail, SessionReport, SessionRow,
};
pub use report::summary::{ModelBreakdown, UsageRow, UsageTotals};
pub use report::table::{format_currency, format_number, Color, Grid, TableLook};
pub use report::table_blocks::{
    write_active_block, write_blocks_table, NO_ACTIVE_BLOCK, NO_BLOCKS,
};
pub use report::table_usage::{
    project_display_name, write_session_table, write_usage_table, ProjectAliases, NO_USAGE_DATA,
};
pub use report::{parse_time_zone, TimeZoneError};
pub use scan::{
    parse_lines, scan_files, scan_files_each, FileScan, LineCounts, Scan, ScanOptions, TrailingLine,
};
pub use tail::{read_appended, TailRead, MAX_READ_BYTES};
pub use timestamp::{format_timestamp_ms, parse_timestamp_ms};

/// Re-exported so callers name the same `TimeZone` type the daily report takes.
pub use jiff::tz::TimeZone;
