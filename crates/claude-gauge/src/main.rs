//! claude-gauge: the daemon and CLI behind the Claude Code instrument cluster.
//!
//! It reads Claude Code's usage from every source a user may have (local JSONL transcripts, the
//! statusLine feed, Claude Code's OpenTelemetry export, a Prometheus), turns it into one small
//! [`gauge_core::Frame`] and serves it to clusters over HTTP (`/usage`, `/events`), serial, a web
//! page and a terminal view.
//!
//! Layout, in the direction data flows:
//! - `sources/`: readers of each input, producing `usage` values;
//! - `engine/`: the live state and the frame builder, publishing frames on a watch channel;
//! - `ledger/`: dedup across sources, the durable store, and the way into the engine;
//! - `limits/`: pure fuel, rate and history computations the engine calls;
//! - `serve/`: the HTTP transport (and the web page); `serial/`: the USB-serial transport;
//! - `access/`: what every listener checks first (Host, Origin, the token) and its connection
//!   bounds;
//! - `link/`, `sim/`, `tui/`: the cluster's side, on this machine: frames from a daemon into
//!   gauge-core's `Cluster`, printed by the simulator or drawn by the terminal view;
//! - `config/` and `cli/`: the only places that know about files, env vars and flags.
//!
//! Must never: listen beyond loopback without the explicit flag; log tokens, prompts or file
//! contents; change a user's Claude files except through an explicit install command.

mod cli;
mod config;
mod link;
mod sim;
mod tui;

fn main() -> std::process::ExitCode {
    match cli::run() {
        Ok(code) => code,
        // A reader that went away (`claude-gauge daily | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One line: what went wrong, with its causes, and (in the message) the fix.
            eprintln!("claude-gauge: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
