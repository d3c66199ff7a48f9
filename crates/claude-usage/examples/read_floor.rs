//! The read floor of a cold scan (the benchmark's "mmap floor" row): the same transcript files
//! as the scan, each memory-mapped whole and its newlines counted with memchr, on as many
//! threads as the scan uses. No parsing: no scan can read the files faster than this.
//!
//! `cargo run --release -p claude-usage --example read_floor -- [--threads N] <CLAUDE_CONFIG_DIR
//! value>`; prints `files=… bytes=… lines=…`.

use std::{
    fs::File,
    path::PathBuf,
    process::ExitCode,
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
    thread,
};

use claude_usage::{resolve_roots, usage_files};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("read_floor: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut threads = 0;
    let mut config_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--threads" {
            let value = args.next().ok_or("--threads needs a value")?;
            threads = value.parse().map_err(|_| "--threads takes a number")?;
        } else {
            config_dir = Some(arg);
        }
    }
    let config_dir = config_dir.ok_or("usage: read_floor [--threads N] DIR")?;
    let roots = resolve_roots(Some(&config_dir), None, None).map_err(|e| e.to_string())?;
    let files = usage_files(&roots);
    let threads = match threads {
        0 => thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let (next, bytes, lines) = (AtomicUsize::new(0), AtomicU64::new(0), AtomicU64::new(0));
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(path) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Some((size, count)) = count_lines(path) {
                        bytes.fetch_add(size, Ordering::Relaxed);
                        lines.fetch_add(count, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    println!(
        "files={} bytes={} lines={}",
        files.len(),
        bytes.into_inner(),
        lines.into_inner()
    );
    Ok(())
}

fn count_lines(path: &PathBuf) -> Option<(u64, u64)> {
    let file = File::open(path).ok()?;
    if file.metadata().ok()?.len() == 0 {
        return Some((0, 0));
    }
    // SAFETY: read-only map of a file nobody truncates during the benchmark.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file).ok()? };
    let count = memchr::memchr_iter(b'\n', &map).count() as u64;
    Some((map.len() as u64, count))
}
