"""Issue 9: the web /feedback form and POST /api/v1/feedback run one check (zhili.feedback): only a
case shown for that query takes a vote, and a draft id answers exactly like a missing one."""

from __future__ import annotations

import re

from api_helpers import Api, new_case
from fastapi.testclient import TestClient

HIDDEN = "草稿反馈探测钟楼议事"


def _anonymous_form_client(api: Api) -> tuple[TestClient, str]:
    client = TestClient(api.client.app)
    page = client.get("/", headers={"accept": "text/html"})
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_web_and_api_refuse_the_same_votes_alike(api: Api) -> None:
    draft = new_case(HIDDEN)
    assert api.client.post("/api/v1/cases", json=draft, headers=api.auth("editor")).status_code == 201
    answer = api.client.post("/api/v1/recommend", json={"text": "小区停车难，车位被占", "top": 3}).json()
    shown = answer["results"][0]["case_id"]
    web, csrf = _anonymous_form_client(api)

    def vote_web(case_id: str, query_id: str = answer["query_id"]):
        return web.post("/feedback", data={"csrf_token": csrf, "query_id": query_id, "case_id": case_id,
                                           "verdict": "helpful"}, headers={"accept": "application/json"})

    def vote_api(case_id: str, query_id: str = answer["query_id"]):
        return api.client.post("/api/v1/feedback", json={"query_id": query_id, "case_id": case_id,
                                                         "verdict": "helpful"})

    before = len(api.service.store.feedback.list(query_id=answer["query_id"]))
    for vote in (vote_web, vote_api):
        missing, hidden = vote("t-nosuchcase00"), vote(draft["id"])
        assert (missing.status_code, hidden.status_code) == (422, 422), hidden.text
        assert missing.text.replace("t-nosuchcase00", "X") == hidden.text.replace(draft["id"], "X")
        assert "不在这次查询的推荐结果中" in hidden.text
        not_shown = next(c for c in ("case-0001", "case-0002", "case-0003", "case-0004")
                         if c not in [r["case_id"] for r in answer["results"]])
        assert vote(not_shown).status_code == 422
        assert vote(shown, query_id="0" * 32).status_code == 404
    assert len(api.service.store.feedback.list(query_id=answer["query_id"])) == before
    assert vote_web(shown).status_code == 200 and vote_api(shown).status_code == 201
    stored = api.service.store.feedback.list(query_id=answer["query_id"])
    assert [f.case_id for f in stored] == [shown, shown]
    html = web.post("/feedback", data={"csrf_token": csrf, "query_id": answer["query_id"],
                                       "case_id": draft["id"], "verdict": "helpful"})
    assert html.status_code == 422 and "反馈未记录" in html.text
