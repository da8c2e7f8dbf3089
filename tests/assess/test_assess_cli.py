"""`zhili assess …` end to end on a fresh workspace: check, test, template, a refused import that
names its cells, the sample import, the warnings JSON contract and the Word report."""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document
from typer.testing import CliRunner

from zhili.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "assessments"


def test_assess_commands(zhili_home: Path, tmp_path: Path) -> None:
    run = CliRunner().invoke
    assert run(app, ["assess", "check"]).exit_code == 0
    result = run(app, ["assess", "test"])
    assert result.exit_code == 0 and "失败 0 个" in result.output
    template = tmp_path / "模板.xlsx"
    assert run(app, ["assess", "template", "health", str(template)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("单位编号,期次\nA,2025Q1\n", encoding="utf-8")
    result = run(app, ["assess", "import", "health", str(bad)])
    assert result.exit_code == 1 and "缺少这一列" in result.output and "未导入任何数据" in result.output
    for name in ("health", "capability"):
        result = run(app, ["assess", "import", name, str(SAMPLES / f"{name}-sample.xlsx")])
        assert result.exit_code == 0, result.output
    result = run(app, ["assess", "warnings", "health", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [e["unit"] for e in items] == ["S02", "S03", "S04"]
    for e in items:
        assert set(e) == {"unit", "period", "level", "score", "warnings", "cases"}
        assert all(set(w) == {"kind", "indicator", "reason", "rule"} for w in e["warnings"])
        assert e["cases"] and all(c.startswith("case-") for c in e["cases"])
    assert {w["kind"] for e in items for w in e["warnings"]} == {"red_line", "drop", "decline"}
    assert json.loads(run(app, ["assess", "warnings", "health", "--period", "2025Q1", "--json"]).output) == []
    out = tmp_path / "P03.docx"
    result = run(app, ["assess", "report", "capability", "P03", "--docx", str(out)])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "五、能力引领培训建议" in text and "应急处突" in text and "骤降-单项" in text
    result = run(app, ["assess", "report", "health", "NOPE"])
    assert result.exit_code == 1 and "NOPE" in result.output
