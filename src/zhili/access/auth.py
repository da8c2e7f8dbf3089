"""Who is calling, and may they: session cookies for people, bearer tokens for integrators.

* People log in through a form (web) or `POST /api/v1/auth/login`; a random session id sits in
  the signed Starlette session cookie (secret generated once into `$ZHILI_HOME/secret.key`, 0600)
  and the session itself in the database (`store.sessions`). Logging out deletes it, and so does a
  new password, role or a disabled account, so a copied cookie stops working at once: it is then
  treated as anonymous (pages redirect to the login, the API answers 401).
* Integrators send `Authorization: Bearer <token>`; tokens are issued by an admin and stored
  hashed by the store. A bad token is refused outright (401), never treated as anonymous.
* Roles are ordered viewer < editor < admin; `require_*` dependencies enforce the minimum.
* CSRF: a cookie rides along on forged cross-site requests, so every unsafe request
  authenticated by the session must carry the session's token, as form field `csrf_token` or
  header `X-CSRF-Token`. Bearer-token requests are exempt (a browser never adds that header
  by itself). The `require_*` dependencies check it, so no write route can forget.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request

from .. import config
from .errors import ApiError, forbidden, unauthorized
from .login import LoginLimiter, authenticate, client_of

__all__ = [
    "ROLES", "ROLE_LABELS", "Admin", "Assessor", "can_assess", "require_assessor", "Editor", "LoginLimiter", "Searcher", "Viewer", "auth_method",
    "authenticate", "client_of", "csrf_token", "current_user", "login", "logout", "require_admin",
    "require_editor", "require_viewer", "role_at_least", "search_user", "secret_key", "user_json",
    "verify_csrf",
]

if TYPE_CHECKING:
    from ..store import User

ROLES = ("viewer", "assessor", "editor", "admin")
# The library's order: viewer < editor < admin. An assessor ranks as a viewer there and, like an
# admin, may see and import person-level assessment results (`can_assess`).
ROLE_RANK = {"viewer": 0, "assessor": 0, "editor": 1, "admin": 2}
ASSESSORS = frozenset({"assessor", "admin"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SESSION_ID = "sid"
SESSION_CSRF = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "zhili_session"
SESSION_MAX_AGE = 8 * 3600  # a working day


def secret_key(home: Path | None = None) -> str:
    """The session-signing secret: read from `secret.key`, created (mode 600) on first use.

    O_EXCL makes two processes starting at once agree on one secret instead of overwriting.
    """
    path = (home or config.home()) / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            text = path.read_text(encoding="ascii").strip()
            if text:
                return text
            time.sleep(0.02)
        raise RuntimeError(f"{path} 为空：请删除该文件后重启服务，以重新生成会话密钥") from None
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


def role_at_least(user: "User | None", role: str) -> bool:
    return user is not None and getattr(user, "active", True) and \
        ROLE_RANK.get(user.role, -1) >= ROLE_RANK[role]


def can_assess(user: "User | None") -> bool:
    """Person-level assessment results are personal data: assessors and admins only."""
    return user is not None and getattr(user, "active", True) and user.role in ASSESSORS


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None  # e.g. Basic auth added by a reverse proxy in front: not ours to judge
    if not token.strip():
        raise unauthorized()
    return token.strip()


def auth_method(request: Request) -> str | None:
    """"token", "session" or None (anonymous), after `current_user` ran."""
    current_user(request)
    return request.state.zhili_auth


def current_user(request: Request) -> "User | None":
    """The signed-in user (token first, then session), or None; cached on the request."""
    if hasattr(request.state, "zhili_user"):
        return request.state.zhili_user
    store = request.app.state.service.store
    user, method = None, None
    token = _bearer(request)
    if token is not None:
        user = store.users.user_for_token(token)
        if user is None or not getattr(user, "active", True):
            raise ApiError(401, "invalid_token", "访问令牌无效或已被撤销", "Invalid or revoked token",
                           headers={"WWW-Authenticate": "Bearer"})
        method = "token"
    else:
        sid = request.session.get(SESSION_ID) if "session" in request.scope else None
        if sid is not None:
            user = store.sessions.user(sid)
            if user is None:
                request.session.pop(SESSION_ID, None)  # logged out, revoked, idle or disabled
            else:
                method = "session"
    request.state.zhili_user, request.state.zhili_auth = user, method
    return user


def login(request: Request, user: "User") -> str:
    """Start a session for `user`; a fresh CSRF token too (stops session fixation). Returns it."""
    sessions = request.app.state.service.store.sessions
    old = request.session.get(SESSION_ID)
    if old is not None:
        sessions.end(old)
    request.session.clear()
    request.session[SESSION_ID] = sessions.start(user.id)
    request.state.zhili_user, request.state.zhili_auth = user, "session"
    return csrf_token(request)


def logout(request: Request) -> None:
    """End the session server-side too: a copy of the cookie must not outlive the logout."""
    sid = request.session.get(SESSION_ID) if "session" in request.scope else None
    if sid is not None:
        request.app.state.service.store.sessions.end(sid)
    request.session.clear()
    request.state.zhili_user, request.state.zhili_auth = None, None


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use, also for anonymous sessions)."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe session request without the session's token (403, code csrf_failed).

    Safe methods and bearer-token requests pass. Forms are read (and cached by Starlette) only
    when no header is sent.
    """
    if request.method in SAFE_METHODS or auth_method(request) == "token":
        return
    expected = request.session.get(SESSION_CSRF) if "session" in request.scope else None
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(  # bytes: str must be ASCII here
            str(expected).encode(), sent.encode("utf-8", "surrogateescape")):
        raise ApiError(403, "csrf_failed", "页面已过期或请求来源不可信（CSRF 校验失败），请刷新页面后重试",
                       "CSRF token missing or invalid", field=CSRF_FIELD)


def _requirement(role: str):
    async def dependency(request: Request) -> "User":
        user = current_user(request)
        if user is None:
            raise unauthorized()
        if not role_at_least(user, role):
            raise forbidden(f"此操作需要“{ROLE_LABELS[role]}”及以上权限，当前账号为“{ROLE_LABELS.get(user.role, user.role)}”")
        await verify_csrf(request)
        return user
    dependency.__name__ = f"require_{role}"
    return dependency


ROLE_LABELS = {"viewer": "查看者", "assessor": "测评员", "editor": "编辑", "admin": "管理员"}
require_viewer = _requirement("viewer")
require_editor = _requirement("editor")
require_admin = _requirement("admin")


async def search_user(request: Request) -> "User | None":
    """Who may search/recommend: anyone, unless settings say `require_login_for_search`."""
    user = current_user(request)
    if user is None and request.app.state.settings.require_login_for_search:
        raise unauthorized()
    if user is not None:
        await verify_csrf(request)
    return user


async def require_assessor(request: Request) -> "User":
    """Importing assessment data and seeing person-level results: assessors and admins."""
    user = current_user(request)
    if user is None:
        raise unauthorized()
    if not can_assess(user):
        raise forbidden(f"此操作需要“测评员”或“管理员”权限，当前账号为“{ROLE_LABELS.get(user.role, user.role)}”")
    await verify_csrf(request)
    return user


Viewer = Depends(require_viewer)
Assessor = Depends(require_assessor)
Editor = Depends(require_editor)
Admin = Depends(require_admin)
Searcher = Depends(search_user)


def user_json(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "role": user.role,
            "role_label": ROLE_LABELS.get(user.role, user.role), "active": getattr(user, "active", True)}
