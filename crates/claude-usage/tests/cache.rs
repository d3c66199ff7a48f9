//! The report cache can never change a report: random sequences of appends, truncations,
//! rewrites in place, replacements and deletions on a transcript tree, with the daily and
//! blocks JSON compared after every step with and without the cache.
//!
//! File times follow a virtual clock (10 s a step) that is also the reports' `now`, so files
//! untouched for a step are trusted by their stat alone, and files touched in the last step
//! are "racy" and checked again; one operation rewrites a file in place keeping its mtime, the
//! case the racy check exists for.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use claude_usage::{
    apply_cost_mode, daily_report, dedup, scan_files_cached, scan_files_each, session_blocks,
    session_report, usage_files, write_blocks_json, write_daily_json, write_sessions_json,
    BlocksJsonOptions, CostMode, DateRange, DedupRules, PriceTable, ScanOptions, TimeZone,
    UsageEntry, DEFAULT_SESSION_LENGTH_MS,
};
use proptest::prelude::*;

/// The transcript paths the operations pick from: two projects, a subagent log.
const PATHS: &[&str] = &[
    "projects/alpha/s1.jsonl",
    "projects/alpha/s2.jsonl",
    "projects/alpha/s1/subagents/agent-1.jsonl",
    "projects/beta/s3.jsonl",
];
const MODELS: &[&str] = &[
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-6",
    "<synthetic>",
];

/// One usage line; ids come from a small range so copies meet across files.
#[derive(Debug, Clone)]
struct Line {
    id: u8,
    output_tokens: u16,
    minute: u16,
    model: usize,
    is_sidechain: bool,
    has_request: bool,
    is_fast: bool,
}

impl Line {
    fn text(&self) -> String {
        let request = if self.has_request {
            format!(r#""requestId":"req_{}","#, self.id)
        } else {
            String::new()
        };
        let speed = if self.is_fast {
            r#","speed":"fast""#
        } else {
            ""
        };
        format!(
            r#"{{"timestamp":"2026-10-{day:02}T{hour:02}:{min:02}:00.000Z",{request}"isSidechain":{side},"message":{{"id":"msg_{id}","model":"{model}","usage":{{"input_tokens":{id},"output_tokens":{out},"cache_read_input_tokens":3{speed}}}}}}}"#,
            day = 1 + self.minute / 1440 % 9,
            hour = self.minute / 60 % 24,
            min = self.minute % 60,
            side = self.is_sidechain,
            id = self.id,
            model = MODELS[self.model],
            out = self.output_tokens,
        )
    }
}

fn line() -> impl Strategy<Value = Line> {
    (
        0_u8..12,
        1_u16..400,
        0_u16..3000,
        0..MODELS.len(),
        any::<bool>(),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(id, output_tokens, minute, model, is_sidechain, has_request, is_fast)| Line {
                id,
                output_tokens,
                minute,
                model,
                is_sidechain,
                has_request,
                is_fast,
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    /// Lines appended; `cut` bytes of the last one are left off (0: whole, with its `\n`).
    Append {
        file: usize,
        lines: Vec<Line>,
        cut: usize,
    },
    /// Cut to this fraction (per mille) of the file, maybe mid-line.
    Truncate {
        file: usize,
        per_mille: u16,
    },
    /// One digit changed in place; the length stays. With `keep_mtime`, the mtime too.
    Rewrite {
        file: usize,
        at: usize,
        keep_mtime: bool,
    },
    /// A new file renamed over the old one.
    Replace {
        file: usize,
        lines: Vec<Line>,
    },
    Delete {
        file: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let file = 0..PATHS.len();
    prop_oneof![
        4 => (file.clone(), prop::collection::vec(line(), 1..5), 0_usize..40)
            .prop_map(|(file, lines, cut)| Op::Append { file, lines, cut }),
        1 => (file.clone(), 0_u16..1000).prop_map(|(file, per_mille)| Op::Truncate { file, per_mille }),
        2 => (file.clone(), any::<usize>(), any::<bool>())
            .prop_map(|(file, at, keep_mtime)| Op::Rewrite { file, at, keep_mtime }),
        1 => (file.clone(), prop::collection::vec(line(), 0..6))
            .prop_map(|(file, lines)| Op::Replace { file, lines }),
        1 => file.prop_map(|file| Op::Delete { file }),
    ]
}

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    now_ms: i64,
    /// The file changed in the last step (the only one a same-mtime rewrite may touch).
    last_changed: Option<usize>,
}

impl Tree {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("claude");
        fs::create_dir_all(root.join("projects")).expect("mkdir");
        let cache = dir.path().join("data/report-cache.bin");
        fs::create_dir_all(dir.path().join("data")).expect("mkdir");
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Self {
            _dir: dir,
            root,
            cache,
            now_ms,
            last_changed: None,
        }
    }

    fn path(&self, file: usize) -> PathBuf {
        self.root.join(PATHS[file])
    }

    fn set_mtime(path: &Path, ms: i64) {
        let time = UNIX_EPOCH + Duration::from_millis(ms as u64);
        if let Ok(file) = File::options().write(true).open(path) {
            file.set_modified(time).expect("set mtime");
        }
    }

    fn apply(&mut self, op: &Op) {
        self.now_ms += 10_000;
        let file = match op {
            Op::Append { file, .. }
            | Op::Truncate { file, .. }
            | Op::Rewrite { file, .. }
            | Op::Replace { file, .. }
            | Op::Delete { file } => *file,
        };
        let path = self.path(file);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let old = fs::read(&path).ok();
        let mut mtime_ms = self.now_ms;
        match op {
            Op::Append { lines, cut, .. } => {
                let mut text: String = lines.iter().map(|l| l.text() + "\n").collect();
                text.truncate(text.len() - cut.min(&(text.len() - 1)));
                let mut out = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .expect("open");
                out.write_all(text.as_bytes()).expect("append");
            }
            Op::Truncate { per_mille, .. } => {
                let Some(old) = old else { return };
                let len = old.len() as u64 * u64::from(*per_mille) / 1000;
                File::options()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(len))
                    .expect("truncate");
            }
            Op::Rewrite { at, keep_mtime, .. } => {
                let Some(mut bytes) = old else { return };
                let digits: Vec<usize> = (0..bytes.len())
                    .filter(|&i| bytes[i].is_ascii_digit())
                    .collect();
                let Some(&index) = digits.get(at % digits.len().max(1)) else {
                    return;
                };
                bytes[index] = b'0' + (bytes[index] - b'0' + 1) % 10;
                let keep = *keep_mtime && self.last_changed == Some(file);
                if keep {
                    mtime_ms = self.now_ms - 10_000;
                }
                // In place: same inode, same length.
                let mut out = File::options().write(true).open(&path).expect("open");
                out.write_all(&bytes).expect("rewrite");
            }
            Op::Replace { lines, .. } => {
                let text: String = lines.iter().map(|l| l.text() + "\n").collect();
                let temporary = path.with_extension("tmp");
                fs::write(&temporary, text).expect("write");
                fs::rename(&temporary, &path).expect("rename");
            }
            Op::Delete { .. } => {
                let _ = fs::remove_file(&path);
                self.last_changed = Some(file);
                return;
            }
        }
        Self::set_mtime(&path, mtime_ms);
        self.last_changed = Some(file);
    }

    /// Daily and blocks JSON, through the cache or from a cold scan.
    fn reports(&self, is_cached: bool) -> (String, String) {
        let files = usage_files(std::slice::from_ref(&self.root));
        let mut entries: Vec<UsageEntry> = Vec::new();
        let options = ScanOptions::default();
        if is_cached {
            scan_files_cached(&files, &options, &self.cache, self.now_ms, |f| {
                assert!(f.error.is_none(), "{:?}", f.error);
                entries.extend(f.entries);
            });
        } else {
            scan_files_each(&files, &options, |f| entries.extend(f.entries));
        }
        let entries_for_modes = entries.clone();
        let daily = daily_report(&dedup(entries.clone(), DedupRules::Daily), &TimeZone::UTC);
        let regular = dedup(entries, DedupRules::Regular);
        let blocks = session_blocks(&regular, self.now_ms, DEFAULT_SESSION_LENGTH_MS);
        let (mut daily_json, mut blocks_json) = (Vec::new(), Vec::new());
        write_daily_json(&mut daily_json, &daily).expect("daily json");
        let options = BlocksJsonOptions {
            active_only: false,
            token_limit: None,
        };
        write_blocks_json(&mut blocks_json, &blocks, self.now_ms, options).expect("blocks json");
        // The session report groups by each entry's file, and `--mode display` keeps only
        // the costs a line wrote: both must survive the cache too.
        let sessions = session_report(&regular, &TimeZone::UTC, &DateRange::default());
        write_sessions_json(&mut blocks_json, &sessions).expect("session json");
        let mut displayed = dedup(entries_for_modes, DedupRules::Daily);
        apply_cost_mode(&mut displayed, CostMode::Display, &PriceTable::embedded());
        write_daily_json(&mut daily_json, &daily_report(&displayed, &TimeZone::UTC))
            .expect("daily json, --mode display");
        (
            String::from_utf8(daily_json).expect("utf-8"),
            String::from_utf8(blocks_json).expect("utf-8"),
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_cache_never_changes_a_report(ops in prop::collection::vec(op(), 1..16)) {
        let mut tree = Tree::new();
        for (step, op) in ops.iter().enumerate() {
            tree.apply(op);
            let cold = tree.reports(false);
            let cached = tree.reports(true);
            prop_assert_eq!(&cached.0, &cold.0, "daily after step {} ({:?})", step, op);
            prop_assert_eq!(&cached.1, &cold.1, "blocks after step {} ({:?})", step, op);
            // A second cached run reads the cache it just wrote.
            let again = tree.reports(true);
            prop_assert_eq!(&again, &cold, "second cached run after step {}", step);
        }
    }
}
