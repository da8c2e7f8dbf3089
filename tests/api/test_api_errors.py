"""Every failure answers in one JSON shape, in Chinese, naming the field where there is one."""

from __future__ import annotations

import logging

from api_helpers import Api, error_of
from fastapi.testclient import TestClient


def test_framework_errors_are_json(api: Api) -> None:
    c = api.client
    assert error_of(c.get("/api/v1/no-such-thing"), 404, code="not_found")
    error_of(c.put("/api/v1/recommend", json={"text": "x"}), 405, code="method_not_allowed")
    error_of(c.get("/api/v1/cases", params={"offset": -1}), 422, "offset")
    error_of(c.get("/api/v1/cases", params={"limit": "ten"}), 422, "limit")
    error_of(c.get("/api/v1/cases/no-such-case"), 404, "case_id")
    error_of(c.delete("/api/v1/tokens/abc", headers=api.auth("admin")), 422, "token_id")


def test_validation_error_lists_every_field(api: Api) -> None:
    err = error_of(api.client.post("/api/v1/recommend", json={"top": -1, "level": ["乡"]}), 422)
    fields = {d["field"] for d in err["details"]}
    assert {"text", "top", "level"} <= fields


def test_unexpected_errors_are_generic_and_logged(api: Api, caplog) -> None:
    """A real failure inside a request (the database vanishes) → generic 500 JSON, logged in full."""
    from zhili.app import create_app
    from zhili.service import Service

    service = Service.open(f"sqlite:///{api.home / 'doomed.db'}")
    app = create_app(service)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/api/v1/cases", params={"limit": 1}).status_code == 200
    with service.store.engine.begin() as conn:  # the table disappears under the running app
        conn.exec_driver_sql("DROP TABLE cases")
    with caplog.at_level(logging.ERROR, logger="zhili.api"):
        resp = client.get("/api/v1/cases", params={"limit": 1})
    err = error_of(resp, 500, code="internal_error")
    assert "cases" not in err["message"] and "Traceback" not in resp.text  # nothing internal leaks
    assert any("unhandled error" in r.message for r in caplog.records)
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and health.json()["ok"] is False
    service.close()


def test_empty_library_is_503_everywhere(api: Api, tmp_path) -> None:
    """Nothing published (a fresh database emptied by editors): every engine route says so."""
    from zhili.app import create_app
    from zhili.service import Service

    service = Service.open(f"sqlite:///{tmp_path / 'empty.db'}")
    for cid in service.store.cases.ids():
        service.store.cases.set_status(cid, "draft", user="editor")
    viewer = service.store.users.create("viewer", "password-123", "viewer")
    token = {"Authorization": f"Bearer {service.store.users.issue_token(viewer.id, 't')}"}
    client = TestClient(create_app(service), raise_server_exceptions=False)
    error_of(client.post("/api/v1/recommend", json={"text": "加装电梯"}), 503, code="empty_library")
    error_of(client.get("/api/v1/rules", headers=token), 503, code="empty_library")
    files = {"file": ("q.jsonl", '{"id": "1", "text": "加装电梯"}'.encode(), "application/x-ndjson")}
    error_of(client.post("/api/v1/recommend/batch", files=files), 503, code="empty_library")
    assert client.get("/api/v1/health").status_code == 503
    assert client.get("/api/v1/cases", params={"status": "all"}, headers=token).status_code == 403
    service.close()


def test_openapi_documents_the_error_shape(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    operations = [(path, op) for path, ops in spec["paths"].items() if path.startswith("/api/v1/")
                  for op in ops.values()]
    assert len(operations) >= 25
    for path, op in operations:
        ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorBody"), path
    docs = api.client.get("/docs")
    assert docs.status_code == 200 and "/docs-static/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()  # offline offices: everything from this server
    assert api.client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
    assert api.client.get("/docs-static/swagger-ui.css").status_code == 200
