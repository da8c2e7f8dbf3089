"""The app's error handlers: every failure leaves as the one error shape (`zhili.access.errors`).

Framework errors (404, 405, 422 …) are translated here so that no bare `{"detail": …}` ever
reaches a client; outside /api a browser asking for HTML gets the page the composition root
registered (`app.state.html_errors`, zhili.web's error page) instead of JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..access.errors import STATUS_TEXT, ApiError, error_body, error_response

log = logging.getLogger("zhili.api")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'filters', 0, 'level') → 'filters[0].level' (the request part is left out)."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _validation_reason(err: dict[str, Any]) -> str:
    from ..cases.errors import _reason

    kind = err.get("type", "")
    if kind == "json_invalid":
        return f"不是合法的 JSON：{(err.get('ctx') or {}).get('error', '')}".rstrip("：")
    if kind in ("missing",):
        return "缺少必填字段"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        ctx = err.get("ctx") or {}
        bound = next(iter(ctx.values()), "")
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤",
                "less_than": "<"}[kind]
        return f"取值必须 {sign} {bound}"
    if kind == "literal_error" or kind == "enum":
        return f"取值无效，可选：{(err.get('ctx') or {}).get('expected', '')}"
    if kind in ("bool_parsing", "bool_type"):
        return "必须是 true 或 false"
    if kind == "string_unicode":
        return "不是有效的文本（含有无法识别的 Unicode 字符）"
    if kind == "string_pattern_mismatch":
        return "格式不正确（不能含空格等字符）"
    return _reason(err)


async def _validation_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = _field(first.get("loc", ())) or None
    if first.get("type") == "json_invalid":
        field = None
    details = [{"field": None if e.get("type") == "json_invalid" else _field(e.get("loc", ())),
                "message": _validation_reason(e),
                "message_en": str(e.get("msg", ""))} for e in errors[:50]]
    message = _validation_reason(first) if first else STATUS_TEXT[422][1]
    if field:
        message = f"字段 {field}：{message}"
    body = error_body(422, message, field, "invalid_json" if first.get("type") == "json_invalid"
                      else "validation_error", str(first.get("msg", "")) or None)
    body["error"]["details"] = details
    return JSONResponse(body, status_code=422)


def _page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    """An HTML error page for a browser on a web page (not /api), when zhili.web offers one."""
    render = getattr(request.app.state, "html_errors", None)
    if render is None or request.url.path == "/api" or request.url.path.startswith("/api/"):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    try:
        page = render(request, status, message)
    except Exception:  # noqa: BLE001 - a broken error page must not hide the original error
        log.exception("error page failed for %s", request.url.path)
        return None
    for name, value in (headers or {}).items():  # e.g. Allow on 405
        page.headers[name] = value
    return page


async def _http_handler(request: Request, exc: StarletteHTTPException) -> Any:
    if isinstance(exc, ApiError):
        page = _page(request, exc.status_code, exc.message, exc.headers)
        return page or JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, str) else None
    code, zh, en = STATUS_TEXT.get(exc.status_code, ("error", "请求失败", "Request failed"))
    return _page(request, exc.status_code, zh, exc.headers) or error_response(
        exc.status_code, zh, None, code, detail or en, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Any:
    """500: the log gets the traceback, the client a generic message (HTML page or JSON)."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _page(request, 500, STATUS_TEXT[500][1]) or error_response(500)


async def _empty_library(request: Request, exc: Exception) -> Any:
    """Any route that needs the engine while no case is published: 503 saying what to do."""
    message = f"{exc}（或在案例库中发布至少一个案例）"
    return _page(request, 503, message) or error_response(
        503, message, None, "empty_library", "The case library has no published cases")


async def _incomplete_case(request: Request, exc: Exception) -> Any:
    """Publishing a case without problem/practice or a named source: 422 naming the field."""
    message = str(exc)
    field = getattr(exc, "field", None) or None
    return _page(request, 422, message) or error_response(
        422, message, field, "incomplete_case", "The case lacks what a published case must have")


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on `app`."""
    from ..engine import EmptyLibraryError
    from ..store.errors import CaseIncompleteError

    app.add_exception_handler(EmptyLibraryError, _empty_library)
    app.add_exception_handler(CaseIncompleteError, _incomplete_case)
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _server_error)
