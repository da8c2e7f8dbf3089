"""One error shape for every failure: `{"error": {"code", "message", "message_en", "field"}}`.

Integrators branch on `code`, cadres read `message` (Chinese), logs keep `message_en`, and
`field` names the request field or upload row at fault. Framework errors (404, 405, 422 …) are
translated here so that no HTML page or bare `{"detail": …}` ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("zhili.api")

# status → (code, Chinese, English) for errors raised by the framework itself
STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式不正确", "Bad request"),
    401: ("unauthorized", "请先登录或提供有效的访问令牌", "Authentication required"),
    403: ("forbidden", "当前账号没有执行此操作的权限", "Permission denied"),
    404: ("not_found", "请求的资源不存在", "Not found"),
    405: ("method_not_allowed", "不支持此请求方法", "Method not allowed"),
    406: ("not_acceptable", "无法以请求的格式返回结果", "Not acceptable"),
    409: ("conflict", "与现有数据冲突", "Conflict"),
    413: ("payload_too_large", "请求内容过大", "Request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    422: ("validation_error", "请求内容有误", "Validation error"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试", "Too many requests"),
    500: ("internal_error", "服务器内部错误，请稍后再试或联系管理员", "Internal server error"),
    503: ("unavailable", "服务暂不可用", "Service unavailable"),
}


class ApiError(StarletteHTTPException):
    """An error with the project's JSON body; raise it anywhere in a request."""

    def __init__(self, status: int, code: str, message: str, message_en: str = "",
                 field: str | None = None, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.message_en = message_en or STATUS_TEXT.get(status, ("", "", ""))[2]
        self.field = field
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "message_en": self.message_en,
                          "field": self.field, **self.extra}}


def error_body(status: int, message: str | None = None, field: str | None = None,
               code: str | None = None, message_en: str | None = None) -> dict[str, Any]:
    default_code, zh, en = STATUS_TEXT.get(status, ("error", "请求失败", "Request failed"))
    return {"error": {"code": code or default_code, "message": message or zh,
                      "message_en": message_en or en, "field": field}}


def error_response(status: int, message: str | None = None, field: str | None = None,
                   code: str | None = None, message_en: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, field, code, message_en), status_code=status,
                        headers=headers)


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", STATUS_TEXT[401][1], STATUS_TEXT[401][2],
                    headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str = STATUS_TEXT[403][1]) -> ApiError:
    return ApiError(403, "forbidden", message, STATUS_TEXT[403][2])


def not_found(what: str, ident: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"{what}“{ident}”不存在", f"{what} not found: {ident}",
                    field=field)


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


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on `app`."""
    from ..engine import EmptyLibraryError

    app.add_exception_handler(EmptyLibraryError, _empty_library)
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _server_error)
