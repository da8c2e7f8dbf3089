"""Request body caps, enforced before any route reads the body (413 in the project's JSON shape).

A declared Content-Length over the cap is refused at once; a body without one (chunked) is
counted as it arrives and refused as soon as it passes the cap, so a client cannot make the
server buffer more than the limit.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..access.errors import error_body

UPLOAD_SUFFIXES = ("/import", "/batch")


def _too_large(limit: int) -> bytes:
    size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} 字节"
    body = error_body(413, f"请求内容过大：超过 {size} 上限", None, "payload_too_large",
                      f"Request body larger than {limit} bytes")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class BodyLimit:
    """ASGI middleware: `limit_for(path)` bytes at most per request body."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        length = _content_length(scope)
        if length is not None and length > limit:
            await _reject(send, limit)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # no declared length: read (bounded) before the app sees anything, then replay
        chunks: list[Message] = []
        total = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > limit:
                await _reject(send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reject(send: Send, limit: int) -> None:
    body = _too_large(limit)
    headers: list[Any] = [(b"content-type", b"application/json"),
                          (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
