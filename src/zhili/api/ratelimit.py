"""A brake on anonymous matching: each client (see `login.client_of`) may have so many answers
computed per minute. Signed-in callers are accountable and are not limited here.

Costs are counted in answers, not requests: one `/recommend` (or one search on the page) is 1,
a batch of N work orders is N, so a script cannot get around the brake by batching.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from ..access.errors import ApiError

MAX_CLIENTS = 10_000  # bounded memory under a spray of addresses


class AnswerBudget:
    """At most `per_minute` answers per client in any 60 s; 0 turns the brake off."""

    window = 60.0

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._spent: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[tuple[float, int]]:
        q = self._spent.setdefault(client, deque())
        while q and now - q[0][0] >= self.window:
            q.popleft()
        return q

    def _prune(self, now: float) -> None:
        for key in [k for k, q in self._spent.items() if not q or now - q[-1][0] >= self.window]:
            del self._spent[key]
        if len(self._spent) > MAX_CLIENTS:
            self._spent.clear()

    def take(self, client: str, cost: int = 1) -> None:
        """Spend `cost` answers for `client`, or raise 429 (with Retry-After) when over budget."""
        if self.per_minute <= 0:
            return
        with self._lock:
            now = time.monotonic()
            if len(self._spent) > MAX_CLIENTS:
                self._prune(now)
            q = self._recent(client, now)
            spent = sum(c for _, c in q)
            if spent + cost > self.per_minute:
                wait = int(self.window - (now - q[0][0])) + 1 if q else int(self.window)
                raise ApiError(429, "too_many_requests",
                               f"匿名查询过于频繁：每分钟最多 {self.per_minute} 条结果（本次需要 {cost} 条），"
                               f"请 {wait} 秒后再试，或登录后使用",
                               f"Anonymous limit of {self.per_minute} answers per minute reached",
                               headers={"Retry-After": str(wait)})
            q.append((now, cost))
