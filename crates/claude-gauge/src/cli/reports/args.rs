//! The flags of the ccusage-compatible reports, with ccusage 20.0.24's names, short forms and
//! accepted values. Bad values are clap errors (exit status 2, as ccusage).

use clap::Args;

use crate::cli::report_input::InputArgs;
use claude_usage::{parse_date_bound, parse_time_zone, CostMode, SortOrder, TimeZone, WeekStart};

/// Flags every report takes.
#[derive(Debug, Args)]
pub(crate) struct SharedArgs {
    /// Filter from date (YYYYMMDD or YYYY-MM-DD), inclusive.
    #[arg(short = 's', long, value_name = "DATE", value_parser = date_bound)]
    pub(crate) since: Option<String>,
    /// Filter until date (YYYYMMDD or YYYY-MM-DD), inclusive.
    #[arg(short = 'u', long, value_name = "DATE", value_parser = date_bound)]
    pub(crate) until: Option<String>,
    /// Print JSON, byte for byte as `ccusage claude … --json --offline`.
    #[arg(short = 'j', long)]
    pub(crate) json: bool,
    /// Cost calculation mode: auto (costUSD when present), calculate (from tokens), display
    /// (costUSD only).
    #[arg(short = 'm', long, value_name = "MODE", value_parser = cost_mode, default_value = "auto")]
    pub(crate) mode: CostMode,
    /// Sort order: asc or desc.
    #[arg(short = 'o', long, value_name = "ORDER", value_parser = sort_order, default_value = "asc")]
    pub(crate) order: SortOrder,
    /// Show the per-model cost breakdown in the table.
    #[arg(short = 'b', long)]
    pub(crate) breakdown: bool,
    /// Accepted for ccusage compatibility: prices are always the embedded offline table.
    #[arg(short = 'O', long)]
    pub(crate) offline: bool,
    /// Accepted for ccusage compatibility (prices stay offline).
    #[arg(long)]
    pub(crate) no_offline: bool,
    /// Read the transcripts on one thread.
    #[arg(long)]
    pub(crate) single_thread: bool,
    /// Colour the table (also FORCE_COLOR=1).
    #[arg(long, overrides_with = "no_color")]
    pub(crate) color: bool,
    /// No colour (also NO_COLOR=1).
    #[arg(long)]
    pub(crate) no_color: bool,
    /// Time zone for dates: an IANA name (UTC, America/New_York, Asia/Tokyo) or `local`;
    /// default: the system's.
    #[arg(short = 'z', long, value_name = "TZ", value_parser = time_zone)]
    pub(crate) timezone: Option<TimeZone>,
    /// The narrow table (fewer columns), whatever the terminal width.
    #[arg(long)]
    pub(crate) compact: bool,
    /// The report cache and the store's history (`--no-cache`, `--no-history`, `--data-dir`).
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// A `--since`/`--until` value.
fn date_bound(value: &str) -> Result<String, String> {
    parse_date_bound(value).map_err(|_| "expected YYYY-MM-DD or YYYYMMDD".to_string())
}

fn cost_mode(value: &str) -> Result<CostMode, String> {
    match value {
        "auto" => Ok(CostMode::Auto),
        "calculate" => Ok(CostMode::Calculate),
        "display" => Ok(CostMode::Display),
        _ => Err("invalid cost mode: use auto, calculate or display".into()),
    }
}

fn sort_order(value: &str) -> Result<SortOrder, String> {
    match value {
        "asc" => Ok(SortOrder::Asc),
        "desc" => Ok(SortOrder::Desc),
        _ => Err("invalid sort order: use asc or desc".into()),
    }
}

fn time_zone(value: &str) -> Result<TimeZone, String> {
    parse_time_zone(value).map_err(|_| {
        "expected an IANA time zone name such as UTC or America/New_York, or 'local' for the \
         system time zone"
            .into()
    })
}

/// A `--start-of-week` value: a day name in lower case.
pub(crate) fn week_start(value: &str) -> Result<WeekStart, String> {
    Ok(match value {
        "sunday" => WeekStart::Sunday,
        "monday" => WeekStart::Monday,
        "tuesday" => WeekStart::Tuesday,
        "wednesday" => WeekStart::Wednesday,
        "thursday" => WeekStart::Thursday,
        "friday" => WeekStart::Friday,
        "saturday" => WeekStart::Saturday,
        _ => return Err("invalid week day: use sunday, monday, …, saturday".into()),
    })
}

/// A `--last` value: a whole number of periods, 1 or more.
pub(crate) fn periods(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(periods) if periods >= 1 => Ok(periods),
        _ => Err("expected a whole number of periods, 1 or greater".into()),
    }
}

/// A `--session-length` value in hours.
pub(crate) fn hours(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|hours| hours.is_finite())
        .ok_or_else(|| "expected a number of hours".into())
}
