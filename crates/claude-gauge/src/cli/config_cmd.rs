//! `claude-gauge config path|show|init`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::config::{default_file_text, EnvOverrides, FlagOverrides, PlatformDirs, Settings};

/// What `config` does.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigAction {
    /// Print the config file's path.
    Path,
    /// Print the configuration in force, as TOML: the file, the defaults, and what the
    /// environment overrides (marked `# from VAR`).
    Show,
    /// Write a commented default config file.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

pub(super) fn run(
    action: ConfigAction,
    dirs: &PlatformDirs,
    env: &EnvOverrides,
    flags: &FlagOverrides,
) -> anyhow::Result<ExitCode> {
    let path = flags
        .config_file
        .clone()
        .or_else(|| env.config_file.clone())
        .unwrap_or_else(|| dirs.config_file.clone());
    let mut out = std::io::stdout().lock();
    match action {
        ConfigAction::Path => writeln!(out, "{}", path.display())?,
        ConfigAction::Show => {
            let settings = Settings::load(dirs, env, flags)?;
            write!(out, "{}", settings.in_force_toml())?;
        }
        ConfigAction::Init { force } => {
            if path.exists() && !force {
                anyhow::bail!(
                    "{} already exists; pass --force to overwrite it",
                    path.display()
                );
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, default_file_text())
                .with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
