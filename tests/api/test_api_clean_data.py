"""Issue 9: no Infinity/NaN or control character gets in through the API or an import, and a value
an older build stored can never make recommend, batch or export fail."""

from __future__ import annotations

import io
import json
import time
import zipfile

import openpyxl
from api_helpers import Api, error_of, new_case
from sqlalchemy import text

CASES = "/api/v1/cases"
RAW = '{"id":"%s","title":"无穷指标加装电梯","outcomes":[{"metric":"m","value":%s}]}'


def _post_raw(api: Api, body: str):
    return api.client.post(CASES, content=body.encode(), params={"status": "published"},
                           headers={**api.auth("editor"), "content-type": "application/json"})


def _import(api: Api, name: str, data: bytes):
    return api.client.post(f"{CASES}/import", files={"file": (name, data, "application/octet-stream")},
                           headers=api.auth("editor"))


def test_api_refuses_infinity_and_nan(api: Api) -> None:
    for number in ("1e999", "-1e999", "NaN", "Infinity"):
        err = error_of(_post_raw(api, RAW % ("inf-api", number)), 422, "outcomes[0].value")
        assert "有限的数字" in err["message"]
    assert api.service.store.cases.get("inf-api") is None
    err = error_of(_import(api, "inf.jsonl", (RAW % ("inf-imp", "NaN")).encode()), 422, "file")
    assert [(r["row"], r["field"]) for r in err["rows"]] == [(1, "outcomes[0].value")]


def test_api_and_import_refuse_control_characters(api: Api) -> None:
    case = new_case("控制字符标题\x07")
    err = error_of(api.client.post(CASES, json=case, headers=api.auth("editor")), 422, "title")
    assert "U+0007" in err["message"]
    ok = new_case("多行做法", practice="第一行\n第二行\t制表")
    assert api.client.post(CASES, json=ok, headers=api.auth("editor")).status_code == 201
    bad = {**new_case("坏的"), "title": "坏\x1b的"}
    lines = "\n".join(json.dumps(c, ensure_ascii=False) for c in (new_case("好的"), bad))
    err = error_of(_import(api, "ctl.jsonl", lines.encode()), 422, "file")
    assert [(r["row"], r["field"]) for r in err["rows"]] == [(2, "title")]


def _store_behind_the_models_back(api: Api, case_id: str, payload: str) -> None:
    """What an older build (or a hand edit) left in the database: raw SQL, new content hash."""
    with api.service.store.engine.begin() as conn:
        conn.execute(text("UPDATE cases SET payload = :p, content_hash = 'ffffffffffffffff' WHERE id = :id"),
                     {"p": payload, "id": case_id})
        conn.execute(text("UPDATE meta SET value = :v WHERE key = 'revision'"),
                     {"v": str(int(api.service.store.cases.revision()) + 1000)})


def test_bad_values_already_stored_never_fail_a_request(api: Api) -> None:
    title = "鹭岛晾晒公约协商化解纠纷"
    case = new_case(title, outcomes=[{"metric": "办结率", "value": 95, "unit": "%"}])
    assert api.client.post(CASES, json=case, params={"status": "published"},
                           headers=api.auth("editor")).status_code == 201
    stored = {**case, "title": title + "\x07", "outcomes": [{"metric": "办结率", "value": 95, "unit": "%"}]}
    payload = json.dumps(stored, ensure_ascii=False)
    if api.service.store.dialect == "sqlite":  # PostgreSQL's JSONB cannot hold NaN at all
        payload = payload.replace('"value": 95', '"value": NaN')
    _store_behind_the_models_back(api, case["id"], payload)
    resp = api.client.post("/api/v1/recommend", json={"text": title, "top": 3})
    assert resp.status_code == 200, resp.text
    hit = next(r for r in resp.json()["results"] if r["case_id"] == case["id"])
    if api.service.store.dialect == "sqlite":
        assert hit["outcomes"][0]["value"] is None
    batch = api.client.post("/api/v1/recommend/batch", files={"file": (
        "q.jsonl", json.dumps({"id": "q1", "text": title}, ensure_ascii=False).encode())},
        data={"top": "3"})
    assert batch.status_code == 200 and batch.json()["count"] == 1, batch.text
    assert api.client.get(f"{CASES}/{case['id']}").status_code == 200
    jsonl = api.client.get(f"{CASES}/export", params={"format": "jsonl"})
    assert jsonl.status_code == 200 and b"NaN" not in jsonl.content
    xlsx = api.client.get(f"{CASES}/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)["案例"]
    assert title in [row[1] for row in sheet.iter_rows(values_only=True)]


def test_an_xlsx_bomb_upload_is_refused_before_it_is_unpacked(api: Api) -> None:
    """200 MB of sheet XML in ~1.3 MB: refused from the zip's directory (issue 9, item 7)."""
    buf = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    block = row * ((1 << 20) // len(row))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(200):
                fh.write(block)
    start = time.perf_counter()
    err = error_of(_import(api, "bomb.xlsx", buf.getvalue()), 422, "file", "invalid_file")
    assert time.perf_counter() - start < 2.0
    assert "压缩炸弹" in err["rows"][0]["reason"]
