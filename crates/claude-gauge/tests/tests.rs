//! Integration tests: each starts the real `claude-gauge` binary on a free loopback port with its
//! own temporary directories and talks HTTP to it.

// Test code may unwrap and may run long: a failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
#![allow(unreachable_pub, missing_docs)]

mod cdp;
mod fake_api;
mod util;

mod architecture;
mod claude_code;
mod cluster;
mod config;
mod faults;
mod first_run;
mod fuzz_replay;
mod learned;
mod official;
mod otlp;
mod parity_matrix;
mod prometheus;
mod security;
mod serve;
mod transcripts;
mod vocabulary;
mod wild;
