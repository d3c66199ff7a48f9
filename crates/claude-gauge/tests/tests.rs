//! Integration tests: each starts the real `claude-gauge` binary on a free loopback port with its
//! own temporary directories and talks HTTP to it.

mod fake_api;
mod util;

mod claude_code;
mod config;
mod otlp;
mod serve;
mod transcripts;
