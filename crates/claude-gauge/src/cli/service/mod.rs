//! `claude-gauge service install|status|uninstall`: the daemon as a service of the user's own
//! session manager, running the installed binary: a systemd user unit on Linux, a launchd agent
//! on macOS. `--dry-run` prints the file that would be written (stdout) and the commands that
//! would run (stderr), and changes nothing.

mod template;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};

use super::binary::Places;
use crate::config::EnvOverrides;

/// The systemd unit's name.
const SYSTEMD_UNIT: &str = "claude-gauge.service";
/// The launchd agent's label.
const LAUNCHD_LABEL: &str = "com.claude-gauge.daemon";

/// What `service` does.
#[derive(Debug, Subcommand)]
pub(crate) enum ServiceAction {
    /// Write and enable a service that runs the installed binary at login (systemd user unit on
    /// Linux, launchd agent on macOS).
    Install(InstallArgs),
    /// Say whether the service is installed and running, and which binary it runs.
    Status(ManagerArgs),
    /// Stop the service and remove its file.
    Uninstall(UninstallArgs),
}

/// Flags of `service install`.
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Print the file and the commands instead of writing and running them.
    #[arg(long)]
    dry_run: bool,
    /// Use this binary even from a cargo target or temporary directory.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    manager: ManagerArgs,
}

/// Flags of `service uninstall`.
#[derive(Debug, Args)]
pub(crate) struct UninstallArgs {
    /// Print what would be done instead of doing it.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    manager: ManagerArgs,
}

/// The service manager to use.
#[derive(Debug, Args)]
pub(crate) struct ManagerArgs {
    /// The service manager (default: this platform's).
    #[arg(long, value_enum)]
    manager: Option<Manager>,
}

/// The service managers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Manager {
    /// A systemd user unit (Linux).
    Systemd,
    /// A launchd user agent (macOS).
    Launchd,
}

impl ManagerArgs {
    fn manager(&self) -> Manager {
        self.manager.unwrap_or(if cfg!(target_os = "macos") {
            Manager::Launchd
        } else {
            Manager::Systemd
        })
    }
}

/// Where the service's file and commands are, for one manager and user.
struct Service {
    manager: Manager,
    file: PathBuf,
    home: PathBuf,
}

impl Service {
    fn new(manager: Manager, env: &EnvOverrides, home: &Path) -> Service {
        let file = match manager {
            Manager::Systemd => env
                .xdg_config_home
                .clone()
                .unwrap_or_else(|| home.join(".config"))
                .join("systemd/user")
                .join(SYSTEMD_UNIT),
            Manager::Launchd => home
                .join("Library/LaunchAgents")
                .join(format!("{LAUNCHD_LABEL}.plist")),
        };
        Service {
            manager,
            file,
            home: home.to_path_buf(),
        }
    }

    /// The file's text for `exe`, passing on the environment that chose this user's settings.
    fn render(&self, exe: &Path, env: &EnvOverrides) -> String {
        let vars = passed_env(env);
        let exe = exe.to_string_lossy();
        match self.manager {
            Manager::Systemd => template::systemd_unit(&template::systemd_quote(&exe), &vars),
            Manager::Launchd => template::launchd_plist(&exe, &self.home.to_string_lossy(), &vars),
        }
    }

    fn install_commands(&self) -> Vec<Vec<String>> {
        let file = self.file.to_string_lossy().into_owned();
        match self.manager {
            Manager::Systemd => vec![
                systemctl(&["daemon-reload"]),
                systemctl(&["enable", SYSTEMD_UNIT]),
                // Starts it, or restarts it on a new binary or unit.
                systemctl(&["restart", SYSTEMD_UNIT]),
            ],
            Manager::Launchd => vec![
                launchctl(&["bootout", &launchd_target()]),
                launchctl(&["bootstrap", &launchd_domain(), &file]),
            ],
        }
    }

    fn stop_commands(&self) -> Vec<Vec<String>> {
        match self.manager {
            Manager::Systemd => vec![systemctl(&["disable", "--now", SYSTEMD_UNIT])],
            Manager::Launchd => vec![launchctl(&["bootout", &launchd_target()])],
        }
    }

    fn status_command(&self) -> Vec<String> {
        match self.manager {
            Manager::Systemd => systemctl(&["is-active", SYSTEMD_UNIT]),
            Manager::Launchd => launchctl(&["print", &launchd_target()]),
        }
    }

    /// The binary the installed file runs.
    fn binary_in(&self, text: &str) -> Option<PathBuf> {
        let word = match self.manager {
            Manager::Systemd => {
                let exec = text.lines().find_map(|l| l.strip_prefix("ExecStart="))?;
                let exec = exec.trim();
                match exec.strip_prefix('"') {
                    Some(quoted) => quoted.split('"').next()?.replace("\\\\", "\\"),
                    None => exec.split_whitespace().next()?.to_string(),
                }
                .replace("%h", &self.home.to_string_lossy())
                .replace("%%", "%")
            }
            Manager::Launchd => {
                let after = text.split("<key>ProgramArguments</key>").nth(1)?;
                let start = after.find("<string>")? + "<string>".len();
                let end = after[start..].find("</string>")?;
                after[start..start + end]
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&")
            }
        };
        Some(PathBuf::from(word))
    }
}

/// Runs `service ACTION`.
pub(crate) fn run(
    action: ServiceAction,
    env: &EnvOverrides,
    home: &Path,
    places: &Places,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match action {
        ServiceAction::Install(args) => {
            let service = Service::new(args.manager.manager(), env, home);
            install(&service, &args, env, places, &mut out)
        }
        ServiceAction::Status(args) => status(&Service::new(args.manager(), env, home), &mut out),
        ServiceAction::Uninstall(args) => {
            let service = Service::new(args.manager.manager(), env, home);
            uninstall(&service, args.dry_run, &mut out)
        }
    }
}

fn install(
    service: &Service,
    args: &InstallArgs,
    env: &EnvOverrides,
    places: &Places,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let current = std::env::current_exe().context("cannot find this program's own path")?;
    let exe = places
        .lasting_binary(current.clone(), args.force)
        .map_err(anyhow::Error::msg)?;
    if exe != current {
        eprintln!(
            "claude-gauge: the service runs the installed {}",
            exe.display()
        );
    }
    let text = service.render(&exe, env);
    let commands = service.install_commands();
    if args.dry_run {
        eprintln!(
            "claude-gauge: would write {}, then run: {}",
            service.file.display(),
            shown(&commands)
        );
        out.write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    write_file(&service.file, &text)?;
    if service.manager == Manager::Launchd {
        let logs = service.home.join("Library/Logs");
        std::fs::create_dir_all(&logs)
            .with_context(|| format!("cannot create {}", logs.display()))?;
    }
    for (i, command) in commands.iter().enumerate() {
        // launchd's bootout of an agent that is not loaded fails, and that is fine.
        let may_fail = service.manager == Manager::Launchd && i == 0;
        if let Err(err) = execute(command) {
            if !may_fail {
                bail!(
                    "wrote {}, but {err}; run the rest by hand: {}",
                    service.file.display(),
                    shown(&commands[i..])
                );
            }
        }
    }
    writeln!(
        out,
        "installed {} running {}; check it with `claude-gauge service status` or `claude-gauge doctor`",
        service.file.display(),
        exe.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn status(service: &Service, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let Ok(text) = std::fs::read_to_string(&service.file) else {
        writeln!(
            out,
            "not installed ({} does not exist); install it with `claude-gauge service install`",
            service.file.display()
        )?;
        return Ok(ExitCode::FAILURE);
    };
    writeln!(out, "installed: {}", service.file.display())?;
    let mut is_ok = true;
    match service.binary_in(&text) {
        Some(binary) if super::binary::is_executable(&binary) => {
            writeln!(out, "runs: {}", binary.display())?;
        }
        Some(binary) => {
            is_ok = false;
            writeln!(
                out,
                "runs: {} (missing: run `{}` and `claude-gauge service install` again)",
                binary.display(),
                super::binary::INSTALL_COMMAND
            )?;
        }
        None => writeln!(out, "runs: (cannot tell from the file)")?,
    }
    match execute(&service.status_command()) {
        Ok(_) => writeln!(out, "state: running")?,
        Err(err) => {
            is_ok = false;
            writeln!(out, "state: not running ({err})")?;
        }
    }
    Ok(if is_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn uninstall(service: &Service, dry_run: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    if !service.file.exists() {
        writeln!(
            out,
            "not installed ({} does not exist)",
            service.file.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let stop = service.stop_commands();
    if dry_run {
        writeln!(
            out,
            "would run: {}, then remove {}",
            shown(&stop),
            service.file.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for command in &stop {
        if let Err(err) = execute(command) {
            eprintln!("claude-gauge: warning: {err}");
        }
    }
    std::fs::remove_file(&service.file)
        .with_context(|| format!("cannot remove {}", service.file.display()))?;
    if service.manager == Manager::Systemd {
        // Forget the removed unit; failing here only leaves systemd's cache stale.
        let _ = execute(&systemctl(&["daemon-reload"]));
    }
    writeln!(out, "removed {}", service.file.display())?;
    Ok(ExitCode::SUCCESS)
}

/// The variables that chose this user's settings, so the service reads the same ones.
fn passed_env(env: &EnvOverrides) -> Vec<(&'static str, String)> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
    [
        ("CLAUDE_CONFIG_DIR", env.claude_config_dir.clone()),
        ("CLAUDE_GAUGE_CONFIG", path(&env.config_file)),
        ("CLAUDE_GAUGE_DATA_DIR", path(&env.data_dir)),
        ("CLAUDE_GAUGE_LISTEN", env.listen.clone()),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
    .collect()
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let temp = path.with_extension("claude-gauge.tmp");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn systemctl(args: &[&str]) -> Vec<String> {
    ["systemctl", "--user"]
        .iter()
        .chain(args)
        .map(|s| (*s).to_string())
        .collect()
}

fn launchctl(args: &[&str]) -> Vec<String> {
    std::iter::once("launchctl")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect()
}

fn launchd_domain() -> String {
    format!("gui/{}", nix::unistd::getuid())
}

fn launchd_target() -> String {
    format!("{}/{LAUNCHD_LABEL}", launchd_domain())
}

fn shown(commands: &[Vec<String>]) -> String {
    commands
        .iter()
        .map(|c| c.join(" "))
        .collect::<Vec<_>>()
        .join(" && ")
}

/// Runs `command`; the error names it and says what it printed.
fn execute(command: &[String]) -> Result<String, String> {
    let (program, args) = command.split_first().ok_or("empty command")?;
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|err| format!("cannot run `{}`: {err}", command.join(" ")))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let said = said.trim();
    let said = if said.is_empty() {
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    } else {
        said.to_string()
    };
    Err(format!("`{}` failed: {said}", command.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_file_names_its_binary() {
        let env = EnvOverrides::default();
        let home = Path::new("/home/u");
        for manager in [Manager::Systemd, Manager::Launchd] {
            let service = Service::new(manager, &env, home);
            let exe = Path::new("/opt/my apps/claude-gauge");
            let text = service.render(exe, &env);
            assert_eq!(service.binary_in(&text).as_deref(), Some(exe), "{text}");
        }
        let systemd = Service::new(Manager::Systemd, &env, home);
        assert_eq!(
            systemd.file,
            PathBuf::from("/home/u/.config/systemd/user/claude-gauge.service")
        );
        assert_eq!(
            systemd.binary_in("ExecStart=%h/.cargo/bin/claude-gauge serve\n"),
            Some(PathBuf::from("/home/u/.cargo/bin/claude-gauge"))
        );
    }
}
