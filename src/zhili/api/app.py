"""The REST API's part of the app: its routes under /api/v1, its error handlers and /docs.

`zhili.app.create_app` builds the application and calls `install`; the API itself never
imports the web pages (they share only `zhili.access`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from ..access.headers import docs_policy, new_nonce
from . import errors
from .deps import reject_nul
from .schemas import ERROR_RESPONSES

API_PREFIX = "/api/v1"

DESCRIPTION = """基层治理实践案例匹配与决策辅助 API。

* 问题匹配：`POST /api/v1/recommend`（结果与 `zhili recommend --json` 相同，另加 `query_id`）
* 案例库：列表、查看、新建（草稿）、修改、发布/撤回、删除、历史、导入（可 `dry_run`）、导出
* 规则包、反馈、统计、健康检查、集成令牌
* 测评（党组织健康指数、能力图谱）：模板、导入、总览、预警与对症案例、诊断报告

认证：浏览器用会话 Cookie（写操作须带 `X-CSRF-Token`），集成系统用 `Authorization: Bearer <令牌>`。
所有错误均为 `{"error": {"code", "message", "message_en", "field"}}`。
"""

SWAGGER_DIR = Path(__file__).with_name("swagger")


def install(app: FastAPI) -> None:
    """Error handlers, the /api/v1 routers and the offline /docs page on `app`."""
    errors.install(app)
    from .routers import admin, assessments, cases, feedback, ingest, recommend, rules, session, status, transfer

    # transfer before cases: /cases/export and /cases/import must win over /cases/{case_id}
    for module in (recommend, transfer, cases, rules, feedback, status, admin, session, assessments, ingest):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=[Depends(reject_nul)],
                           responses=ERROR_RESPONSES)


def install_docs(app: FastAPI) -> None:
    """/docs from the vendored Swagger UI files (offices are often offline, so no CDN), with the
    bearer token declared in the OpenAPI schema."""
    _docs(app)
    _document_auth(app)


def _docs(app: FastAPI) -> None:
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
