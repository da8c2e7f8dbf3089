"""One error shape for every refusal: `{"error": {"code", "message", "message_en", "field"}}`.

Integrators branch on `code`, cadres read `message` (Chinese), logs keep `message_en`, and
`field` names the request field or upload row at fault. Raised by the API's routes and by the
access checks both the API and the web pages run (auth, CSRF, review); `zhili.api.errors`
turns them into responses, and a person at a browser gets the page `zhili.web` renders instead.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
