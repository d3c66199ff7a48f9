#!/usr/bin/env python3
"""Builds a benchmark corpus of about 1 GiB from copies of real Claude Code transcripts.

    python3 bench/wild_corpus.py --wild DIR [--out DIR] [--mib 1024]

DIR is a folder of real transcripts laid out as `<owner>__<repo>/<path in that repository>`
(one `*.jsonl` per transcript). The copies go to `--out`, by default
`~/.cache/claude-gauge-bench/wild-<mib>`, outside the repository, as a Claude config dir:
copy K of `<owner>__<repo>/.../projects/<project>/<file>.jsonl` is
`projects/cKKK-<owner>__<repo>/<project>/<file>.jsonl` (the part after `projects/`, or after the
repository folder where there is none).

Each copy rewrites its ids so that ccusage's dedup (message id + request id) does not collapse
the copies into one: the values of the id keys below get their last three letters or digits
shifted by the copy number, within their own alphabet (hex stays hex). The shift is a bijection
per copy, so two ids that differ stay different and two that are equal stay equal (a real
duplicate inside the originals is still a duplicate inside each copy). Every other byte is kept
as it is: line lengths, content, escapes, timestamps, models and token counts.

Copy 0 is byte-for-byte the original. A `.complete` file marks a finished corpus; rerunning
with the same arguments does nothing.
"""

import argparse
import os
import re
import shutil
import string
import sys

ID_KEYS = (
    b"id",
    b"uuid",
    b"parentUuid",
    b"leafUuid",
    b"logicalParentUuid",
    b"sessionId",
    b"requestId",
    b"messageId",
    b"promptId",
    b"agentId",
    b"toolUseID",
    b"parentToolUseID",
    b"tool_use_id",
    b"sourceToolAssistantUUID",
)
# `"key":"value"` with a plain value (ids never hold escapes). Inside a JSON string the quotes
# are escaped (`\"id\":\"...`), so keys quoted in content do not match.
ID_VALUE = re.compile(rb'"(' + b"|".join(ID_KEYS) + rb')":"([^"\\]*)"')
HEX = string.digits + "abcdef"
HEX_UPPER = string.digits + "ABCDEF"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
SHIFTED_CHARS = 3


def shift_id(value: bytes, copy: int) -> bytes:
    """Shifts the last SHIFTED_CHARS alphanumerics of `value` by the digits of `copy`."""
    text = value.decode("ascii", errors="surrogateescape")
    is_hex = all(c in HEX or c == "-" for c in text)
    is_hex_upper = not is_hex and all(c in HEX_UPPER or c == "-" for c in text)
    alphabet = HEX if is_hex else HEX_UPPER if is_hex_upper else BASE62
    chars = list(text)
    remaining = copy
    shifted = 0
    for at in range(len(chars) - 1, -1, -1):
        if shifted == SHIFTED_CHARS:
            break
        if chars[at] not in alphabet:
            continue
        digit = remaining % len(alphabet)
        remaining //= len(alphabet)
        chars[at] = alphabet[(alphabet.index(chars[at]) + digit) % len(alphabet)]
        shifted += 1
    return "".join(chars).encode("ascii", errors="surrogateescape")


def rewrite(data: bytes, copy: int) -> bytes:
    if copy == 0:
        return data
    return ID_VALUE.sub(
        lambda m: b'"' + m.group(1) + b'":"' + shift_id(m.group(2), copy) + b'"', data
    )


def transcripts(wild: str):
    """(source path, path inside a copy's project folder) of every transcript."""
    found = []
    for repo in sorted(os.listdir(wild)):
        root = os.path.join(wild, repo)
        if not os.path.isdir(root):
            continue
        for folder, _, names in os.walk(root):
            for name in sorted(names):
                if not name.endswith(".jsonl"):
                    continue
                path = os.path.join(folder, name)
                rest = os.path.relpath(path, root)
                marker = "projects" + os.sep
                at = rest.find(marker)
                inner = rest[at + len(marker):] if at >= 0 else rest
                found.append((path, repo, inner))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wild", required=True, help="folder of real transcripts")
    parser.add_argument("--mib", type=int, default=1024, help="target size (MiB)")
    parser.add_argument("--out", help="output dir (default ~/.cache/claude-gauge-bench/wild-<mib>)")
    args = parser.parse_args()
    out = args.out or os.path.expanduser(f"~/.cache/claude-gauge-bench/wild-{args.mib}")
    files = transcripts(args.wild)
    if not files:
        print(f"no *.jsonl under {args.wild}", file=sys.stderr)
        return 1
    sources = [(repo, inner, open(path, "rb").read()) for path, repo, inner in files]
    size = sum(len(data) for _, _, data in sources)
    copies = max(1, -(-args.mib * 2**20 // size))
    stamp = f"{args.wild} {args.mib} {copies} {size}\n"
    complete = os.path.join(out, ".complete")
    if os.path.exists(complete) and open(complete).read() == stamp:
        print(out)
        return 0
    shutil.rmtree(out, ignore_errors=True)
    for copy in range(copies):
        for repo, inner, data in sources:
            target = os.path.join(out, "projects", f"c{copy:03}-{repo}", inner)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as file:
                file.write(rewrite(data, copy))
        print(f"copy {copy + 1}/{copies}", file=sys.stderr)
    with open(complete, "w") as file:
        file.write(stamp)
    print(f"{len(files) * copies} files, {size * copies / 2**20:.0f} MiB in {out}", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
