"""HTTP side of the scale benchmark: start `zhili serve` on a library, time it, load it with wrk.

Load generator: wrk (Debian package `wrk`), not locust. The machine has 2 cores; wrk is an
event-loop C program that drives dozens of connections from one thread at ~1 % CPU, whereas
locust's Python workers would compete with the server under test for the same cores and
report their own GIL stalls as server latency. A Lua script rotates the gov-dev queries and
appends a request number to each, so every request is a new text: the engine's query-vector
cache cannot turn a load test into a cache test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

VENV_BIN = Path(sys.executable).parent
LUA = """
local bodies = {%s}
local n = 0
local tid = 0
local counter = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 0
end
function request()
  counter = counter + 1
  local b = bodies[(counter %% #bodies) + 1]
  local body = '{"text":"' .. b .. ' #' .. tid .. '-' .. counter .. '","top":10}'
  return wrk.format("POST", "/api/v1/recommend", {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%%d,"duration_s":%%.3f,"socket_errors":%%d,'
    .. '"non2xx":%%d,"p50_ms":%%.1f,"p90_ms":%%.1f,"p99_ms":%%.1f,"max_ms":%%.1f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def lua_script(texts: list[str], path: Path) -> Path:
    """The wrk script with the query texts as Lua string literals (JSON-escaped once)."""
    quoted = []
    for t in texts:
        inner = json.dumps(t, ensure_ascii=False)[1:-1]  # JSON string body, no quotes
        quoted.append("[==[" + inner + "]==]")
    path.write_text(LUA % ", ".join(quoted), encoding="utf-8")
    return path


class Server:
    """`zhili serve` in a subprocess with its own ZHILI_HOME; stopped by its pid only."""

    def __init__(self, home: Path, port: int, log: Path):
        self.home, self.port, self.log = home, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.extra_env: dict[str, str] = {}

    def command(self) -> list[str]:
        zhili = VENV_BIN / "zhili"
        help_text = subprocess.run([str(zhili), "--help"], capture_output=True, text=True).stdout
        if re.search(r"\bserve\b", help_text):
            return [str(zhili), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        # until `zhili serve` lands: the same app through uvicorn directly
        return [str(VENV_BIN / "python"), "-m", "uvicorn", "--factory", "zhili.app:create_app",
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]

    def start(self) -> float:
        """Start the server and return the seconds from spawn to the first answered recommend."""
        env = {**os.environ, "ZHILI_HOME": str(self.home), **self.extra_env}
        env.pop("ZHILI_DB_URL", None)
        cmd = self.command()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = t0 + 1800
        with httpx.Client(timeout=600) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"服务进程已退出（{self.proc.returncode}），见 {self.log}")
                try:
                    r = client.post(f"{self.url}/api/v1/recommend", json={"text": "老旧小区加装电梯", "top": 10})
                    if r.status_code == 200:
                        return time.perf_counter() - t0
                    raise RuntimeError(f"HTTP {r.status_code}: {r.text[:300]}")
                except httpx.TransportError:
                    time.sleep(0.25)
        raise RuntimeError("服务 30 分钟内未就绪")

    def rss_mb(self) -> float:
        import psutil

        p = psutil.Process(self.proc.pid)
        procs = [p, *p.children(recursive=True)]
        return round(sum(x.memory_info().rss for x in procs) / 2**20, 1)

    def sample_rss(self, stop: threading.Event, out: list[float], every: float = 0.5) -> None:
        """Record the server's RSS until `stop` is set (run in a thread during the load tests)."""
        while not stop.wait(every):
            try:
                out.append(self.rss_mb())
            except Exception:  # the process may be exiting; sampling must never break a run
                return

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def http_latency(url: str, texts: list[str], reps: int) -> dict:
    """One client, sequential: per-run p50/p95/p99 (each text made unique), median over runs."""
    runs = []
    with httpx.Client(timeout=120) as client:
        for rep in range(reps):
            samples = []
            for i, t in enumerate(texts):
                s = time.perf_counter()
                r = client.post(f"{url}/api/v1/recommend", json={"text": f"{t} #s{rep}-{i}", "top": 10})
                samples.append(1000 * (time.perf_counter() - s))
                r.raise_for_status()
            runs.append([float(np.percentile(samples, p)) for p in (50, 95, 99)])
    return {f"p{p}_ms": round(statistics.median(r[j] for r in runs), 1)
            for j, p in enumerate((50, 95, 99))} | {"runs": reps}


def wrk(url: str, script: Path, connections: int, seconds: int, threads: int = 2) -> dict:
    """One wrk run; returns its summary (requests/s, latency percentiles, errors)."""
    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("未安装 wrk：apt-get install -y wrk")
    out = subprocess.run([exe, "-t", str(min(threads, connections)), "-c", str(connections),
                          "-d", f"{seconds}s", "--timeout", "60s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    res = json.loads(line[len("WRKJSON "):])
    res["rps"] = round(res["requests"] / res["duration_s"], 2)
    res["connections"] = connections
    return res
