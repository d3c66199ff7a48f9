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
    pub mod cdp;
    pub mod fake_api;
    pub mod hub;
    pub mod logs;
    pub mod oauth_mock;
    pub mod otlp;
    pub mod prometheus;
}

mod faults;
mod fuzz_replay;
mod history;
mod hub;
mod official;
mod otlp;
mod page;
mod prometheus;
mod security;
mod serve;
mod transcripts;
mod wild;
