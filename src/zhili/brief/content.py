"""What a 决策参考 brief says, decided once from an `Answer` so Word and HTML print the same thing.

The renderers only lay text out; every wording choice (section order, the weak-match warning,
how a figure is written, which links are safe to make clickable) lives here. The problem text
is masked with `zhili.privacy.mask` before it enters the brief: a brief gets printed, mailed and
filed, and the caller's phone number must not travel with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ..answer import Answer, Result
from ..cases import LEADERSHIP, Outcome
from ..privacy import mask
from ..rules.schema import PROCEDURES

FOOTER_NOTE = "本材料由 zhili 依据公开实践案例生成，仅供决策参考"
NO_FIT_TITLE = "库中暂无高度匹配的案例"
NO_FIT_DETAIL = "以下为最接近的案例，仅作弱匹配参考，借鉴前请逐项核实其适用条件。"
MAX_PROBLEM_CHARS = 2_000  # a brief summarises; the full work order stays in the system
MAX_TITLE_CHARS = 100
MAX_AUTHOR_CHARS = 50
SECTION_TITLES = (
    "一、问题概述",
    "二、研判",
    "三、可借鉴案例",
    "四、按“四个引领”梳理的机制",
    "五、风险提示",
)
SOURCES_TITLE = "附：案例来源清单"
# Characters XML 1.0 forbids (python-docx refuses them; a browser shows garbage).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text safe for a Word/HTML document: no XML-illegal control characters."""
    return _XML_ILLEGAL.sub("", text or "")


def safe_url(url: str) -> str:
    """The URL if it may be a link (http/https with a host), else '' (shown as text only)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def cn_number(n: int) -> str:
    """1 → 一 … 10 → 十, 11 → 十一 … 99 → 九十九 (numbering of （一）（二） headings)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")


def figure(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def outcome_line(o: Outcome) -> str:
    """'惠及260余户' as written, with the figure appended when the sentence does not carry it."""
    number = figure(o.value)
    measured = f"{o.metric}{'：' if o.metric else ''}{number}{o.unit}" if number else o.metric
    if not o.text:
        return measured
    if number and number not in o.text:
        return f"{o.text}（{measured}）"
    return o.text


@dataclass
class Line:
    """A labelled line in 研判: '牵头单位：社区居委会'."""

    label: str
    text: str


@dataclass
class CaseEntry:
    number: int
    title: str
    meta: str  # 地区/层级/年份
    weak: bool
    practice: str
    outcomes: list[str]
    mechanisms: str
    actors: str
    leadership: str
    source_title: str
    source_label: str  # 来源标题（日期）, as printed
    source_url: str  # '' when not a safe http(s) link
    source_text: str  # URL as printed (also for unsafe ones)
    source_date: str


@dataclass
class Dimension:
    name: str
    suggestions: list[str]
    cases: list[str]  # "案例1 标题"


@dataclass
class Brief:
    """Everything a renderer prints, in order."""

    title: str
    author: str
    date: str  # 2026年11月26日
    generated_at: datetime
    problem: str
    problem_truncated: bool
    no_fit: bool
    no_fit_title: str
    no_fit_detail: str
    analysis: list[Line]
    cases: list[CaseEntry]
    dimensions: list[Dimension]
    risks: list[str]
    sections: tuple[str, ...] = SECTION_TITLES
    sources_title: str = SOURCES_TITLE
    footer: str = FOOTER_NOTE


def _meta(r: Result) -> str:
    place = r.place or r.province or "地区不详"
    return f"地区：{place}　层级：{r.level or '不详'}　年份：{r.year or '不详'}"


def _source_label(title: str, date: str) -> str:
    """'标题（2025-07-30）'; the date only when the title does not already carry it."""
    title = title.strip() or "来源未注明"
    return f"{title}（{date}）" if date and date not in title else title


def _case(n: int, r: Result) -> CaseEntry:
    src = r.source
    return CaseEntry(
        number=n,
        title=clean(r.title),
        meta=clean(_meta(r)),
        weak=r.weak,
        practice=clean(r.practice or r.problem),
        outcomes=[clean(outcome_line(o)) for o in r.outcomes if outcome_line(o)],
        mechanisms=clean("、".join(r.mechanisms)),
        actors=clean("、".join(r.actors)),
        leadership=clean("、".join(r.leadership)),
        source_title=clean(src.title),
        source_label=clean(_source_label(src.title, src.date)),
        source_url=safe_url(clean(src.url)),
        source_text=clean(src.url),
        source_date=clean(src.date),
    )


def _analysis(answer: Answer) -> list[Line]:
    if not answer.rules_used:
        return [Line("说明", "本次匹配未启用规则研判，以下仅列出可借鉴案例。")]
    c = answer.classification or {}
    lines = [
        Line("问题领域", "、".join(c.get("domains") or []) or "未能归类"),
        Line("紧急程度", str(c.get("urgency") or "一般")),
    ]
    if c.get("setting"):
        lines.append(Line("场景", str(c["setting"])))
    if answer.risk is not None:
        procs = "、".join(answer.risk.procedures) or "无须履行重大决策专门程序"
        lines.append(Line("风险等级", f"{answer.risk.level}（须履行：{procs}）" if answer.risk.procedures
                          else f"{answer.risk.level}（{procs}）"))
    if answer.routing is not None:
        lines.append(Line("牵头单位", answer.routing.lead or "未明确"))
        lines.append(Line("配合单位", "、".join(answer.routing.supporting) or "无"))
        if answer.routing.basis:
            lines.append(Line("依据", answer.routing.basis))
    return [Line(x.label, clean(x.text)) for x in lines]


def _dimensions(answer: Answer, numbers: dict[str, str]) -> list[Dimension]:
    out = []
    for dim in LEADERSHIP:
        suggestions = [clean(s) for s in answer.suggestions.get(dim, [])]
        cases = [numbers[cid] for cid in answer.by_dimension.get(dim, []) if cid in numbers]
        out.append(Dimension(dim, suggestions, cases))
    return out


def _risks(answer: Answer) -> list[str]:
    out: list[str] = []
    risk = answer.risk
    if risk is not None:
        out += [clean(r) for r in risk.reasons]
        if risk.level == "高":
            statutory = "、".join(PROCEDURES)
            out.append(f"本事项研判为高风险，作出决策前应依照《重大行政决策程序暂行条例》履行{statutory}等程序。")
        elif risk.procedures:
            out.append(f"作出决策前须履行：{'、'.join(risk.procedures)}。")
    if answer.no_fit:
        out.append(f"{NO_FIT_TITLE}：所列案例与本问题关联较弱，不宜直接照搬。")
    out.append("所列案例来自公开报道，成效数据以原始来源为准；借鉴时须结合本地实际，涉及群众切身利益的事项依法依规履行程序。")
    return out


def _title(answer: Answer) -> str:
    domains = (answer.classification or {}).get("domains") or []
    return f"关于{'、'.join(domains[:2])}问题的决策参考" if domains else "基层治理问题决策参考"


def _given(text: str | None, limit: int) -> str:
    """A caller-supplied title/author: one line, no control characters, bounded length."""
    return " ".join(clean(text or "").split())[:limit]


def build_brief(answer: Answer, *, title: str | None = None, author: str | None = None,
                generated_at: datetime | None = None) -> Brief:
    """Turn an answer into the brief's content; the problem text is masked here."""
    when = generated_at or datetime.now().astimezone()
    problem = mask(clean(answer.query)).strip()
    truncated = len(problem) > MAX_PROBLEM_CHARS
    if truncated:
        problem = problem[:MAX_PROBLEM_CHARS]
    cases = [_case(n, r) for n, r in enumerate(answer.results, start=1)]
    numbers = {r.case_id: f"案例{n}　{clean(r.title)}" for n, r in enumerate(answer.results, start=1)}
    return Brief(
        title=mask(_given(title, MAX_TITLE_CHARS)) or _title(answer),
        author=_given(author, MAX_AUTHOR_CHARS) or "zhili",
        date=f"{when.year}年{when.month}月{when.day}日",
        generated_at=when,
        problem=problem,
        problem_truncated=truncated,
        no_fit=answer.no_fit or not answer.results,
        no_fit_title=NO_FIT_TITLE,
        no_fit_detail=NO_FIT_DETAIL if answer.results else "在当前筛选条件下没有检索到案例。",
        analysis=_analysis(answer),
        cases=cases,
        dimensions=_dimensions(answer, numbers),
        risks=_risks(answer),
    )
