"""登录 / 退出 for people at a browser (integrators use bearer tokens on the API instead)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..deps import auth, csrf_problem, user_of
from ..forms import FormError, text_field
from ..templating import templates

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only same-site paths: `next=https://evil.example` or `//evil` must not redirect away."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    if bad := await csrf_problem(request):
        return bad
    name, target = "", "/"
    try:
        name = text_field(form, "username", 64)
        password = form.get("password")  # not stripped: spaces may be part of a password
        if not isinstance(password, str) or len(password) > 256:
            raise FormError([("密码", "格式不正确")])
        target = _safe_next(text_field(form, "next", 8_000) or "/")  # a search link can be long
        # authenticate() rate-limits failures per client and name
        user = await run_in_threadpool(auth().authenticate, request, name, password)
    except FormError as exc:
        return _login_error(request, str(exc), name, target)
    except HTTPException as exc:
        return _login_error(request, getattr(exc, "message", None) or "用户名或密码不正确", name, target,
                            exc.status_code)
    await run_in_threadpool(auth().login, request, user)  # writes the session row
    return RedirectResponse(target, status_code=303)


def _login_error(request: Request, message: str, name: str, target: str, status: int = 401) -> Response:
    return templates.TemplateResponse(request, "login.html",
                                      {"error": message, "username": name, "next": target},
                                      status_code=status)


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request) -> Response:
    """A GET only asks: logging out by link would let any page log the user out (CSRF)."""
    return templates.TemplateResponse(request, "logout.html", {})


@router.post("/logout")
async def logout(request: Request) -> Response:
    await request.form()
    if user_of(request) is not None and (bad := await csrf_problem(request)):
        return bad
    await run_in_threadpool(auth().logout, request)  # deletes the session row: copies of the cookie die too
    return RedirectResponse("/login", status_code=303)
