//! Discovery: which directories hold Claude Code data, which files are transcripts, and what
//! project and session a transcript path names, as ccusage 20.0.24 decides
//! (`docs/ccusage-rules.md`, section 1).
//!
//! The first stage of the flow: roots → files → lines. Environment values come in as
//! parameters; nothing here reads the environment.

use std::{
    borrow::Cow,
    fs,
    path::{Component, Path, PathBuf},
    sync::Arc,
};

/// Why the data roots could not be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiscoverError {
    /// `CLAUDE_CONFIG_DIR` was set but none of its entries has a `projects/` directory.
    #[error(
        "no valid Claude data directories found in CLAUDE_CONFIG_DIR {value:?}: each entry must \
         contain a projects/ directory; fix or unset CLAUDE_CONFIG_DIR"
    )]
    NoValidConfigDirs {
        /// The value as given.
        value: String,
    },
}

/// The Claude config directories that may hold transcripts, resolved once from
/// `CLAUDE_CONFIG_DIR` (or the config key that stands in for it) and the home directories:
/// ccusage 20.0.24's rules, before the check for a `projects/` directory.
///
/// * from a list (`CLAUDE_CONFIG_DIR`, even empty): a comma list; entries are trimmed, `~` and
///   `~/…` expanded with `home`, a path ending in `projects` replaced by its parent, without
///   duplicates;
/// * otherwise the defaults, in order: `xdg_config_home/claude` (or `home/.config/claude`),
///   then `home/.claude`.
///
/// A reader that waits for data (the daemon) keeps every candidate; a report takes
/// [`ClaudeRoots::with_projects`], exactly ccusage's roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaudeRoots {
    /// The candidate roots, in order.
    pub candidates: Vec<PathBuf>,
    /// The list they came from, when one was given (for the error message).
    pub list: Option<String>,
}

impl ClaudeRoots {
    /// Resolves the candidates (see the type's docs).
    pub fn resolve(
        config_dir: Option<&str>,
        home: Option<&Path>,
        xdg_config_home: Option<&Path>,
    ) -> ClaudeRoots {
        let mut candidates: Vec<PathBuf> = Vec::new();
        let mut push = |root: PathBuf| {
            if !candidates.contains(&root) {
                candidates.push(root);
            }
        };
        if let Some(value) = config_dir {
            for part in value
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
            {
                let root = expand_home(part, home);
                match root.parent() {
                    Some(parent) if root.file_name().is_some_and(|name| name == "projects") => {
                        push(parent.to_path_buf());
                    }
                    _ => push(root),
                }
            }
            return ClaudeRoots {
                candidates,
                list: Some(value.to_string()),
            };
        }
        let xdg = xdg_config_home
            .map(Path::to_path_buf)
            .or_else(|| home.map(|home| home.join(".config")));
        if let Some(xdg) = xdg {
            push(xdg.join("claude"));
        }
        if let Some(home) = home {
            push(home.join(".claude"));
        }
        ClaudeRoots {
            candidates,
            list: None,
        }
    }

    /// The candidates that have a `projects/` directory now: the roots ccusage reads. From a
    /// list, none is an error (the defaults are then not consulted); from the defaults, none is
    /// an empty result.
    pub fn with_projects(&self) -> Result<Vec<PathBuf>, DiscoverError> {
        let roots: Vec<PathBuf> = self
            .candidates
            .iter()
            .filter(|root| root.join("projects").is_dir())
            .cloned()
            .collect();
        match &self.list {
            Some(value) if roots.is_empty() => Err(DiscoverError::NoValidConfigDirs {
                value: value.clone(),
            }),
            _ => Ok(roots),
        }
    }
}

/// Resolves the Claude data roots as ccusage 20.0.24 does: [`ClaudeRoots::resolve`], then
/// [`ClaudeRoots::with_projects`].
pub fn resolve_roots(
    config_dir: Option<&str>,
    home: Option<&Path>,
    xdg_config_home: Option<&Path>,
) -> Result<Vec<PathBuf>, DiscoverError> {
    ClaudeRoots::resolve(config_dir, home, xdg_config_home).with_projects()
}

fn expand_home(part: &str, home: Option<&Path>) -> PathBuf {
    match (part, home) {
        ("~", Some(home)) => home.to_path_buf(),
        (_, Some(home)) if part.starts_with("~/") => home.join(&part[2..]),
        _ => PathBuf::from(part),
    }
}

/// Every `*.jsonl` regular file under `<root>/projects` of every root (symlinks are not
/// followed), sorted by the lossy path string: the order ccusage reads, dedups and sums in.
///
/// Unreadable directories are skipped, as ccusage does.
pub fn usage_files(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for root in roots {
        walk(&root.join("projects"), &mut files);
    }
    files.sort_by_cached_key(|path| path.to_string_lossy().into_owned());
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() {
            walk(&path, files);
        } else if file_type.is_file() && path.extension().is_some_and(|ext| ext == "jsonl") {
            files.push(path);
        }
    }
}

/// What a transcript's path says about it (`docs/ccusage-rules.md`, section 1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOrigin {
    /// The first component after the first `projects` component, or `unknown`.
    pub project: Arc<str>,
    /// The session the path names: the file stem of `projects/<p>/<s>.jsonl`, the session
    /// directory of `.../<s>/subagents/<agent>.jsonl`, else the parent directory.
    pub session_id: Arc<str>,
    /// The directories above the session, joined with `/`, or `Unknown Project`.
    pub project_path: Arc<str>,
    /// The transcript's path.
    pub path: Arc<Path>,
}

impl FileOrigin {
    /// Derives project and session from a transcript path as ccusage 20.0.24 does.
    pub fn from_path(path: &Path) -> Self {
        // Borrowed names: this runs once per file of a scan, and owned copies of every
        // component were most of its cost.
        let names: Vec<Cow<'_, str>> = path
            .components()
            .filter_map(|component| match component {
                Component::Normal(name) => Some(name.to_string_lossy()),
                _ => None,
            })
            .collect();
        let rel: &[Cow<'_, str>] = names
            .iter()
            .position(|name| name == "projects")
            .map_or(&[], |at| &names[at + 1..]);
        let project = rel.first().map_or("unknown", |name| &**name);
        let is_jsonl = path.extension().is_some_and(|ext| ext == "jsonl");
        let len = rel.len();
        let (session, dirs): (Cow<'_, str>, &[Cow<'_, str>]) = if len == 2 && is_jsonl {
            let stem = path.file_stem().map(|stem| stem.to_string_lossy());
            (stem.unwrap_or_default(), &rel[..1])
        } else if len >= 4 && rel[len - 2] == "subagents" {
            (rel[len - 3].clone(), &rel[..len - 3])
        } else {
            let session = rel.get(len.saturating_sub(2)).cloned().unwrap_or_default();
            (session, &rel[..len.saturating_sub(2)])
        };
        let project_path: Arc<str> = match dirs {
            [] => Arc::from("Unknown Project"),
            [dir] => Arc::from(&**dir),
            _ => dirs.join("/").into(),
        };
        Self {
            project: project.into(),
            session_id: Arc::from(&*session),
            project_path,
            path: Arc::from(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(path: &str) -> (String, String, String) {
        let origin = FileOrigin::from_path(Path::new(path));
        (
            origin.project.to_string(),
            origin.session_id.to_string(),
            origin.project_path.to_string(),
        )
    }

    #[test]
    fn derives_project_and_session_from_the_layouts() {
        let flat = origin("/d/projects/-Users-me-app/0b5e.jsonl");
        assert_eq!(
            flat,
            (
                "-Users-me-app".into(),
                "0b5e".into(),
                "-Users-me-app".into()
            )
        );
        let sub = origin("/d/projects/-Users-me-app/0b5e/subagents/agent-1.jsonl");
        assert_eq!(
            sub,
            (
                "-Users-me-app".into(),
                "0b5e".into(),
                "-Users-me-app".into()
            )
        );
        let nested = origin("/d/projects/p/sess/chat.jsonl");
        assert_eq!(nested, ("p".into(), "sess".into(), "p".into()));
        let top = origin("/d/projects/top.jsonl");
        assert_eq!(
            top,
            (
                "top.jsonl".into(),
                "top.jsonl".into(),
                "Unknown Project".into()
            )
        );
        let outside = origin("/d/elsewhere/x.jsonl");
        assert_eq!(outside.0, "unknown");
    }

    #[test]
    fn resolves_roots_from_the_config_list_or_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::create_dir_all(a.join("projects")).unwrap();
        fs::create_dir_all(b.join("projects")).unwrap();
        let list = format!(
            " {} ,,{}/projects, {}, /nope",
            a.display(),
            b.display(),
            a.display()
        );
        assert_eq!(
            resolve_roots(Some(&list), None, None),
            Ok(vec![a.clone(), b.clone()])
        );
        assert!(resolve_roots(Some(""), None, None).is_err());
        assert!(resolve_roots(Some("/nope"), None, None).is_err());

        let home = dir.path().join("home");
        fs::create_dir_all(home.join(".claude/projects")).unwrap();
        fs::create_dir_all(home.join(".config/claude/projects")).unwrap();
        let roots = resolve_roots(None, Some(&home), None).unwrap();
        assert_eq!(
            roots,
            vec![home.join(".config/claude"), home.join(".claude")]
        );
        let tilde = resolve_roots(Some("~/.claude"), Some(&home), None).unwrap();
        assert_eq!(tilde, vec![home.join(".claude")]);
        assert_eq!(resolve_roots(None, None, None), Ok(vec![]));
    }

    #[test]
    fn finds_jsonl_files_sorted_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let projects = dir.path().join("projects");
        fs::create_dir_all(projects.join("p/s/subagents")).unwrap();
        for name in [
            "p/b.jsonl",
            "p/a.jsonl",
            "p/s/subagents/agent-1.jsonl",
            "p/c.json",
        ] {
            fs::write(projects.join(name), b"").unwrap();
        }
        let files = usage_files(&[dir.path().to_path_buf()]);
        let names: Vec<_> = files
            .iter()
            .map(|file| {
                file.strip_prefix(&projects)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            ["p/a.jsonl", "p/b.jsonl", "p/s/subagents/agent-1.jsonl"]
        );
    }
}
