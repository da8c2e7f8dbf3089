"""Assessment data in a real database (SQLite file and PostgreSQL): migration 0005d keeps every
account row, imports are all-or-nothing with every bad cell named, views are audited."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from zhili.assess import Record, load_pack
from zhili.assess.sheets import AssessFileError, write_template
from zhili.store import Store, migrate
from zhili.store.schema import audit_table, make_engine

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "assessments"


def audit_actions(store: Store, kind: str = "assess") -> list[str]:
    with store.engine.connect() as conn:
        return [r.action for r in conn.execute(select(audit_table).where(audit_table.c.kind == kind)
                                               .order_by(audit_table.c.id))]


def test_migration_keeps_accounts_and_allows_assessors(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0004f")
        store = Store(engine)
        admin = store.users.create("管理员", "correct-horse-9", "admin")
        store.users.issue_token(admin.id, "热线")
        store.sessions.start(admin.id)
        with engine.begin() as conn:  # favourites need no case row (no foreign key to cases)
            conn.execute(text("insert into favorites (user_id, case_id, created_at) values (:u, 'case-0001', :t)"),
                         {"u": admin.id, "t": "2026-01-01 00:00:00"})
        with engine.connect() as conn:
            before = [conn.execute(text(f"select count(*) from {t}")).scalar() for t in
                      ("api_tokens", "user_sessions", "favorites")]
        migrate.upgrade(engine)
        with engine.connect() as conn:
            after = [conn.execute(text(f"select count(*) from {t}")).scalar() for t in
                     ("api_tokens", "user_sessions", "favorites")]
        assert after == before == [1, 1, 1]
        assessor = store.users.create("测评员", "correct-horse-9", "assessor")
        assert store.users.by_name("测评员").role == "assessor" and not assessor.has_role("editor")
        with pytest.raises(Exception):
            with engine.begin() as conn:
                conn.execute(text("update users set role = 'boss' where id = :i"), {"i": assessor.id})
        migrate.downgrade(engine, "0004f")
        assert store.users.by_name("测评员").role == "viewer"
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def test_bad_sheet_named_cell_by_cell_and_nothing_stored(db_url: str, tmp_path: Path, zhili_home: Path) -> None:
    from zhili.service import Service

    pack = load_pack("health")
    good = tmp_path / "good.xlsx"
    good.write_bytes(write_template(pack, [Record("A1", "2025Q1", dict(pack.baseline), "甲", "某区")]))
    wb = openpyxl.load_workbook(good)
    ws = wb["数据"]
    ws.append(["A2", "乙", "某区", "2025Q5"] + [100] * 4 + ["abc"] + [100] * 7)   # row 3: period, H05
    ws.append(["", "丙", "某区", "2025Q1"] + [100] * 11 + [None])               # row 4: unit, H12
    ws.append(["A1", "甲", "某区", "2025Q1"] + [101] + [100] * 11)              # row 5: H01 range, duplicate
    ws.append(["A/3", "丁", "某区", "2025Q1"] + [100] * 12)                       # row 6: "/" in an id
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with Service.open(db_url) as service:
        with pytest.raises(AssessFileError) as info:
            service.assessments.import_file("health", bad, by="测评员")
        got = [(e.sheet, e.row, e.letter, e.column, e.reason) for e in info.value.errors]
        assert [(s, r, letter) for s, r, letter, _, _ in got] == [
            ("数据", 3, "D"), ("数据", 3, "I"), ("数据", 4, "A"), ("数据", 4, "P"), ("数据", 5, "E"), ("数据", 5, "A"),
            ("数据", 6, "A")]
        assert "不是有效期次" in got[0][4] and "不是数字" in got[1][4] and "必填" in got[2][4]
        assert got[3][3].startswith("H12") and "超出范围" in got[4][4] and "重复" in got[5][4] and "网址" in got[6][4]
        assert service.store.assessments.records("health") == []
        assert audit_actions(service.store) == []
        # the same file without its bad rows goes in whole, and a re-import replaces
        summary = service.assessments.import_file("health", good, by="测评员")
        assert (summary.rows, summary.added, summary.replaced) == (1, 1, 0)
        summary = service.assessments.import_file("health", good, by="测评员")
        assert (summary.added, summary.replaced) == (0, 1)
        assert len(service.store.assessments.records("health")) == 1
        assert audit_actions(service.store) == ["assess_import", "assess_import"]


def test_gbk_csv_and_views_are_audited(db_url: str, tmp_path: Path, zhili_home: Path) -> None:
    from zhili.assess.sheets import columns
    from zhili.service import Service

    pack = load_pack("capability")
    path = tmp_path / "capability.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([h for _, h in columns(pack)])
        for period, c05 in (("2025Q1", 92), ("2025Q2", 84), ("2025Q3", 76)):
            values = {**pack.baseline, "C05": c05}
            w.writerow(["P9", "示例干部（样例）", "某街道", period, "社区工作者"] + [values[i.id] for i in pack.indicators])
            for n in range(1, 5):  # four steady colleagues in another street
                w.writerow([f"Q{n}", f"同事{n}", "另一街道", period, "网格员"] + [pack.baseline[i.id] for i in pack.indicators])
    with Service.open(db_url) as service:
        service.assessments.import_file("capability", path, by="测评员")
        view = service.assessments.unit("capability", "P9", personal=True, with_cases=False, by="测评员")
        assert view["name"] == "示例干部（样例）" and [h["period"] for h in view["history"]] == ["2025Q1", "2025Q2", "2025Q3"]
        assert {(w["kind"], w["indicator"]) for w in view["latest"]["warnings"]} == {("decline", "C05")}
        assert "<svg" in view["radar"] and view["radar"].count("<polygon") == 7  # 5 rings, requirement, scores
        over = service.assessments.overview("capability", by="查看者")  # personal=False: aggregates only
        assert over["personal_hidden"] and not over["suppressed"] and over["rows"] == [] and over["warnings"] == []
        assert over["units"] == 5 and over["warning_counts"] == {"decline": 1}
        assert "P9" not in str(over) and "示例干部" not in str(over)
        # one person's "average" is that person's score: a group under five shows no aggregate
        alone = service.assessments.overview("capability", region="某街道", by="查看者")
        assert alone["suppressed"] and alone["units"] == 1 and alone["average_total"] is None
        assert set(alone["dimension_averages"].values()) == {None} and alone["warning_counts"] == {}
        assert not service.assessments.overview("capability", region="某街道", personal=True)["suppressed"]
        assert audit_actions(service.store) == ["assess_import", "assess_view", "assess_view", "assess_view",
                                                "assess_view"]
        with service.store.engine.connect() as conn:
            who = conn.execute(select(audit_table.c.user).where(audit_table.c.kind == "assess")
                               .order_by(audit_table.c.id.desc()).offset(1)).first()[0]
        assert who == "查看者"


def test_sample_files_trigger_every_kind_once_and_a_stable_unit_none(zhili_home: Path) -> None:
    from zhili.service import Service

    with Service.open() as service:
        for name in ("health", "capability"):
            service.assessments.import_file(name, SAMPLES / f"{name}-sample.xlsx")
            results = service.assessments.results(name)
            latest = {u: h[-1] for u, h in results.items()}
            kinds = {u: {w.kind for w in r.warnings} for u, r in latest.items()}
            stable = [u for u, h in results.items() if not any(r.warnings for r in h)]
            assert len(stable) == 1
            assert sorted(k for ks in kinds.values() for k in ks) == ["decline", "drop", "red_line"]
            assert all(len(h) >= 3 for h in results.values())
