"""账号与令牌 (admins only): roles, disable/enable, each user's tokens with expiry, issue and revoke.

Every change goes through `UserStore` with the admin's name, so it is in the audit log; a role
change or a disabled account ends that user's sessions at once (see store/sessions.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...store import LastAdminError
from ...store.clock import now
from ..deps import gate, posted_form, service
from ..forms import FormError, int_param, text_field
from ..templating import message_page, templates

router = APIRouter(prefix="/admin")
ROLES = ("viewer", "assessor", "editor", "admin")
ROLE_LABELS = {"viewer": "查看者", "assessor": "测评员", "editor": "编辑", "admin": "管理员"}
TOKEN_STATES = {"active": "有效", "expired": "已过期", "revoked": "已撤销"}
USER_ACTIONS = {"user_create": "新建账号", "role": "修改角色", "disable": "停用", "enable": "启用",
                "password": "重设密码", "token_issue": "签发令牌", "token_revoke": "撤销令牌"}


def _admin_form(request: Request) -> Any:
    return posted_form(request, lambda r: gate(r, "admin"))


def _no_user(request: Request, user_id: int) -> Response:
    return message_page(request, "账号不存在", f"找不到编号为 {user_id} 的账号。", 404)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    user = gate(request, "admin")
    if isinstance(user, Response):
        return user
    store = service(request).store
    return templates.TemplateResponse(request, "admin/users.html", {
        "users": store.users.list(), "roles": ROLES, "events": store.audit.recent(30, kind="user"),
        "actions": USER_ACTIONS, "role_labels": ROLE_LABELS})


async def _update(request: Request, user_id: int, field: str) -> Response:
    got = await _admin_form(request)
    if isinstance(got, Response):
        return got
    admin, form = got
    users = service(request).store.users
    if await run_in_threadpool(users.get, user_id) is None:
        return _no_user(request, user_id)
    if field == "role":
        value: Any = form.get("role")
        if value not in ROLES:
            return message_page(request, "操作无效", "未知的角色，应为查看者、编辑或管理员", 422)
    else:
        value = form.get("active") == "1"
    try:
        await run_in_threadpool(lambda: users.update(user_id, by=admin.username, **{field: value}))
    except LastAdminError as exc:
        return message_page(request, "无法修改", str(exc), 409)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id:int}/role")
async def change_role(request: Request, user_id: int) -> Response:
    return await _update(request, user_id, "role")


@router.post("/users/{user_id:int}/active")
async def change_active(request: Request, user_id: int) -> Response:
    return await _update(request, user_id, "active")


def _tokens_page(request: Request, target: Any, status_code: int = 200, **extra: Any) -> Response:
    store = service(request).store
    at = now()
    items = [(t, t.state(at)) for t in store.users.tokens(target.id)]
    return templates.TemplateResponse(request, "admin/tokens.html", {
        "target": target, "items": items, "states": TOKEN_STATES,
        "default_days": request.app.state.settings.token_days, **extra}, status_code=status_code)


@router.get("/users/{user_id:int}/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, user_id: int) -> Response:
    user = gate(request, "admin")
    if isinstance(user, Response):
        return user
    target = service(request).store.users.get(user_id)
    if target is None:
        return _no_user(request, user_id)
    return _tokens_page(request, target)


@router.post("/users/{user_id:int}/tokens", response_class=HTMLResponse)
async def issue_token(request: Request, user_id: int) -> Response:
    """Shows the new token once, on this response; it is never stored or shown again."""
    got = await _admin_form(request)
    if isinstance(got, Response):
        return got
    admin, form = got
    users = service(request).store.users
    target = await run_in_threadpool(users.get, user_id)
    if target is None:
        return _no_user(request, user_id)
    try:
        name = text_field(form, "name", 100) or "api"
        days = int_param(form.get("days"), request.app.state.settings.token_days)
        plain = await run_in_threadpool(lambda: users.issue_token(target.id, name, days, by=admin.username))
    except (FormError, ValueError) as exc:
        return await run_in_threadpool(lambda: _tokens_page(request, target, 422, error=str(exc)))
    return await run_in_threadpool(lambda: _tokens_page(request, target, new_token=plain, new_name=name))


@router.post("/tokens/{token_id:int}/revoke")
async def revoke_token(request: Request, token_id: int) -> Response:
    got = await _admin_form(request)
    if isinstance(got, Response):
        return got
    admin, _form = got
    users = service(request).store.users
    token = await run_in_threadpool(users.token, token_id)
    if token is None:
        return message_page(request, "令牌不存在", f"找不到编号为 {token_id} 的令牌。", 404)
    await run_in_threadpool(lambda: users.revoke_token(token_id, by=admin.username))  # already revoked: no-op
    return RedirectResponse(f"/admin/users/{token.user_id}/tokens", status_code=303)
