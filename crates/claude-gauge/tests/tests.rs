//! Integration tests: each starts the real `claude-gauge` binary on a free loopback port with its
//! own temporary directories and talks HTTP to it.

// Test helpers are `pub` for their sibling modules, and fixture set-up unwraps: both fine here.
#![allow(unreachable_pub, clippy::unwrap_used)]

mod fake_api;
mod util;

mod claude_code;
mod config;
mod official;
mod serve;
mod transcripts;
