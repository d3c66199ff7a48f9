//! Integration tests: each starts the real `claude-gauge` binary on a free loopback port with its
//! own temporary directories and talks HTTP to it.

// Test code may unwrap and may run long: a failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
#![allow(unreachable_pub, missing_docs)]

#[path = "../../gauge-daemon/tests/support/cdp.rs"]
mod cdp;
#[path = "../../gauge-daemon/tests/support/fake_api.rs"]
mod fake_api;
#[path = "../../gauge-daemon/tests/support/hub.rs"]
mod hub_support;
#[path = "../../gauge-daemon/tests/support/oauth_mock.rs"]
mod oauth_mock;
#[path = "../../gauge-daemon/tests/support/prometheus.rs"]
mod prometheus_support;
mod util;

mod alerts;
mod architecture;
mod claude_code;
mod client_token;
mod cluster;
mod config;
mod dashboards;
mod device;
mod dial_faces;
mod faults;
mod first_run;
mod hub;
mod learned;
mod official;
mod otlp;
mod pace;
mod parity_matrix;
mod prometheus;
mod report_history;
mod security;
mod serve;
mod transcripts;
mod vocabulary;
mod wild;
