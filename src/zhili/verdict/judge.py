"""The verdict on one answer: fit / no_fit / off_topic / empty, and the plain message for each.

- **off_topic**: the text is not a governance problem. Either it has no Chinese at all
  (keyboard mash, "hello world", a bare number), or it has no governance word — no lexicon
  term, no topic keyword, no word addressing an office or naming a shared place (政府, 投诉,
  楼道 …), no 问题分类 keyword row of the rules fired — *and* the fit model finds nothing:
  "今天天气不错我想吃火锅". No cases, no rules (no routing, no risk, no classification).
- **empty**: no case passes the filters. The message names the filters and suggests dropping
  them; there is nothing "closest" to show.
- **no_fit**: the fit model's probability that the library has a useful case (`fit_score`) is
  below `MatchSettings.no_fit_threshold`. The closest cases are shown, marked weak.
- **fit**: otherwise.

The fit model is a logistic regression over the signals (`zhili.verdict.signals`), with its
coefficients in `MatchSettings.fit_weights` (fitted by benchmarks/nofit.py on hand-labelled
real citizen messages and gov-dev; see docs/benchmarks.md) and, for a signal that cannot be
computed, the neutral value in `MatchSettings.fit_neutral`.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from . import signals as sig
from .terms import KeyTerms, load_boilerplate
from .topics import TopicLexicon, dominant

OFF_TOPIC_MESSAGE = (
    "您输入的内容不属于基层治理问题，因此没有给出案例和研判。本工具帮助基层干部查找处理基层治理问题"
    "（如物业纠纷、停车难、加装电梯、邻里矛盾、村务公开、养老服务等）的实践案例，并给出牵头单位和风险提示。"
    "请用中文简要描述要处理的问题：发生了什么、在哪里、涉及哪些人。")
GOVERNANCE_WORDS = (
    "政府", "部门", "领导", "书记", "市长", "县长", "区长", "镇长", "乡长", "村长", "局长", "街道",
    "社区", "村委", "居委会", "城管", "执法", "投诉", "举报", "反映", "诉求", "信访", "热线", "整治",
    "监管", "小区", "楼道", "楼栋", "单元楼", "业主", "居民", "村民", "邻居", "村里", "公共")
"""Words that address a public body, name a complaint or a shared place people live in: a text
using them is a matter for some office, even when no word list names its subject (楼道堆杂物)."""
FILTER_NAMES = {"province": "地区", "level": "层级", "domain": "领域", "leadership": "四个引领"}

_HAN = re.compile(r"[\u4e00-\u9fff]")


def empty_message(filters: dict[str, Any]) -> str:
    """'No case passes these filters', naming each filter and suggesting to drop them."""
    parts = []
    for key, name in FILTER_NAMES.items():
        values = filters.get(key) or []
        if values:
            parts.append(f"{name}：{'、'.join(map(str, values))}")
    y0, y1 = filters.get("year_from"), filters.get("year_to")
    if y0 or y1:
        parts.append("年份：" + (f"{y0}—{y1} 年" if y0 and y1 else f"{y0} 年及以后" if y0 else f"{y1} 年及以前"))
    named = "；".join(parts) or "无"
    return (f"在当前筛选条件（{named}）下，库中没有符合条件的案例。"
            f"请去掉部分筛选条件（如{parts[0].split('：')[0] if parts else '地区'}）后重新查询。")


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_probability(signals: dict[str, float], weights: dict[str, float],
                    neutral: dict[str, float]) -> float:
    """sigmoid(intercept + Σ weight·signal); a missing signal takes its neutral value."""
    z = float(weights.get("intercept", 0.0))
    for name, w in weights.items():
        if name != "intercept":
            z += float(w) * float(signals.get(name, neutral.get(name, 0.0)))
    return sigmoid(z)


def keyword_rows(trace: Sequence[dict[str, Any]]) -> list[str]:
    """Row ids of the domain-tag rows that fired on the text itself — not the row that only
    echoes matching's domain scores, which fires for any text."""
    return [str(t.get("row_id")) for t in trace
            if t.get("target") == "domain_tags"
            and not any(i.get("field") == "domain_scores" for i in t.get("inputs") or [])]


def has_chinese(text: str) -> bool:
    return bool(_HAN.search(text))


@dataclass
class Assessment:
    """Everything the verdict is decided from, for one query."""

    signals: dict[str, float]
    fit_score: float
    evidence: list[str] = field(default_factory=list)  # governance words found in the text
    chinese: bool = True
    topics: list[str] = field(default_factory=list)    # the problem's main topics

    def off_topic(self, threshold: float, empty: bool = False) -> bool:
        if not self.chinese:
            return True
        return not self.evidence and (empty or self.fit_score < threshold)


class Judge:
    """Word lists and a small cache of normalised case texts, shared by an engine's queries."""

    def __init__(self, normalize: Callable[[str], str], stopwords: frozenset[str] = frozenset(),
                 topics: TopicLexicon | None = None, key_terms: KeyTerms | None = None,
                 cache_size: int = 4096):
        self.normalize = normalize
        self.stopwords = stopwords
        self.topics = topics or TopicLexicon.load()
        self.key_terms = key_terms or KeyTerms(load_boilerplate() | stopwords)
        self._docs: dict[tuple, object] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def case_topics(self, case_id: str, raw: str) -> frozenset[str]:
        """Topics named by a case's title and mechanism names (`raw`), remembered per content."""
        key = ("topics", case_id, hash(raw))
        hit = self._docs.get(key)
        if hit is None:
            hit = frozenset(self.topics.count(self.normalize(raw)))
            self._remember(key, hit)
        return hit

    def case_text(self, case_id: str, raw: str) -> str:
        """A case's text normalised like queries (spaces removed), remembered per content."""
        key = ("text", case_id, hash(raw))
        hit = self._docs.get(key)
        if hit is None:
            hit = re.sub(r"\s+", "", self.normalize(raw))
            self._remember(key, hit)
        return hit

    def _remember(self, key: tuple, value) -> None:
        with self._lock:
            while len(self._docs) >= self._cache_size:
                self._docs.pop(next(iter(self._docs)))
            self._docs[key] = value

    def evidence(self, text: str, lexicon_hits: Sequence[str], rule_rows: Sequence[str] = ()) -> list[str]:
        """Governance words in the (normalised) text: lexicon terms (not stopwords), topic
        keywords, words addressing an office or naming a shared place (GOVERNANCE_WORDS) and the 问题分类 keyword rows that
        fired (as "规则:row")."""
        words = [h for h in lexicon_hits if h not in self.stopwords and len(h) > 1]
        words += self.topics.keywords(text) + [w for w in GOVERNANCE_WORDS if w in text]
        return list(dict.fromkeys(words + [f"规则:{r}" for r in rule_rows]))

    def assess(self, *, raw: str, text: str, lexicon_hits: Sequence[str], sparse: np.ndarray,
               dense: np.ndarray | None, dense_median: float | None,
               top_cases: Sequence[tuple[str, str, str]], domain_weights: dict[str, float] | None,
               weights: dict[str, float], neutral: dict[str, float],
               rule_rows: Sequence[str] = (), problem_sims: Sequence[float] | None = None,
               dense_scale: bool = True) -> Assessment:
        """`sparse`/`dense`: raw scores of the filtered cases; `top_cases`: (id, whole text,
        title and mechanism names) of the top-ranked cases, best first; `rule_rows`: the
        问题分类 rows that fired on the text's words (not on matching scores); `problem_sims`:
        cosines of the problem with the top cases' title+problem vectors (None: no dense model);
        `dense_scale`: the embedder is the one the fit model was fitted with (else the cosine-scale
        signals are left out, see `signals.compute`)."""
        flat = re.sub(r"\s+", "", text)
        evidence = self.evidence(flat, lexicon_hits, rule_rows)
        q_topics = dict(self.topics.count(flat))
        docs = [self.case_text(cid, doc) for cid, doc, _ in top_cases[:sig.COVERAGE_TOP]]
        topics = [self.case_topics(cid, about) for cid, _, about in top_cases[:sig.TOPIC_TOP]]
        values = sig.compute(text=text, sparse=sparse, dense=dense, dense_median=dense_median,
                             top_docs=docs, top_topics=topics, domain_weights=domain_weights,
                             evidence=len(evidence), key_terms=self.key_terms, query_topics=q_topics,
                             problem_sims=problem_sims, dense_scale=dense_scale)
        return Assessment(signals=values, fit_score=round(fit_probability(values, weights, neutral), 4),
                          evidence=evidence, chinese=has_chinese(raw),
                          topics=sorted(dominant(q_topics, sig.TOPIC_SHARE)))
