"""`zhili ingest … --dry-run --json`: one line per document, exactly the documented members,
offsets indexing `text`; an unreadable file gives its error line and exit code 1, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from make_docs import compilation_docx, library_cases, web_page
from typer.testing import CliRunner

from zhili.cli import app
from zhili.store import Store

CASES = library_cases(3)


def test_dry_run_json_lines(tmp_path: Path, zhili_home: Path) -> None:
    docx = tmp_path / "汇编.docx"
    docx.write_bytes(compilation_docx(CASES))
    page = tmp_path / "page.htm"
    page.write_bytes(web_page(library_cases(6)[5]))
    res = CliRunner().invoke(app, ["ingest", str(docx), str(page), "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert [d["file"] for d in lines] == ["汇编.docx", "page.htm"]
    assert [d["format"] for d in lines] == ["docx", "html"]
    for d in lines:
        assert set(d) == {"file", "format", "text", "error", "cases"} and d["error"] is None
        for item in d["cases"]:
            assert set(item) == {"case", "provenance", "duplicates"}
            a, b = item["provenance"]["title"][0]
            assert d["text"][a:b] == item["case"]["title"]
            assert {"publisher", "trust"} <= set(item["case"]["source"])
    assert [c["case"]["title"] for c in lines[0]["cases"]] == [c["title"] for c in CASES]
    assert lines[1]["cases"][0]["duplicates"][0]["case_id"] == library_cases(6)[5]["id"]
    with Store.open() as store:  # a dry run stores nothing
        assert store.ingest.batches() == []


def test_an_unreadable_file_stops_the_batch(tmp_path: Path, zhili_home: Path) -> None:
    good = tmp_path / "汇编.docx"
    good.write_bytes(compilation_docx(CASES))
    bad = tmp_path / "旧材料.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    res = CliRunner().invoke(app, ["ingest", str(good), str(bad), "--json"])
    assert res.exit_code == 1
    lines = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert lines[1]["error"]["code"] == "old_format" and "另存为" in lines[1]["error"]["message"]
    assert "整批未导入" in res.stderr
    with Store.open() as store:
        assert store.ingest.batches() == [] and store.cases.count("draft") == 0
    ok = CliRunner().invoke(app, ["ingest", str(good), "--batch", "选编"])
    assert ok.exit_code == 0 and "已保存批次" in ok.stderr
    again = CliRunner().invoke(app, ["ingest", str(good)])
    assert "未重复导入" in again.stdout
