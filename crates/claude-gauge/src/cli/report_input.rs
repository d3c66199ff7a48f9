//! What the reports read: the transcripts (through the report cache) and, when the daemon's
//! store is there, the stored requests whose transcripts are gone. Flags `--no-cache`,
//! `--no-history` and `--data-dir` (`docs/history.md`).

use std::{fs, path::PathBuf};

use clap::Args;
use claude_usage::{
    scan_files_cached, scan_files_each, usage_files, ClaudeRoots, DedupRules, Deduper, FileScan,
    PriceTable, ScanOptions, UsageEntry,
};

use super::history::StoredRequests;
use crate::{
    clock::unix_now_ms,
    config::{EnvOverrides, FlagOverrides, PlatformDirs, Settings},
    ledger::{read_requests, STORE_FILE},
};

/// The report cache's file name inside the data directory.
pub(crate) const CACHE_FILE: &str = "report-cache.bin";

/// Flags every report takes.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct InputArgs {
    /// Leave out the requests claude-gauge's store kept after Claude Code deleted their
    /// transcripts (and those that came only by OTLP): exactly ccusage's view.
    #[arg(long)]
    no_history: bool,
    /// Read every transcript in full instead of reusing what the report cache holds.
    #[arg(long)]
    no_cache: bool,
    /// Directory of the store and the report cache (default: the platform data dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Where a report reads from.
pub(crate) struct ReportInput {
    roots: ClaudeRoots,
    data_dir: PathBuf,
    args: InputArgs,
}

impl ReportInput {
    /// Resolves the Claude roots and the data directory (`--data-dir` > environment > config
    /// file > platform default).
    pub(crate) fn load(
        config_file: Option<PathBuf>,
        dirs: &PlatformDirs,
        env: &EnvOverrides,
        args: &InputArgs,
    ) -> anyhow::Result<Self> {
        let flags = FlagOverrides {
            config_file,
            data_dir: args.data_dir.clone(),
            ..FlagOverrides::default()
        };
        let settings = Settings::load(dirs, env, &flags)?;
        Ok(Self {
            roots: settings.claude_roots,
            data_dir: settings.data_dir,
            args: args.clone(),
        })
    }

    /// Every entry, deduplicated with `rules` in ccusage's canonical order: the transcripts'
    /// lines, then the stored requests none of them holds. Says on stderr how many came from
    /// the store, and how many files could not be read.
    pub(crate) fn entries(&self, rules: DedupRules) -> anyhow::Result<Vec<UsageEntry>> {
        let files = usage_files(&self.roots.with_projects()?);
        let mut stored = self.stored_requests();
        let mut deduper = Deduper::new(rules);
        let mut unreadable = 0;
        let sink = |file: FileScan| {
            unreadable += usize::from(file.error.is_some());
            if let Some(stored) = &mut stored {
                let path = file.path.to_string_lossy();
                for entry in &file.entries {
                    stored.see(entry, &path);
                }
            }
            deduper.extend(file.entries);
        };
        let options = ScanOptions::default();
        match self.cache_path() {
            Some(cache) => {
                // The cache's own failures never fail a report: it is read again in full.
                scan_files_cached(&files, &options, &cache, unix_now_ms(), sink);
            }
            None => scan_files_each(&files, &options, sink),
        }
        if unreadable > 0 {
            eprintln!(
                "claude-gauge: warning: {unreadable} transcript file(s) could not be read and \
                 were skipped"
            );
        }
        if let Some(stored) = stored {
            let gone = stored.gone(&PriceTable::embedded());
            if !gone.is_empty() {
                eprintln!(
                    "claude-gauge: included {} requests from the claude-gauge store whose \
                     transcripts are gone (--no-history to leave them out)",
                    gone.len()
                );
            }
            deduper.extend(gone);
        }
        Ok(deduper.into_entries())
    }

    /// The store's requests, unless `--no-history` or there is no store. A store that cannot
    /// be read costs the history, not the report.
    fn stored_requests(&self) -> Option<StoredRequests> {
        let path = self.data_dir.join(STORE_FILE);
        if self.args.no_history || !path.is_file() {
            return None;
        }
        match read_requests(&path) {
            Ok(events) => Some(StoredRequests::new(events)),
            Err(err) => {
                eprintln!(
                    "claude-gauge: warning: {err}; the report leaves out the requests only the \
                     store has"
                );
                None
            }
        }
    }

    /// The cache file, unless `--no-cache` or the data directory cannot be made.
    fn cache_path(&self) -> Option<PathBuf> {
        if self.args.no_cache || fs::create_dir_all(&self.data_dir).is_err() {
            return None;
        }
        Some(self.data_dir.join(CACHE_FILE))
    }
}
