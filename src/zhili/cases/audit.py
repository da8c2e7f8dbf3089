"""`zhili cases audit`: every case whose source or content a cadre could not rely on.

Two severities, so the list is something an editor can work through:
- 问题 (must fix before the case is cited): no source at all, no publisher, no title and no link
  either, a link or date that is not well-formed, a trust level the publisher list does not support, a published
  case without problem or practice;
- 待核实 / 提示 (known and shown as such, fix when possible): the only source is a repost or
  unlisted site (转载（待核实）), no source date, no headline where publisher and link are there
  (the stored excerpt did not show it and a title is never invented: the link lets an editor check), no outcome figures, and cases whose text looks
  like another case's (MinHash over character 3-grams; the pair is named).

Pure functions over `Case` objects: the CLI, the API or a page can all call them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from . import sources
from .model import Case, publish_problems

ERROR = "问题"
WARN = "待核实"
HINT = "提示"
SEVERITIES = (ERROR, WARN, HINT)

# kinds, in the order a report lists them
NO_SOURCE = "无来源"
NO_PUBLISHER = "缺少来源单位"
NO_TITLE = "缺少来源标题"
BAD_URL = "来源链接无效"
BAD_DATE = "来源日期无效"
BAD_TRUST = "可信度与发布者名单不符"
INCOMPLETE = "内容不全"
REPOST_ONLY = "仅有转载来源"
NO_DATE = "缺少来源日期"
SEARCH_LINK = "链接不是原文"
NO_FIGURES = "无成效数据"
DUPLICATE = "疑似重复"
SOURCE_KINDS = (NO_SOURCE, NO_PUBLISHER, NO_TITLE, BAD_URL, BAD_DATE, BAD_TRUST, REPOST_ONLY, NO_DATE, SEARCH_LINK)
_SEARCH = re.compile(r"(/search|[?&](q|k|kw|wd|word|keyword|query)=)", re.IGNORECASE)

DUP_THRESHOLD = 0.6  # estimated Jaccard of character 3-gram sets; same practice retold ≈ 0.6+
NUM_PERM = 128
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    case_id: str
    kind: str
    severity: str
    message: str


@dataclass
class AuditReport:
    total: int
    findings: list[Finding] = field(default_factory=list)

    def by_case(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            out.setdefault(f.case_id, []).append(f)
        return out

    def count(self, severity: str | None = None, kinds: Iterable[str] | None = None) -> int:
        wanted = set(kinds) if kinds is not None else None
        return sum(1 for f in self.findings if (severity is None or f.severity == severity)
                   and (wanted is None or f.kind in wanted))

    @property
    def source_problems(self) -> int:
        """Findings of severity 问题 about the source: what must be zero before a library is cited."""
        return self.count(ERROR, SOURCE_KINDS)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings:
            key = f"{f.severity}:{f.kind}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def to_json(self) -> dict:
        return {"total": self.total, "cases_with_findings": len(self.by_case()),
                "source_problems": self.source_problems, "summary": self.summary(),
                "findings": [asdict(f) for f in self.findings]}


def source_findings(case: Case) -> list[Finding]:
    """What is wrong or unverified about one case's source."""
    s = case.source
    out: list[Finding] = []

    def add(kind: str, severity: str, message: str) -> None:
        out.append(Finding(case.id, kind, severity, message))

    if not (s.publisher or s.title or s.url):
        add(NO_SOURCE, ERROR, "没有任何来源信息（发布单位、标题、链接都为空）")
        return out
    if not s.publisher:
        add(NO_PUBLISHER, ERROR, "缺少来源单位（首发的网站或报刊）")
    if not s.title:
        if s.publisher and s.url:
            add(NO_TITLE, WARN, "缺少原标题（有发布单位和链接，可据链接核对）")
        else:
            add(NO_TITLE, ERROR, "缺少来源标题（原文标题），也没有可据以核对的链接")
    if problem := sources.url_problem(s.url):
        add(BAD_URL, ERROR, problem)
    if problem := sources.date_problem(s.date):
        add(BAD_DATE, ERROR, problem)
    derived = sources.trust_of(s.url, s.publisher)
    if not s.trust:
        add(BAD_TRUST, ERROR, f"未标可信度（按发布者名单应为“{derived}”）")
    elif problem := sources.trust_problem(s.trust, s.url, s.publisher):
        add(BAD_TRUST, ERROR, problem)
    if s.trust == sources.REPOST or (not s.trust and derived == sources.REPOST):
        host = sources.host_of(s.url)
        where = f"链接网站 {host} 不在发布者名单中" if host else "没有链接，发布单位不在发布者名单中"
        add(REPOST_ONLY, WARN, f"来源为转载或未核实网站（{where}）；请查找原始报道并补充")
    if not s.date:
        add(NO_DATE, WARN, "缺少来源日期（原文发布日期，可只写年月）")
    if s.url and _SEARCH.search(s.url):
        add(SEARCH_LINK, WARN, "来源链接像是网站的搜索结果页，不是报道原文；请换成原文链接")
    return out


def content_findings(case: Case) -> list[Finding]:
    out = [Finding(case.id, INCOMPLETE, ERROR, reason) for _, reason in publish_problems(case)
           if reason == sources.MSG_NEED_CONTENT]
    if not any(o.value is not None for o in case.outcomes):
        out.append(Finding(case.id, NO_FIGURES, HINT, "没有可量化的成效数据（成效中无数值）"))
    return out


def _shingles(case: Case, k: int = 3) -> set[str]:
    text = _SPACE.sub("", f"{case.title}{case.problem}{case.practice}")
    return {text[i:i + k] for i in range(max(len(text) - k + 1, 1))}


def duplicate_pairs(cases: list[Case], threshold: float = DUP_THRESHOLD) -> list[tuple[str, str, float]]:
    """(id, id, estimated Jaccard) of cases whose title+problem+practice look alike (MinHash LSH
    finds candidates without comparing every pair; each candidate pair's exact Jaccard decides)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    sets: dict[str, set[str]] = {}
    pairs: list[tuple[str, str, float]] = []
    for case in cases:
        grams = _shingles(case)
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([g.encode("utf-8") for g in grams])
        for other in lsh.query(m):
            exact = len(grams & sets[other]) / max(len(grams | sets[other]), 1)
            if exact >= threshold:
                pairs.append((other, case.id, round(exact, 2)))
        if case.id not in sets:
            lsh.insert(case.id, m)
            sets[case.id] = grams
    return sorted(pairs)


def audit_cases(cases: Iterable[Case], *, duplicates: bool = True) -> AuditReport:
    """Every finding for every case, in case order (duplicates named on the later case)."""
    items = list(cases)
    report = AuditReport(total=len(items))
    dup_of: dict[str, list[tuple[str, float]]] = {}
    if duplicates and items:
        for a, b, score in duplicate_pairs(items):
            dup_of.setdefault(b, []).append((a, score))
    for case in items:
        report.findings += source_findings(case)
        report.findings += content_findings(case)
        for other, score in dup_of.get(case.id, []):
            report.findings.append(Finding(case.id, DUPLICATE, HINT,
                                           f"与 {other} 内容相似（3字片段重合度 {score:.0%}），请确认是否重复"))
    return report
