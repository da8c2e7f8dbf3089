"""The ASGI application: the REST API under /api/v1 and the web pages at the root, on one port.

This is the composition root of the HTTP side and the only module that imports both `zhili.api`
and `zhili.web`; the two share only `zhili.access` (sessions, tokens, CSRF, roles, review, error
shape, security headers) and the `Service` found on `app.state`.

    from zhili.app import create_app
    app = create_app()          # Service.open() on ZHILI_DB_URL / the workspace database
"""

from __future__ import annotations

import importlib.util
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from . import __version__ as VERSION
from . import api
from .access.auth import SESSION_COOKIE, SESSION_MAX_AGE, LoginLimiter, secret_key
from .access.headers import SecurityHeaders
from .api.limits import UPLOAD_SUFFIXES, BodyLimit
from .api.ratelimit import AnswerBudget
from .api.settings import ApiSettings
from .service import Service

log = logging.getLogger("zhili.api")


def create_app(service: Service | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """Build the app around `service` (default: `Service.open()` on the configured database).

    A service passed in stays the caller's to close; one opened here is closed on shutdown.
    """
    settings = settings or ApiSettings.load()
    owned = service is None
    service = service or Service.open()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            service.close()

    app = FastAPI(title="zhili（治理）", version=VERSION, description=api.DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan)
    app.state.service = service
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter()
    app.state.answer_budget = AnswerBudget(settings.anonymous_answers_per_minute)
    api.install(app)
    _web(app)
    api.install_docs(app)

    def limit_for(path: str) -> int:
        if path.startswith(api.API_PREFIX) and path.endswith(UPLOAD_SUFFIXES):
            return settings.max_upload_bytes
        if path.startswith(api.API_PREFIX):
            return settings.max_body_bytes
        return settings.max_upload_bytes  # web forms may upload files too

    app.add_middleware(SessionMiddleware, secret_key=secret_key(), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=settings.session_https_only)
    app.add_middleware(BodyLimit, limit_for=limit_for)  # refuse before anything reads
    _outermost(app, lambda inner: SecurityHeaders(inner, session_cookie=SESSION_COOKIE))
    return app


def _web(app: FastAPI) -> None:
    """Pages, their error page and static files from zhili.web, when that package is installed."""
    if importlib.util.find_spec("zhili.web") is None:  # the API runs on its own without the pages
        return
    try:
        from . import web
    except ImportError as exc:  # a half-installed web package must not take the API down
        log.warning("zhili.web failed to import (%s); serving the API only", exc)
        return
    from fastapi.staticfiles import StaticFiles

    app.include_router(web.router)
    app.state.html_errors = web.error_page  # (request, status, message) -> Response
    app.mount("/static", StaticFiles(directory=str(web.STATIC_DIR)), name="static")


def _outermost(app: FastAPI, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
    """Wrap the whole middleware stack, Starlette's ServerErrorMiddleware included, so that even
    a 500 page and a 413 from BodyLimit carry the security headers."""
    build = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return wrap(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]
