"""The ingestion use cases on a real store (SQLite file and PostgreSQL): a batch is stored
whole or not at all, re-ingesting a file is a no-op, a likely duplicate is held back, every
review action is audited, publishing enforces the required fields, deleting a batch removes its
drafts — and a published draft is then found by search."""

from __future__ import annotations

from pathlib import Path

import pytest
from make_docs import compilation_docx, compilation_pdf, library_cases, web_page

from zhili.ingest.service import ReviewError
from zhili.service import Service

CASES = library_cases(4)


@pytest.fixture
def service(db_url: str, zhili_home: Path):
    with Service.open(db_url) as s:
        # the compilation's cases are new to this library; case 5 (a web page) stays: a duplicate
        s.store.cases.delete([c["id"] for c in CASES], user="setup")
        yield s


def _audit(service: Service, case_id: str) -> list[str]:
    return [e.action for e in service.store.audit.history(case_id)]


def test_batch_review_and_publish(service: Service) -> None:
    ing = service.ingest
    before = service.store.cases.count()
    dup_source = library_cases(5)[4]
    docx_bytes = compilation_docx(CASES)
    report = ing.run([("汇编.docx", docx_bytes), ("网页.html", web_page(dup_source))],
                     batch="第一批", user="张编辑")
    assert report.stored and report.batch_id
    drafts = service.store.ingest.drafts(report.batch_id)
    held = [d for d in drafts if d.state == "held"]
    assert len(held) == 1 and held[0].duplicates[0]["case_id"] == dup_source["id"]
    assert held[0].duplicates[0]["similarity"] >= 0.6
    assert service.store.cases.get(held[0].case_id) is None  # not imported unless the reviewer says so
    live = [d for d in drafts if d.state == "draft"]
    assert len(live) == 4 and service.store.cases.count() == before + 4
    assert all(service.store.cases.get_record(d.case_id).status == "draft" for d in live)
    assert all(_audit(service, d.case_id) == ["create"] for d in live)
    assert service.store.ingest.batch(report.batch_id).name == "第一批"

    # the same file again: a no-op that says so
    again = ing.run([("汇编-副本.docx", docx_bytes)], user="张编辑")
    assert not again.stored and "未重复导入" in again.skipped[0]["message"]
    assert len(service.store.ingest.batches()) == 1

    # one unreadable file refuses the whole batch: nothing stored
    bad = ing.run([("汇编.pdf", compilation_pdf(CASES)), ("损坏.docx", b"PK\x03\x04broken")], user="张编辑")
    assert not bad.stored and bad.errors[0]["error"]["code"] == "corrupt"
    assert service.store.cases.count() == before + 4 and len(service.store.ingest.batches()) == 1

    first, second, third, fourth = live
    with pytest.raises(ReviewError, match="未审核"):
        ing.publish(report.batch_id, "李审核")  # every draft is reviewed first
    assert service.store.cases.get_record(first.case_id).status == "draft"  # all or nothing

    ing.edit(first.case_id, {"source": {"title": "基层治理典型案例选编"}, "title": CASES[0]["title"] + "（审）"}, "李审核")
    assert service.store.cases.get(first.case_id).title.endswith("（审）")
    assert "source.title" not in service.store.ingest.draft(first.case_id).provenance
    ing.accept(first.case_id, "李审核")
    ing.reject(second.case_id, "李审核")
    assert service.store.cases.get(second.case_id) is None
    ing.release(held[0].case_id, "李审核")
    assert service.store.cases.get_record(held[0].case_id).status == "draft"
    merged = ing.merge([third.case_id, fourth.case_id], "李审核")
    assert service.store.ingest.draft(fourth.case_id) is None and service.store.cases.get(fourth.case_id) is None
    m = service.store.ingest.draft(merged)
    parts = ing.split(merged, (m.segment[0] + m.segment[1]) // 2, "李审核")
    assert len(parts) == 2 and all(service.store.cases.get(p) is not None for p in parts)

    assert _audit(service, first.case_id) == ["create", "update", "review_accepted"]
    assert _audit(service, second.case_id)[-2:] == ["remove", "review_rejected"]
    assert "review_draft" in _audit(service, held[0].case_id)
    assert "merge" in _audit(service, fourth.case_id)
    assert "split" in _audit(service, parts[1])

    with pytest.raises(ReviewError, match="未审核"):
        ing.publish(report.batch_id, "李审核")
    rest = [d.case_id for d in service.store.ingest.drafts(report.batch_id)
            if d.state in ("draft", "accepted") and d.case_id != first.case_id]
    for cid in rest:
        ing.accept(cid, "李审核")
    with pytest.raises(ReviewError, match="来源"):
        ing.publish(report.batch_id, "李审核")  # a compilation names no source: required
    assert service.store.cases.get_record(first.case_id).status == "draft"  # all or nothing
    for cid in rest:
        ing.edit(cid, {"source": {"title": "基层治理典型案例选编"}}, "李审核")
    published = ing.publish(report.batch_id, "李审核")
    assert first.case_id in published and second.case_id not in published
    assert service.store.cases.get_record(first.case_id).status == "published"
    assert service.store.ingest.batch(report.batch_id).status == "published"
    _qid, answer = service.recommend(CASES[0]["problem"], top=10)
    assert first.case_id in [r.case_id for r in answer.results]  # matched once published

    # deleting the batch removes its drafts (none left unpublished here but the rejected one) and files
    n = ing.delete(report.batch_id, "李审核")
    assert n == 0 and service.store.cases.get(first.case_id) is not None
    assert service.store.ingest.batches() == []


def test_deleting_a_batch_removes_its_drafts(service: Service) -> None:
    report = service.ingest.run([("汇编.pdf", compilation_pdf(CASES))], user="张编辑")
    ids = [d.case_id for d in service.store.ingest.drafts(report.batch_id)]
    assert len(ids) == 4 and all(service.store.cases.get(i) for i in ids)
    assert service.ingest.delete(report.batch_id, "张编辑") == 4
    assert not any(service.store.cases.get(i) for i in ids)
    assert all(_audit(service, i)[-1] == "remove" for i in ids)
    # and the file can be ingested again afterwards
    assert service.ingest.run([("汇编.pdf", compilation_pdf(CASES))], user="张编辑").stored


def test_a_file_whose_batch_was_deleted_gets_fresh_ids(service: Service) -> None:
    data = compilation_pdf(CASES[:2])
    first = service.ingest.run([("a.pdf", data)], user="甲")
    ids = [d.case_id for d in service.store.ingest.drafts(first.batch_id)]
    for i in ids:
        service.ingest.edit(i, {"source": {"title": "选编"}}, "甲")
        service.ingest.accept(i, "乙")
    service.ingest.publish(first.batch_id, "乙")
    service.ingest.delete(first.batch_id, "乙")  # the published cases stay
    again = service.ingest.run([("a.pdf", data)], user="甲", allow_duplicates=True)
    new_ids = [d.case_id for d in service.store.ingest.drafts(again.batch_id)]
    assert set(new_ids).isdisjoint(ids) and all(service.store.cases.get_record(i).status == "published" for i in ids)
