"""Small dependencies shared by the routers: the service, content-type checks, error mapping."""

from __future__ import annotations

import email.message
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from ..access.errors import ApiError
from ..cases.errors import validation_messages
from ..engine import EmptyLibraryError, QueryError
from ..service import Service


def get_service(request: Request) -> Service:
    return request.app.state.service


def _media(request: Request) -> tuple[str, str]:
    value = request.headers.get("content-type", "")
    if not value:
        return "", ""
    msg = email.message.Message()
    msg["content-type"] = value
    return msg.get_content_maintype(), msg.get_content_subtype()


def unsupported(expected: str, got: str) -> ApiError:
    return ApiError(415, "unsupported_media_type", f"不支持的内容类型“{got or '未指定'}”，请使用 {expected}",
                    f"Unsupported media type {got or '(none)'}; use {expected}",
                    field="content-type")


async def require_json(request: Request) -> None:
    """JSON routes refuse other bodies with 415 (instead of a confusing validation error)."""
    main, sub = _media(request)
    if main == "application" and (sub == "json" or sub.endswith("+json")):
        return
    raise unsupported("application/json", request.headers.get("content-type", ""))


async def require_multipart(request: Request) -> None:
    """Upload routes take `multipart/form-data` with a `file` part."""
    main, sub = _media(request)
    if (main, sub) != ("multipart", "form-data"):
        raise unsupported("multipart/form-data（文件字段名 file）", request.headers.get("content-type", ""))


def engine_error(exc: QueryError | EmptyLibraryError | ValidationError, field: str = "text") -> ApiError:
    """What the engine refused (bad text, nothing published, bad filters) → the API's error."""
    if isinstance(exc, EmptyLibraryError):
        return ApiError(503, "empty_library", str(exc), "The case library has no published cases")
    if isinstance(exc, ValidationError):
        return validation_error(exc)
    return ApiError(422, "invalid_query", str(exc), "The problem text cannot be used", field=field)


def validation_error(exc: ValidationError, prefix: str = "") -> ApiError:
    """A pydantic error raised by our own models → 422 naming the first field."""
    problems = validation_messages(exc)
    field, reason = problems[0] if problems else ("", "格式不正确")
    field = f"{prefix}{field}" if field else (prefix.rstrip(".") or None)
    details: list[dict[str, Any]] = [{"field": f"{prefix}{f}" if f else prefix.rstrip("."),
                                      "message": r} for f, r in problems[:50]]
    return ApiError(422, "validation_error", f"字段 {field}：{reason}" if field else reason,
                    str(exc.errors()[0].get("msg", "")) if exc.errors() else "Validation error",
                    field=field, extra={"details": details})


def nul_path(value: Any, path: str = "") -> str | None:
    """Where a NUL character sits in decoded JSON ("" = the value itself), else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = nul_path(key, path) if "\x00" in str(key) else nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = nul_path(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


async def reject_nul(request: Request) -> None:
    """Refuse NUL characters in path, query and JSON body: they are never meant in Chinese text
    (a sign of a damaged file or an attack), and PostgreSQL cannot store them in text columns."""
    import json

    where: str | None = None
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if "\x00" in str(value) or "\x00" in name:
            where = name
            break
    if where is None and request.method not in ("GET", "HEAD", "DELETE"):
        main, sub = _media(request)
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            try:
                where = nul_path(json.loads(await request.body()))
            except (ValueError, UnicodeDecodeError):
                return  # malformed JSON: the body parser reports it with its position
    if where is not None:
        raise ApiError(422, "nul_character", f"字段 {where or '请求体'} 中含有空字符 (NUL)，可能是文件损坏或复制时带入了控制字符",
                       "NUL character in request", field=where or None)
