"""`zhili users …`: accounts and integration tokens, from the server's own shell."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(help="账号与访问令牌", no_args_is_help=True)
ROLES = ("viewer", "editor", "admin")
ROLE_LABELS = {"viewer": "查看者", "editor": "编辑", "admin": "管理员"}


def _err(message: str) -> None:
    Console(stderr=True, highlight=False).print(message, style="red", markup=False)


def _store():
    from ..store import Store

    try:
        return Store.open()
    except Exception as exc:  # noqa: BLE001 - shown with its cause, then exit
        _err(f"无法打开数据库：{exc}")
        raise typer.Exit(2) from exc


@app.command()
def create(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option("viewer", "--role", help="角色：viewer 查看者 / editor 编辑 / admin 管理员"),
    password: Optional[str] = typer.Option(None, "--password", help="密码（不给出时提示输入两次）"),
) -> None:
    """新建账号。"""
    from ..store import UserExistsError

    if role not in ROLES:
        _err(f"角色必须是 {' / '.join(ROLES)} 之一，收到“{role}”")
        raise typer.Exit(2)
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    if len(password) < 8:
        _err("密码至少 8 个字符")
        raise typer.Exit(2)
    with _store() as store:
        try:
            user = store.users.create(name, password, role)
        except UserExistsError as exc:
            _err(str(exc))
            raise typer.Exit(1) from None
        except ValueError as exc:
            _err(f"无法创建账号：{exc}")
            raise typer.Exit(2) from None
    Console(highlight=False).print(f"已创建账号 {user.username}（{ROLE_LABELS[user.role]}）", markup=False)


@app.command("list")
def list_users() -> None:
    """列出账号。"""
    with _store() as store:
        users = store.users.list()
    table = Table(title=f"账号（{len(users)} 个）", title_justify="left")
    for col in ("编号", "用户名", "角色", "状态"):
        table.add_column(col)
    for u in users:
        table.add_row(str(u.id), escape(u.username), ROLE_LABELS.get(u.role, u.role), "启用" if u.active else "停用")
    Console().print(table)


@app.command()
def token(
    name: str = typer.Argument(..., help="令牌代表的用户名"),
    label: str = typer.Option("api", "--name", help="令牌用途，如 12345热线对接"),
) -> None:
    """为集成系统签发访问令牌（只显示这一次）。"""
    with _store() as store:
        user = store.users.by_name(name)
        if user is None:
            _err(f"没有用户“{name}”，请先运行 zhili users create")
            raise typer.Exit(1)
        plain = store.users.issue_token(user.id, label)
    typer.echo(plain)
    Console(stderr=True, highlight=False).print(
        f"以上是用户 {name} 的访问令牌（{label}），只显示这一次，请妥善保存。"
        "调用 API 时放在请求头：Authorization: Bearer <令牌>", markup=False)
