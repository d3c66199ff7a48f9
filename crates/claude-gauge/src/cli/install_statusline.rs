//! `claude-gauge install-statusline` / `uninstall-statusline`: point Claude Code's `statusLine`
//! at `claude-gauge statusline`, in `settings.json` of the Claude config dir.
//!
//! The only way this program changes a user's Claude files. Safe by construction: every other key
//! is kept (in order), the old file is backed up before any change, the write is atomic (temp
//! file + rename), running it twice changes nothing, and an existing statusLine command is chained
//! (`--chain`) rather than replaced; uninstall puts that command back. It refuses to install a
//! binary that will not last (inside a cargo `target/` or a temporary directory) unless forced:
//! Claude Code would lose its status line at the next `cargo clean`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Map, Value};

use super::binary::Places;

/// Flags of `install-statusline` and `uninstall-statusline`.
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// The Claude config dir holding settings.json (default: CLAUDE_CONFIG_DIR, else ~/.claude).
    #[arg(long, value_name = "DIR")]
    claude_config_dir: Option<PathBuf>,
    /// Bake this daemon URL into the installed command (install only; default: the command
    /// asks CLAUDE_GAUGE_URL, else the configured listen address, each time it runs).
    #[arg(long, alias = "daemon", value_name = "URL")]
    url: Option<String>,
    /// Install this binary even from a cargo target or temporary directory (install only).
    #[arg(long)]
    force: bool,
}

/// What an install or uninstall did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// The file was rewritten; the old one (if any) was backed up here.
    Written {
        /// The backup, when there was a file.
        backup: Option<PathBuf>,
    },
    /// Nothing to do.
    Unchanged(&'static str),
}

/// Runs `install-statusline` (`install` true) or `uninstall-statusline`.
pub(crate) fn run(
    args: InstallArgs,
    default_dir: PathBuf,
    places: &Places,
    install: bool,
) -> anyhow::Result<ExitCode> {
    let dir = args.claude_config_dir.unwrap_or(default_dir);
    let path = dir.join("settings.json");
    let change = if install {
        let exe = std::env::current_exe().context("cannot find this program's own path")?;
        if let Some(why) = places.transience(&exe).filter(|_| !args.force) {
            bail!(
                "{} is {why}, so Claude Code would lose its status line when it goes; {}, then run its install-statusline (or pass --force to install this binary anyway)",
                exe.display(),
                match places.installed() {
                    Some(installed) => format!("the installed one is {}", installed.display()),
                    None => format!("run `{}` first", super::binary::INSTALL_COMMAND),
                }
            );
        }
        let ours = our_command(&exe.to_string_lossy(), args.url.as_deref());
        update_file(&path, |settings| install_into(settings, &ours))?
    } else {
        update_file(&path, uninstall_from)?
    };
    let mut out = std::io::stdout().lock();
    match change {
        Change::Written { backup } => {
            let verb = if install {
                "installed into"
            } else {
                "removed from"
            };
            write!(out, "claude-gauge statusline {verb} {}", path.display())?;
            match backup {
                Some(backup) => writeln!(out, " (backup: {})", backup.display())?,
                None => writeln!(out)?,
            }
        }
        Change::Unchanged(why) => writeln!(out, "{} unchanged: {why}", path.display())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `'<exe>' statusline [--url 'URL']`, quoted for `sh` (the command runs this very binary,
/// which also reads the older spelling `--daemon`).
fn our_command(exe: &str, url: Option<&str>) -> String {
    let mut command = format!("{} statusline", shell_quote(exe));
    if let Some(url) = url {
        command.push_str(&format!(" --url {}", shell_quote(url)));
    }
    command
}

/// Reads settings.json (absent reads as `{}`), applies `edit`, and writes it back atomically with
/// a backup, unless `edit` changed nothing.
fn update_file(
    path: &Path,
    edit: impl FnOnce(&mut Map<String, Value>) -> Result<bool, &'static str>,
) -> anyhow::Result<Change> {
    let original = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut value: Value = match original.as_deref() {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(text).with_context(|| {
            format!(
                "{} is not valid JSON; fix it first, nothing was changed",
                path.display()
            )
        })?,
        _ => json!({}),
    };
    let Some(settings) = value.as_object_mut() else {
        bail!(
            "{} is not a JSON object; nothing was changed",
            path.display()
        );
    };
    match edit(settings) {
        Ok(true) => {}
        Ok(false) => return Ok(Change::Unchanged("already as wanted")),
        Err(why) => return Ok(Change::Unchanged(why)),
    }
    let backup = match &original {
        Some(text) => Some(write_backup(path, text)?),
        None => None,
    };
    let mut text = serde_json::to_string_pretty(&value).context("cannot render settings.json")?;
    text.push('\n');
    write_atomically(path, &text)?;
    Ok(Change::Written { backup })
}

/// Points `statusLine` at `ours`, chaining a foreign command. `Ok(false)`: already so.
fn install_into(settings: &mut Map<String, Value>, ours: &str) -> Result<bool, &'static str> {
    let current = settings
        .get("statusLine")
        .and_then(|s| s.get("command"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let chain = match current.as_deref().map(parse_ours) {
        // Ours already: keep what it chains.
        Some(Some(parsed)) => parsed.chain,
        Some(None) => current.clone(),
        None => None,
    };
    let mut command = ours.to_string();
    if let Some(chain) = &chain {
        command.push_str(&format!(" --chain {}", shell_quote(chain)));
    }
    if current.as_deref() == Some(command.as_str()) {
        return Ok(false);
    }
    let entry = settings.entry("statusLine").or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    if let Some(obj) = entry.as_object_mut() {
        obj.insert("type".into(), json!("command"));
        obj.insert("command".into(), json!(command));
    }
    Ok(true)
}

/// Restores the chained command, or removes `statusLine` when we chained none.
fn uninstall_from(settings: &mut Map<String, Value>) -> Result<bool, &'static str> {
    let Some(current) = settings
        .get("statusLine")
        .and_then(|s| s.get("command"))
        .and_then(Value::as_str)
    else {
        return Err("no statusLine command is set");
    };
    let Some(parsed) = parse_ours(current) else {
        return Err("the statusLine command is not claude-gauge's; left alone");
    };
    match parsed.chain {
        Some(chain) => {
            if let Some(obj) = settings
                .get_mut("statusLine")
                .and_then(Value::as_object_mut)
            {
                obj.insert("command".into(), json!(chain));
            }
        }
        None => {
            settings.remove("statusLine");
        }
    }
    Ok(true)
}

/// Our installed command, taken apart.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct OurCommand {
    /// The program, as written (a path, or a name looked up on `PATH`).
    pub(super) program: String,
    /// The daemon URL baked in (`--daemon` / `--url`), if any.
    pub(super) url: Option<String>,
    /// The chained command, if any.
    pub(super) chain: Option<String>,
}

/// `Some` when `command` runs `claude-gauge statusline`.
pub(super) fn parse_ours(command: &str) -> Option<OurCommand> {
    let words = shell_split(command)?;
    let program = Path::new(words.first()?).file_name()?.to_str()?;
    if !program.starts_with("claude-gauge")
        || words.get(1).map(String::as_str) != Some("statusline")
    {
        return None;
    }
    let value_of = |flags: &[&str]| {
        words
            .iter()
            .position(|w| flags.contains(&w.as_str()))
            .and_then(|i| words.get(i + 1))
            .cloned()
    };
    Some(OurCommand {
        program: words[0].clone(),
        url: value_of(&["--daemon", "--url"]),
        chain: value_of(&["--chain"]),
    })
}

/// The first word of a `sh` command (the program it runs), if it parses.
pub(super) fn program_of(command: &str) -> Option<String> {
    shell_split(command)?.into_iter().next()
}

/// Single-quotes `text` for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Splits a `sh` command line into words (quotes and backslashes; no expansions). `None` on an
/// unterminated quote.
fn shell_split(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

fn write_backup(path: &Path, text: &str) -> anyhow::Result<PathBuf> {
    let stamp = gauge_daemon::unix_now_ms();
    let backup = path.with_file_name(format!("settings.json.{stamp}.claude-gauge.bak"));
    std::fs::write(&backup, text)
        .with_context(|| format!("cannot back up {} to {}", path.display(), backup.display()))?;
    Ok(backup)
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let temp = path.with_file_name(format!(
        "settings.json.{}.claude-gauge.tmp",
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    };
    write().map_err(|err| {
        let _ = std::fs::remove_file(&temp);
        anyhow::Error::new(err).context(format!("cannot write {}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "'/opt/bin/claude-gauge' statusline";

    fn settings(text: &str) -> Map<String, Value> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn install_chains_and_uninstall_restores() {
        let original = r#"{"model":"opus","statusLine":{"type":"command","command":"bash -c 'echo \"hi\"'","padding":1},"z":[1]}"#;
        let mut s = settings(original);
        assert_eq!(install_into(&mut s, OURS), Ok(true));
        let command = s["statusLine"]["command"].as_str().unwrap().to_string();
        assert!(command.starts_with(OURS), "{command}");
        assert_eq!(s["statusLine"]["padding"], 1);
        // Idempotent.
        assert_eq!(install_into(&mut s, OURS), Ok(false));
        assert_eq!(s["statusLine"]["command"], command.as_str());
        assert_eq!(uninstall_from(&mut s), Ok(true));
        assert_eq!(
            Value::Object(s),
            serde_json::from_str::<Value>(original).unwrap()
        );
    }

    #[test]
    fn install_without_previous_and_uninstall_removes() {
        let mut s = settings(r#"{"a":1}"#);
        assert_eq!(install_into(&mut s, OURS), Ok(true));
        assert_eq!(s["statusLine"], json!({"type": "command", "command": OURS}));
        assert_eq!(uninstall_from(&mut s), Ok(true));
        assert_eq!(Value::Object(s), json!({"a": 1}));
        let mut foreign = settings(r#"{"statusLine":{"type":"command","command":"ccstatusline"}}"#);
        assert!(uninstall_from(&mut foreign).is_err());
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_split(r#"a 'b c' "d \"e\"" f\ g 'it'\''s'"#).unwrap(),
            ["a", "b c", "d \"e\"", "f g", "it's"]
        );
        assert_eq!(shell_split("'open"), None);
        let tricky = "sh -c 'echo \"$X\"' | tr a b";
        let cmd = format!("{OURS} --chain {}", shell_quote(tricky));
        assert_eq!(parse_ours(&cmd).unwrap().chain.as_deref(), Some(tricky));
        assert_eq!(parse_ours("ccusage statusline"), None);
        let baked = our_command("/opt/bin/claude-gauge", Some("http://127.0.0.1:9"));
        let parsed = parse_ours(&baked).unwrap();
        assert_eq!(parsed.program, "/opt/bin/claude-gauge");
        assert_eq!(parsed.url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(program_of(tricky).as_deref(), Some("sh"));
    }
}
