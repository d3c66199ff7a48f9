//! The daemon's integration tests: each starts a [`gauge_daemon::Daemon`] in this process on a
//! loopback port chosen by the OS, with a real SQLite file in a temp dir, and speaks HTTP, OTLP or
//! SQLite to it, as a client would. Tests of the command line's own contract (its output, exit
//! codes, install commands, the statusline's time budget, kill -9) stay with the binary, in
//! `crates/claude-gauge/tests/`.

// Test code may unwrap and may run long: a failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
#![allow(unreachable_pub, missing_docs)]

mod util;

/// Helpers of more than one test file (some shared with the binary's tests).
mod support {
    // For the web page tests; the first of them to move here will use it.
    #[allow(dead_code)]
    pub mod cdp;
    pub mod logs;
    pub mod oauth_mock;
    pub mod prometheus;
}

mod faults;
mod official;
mod prometheus;
mod security;
mod serve;
