#!/usr/bin/env python3
"""Report benchmark on real transcripts: `claude-gauge daily --json` against ccusage 20.0.24.

    python3 bench/reports.py --binary target/release/claude-gauge \
        --floor target/release/examples/read_floor --ccusage "$CCUSAGE_BIN" \
        --wild DIR [--mib 1024] [--rounds 5]

The corpus is made by `bench/wild_corpus.py` from the real transcripts in `--wild` (copies with
their ids rewritten, about `--mib` MiB, kept outside the repository; `--corpus DIR` uses a
finished one instead). Page cache warm. Every timed row runs once per round, the rows
alternating within a round, so that load from other processes hits all of them alike; the
table shows medians. Wall time is measured here, CPU time and peak RSS come from `wait4`.

Rows:
* `cold` — `claude-gauge daily --json` with no report cache (`--no-cache` when the binary has
  it) against ccusage's `claude daily --json --offline`, and the read floor (`read_floor`: each
  file memory-mapped and its newlines counted with memchr, no parsing);
* `warm` (only when the binary has `--no-cache`): the same command with its cache, nothing
  changed; then after appending 1 MB of lines (ids rewritten, so they count) to the largest
  file, each round; and the size of everything the cache wrote.

Every round compares our JSON with ccusage's, byte for byte (for the append rows, ccusage runs
on the appended corpus in the same round). The appended bytes are cut off again at the end.
Not part of CI; exits non-zero if any output differs.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wild_corpus  # noqa: E402

APPEND_BYTES = 1 << 20


def run(argv, env, cwd):
    """Runs argv; returns (stdout bytes, wall s, CPU s, peak RSS MB)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            sys.exit(f"{argv} failed ({process.returncode}): {err.read().decode(errors='replace')}")
        out.seek(0)
        stdout = out.read()
    return stdout, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def native_ccusage(path):
    """The native ccusage binary: npm's `ccusage` command is a Node launcher (`cli.js`) that
    starts it, which would add Node's start-up to every run."""
    real = os.path.realpath(path)
    at = real.rfind("node_modules")
    if real.endswith(".js") and at >= 0:
        arch = {"x86_64": "x64", "aarch64": "arm64"}.get(os.uname().machine, "x64")
        native = os.path.join(real[: at + len("node_modules")], "@ccusage",
                              f"ccusage-linux-{arch}", "bin", "ccusage")
        if os.access(native, os.X_OK):
            return native
    return path


def tool_env(corpus, home):
    os.makedirs(home, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "LANG")}
    env.update(
        CLAUDE_CONFIG_DIR=corpus,
        TZ="UTC",
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, "config"),
        XDG_CACHE_HOME=os.path.join(home, "cache"),
        XDG_DATA_HOME=os.path.join(home, "data"),
        XDG_STATE_HOME=os.path.join(home, "state"),
        NO_COLOR="1",
    )
    return env


def dir_bytes(path):
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def corpus_files(corpus):
    found = []
    for folder, _, names in os.walk(os.path.join(corpus, "projects")):
        found += [os.path.join(folder, n) for n in names if n.endswith(".jsonl")]
    return found


def append_block(path, copy):
    """About APPEND_BYTES of whole lines from the start of `path`, ids shifted by `copy`."""
    block = bytearray()
    with open(path, "rb") as file:
        for line in file:
            if not line.endswith(b"\n"):
                break
            block += wild_corpus.rewrite(line, copy)
            if len(block) >= APPEND_BYTES:
                break
    return bytes(block)


class Bench:
    def __init__(self, args, corpus, work):
        self.args, self.corpus, self.work = args, corpus, work
        self.samples = {}
        self.mismatches = []

    def time(self, row, argv, env, expect=None):
        stdout, wall, cpu, rss = run(argv, env, self.work)
        self.samples.setdefault(row, []).append((wall, cpu, rss))
        print(f"  {row:<34} {wall:7.3f} s  {cpu:6.2f} CPU-s  {rss:6.1f} MB", file=sys.stderr)
        if expect is not None and stdout != expect:
            self.mismatches.append(row)
            print(f"  !! {row}: output differs from ccusage's", file=sys.stderr)
        return stdout

    def median(self, row, index=0):
        return statistics.median(s[index] for s in self.samples[row])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="claude-gauge (release)")
    parser.add_argument("--floor", required=True, help="the read_floor example (release)")
    parser.add_argument("--ccusage", default=os.environ.get("CCUSAGE_BIN"), help="ccusage 20.0.24")
    parser.add_argument("--wild", help="folder of real transcripts for bench/wild_corpus.py")
    parser.add_argument("--corpus", help="a finished corpus (instead of --wild)")
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", default=os.path.expanduser("~/.cache/claude-gauge-bench/reports"))
    args = parser.parse_args()
    if not args.ccusage:
        sys.exit("--ccusage or CCUSAGE_BIN is needed")
    args.ccusage = native_ccusage(args.ccusage)
    version = subprocess.run([args.ccusage, "--version"], stdout=subprocess.PIPE, text=True,
                             check=True).stdout.strip()
    print(f"ccusage: {args.ccusage} ({version})", file=sys.stderr)
    corpus = args.corpus
    if not corpus:
        if not args.wild:
            sys.exit("--wild or --corpus is needed")
        maker = [sys.executable, os.path.join(os.path.dirname(__file__), "wild_corpus.py")]
        corpus = subprocess.run(
            maker + ["--wild", args.wild, "--mib", str(args.mib)],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.strip()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    files = corpus_files(corpus)
    size = sum(os.path.getsize(f) for f in files)
    help_text = subprocess.run(
        [args.binary, "daily", "--help"], stdout=subprocess.PIPE, text=True, check=True
    ).stdout
    has_cache = "--no-cache" in help_text

    bench = Bench(args, corpus, args.work)
    theirs_env = tool_env(corpus, os.path.join(args.work, "home-ccusage"))
    cold_env = tool_env(corpus, os.path.join(args.work, "home-cold"))
    warm_home = os.path.join(args.work, "home-warm")
    warm_env = tool_env(corpus, warm_home)
    theirs_argv = [args.ccusage, "claude", "daily", "--json", "--offline"]
    ours_argv = [args.binary, "daily", "--json"]
    cold_argv = ours_argv + (["--no-cache"] if has_cache else [])
    floor_argv = [args.floor, corpus]

    subprocess.run(["cat"] + files, stdout=subprocess.DEVNULL, check=True)
    print(f"corpus {corpus}: {len(files)} files, {size / 2**20:.0f} MiB; cache: {has_cache}",
          file=sys.stderr)
    if has_cache:
        run(ours_argv, warm_env, args.work)  # writes the cache
    for round_index in range(args.rounds):
        print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr)
        theirs = bench.time("ccusage claude daily --json", theirs_argv, theirs_env)
        bench.time("claude-gauge daily --json (cold)", cold_argv, cold_env, theirs)
        bench.time("read floor (mmap + memchr)", floor_argv, cold_env)
        if has_cache:
            bench.time("claude-gauge daily --json (warm)", ours_argv, warm_env, theirs)

    if has_cache:
        target = max(files, key=os.path.getsize)
        original = os.path.getsize(target)
        try:
            for round_index in range(args.rounds):
                with open(target, "ab") as file:
                    file.write(append_block(target, 3000 + round_index))
                theirs = bench.time("ccusage after append", theirs_argv, theirs_env)
                bench.time("warm after 1 MB append", ours_argv, warm_env, theirs)
        finally:
            os.truncate(target, original)
        cache_bytes = dir_bytes(warm_home)

    gib = size / 2**30
    theirs_wall = bench.median("ccusage claude daily --json")
    cold_wall = bench.median("claude-gauge daily --json (cold)")
    floor_wall = bench.median("read floor (mmap + memchr)")
    print(f"\ncorpus: {len(files)} files, {size / 2**20:.0f} MiB; {args.rounds} rounds; medians")
    print(f"{'row':<34} {'wall s':>8} {'s/GiB':>6} {'CPU s':>6} {'peak RSS MB':>11}")
    for row in bench.samples:
        wall, cpu, rss = (bench.median(row, i) for i in range(3))
        print(f"{row:<34} {wall:8.3f} {wall / gib:6.2f} {cpu:6.2f} {rss:11.1f}")
    print()
    print(f"cold: ccusage / ours = {theirs_wall / cold_wall:.2f}x (target >= 6x)")
    print(f"cold: ours / read floor = {cold_wall / floor_wall:.2f}x (target <= 1.5x)")
    print(f"cold: peak RSS {bench.median('claude-gauge daily --json (cold)', 2):.0f} MB "
          "(target < 100 MB)")
    if has_cache:
        warm = bench.median("claude-gauge daily --json (warm)")
        appended = bench.median("warm after 1 MB append")
        print(f"warm, nothing changed: {warm * 1000:.1f} ms (target < 30 ms), "
              f"ccusage / ours = {theirs_wall / warm:.0f}x (target >= 40x)")
        print(f"warm after 1 MB append: {appended * 1000:.1f} ms (target < 50 ms)")
        print(f"cache on disk: {cache_bytes / 2**20:.1f} MiB = {100 * cache_bytes / size:.2f} % "
              "of the corpus (target < 5 %)")
    else:
        print("warm rows: skipped (this binary has no --no-cache, so no report cache)")
    checked = sum(len(v) for k, v in bench.samples.items() if "claude-gauge" in k or "warm" in k)
    if bench.mismatches:
        print(f"OUTPUT DIFFERS from ccusage in: {', '.join(sorted(set(bench.mismatches)))}")
        return 1
    print(f"outputs: identical to ccusage's in all {checked} compared runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
