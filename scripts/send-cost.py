#!/usr/bin/env python3
"""What one durable `team_send` costs a `serve-mcp` in I/O, independent of machine load.

    scripts/send-cost.py BINARY [SENDS]

Starts BINARY's `serve-mcp` as a lead on a new database in a temporary directory, starts a
team with one external worker, warms up with 200 sends, then sends SENDS (default 3000)
messages to the worker and prints, from /proc/<pid>/io and /proc/<pid>/stat of the server:
bytes written and `write` calls per send (WAL frames, checkpoint copies, the reply), and
CPU ms per send (load-sensitive; the first two are not). Linux only. Uses the client of
scripts/peer-bench.py. Compare two builds by alternating runs (docs/performance.md).
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("peer_bench", os.path.join(here, "peer-bench.py"))
peer_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer_bench)


def counters(pid):
    with open(f"/proc/{pid}/io") as f:
        io = dict(line.split(": ") for line in f.read().splitlines())
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read().rsplit(")", 1)[1].split()
    return int(io["wchar"]), int(io["syscw"]), int(stat[11]) + int(stat[12])


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    binary = os.path.abspath(sys.argv[1])
    sends = int(sys.argv[2]) if len(sys.argv) == 3 else 3000
    if sends < 1:
        raise SystemExit("SENDS must be at least 1")
    home = tempfile.mkdtemp(prefix="send-cost-")
    server = peer_bench.Server(
        "lead", f"CODEX_TEAMS_HOME={home} CODEX_TEAMS_DB={home}/t.db exec {binary} serve-mcp", home)
    try:
        server.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                      "clientInfo": {"name": "send-cost", "version": "1"}})
        server.notify("notifications/initialized", {})
        server.call("team_start", {"goal": "send cost"})
        spawned = server.call("team_spawn", {"role": "implementer", "runner": "external",
                                             "justification": "send cost"})
        body = spawned.get("structuredContent") or json.loads(spawned["content"][0]["text"])
        worker = body["agent_id"]
        for i in range(200):
            server.call("team_send", {"to": worker, "body": f"warm-up {i}"})
        pid = server.proc.pid
        before = counters(pid)
        for i in range(sends):
            server.call("team_send", {"to": worker, "body": f"message number {i} " + "x" * 40})
        after = counters(pid)
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)
    ticks = os.sysconf("SC_CLK_TCK")
    print(f"{binary}: {(after[0] - before[0]) / sends:.0f} bytes written/send, "
          f"{(after[1] - before[1]) / sends:.1f} write calls/send, "
          f"{(after[2] - before[2]) * 1000 / ticks / sends:.3f} CPU ms/send ({sends} sends)")


if __name__ == "__main__":
    sys.exit(main())
