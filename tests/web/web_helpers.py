"""Helpers shared by the web tests (imported by name: tests/web is on sys.path under pytest)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "Test-pass-2026"


@dataclass
class Site:
    url: str
    home: Path
    service: Any  # zhili.service.Service, for checking what was stored


def login(browser: Any, site: Site, username: str, **context_args: Any) -> Any:
    """A fresh browser context (own cookies) signed in as `username`; returns its page."""
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **context_args)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    return page


def csrf_of(page: Any) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


@contextmanager
def page_client(home: Path, users: Iterable[tuple[str, str]], settings: Any = None) -> Iterator[tuple[Any, Any]]:
    """(TestClient, Service) on the real app over a fresh SQLite file in `home`, with `users`
    (name, role) created: the pages' server-side behaviour without a browser."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    mp.delenv("ZHILI_DB_URL", raising=False)
    from fastapi.testclient import TestClient

    from zhili.app import create_app
    from zhili.service import Service

    service = Service.open(f"sqlite:///{home / 'zhili.db'}")
    try:
        for name, role in users:
            service.store.users.create(name, PASSWORD, role)
        with TestClient(create_app(service, settings)) as client:
            yield client, service
    finally:
        service.close()
        mp.undo()
