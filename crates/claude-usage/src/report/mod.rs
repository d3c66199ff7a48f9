//! Reports: session blocks, daily/weekly/monthly usage and sessions as values, their
//! ccusage-compatible JSON, and tables. The last stage of the flow: deduped entries → report
//! values → `impl Write`.

pub(crate) mod blocks;
pub(crate) mod daily;
pub(crate) mod filter;
pub(crate) mod json;
pub(crate) mod json_usage;
pub(crate) mod layout;
pub(crate) mod mode;
pub(crate) mod session;
pub(crate) mod summary;
pub(crate) mod table;
pub(crate) mod table_blocks;
pub(crate) mod table_usage;

use jiff::tz::TimeZone;

/// Why a time zone name was refused.
#[derive(Debug, thiserror::Error)]
#[error("unknown time zone {name:?}: use an IANA name such as UTC or Europe/Paris, or local")]
pub struct TimeZoneError {
    /// The name as given.
    pub name: String,
}

/// Resolves `--timezone`: an IANA name, or `local` for the system zone (as ccusage).
pub fn parse_time_zone(name: &str) -> Result<TimeZone, TimeZoneError> {
    if name == "local" {
        return Ok(TimeZone::system());
    }
    TimeZone::get(name).map_err(|_| TimeZoneError {
        name: name.to_string(),
    })
}
