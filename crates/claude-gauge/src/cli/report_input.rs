//! What the reports read: the transcripts (through the report cache) and, when the daemon's
//! store is there, the stored requests whose transcripts are gone. Flags `--no-cache`,
//! `--no-history` and `--data-dir` (`docs/history.md`).

use std::{fs, path::PathBuf};

use clap::Args;
use claude_usage::{
    scan_files_cached, scan_files_each, usage_files, ClaudeRoots, DedupRules, Deduper, FileOrigin,
    FileScan, PriceTable, ScanOptions, UsageEntry,
};

use super::history::StoredRequests;
use crate::config::Settings;
use gauge_daemon::{read_requests, read_requests_by_machine, unix_now_ms, STORE_FILE};

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
    /// Where a report reads from: the configured Claude roots, and the data directory
    /// (`--data-dir` > environment > config file > platform default).
    pub(crate) fn new(settings: &Settings, args: &InputArgs) -> Self {
        Self {
            roots: settings.claude_roots.clone(),
            data_dir: args
                .data_dir
                .clone()
                .unwrap_or_else(|| settings.daemon.data_dir.clone()),
            args: args.clone(),
        }
    }

    /// Every entry, deduplicated with `rules` in ccusage's canonical order: the transcripts'
    /// lines (only `project`'s, as ccusage walks only `projects/<project>/`), then the stored
    /// requests none of them holds (not with `project`: the store does not know a deleted
    /// request's project). Says on stderr how many came from the store, and how many files
    /// could not be read.
    pub(crate) fn entries(
        &self,
        rules: DedupRules,
        project: Option<&str>,
        options: &ScanOptions,
    ) -> anyhow::Result<Vec<UsageEntry>> {
        let mut files = usage_files(&self.roots.with_projects()?);
        if let Some(project) = project {
            // A file directly in `projects/` is never part of a project, and other projects'
            // copies never take part in dedup.
            files.retain(|file| {
                let in_projects_dir = file
                    .parent()
                    .and_then(|dir| dir.file_name())
                    .is_some_and(|name| name == "projects");
                !in_projects_dir && *FileOrigin::from_path(file).project == *project
            });
        }
        let mut stored = match project {
            Some(_) => None,
            None => self.stored_requests(),
        };
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
        match self.cache_path() {
            Some(cache) => {
                // The cache's own failures never fail a report: it is read again in full.
                scan_files_cached(&files, options, &cache, unix_now_ms(), sink);
            }
            None => scan_files_each(&files, options, sink),
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

    /// Every request in the store, as entries whose project is the machine it came from
    /// (`this_machine` for this machine's transcripts). Fails when there is no store.
    pub(crate) fn machine_entries(&self, this_machine: &str) -> anyhow::Result<Vec<UsageEntry>> {
        let path = self.data_dir.join(STORE_FILE);
        if !path.is_file() {
            anyhow::bail!(
                "--by-machine reads the daemon's store, and there is none in {}: pass the \
                 daemon's --data-dir, or run `claude-gauge serve` first",
                self.data_dir.display()
            );
        }
        let (events, machines): (Vec<_>, Vec<String>) =
            read_requests_by_machine(&path, this_machine)?
                .into_iter()
                .unzip();
        // No transcript line is seen, so every stored request comes back, in the store's order.
        let mut entries = StoredRequests::new(events).gone(&PriceTable::embedded());
        for (entry, machine) in entries.iter_mut().zip(machines) {
            entry.project = machine.into();
        }
        Ok(entries)
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
