"""Load and fault: 50 clients for 60 s against `zhili serve`, restarted once mid-run (issue 9).

    python benchmarks/load_fault.py [--clients 50] [--seconds 60] [--editors 6] [--db-url URL]

Loopback only, bounded in time. Searchers (viewer tokens; real citizen messages from
../shared/bench/messages when present, else built-in problems) post `/recommend`; editors create,
update, publish, unpublish, delete and import cases in their own id ranges and remember every
write the server acknowledged (2xx). Half-way through the server gets `kill -TERM` and is started
again on the same workspace and database.

Reported: requests, errors inside and outside the restart window (outside must be 0), p50/p95
latency, acknowledged writes, lost writes (an acknowledged final state that the database does not
hold; must be 0), and whether an engine rebuilt from scratch from the database answers exactly
like the running server (same ids, same order, scores within 1e-6).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = ROOT.parent / "shared" / "bench" / "messages" / "messages.jsonl"
FALLBACK = ["老旧小区想加装电梯，一楼住户坚决反对", "小区物业跑路了，垃圾没人清，找谁？", "天价彩礼怎么治理",
            "外卖骑手怎么纳入社区治理", "村里的集体资产账目不清", "楼下烧烤店油烟噪音扰民"]
ZHILI = Path(sys.executable).with_name("zhili")


def problems() -> list[str]:
    if MESSAGES.is_file():
        texts = []
        for line in MESSAGES.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                text = rec.get("text") or rec.get("message") or rec.get("content") or ""
                if text.strip():
                    texts.append(text.strip()[:300])
        if texts:
            return texts
    return FALLBACK


@dataclass
class Log:
    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: list[tuple[float, float, str, int]] = field(default_factory=list)  # start, seconds, kind, status (0 = no answer)

    def add(self, start: float, seconds: float, kind: str, status: int) -> None:
        with self.lock:
            self.rows.append((start, seconds, kind, status))


class Server:
    def __init__(self, home: Path, port: int, env: dict[str, str]):
        self.home, self.port, self.env = home, port, env
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> float:
        t0 = time.monotonic()
        log = (self.home / "server.log").open("a")
        self.proc = subprocess.Popen([str(ZHILI), "serve", "--port", str(self.port), "--log-level", "warning"],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < 120:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.home / 'server.log'}")
            time.sleep(0.1)
        raise RuntimeError("server did not start in 120 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def tokens(env: dict[str, str], editors: int) -> tuple[str, list[str]]:
    """A viewer token for the searchers and one editor token per editor (the CLI, as an admin would)."""
    def run(*args: str) -> str:
        out = subprocess.run([str(ZHILI), "users", *args], env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1].split()[-1]

    subprocess.run([str(ZHILI), "users", "create", "searcher", "--role", "viewer", "--password", "load-test-password-1"],
                   env=env, check=True, capture_output=True)
    viewer = run("token", "searcher")
    out = []
    for i in range(editors):
        subprocess.run([str(ZHILI), "users", "create", f"editor{i}", "--role", "editor", "--password", "load-test-password-1"],
                       env=env, check=True, capture_output=True)
        out.append(run("token", f"editor{i}"))
    return viewer, out


def case_body(cid: str, n: int) -> dict:
    title = f"第{n}次压测议事协商做法（{cid}）"
    return {"id": cid, "title": title, "province": "浙江", "level": "村社区", "year": 2024,
            "problem": f"{cid} 楼道堆物、停车难，邻里矛盾多次调解无果", "practice": f"{cid} 建立楼道议事会，逐户协商，积分兑换",
            "domains": ["议事协商"], "leadership": ["机制引领"]}


def searcher(server: Server, token: str, texts: list[str], stop: threading.Event, log: Log) -> None:
    rng = random.Random()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                status = c.post("/api/v1/recommend", json={"text": rng.choice(texts), "top": 10}).status_code
            except httpx.HTTPError:
                status = 0
            log.add(t0, time.monotonic() - t0, "search", status)
            if status == 0:
                time.sleep(0.25)  # the server is down: a client retries after a pause, not in a spin


def editor(server: Server, token: str, me: int, stop: threading.Event, log: Log, truth: dict) -> None:
    """Random writes in this editor's id range; `truth[id]` = the acknowledged final state:
    None (deleted) or (status, title)."""
    rng = random.Random(me)
    n = 0
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        while not stop.is_set():
            mine = [i for i, v in truth.items() if isinstance(v, tuple)]
            op = rng.choice(["create", "create", "update", "publish", "unpublish", "delete", "import"]) if mine else "create"
            t0 = time.monotonic()
            n += 1
            try:
                if op == "create":
                    cid = f"load-{me}-{n:05d}"
                    body = case_body(cid, n)
                    r = c.post("/api/v1/cases", params={"status": "published"}, json=body)
                    if r.status_code == 201:
                        truth[cid] = ("published", body["title"])
                elif op == "update":
                    cid = rng.choice(mine)
                    body = case_body(cid, n)
                    r = c.put(f"/api/v1/cases/{cid}", json=body)
                    if r.status_code == 200:
                        truth[cid] = (r.json()["status"], body["title"])
                elif op in ("publish", "unpublish"):
                    cid = rng.choice(mine)
                    r = c.post(f"/api/v1/cases/{cid}/{op}")
                    if r.status_code == 200:
                        truth[cid] = (r.json()["status"], truth[cid][1])
                elif op == "delete":
                    cid = rng.choice(mine)
                    r = c.delete(f"/api/v1/cases/{cid}")
                    if r.status_code == 204:
                        truth[cid] = None
                else:
                    cid = f"load-{me}-{n:05d}"
                    body = case_body(cid, n)
                    data = (json.dumps(body, ensure_ascii=False) + "\n").encode()
                    r = c.post("/api/v1/cases/import", files={"file": ("c.jsonl", data, "application/json")},
                               data={"status": "published"})
                    if r.status_code == 200:
                        truth[cid] = ("published", body["title"])
                status = r.status_code
            except httpx.HTTPError:
                status = 0  # no answer: the write may or may not have happened — not acknowledged
                if op in ("create", "import"):
                    truth.setdefault(f"load-{me}-{n:05d}", "unknown")
                else:
                    truth[cid] = "unknown"
            log.add(t0, time.monotonic() - t0, op, status)
            time.sleep(rng.uniform(0.05, 0.3) + (0.25 if status == 0 else 0.0))


def lost_writes(server: Server, token: str, truths: list[dict]) -> tuple[int, int]:
    acked, lost = 0, 0
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        for truth in truths:
            for cid, want in truth.items():
                if want == "unknown":
                    continue
                acked += 1
                r = c.get(f"/api/v1/cases/{cid}")
                if want is None:
                    lost += r.status_code != 404
                else:
                    lost += not (r.status_code == 200 and (r.json()["status"], r.json()["title"]) == want)
    return acked, lost


def rebuild_matches(server: Server, env: dict[str, str], texts: list[str], token: str) -> tuple[int, int]:
    """(probes, probes answered identically) — a from-scratch engine in another index directory."""
    probe = subprocess.run([sys.executable, "-c", REBUILD, json.dumps(texts[:20], ensure_ascii=False)],
                           env=env, capture_output=True, text=True, check=True)
    expected = json.loads(probe.stdout.strip().splitlines()[-1])
    same = 0
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        for text, want in zip(texts[:20], expected):
            got = [[r["case_id"], r["score"]] for r in c.post("/api/v1/recommend", json={"text": text, "top": 10}).json()["results"]]
            same += [i for i, _ in got] == [i for i, _ in want] and all(abs(a[1] - b[1]) <= 1e-6 for a, b in zip(got, want))
    return len(expected), same


REBUILD = r"""
import json, sys, tempfile
from pathlib import Path
from zhili.store import Store
from zhili.wiring import cases_engine
with Store.open() as store:
    cases = sorted(store.cases.published(), key=lambda c: c.id)
engine = cases_engine(cases, Path(tempfile.mkdtemp()) / "scratch", rebuild=True)
out = [[[r.case_id, r.score] for r in engine.recommend(t, top_k=10).results] for t in json.loads(sys.argv[1])]
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--editors", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--db-url", default=None, help="a PostgreSQL URL (default: SQLite in the workspace)")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="zhili-loadfault-"))
    env = {**os.environ, "ZHILI_HOME": str(home)}
    if args.db_url:
        env["ZHILI_DB_URL"] = args.db_url
    viewer, editor_tokens = tokens(env, args.editors)
    server = Server(home, args.port, env)
    print(f"workspace {home}; first start {server.start():.1f} s")
    texts = problems()
    stop, log = threading.Event(), Log()
    truths = [dict() for _ in editor_tokens]
    threads = [threading.Thread(target=searcher, args=(server, viewer, texts, stop, log))
               for _ in range(args.clients - args.editors)]
    threads += [threading.Thread(target=editor, args=(server, tok, i, stop, log, truths[i]))
                for i, tok in enumerate(editor_tokens)]
    t_start = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds / 2)
    down = time.monotonic()
    server.stop()
    restart_s = server.start()
    up = time.monotonic()
    time.sleep(max(0.0, args.seconds - (up - t_start)))
    stop.set()
    for t in threads:
        t.join()
    rows = log.rows
    window = lambda r: down - 1.0 <= r[0] <= up + 1.0  # noqa: E731 - requests in flight at the kill count too
    errors_out = [r for r in rows if (r[3] == 0 or r[3] >= 500) and not window(r)]
    errors_in = [r for r in rows if (r[3] == 0 or r[3] >= 500) and window(r)]
    refused = [r for r in rows if 400 <= r[3] < 500]
    searches = sorted(r[1] for r in rows if r[2] == "search" and 200 <= r[3] < 300)
    writes = [r for r in rows if r[2] != "search"]
    acked, lost = lost_writes(server, editor_tokens[0], truths)  # drafts are visible to editors
    probes, same = rebuild_matches(server, env, texts, viewer)
    server.stop()
    q = statistics.quantiles(searches, n=20) if len(searches) > 20 else [float("nan")] * 19
    print(json.dumps({
        "clients": args.clients, "editors": args.editors, "seconds": round(time.monotonic() - t_start, 1),
        "requests": len(rows), "searches_ok": len(searches), "writes": len(writes),
        "restart_window_s": round(up - down, 2), "restart_start_s": round(restart_s, 2),
        "errors_outside_window": len(errors_out), "errors_in_window": len(errors_in), "refused_4xx": len(refused),
        "search_p50_ms": round(statistics.median(searches) * 1000, 1) if searches else None,
        "search_p95_ms": round(q[18] * 1000, 1),
        "writes_acknowledged": sum(1 for r in writes if 200 <= r[3] < 300),
        "final_states_checked": acked, "lost_writes": lost,
        "rebuild_probes": probes, "rebuild_identical": same,
    }, ensure_ascii=False, indent=1))
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
