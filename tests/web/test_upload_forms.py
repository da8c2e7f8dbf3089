"""The upload forms of 导入文档 (/admin/ingest) and 测评 (/assess/{pack}/import) without a browser:
each refusal (stale CSRF token, no file, wrong type, over the size limit, wrong role, unknown
pack) gets its own Chinese message and status, and nothing is stored. The app's body limit is
raised above the pages' own 20 MB cap (as a deployment may), so the pages' size check is reached."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, page_client

from zhili.web.uploads import MAX_UPLOAD

BIG = b"x" * (MAX_UPLOAD + 1)
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "assessments"


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    from zhili.api.settings import ApiSettings

    users = [("editor4", "editor"), ("assessor4", "assessor"), ("viewer4", "viewer")]
    with page_client(tmp_path_factory.mktemp("upload-forms-home"), users,
                     ApiSettings(max_upload_bytes=2 * MAX_UPLOAD)) as got:
        yield got


def _login(client: TestClient, name: str) -> str:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


def _said(html: str, testid: str | None = None) -> str:
    """The message page's title and text, or the element with `testid`."""
    if testid:
        return unescape(re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1))
    m = re.search(r'class="panel message-page">\s*<h1>([^<]*)</h1>\s*<p>([^<]*)</p>', html)
    return unescape(f"{m.group(1)}｜{m.group(2)}")


@pytest.mark.parametrize(("who", "url", "data", "files", "status", "said"), [
    ("assessor4", "/assess/health/import", {"csrf_token": "stale"}, {"file": ("a.csv", b"x")}, 403,
     "表单已失效｜表单校验码（CSRF）无效或已过期，请刷新页面后重新提交。"),
    ("assessor4", "/assess/health/import", {}, None, 422, "请选择文件｜请选择要导入的 .xlsx 或 .csv 文件。"),
    ("assessor4", "/assess/health/import", {}, {"file": ("数据.xls", b"x")}, 415,
     "文件类型不支持｜“数据.xls”不是 .xlsx 或 .csv 文件；旧版 Excel 请另存为 .xlsx。"),
    ("assessor4", "/assess/health/import", {}, {"file": ("big.csv", BIG)}, 413, "文件过大｜文件超过 20 MB，请拆分后导入。"),
    ("assessor4", "/assess/nope/import", {}, {"file": ("a.csv", b"x")}, 404, "没有这个测评包｜没有名为“nope”的测评包。"),
    ("viewer4", "/assess/health/import", {}, {"file": ("a.csv", b"x")}, 403,
     "无权导入｜导入测评数据需要“测评员”或“管理员”权限。"),
    ("editor4", "/admin/ingest", {"csrf_token": "stale"}, {"files": ("a.txt", b"x")}, 403,
     "表单已失效｜表单校验码（CSRF）无效或已过期，请刷新页面后重新提交。"),
    ("editor4", "/admin/ingest", {}, None, 422, "请选择要导入的文件（.docx、.pdf、.html、.txt、.md）"),
    ("editor4", "/admin/ingest", {}, {"files": ("大文件.txt", BIG)}, 413, "大文件.txt：文件过大，请拆分后再导入"),
])
def test_each_refusal_says_why_and_stores_nothing(app_client, who, url, data, files, status, said) -> None:
    client, service = app_client
    token = _login(client, who)
    batches, periods = len(service.store.ingest.batches()), service.assessments.periods("health")
    r = client.post(url, data={"csrf_token": token, **data}, files=files, follow_redirects=False)
    assert r.status_code == status
    assert _said(r.text, "ingest-error" if url == "/admin/ingest" and status != 403 else None) == said
    assert len(service.store.ingest.batches()) == batches
    assert service.assessments.periods("health") == periods


def test_the_per_file_check_answers_in_json(app_client) -> None:
    client, _ = app_client
    token = _login(client, "editor4")
    r = client.post("/admin/ingest/check", data={"csrf_token": token}, files={"file": ("大文件.txt", BIG)})
    assert r.status_code == 200 and r.json() == {"ok": False, "message": "大文件.txt：文件过大，请拆分后再导入"}
    r = client.post("/admin/ingest/check", data={"csrf_token": token})
    assert r.status_code == 422 and r.json() == {"ok": False, "message": "没有收到文件"}
    r = client.post("/admin/ingest/check", data={"csrf_token": token}, files={"file": ("说明.txt", "第一段。".encode())})
    assert r.json()["ok"] is True and r.json()["message"].startswith("说明.txt：")


def test_a_units_page_and_report_say_why_they_refuse(app_client) -> None:
    client, service = app_client
    _login(client, "viewer4")
    r = client.get("/assess/capability/units/P03/report.docx")
    assert r.status_code == 403 and _said(r.text).startswith("无权查看个人结果｜")
    _login(client, "assessor4")
    for url in ("/assess/capability/units/没有这个人", "/assess/capability/units/没有这个人/report.docx"):
        r = client.get(url)
        assert r.status_code == 404 and _said(r.text).startswith("没有找到｜")
    r = client.get("/assess/nope/units/P03/report.docx")
    assert r.status_code == 404 and _said(r.text) == "没有这个测评包｜没有名为“nope”的测评包。"
    service.assessments.import_file("capability", SAMPLES / "capability-sample.xlsx", by="assessor4")
    r = client.get("/assess/capability/units/P03/report.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "P03" in r.headers["content-disposition"]
