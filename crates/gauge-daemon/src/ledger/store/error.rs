//! How the store fails.

/// A store failure (I/O, corruption, a newer schema).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file was written by a newer claude-gauge.
    #[error("store {path} has schema version {found}, newer than this claude-gauge knows ({known}); upgrade claude-gauge or use another --data-dir")]
    TooNew {
        /// The database file.
        path: String,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// The file is damaged (`PRAGMA quick_check` failed, or SQLite says it is corrupt or not a
    /// database).
    #[error("store {path} is damaged: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What SQLite found.
        reason: String,
    },
    /// The writer thread could not be started.
    #[error("cannot start the ledger writer: {0}")]
    Thread(std::io::Error),
}

impl StoreError {
    /// SQLite's error on the store at `path`: [`StoreError::Corrupt`] when it says the file is
    /// damaged, else [`StoreError::Sqlite`].
    pub(super) fn from_sqlite(path: &str, source: rusqlite::Error) -> Self {
        if is_corruption(&source) {
            StoreError::Corrupt {
                path: path.to_string(),
                reason: source.to_string(),
            }
        } else {
            StoreError::Sqlite {
                path: path.to_string(),
                source,
            }
        }
    }
}

/// Whether SQLite's error says the file is damaged.
pub(super) fn is_corruption(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}
