"""Accounts and integration tokens (admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Response
from fastapi.encoders import jsonable_encoder

from ...service import Service
from ..auth import Admin, user_json
from ..deps import get_service, require_json
from ..errors import ApiError, not_found
from ..schemas import TokenCreate, UserCreate

router = APIRouter(tags=["账号与令牌"])


@router.get("/users", summary="账号列表")
def list_users(_user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"items": [user_json(u) for u in service.store.users.list()]}


@router.post("/users", status_code=201, dependencies=[Depends(require_json)], summary="新建账号")
def create_user(body: UserCreate, _user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store import UserExistsError

    try:
        return user_json(service.store.users.create(body.username, body.password, body.role))
    except UserExistsError as exc:
        raise ApiError(409, "user_exists", str(exc), "User name taken", field="username") from None
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), "Invalid user", field="username") from None


def _user_or_404(service: Service, username: str) -> Any:
    user = service.store.users.by_name(username)
    if user is None:
        raise not_found("用户", username, field="username")
    return user


@router.get("/users/{username}/tokens", summary="某账号的令牌（只有名称和时间）")
def list_tokens(username: str = Path(..., max_length=100), _user: Any = Admin,
                service: Service = Depends(get_service)) -> dict[str, Any]:
    user = _user_or_404(service, username)
    return {"user": user_json(user), "items": jsonable_encoder(service.store.users.tokens(user.id))}


@router.post("/tokens", status_code=201, dependencies=[Depends(require_json)],
             summary="为集成系统签发访问令牌（只显示一次）")
def create_token(body: TokenCreate, _user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    target = _user_or_404(service, body.username)
    name = body.name or "api"
    try:
        token = service.store.users.issue_token(target.id, name)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), "Invalid token name", field="name") from None
    issued = service.store.users.tokens(target.id)[0]  # newest first
    return {"id": issued.id, "token": token, "user": user_json(target), "name": name,
            "message": "令牌只显示这一次，请妥善保存；调用时放在请求头 Authorization: Bearer <令牌>"}


@router.delete("/tokens/{token_id}", status_code=204, summary="撤销令牌")
def revoke_token(token_id: int = Path(..., ge=1, le=2**31 - 1), _user: Any = Admin,
                 service: Service = Depends(get_service)) -> Response:
    if not service.store.users.revoke_token(token_id):
        raise not_found("令牌", str(token_id), field="token_id")
    return Response(status_code=204)


@router.get("/audit", summary="最近的修改记录")
def recent_audit(_user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"entries": jsonable_encoder(service.store.audit.recent(100))}
