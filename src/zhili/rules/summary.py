"""One Chinese sentence per fired rule row, so a cadre reads 「命中“养老服务”分类规则：文中出现“独居、高龄”」
instead of `domain=养老服务；weight=0.5`. The raw inputs/outputs stay in the trace entry beside it.

The words quoted are the ones the row's conditions actually found: every quoted literal of a
condition cell is tried against the value the cell tested (plain words by containment, regex
literals by search), so the sentence shows evidence, not the whole word list.
"""

from __future__ import annotations

import re
from typing import Any

_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
_REGEX_CHARS = re.compile(r"[.{}()|\[\]^$*+?\\]")
_LAW = re.compile(r"《[^《》]{2,40}》")
MAX_WORDS = 4
MAX_SPAN = 8

FACET_NAMES = {"domain": "领域", "level": "层级", "province": "地区", "leadership": "引领维度",
               "mechanism": "机制", "text": "案例文字", "case_id": "案例编号"}


def _found(test: str, value: Any) -> list[str]:
    """Words of a condition cell that occur in the tested value (negated cells find nothing)."""
    if not isinstance(test, str) or test.lstrip().startswith("none("):
        return []
    hits: list[str] = []
    for raw in _LITERAL.findall(test):
        lit = raw.replace('\\"', '"').replace("\\\\", "\\")
        if not lit:
            continue
        if isinstance(value, str):
            if _REGEX_CHARS.search(lit):
                try:
                    m = re.search(lit, value)
                except re.error:
                    m = None
                if m and m.group(0):
                    # the alternative that matched says more than the whole span (“广场舞…吵”)
                    whole = m.group(0)
                    group = next((x for x in m.groups() if x), "") if m.groups() else ""
                    hits.append(whole if len(whole) <= MAX_SPAN else (group or whole[:MAX_SPAN]))
            elif lit in value:
                hits.append(lit)
        elif isinstance(value, list) and lit in value:
            hits.append(lit)
    # keep the longest evidence: drop a hit contained in another one ("电梯" inside "电梯坏了")
    unique = list(dict.fromkeys(hits))
    kept = [h for h in unique if not any(h != o and h in o for o in unique)]
    return kept[:MAX_WORDS]


def evidence(inputs: list[dict[str, Any]]) -> str:
    """「文中出现“a、b”」 from the text columns that fired, or "" when none quoted a word."""
    words: list[str] = []
    for i in inputs:
        if i.get("field") in ("text", "focus_text"):
            for w in _found(i.get("test", ""), i.get("value")):
                if w not in words:
                    words.append(w)
    return f"文中出现“{'、'.join(words[:MAX_WORDS])}”" if words else ""


def laws(basis: str) -> str:
    """The documents a basis cites (《…》), or its first clause when it cites none."""
    titles = list(dict.fromkeys(_LAW.findall(basis or "")))
    if titles:
        return "".join(titles[:3])
    first = re.split(r"[：:；;。]", basis or "", maxsplit=1)[0]
    return first[:30]


def _list(v: Any) -> list[str]:
    if v is None or v == "":
        return []
    return [str(x) for x in (v if isinstance(v, list) else [v]) if x not in (None, "")]


def summarize(target: str, inputs: list[dict[str, Any]], outputs: dict[str, Any],
              description: str = "") -> str:
    """The sentence for one fired row of a table writing `target`."""
    why = evidence(inputs)
    if not why:
        if any(i.get("field") == "domain_scores" for i in inputs):
            why = "检索到的相近案例多属这一领域"
        elif description:
            why = description
    tail = f"：{why}" if why else ""
    if target == "domain_tags":
        return f"命中“{'、'.join(_list(outputs.get('domain')))}”分类规则{tail}"
    if target == "setting":
        setting = outputs.get("setting") or ""
        if not setting:
            return "城乡环境：无法判断"
        return f"城乡环境：{setting}" + (f"（{why}）" if why else "")
    if target == "urgency_tags":
        return f"紧急情形“{outputs.get('flag')}”（{outputs.get('level') or '较急'}）{tail}"
    if target == "routing":
        lead = outputs.get("routing.lead") or outputs.get("lead") or ""
        basis = str(outputs.get("routing.basis") or outputs.get("basis") or "")
        sup = _list(outputs.get("routing.supporting", outputs.get("supporting")))
        text = f"牵头：{lead}"
        if basis:
            text += f"（依据：{laws(basis)}）"
        if sup:
            text += f"；配合：{'、'.join(sup)}"
        return text
    if target == "support_tags":
        reason = outputs.get("reason") or description
        return f"补充配合：{'、'.join(_list(outputs.get('actors')))}" + (f"（{reason}）" if reason else "")
    if target == "risk_factors":
        kind = outputs.get("kind") or ""
        label = {"重大行政决策": "重大行政决策风险", "矛盾纠纷": "矛盾纠纷风险"}.get(kind, "风险因素")
        text = f"{label}“{outputs.get('factor')}”（{outputs.get('level')}）"
        procs = _list(outputs.get("procedures"))
        if procs:
            text += f"：须{'、'.join(procs)}"
        if evidence(inputs):
            text += f"（{evidence(inputs)}）"
        return text
    if target == "boosts":
        facet = FACET_NAMES.get(str(outputs.get("facet")), str(outputs.get("facet")))
        value = "、".join(_list(outputs.get("value")))
        w = outputs.get("weight")
        w = float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) else 0.0
        verb = "优先参考" if w >= 0 else "靠后排列"
        reason = outputs.get("reason") or description
        return f"{verb}{facet}为“{value}”的案例（{w:+g}）" + (f"：{reason}" if reason else "")
    if target == "filters":
        facet = FACET_NAMES.get(str(outputs.get("facet")), str(outputs.get("facet")))
        verb = "只保留" if outputs.get("op") == "in" else "排除"
        reason = outputs.get("reason") or description
        return f"{verb}{facet}为“{'、'.join(_list(outputs.get('values')))}”的案例" + (f"：{reason}" if reason else "")
    if target == "suggestions":
        return "四个引领可考虑的做法" + (f"（{description}）" if description else "")
    return description or "命中规则"
