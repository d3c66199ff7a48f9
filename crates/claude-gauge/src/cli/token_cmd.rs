//! `claude-gauge token`: prints the daemon's token (`<data dir>/token`), making it when there is
//! none yet, so it can be handed to a client before the first start. Beyond loopback every write
//! needs it as `Authorization: Bearer <token>` (docs/protocol.md, "Access").

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::config::Settings;
use gauge_daemon::load_or_create_token;
use gauge_daemon::Secret;

/// Flags of `token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The daemon's data dir, if `serve` is given one with --data-dir (default: as `serve`
    /// resolves it: CLAUDE_GAUGE_DATA_DIR, `[server] data_dir`, the platform data dir).
    #[arg(long, value_name = "DIR")]
    pub(super) data_dir: Option<PathBuf>,
}

/// Prints the token, and nothing else, on `out`.
pub(super) fn run(settings: &Settings, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let token = daemon_token(settings)?;
    writeln!(out, "{}", token.expose())?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon's token for `settings`, made (with its data dir) when there is none yet.
pub(super) fn daemon_token(settings: &Settings) -> anyhow::Result<Secret> {
    std::fs::create_dir_all(&settings.daemon.data_dir).with_context(|| {
        format!(
            "cannot create the data dir {}; pass a writable --data-dir",
            settings.daemon.data_dir.display()
        )
    })?;
    Ok(load_or_create_token(&settings.daemon.access.token_file)?)
}
