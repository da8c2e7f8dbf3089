"""`zhili serve`: the web pages and REST API on one port (uvicorn)."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

# uvicorn otherwise believes X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS) and hands the app
# whatever address that header claims, so a local client could dodge the login limit. The app
# decides instead, from `[api] trusted_proxies` (zhili.access.proxies).
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False}


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（0.0.0.0 表示对局域网开放）"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口"),
    log_level: str = typer.Option("info", "--log-level", help="日志级别：debug/info/warning/error"),
) -> None:
    """启动网页与 API 服务（案例匹配、案例库管理、统计）。"""
    import logging

    # OMP_WAIT_POLICY=PASSIVE is set on `import zhili` (see zhili/__init__.py): measured here
    # p95 2.4 s → 63 ms per request on a shared machine.
    import uvicorn

    from ..app import create_app
    from ..service import Service

    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    if log_level.lower() not in LOG_LEVELS:
        err.print(f"日志级别必须是 {'/'.join(LOG_LEVELS)} 之一，收到“{log_level}”", style="red", markup=False)
        raise typer.Exit(2)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if log_level.lower() != "debug":  # migrations announce every plugin at INFO
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        service = Service.open()
    except Exception as exc:  # noqa: BLE001 - shown with its cause, then exit
        err.print(f"无法打开数据库：{exc}", style="red", markup=False)
        raise typer.Exit(2) from exc
    try:
        try:
            app = create_app(service)
        except ValueError as exc:  # e.g. a malformed [api] section in zhili.toml
            err.print(f"无法启动服务：{exc}", style="red", markup=False)
            raise typer.Exit(2) from exc
        try:
            with out.status("正在加载案例库、索引和规则……"):
                service.refresh()
            out.print(f"已加载 {service.state.cases} 个已发布案例。")
        except Exception as exc:  # noqa: BLE001 - the server still starts (health says why)
            err.print(f"案例库或索引暂不可用：{exc}", style="yellow", markup=False)
        if not service.store.users.list():
            out.print("提示：还没有任何账号，请先运行 zhili users create 用户名 --role admin 创建管理员。")
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        out.print(f"[bold green]zhili 服务已启动[/]：http://{shown}:{port}/　"
                  f"API 文档：http://{shown}:{port}/docs　（按 Ctrl+C 停止）")
        if host in ("0.0.0.0", "::"):
            out.print("注意：服务对所有网络开放，请只在内网使用；放在 HTTPS 之后时，"
                      "在 zhili.toml 的 [api] 中设置 session_https_only = true。")
        uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), **UVICORN_OPTIONS)
    finally:
        service.close()
