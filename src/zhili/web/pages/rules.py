"""规则编辑 `/admin/rules`: the rule packs as editable tables, lint while typing, 试运行, impact
replay, review, publish and restore. The page is a shell; its script (static/js/rules.js) calls
the same `/api/v1/rules` routes an integrator would, with the session cookie and CSRF header,
so the page and the API can never disagree on what is allowed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..deps import gate
from ..templating import templates

router = APIRouter(prefix="/admin")


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request) -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    settings = getattr(request.app.state, "settings", None)
    return templates.TemplateResponse(request, "admin/rules.html", {
        "approval": bool(getattr(settings, "rules_require_approval", False))})
