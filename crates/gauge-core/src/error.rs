//! Configuration errors: what a caller gets back for a table it built wrongly.
//!
//! Runtime input (frames, time) never produces an error here: bad frames are
//! [`crate::DecodeError`] values and everything else is clamped.

use core::fmt;

/// Why a configuration table was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A table must have at least one row (two points for a calibration table).
    TooFewRows {
        /// How many rows were given.
        len: usize,
    },
    /// A table has more rows than its fixed capacity.
    TooManyRows {
        /// How many rows were given.
        len: usize,
        /// The most this table can hold.
        max: usize,
    },
    /// Row `row` does not increase strictly over the row before it.
    NotIncreasing {
        /// Index of the offending row.
        row: usize,
    },
    /// Row `row` of an acceleration table has a zero delay or is faster than an earlier row
    /// would allow (delays must not grow as velocity grows).
    BadDelay {
        /// Index of the offending row.
        row: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TooFewRows { len } => {
                write!(
                    f,
                    "table has {len} rows; give at least the minimum it needs"
                )
            }
            ConfigError::TooManyRows { len, max } => {
                write!(f, "table has {len} rows; merge rows to fit at most {max}")
            }
            ConfigError::NotIncreasing { row } => write!(
                f,
                "row {row} does not increase over the row before it; sort the rows by their key"
            ),
            ConfigError::BadDelay { row } => write!(
                f,
                "row {row} has a zero delay or a delay longer than the row before it; \
                 delays must be positive and shrink (or stay) as velocity grows"
            ),
        }
    }
}
