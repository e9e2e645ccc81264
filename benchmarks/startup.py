#!/usr/bin/env python3
"""Start-up time of `codex-teams serve-mcp`: from spawning the process to reading its answer
to `tools/list` (initialize, initialized, tools/list written at once, as Codex does at the
start of every session and of every worker). Each run gets a fresh, empty CODEX_TEAMS_HOME,
so the database is created and migrated each time, as on a worker's first call in a new home.

    benchmarks/startup.py BINARY [RUNS]      (default 30 runs after 3 warm-ups)

Prints the wall time's median, p90, min and max in milliseconds, the median CPU time the
process used in all (user + system, start to exit: steadier than wall time on a busy
machine), and the binary's size.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MESSAGES = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "startup-bench", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
]
PAYLOAD = "".join(json.dumps(m) + "\n" for m in MESSAGES).encode()


def one_run(binary: str) -> tuple[float, float]:
    home = tempfile.mkdtemp(prefix="startup-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEX_TEAMS_")}
    env["CODEX_TEAMS_HOME"] = home
    try:
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "serve-mcp"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        proc.stdin.write(PAYLOAD)
        proc.stdin.flush()
        elapsed = None
        for line in proc.stdout:
            msg = json.loads(line)
            if msg.get("id") == 2:
                if "result" not in msg or not msg["result"].get("tools"):
                    raise SystemExit(f"tools/list answered without tools: {line[:200]!r}")
                elapsed = time.perf_counter() - start
                break
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if elapsed is None:
            raise SystemExit("serve-mcp closed its output before answering tools/list")
        return elapsed * 1000.0, (usage.ru_utime + usage.ru_stime) * 1000.0
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    for _ in range(3):
        one_run(binary)
    samples = [one_run(binary) for _ in range(runs)]
    times = sorted(wall for wall, _ in samples)
    cpu = statistics.median(c for _, c in samples)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    size = os.path.getsize(binary)
    print(f"{binary}: {size} bytes ({size / 1e6:.1f} MB); serve-mcp to tools/list over {runs} runs: "
          f"median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms, "
          f"min {times[0]:.1f} ms, max {times[-1]:.1f} ms; CPU median {cpu:.1f} ms")


if __name__ == "__main__":
    main()
