"""A real server (uvicorn on a free port, real SQLite file in a temp ZHILI_HOME) and Debian's
chromium driven by Playwright. One server and one browser per test module: starting them is the
slow part (a few seconds), the pages themselves are fast."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from web_helpers import CHROMIUM, PASSWORD, Site, login

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    home = tmp_path_factory.mktemp("web-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    mp.delenv("ZHILI_DB_URL", raising=False)
    from zhili.app import create_app
    from zhili.service import Service

    service = Service.open(f"sqlite:///{home / 'zhili.db'}")
    for name, role in (("viewer1", "viewer"), ("editor1", "editor"), ("admin1", "admin")):
        service.store.users.create(name, PASSWORD, role)
    service.engine()  # build the index now rather than inside the first page load
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", home, service)
    finally:
        server.should_exit = True
        thread.join(10)
        service.close()
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("需要 Debian 的 chromium（/usr/bin/chromium），CI 会安装；本机未找到，跳过网页测试")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def _editor_context(browser: object, site: Site) -> Iterator[object]:
    page = login(browser, site, "editor1")  # one sign-in per module; each test gets a fresh tab
    yield page.context
    page.context.close()


@pytest.fixture(scope="module")
def _viewer_context(browser: object, site: Site) -> Iterator[object]:
    page = login(browser, site, "viewer1")
    yield page.context
    page.context.close()


@pytest.fixture
def editor_page(_editor_context: object) -> Iterator[object]:
    page = _editor_context.new_page()
    yield page
    page.close()


@pytest.fixture
def viewer_page(_viewer_context: object) -> Iterator[object]:
    page = _viewer_context.new_page()
    yield page
    page.close()
