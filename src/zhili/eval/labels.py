"""No-fit flag on hand-labelled texts: `zhili eval DIR --fit-labels FILE [--messages FILE]`.

A labels file is JSONL, one `{"id", "fit": true|false}` per line (optional `"borderline": true`
when the labeller was unsure, `"reason"`, and `"text"`). Texts come from the line itself or,
for labels kept apart from the texts (e.g. tests/data/messages_fit_labels_grown.jsonl, whose messages
may not be copied into the repository), from a messages file of `{"id", "text"}` lines.
Reported: the share of no-fit texts the engine flags (recall), the share of fit texts it flags
(false flags) and the flag's precision — over all labels and over the clear ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from .dataset import EvalFormatError


@dataclass
class Labelled:
    id: str
    text: str
    fit: bool
    borderline: bool = False


class _Answer(Protocol):
    no_fit: bool
    verdict: str


def _jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalFormatError(f"无法读取 {path}：{exc}") from exc
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalFormatError(f"{path}:{n}: 不是合法的 JSON（{exc.msg}）") from exc
            if not isinstance(row, dict):
                raise EvalFormatError(f"{path}:{n}: 每行应为一个 JSON 对象")
            rows.append((n, row))
    return rows


def load_fit_labels(labels: Path, messages: Path | None = None) -> list[Labelled]:
    """Labels joined with their texts; every problem names file and line."""
    texts: dict[str, str] = {}
    if messages is not None:
        texts = {str(r.get("id")): str(r.get("text") or "") for _, r in _jsonl(messages)}
    out = []
    for n, row in _jsonl(labels):
        if "id" not in row or not isinstance(row.get("fit"), bool):
            raise EvalFormatError(f"{labels}:{n}: 应有 id 和布尔值 fit")
        text = row.get("text") or texts.get(str(row["id"]))
        if not text:
            where = f"，也不在 {messages} 中" if messages else "（可用 --messages 指定留言文件）"
            raise EvalFormatError(f"{labels}:{n}: 标注 {row['id']} 没有文本{where}")
        out.append(Labelled(str(row["id"]), str(text), bool(row["fit"]), bool(row.get("borderline"))))
    return out


def _rates(items: list[tuple[Labelled, bool]]) -> dict[str, Any]:
    no_fit = [flag for it, flag in items if not it.fit]
    fit = [flag for it, flag in items if it.fit]
    tp, fp = sum(no_fit), sum(fit)
    return {"no_fit": len(no_fit), "fit": len(fit), "flagged": tp + fp,
            "recall": tp / len(no_fit) if no_fit else None,
            "false_flags": fp / len(fit) if fit else None,
            "precision": tp / (tp + fp) if tp + fp else None}


def fit_label_report(answer: Callable[[str], _Answer], labelled: list[Labelled],
                     progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Flag every text with `answer` (e.g. lambda t: engine.recommend(t, top_k=3, explain=False))."""
    results = []
    verdicts: dict[str, int] = {}
    for it in labelled:
        ans = answer(it.text)
        results.append((it, bool(ans.no_fit)))
        verdicts[ans.verdict] = verdicts.get(ans.verdict, 0) + 1
        if progress is not None:
            progress(1)
    return {"labels": len(labelled), "all": _rates(results),
            "clear": _rates([(it, f) for it, f in results if not it.borderline]),
            "verdicts": dict(sorted(verdicts.items()))}
