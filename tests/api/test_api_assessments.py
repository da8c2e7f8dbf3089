"""/api/v1/assessments on the shared real app: roles (a viewer never gets person-level data),
import all-or-nothing with cell errors, warnings with the cases of the right domains, reports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from api_helpers import PASSWORD, Api, error_of
from docx import Document

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "assessments"
PARTY = {"基层党组织建设", "党员教育管理"}


@pytest.fixture(scope="module")
def loaded(api: Api) -> Api:
    users = api.service.store.users
    user = users.by_name("assessor") or users.create("assessor", PASSWORD, "assessor")
    api.tokens["assessor"] = users.issue_token(user.id, "test-assessor")
    for name in ("health", "capability"):
        with (SAMPLES / f"{name}-sample.xlsx").open("rb") as fh:
            resp = api.client.post(f"/api/v1/assessments/{name}/import", headers=api.auth("assessor"),
                                   files={"file": (f"{name}-sample.xlsx", fh)})
        assert resp.status_code == 200, resp.text
        assert resp.json()["rows"] == 16
    return api


def test_packs_and_template(loaded: Api) -> None:
    resp = loaded.client.get("/api/v1/assessments", headers=loaded.auth("viewer"))
    assert {p["name"] for p in resp.json()["packs"]} == {"health", "capability"}
    resp = loaded.client.get("/api/v1/assessments/health/template", headers=loaded.auth("viewer"))
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    error_of(loaded.client.get("/api/v1/assessments/nope", headers=loaded.auth("viewer")), 404, "pack")
    error_of(loaded.client.get("/api/v1/assessments"), 401)


def test_only_assessors_and_admins_import(loaded: Api) -> None:
    for role in ("viewer", "editor"):
        with (SAMPLES / "health-sample.xlsx").open("rb") as fh:
            resp = loaded.client.post("/api/v1/assessments/health/import", headers=loaded.auth(role),
                                      files={"file": ("h.xlsx", fh)})
        error_of(resp, 403)


def test_bad_csv_is_refused_cell_by_cell(loaded: Api) -> None:
    before = len(loaded.service.store.assessments.records("health"))
    body = "单位编号,单位名称,所属地区,期次\nX1,甲,某区,2025Q1\n".encode("gbk")
    resp = loaded.client.post("/api/v1/assessments/health/import", headers=loaded.auth("admin"),
                              files={"file": ("bad.csv", io.BytesIO(body))})
    err = error_of(resp, 422, "file", "invalid_file")
    cells = err["cells"]
    assert len(cells) == 12 and all(c["row"] == 1 and c["reason"] == "缺少这一列" for c in cells)
    assert cells[0]["sheet"] == "bad.csv" and cells[0]["column"].startswith("H01")
    assert len(loaded.service.store.assessments.records("health")) == before


def test_viewer_sees_aggregates_of_person_level_pack(loaded: Api) -> None:
    viewer = loaded.client.get("/api/v1/assessments/capability/overview", headers=loaded.auth("viewer")).json()
    assert viewer["personal_hidden"] and viewer["rows"] == [] and viewer["warnings"] == []
    # four people: fewer than five, so not even the distribution (it would describe someone)
    assert viewer["suppressed"] and viewer["units"] == 4 and all(d["count"] is None for d in viewer["distribution"])
    text = str(viewer)
    assert "P02" not in text and "示例干部" not in text
    for role in ("viewer", "editor"):
        error_of(loaded.client.get("/api/v1/assessments/capability/units/P02", headers=loaded.auth(role)), 403)
        error_of(loaded.client.get("/api/v1/assessments/capability/warnings", headers=loaded.auth(role)), 403)
        error_of(loaded.client.get("/api/v1/assessments/capability/units/P02/report.docx",
                                   headers=loaded.auth(role)), 403)
    for role in ("assessor", "admin"):
        full = loaded.client.get("/api/v1/assessments/capability/overview", headers=loaded.auth(role)).json()
        assert not full["personal_hidden"] and len(full["rows"]) == 4
        resp = loaded.client.get("/api/v1/assessments/capability/units/P02", headers=loaded.auth(role))
        assert resp.status_code == 200 and resp.json()["latest"]["level"] == "待提升"
    # an organisation pack is not personal data: a viewer sees the list
    health = loaded.client.get("/api/v1/assessments/health/overview", headers=loaded.auth("viewer")).json()
    assert not health["personal_hidden"] and len(health["rows"]) == 4


def test_warnings_list_and_cases_from_the_right_domains(loaded: Api) -> None:
    resp = loaded.client.get("/api/v1/assessments/health/warnings", headers=loaded.auth("viewer"))
    items = resp.json()
    assert [e["unit"] for e in items] == ["S02", "S03", "S04"]  # red line, drop, decline: most severe first
    assert set(items[0]) >= {"unit", "period", "level", "score", "warnings", "cases"}
    assert set(items[0]["warnings"][0]) >= {"kind", "indicator", "reason", "rule"}
    assert items[0]["warnings"][0]["rule"] == "warnings/红线-满意度"
    # S03: 组织生活 collapsed → its cases are 基层党组织建设 / 党员教育管理 cases
    unit = loaded.client.get("/api/v1/assessments/health/units/S03", headers=loaded.auth("viewer")).json()
    pres = next(p for p in unit["prescriptions"] if p["key"] == "indicator:H03")
    assert pres["steered"] and pres["cases"]
    assert all(PARTY & set(c["domains"]) for c in pres["cases"])
    assert all(c["match"] and c["why"] for c in pres["cases"])
    assert set(c["case_id"] for c in pres["cases"]) <= set(items[1]["cases"])


def test_unit_report_docx_carries_warnings_rules_and_cases(loaded: Api) -> None:
    resp = loaded.client.get("/api/v1/assessments/health/units/S02/report.docx", headers=loaded.auth("viewer"))
    assert resp.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(resp.content)).paragraphs)
    for want in ("诊断报告", "一、总体情况", "三、预警与规则依据", "红线-满意度", "四、对症实践案例", "case-"):
        assert want in text, want


def test_every_view_is_audited(loaded: Api) -> None:
    loaded.client.get("/api/v1/assessments/health/overview?region=示例区乙镇", headers=loaded.auth("viewer"))
    entry = loaded.service.store.audit.recent(1, kind="assess")[0]
    assert (entry.action, entry.user, entry.after["region"]) == ("assess_view", "viewer", "示例区乙镇")
    resp = loaded.client.get("/api/v1/assessments/health/overview.xlsx", headers=loaded.auth("viewer"))
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    assert loaded.service.store.audit.recent(1, kind="assess")[0].action == "assess_export"
