"""The ASGI application: REST API under /api/v1, the web pages (when installed) at the root."""

from __future__ import annotations

import importlib.util
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from .. import __version__ as VERSION
from ..service import Service
from . import errors
from .deps import reject_nul
from .headers import SecurityHeaders, docs_policy, new_nonce
from .auth import SESSION_COOKIE, SESSION_MAX_AGE, LoginLimiter, secret_key
from .limits import UPLOAD_SUFFIXES, BodyLimit
from .ratelimit import AnswerBudget
from .schemas import ERROR_RESPONSES
from .settings import ApiSettings

log = logging.getLogger("zhili.api")
API_PREFIX = "/api/v1"

DESCRIPTION = """基层治理实践案例匹配与决策辅助 API。

* 问题匹配：`POST /api/v1/recommend`（结果与 `zhili recommend --json` 相同，另加 `query_id`）
* 案例库：列表、查看、新建（草稿）、修改、发布/撤回、删除、历史、导入（可 `dry_run`）、导出
* 规则包、反馈、统计、健康检查、集成令牌

认证：浏览器用会话 Cookie（写操作须带 `X-CSRF-Token`），集成系统用 `Authorization: Bearer <令牌>`。
所有错误均为 `{"error": {"code", "message", "message_en", "field"}}`。
"""


def _web(app: FastAPI) -> None:
    """Pages and static files from zhili.web, when that package is installed."""
    if importlib.util.find_spec("zhili.web") is None:  # the API runs on its own without the pages
        return
    try:
        from .. import web
    except ImportError as exc:  # a half-installed web package must not take the API down
        log.warning("zhili.web failed to import (%s); serving the API only", exc)
        return
    from fastapi.staticfiles import StaticFiles

    app.include_router(web.router)
    app.state.html_errors = getattr(web, "error_page", None)  # (request, status, message) -> Response
    app.mount("/static", StaticFiles(directory=str(web.STATIC_DIR)), name="static")


SWAGGER_DIR = Path(__file__).with_name("swagger")


def _docs(app: FastAPI) -> None:
    """/docs from the vendored Swagger UI files: offices are often offline, so no CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    app.mount("/docs-static", StaticFiles(directory=str(SWAGGER_DIR)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="zhili（治理）API 文档",
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/docs-static/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # offline: no badge
        nonce = new_nonce()  # the page's one inline start-up script runs by this nonce, nothing else
        html = page.body.decode("utf-8").replace("<script>", f'<script nonce="{nonce}">')
        return HTMLResponse(html, headers={"Content-Security-Policy": docs_policy(nonce)})


def _document_auth(app: FastAPI) -> None:
    """Declare the bearer token in the OpenAPI schema (an "Authorize" button in /docs); the
    token is optional on every operation because reading and searching may be anonymous."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "集成令牌：管理员用 `zhili users token 用户名` 或 POST /api/v1/tokens 签发"}}
            schema["security"] = [{}, {"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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

    app = FastAPI(title="zhili（治理）", version=VERSION, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan)
    app.state.service = service
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter()
    app.state.answer_budget = AnswerBudget(settings.anonymous_answers_per_minute)
    errors.install(app)

    from .routers import admin, cases, feedback, recommend, rules, session, status, transfer

    # transfer before cases: /cases/export and /cases/import must win over /cases/{case_id}
    for module in (recommend, transfer, cases, rules, feedback, status, admin, session):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=[Depends(reject_nul)],
                           responses=ERROR_RESPONSES)
    _web(app)
    _docs(app)
    _document_auth(app)

    def limit_for(path: str) -> int:
        if path.startswith(API_PREFIX) and path.endswith(UPLOAD_SUFFIXES):
            return settings.max_upload_bytes
        if path.startswith(API_PREFIX):
            return settings.max_body_bytes
        return settings.max_upload_bytes  # web forms may upload files too

    app.add_middleware(SessionMiddleware, secret_key=secret_key(), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=settings.session_https_only)
    app.add_middleware(BodyLimit, limit_for=limit_for)  # refuse before anything reads
    _outermost(app, lambda inner: SecurityHeaders(inner, session_cookie=SESSION_COOKIE))
    return app


def _outermost(app: FastAPI, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
    """Wrap the whole middleware stack, Starlette's ServerErrorMiddleware included, so that even
    a 500 page and a 413 from BodyLimit carry the security headers."""
    build = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return wrap(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]
