"""Optional LLM extractor: an OpenAI-compatible chat endpoint asked for JSON (json_schema
response format); every value it returns is checked against the segment's text and dropped —
and reported — when the text does not support it. Any failure (timeout, refusal, malformed
answer, HTTP error) leaves the built-in extraction as it was, with a note saying why."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import httpx

from ..cases.model import DOMAINS, LEVELS

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "province", "city", "district", "level", "year", "problem", "practice", "outcomes",
                 "mechanisms", "domains", "actors"],
    "properties": {
        "title": {"type": "string"}, "province": {"type": "string"}, "city": {"type": "string"},
        "district": {"type": "string"}, "level": {"type": "string", "enum": ["", *LEVELS]},
        "year": {"type": ["integer", "null"]}, "problem": {"type": "string"}, "practice": {"type": "string"},
        "outcomes": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["metric", "value", "unit", "text"],
            "properties": {"metric": {"type": "string"}, "value": {"type": "number"}, "unit": {"type": "string"},
                           "text": {"type": "string"}}}},
        "mechanisms": {"type": "array", "items": {"type": "string"}},
        "domains": {"type": "array", "items": {"type": "string", "enum": list(DOMAINS)}},
        "actors": {"type": "array", "items": {"type": "string"}},
    },
}
PROMPT = ("你是基层治理案例整理员。从用户给出的原文中提取一个实践案例的字段，只能照抄原文中的词句和数字，"
          "原文没有的就留空（字符串留空、年份为 null、列表为空）。problem、practice 摘抄原文句子；outcomes 只收成效数字，"
          "text 为包含该数字的原文短句；mechanisms 为原文中的做法名称（去掉引号）。只输出符合 JSON Schema 的 JSON。")


class LlmError(Exception):
    pass


class LlmExtractor:
    """`refine(segment_text, offset, case, provenance)` → (case, provenance, notes)."""

    def __init__(self, url: str, model: str, timeout: float = 60.0, api_key: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    @classmethod
    def from_settings(cls) -> "LlmExtractor | None":
        from ..config import IngestSettings

        s = IngestSettings.load()
        if not s.llm_url:
            return None
        key = os.environ.get(s.llm_api_key_env) if s.llm_api_key_env else None
        return cls(s.llm_url, s.llm_model, s.llm_timeout, key)

    def ask(self, text: str) -> dict[str, Any]:
        body = {"model": self.model, "temperature": 0,
                "messages": [{"role": "system", "content": PROMPT}, {"role": "user", "content": text}],
                "response_format": {"type": "json_schema",
                                    "json_schema": {"name": "case", "schema": SCHEMA, "strict": True}}}
        try:
            resp = self.client.post(self.url, json=body)
        except httpx.TimeoutException:
            raise LlmError(f"大模型在 {self.timeout:g} 秒内没有回答") from None
        except httpx.HTTPError as exc:
            raise LlmError(f"无法连接大模型服务（{type(exc).__name__}）") from None
        if resp.status_code != 200:
            raise LlmError(f"大模型服务返回 HTTP {resp.status_code}")
        try:
            message = resp.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmError("大模型服务的回答格式不对（不是 OpenAI 兼容的 chat 回答）") from None
        if message.get("refusal"):
            raise LlmError(f"大模型拒绝回答：{str(message['refusal'])[:80]}")
        content = message.get("content") or ""
        content = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
        try:
            data = json.loads(content)
        except ValueError:
            raise LlmError("大模型的回答不是合法的 JSON") from None
        if not isinstance(data, dict):
            raise LlmError("大模型的回答不是 JSON 对象")
        return data

    def refine(self, text: str, offset: int, case: dict[str, Any],
               prov: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        try:
            data = self.ask(text)
        except LlmError as exc:
            return case, prov, [f"大模型提取未采用：{exc}；保留内置提取结果"]
        return merge_checked(text, offset, case, prov, data)


def _find(text: str, value: str) -> tuple[int, int] | None:
    if not value:
        return None
    i = text.find(value)
    return None if i < 0 else (i, i + len(value))


def merge_checked(text: str, offset: int, case: dict[str, Any], prov: dict[str, Any],
                  data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Take the model's values that the text supports (with their spans); report the rest."""
    case = json.loads(json.dumps(case))
    prov = dict(prov)
    notes: list[str] = []

    def drop(field: str, value: Any) -> None:
        notes.append(f"大模型给出的{field}“{value}”在原文中找不到，已舍弃")

    def at(span: tuple[int, int]) -> list[list[int]]:
        return [[offset + span[0], offset + span[1]]]

    for key in ("title", "problem", "practice", "province", "city", "district"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        span = _find(text, value)
        if span is None:
            drop(key, value)
            continue
        case[key] = value
        prov[key] = at(span)
    level = data.get("level")
    if isinstance(level, str) and level:
        if level in LEVELS:
            case["level"] = level
        else:
            drop("level", level)
    year = data.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        span = _find(text, str(year))
        if span is None or not 1949 <= year <= 2100:
            drop("year", year)
        else:
            case["year"] = year
            prov["year"] = at(span)
    outcomes = []
    for o in data.get("outcomes") or []:
        if not isinstance(o, dict) or not isinstance(o.get("value"), (int, float)) or isinstance(o.get("value"), bool):
            continue
        value = o["value"]
        shown = str(int(value)) if float(value).is_integer() else str(value)
        phrase = str(o.get("text") or "")
        pspan = _find(text, phrase)
        vspan = None
        if pspan is not None:
            i = phrase.find(shown)
            vspan = (pspan[0] + i, pspan[0] + i + len(shown)) if i >= 0 else None
        if pspan is None or vspan is None:
            drop("成效数字", f"{shown}{o.get('unit', '')}")
            continue
        unit = str(o.get("unit") or "")
        if unit and text[vspan[1]:vspan[1] + len(unit) + 2].find(unit) < 0:
            unit = ""
        outcomes.append(({"metric": str(o.get("metric") or "") if str(o.get("metric") or "") in text else "",
                          "value": int(value) if float(value).is_integer() else value, "unit": unit, "text": phrase},
                         {"value": at(vspan), "text": at(pspan)}))
    if outcomes:
        for k in [k for k in prov if k.startswith("outcomes[")]:
            del prov[k]
        case["outcomes"] = [o for o, _ in outcomes]
        for i, (_, sp) in enumerate(outcomes):
            for k, v in sp.items():
                prov[f"outcomes[{i}].{k}"] = v
    for key in ("mechanisms", "actors"):
        have = list(case.get(key, []))
        for value in data.get(key) or []:
            if not isinstance(value, str) or not value.strip():
                continue
            value = value.strip().strip("“”\"")
            span = _find(text, value)
            if span is None:
                drop(key, value)
            elif value not in have and len(have) < 10:
                prov[f"{key}[{len(have)}]"] = at(span)
                have.append(value)
        case[key] = have
    for d in data.get("domains") or []:
        if d not in DOMAINS:
            drop("领域", d)
    return case, prov, notes
