"""What every page needs from the app: the service, the signed-in user, role and CSRF checks.

The checks are `zhili.access.auth`'s, the same the API runs, so pages and REST agree on who
may do what; the pages never import `zhili.api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from ..access import auth as _auth

if TYPE_CHECKING:
    from ..service import Service


def auth() -> Any:
    """The shared `zhili.access.auth` module (login, logout, authenticate for the pages)."""
    return _auth


def service(request: Request) -> "Service":
    return request.app.state.service


def user_of(request: Request) -> Any:
    """The signed-in user or None (`current_user` caches it on the request; login/logout update it)."""
    return auth().current_user(request)


def has_role(user: Any, role: str) -> bool:
    """Roles are ordered: admin ⊃ editor ⊃ viewer (the API's own rule, so both agree)."""
    return bool(auth().role_at_least(user, role))


def role_label(role: str) -> str:
    return auth().ROLE_LABELS.get(role, role)


def gate(request: Request, role: str = "viewer") -> Any:
    """The user if allowed, else the response to send: login redirect or the 403 page.

    Pages return the response as-is; an exception would reach the API's JSON error handler.
    """
    user = user_of(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if not has_role(user, role):
        from .templating import message_page

        return message_page(request, "无权访问", f"此页面需要“{role_label(role)}”及以上权限，"
                            f"您当前的角色是“{role_label(user.role)}”。请联系管理员开通。", 403)
    return user


def reader(request: Request) -> Any:
    """For search and case pages: the user (None = anonymous) or the login redirect.

    Follows the API's `require_login_for_search` setting so pages and REST agree on who may read.
    """
    settings = getattr(request.app.state, "settings", None)
    if user_of(request) is None and not getattr(settings, "require_login_for_search", True):
        return None
    return gate(request, "viewer")


def username(user: Any) -> str | None:
    return getattr(user, "username", None)


async def csrf_problem(request: Request) -> Response | None:
    """None when the request carries a valid CSRF token, else the Chinese error page (403).

    `verify_csrf` raises the API's JSON error; a person at a browser gets a page instead.
    """
    try:
        await auth().verify_csrf(request)
    except HTTPException:
        from .templating import message_page

        return message_page(request, "表单已失效", "表单校验码（CSRF）无效或已过期，请刷新页面后重新提交。", 403)
    return None


def csrf_token(request: Request) -> str:
    return auth().csrf_token(request)


async def posted_form(request: Request, allowed: Callable[[Request], Any]) -> Any:
    """(user, form) for a form posted from a page, or the response to send instead: what
    `allowed` (`gate`/`reader`) answers for a refused user, or the stale-form page when the CSRF
    token does not check out."""
    user = allowed(request)
    if isinstance(user, Response):
        return user
    form = await request.form()
    if bad := await csrf_problem(request):
        return bad
    return user, form


async def editor_form(request: Request) -> Any:
    """`posted_form` for writes that need an editor or admin."""
    return await posted_form(request, lambda r: gate(r, "editor"))
