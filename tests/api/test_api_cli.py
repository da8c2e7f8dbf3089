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
        assert listed.json()["total"] == 223
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
