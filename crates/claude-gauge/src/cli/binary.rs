//! Where this program lives, and whether that place lasts. A binary inside a cargo target
//! directory (which `cargo clean` deletes) or a temporary directory must not be written into
//! Claude Code's settings or a service unit; `cargo install` puts it where it lasts.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::EnvOverrides;

/// The command that installs the binary where it lasts, from a clone of the repository.
pub(crate) const INSTALL_COMMAND: &str = "cargo install --path crates/claude-gauge --locked";
/// The binary's file name.
const BINARY_NAME: &str = "claude-gauge";

/// The places that matter for finding the binary, from the environment.
#[derive(Clone, Debug)]
pub(crate) struct Places {
    /// `cargo install`'s `bin/` directory (`$CARGO_HOME/bin`, else `~/.cargo/bin`).
    cargo_bin: PathBuf,
    /// Directories whose contents are temporary.
    temp_dirs: Vec<PathBuf>,
    /// `PATH`, in order.
    path_dirs: Vec<PathBuf>,
}

/// Why a binary's place does not last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Transience {
    /// Inside this cargo target directory.
    CargoTarget(PathBuf),
    /// Inside this temporary directory.
    Temporary(PathBuf),
}

impl fmt::Display for Transience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transience::CargoTarget(dir) => write!(
                f,
                "inside the cargo target directory {}, which `cargo clean` deletes",
                dir.display()
            ),
            Transience::Temporary(dir) => {
                write!(f, "inside the temporary directory {}", dir.display())
            }
        }
    }
}

impl Places {
    /// The places for this environment and home directory.
    pub(crate) fn new(env: &EnvOverrides, home: &Path) -> Places {
        let cargo_bin = env
            .cargo_home
            .clone()
            .unwrap_or_else(|| home.join(".cargo"))
            .join("bin");
        let mut temp_dirs = vec![env.tmp_dir.clone().unwrap_or_else(|| "/tmp".into())];
        for dir in [
            "/tmp",
            "/var/tmp",
            "/dev/shm",
            "/private/tmp",
            "/var/folders",
            "/private/var/folders",
        ] {
            temp_dirs.push(dir.into());
        }
        let path_dirs = env
            .path
            .as_ref()
            .map(|path| std::env::split_paths(path).collect())
            .unwrap_or_default();
        Places {
            cargo_bin,
            temp_dirs,
            path_dirs,
        }
    }

    /// Why `exe`'s place does not last, or `None` when it does. `cargo install`'s `bin/` always
    /// lasts, wherever the home directory is.
    pub(crate) fn transience(&self, exe: &Path) -> Option<Transience> {
        if exe.parent() == Some(self.cargo_bin.as_path()) {
            return None;
        }
        for dir in exe.ancestors().skip(1) {
            let is_target = dir.file_name().is_some_and(|name| name == "target")
                || dir.join("CACHEDIR.TAG").is_file()
                || dir.join(".rustc_info.json").is_file();
            if is_target {
                return Some(Transience::CargoTarget(dir.to_path_buf()));
            }
        }
        self.temp_dirs
            .iter()
            .find(|dir| exe.starts_with(dir))
            .map(|dir| Transience::Temporary(dir.clone()))
    }

    /// The binary `cargo install` put in place, if there is one.
    pub(crate) fn installed(&self) -> Option<PathBuf> {
        let path = self.cargo_bin.join(BINARY_NAME);
        is_executable(&path).then_some(path)
    }

    /// The `bin/` directory `cargo install` writes to.
    pub(crate) fn cargo_bin(&self) -> &Path {
        &self.cargo_bin
    }

    /// The first `claude-gauge` on `PATH`.
    pub(crate) fn on_path(&self) -> Option<PathBuf> {
        self.find_on_path(BINARY_NAME)
    }

    /// The first executable `name` on `PATH`.
    pub(crate) fn find_on_path(&self, name: &str) -> Option<PathBuf> {
        self.path_dirs
            .iter()
            .map(|dir| dir.join(name))
            .find(|path| is_executable(path))
    }

    /// This binary when its place lasts (or with `force`), else the installed one, else an error
    /// that says to run `cargo install` first.
    pub(crate) fn lasting_binary(&self, exe: PathBuf, force: bool) -> Result<PathBuf, String> {
        let Some(why) = self.transience(&exe) else {
            return Ok(exe);
        };
        if force {
            return Ok(exe);
        }
        self.installed().ok_or_else(|| {
            format!(
                "{} is {why}; run `{INSTALL_COMMAND}` first and use the installed claude-gauge (or pass --force to use this one anyway)",
                exe.display()
            )
        })
    }
}

/// A regular file with an execute bit.
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(temp: &Path) -> Places {
        let env = EnvOverrides {
            tmp_dir: Some(temp.to_path_buf()),
            ..EnvOverrides::default()
        };
        Places::new(&env, Path::new("/home/u"))
    }

    #[test]
    fn target_and_temporary_directories_do_not_last() {
        let places = places(Path::new("/scratch"));
        assert_eq!(
            places.transience(Path::new("/src/claude-gauge/target/release/claude-gauge")),
            Some(Transience::CargoTarget("/src/claude-gauge/target".into()))
        );
        assert_eq!(
            places.transience(Path::new("/scratch/x/claude-gauge")),
            Some(Transience::Temporary("/scratch".into()))
        );
        assert_eq!(
            places.transience(Path::new("/tmp/claude-gauge")),
            Some(Transience::Temporary("/tmp".into()))
        );
        assert_eq!(
            places.transience(Path::new("/usr/local/bin/claude-gauge")),
            None
        );
        assert_eq!(
            places.transience(Path::new("/home/u/.cargo/bin/claude-gauge")),
            None
        );
    }

    #[test]
    fn a_target_directory_is_known_by_its_cachedir_tag() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("build-cache");
        std::fs::create_dir_all(target.join("debug")).unwrap();
        std::fs::write(
            target.join("CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55",
        )
        .unwrap();
        let places = places(Path::new("/nowhere"));
        assert_eq!(
            places.transience(&target.join("debug/claude-gauge")),
            Some(Transience::CargoTarget(target.clone()))
        );
        let err = places
            .lasting_binary(target.join("debug/claude-gauge"), false)
            .unwrap_err();
        assert!(
            err.contains("cargo install --path crates/claude-gauge --locked"),
            "{err}"
        );
        assert!(err.contains("--force"), "{err}");
        assert!(places
            .lasting_binary(target.join("debug/claude-gauge"), true)
            .is_ok());
    }
}
