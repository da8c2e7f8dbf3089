"""The Jinja2 environment: autoescape on for every template, page-wide context, display filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from .. import localtime
from ..cases import DOMAINS, LEADERSHIP, LEVELS, TRUST_LEVELS
from ..feedback import VERDICTS
from . import highlight
from .deps import csrf_token, has_role, role_label, user_of

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

RISK_CLASS = {"低": "risk-low", "中": "risk-mid", "高": "risk-high"}
STATUS_LABELS = {"draft": "草稿", "published": "已发布"}
ACTION_LABELS = {"create": "新建", "update": "修改", "status": "状态变更", "remove": "删除", "import": "导入",
                 "restore": "恢复", "review_accepted": "审核确认", "review_rejected": "审核驳回",
                 "review_draft": "确认不重复，导入", "merge": "合并", "split": "拆分",
                 "bundled": "内置案例库"}


def _page_context(request: Request) -> dict[str, Any]:
    """Every page shows who is signed in and carries a CSRF token for its forms."""
    user = user_of(request)
    return {
        "user": user,
        "role_label": role_label(user.role) if user is not None else "",
        "can_edit": has_role(user, "editor"),
        "csrf": csrf_token(request),
        "path": request.url.path,
    }


def _rule_reason(text: str) -> str:
    """'04-steering/领域加分/主领域：…' → '领域加分 · 主领域：…' (the pack id means nothing to a reader)."""
    parts = text.split("/", 2)
    return f"{parts[1]} · {parts[2]}" if len(parts) == 3 else text


def _safe_url(url: str) -> str:
    """Only http(s) links become clickable: a javascript: URL in a case record must not run."""
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else ""


def _outputs(values: dict[str, Any]) -> str:
    """A fired row's outputs as one readable line: 'domain=加装电梯；weight=1.2'."""
    def one(v: Any) -> str:
        return "、".join(map(str, v)) if isinstance(v, list) else str(v)

    return "；".join(f"{k}={one(v)}" for k, v in values.items()) if isinstance(values, dict) else str(values)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(snippet=highlight.snippet, marked_full=highlight.full, rule_reason=_rule_reason, safe_url=_safe_url,
                       local_time=localtime.format_time, local_day=localtime.format_day, outputs=_outputs,
                       number=_number)
    env.globals.update(TRUST_LEVELS=TRUST_LEVELS, DOMAINS=DOMAINS, LEADERSHIP=LEADERSHIP, LEVELS=LEVELS, RISK_CLASS=RISK_CLASS,
                       VERDICTS=VERDICTS, STATUS_LABELS=STATUS_LABELS, ACTION_LABELS=ACTION_LABELS)
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])


def message_page(request: Request, title: str, message: str, status_code: int = 200) -> Response:
    """A page that only says something (a refusal, a missing item, a thank-you): message.html."""
    return templates.TemplateResponse(request, "message.html", {"title": title, "message": message},
                                      status_code=status_code)
