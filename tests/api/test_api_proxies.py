"""Issue 9: X-Forwarded-For counts only from configured proxies, so rotating it does not reset the
login limit — through the ASGI app, and through a real uvicorn started the way `zhili serve` does."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from api_helpers import PASSWORD, Api
from fastapi.testclient import TestClient

from zhili.access.auth import LoginLimiter
from zhili.access.proxies import client_address, parse_networks
from zhili.api.settings import ApiSettings

LOGIN = "/api/v1/auth/login"
WRONG = {"username": "viewer", "password": "wrong-password"}


@contextmanager
def _limit(api: Api, attempts: int = 3, trusted: list[str] | None = None) -> Iterator[LoginLimiter]:
    """A fresh, small login limit (each failed try costs an argon2 hash) and trusted proxies, restored after."""
    state = api.client.app.state
    saved = state.login_limiter, state.settings.trusted_proxies
    state.login_limiter, state.settings.trusted_proxies = LoginLimiter(attempts=attempts), trusted or []
    try:
        yield state.login_limiter
    finally:
        state.login_limiter, state.settings.trusted_proxies = saved


def _codes(post, headers_for, n: int = 4, body: dict | None = None) -> list[int]:
    return [post(LOGIN, json=body or WRONG, headers=headers_for(i)).status_code for i in range(n)]


def test_rotating_forwarded_for_from_an_untrusted_peer_still_hits_the_limit(api: Api) -> None:
    local = TestClient(api.client.app, client=("127.0.0.1", 40001))  # loopback, as a local attacker
    with _limit(api):
        codes = _codes(local.post, lambda i: {"X-Forwarded-For": f"198.51.100.{i}"})
        assert codes == [401, 401, 401, 429]
        # the right password waits too: the limit is on this address and name
        assert local.post(LOGIN, json={"username": "viewer", "password": PASSWORD}).status_code == 429


def test_case_and_width_variants_of_a_name_share_one_limit(api: Api) -> None:
    client = TestClient(api.client.app)
    with _limit(api):
        names = ["viewer", "VIEWER", "Viewer", "ｖｉｅｗｅｒ"]
        codes = [client.post(LOGIN, json={"username": n, "password": "wrong-password"}).status_code for n in names]
        assert codes == [401, 401, 401, 429]


def test_a_trusted_proxy_passes_the_client_address_on(api: Api) -> None:
    proxy = TestClient(api.client.app, client=("10.0.0.5", 40002))
    with _limit(api, trusted=["10.0.0.0/24"]):
        # each forwarded client has its own budget …
        assert _codes(proxy.post, lambda i: {"X-Forwarded-For": f"203.0.113.{i}"}) == [401] * 4
        # … and one client behind the proxy meets the limit, whatever it puts in front of its address
        spoofed = _codes(proxy.post, lambda i: {"X-Forwarded-For": f"198.51.100.{i}, 203.0.113.99"})
        assert spoofed == [401, 401, 401, 429]
        # an untrusted peer sending the same header is judged by its own address
        other = TestClient(api.client.app, client=("192.0.2.1", 40003))
        assert _codes(other.post, lambda i: {"X-Forwarded-For": f"203.0.113.{50 + i}"}) == [401, 401, 401, 429]


def test_forwarded_for_parsing() -> None:
    nets = parse_networks(["10.0.0.0/8", "::1"])
    assert client_address("10.1.2.3", ["203.0.113.7, 10.0.0.9"], nets) == "203.0.113.7"
    assert client_address("10.1.2.3", ["203.0.113.7:5123"], nets) == "203.0.113.7"
    assert client_address("::1", ["[2001:db8::5]:443"], nets) == "2001:db8::5"
    assert client_address("10.1.2.3", ["garbage"], nets) == "garbage"
    assert client_address("10.1.2.3", [], nets) == "10.1.2.3"
    assert client_address("10.1.2.3", ["10.0.0.1", "10.0.0.2"], nets) == "10.0.0.1"  # all hops trusted
    assert client_address("192.0.2.1", ["203.0.113.7"], nets) == "192.0.2.1"
    assert client_address("10.1.2.3", ["203.0.113.7"], ()) == "10.1.2.3"  # default: trust nobody


def test_trusted_proxies_and_token_days_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ApiSettings().trusted_proxies == [] and ApiSettings().token_days == 90
    assert ApiSettings().require_review is False
    with pytest.raises(ValueError, match="不是 IP 地址或网段"):
        ApiSettings(trusted_proxies=["proxy.example"])
    with pytest.raises(ValueError, match="有效期"):
        ApiSettings(token_days=0)
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    (tmp_path / "zhili.toml").write_text('[api]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\n'
                                         'token_days = 30\nrequire_review = true\n', encoding="utf-8")
    loaded = ApiSettings.load()
    assert loaded.trusted_proxies == ["127.0.0.1", "10.0.0.0/8"] and len(loaded.proxy_networks) == 2
    assert loaded.token_days == 30 and loaded.require_review is True
    (tmp_path / "zhili.toml").write_text('[api]\ntrusted_proxies = ["10.0.0.300"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"zhili\.toml.*10\.0\.0\.300"):
        ApiSettings.load()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_zhili_serve_does_not_let_uvicorn_believe_forwarded_for(api: Api) -> None:
    """uvicorn's default trusts X-Forwarded-For from 127.0.0.1; `zhili serve` turns that off."""
    import uvicorn

    from zhili.cli.serve import UVICORN_OPTIONS

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(api.client.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", **UVICORN_OPTIONS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        with _limit(api), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            codes = _codes(http.post, lambda i: {"X-Forwarded-For": f"198.51.100.{i}"})
        assert codes == [401, 401, 401, 429]
    finally:
        server.should_exit = True
        thread.join(10)
