"""Error pages for people: a browser that asked for a page gets Chinese HTML, not the API's JSON.

`zhili.app` registers `error_page`; the API's error handlers call it for paths outside /api
when the client accepts text/html;
the API keeps its JSON. The page never shows exception details (the log has them).
"""

from __future__ import annotations

import logging
from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from ..access.errors import STATUS_TEXT

log = logging.getLogger("zhili.web")

TITLES = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "页面不存在", 405: "不支持此操作",
          413: "内容过大", 422: "请求有误", 429: "请求过于频繁", 500: "服务器出错了", 503: "服务暂不可用"}
MESSAGES = {
    404: "找不到您要访问的页面，请检查地址是否正确，或从首页重新进入。",
    405: "此页面不支持这种请求方式，请从页面上的按钮或链接操作。",
    500: "服务器处理请求时出错，请稍后再试；如果一直出现，请联系管理员。",
}

_BARE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/css/zhili.css"></head><body><main class="wrap"><section class="panel message-page">
<h1>{title}</h1><p>{message}</p><p><a class="btn" href="/">返回首页</a></p></section></main></body></html>"""


def error_page(request: Request, status: int, message: str) -> Response:
    """message.html with a title for `status`; a bare page when the full one cannot be rendered
    (e.g. the database is down, so the signed-in user cannot be looked up)."""
    title = TITLES.get(status, "请求失败")
    generic = status >= 500 or message == STATUS_TEXT.get(status, ("", "", ""))[1]
    text = MESSAGES.get(status, message) if generic else message  # 500: never the details
    try:
        from .templating import message_page

        return message_page(request, title, text, status)
    except Exception:  # noqa: BLE001 - an error page must always come out
        log.warning("full error page failed for %s; serving the bare one", request.url.path, exc_info=True)
        return HTMLResponse(_BARE.format(title=escape(title), message=escape(text)), status_code=status)
