"""The optional LLM extractor against a scripted local HTTP server speaking the OpenAI chat API:
a good answer (supported values taken with their spans, an invented figure and place dropped
and reported), a malformed answer, a timeout and a refusal (the built-in result stands)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from make_docs import library_cases

from zhili.ingest.extract import check_provenance
from zhili.ingest.llm import LlmExtractor
from zhili.ingest.pipeline import analyse

CASE = library_cases(1)[0]
TEXT = "\n".join([CASE["title"], CASE["problem"], CASE["practice"], "；".join(o["text"] for o in CASE["outcomes"]) + "。"])


class Script:
    mode = "good"
    requests: list[dict[str, Any]] = []


def _answer(content: Any = None, refusal: str | None = None) -> bytes:
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal:
        msg["refusal"] = refusal
    return json.dumps({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": msg}]},
                      ensure_ascii=False).encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        Script.requests.append(json.loads(self.rfile.read(length)))
        if Script.mode == "timeout":
            time.sleep(1.5)
        o = CASE["outcomes"][0]
        good = {"title": CASE["title"], "province": "", "city": "", "district": "", "level": "乡镇街道",
                "year": 2031, "problem": CASE["problem"], "practice": "他们发明了一种全新的办法。",
                "outcomes": [{"metric": o["metric"], "value": o["value"], "unit": o["unit"], "text": o["text"]},
                             {"metric": "满意率", "value": 99.9, "unit": "%", "text": "满意率达99.9%"}],
                "mechanisms": [CASE["mechanisms"][0], "月球议事会"], "domains": ["停车治理", "外星事务"],
                "actors": ["火星居委会"]}
        body = {"good": lambda: _answer(json.dumps(good, ensure_ascii=False)),
                "malformed": lambda: _answer("好的，以下是提取结果：{title: 缺引号"),
                "refusal": lambda: _answer(None, refusal="I can't help with that."),
                "timeout": lambda: _answer(json.dumps(good, ensure_ascii=False))}[Script.mode]()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_good_answer_keeps_only_what_the_text_supports(server: str) -> None:
    Script.mode = "good"
    llm = LlmExtractor(server, "local-model", timeout=5)
    res = analyse(TEXT.encode(), "材料.txt", llm=llm)
    item = res["cases"][0]
    case, prov, notes = item["case"], item["provenance"], item["notes"]
    sent = Script.requests[-1]
    assert sent["model"] == "local-model" and sent["response_format"]["type"] == "json_schema"
    assert check_provenance(res["text"], case, prov) == []
    assert case["problem"] == CASE["problem"] and case["level"] == "乡镇街道"
    assert [o["value"] for o in case["outcomes"]] == [CASE["outcomes"][0]["value"]]
    assert CASE["mechanisms"][0] in case["mechanisms"] and "月球议事会" not in case["mechanisms"]
    assert "火星居委会" not in case["actors"] and case["year"] != 2031
    dropped = " ".join(notes)
    for invented in ("99.9", "月球议事会", "火星居委会", "2031", "他们发明了", "外星事务"):
        assert invented in dropped


@pytest.mark.parametrize(("mode", "why"), [("malformed", "不是合法的 JSON"), ("refusal", "拒绝"), ("timeout", "没有回答")])
def test_a_failed_answer_leaves_the_built_in_result(server: str, mode: str, why: str) -> None:
    Script.mode = mode
    builtin = analyse(TEXT.encode(), "材料.txt")["cases"][0]
    got = analyse(TEXT.encode(), "材料.txt", llm=LlmExtractor(server, "m", timeout=0.5))["cases"][0]
    assert got["case"] == builtin["case"] and got["provenance"] == builtin["provenance"]
    assert any(why in n for n in got["notes"])
