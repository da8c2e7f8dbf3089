"""POST /api/v1/recommend and /recommend/batch on the real engine and store."""

from __future__ import annotations

import json

from zhili.answer import Answer

from api_helpers import Api, error_of as _error, make_api

URL = "/api/v1/recommend"
PROBLEM = "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果"


def test_answer_is_the_cli_json_plus_query_id(api: Api) -> None:
    resp = api.client.post(URL, json={"text": PROBLEM, "top": 5})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    query_id = body.pop("query_id")
    assert len(query_id) == 32
    expected = api.service.engine().recommend(PROBLEM, top_k=5).model_dump(mode="json")
    assert body == expected  # the same shape and values as `zhili recommend --json`
    Answer.model_validate(body)
    assert len(body["results"]) == 5 and body["results"][0]["domains"]


def test_a_near_miss_answer_carries_the_caution(api: Api) -> None:
    """Street-light cases exist, about broken lights, not switch-off times: fit, with a caution."""
    body = api.client.post(URL, json={"text": "早上六点多路灯就关了，孩子上学路上一片漆黑，能不能晚点关灯"}).json()
    assert body["verdict"] == "fit" and body["caution"] is True and not body["no_fit"]
    assert "核对其做法是否适用" in body["message"] and body["results"]
    body = api.client.post(URL, json={"text": PROBLEM}).json()
    assert body["caution"] is False and body["message"] == ""


def test_without_rules_like_the_cli_flag(api: Api) -> None:
    body = api.client.post(URL, json={"text": PROBLEM, "top": 3, "rules": False}).json()
    body.pop("query_id")
    assert not body["rules_used"] and body["rule_trace"] == [] and body["routing"] is None
    assert body == api.service.engine().recommend(PROBLEM, top_k=3, use_rules=False).model_dump(mode="json")


def test_filters_single_value_or_list(api: Api) -> None:
    one = api.client.post(URL, json={"text": PROBLEM, "province": "浙江", "level": "村社区"}).json()
    many = api.client.post(URL, json={"text": PROBLEM, "province": ["浙江"], "level": ["村社区"]}).json()
    assert one["filters"] == many["filters"] == {"province": ["浙江"], "level": ["村社区"]}
    assert one["results"] and all(r["province"] == "浙江" and r["level"] == "村社区" for r in one["results"])
    years = api.client.post(URL, json={"text": PROBLEM, "year_from": 2022, "year_to": 2023}).json()
    assert all(2022 <= r["year"] <= 2023 for r in years["results"])


def test_query_is_logged_masked(api: Api) -> None:
    text = "我叫张三，电话13812345678，身份证110105199001011234，小区加装电梯一楼反对"
    resp = api.client.post(URL, json={"text": text, "province": "北京"})
    record = api.service.store.queries.get(resp.json()["query_id"])
    assert record is not None
    assert "13812345678" not in record.text and "110105199001011234" not in record.text
    assert "加装电梯" in record.text and record.province == "北京"
    assert record.top_case_ids == [r["case_id"] for r in resp.json()["results"]]


def test_logged_in_user_is_recorded(api: Api) -> None:
    resp = api.client.post(URL, json={"text": PROBLEM}, headers=api.auth("viewer"))
    assert api.service.store.queries.get(resp.json()["query_id"]).user == "viewer"


def test_bad_requests_name_the_field(api: Api) -> None:
    post = api.client.post
    _error(post(URL, json={"text": ""}), 422, "text")
    _error(post(URL, json={"text": "   "}), 422, "text", "invalid_query")
    _error(post(URL, json={"top": 3}), 422, "text")
    _error(post(URL, json={"text": 123}), 422, "text")
    _error(post(URL, json={"text": PROBLEM, "top": 0}), 422, "top")
    _error(post(URL, json={"text": PROBLEM, "top": "many"}), 422, "top")
    err = _error(post(URL, json={"text": PROBLEM, "level": "乡"}), 422, "level")
    assert "乡镇街道" in err["message"]
    _error(post(URL, json={"text": PROBLEM, "domain": ["不存在的领域"]}), 422, "domain")
    _error(post(URL, json={"text": PROBLEM, "year_from": 2024, "year_to": 2020}), 422)
    _error(post(URL, json={"text": PROBLEM, "colour": "red"}), 422, "colour")
    _error(post(URL, json={"text": "字" * 20_001}), 422, "text")
    _error(post(URL, json=[PROBLEM]), 422)


def test_malformed_json_wrong_type_and_huge_body(api: Api) -> None:
    post = api.client.post
    _error(post(URL, content=b'{"text": "x",', headers={"content-type": "application/json"}), 422,
           code="invalid_json")
    _error(post(URL, content=b"\xff\xfe\x00garbage", headers={"content-type": "application/json"}), 422)
    _error(post(URL, content="text=加装电梯".encode(), headers={"content-type": "application/x-www-form-urlencoded"}),
           415, "content-type")
    _error(post(URL, content=b"x"), 415)  # no content type at all
    huge = json.dumps({"text": "电梯" * 600_000}).encode()
    _error(post(URL, content=huge, headers={"content-type": "application/json"}), 413, code="payload_too_large")

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(40):
            yield b" " * 65_536
    _error(post(URL, content=chunks(), headers={"content-type": "application/json"}), 413)


def test_search_can_require_login(api: Api, monkeypatch) -> None:
    from zhili.api.settings import ApiSettings

    gen = make_api(api.service.store.engine.url.render_as_string(hide_password=False), api.home,
                   ApiSettings(require_login_for_search=True))
    closed = next(gen)
    try:
        _error(closed.client.post(URL, json={"text": PROBLEM}), 401, code="unauthorized")
        assert closed.client.post(URL, json={"text": PROBLEM}, headers=closed.auth("viewer")).status_code == 200
    finally:
        gen.close()


# ---- batch --------------------------------------------------------------------------------------

BATCH = URL + "/batch"
ORDERS = "\n".join([
    json.dumps({"id": "A1", "text": "小区物业跑路了，垃圾没人清，找谁？"}, ensure_ascii=False),
    json.dumps({"id": "A2", "text": ""}, ensure_ascii=False),
    "{not json",
    json.dumps({"id": "A4", "text": "天价彩礼 移风易俗", "top": 3, "province": "浙江"}, ensure_ascii=False),
]).encode("utf-8")


def test_batch_jsonl_reports_bad_rows_and_answers_the_rest(api: Api) -> None:
    resp = api.client.post(BATCH, files={"file": ("orders.jsonl", ORDERS, "application/x-ndjson")})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [r["id"] for r in body["results"]] == ["A1", "A4"] and body["count"] == 2
    assert len(body["results"][1]["results"]) == 3 and body["results"][1]["filters"] == {"province": ["浙江"]}
    assert all(api.service.store.queries.get(r["query_id"]) for r in body["results"])
    assert sorted(e["row"] for e in body["errors"]) == [2, 3]
    assert all("第" in e["message"] for e in body["errors"])


def test_batch_csv_as_ndjson(api: Api) -> None:
    data = "工单号,诉求内容,来电时间\nC1,楼上漏水 物业不管,2024-01-01\nC2,村里红白喜事大操大办,2024-01-02\n"
    resp = api.client.post(BATCH, files={"file": ("orders.csv", data.encode("gbk"), "text/csv")},
                           data={"top": "2"}, headers={"Accept": "application/x-ndjson"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in resp.text.splitlines()]
    assert [line["id"] for line in lines] == ["C1", "C2"]
    assert all(len(line["results"]) == 2 for line in lines)


def test_batch_row_top_wins_even_when_it_is_ten(api: Api) -> None:
    data = "工单号,诉求内容,top\nT1,楼上漏水 物业不管,10\nT2,村里红白喜事大操大办,\n"
    resp = api.client.post(BATCH, files={"file": ("orders.csv", data.encode("utf-8"), "text/csv")},
                           data={"top": "2"})
    assert resp.status_code == 200, resp.text
    assert [len(r["results"]) for r in resp.json()["results"]] == [10, 2]


def test_batch_refuses_unusable_files(api: Api) -> None:
    post = api.client.post
    err = _error(post(BATCH, files={"file": ("orders.jsonl", b"", "application/x-ndjson")}), 422, "file")
    assert "空" in err["message"]
    err = _error(post(BATCH, files={"file": ("orders.csv", "标题,备注\n甲,乙\n".encode(), "text/csv")}),
                 422, "file", "invalid_file")
    assert err["rows"]
    _error(post(BATCH, files={"file": ("orders.pdf", b"%PDF-1.4 ...", "application/pdf")}), 422, "file")
    _error(post(BATCH, json={"text": PROBLEM}), 415)
    _error(post(BATCH, files={"other": ("orders.jsonl", ORDERS, "application/x-ndjson")}), 422, "file")


def test_nul_in_problem_text_is_refused(api: Api) -> None:
    _error(api.client.post(URL, json={"text": "加装电梯\x00一楼反对"}), 422, "text", "nul_character")
