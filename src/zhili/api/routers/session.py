"""Cookie sessions for API clients in a browser: log in, see who you are, log out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ...access.auth import authenticate, csrf_token, current_user, login, logout, user_json, verify_csrf
from ..deps import require_json
from ..schemas import LoginRequest

router = APIRouter(prefix="/auth", tags=["登录"])


@router.post("/login", dependencies=[Depends(require_json)], summary="登录（会话 Cookie）")
def api_login(body: LoginRequest, request: Request) -> dict[str, Any]:
    """成功后返回 `csrf_token`：之后用会话发出的写请求须在请求头 `X-CSRF-Token` 中带上它。"""
    user = authenticate(request, body.username, body.password)
    token = login(request, user)
    return {"user": user_json(user), "csrf_token": token}


@router.get("/me", summary="当前账号与 CSRF 令牌")
def me(request: Request) -> dict[str, Any]:
    return {"user": user_json(current_user(request)), "csrf_token": csrf_token(request)}


@router.post("/logout", dependencies=[Depends(verify_csrf)], summary="退出登录")
def api_logout(request: Request) -> dict[str, Any]:
    logout(request)
    return {"ok": True}
