"""Case library over HTTP: review workflow, history, permissions, import (all or nothing), export."""

from __future__ import annotations

import io
import json

import openpyxl
from api_helpers import Api, error_of, new_case

from zhili.cases.io import read_cases
from bundled import BUNDLED

CASES = "/api/v1/cases"
UNIQUE = "鹊桥议事茶话会化解晾衣杆纠纷"  # words no bundled case has


def _top_ids(api: Api, text: str) -> list[str]:
    resp = api.client.post("/api/v1/recommend", json={"text": text, "top": 3})
    assert resp.status_code == 200, resp.text
    return [r["case_id"] for r in resp.json()["results"]]


def test_draft_publish_update_unpublish_delete(api: Api) -> None:
    ed = api.auth("editor")
    case = new_case(UNIQUE)
    resp = api.client.post(CASES, json=case, headers=ed)
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "draft" and resp.json()["updated_by"] == "editor"
    assert case["id"] not in _top_ids(api, UNIQUE)                      # drafts are not matched
    error_of(api.client.get(f"{CASES}/{case['id']}"), 404, "case_id")   # nor shown to the public
    assert api.client.get(f"{CASES}/{case['id']}", headers=ed).json()["status"] == "draft"

    assert api.client.post(f"{CASES}/{case['id']}/publish", headers=ed).json()["status"] == "published"
    assert _top_ids(api, UNIQUE)[0] == case["id"]                       # searchable in the next request
    assert api.client.get(f"{CASES}/{case['id']}").json()["title"] == UNIQUE

    changed = {**case, "title": "晾衣杆纠纷调解新办法", "problem": "楼上晾衣杆滴水"}
    resp = api.client.put(f"{CASES}/{case['id']}", json=changed, headers=ed)
    assert resp.status_code == 200 and resp.json()["title"] == "晾衣杆纠纷调解新办法"
    assert resp.json()["status"] == "published"

    assert api.client.post(f"{CASES}/{case['id']}/unpublish", headers=ed).json()["status"] == "draft"
    assert case["id"] not in _top_ids(api, UNIQUE)

    error_of(api.client.get(f"{CASES}/{case['id']}/history", headers=api.auth("viewer")), 404, "case_id")
    history = api.client.get(f"{CASES}/{case['id']}/history", headers=ed).json()  # drafts: editors only
    actions = sorted(e["action"] for e in history["entries"])
    assert actions == sorted(["create", "status", "update", "status"])
    publish = next(e for e in history["entries"] if e["action"] == "status" and e["after"]["status"] == "published")
    assert publish["before"]["status"] == "draft" and publish["after"]["case"]["title"] == UNIQUE
    assert all(e["user"] == "editor" for e in history["entries"])

    assert api.client.delete(f"{CASES}/{case['id']}", headers=ed).status_code == 204
    error_of(api.client.get(f"{CASES}/{case['id']}", headers=ed), 404)
    error_of(api.client.delete(f"{CASES}/{case['id']}", headers=ed), 404)
    assert len(api.client.get(f"{CASES}/{case['id']}/history", headers=ed).json()["entries"]) == 5


def test_create_published_is_recommended_at_once(api: Api) -> None:
    case = new_case("候鸟老人异地就医结算互助点")
    resp = api.client.post(CASES, params={"status": "published"}, json=case, headers=api.auth("editor"))
    assert resp.status_code == 201
    assert _top_ids(api, "候鸟老人异地就医结算互助点")[0] == case["id"]


def test_write_permissions(api: Api) -> None:
    case = new_case("权限测试案例")
    error_of(api.client.post(CASES, json=case), 401, code="unauthorized")
    error_of(api.client.post(CASES, json=case, headers=api.auth("viewer")), 403, code="forbidden")
    error_of(api.client.put(f"{CASES}/case-0001", json=case), 401)
    error_of(api.client.delete(f"{CASES}/case-0001", headers=api.auth("viewer")), 403)
    error_of(api.client.post(f"{CASES}/case-0001/unpublish"), 401)
    error_of(api.client.get(CASES, params={"status": "draft"}), 401)
    error_of(api.client.get(CASES, params={"status": "draft"}, headers=api.auth("viewer")), 403, "status")
    assert api.client.get(f"{CASES}/case-0001").status_code == 200  # published: public


def test_invalid_cases_name_the_field(api: Api) -> None:
    ed = api.auth("editor")
    err = error_of(api.client.post(CASES, json=new_case("层级错误", level="乡"), headers=ed), 422, "level")
    assert "乡镇街道" in err["message"]
    error_of(api.client.post(CASES, json=new_case("年份错误", year=1800), headers=ed), 422, "year")
    error_of(api.client.post(CASES, json=new_case("", ), headers=ed), 422, "title")
    error_of(api.client.post(CASES, json={**new_case("多余字段"), "colour": 1}, headers=ed), 422, "colour")
    error_of(api.client.post(CASES, json=new_case("坏编号", id="a b/c"), headers=ed), 422, "id")
    error_of(api.client.post(CASES, json=new_case("编号重复", id="case-0001"), headers=ed), 409, "id")
    case = new_case("编号不一致")
    error_of(api.client.put(f"{CASES}/other-id", json=case, headers=ed), 422, "id")
    error_of(api.client.put(f"{CASES}/{case['id']}", json=case, headers=ed), 404)
    error_of(api.client.post(f"{CASES}/no-such-case/publish", headers=ed), 404)


def test_list_filters_and_paging(api: Api) -> None:
    page = api.client.get(CASES, params={"limit": 5, "offset": 5}).json()
    assert page["total"] >= BUNDLED and len(page["items"]) == 5 and page["offset"] == 5
    zj = api.client.get(CASES, params={"province": "浙江", "limit": 200}).json()
    assert zj["items"] and all("浙江" in (c["province"] + c["city"]) for c in zj["items"])
    q = api.client.get(CASES, params={"q": "电梯"}).json()
    assert q["total"] >= 1
    error_of(api.client.get(CASES, params={"limit": 0}), 422, "limit")
    error_of(api.client.get(CASES, params={"status": "secret"}), 422, "status")


# ---- import / export -----------------------------------------------------------------------------

def _jsonl(*cases: dict) -> bytes:
    return "\n".join(json.dumps(c, ensure_ascii=False) for c in cases).encode("utf-8")


def _import(api: Api, name: str, data: bytes, role: str = "editor", **form: str):
    return api.client.post(f"{CASES}/import", files={"file": (name, data, "application/octet-stream")},
                           data=form, headers=api.auth(role))


def test_import_with_one_bad_row_saves_nothing(api: Api) -> None:
    before = (api.service.store.cases.count(), api.service.store.cases.revision())
    good, bad = new_case("导入测试甲"), new_case("导入测试乙", level="街道办")
    err = error_of(_import(api, "cases.jsonl", _jsonl(good, bad)), 422, "file", "invalid_file")
    assert [(r["row"], r["field"]) for r in err["rows"]] == [(2, "level")]
    assert "第 2 行" in err["rows"][0]["message"]
    assert (api.service.store.cases.count(), api.service.store.cases.revision()) == before
    assert api.service.store.cases.get(good["id"]) is None


def test_import_dry_run_then_real(api: Api) -> None:
    a, b = new_case("鸽子扰民协商公约"), new_case("共享单车乱停议事")
    dry = _import(api, "cases.jsonl", _jsonl(a, b), dry_run="true")
    assert dry.status_code == 200 and dry.json()["summary"]["added"] == 2 and dry.json()["dry_run"]
    assert api.service.store.cases.get(a["id"]) is None
    real = _import(api, "cases.jsonl", _jsonl(a, b))
    assert real.status_code == 200, real.text
    assert api.service.store.cases.get_record(a["id"]).status == "published"
    assert _top_ids(api, "鸽子扰民协商公约")[0] == a["id"]
    drafts = _import(api, "drafts.jsonl", _jsonl(new_case("草稿导入")), status="draft")
    assert drafts.status_code == 200


def test_import_xlsx_and_csv_from_export(api: Api) -> None:
    for fmt in ("xlsx", "csv", "jsonl"):
        resp = api.client.get(f"{CASES}/export", params={"format": fmt})
        assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
        back = _import(api, f"library.{fmt}", resp.content, dry_run="true")
        assert back.status_code == 200, back.text
        assert back.json()["cases"] == api.service.store.cases.count("published")
        assert back.json()["summary"]["added"] == 0


def test_export_formats(api: Api, tmp_path) -> None:
    resp = api.client.get(f"{CASES}/export", params={"format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True)
    assert wb.sheetnames[0] == "案例"
    resp = api.client.get(f"{CASES}/export", params={"format": "csv"})
    assert resp.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    path = tmp_path / "x.jsonl"
    path.write_bytes(api.client.get(f"{CASES}/export", params={"format": "jsonl"}).content)
    assert len(read_cases(path)) == api.service.store.cases.count("published")
    error_of(api.client.get(f"{CASES}/export", params={"format": "pdf"}), 422, "format")
    error_of(api.client.get(f"{CASES}/export", params={"status": "all"}), 401)
    assert api.client.get(f"{CASES}/export", params={"status": "all", "format": "jsonl"},
                          headers=api.auth("editor")).status_code == 200


def test_bad_uploads(api: Api) -> None:
    err = error_of(_import(api, "old.xls", b"\xd0\xcf\x11\xe0"), 415, "file")
    assert ".xlsx" in err["message"]
    error_of(_import(api, "notes.txt", b"hello"), 415, "file")
    error_of(_import(api, "empty.csv", b""), 422, "file")
    error_of(_import(api, "broken.xlsx", b"PK\x03\x04 not really a zip"), 422, "file")
    error_of(_import(api, "binary.jsonl", b"\x00\x01\x02" * 100), 422, "file")
    error_of(_import(api, "a.jsonl", _jsonl(new_case("替换")), mode="replace"), 403, "mode")
    error_of(api.client.post(f"{CASES}/import", files={"file": ("a.jsonl", _jsonl(new_case("匿名")))}), 401)
    error_of(_import(api, "a.jsonl", _jsonl(new_case("查看者")), role="viewer"), 403)
    error_of(api.client.post(f"{CASES}/import", json={"file": "x"}, headers=api.auth("editor")), 415)
    big = b"{}\n" * (7 * 1024 * 1024)  # 21 MB > the 20 MB upload cap
    error_of(_import(api, "big.jsonl", big), 413)


def test_nul_characters_are_refused_everywhere(api: Api) -> None:
    """PostgreSQL cannot store NUL in text; a NUL is never meant in a case: a clear 422, nothing saved."""
    ed = api.auth("editor")
    case = new_case("空字符", mechanisms=["议事\x00会"])
    error_of(api.client.post(CASES, json=case, headers=ed), 422, "mechanisms[0]", "nul_character")
    error_of(api.client.get(CASES, params={"q": "电梯\x00"}), 422, "q")
    error_of(api.client.get(f"{CASES}/case%000001"), 422, "case_id")
    err = error_of(_import(api, "nul.jsonl", _jsonl(new_case("好案例"), case)), 422, "file")
    assert err["rows"][0]["field"] == "mechanisms" and "第 2 行" in err["rows"][0]["message"]
    assert api.service.store.cases.get(case["id"]) is None


def test_replace_is_for_admins_and_dry_run_counts_removals(api: Api) -> None:
    before = api.service.store.cases.count()
    one = _jsonl(new_case("替换预演"))
    error_of(_import(api, "one.jsonl", one, mode="replace"), 403, "mode")
    dry = _import(api, "one.jsonl", one, role="admin", mode="replace", dry_run="true")
    assert dry.status_code == 200 and dry.json()["summary"]["removed"] == before
    assert api.service.store.cases.count() == before


def test_sources_are_checked_the_same_way_over_http(api: Api) -> None:
    """Bad link, bad date and a case that cannot be published: the importer's rows and words;
    a single case published without a problem or a named source: 422 naming the field."""
    before = (api.service.store.cases.count(), api.service.store.cases.revision())
    url = new_case("来源校验甲", source={"publisher": "某报", "title": "t", "url": "not-a-url"})
    date = new_case("来源校验乙", source={"publisher": "某报", "title": "t", "date": "2024/13/45"})
    bare = {"id": "bare-http", "title": "只有标题"}
    err = error_of(_import(api, "cases.jsonl", _jsonl(url, date, bare)), 422, "file", "invalid_file")
    assert [(r["row"], r["field"]) for r in err["rows"]] == [
        (1, "source.url"), (2, "source.date"), (3, "problem"), (3, "source.publisher")]
    assert err["rows"][0]["reason"] == "来源链接必须以 http:// 或 https:// 开头，收到“not-a-url”"
    assert (api.service.store.cases.count(), api.service.store.cases.revision()) == before
    # as drafts the bare case is fine; publishing it is refused with the same words
    assert _import(api, "drafts.jsonl", _jsonl(bare), status="draft").status_code == 200
    resp = api.client.post(f"{CASES}/bare-http/publish", headers=api.auth("editor"))
    err = error_of(resp, 422, "problem", "incomplete_case")
    assert "发布前须填写“问题”或“做法”（至少一项）" in err["message"]
    resp = api.client.post(CASES, params={"status": "published"}, json={"id": "bare-2", "title": "只有标题"},
                           headers=api.auth("admin"))
    error_of(resp, 422, "problem", "incomplete_case")
    created = api.client.post(CASES, json=new_case("来源展示"), headers=api.auth("editor"))
    assert created.status_code == 201 and created.json()["source"]["trust"] == "转载（待核实）"
    claimed = new_case("来源自称官方", source={"publisher": "某网", "title": "t", "url": "http://x-news.example.com/1",
                                         "trust": "官方发布"})
    err = error_of(api.client.post(CASES, json=claimed, headers=api.auth("editor")), 422)
    assert "高于发布者名单给出的“转载（待核实）”" in err["message"]
