"""`zhili users …` and `zhili serve`, run as a user would (CliRunner, and a real server process)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from zhili.cli import app
from zhili.store import Store
from bundled import BUNDLED


@pytest.fixture
def env(db_url: str, zhili_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ZHILI_DB_URL", db_url)
    return {**os.environ, "ZHILI_HOME": str(zhili_home), "ZHILI_DB_URL": db_url}


def test_users_create_list_token(env: dict[str, str]) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["users", "create", "王主任", "--role", "admin"],
                         input="s3cret-pass\ns3cret-pass\n")
    assert done.exit_code == 0, done.output
    assert "已创建账号 王主任（管理员）" in done.output
    mismatch = runner.invoke(app, ["users", "create", "李四"], input="s3cret-pass\nother-pass\n"
                             "s3cret-pass\ns3cret-pass\n")
    assert mismatch.exit_code == 0 and "李四" in mismatch.output  # asked again after a mismatch
    assert runner.invoke(app, ["users", "create", "王主任", "--password", "another-pass"]).exit_code == 1
    bad = runner.invoke(app, ["users", "create", "赵六", "--role", "root", "--password", "s3cret-pass"])
    assert bad.exit_code == 2 and "viewer" in bad.output
    assert runner.invoke(app, ["users", "create", "赵六", "--password", "short"]).exit_code == 2

    listed = runner.invoke(app, ["users", "list"])
    assert "王主任" in listed.output and "管理员" in listed.output and "查看者" in listed.output

    issued = runner.invoke(app, ["users", "token", "王主任", "--name", "热线对接"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[0]
    with Store.open(env["ZHILI_DB_URL"]) as store:
        assert store.users.user_for_token(token).username == "王主任"
    assert runner.invoke(app, ["users", "token", "nobody"]).exit_code == 1


def test_users_roles_disable_password_and_tokens(env: dict[str, str]) -> None:
    """Issue 9 from the shell: every change is audited as cli:<login>, tokens expire."""
    import getpass
    from datetime import timedelta

    from zhili.store.clock import now

    runner = CliRunner()
    ok = lambda *args: runner.invoke(app, ["users", *args])  # noqa: E731
    assert ok("create", "wang", "--role", "admin", "--password", "s3cret-pass").exit_code == 0
    assert ok("create", "li", "--password", "s3cret-pass").exit_code == 0
    twin = ok("create", "ＷＡＮＧ", "--password", "s3cret-pass")
    assert twin.exit_code == 1 and "不区分大小写" in twin.output
    assert ok("create", "wa\u200bng", "--password", "s3cret-pass").exit_code == 2

    assert "li 的角色现在是编辑" in ok("role", "LI", "editor").output
    assert ok("role", "li", "root").exit_code == 2
    last = ok("role", "wang", "viewer")
    assert last.exit_code == 1 and "管理员" in last.output  # the last admin stays
    assert "已停用账号 li" in ok("disable", "li").output
    assert "已启用账号 li" in ok("enable", "li").output
    assert ok("password", "li", "--password", "another-pass").exit_code == 0
    assert ok("password", "li", "--password", "short").exit_code == 2
    assert ok("disable", "nobody").exit_code == 1

    issued = ok("token", "li", "--name", "热线", "--days", "7")
    assert issued.exit_code == 0 and "有效期 7 天" in issued.output
    token = issued.stdout.strip().splitlines()[0]
    assert ok("token", "li", "--days", "0").exit_code == 2
    with Store.open(env["ZHILI_DB_URL"]) as store:
        li = store.users.by_name("li")
        assert store.users.user_for_token(token) == li and li.role == "editor" and li.active
        assert store.users.authenticate("li", "another-pass") == li
        (listed,) = store.users.tokens(li.id)
        assert abs(listed.expires_at - (now() + timedelta(days=7))) < timedelta(minutes=1)
        events = [(e.action, e.user) for e in reversed(store.audit.recent(20, kind="user")) if e.case_id == "li"]
    actor = f"cli:{getpass.getuser()}"
    assert events == [("user_create", actor), ("role", actor), ("disable", actor), ("enable", actor),
                      ("password", actor), ("token_issue", actor)]
    table = ok("tokens", "li").output
    assert "热线" in table and "有效" in table
    assert ok("revoke", str(listed.id)).exit_code == 0 and ok("revoke", str(listed.id)).exit_code == 1
    assert "已撤销" in ok("tokens", "li").output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_until_stopped(env: dict[str, str]) -> None:
    port = _free_port()
    zhili = Path(sys.executable).with_name("zhili")
    proc = subprocess.Popen([str(zhili), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None and health.status_code == 200, proc.stdout.read() if proc.poll() else ""
        assert health.json() == {"ok": True, "degraded": False}  # details are for admins only
        listed = httpx.get(f"http://127.0.0.1:{port}/api/v1/cases", params={"limit": 1}, timeout=30)
        assert listed.json()["total"] == BUNDLED
        answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/recommend", json={"text": "加装电梯 一楼反对"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["results"]
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert f"zhili 服务已启动：http://127.0.0.1:{port}/" in out and "zhili users create" in out
    assert proc.returncode == 0


def test_serve_refuses_bad_settings(env: dict[str, str], zhili_home: Path) -> None:
    runner = CliRunner()
    bad_level = runner.invoke(app, ["serve", "--log-level", "loud"])
    assert bad_level.exit_code == 2 and "日志级别" in bad_level.output
    (zhili_home / "zhili.toml").write_text("[api]\nmax_body_bytes = \"lots\"\n", encoding="utf-8")
    bad = runner.invoke(app, ["serve", "--port", str(_free_port())])
    assert bad.exit_code == 2 and "max_body_bytes" in bad.output and "无法启动服务" in bad.output
