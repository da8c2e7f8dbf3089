"""Password login with a brake: failed attempts are counted per client address and user name.

The client address is the TCP peer unless that peer is a configured proxy (`proxies.py`), and
the name is counted by its canonical key, so `Admin`, `ADMIN` and `ａｄｍｉｎ` share one budget.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from fastapi import Request

from ..store.usernames import lookup_key
from .errors import ApiError
from .proxies import client_address

if TYPE_CHECKING:
    from ..store import User


class LoginLimiter:
    """At most `attempts` failed logins per client and user name in `window` seconds."""

    def __init__(self, attempts: int = 10, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def check(self, client: str, username: str) -> None:
        with self._lock:
            if len(self._recent((client, username), time.monotonic())) >= self.attempts:
                raise ApiError(429, "too_many_logins", "登录失败次数过多，请 5 分钟后再试",
                               "Too many failed logins; try again later")

    def failed(self, client: str, username: str) -> None:
        with self._lock:
            self._recent((client, username), time.monotonic()).append(time.monotonic())
            if len(self._failures) > 10_000:  # bounded memory under a spray of names
                self._failures.clear()

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client, username), None)


def client_of(request: Request) -> str:
    """The client's address; `X-Forwarded-For` counts only from `[api] trusted_proxies`."""
    peer = request.client.host if request.client else "-"
    settings = getattr(request.app.state, "settings", None)
    nets = settings.proxy_networks if settings is not None else ()
    return client_address(peer, request.headers.getlist("x-forwarded-for"), nets)


def authenticate(request: Request, username: str, password: str) -> "User":
    """Check a password (rate-limited per client and name); 401 on failure."""
    limiter: LoginLimiter = request.app.state.login_limiter
    client = client_of(request)
    name = lookup_key(username)[:200] if isinstance(username, str) else ""
    limiter.check(client, name)
    user = request.app.state.service.store.users.authenticate(username, password)
    if user is None or not getattr(user, "active", True):
        limiter.failed(client, name)
        raise ApiError(401, "bad_credentials", "用户名或密码不正确", "Wrong user name or password",
                       field="password")
    limiter.succeeded(client, name)
    return user


