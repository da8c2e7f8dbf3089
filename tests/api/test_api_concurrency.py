"""Real concurrency: a uvicorn server in this process, several client threads recommending while
an editor adds and publishes cases. Every request must succeed, and each published case must be
the top answer for its own text in the very next request."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import uvicorn
from api_helpers import Api, new_case

QUERIES = ["老旧小区加装电梯，一楼反对", "物业跑路了垃圾没人清", "天价彩礼怎么治", "村里停车难",
           "外卖骑手纳入社区治理", "独居老人助餐"]
TITLES = ["鹊桥议事茶话会化解晾衣杆纠纷", "候鸟老人异地就医互助点", "渔港夜市油烟共治公约"]


class Server:
    """uvicorn on an ephemeral loopback port, in a thread; stopped on exit."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def test_concurrent_reads_and_writes(api: Api) -> None:
    with Server(api.client.app) as base:
        def reader(i: int) -> list[int]:
            with httpx.Client(base_url=base, timeout=60) as http:
                codes = []
                for q in QUERIES:
                    resp = http.post("/api/v1/recommend", json={"text": q, "top": 3 + i % 3})
                    codes.append(resp.status_code)
                    assert resp.status_code != 200 or len(resp.json()["results"]) == 3 + i % 3
                return codes

        def writer() -> list[tuple[str, str]]:
            found = []
            with httpx.Client(base_url=base, timeout=60, headers=api.auth("editor")) as http:
                for title in TITLES:
                    case = new_case(title)
                    assert http.post("/api/v1/cases", json=case, params={"status": "published"}).status_code == 201
                    top = http.post("/api/v1/recommend", json={"text": title, "top": 1}).json()["results"][0]
                    found.append((case["id"], top["case_id"]))
            return found

        with ThreadPoolExecutor(max_workers=5) as pool:
            readers = [pool.submit(reader, i) for i in range(4)]
            written = pool.submit(writer)
            codes = [c for f in readers for c in f.result(timeout=300)]
            pairs = written.result(timeout=300)
    assert codes == [200] * len(codes) and len(codes) == 4 * len(QUERIES)
    assert all(expected == got for expected, got in pairs), pairs
    health = api.client.get("/api/v1/health", headers=api.auth("admin")).json()
    assert health["ok"] and health["index"]["revision"] == health["db"]["revision"]
