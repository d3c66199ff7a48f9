//! The parity matrix: every report of `ccusage claude …` 20.0.24 with each of its flags, in
//! several time zones, run through the real ccusage (`CCUSAGE_BIN`, installed by
//! `tests-parity/install-ccusage.sh`) and through the `claude-gauge` binary with the same
//! arguments; the JSON must be byte-identical and the exit status the same. A difference
//! fails the test and names the command.
//!
//! Corpora: the hard-case corpus of `crates/claude-usage/tests/corpus.rs` plus transcripts
//! around daylight-saving changes; the benchmark generator `crates/claude-usage/examples/
//! bench_corpus.rs` (built by `cargo test --workspace`); and real transcripts when a folder of
//! them lies beside the repository (see `wild.rs`). Each is skipped, saying why, when it or
//! ccusage is missing. Commands run on parallel threads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[path = "../../claude-usage/tests/corpus.rs"]
#[allow(dead_code)]
mod corpus;

/// Time zones every command runs in: UTC, east of it, west of it with daylight saving.
const TIME_ZONES: [&str; 3] = ["UTC", "Asia/Tokyo", "America/Los_Angeles"];
/// One matrix at a time, each on as many threads as there are cores: the matrix must not
/// starve the timing-sensitive tests that run beside it in this binary.
static ONE_MATRIX_AT_A_TIME: Mutex<()> = Mutex::new(());

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// One command of the matrix: a corpus, the process time zone, the report's arguments.
struct Job {
    root: PathBuf,
    tz: &'static str,
    args: Vec<String>,
    /// Only the exit status is compared (the command is meant to fail).
    is_error_case: bool,
    /// `Some(COLUMNS)`: the text table at that terminal width instead of `--json`.
    table_columns: Option<usize>,
}

impl Job {
    fn describe(&self) -> String {
        let (columns, json) = match self.table_columns {
            Some(columns) => (format!(" COLUMNS={columns}"), ""),
            None => (String::new(), " --json"),
        };
        format!(
            "TZ={}{columns} CLAUDE_CONFIG_DIR={} ccusage claude {}{json} --offline",
            self.tz,
            self.root.display(),
            self.args.join(" ")
        )
    }
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_millis()).expect("now fits in i64")
}

fn run(mut cmd: Command, job: &Job) -> Output {
    let scratch = job.root.parent().expect("a corpus root has a parent");
    cmd.env_clear();
    cmd.args(&job.args);
    if job.table_columns.is_none() {
        cmd.arg("--json");
    }
    if let Some(columns) = job.table_columns {
        cmd.env("COLUMNS", columns.to_string());
    }
    cmd.arg("--offline")
        .env("PATH", "/usr/bin:/bin")
        .env("CLAUDE_CONFIG_DIR", &job.root)
        .env("TZ", job.tz)
        .env("HOME", scratch)
        .env("XDG_CONFIG_HOME", scratch.join("xdg-config"))
        .env("XDG_CACHE_HOME", scratch.join("xdg-cache"))
        .current_dir(scratch);
    // `--color` jobs check the colours; the rest run as in a pipe without colour.
    if !job.args.iter().any(|arg| arg == "--color") {
        cmd.env("NO_COLOR", "1");
    }
    cmd.output().expect("run a report")
}

/// `None` when both agree; else what differs. Runs twice more on a difference: the active
/// block's remaining minutes and `--last` follow the clock, which may tick between the two.
fn check(ccusage: &str, job: &Job) -> Option<String> {
    let mut last = String::new();
    for _ in 0..3 {
        let mut theirs_cmd = Command::new(ccusage);
        theirs_cmd.arg("claude");
        let theirs = run(theirs_cmd, job);
        let ours = run(Command::new(env!("CARGO_BIN_EXE_claude-gauge")), job);
        let same_status = theirs.status.code() == ours.status.code();
        if job.is_error_case {
            if same_status && !theirs.status.success() && ours.stdout.is_empty() {
                return None;
            }
        } else if same_status && theirs.status.success() && theirs.stdout == ours.stdout {
            return None;
        }
        last = describe_difference(&theirs, &ours);
    }
    Some(last)
}

fn describe_difference(theirs: &Output, ours: &Output) -> String {
    let theirs_text = String::from_utf8_lossy(&theirs.stdout);
    let ours_text = String::from_utf8_lossy(&ours.stdout);
    let first = theirs_text
        .lines()
        .zip(ours_text.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map_or_else(
            || "one output is a prefix of the other".to_string(),
            |(n, (a, b))| format!("line {}: ccusage {a:?} vs ours {b:?}", n + 1),
        );
    format!(
        "exit {:?} vs {:?}; {first}; stderr: {:?} / {:?}",
        theirs.status.code(),
        ours.status.code(),
        String::from_utf8_lossy(&theirs.stderr).trim(),
        String::from_utf8_lossy(&ours.stderr).trim()
    )
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// Every report with each of its flags (short and long forms), for a corpus whose project
/// and session names are given.
fn flag_matrix(project: &str, session: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for report in ["daily", "weekly", "monthly", "session", "blocks"] {
        for flags in [
            "",
            "-o desc",
            "--order asc",
            "-s 20260109 -u 2026-01-11",
            "--since 2026-03-07 --until 20260309",
            "-m calculate",
            "--mode display",
            "-z Asia/Kolkata",
            "--timezone America/New_York -s 20261031 -u 20261102",
            "-b --compact --no-color --single-thread",
        ] {
            commands.push(args(&format!("{report} {flags}")));
        }
    }
    for text in [
        "daily -i",
        "daily --instances -o desc -z Asia/Tokyo",
        "daily --last 3",
        "weekly --last 2",
        "monthly --last 1",
        "weekly -w monday",
        "weekly --start-of-week saturday -o desc",
        "weekly -w wednesday -z Pacific/Auckland",
        "session --id nope",
        "blocks -a",
        "blocks --active --token-limit max",
        "blocks -r",
        "blocks --recent -t 500000",
        "blocks -t max",
        "blocks -t 0",
        "blocks -t 1000",
        "blocks -t not-a-number",
        "blocks -n 2.5",
        "blocks --session-length 1 -o desc",
        "blocks -s 20260108 -u 20260110 -z Asia/Tokyo",
    ] {
        commands.push(args(text));
    }
    commands.push(vec!["daily".into(), format!("--project={project}")]);
    commands.push(vec![
        "daily".into(),
        format!("--project={project}"),
        "-i".into(),
    ]);
    commands.push(vec![
        "daily".into(),
        "-i".into(),
        format!("--project-aliases={project}=Renamed"),
    ]);
    commands.push(vec!["session".into(), "--id".into(), session.into()]);
    commands.push(vec![
        "session".into(),
        "-i".into(),
        session.into(),
        "-m".into(),
        "calculate".into(),
    ]);
    commands
}

/// Bad values: both must refuse them with the same exit status.
fn error_matrix() -> Vec<Vec<String>> {
    [
        "daily -s 2026-1-8",
        "daily --until 20261308",
        "weekly --last 0",
        "monthly --last x",
        "daily --last 2 -s 20260101",
        "daily -o DESC",
        "session -m foo",
        "weekly -w Monday",
        "blocks -z Nowhere/Zone",
        "blocks -n 0",
        "blocks --session-length abc",
        "daily -m",
        "monthly --order",
        "weekly -w",
        "blocks -n",
        "blocks -t",
        "session --id",
        "daily -p",
        "weekly -i",
        "monthly -p x",
        "session --last 2",
        "blocks -i",
        "daily -a",
    ]
    .iter()
    .map(|text| args(text))
    .collect()
}

/// Transcripts around the 2026 daylight-saving changes of the US and Europe: one request every
/// 40 minutes for a day and a half around each change.
fn write_dst_project(root: &Path) {
    let dir = root.join("projects/-Users-me-dst");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut lines = Vec::new();
    for (n, start) in [
        "2026-03-07T20:00:00Z",
        "2026-03-28T20:00:00Z",
        "2026-10-24T20:00:00Z",
        "2026-10-31T20:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let start_ms = timestamp_ms(start);
        for step in 0..54_i64 {
            let at = claude_usage::format_timestamp_ms(start_ms + step * 40 * 60_000);
            lines.push(format!(
                r#"{{"timestamp":"{at}","sessionId":"dst-{n}","version":"2.0.30","requestId":"req_dst_{n}_{step}","type":"assistant","message":{{"id":"msg_dst_{n}_{step}","model":"claude-sonnet-4-5-20250929","usage":{{"input_tokens":{},"output_tokens":{},"cache_read_input_tokens":1000}}}}}}"#,
                10 + step,
                100 + 7 * step
            ));
        }
    }
    std::fs::write(dir.join("dst.jsonl"), lines.join("\n") + "\n").expect("write dst");
}

fn timestamp_ms(text: &str) -> i64 {
    claude_usage::parse_timestamp_ms(text).expect("a valid timestamp")
}

fn jobs_for(
    root: &Path,
    commands: &[Vec<String>],
    zones: &[&'static str],
    is_error_case: bool,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    for tz in zones {
        for args in commands {
            jobs.push(Job {
                root: root.to_path_buf(),
                tz,
                args: args.clone(),
                is_error_case,
                table_columns: None,
            });
        }
    }
    jobs
}

fn run_matrix(ccusage: &str, name: &str, jobs: Vec<Job>) {
    // A failed matrix poisons the lock; the others still run.
    let _one = ONE_MATRIX_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let started = Instant::now();
    let total = jobs.len();
    let queue = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers() {
            scope.spawn(|| loop {
                let Some(job) = queue.lock().expect("queue").pop() else {
                    return;
                };
                if let Some(difference) = check(ccusage, &job) {
                    failures
                        .lock()
                        .expect("failures")
                        .push(format!("{}\n    {difference}", job.describe()));
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures");
    println!(
        "{name}: {total} commands, {} differ, {:.1} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{name}: {} of {total} commands differ from ccusage 20.0.24:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn ccusage_bin() -> Option<String> {
    let bin = std::env::var("CCUSAGE_BIN").ok();
    if bin.is_none() {
        println!(
            "skipped: CCUSAGE_BIN not set (run tests-parity/install-ccusage.sh and export it)"
        );
    }
    bin
}

#[test]
fn every_report_and_flag_matches_ccusage_on_the_hard_cases() {
    let Some(ccusage) = ccusage_bin() else { return };
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    corpus::generate(&root, 0x5eed_c0de, now_ms());
    write_dst_project(&root);
    // Every flag in UTC; every report with dates in the other zones.
    let mut jobs = jobs_for(
        &root,
        &flag_matrix("-Users-me-code-app", "10-5e1f"),
        &["UTC"],
        false,
    );
    let by_zone: Vec<Vec<String>> = ["daily", "weekly", "monthly", "session", "blocks"]
        .iter()
        .flat_map(|report| {
            [
                args(report),
                args(&format!("{report} -s 20260109 -u 20260110 -o desc")),
            ]
        })
        .chain([args("daily --last 2"), args("blocks -a -t max")])
        .collect();
    jobs.extend(jobs_for(&root, &by_zone, &TIME_ZONES[1..], false));
    jobs.extend(jobs_for(
        &root,
        &[args("session --id edge"), args("session -i agent-session")],
        &["UTC"],
        false,
    ));
    jobs.extend(jobs_for(
        &root,
        &[
            args("weekly -z America/New_York"),
            args("daily -z Europe/Berlin -s 20260328 -u 20260329"),
        ],
        &["Europe/Berlin"],
        false,
    ));
    jobs.extend(jobs_for(&root, &error_matrix(), &["UTC"], true));
    run_matrix(&ccusage, "hard cases", jobs);
}

/// Text tables, byte for byte on stdout, at several terminal widths (`COLUMNS`): every
/// report, `--breakdown`, `--compact`, project groups, the blocks quota rows and the active
/// block view, and the messages of empty reports.
#[test]
fn every_table_matches_ccusage_at_several_widths() {
    let Some(ccusage) = ccusage_bin() else { return };
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    corpus::generate(&root, 0x5eed_c0de, now_ms());
    write_dst_project(&root);
    let mut commands: Vec<Vec<String>> = [
        "daily",
        "weekly -o desc",
        "monthly -b",
        "session",
        "session -b -z Asia/Tokyo",
        "blocks",
        "blocks -t 1000000",
        "blocks --compact -s 20260108",
        "blocks -a",
        "blocks -a -t 500000",
        "daily --compact -b",
        "session --id gw-1",
        "daily -s 20300101",
        "blocks -s 20300101",
        "blocks -a -s 20300101",
        "daily --color -b -i",
        "blocks --color -t 1000000",
        "session --color -b",
    ]
    .iter()
    .map(|text| args(text))
    .collect();
    commands.push(vec![
        "daily".into(),
        "-i".into(),
        "--project-aliases=-edge=Edge Cases,app=App".into(),
    ]);
    let mut jobs = Vec::new();
    for columns in [200, 100, 64] {
        for mut job in jobs_for(&root, &commands, &["UTC"], false) {
            job.table_columns = Some(columns);
            jobs.push(job);
        }
    }
    run_matrix(&ccusage, "tables", jobs);
}

/// The benchmark corpus generator's binary, built beside this test by `cargo test --workspace`.
fn bench_corpus_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("examples/bench_corpus");
    bin.is_file().then_some(bin)
}

#[test]
fn every_report_and_flag_matches_ccusage_on_the_benchmark_corpus() {
    let Some(ccusage) = ccusage_bin() else { return };
    let Some(generator) = bench_corpus_bin() else {
        println!("skipped: build the generator first (cargo build -p claude-usage --example bench_corpus)");
        return;
    };
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    let status = Command::new(generator)
        .arg(&root)
        .args(["1", "7"])
        .output()
        .expect("run bench_corpus");
    assert!(status.status.success(), "bench_corpus failed: {status:?}");
    // Each run reads the corpus's 2,600 files: a few commands cover it.
    let commands: Vec<Vec<String>> = [
        "daily -i -o desc",
        "weekly -w monday",
        "monthly -m calculate",
        "session -s 20261010 -u 20261015",
        "blocks -t max -n 3",
        "daily --project=-Users-me-code-project-07",
    ]
    .iter()
    .map(|text| args(text))
    .collect();
    let mut jobs = jobs_for(&root, &commands, &["UTC"], false);
    jobs.extend(jobs_for(
        &root,
        &[args("daily"), args("session")],
        &["Asia/Tokyo"],
        false,
    ));
    run_matrix(&ccusage, "benchmark corpus", jobs);
}

#[test]
fn every_report_matches_ccusage_on_real_transcripts() {
    let Some(ccusage) = ccusage_bin() else { return };
    let Some(wild) = crate::wild::wild_dir() else {
        println!("skipped: no real transcripts beside the repository (see wild.rs)");
        return;
    };
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    crate::wild::lay_out(&wild, &root);
    let mut jobs = jobs_for(
        &root,
        &[
            args("daily"),
            args("weekly"),
            args("monthly"),
            args("session"),
            args("blocks"),
        ],
        &["UTC"],
        false,
    );
    jobs.extend(jobs_for(
        &root,
        &[
            args("daily -i -m calculate -z America/Los_Angeles"),
            args("blocks -t max -r"),
        ],
        &["Asia/Tokyo"],
        false,
    ));
    run_matrix(&ccusage, "real transcripts", jobs);
}

/// The flags a README table cell names: `-x` and `--long` tokens.
fn flags_in(cell: &str) -> Vec<String> {
    cell.split(|c: char| c.is_whitespace() || "`[]()/,=".contains(c))
        .filter(|token| token.starts_with('-') && token.len() > 1 && token != &"-")
        .map(|token| token.trim_end_matches(['…', '.', '\\']).to_string())
        .collect()
}

/// README's "claude-gauge vs ccusage" table names every report of `ccusage claude`, and each
/// claude-gauge command in it exists with every flag the row names.
#[test]
fn the_readme_maps_every_ccusage_report_to_claude_gauge() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("read README.md");
    let section = readme
        .split("## claude-gauge vs ccusage")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has a 'claude-gauge vs ccusage' section");
    let mut covered = Vec::new();
    for row in section
        .lines()
        .filter(|line| line.starts_with("| `ccusage claude"))
    {
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells.len(), 2, "a row of two cells: {row}");
        let ours = cells[1];
        let Some(command) = ours
            .split("`claude-gauge ")
            .nth(1)
            .and_then(|rest| rest.split([' ', '`']).next())
        else {
            panic!("the row names no claude-gauge command: {row}");
        };
        for report in command.split("\\|") {
            let help = Command::new(env!("CARGO_BIN_EXE_claude-gauge"))
                .args([report, "--help"])
                .output()
                .expect("run --help");
            assert!(help.status.success(), "claude-gauge {report} --help failed");
            let help = String::from_utf8_lossy(&help.stdout);
            for flag in flags_in(ours).iter().chain(&flags_in(cells[0])) {
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag},")),
                    "claude-gauge {report} has no {flag} (README row: {row})"
                );
            }
            covered.push(report.to_string());
        }
    }
    for report in ["daily", "weekly", "monthly", "session", "blocks"] {
        assert!(
            covered.iter().any(|c| c == report),
            "README maps no ccusage claude {report}"
        );
    }
}
