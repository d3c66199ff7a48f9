#!/usr/bin/env bash
# Cold-scan benchmark: claude-usage vs ccusage 20.0.24 vs ccstat 0.6.2 on a generated ~1 GiB
# corpus shaped like real Claude Code history (file sizes follow ccusage's own large fixture,
# apps/ccusage/scripts/generate-large-fixture.nu in https://github.com/ryoppippi/ccusage).
#
#   bench/run.sh                      # 1 GiB, 5 alternating rounds
#   BENCH_MIB=256 BENCH_ROUNDS=3 bench/run.sh
#
# Each tool computes the same report (daily, UTC, JSON) from a warm page cache. Rounds
# alternate the tools so that load from other processes hits all of them alike. Prints, per
# tool, the median wall time, CPU time (user+sys), peak RSS (from /usr/bin/time -v), the ratio
# to ours, and each tool's token total, which must agree (ccstat dedups first-seen, so it may
# differ). `cat` reads every byte once: the floor. Not part of CI.
#
# Environment: BENCH_DIR (work dir, default ~/.cache/claude-gauge-bench), BENCH_MIB (corpus
# size), BENCH_ROUNDS, BENCH_INSTALL_CCSTAT=0 to skip building ccstat (it takes ~15 min).
set -euo pipefail

# Internal: `run.sh --one TOOL OUT` runs one tool once (so /usr/bin/time measures only it).
if [[ "${1:-}" == --one ]]; then
  case "$2" in
    ours) "${BENCH_SCAN}" --report daily --timezone UTC "${BENCH_CORPUS}" ;;
    ccusage)
      CLAUDE_CONFIG_DIR="${BENCH_CORPUS}" TZ=UTC "${BENCH_CCUSAGE}" claude daily --json --offline \
        --timezone UTC ;;
    ccstat) cd "${BENCH_WORK}" && CLAUDE_DATA_PATH="${BENCH_CORPUS}" "${BENCH_CCSTAT}" daily --json --utc ;;
    # The floor: reading every byte once, no parsing.
    cat)
      find "${BENCH_CORPUS}" -name '*.jsonl' -exec cat {} + >/dev/null
      echo '{"totals":{"totalTokens":0}}' ;;
  esac >"$3" 2>/dev/null
  exit
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${BENCH_DIR:-${HOME}/.cache/claude-gauge-bench}"
mib="${BENCH_MIB:-1024}"
rounds="${BENCH_ROUNDS:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME}/.cache/cg-target-usage}"
mkdir -p "${work}"

echo "== building claude-usage examples (release)" >&2
cargo build --quiet --release --manifest-path "${repo}/Cargo.toml" -p claude-usage \
  --example scan --example bench_corpus
scan="${CARGO_TARGET_DIR}/release/examples/scan"

corpus="${work}/corpus-${mib}"
if [[ ! -f "${corpus}/.complete" ]]; then
  echo "== generating ${mib} MiB corpus in ${corpus}" >&2
  rm -rf "${corpus}"
  "${CARGO_TARGET_DIR}/release/examples/bench_corpus" "${corpus}" "${mib}" >&2
  touch "${corpus}/.complete"
fi

echo "== installing ccusage 20.0.24" >&2
ccusage="$("${repo}/tests-parity/install-ccusage.sh" "${work}/ccusage")"

ccstat="${work}/ccstat/bin/ccstat"
if [[ ! -x "${ccstat}" && "${BENCH_INSTALL_CCSTAT:-1}" != 0 ]]; then
  echo "== building ccstat 0.6.2 (slow)" >&2
  cargo install --quiet ccstat --version 0.6.2 --locked --root "${work}/ccstat" >&2 \
    || echo "ccstat 0.6.2 did not build; benchmarking without it" >&2
fi
tools=(cat ours ccusage)
[[ -x "${ccstat}" ]] && tools+=(ccstat)

export BENCH_SCAN="${scan}" BENCH_CORPUS="${corpus}" BENCH_CCUSAGE="${ccusage}" \
  BENCH_CCSTAT="${ccstat}" BENCH_WORK="${work}"

echo "== warming the page cache" >&2
find "${corpus}" -name '*.jsonl' -exec cat {} + >/dev/null
results="${work}/results.tsv"
: >"${results}"
for round in $(seq 1 "${rounds}"); do
  for tool in "${tools[@]}"; do
    /usr/bin/time -v -o "${work}/time.txt" "$0" --one "${tool}" "${work}/${tool}.json"
    python3 - "${tool}" "${work}/time.txt" "${work}/${tool}.json" >>"${results}" <<'EOF'
import json, re, sys
tool, timing, output = sys.argv[1:4]
text = open(timing).read()
def field(name):
    return re.search(re.escape(name) + r": (.*)", text).group(1).strip()
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
seconds = sum(float(part) * 60 ** index for index, part in enumerate(reversed(wall)))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss_mb = int(field("Maximum resident set size (kbytes)")) / 1024
raw = open(output, errors="replace").read()
# ccstat logs warnings to stdout before its JSON.
start = 0 if raw.startswith("{") else raw.index("\n{") + 1
totals = json.loads(raw[start:]).get("totals", {})
# ccusage and ours: totals.totalTokens; ccstat: totals.tokens.total.
tokens = totals.get("totalTokens", totals.get("tokens", {}).get("total", 0))
print(f"{tool}\t{seconds:.3f}\t{cpu:.3f}\t{rss_mb:.1f}\t{tokens}")
EOF
    tail -n 1 "${results}" >&2
  done
done

bytes="$(find "${corpus}" -name '*.jsonl' -printf '%s\n' | awk '{s += $1} END {print s}')"
files="$(find "${corpus}" -name '*.jsonl' | wc -l)"
python3 - "${results}" "${bytes}" "${files}" "${rounds}" <<'EOF'
import statistics, sys
path, size, files, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = {}
for line in open(path):
    tool, wall, cpu, rss, tokens = line.split("\t")
    rows.setdefault(tool, []).append((float(wall), float(cpu), float(rss), int(tokens)))
gib = size / 2**30
ours_wall = statistics.median(r[0] for r in rows["ours"])
ours_cpu = statistics.median(r[1] for r in rows["ours"])
print(f"corpus: {files} files, {size / 2**20:.0f} MiB; {rounds} rounds; medians")
print(f"{'tool':<8} {'wall s':>8} {'s/GiB':>7} {'CPU s':>7} {'peak RSS MB':>12} {'wall x ours':>12} {'CPU x ours':>11}  total tokens")
for tool, samples in rows.items():
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    rss = statistics.median(s[2] for s in samples)
    tokens = sorted({s[3] for s in samples})
    print(f"{tool:<8} {wall:>8.2f} {wall / gib:>7.2f} {cpu:>7.2f} {rss:>12.0f} {wall / ours_wall:>12.1f} "
          f"{cpu / ours_cpu:>11.1f}  {','.join(map(str, tokens))}")
EOF
