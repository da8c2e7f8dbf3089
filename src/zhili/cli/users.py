"""`zhili users …`: accounts and integration tokens, from the server's own shell.

Every change is written to the audit log as made by `cli:<login name>` (the shell user), so
changes made here are told apart from those made by an admin on the web page or the API.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import localtime

app = typer.Typer(help="账号与访问令牌", no_args_is_help=True)
ROLES = ("viewer", "assessor", "editor", "admin")
ROLE_LABELS = {"viewer": "查看者", "assessor": "测评员", "editor": "编辑", "admin": "管理员"}
TOKEN_STATES = {"active": "有效", "expired": "已过期", "revoked": "已撤销"}


def _err(message: str) -> None:
    Console(stderr=True, highlight=False).print(message, style="red", markup=False)


def _say(message: str) -> None:
    Console(highlight=False).print(message, markup=False)


def _actor() -> str:
    """Who made a change from the shell, for the audit log."""
    try:
        login = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (e.g. a container without /etc/passwd entry)
        login = "?"
    return f"cli:{login}"[:64]


def _store():
    from ..store import Store

    try:
        return Store.open()
    except Exception as exc:  # noqa: BLE001 - shown with its cause, then exit
        _err(f"无法打开数据库：{exc}")
        raise typer.Exit(2) from exc


def _user(store: Any, name: str) -> Any:
    user = store.users.by_name(name)
    if user is None:
        _err(f"没有用户“{name}”，请先运行 zhili users create")
        raise typer.Exit(1)
    return user


def _when(value: datetime | None, empty: str = "") -> str:
    if value is None:
        return empty
    return localtime.format_time(value)


def _password(password: Optional[str]) -> str:
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    if len(password) < 8:
        _err("密码至少 8 个字符")
        raise typer.Exit(2)
    return password


@app.command()
def create(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option("viewer", "--role", help="角色：viewer 查看者 / assessor 测评员 / editor 编辑 / admin 管理员"),
    password: Optional[str] = typer.Option(None, "--password", help="密码（不给出时提示输入两次）"),
) -> None:
    """新建账号。"""
    from ..store import UserExistsError

    if role not in ROLES:
        _err(f"角色必须是 {' / '.join(ROLES)} 之一，收到“{role}”")
        raise typer.Exit(2)
    password = _password(password)
    with _store() as store:
        try:
            user = store.users.create(name, password, role, by=_actor())
        except UserExistsError as exc:
            _err(str(exc))
            raise typer.Exit(1) from None
        except ValueError as exc:
            _err(f"无法创建账号：{exc}")
            raise typer.Exit(2) from None
    _say(f"已创建账号 {user.username}（{ROLE_LABELS[user.role]}）")


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


def _update(name: str, **change: Any) -> Any:
    from ..store import LastAdminError

    with _store() as store:
        user = _user(store, name)
        try:
            return store.users.update(user.id, by=_actor(), **change)
        except LastAdminError as exc:
            _err(str(exc))
            raise typer.Exit(1) from None


@app.command()
def role(
    name: str = typer.Argument(..., help="用户名"),
    new_role: str = typer.Argument(..., metavar="ROLE", help="viewer 查看者 / editor 编辑 / admin 管理员"),
) -> None:
    """修改角色（该账号已登录的会话随即失效）。"""
    if new_role not in ROLES:
        _err(f"角色必须是 {' / '.join(ROLES)} 之一，收到“{new_role}”")
        raise typer.Exit(2)
    user = _update(name, role=new_role)
    _say(f"{user.username} 的角色现在是{ROLE_LABELS[user.role]}")


@app.command()
def disable(name: str = typer.Argument(..., help="用户名")) -> None:
    """停用账号：不能登录，会话和访问令牌立即失效（令牌保留，重新启用后恢复）。"""
    user = _update(name, active=False)
    _say(f"已停用账号 {user.username}")


@app.command()
def enable(name: str = typer.Argument(..., help="用户名")) -> None:
    """重新启用账号。"""
    user = _update(name, active=True)
    _say(f"已启用账号 {user.username}")


@app.command()
def password(
    name: str = typer.Argument(..., help="用户名"),
    new_password: Optional[str] = typer.Option(None, "--password", help="新密码（不给出时提示输入两次）"),
) -> None:
    """重设密码（该账号已登录的会话随即失效）。"""
    secret = _password(new_password)
    with _store() as store:
        user = _user(store, name)
        try:
            store.users.set_password(user.id, secret, by=_actor())
        except ValueError as exc:
            _err(f"无法修改密码：{exc}")
            raise typer.Exit(2) from None
    _say(f"已重设 {user.username} 的密码，其已登录的会话均已退出")


@app.command()
def token(
    name: str = typer.Argument(..., help="令牌代表的用户名"),
    label: str = typer.Option("api", "--name", help="令牌用途，如 12345热线对接"),
    days: Optional[int] = typer.Option(None, "--days", min=1, max=3650,
                                       help="有效天数（默认取 zhili.toml [api] token_days，出厂 90 天）"),
) -> None:
    """为集成系统签发访问令牌（只显示这一次）。"""
    if days is None:
        from ..api.settings import ApiSettings

        try:
            days = ApiSettings.load().token_days
        except ValueError as exc:
            _err(str(exc))
            raise typer.Exit(2) from None
    with _store() as store:
        user = _user(store, name)
        plain = store.users.issue_token(user.id, label, days, by=_actor())
        expires = store.users.tokens(user.id)[0].expires_at
    typer.echo(plain)
    Console(stderr=True, highlight=False).print(
        f"以上是用户 {user.username} 的访问令牌（{label}），只显示这一次，请妥善保存；"
        f"有效期 {days} 天，至 {_when(expires)}（北京时间）。"
        "调用 API 时放在请求头：Authorization: Bearer <令牌>", markup=False)


@app.command()
def tokens(name: str = typer.Argument(..., help="用户名")) -> None:
    """列出某账号的访问令牌（编号、用途、有效期、状态）。"""
    from ..store.clock import now

    with _store() as store:
        user = _user(store, name)
        items = store.users.tokens(user.id)
    at = now()
    table = Table(title=f"{escape(user.username)} 的访问令牌（{len(items)} 个）", title_justify="left")
    for col in ("编号", "用途", "签发", "最近使用", "过期", "状态"):
        table.add_column(col)
    for t in items:
        table.add_row(str(t.id), escape(t.name), _when(t.created_at), _when(t.last_used_at, "—"),
                      _when(t.expires_at, "永不过期"), TOKEN_STATES[t.state(at)])
    Console().print(table)


@app.command()
def revoke(token_id: int = typer.Argument(..., help="令牌编号（见 zhili users tokens 用户名）")) -> None:
    """撤销访问令牌。"""
    with _store() as store:
        if not store.users.revoke_token(token_id, by=_actor()):
            _err(f"没有编号为 {token_id} 的有效令牌")
            raise typer.Exit(1)
    _say(f"已撤销令牌 {token_id}")
