"""POST /api/v1/ingest (multipart): a batch id and per-document results; an unreadable file
refuses the batch (422, nothing stored); likely duplicates are held back until released; a
batch is published all or nothing, and can be deleted."""

from __future__ import annotations

import sys
from pathlib import Path

from api_helpers import Api

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from make_docs import compilation_docx, library_cases  # noqa: E402

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_ingest_over_the_api(api: Api) -> None:
    cases = library_cases(2)  # still in this library: both drafts are likely duplicates
    data = compilation_docx(cases)
    bad = api.client.post("/api/v1/ingest", headers=api.auth("editor"),
                          files=[("files", ("a.docx", data, DOCX)), ("files", ("b.wps", b"\xd0\xcf\x11\xe0" + bytes(99), "application/octet-stream"))])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unreadable_document"
    assert "b.wps" in bad.json()["error"]["message"]
    assert api.client.get("/api/v1/ingest/batches", headers=api.auth("editor")).json() == []
    assert api.client.post("/api/v1/ingest", headers=api.auth("viewer"),
                           files=[("files", ("a.docx", data, DOCX))]).status_code == 403

    resp = api.client.post("/api/v1/ingest", headers=api.auth("editor"), data={"batch": "接口批次"},
                           files=[("files", ("a.docx", data, DOCX))])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    batch = body["batch_id"]
    doc = body["documents"][0]
    assert doc["error"] is None and [c["case"]["title"] for c in doc["cases"]] == [c["title"] for c in cases]
    assert [c["duplicates"][0]["case_id"] for c in doc["cases"]] == [c["id"] for c in cases]
    assert sorted(body["held"]) == sorted(c["case"]["id"] for c in doc["cases"])

    got = api.client.get(f"/api/v1/ingest/batches/{batch}", headers=api.auth("editor")).json()
    assert got["name"] == "接口批次" and {d["state"] for d in got["drafts"]} == {"held"}
    first = got["drafts"][0]["case_id"]
    assert api.client.post(f"/api/v1/ingest/batches/{batch}/publish", headers=api.auth("editor")).status_code == 422
    assert api.client.post(f"/api/v1/ingest/drafts/{first}/release", headers=api.auth("editor")).status_code == 200
    unreviewed = api.client.post(f"/api/v1/ingest/batches/{batch}/publish", headers=api.auth("editor"))
    assert unreviewed.status_code == 422 and "未审核" in unreviewed.json()["error"]["message"]
    assert api.client.post(f"/api/v1/ingest/drafts/{first}/accept", headers=api.auth("editor")).status_code == 200
    refused = api.client.post(f"/api/v1/ingest/batches/{batch}/publish", headers=api.auth("editor"))
    assert refused.status_code == 422 and "来源" in refused.json()["error"]["message"]
    assert api.service.store.cases.get_record(first).status == "draft"
    gone = api.client.delete(f"/api/v1/ingest/batches/{batch}", headers=api.auth("editor"))
    assert gone.status_code == 200 and gone.json()["drafts_removed"] == 1
    assert api.service.store.cases.get(first) is None


def test_embedding_similarity_flags_a_retelling_where_vectors_exist(api: Api) -> None:
    """The serving engine has dense vectors: a draft saying what a library case says is flagged by
    cosine even when the character-level check found nothing."""
    service = api.service
    service.engine()
    assert service.state.dense
    lib = service.store.cases.published()[7]
    draft = {"case": {"id": "ingest-test-01", **{k: v for k, v in lib.model_dump(mode="json").items() if k != "id"}},
             "duplicates": [], "notes": []}
    service.ingest._dense_duplicates([{"cases": [draft]}])
    assert draft["duplicates"] and draft["duplicates"][0]["case_id"] == lib.id
    assert draft["duplicates"][0]["similarity"] >= 0.97 and "语义高度相似" in draft["notes"][0]
