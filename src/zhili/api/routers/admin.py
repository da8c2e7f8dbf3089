"""Accounts and integration tokens (admins only). Every change lands in the audit log with its author."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.encoders import jsonable_encoder

from ...access.auth import Admin, user_json
from ...access.errors import ApiError, not_found
from ...service import Service
from ...store.clock import now
from ..deps import get_service, require_json
from ..schemas import TokenCreate, UserCreate, UserUpdate

router = APIRouter(tags=["账号与令牌"])
TOKEN_STATES = {"active": "有效", "expired": "已过期", "revoked": "已撤销"}


@router.get("/users", summary="账号列表")
def list_users(_user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"items": [user_json(u) for u in service.store.users.list()]}


@router.post("/users", status_code=201, dependencies=[Depends(require_json)], summary="新建账号")
def create_user(body: UserCreate, user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store import UserExistsError

    try:
        return user_json(service.store.users.create(body.username, body.password, body.role, by=user.username))
    except UserExistsError as exc:
        raise ApiError(409, "user_exists", str(exc), "User name taken", field="username") from None
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), "Invalid user", field="username") from None


def _user_or_404(service: Service, username: str) -> Any:
    user = service.store.users.by_name(username)
    if user is None:
        raise not_found("用户", username, field="username")
    return user


@router.patch("/users/{username}", dependencies=[Depends(require_json)],
              summary="修改角色或停用/启用账号（该账号的登录会话随即失效）")
def update_user(body: UserUpdate, username: str = Path(..., max_length=100), user: Any = Admin,
                service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store import LastAdminError

    if body.role is None and body.active is None:
        raise ApiError(422, "validation_error", "请给出 role（角色）或 active（是否启用）", "Nothing to change",
                       field="role")
    target = _user_or_404(service, username)
    try:
        target = service.store.users.update(target.id, role=body.role, active=body.active, by=user.username)
    except LastAdminError as exc:
        raise ApiError(409, "last_admin", str(exc), "The last active admin must stay", field="role") from None
    return user_json(target)


def token_json(token: Any, at: datetime | None = None) -> dict[str, Any]:
    """A token's names and dates, plus its state now (never the token or its hash)."""
    state = token.state(at or now())
    return {**jsonable_encoder(token), "state": state, "state_label": TOKEN_STATES[state]}


@router.get("/users/{username}/tokens", summary="某账号的令牌（名称、时间、有效期与状态）")
def list_tokens(username: str = Path(..., max_length=100), _user: Any = Admin,
                service: Service = Depends(get_service)) -> dict[str, Any]:
    user = _user_or_404(service, username)
    at = now()
    return {"user": user_json(user), "items": [token_json(t, at) for t in service.store.users.tokens(user.id)]}


@router.post("/tokens", status_code=201, dependencies=[Depends(require_json)],
             summary="为集成系统签发访问令牌（只显示一次；默认 90 天后过期）")
def create_token(body: TokenCreate, request: Request, user: Any = Admin,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    target = _user_or_404(service, body.username)
    name = body.name or "api"
    days = body.days or request.app.state.settings.token_days
    try:
        token = service.store.users.issue_token(target.id, name, days, by=user.username)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), "Invalid token name", field="name") from None
    issued = service.store.users.tokens(target.id)[0]  # newest first
    return {"id": issued.id, "token": token, "user": user_json(target), "name": name,
            "expires_at": jsonable_encoder(issued.expires_at),
            "message": f"令牌只显示这一次，请妥善保存；{days} 天后过期。调用时放在请求头 Authorization: Bearer <令牌>"}


@router.delete("/tokens/{token_id}", status_code=204, summary="撤销令牌")
def revoke_token(token_id: int = Path(..., ge=1, le=2**31 - 1), user: Any = Admin,
                 service: Service = Depends(get_service)) -> Response:
    if not service.store.users.revoke_token(token_id, by=user.username):
        raise not_found("令牌", str(token_id), field="token_id")
    return Response(status_code=204)


@router.get("/audit", summary="最近的修改记录（案例与账号）")
def recent_audit(_user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"entries": jsonable_encoder(service.store.audit.recent(100))}
