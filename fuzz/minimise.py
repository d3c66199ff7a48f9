#!/usr/bin/env python3
"""Picks a saved corpus within a byte budget: the inputs that cover the most edges per byte.

`cargo fuzz cmin` keeps every input that adds a feature (an edge hit 1, 2, 3, 4-7… times), which
for these targets is megabytes; the replay tests want the edges in a few hundred KB. This reads
the per-input features from a libFuzzer merge control file, folds them to edges (libFuzzer's
inline 8-bit counter features are `edge * 8 + hit-count bucket`), and greedily keeps the input
with the most new edges per byte until every edge is covered or the budget is spent.

Usage (from `fuzz/`, after a run that grew WORK):

    T=transcript_line
    mkdir -p /tmp/empty
    target/x86_64-unknown-linux-gnu/release/$T -merge=1 -merge_control_file=/tmp/$T.ctl \
        /tmp/empty WORK SEEDS
    rm -r corpus/$T
    ./minimise.py /tmp/$T.ctl 150000 corpus/$T --keep SEEDS/hand-

`--keep PREFIX` always keeps the inputs whose path starts with PREFIX (hand-written seeds);
`--covered PREFIX` counts those inputs' edges as covered without keeping them (the OTLP fixtures,
which the replay test reads from `crates/claude-gauge/tests/fixtures/otlp/` anyway).
"""

import argparse
import os
import shutil

# Bytes added to each input's size when ranking: a nudge towards fewer, larger files.
PER_FILE_BYTES = 32


def read_control(path):
    """The input paths and, per input index, its set of edges."""
    with open(path) as control:
        lines = control.read().split("\n")
    count = int(lines[0])
    paths = lines[2 : 2 + count]
    edges = {}
    for line in lines[2 + count :]:
        if line.startswith("FT "):
            fields = line.split()
            edges[int(fields[1])] = {int(feature) // 8 for feature in fields[2:]}
    return paths, edges


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("control", help="libFuzzer -merge_control_file output")
    parser.add_argument("budget", type=int, help="most bytes to keep")
    parser.add_argument("out", help="directory to copy the kept inputs to")
    parser.add_argument("--keep", help="path prefix of inputs always kept")
    parser.add_argument("--covered", help="path prefix of inputs replayed elsewhere")
    args = parser.parse_args()

    paths, edges = read_control(args.control)
    sizes = {index: os.path.getsize(paths[index]) for index in edges}
    all_edges = set().union(*edges.values()) if edges else set()
    covered, kept, used = set(), [], 0
    for index in list(edges):
        if args.covered and paths[index].startswith(args.covered):
            covered |= edges.pop(index)
        elif args.keep and paths[index].startswith(args.keep):
            kept.append(index)
            used += sizes[index]
            covered |= edges.pop(index)
    while True:
        best, best_score = None, 0.0
        for index, input_edges in edges.items():
            if used + sizes[index] > args.budget:
                continue
            score = len(input_edges - covered) / (sizes[index] + PER_FILE_BYTES)
            if score > best_score:
                best, best_score = index, score
        if best is None:
            break
        kept.append(best)
        used += sizes[best]
        covered |= edges.pop(best)

    os.makedirs(args.out, exist_ok=True)
    for index in kept:
        shutil.copy(paths[index], args.out)
    print(f"kept {len(kept)} inputs, {used} bytes, {len(covered)} of {len(all_edges)} edges")


if __name__ == "__main__":
    main()
