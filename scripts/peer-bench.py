#!/usr/bin/env python3
"""One buffered JSON-RPC stdio client for every MCP server, in one run, interleaved.

Compares the per-call latency of codex-teams with other MCP servers the fair way
(docs/performance.md, "Against the peers"): the same client for all, the same machine, the
same minutes. Each server is started once; after `initialize`, `tools/list` and an optional
setup call, rounds alternate between the servers, each round timing `--calls` sequential
calls of one cheap tool after `--warmup` untimed ones. A call is timed from the write of the
request to the parse of its response (newline-delimited JSON over pipes, read through a
buffered reader: no per-byte cost).

    scripts/peer-bench.py --server 'NAME|COMMAND|SETUP_TOOL=JSON|TOOL=JSON' [--server ...]

COMMAND runs through `sh -c` in a fresh directory per server (so `VAR=value cmd` works);
SETUP is optional (leave it empty: `NAME|COMMAND||TOOL=JSON`). Prints one line per server
(p50, p99, mean over all rounds, and each round's p50) and, with --json, the same as JSON.
Python 3.8+, standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


class Server:
    def __init__(self, name, command, cwd):
        self.name = name
        self.next_id = 1
        self.proc = subprocess.Popen(
            ["sh", "-c", command],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        while True:
            raw = self.proc.stdout.readline()
            if not raw:
                raise RuntimeError(f"{self.name}: the server closed its output")
            msg = json.loads(raw)
            if msg.get("id") == rid:
                if "error" in msg:
                    raise RuntimeError(f"{self.name}: {method} failed: {msg['error']}")
                return msg.get("result")
            # Notifications and log messages: not ours, keep reading.

    def notify(self, method, params):
        line = json.dumps({"jsonrpc": "2.0", "method": method, "params": params})
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def call(self, tool, args):
        result = self.request("tools/call", {"name": tool, "arguments": args})
        if isinstance(result, dict) and result.get("isError"):
            raise RuntimeError(f"{self.name}: {tool} returned an error: {result}")
        return result

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def tool_spec(text, what):
    name, sep, args = text.partition("=")
    if not name or not sep:
        raise SystemExit(f"{what}: `{text}` is not TOOL=JSON (e.g. team_status={{}})")
    try:
        return name, json.loads(args)
    except json.JSONDecodeError as e:
        raise SystemExit(f"{what}: the arguments of `{name}` are not JSON: {e}")


def percentile(sorted_ms, q):
    # Nearest rank, as `codex-teams bench` computes it.
    rank = max(1, int(-(-q * len(sorted_ms) // 1)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", action="append", required=True,
                    help="NAME|COMMAND|SETUP_TOOL=JSON|TOOL=JSON (setup may be empty)")
    ap.add_argument("--calls", type=int, default=200, help="timed calls per round (default 200)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed calls per round (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per server, interleaved (default 3)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    opts = ap.parse_args()
    if opts.calls < 1 or opts.rounds < 1 or opts.warmup < 0:
        raise SystemExit("--calls and --rounds must be at least 1, --warmup at least 0")

    specs = []
    for s in opts.server:
        parts = s.split("|")
        if len(parts) != 4:
            raise SystemExit(f"--server: `{s}` is not NAME|COMMAND|SETUP|TOOL=JSON (4 fields, setup may be empty)")
        name, command, setup, timed = parts
        specs.append((name, command, tool_spec(setup, "setup") if setup else None, tool_spec(timed, "tool")))

    scratch = tempfile.mkdtemp(prefix="peer-bench-")
    servers = []
    try:
        for name, command, setup, timed in specs:
            cwd = os.path.join(scratch, name.replace("/", "_"))
            os.makedirs(cwd)
            srv = Server(name, command, cwd)
            info = srv.request("initialize", {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "peer-bench", "version": "1"},
            })
            srv.notify("notifications/initialized", {})
            tools = srv.request("tools/list", {}).get("tools", [])
            if setup:
                srv.call(*setup)
            srv.version = (info or {}).get("serverInfo", {})
            srv.tool_count = len(tools)
            srv.timed = timed
            srv.samples = []
            srv.round_p50 = []
            servers.append(srv)

        for _ in range(opts.rounds):
            for srv in servers:
                for _ in range(opts.warmup):
                    srv.call(*srv.timed)
                round_ms = []
                for _ in range(opts.calls):
                    t = time.perf_counter_ns()
                    srv.call(*srv.timed)
                    round_ms.append((time.perf_counter_ns() - t) / 1e6)
                srv.samples.extend(round_ms)
                srv.round_p50.append(statistics.median(round_ms))

        results = []
        for srv in servers:
            ms = sorted(srv.samples)
            results.append({
                "server": srv.name,
                "server_info": srv.version,
                "tools": srv.tool_count,
                "tool": srv.timed[0],
                "calls": len(ms),
                "p50_ms": round(percentile(ms, 0.50), 3),
                "p99_ms": round(percentile(ms, 0.99), 3),
                "mean_ms": round(statistics.fmean(ms), 3),
                "round_p50_ms": [round(x, 3) for x in srv.round_p50],
            })
    finally:
        for srv in servers:
            srv.close()

    if opts.json:
        print(json.dumps({"calls": opts.calls, "warmup": opts.warmup, "rounds": opts.rounds,
                          "results": results}, indent=2))
    else:
        for r in results:
            rounds = " ".join(f"{x:.3f}" for x in r["round_p50_ms"])
            print(f"{r['server']:<28} {r['tool']:<20} p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  "
                  f"mean {r['mean_ms']:.3f} ms  ({r['calls']} calls; round p50s {rounds})")


if __name__ == "__main__":
    sys.exit(main())
