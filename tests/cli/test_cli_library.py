"""Issue 10: the CLI calls the same library use cases as the API and the pages — bulk publish /
withdraw / delete (with the same plan), import refusing what the others refuse, and the brief."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from zhili.cli import app
from zhili.store import CaseStore

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    monkeypatch.delenv("ZHILI_DB_URL", raising=False)
    return tmp_path


def _status(case_id: str) -> str | None:
    with CaseStore.open() as store:
        record = store.get_record(case_id)
        return record.status if record else None


def test_withdraw_publish_and_delete_from_the_command_line(workspace: Path) -> None:
    out = runner.invoke(app, ["cases", "withdraw", "case-0001", "case-0002", "nope"])
    assert out.exit_code == 1 and "nope：不存在" in out.output  # one id missing: reported, exit 1
    assert _status("case-0001") == "draft" and _status("case-0002") == "draft"
    assert runner.invoke(app, ["cases", "publish", "case-0001"]).exit_code == 0
    assert _status("case-0001") == "published"
    dry = runner.invoke(app, ["cases", "delete", "case-0002"])
    assert dry.exit_code == 0 and _status("case-0002") == "draft"  # without --yes nothing is deleted
    assert runner.invoke(app, ["cases", "delete", "case-0002", "--yes"]).exit_code == 0
    assert _status("case-0002") is None
    from zhili.store import Store

    store = Store.open()
    try:
        assert any(e.action == "remove" and (e.user or "").startswith("cli") for e in store.audit.history("case-0002"))
    finally:
        store.close()


def test_cli_import_refuses_a_nul_in_any_field(workspace: Path, tmp_path: Path) -> None:
    row = {"id": "cli-nul-1", "title": "命令行导入", "practice": "做法", "actors": ["社区\x00党委"]}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    out = runner.invoke(app, ["cases", "import", str(path)])
    assert out.exit_code == 1
    assert _status("cli-nul-1") is None


def test_recommend_writes_the_brief(workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "决策参考.docx"
    out = runner.invoke(app, ["recommend", "老旧小区加装电梯一楼住户反对", "--top", "3", "--brief", str(target)])
    assert out.exit_code == 0, out.output
    text = "\n".join(p.text for p in Document(io.BytesIO(target.read_bytes())).paragraphs)
    assert "决策参考" in text and "电梯" in text


def test_update_bundled_from_the_command_line(workspace: Path, bundled_cases: list) -> None:
    """An older release's workspace (first 30 cases, seeded as it seeded then) gets the rest."""
    with CaseStore.open(seed=False) as store:
        store.import_cases(bundled_cases[:30], user=None)
        with store.engine.begin() as conn:
            store._set_meta(conn, "seeded_from", "bundled")
        store.remove("case-0005", "张三")
    more = len(bundled_cases) - 30
    dry = runner.invoke(app, ["cases", "update-bundled"])
    assert dry.exit_code == 0 and f"新增 {more}，更新 0" in dry.output and "case-0005" in dry.output
    assert "加 --yes" in dry.output
    with CaseStore.open() as store:
        assert store.count() == 29  # nothing changed without --yes
    done = runner.invoke(app, ["cases", "update-bundled", "--yes", "--draft"])
    assert done.exit_code == 0 and f"新增 {more}（草稿）" in done.output
    with CaseStore.open() as store:
        assert store.count() == len(bundled_cases) - 1 and store.count("draft") == more
    again = runner.invoke(app, ["cases", "update-bundled"])
    assert "已是最新" in again.output
