//! `claude-gauge doctor`: one line per check of the setup, `ok`, `warn` or `fail`, each that is
//! not ok with its fix; exit status 1 when any check fails. Read-only: it looks at files, asks the
//! daemon, and (only when the daemon listens beyond loopback) browses mDNS.
//!
//! The checks (`checks.rs`) compute [`Check`] values from a [`Setup`] gathered once; [`render`]
//! writes them.

mod checks;
mod claude_side;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::binary::Places;
use crate::config::{claude_dir, ConfigError, EnvOverrides, FlagOverrides, PlatformDirs, Settings};

/// Flags of `doctor`.
#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The daemon's URL (default: CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long, alias = "daemon", value_name = "URL")]
    url: Option<String>,
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// As it should be.
    Ok,
    /// Works, but something is missing or risky.
    Warn,
    /// Broken: the gauges cannot show what they should.
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    /// What was checked.
    pub(crate) name: &'static str,
    /// How it came out.
    pub(crate) status: Status,
    /// What was found.
    pub(crate) detail: String,
    /// What to do, when it is not ok.
    pub(crate) fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Everything the checks look at, gathered once.
pub(crate) struct Setup {
    /// The settings in force, or why they could not be loaded.
    settings: Result<Settings, ConfigError>,
    /// Where binaries are.
    places: Places,
    /// Claude Code's config dir (its settings.json).
    claude_dir: PathBuf,
    /// The daemon's URL.
    url: String,
}

/// Runs `doctor`.
pub(crate) fn run(
    args: DoctorArgs,
    config: Option<PathBuf>,
    dirs: &PlatformDirs,
    env: &EnvOverrides,
) -> anyhow::Result<ExitCode> {
    let flags = FlagOverrides {
        config_file: config,
        ..FlagOverrides::default()
    };
    let settings = Settings::load(dirs, env, &flags);
    let url = args.url.unwrap_or_else(|| match &settings {
        Ok(settings) => settings.daemon_url.clone(),
        Err(_) => env
            .gauge_url
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8765".into()),
    });
    let setup = Setup {
        settings,
        places: Places::new(env, &dirs.home),
        claude_dir: claude_dir(env, &dirs.home),
        url,
    };
    let checks = checks::all(&setup, gauge_daemon::unix_now_ms());
    render(&checks, &mut std::io::stdout().lock())?;
    Ok(if checks.iter().any(|check| check.status == Status::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One line per check: `ok    name: detail`, and for the others ` — fix: …` after the detail.
pub(crate) fn render(checks: &[Check], out: &mut impl Write) -> std::io::Result<()> {
    for check in checks {
        write!(
            out,
            "{:<4}  {}: {}",
            check.status.label(),
            check.name,
            check.detail
        )?;
        match &check.fix {
            Some(fix) => writeln!(out, " — fix: {fix}")?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_check_with_its_fix() {
        let checks = [
            Check::ok("data dir", "/d (writable)"),
            Check::fail(
                "daemon",
                "not reachable at http://127.0.0.1:1",
                "claude-gauge serve",
            ),
        ];
        let mut out = Vec::new();
        render(&checks, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ok    data dir: /d (writable)\nfail  daemon: not reachable at http://127.0.0.1:1 — fix: claude-gauge serve\n"
        );
    }
}
