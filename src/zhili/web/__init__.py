"""Chinese web pages (server-rendered, Jinja2) for cadres on office PCs and phones.

Everything — CSS, JS, fonts fallback — is served from `/static`: government office networks are
often offline, so no page may depend on a CDN. `zhili.app.create_app` includes `router` and mounts
`STATIC_DIR` at `/static`.
"""

from __future__ import annotations

from fastapi import APIRouter

from .errors import error_page
from .pages import admin, assess, auth_pages, bundled, cases, imports, ingest, mine, rules, search, stats, users
from .templating import STATIC_DIR, templates

router = APIRouter(include_in_schema=False)
for _page in (search, cases, mine, admin, imports, bundled, ingest, rules, users, stats, assess, auth_pages):
    router.include_router(_page.router)

__all__ = ["router", "STATIC_DIR", "error_page", "templates"]
