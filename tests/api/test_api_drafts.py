"""Issue 9: a draft is work in progress. Every read path answers a viewer or an anonymous caller
exactly as it answers for a case that does not exist; editors see drafts."""

from __future__ import annotations

from api_helpers import Api, error_of, new_case

CASES = "/api/v1/cases"
SECRET = "未公开草稿内容宝塔议事"


def _draft(api: Api) -> str:
    case = new_case(SECRET)
    assert api.client.post(CASES, json=case, headers=api.auth("editor")).status_code == 201
    return case["id"]


def _same_404(missing, draft, missing_id: str, draft_id: str) -> None:
    assert (missing.status_code, draft.status_code) == (404, 404), draft.text
    assert draft.text.replace(draft_id, "X") == missing.text.replace(missing_id, "X")
    assert SECRET not in draft.text


def test_history_of_a_draft_is_hidden_from_viewers(api: Api) -> None:
    draft, missing = _draft(api), "t-nosuchcase00"
    for who in ({}, api.auth("viewer")):
        a = api.client.get(f"{CASES}/{missing}/history", headers=who)
        b = api.client.get(f"{CASES}/{draft}/history", headers=who)
        if not who:  # history needs a login: the anonymous get the same 401 for every id
            assert (a.status_code, b.status_code) == (401, 401) and a.text == b.text
        else:
            _same_404(a, b, missing, draft)
        _same_404(api.client.get(f"{CASES}/{missing}", headers=who),
                  api.client.get(f"{CASES}/{draft}", headers=who), missing, draft)
    resp = api.client.get(f"{CASES}/{draft}/history", headers=api.auth("editor"))
    assert resp.status_code == 200 and SECRET in resp.text


def test_viewers_see_history_of_published_cases_without_draft_bodies(api: Api) -> None:
    case_id = _draft(api)
    ed = api.auth("editor")
    assert api.client.post(f"{CASES}/{case_id}/publish", headers=ed).status_code == 200
    resp = api.client.get(f"{CASES}/{case_id}/history", headers=api.auth("viewer"))
    assert resp.status_code == 200
    entries = resp.json()["entries"]
    assert [e["action"] for e in entries] == ["create", "status"]
    assert entries[0]["after"] == {"status": "draft", "case": None}
    assert entries[1]["before"]["case"] is None and entries[1]["after"]["case"]["title"] == SECRET
    api.client.delete(f"{CASES}/{case_id}", headers=ed)
    error_of(api.client.get(f"{CASES}/{case_id}/history", headers=api.auth("viewer")), 404, "case_id")
    assert api.client.get(f"{CASES}/{case_id}/history", headers=ed).status_code == 200


def test_no_other_read_path_shows_a_draft(api: Api) -> None:
    draft = _draft(api)
    viewer, _ = api.session("viewer")
    for client, headers in ((api.client, {}), (api.client, api.auth("viewer")), (viewer, {})):
        listed = client.get(CASES, params={"q": SECRET}, headers=headers)
        assert listed.status_code == 200 and listed.json()["total"] == 0
        assert client.get(CASES, params={"status": "draft"}, headers=headers).status_code in (401, 403)
        exported = client.get(f"{CASES}/export", params={"format": "jsonl"}, headers=headers)
        assert exported.status_code == 200 and SECRET not in exported.text
        assert client.get(f"{CASES}/export", params={"status": "all"}, headers=headers).status_code in (401, 403)
        found = client.post("/api/v1/recommend", json={"text": SECRET}, headers=headers)
        assert draft not in found.text
    # the web pages: the case page answers a draft like a missing case; history is for editors
    html = {"accept": "text/html"}
    missing = viewer.get("/cases/t-nosuchcase00", headers=html)
    page = viewer.get(f"/cases/{draft}", headers=html)
    _same_404(missing, page, "t-nosuchcase00", draft)
    assert viewer.get(f"/admin/cases/{draft}/history", headers=html).status_code == 403
    anonymous = api.client.get(f"/admin/cases/{draft}/history", headers=html, follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    editor, _ = api.session("editor")
    assert SECRET in editor.get(f"/admin/cases/{draft}/history", headers=html).text
    assert SECRET in editor.get(f"/cases/{draft}", headers=html).text
