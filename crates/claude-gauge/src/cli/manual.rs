//! `claude-gauge completions SHELL` and `claude-gauge man`: shell completions (clap_complete) and
//! a roff man page (clap_mangen), both generated from the same clap definitions as the parser.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// The program's name in completions and the man page.
const NAME: &str = "claude-gauge";

/// Writes `shell`'s completion script (`claude-gauge completions bash > ~/.local/share/bash-completion/completions/claude-gauge`).
pub(crate) fn completions(shell: Shell, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    clap_complete::generate(shell, &mut Cli::command(), NAME, out);
    Ok(ExitCode::SUCCESS)
}

/// Writes the man page, in roff (`claude-gauge man > ~/.local/share/man/man1/claude-gauge.1`).
pub(crate) fn man(out: &mut impl Write) -> anyhow::Result<ExitCode> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    Ok(ExitCode::SUCCESS)
}
