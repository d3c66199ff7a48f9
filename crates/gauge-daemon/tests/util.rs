//! Shared helpers of the daemon tests.
