//! The daemon's token: `<data dir>/token`, 32 random bytes as hex, made on the first start with
//! mode 0600 (atomically: written aside, then linked into place, so no reader ever sees half a
//! token and two starts at once agree on one). `claude-gauge token` prints it, `statusline` sends
//! it, `otel-env` puts it into `OTEL_EXPORTER_OTLP_HEADERS`. It is never logged.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::secret::Secret;

/// The token file's name in the data dir (`claude-gauge doctor` checks its mode).
pub const TOKEN_FILE: &str = "token";
/// Random bytes in a new token.
const TOKEN_BYTES: usize = 32;

/// The token file could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Reading failed.
    #[error("cannot read the token file {path}: {source}; fix its permissions (chmod 600 {path}) or delete it to make a new one", path = .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing failed.
    #[error("cannot write the token file {path}: {source}; make the data dir writable or pass another --data-dir", path = .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds no usable token.
    #[error("the token file {path} holds no token (letters, digits and -._~+/= only); delete it and a new one is made", path = .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
    },
    /// The system gave no random bytes.
    #[error("cannot get random bytes for a token: {0}")]
    Random(getrandom::Error),
}

/// The token in `path`, or `None` when there is no such file.
pub fn read(path: &Path) -> Result<Option<Secret>, TokenError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(TokenError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let token = text.trim();
    let is_valid = !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b));
    if is_valid {
        Ok(Some(Secret::new(token.to_string())))
    } else {
        Err(TokenError::Invalid {
            path: path.to_path_buf(),
        })
    }
}

/// The token in `path`, made first when there is none.
pub fn load_or_create(path: &Path) -> Result<Secret, TokenError> {
    if let Some(token) = read(path)? {
        return Ok(token);
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(TokenError::Random)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let write_error = |source| TokenError::Write {
        path: path.to_path_buf(),
        source,
    };
    let aside = path.with_file_name(format!(".{TOKEN_FILE}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&aside);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&aside)
        .and_then(|mut file| {
            file.write_all(format!("{token}\n").as_bytes())?;
            file.sync_all()
        });
    if let Err(source) = written {
        let _ = std::fs::remove_file(&aside);
        return Err(write_error(source));
    }
    // A link never replaces a file: when another process made one first, its token wins.
    let placed = std::fs::hard_link(&aside, path).or_else(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => Err(err),
        // A file system without hard links: a rename is still atomic.
        _ => std::fs::rename(&aside, path),
    });
    let _ = std::fs::remove_file(&aside);
    match placed {
        Ok(()) => Ok(Secret::new(token)),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path)?.ok_or_else(|| TokenError::Invalid {
                path: path.to_path_buf(),
            })
        }
        Err(source) => Err(write_error(source)),
    }
}

/// Whether `given` is `token`, in time that does not depend on where they differ.
pub(super) fn matches(given: &str, token: &Secret) -> bool {
    let (given, token) = (given.as_bytes(), token.expose().as_bytes());
    let differences = given
        .iter()
        .zip(token)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    differences == 0 && given.len() == token.len()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn made_once_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        assert!(read(&path).unwrap().is_none());
        let made = load_or_create(&path).unwrap();
        assert_eq!(made.expose().len(), 2 * TOKEN_BYTES);
        assert!(made.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).unwrap(), made, "the same token again");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "nothing left aside");
        let other = load_or_create(&tempfile::tempdir().unwrap().path().join(TOKEN_FILE)).unwrap();
        assert_ne!(other, made);
    }

    #[test]
    fn a_file_without_a_token_or_a_dir_without_rights_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        std::fs::write(&path, "two words\n").unwrap();
        assert!(matches!(
            load_or_create(&path),
            Err(TokenError::Invalid { .. })
        ));
        let missing = dir.path().join("no-such-dir").join(TOKEN_FILE);
        let err = load_or_create(&missing).unwrap_err().to_string();
        assert!(err.contains("cannot write the token file"), "{err}");
    }

    #[test]
    fn compares_whole_tokens() {
        let token = Secret::new("abc123".into());
        assert!(matches("abc123", &token));
        assert!(!matches("abc124", &token));
        assert!(!matches("abc12", &token));
        assert!(!matches("abc1234", &token));
        assert!(!matches("", &token));
    }
}
