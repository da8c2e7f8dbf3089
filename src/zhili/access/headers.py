"""Security headers on every response: pages, API answers, static files, error pages.

* Content-Security-Policy: scripts and styles only from our own origin, no framing. A route
  that needs more (the /docs page's inline start-up script, the printable brief's inline CSS)
  sends its own policy, which is kept as it is.
* X-Content-Type-Options, X-Frame-Options, Referrer-Policy: no sniffing, no framing, and no
  address (which may name a case or a page of a search) sent to other sites.
* Cache-Control: no-store on whatever was served to a signed-in caller (session cookie or
  bearer token) and on admin pages, so a shared office PC's browser or a proxy keeps no copy.
  Public static files stay cacheable.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
BASE_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
PUBLIC_PREFIXES = ("/static/", "/docs-static/")  # the same file for everyone: may be cached


def docs_policy(nonce: str) -> str:
    """/docs: Swagger UI starts from one inline script (allowed by its nonce) and sets styles
    from its bundle."""
    return (f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def inline_style_policy(html: str) -> str:
    """A page that carries its own CSS inline and no script (the printable brief): each <style>
    block is allowed by its hash, nothing else runs."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
                      for m in _STYLE.findall(html))
    return (f"default-src 'none'; style-src {hashes or repr('none')}; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _signed_in(scope: Scope, cookie_name: str) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return True
        if name == b"cookie" and cookie_name.encode() + b"=" in value:
            return True
    return False


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above; an app's own value for a header wins."""

    def __init__(self, app: ASGIApp, session_cookie: str, private_prefixes: Iterable[str] = ("/admin",)) -> None:
        self.app = app
        self.session_cookie = session_cookie
        self.private_prefixes = tuple(private_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        private = path.startswith(self.private_prefixes) or (
            not path.startswith(PUBLIC_PREFIXES) and _signed_in(scope, self.session_cookie))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in BASE_HEADERS.items() if k.encode() not in present]
                sets_cookie = b"set-cookie" in present and not path.startswith(PUBLIC_PREFIXES)
                if private or sets_cookie:
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"pragma")]
                    headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
