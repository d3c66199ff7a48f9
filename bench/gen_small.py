#!/usr/bin/env python3
"""A quick synthetic Claude config dir for smoke-running bench/daemon.py (not the 1 GiB corpus)."""
import json, os, random, sys, time
root = sys.argv[1]; files = int(sys.argv[2]) if len(sys.argv) > 2 else 200; lines = int(sys.argv[3]) if len(sys.argv) > 3 else 200
rng = random.Random(7)
now = time.time()
for f in range(files):
    d = os.path.join(root, "projects", f"-home-u-p{f % 20}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"s{f}.jsonl"), "w") as out:
        for l in range(lines):
            t = now - rng.uniform(0, 20 * 86400)
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % rng.randrange(1000)
            text = "".join(rng.choice("abcdefgh \"\\\n") for _ in range(rng.randrange(200, 3000)))
            out.write(json.dumps({"type": "user", "timestamp": ts, "sessionId": f"s{f}", "message": {"role": "user", "content": text}}, separators=(",", ":")) + "\n")
            out.write(json.dumps({"type": "assistant", "timestamp": ts, "requestId": f"req_{f}_{l}", "sessionId": f"s{f}", "version": "2.1.330",
                                  "message": {"id": f"msg_{f}_{l}", "model": rng.choice(["claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5"]),
                                              "content": [{"type": "text", "text": text}],
                                              "usage": {"input_tokens": rng.randrange(1, 5000), "output_tokens": rng.randrange(1, 3000),
                                                        "cache_creation_input_tokens": rng.randrange(0, 20000), "cache_read_input_tokens": rng.randrange(0, 200000)}}},
                                 separators=(",", ":")) + "\n")
