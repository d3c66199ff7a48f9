#!/usr/bin/env python3
"""Daemon benchmarks for claude-gauge (docs/performance.md): cold catch-up into an empty store,
warm restart with nothing changed, and append -> /events latency.

Usage: bench/daemon.py --binary target/release/claude-gauge --corpus DIR [--appends 1000]

DIR is a Claude config dir (with projects/). Prints one line per figure; nothing here is a test.
"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, threading, time
import http.client

CAUGHT_UP = re.compile(r"caught up (\d+) of (\d+) files, (\d+) bytes read, in (\d+) ms")
# A warm restart that finds nothing appended says so instead.
NOTHING_NEW = re.compile(r"nothing new in (\d+) files?, in (\d+) ms")


def start(binary, corpus, data_dir):
    env = dict(os.environ, CLAUDE_CONFIG_DIR=corpus, CLAUDE_GAUGE_CONFIG="/nonexistent/config.toml",
               CLAUDE_GAUGE_LOG="info", NO_COLOR="1")
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    state = {"addr": None, "caught_up": None, "first_line_s": None, "t0": t0}
    ready = threading.Event()
    done = threading.Event()

    def reader():
        for line in proc.stderr:
            if state["addr"] is None and "serving http://" in line:
                state["addr"] = line.split("serving http://")[1].split("/")[0]
                state["first_line_s"] = time.monotonic() - t0
                ready.set()
            m = CAUGHT_UP.search(line)
            if m:
                state["caught_up"] = [int(x) for x in m.groups()]
                state["caught_up_wall_s"] = time.monotonic() - t0
                done.set()
            m = NOTHING_NEW.search(line)
            if m:
                files, ms = (int(x) for x in m.groups())
                state["caught_up"] = [0, files, 0, ms]
                state["caught_up_wall_s"] = time.monotonic() - t0
                done.set()
    threading.Thread(target=reader, daemon=True).start()
    ready.wait(30)
    done.wait(600)
    return proc, state


def get(addr, path):
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("GET", path)
    return json.loads(c.getresponse().read())


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_totals_stable(addr, quiet_s=1.5):
    """Polls /stats until the stored request count has not moved for quiet_s; returns the count
    and when it last moved (monotonic seconds)."""
    last, since = None, time.monotonic()
    while True:
        req = get(addr, "/stats")["usage_totals"]["requests"]
        if req != last:
            last, since = req, time.monotonic()
        elif time.monotonic() - since > quiet_s:
            return last, since
        time.sleep(0.02)


def append_latency(binary, corpus, data_dir, n):
    proc, st = start(binary, corpus, data_dir)
    addr = st["addr"]
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/events")
    resp = conn.getresponse()
    frames = []
    cond = threading.Condition()

    def sse():
        buf = b""
        while True:
            chunk = resp.fp.readline()
            if not chunk:
                return
            if chunk.startswith(b"data:"):
                with cond:
                    frames.append((time.perf_counter(), json.loads(chunk[5:])))
                    cond.notify_all()
    threading.Thread(target=sse, daemon=True).start()
    path = os.path.join(corpus, "projects", "-bench-latency", "latency.jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lat = []
    with open(path, "ab", buffering=0) as f:
        for i in range(n):
            now = time.time()
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % int((now % 1) * 1000)
            line = json.dumps({"type": "assistant", "timestamp": ts, "requestId": f"req_lat_{os.getpid()}_{i}",
                               "sessionId": "bench", "version": "2.1.330",
                               "message": {"id": f"msg_lat_{os.getpid()}_{i}", "model": "claude-opus-4-5",
                                           "usage": {"input_tokens": 1 + i, "output_tokens": 1}}},
                              separators=(",", ":")) + "\n"
            with cond:
                seen = len(frames)
            t0 = time.perf_counter()
            f.write(line.encode())
            with cond:
                ok = cond.wait_for(lambda: len(frames) > seen, timeout=2)
                if ok:
                    lat.append((frames[seen][0] - t0) * 1000)
            time.sleep(0.002)
    proc.terminate(); proc.wait(10)
    os.remove(path)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--appends", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(a.corpus) for f in fs)
    print(f"corpus: {a.corpus}, {size / 2**30:.2f} GiB")
    colds, warms, rss, warm_rss, first, stored = [], [], [], [], [], []
    for run in range(a.runs):
        data = tempfile.mkdtemp(prefix="cg-bench-")
        proc, st = start(a.binary, a.corpus, data)
        requests, stored_at = wait_totals_stable(st["addr"])
        colds.append(st["caught_up"][3] / 1000)
        stored.append(stored_at - st["t0"])
        rss.append(peak_rss_mb(proc.pid))
        proc.terminate(); proc.wait(10)
        proc, st = start(a.binary, a.corpus, data)
        warms.append(st["caught_up"][3])
        first.append(st["first_line_s"] * 1000)
        warm_rss.append(peak_rss_mb(proc.pid))
        proc.terminate(); proc.wait(10)
        shutil.rmtree(data)
        print(f"run {run + 1}: cold catch-up {colds[-1]:.2f} s, all {requests} requests stored after "
              f"{stored[-1]:.2f} s, "
              f"peak RSS {rss[-1]:.0f} MB; warm catch-up {warms[-1]} ms, serving after {first[-1]:.0f} ms")
    gib = size / 2**30
    print(f"cold start into an empty store: files read and parsed in median {statistics.median(colds):.2f} s "
          f"({statistics.median(colds) / gib:.2f} s/GiB); everything stored in SQLite after median "
          f"{statistics.median(stored):.2f} s ({statistics.median(stored) / gib:.2f} s/GiB); "
          f"peak RSS median {statistics.median(rss):.0f} MB")
    print(f"warm restart, nothing changed: catch-up median {statistics.median(warms):.0f} ms; "
          f"process start to serving median {statistics.median(first):.0f} ms")
    data = tempfile.mkdtemp(prefix="cg-bench-")
    lat = append_latency(a.binary, a.corpus, data, a.appends)
    shutil.rmtree(data)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"append -> /events frame: n={len(lat)} p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {lat[-1]:.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
