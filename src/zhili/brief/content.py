"""What a 决策参考 brief says, decided once from an `Answer` so Word and HTML print the same thing.

The renderers only lay text out; every wording choice (section order, the weak-match warning,
how a figure is written, which links are safe to make clickable) lives here. The problem text
is masked with `zhili.privacy.mask` and cleaned to a summary (`summary.summarise`) before it
enters the brief: a brief gets printed, mailed and filed, and the caller's phone number must not
travel with it.

综合建议 opens the brief and invents nothing: each statement is assembled from one kind of fact
— the routing, suggestions and risk procedures of the rule rows that fired, the mechanisms and
figures of the matched cases — and names where it comes from (案例n + 编号, or 规则 pack/table/row).
Weak matches never feed it. 编发单位, 版头 and footer come from `[brief]` settings; the date is
in the configured time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .. import localtime
from ..answer import Answer, Result
from ..cases import LEADERSHIP, Outcome
from ..config import BriefSettings
from ..privacy import mask
from ..rules.schema import PROCEDURES
from .summary import SUMMARY_CHARS, summarise

FOOTER_NOTE = BriefSettings().footer
NO_FIT_TITLE = "库中暂无高度匹配的案例"
NO_FIT_DETAIL = "以下为最接近的案例，仅作弱匹配参考，借鉴前请逐项核实其适用条件。"
MAX_TITLE_CHARS = 100
MAX_AUTHOR_CHARS = 50
MAX_PRACTICE_CHARS = 160  # per case: the brief points to the case, the source has the rest
MAX_OUTCOMES = 3
MAX_NAMED = 4  # mechanisms / actors listed per case card (a 5-case brief stays within 5 A4 pages)
MAX_MECHANISMS = 3  # named per case in 综合建议
SECTION_TITLES = (
    "一、问题概述",
    "二、综合建议",
    "三、可借鉴案例",
    "四、风险提示",
)
SOURCES_TITLE = "附：案例来源"
CONDENSED_NOTE = "（原始描述较长，以上为摘要；完整内容以系统记录为准。）"
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


@dataclass(frozen=True)
class Citation:
    """Where a statement comes from: a matched case or a rule row."""

    kind: str  # "case" | "rule"
    label: str  # "案例3 case-0036" | "权责清单/牵头与配合/议事协商"


@dataclass
class Statement:
    """One sentence of 综合建议 and the sources it is built from (never empty)."""

    text: str
    sources: list[Citation]

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError(f"综合建议的每一句都要注明来源：{self.text}")
        # one sentence, one citation: a full stop inside quoted rule text becomes a semicolon
        self.text = self.text.strip().rstrip("。；;").replace("。", "；")

    @property
    def citation(self) -> str:
        """'〔案例1 case-0033；规则：权责清单/牵头与配合/议事协商〕'."""
        cases = [c.label for c in self.sources if c.kind == "case"]
        rules = [c.label for c in self.sources if c.kind == "rule"]
        parts = (["、".join(cases)] if cases else []) + ([f"规则：{'；'.join(rules)}"] if rules else [])
        return "〔" + "；".join(parts) + "〕"

    @property
    def sentence(self) -> str:
        return f"{self.text}{self.citation}。"


@dataclass
class Advice:
    """A numbered point of 综合建议: '（一）明确责任分工。' and its statements."""

    heading: str
    statements: list[Statement]


@dataclass
class CaseEntry:
    number: int
    case_id: str
    title: str
    meta: str  # 地区/层级/年份
    weak: bool
    practice: str
    outcomes: list[str]
    mechanisms: str
    actors: str
    leadership: str
    source_title: str
    source_label: str  # 发布单位《来源标题》，日期；可信度：…, as printed
    source_url: str  # '' when not a safe http(s) link
    source_text: str  # URL as printed (also for unsafe ones)
    source_date: str


@dataclass
class Brief:
    """Everything a renderer prints, in order."""

    title: str
    masthead: str  # 版头: "决策参考"
    issuer: str  # 编发单位 ("" → the masthead line shows only the date)
    author: str  # who made the file (document properties only)
    date: str  # 2026年11月26日, in the configured time zone
    generated_at: datetime
    problem: str  # masked, cleaned summary
    problem_truncated: bool
    no_fit: bool
    no_fit_title: str
    no_fit_detail: str
    analysis: list[Line]
    advice: list[Advice]
    cases: list[CaseEntry]
    risks: list[str]
    sections: tuple[str, ...] = SECTION_TITLES
    sources_title: str = SOURCES_TITLE
    footer: str = FOOTER_NOTE
    condensed_note: str = CONDENSED_NOTE
    timezone: str = field(default="Asia/Shanghai")

    @property
    def title_lines(self) -> list[str]:
        """The title as printed: a long "关于…问题的决策参考" breaks before "问题的…" rather than
        leaving one character on its own line (about 19 characters fit at 2号)."""
        return title_lines(self.title)

    @property
    def issue_line(self) -> str:
        """'某某街道办事处　编　　　　2026年1月2日' (or just the date)."""
        return f"{self.issuer}　编　　　　{self.date}" if self.issuer else self.date


def _meta(r: Result) -> str:
    """'编号 case-0036｜北京大兴区｜街道｜2025年'."""
    place = r.place or r.province or "地区不详"
    year = f"{r.year}年" if r.year else "年份不详"
    return f"编号 {r.case_id}｜{place}｜{r.level or '层级不详'}｜{year}"


def _source_label(title: str, date: str, publisher: str = "", trust: str = "") -> str:
    """'人民网四川频道《标题》，2025-07-30；可信度：主流媒体': publisher, title, date and trust level —
    what a leader needs to weigh the case (`sources.citation`)."""
    from ..cases.sources import citation

    return citation(publisher, title, date, trust)


def excerpt(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a full stop when one is near the end."""
    text = " ".join(clean(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(m) for m in "。；！？")
    return cut[: stop + 1] if stop >= limit // 2 else cut[: limit - 1] + "……"


def _case(n: int, r: Result) -> CaseEntry:
    src = r.source
    return CaseEntry(
        number=n,
        case_id=clean(r.case_id),
        title=clean(r.title),
        meta=clean(_meta(r)),
        weak=r.weak,
        practice=excerpt(r.practice or r.problem, MAX_PRACTICE_CHARS),
        outcomes=[clean(outcome_line(o)) for o in r.outcomes if outcome_line(o)][:MAX_OUTCOMES],
        mechanisms=clean("、".join(list(dict.fromkeys(r.mechanisms))[:MAX_NAMED])),
        actors=clean("、".join(list(dict.fromkeys(r.actors))[:MAX_NAMED])),
        leadership=clean("、".join(r.leadership)),
        source_title=clean(src.title),
        source_label=clean(_source_label(src.title, src.date, src.publisher, src.trust)),
        source_url=safe_url(clean(src.link)),  # a repost's (mirror) URL is never given as the link
        source_text=clean(src.link),
        source_date=clean(src.date),
    )


def _analysis(answer: Answer) -> list[Line]:
    """研判, one line: 领域 / 紧急程度 / 场景 / 风险等级 (the routing is in 综合建议)."""
    if not answer.rules_used:
        return [Line("研判", "本次匹配未启用规则研判，以下仅列出可借鉴案例。")]
    c = answer.classification or {}
    parts = [f"问题领域为{'、'.join(c.get('domains') or []) or '未能归类'}",
             f"紧急程度{c.get('urgency') or '一般'}"]
    if c.get("setting"):
        parts.append(f"属{c['setting']}场景")
    if answer.risk is not None:
        parts.append(f"风险等级{answer.risk.level}")
    return [Line("研判", clean("；".join(parts) + "。"))]


# ---- 综合建议 -------------------------------------------------------------------------------

def _rule_rows(answer: Answer, target: str) -> list[dict[str, Any]]:
    return [t for t in answer.rule_trace if isinstance(t, dict) and t.get("target") == target]


def _rule_citations(rows: list[dict[str, Any]]) -> list[Citation]:
    """One citation per pack/table, its rows joined: '四个引领/四个引领建议/加装电梯、议事协商'."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for t in rows:
        pack = str(t.get("pack") or t.get("pack_id") or "规则")
        ids = grouped.setdefault((pack, str(t.get("table") or "")), [])
        row = str(t.get("row_id") or "")
        if row and row not in ids:
            ids.append(row)
    return [Citation("rule", clean(f"{pack}/{table}/{'、'.join(rows_)}".rstrip("/")))
            for (pack, table), rows_ in grouped.items()]


def _case_citation(n: int, r: Result) -> Citation:
    return Citation("case", clean(f"案例{n} {r.case_id}"))


def _quoted(names: list[str]) -> str:
    return "".join(f"“{clean(x)}”" for x in names)


def _routing_advice(answer: Answer) -> Advice | None:
    routing = answer.routing
    if routing is None or not routing.lead:
        return None
    rows = _rule_rows(answer, "routing")[-1:]  # the row whose routing the answer carries (last one wins)
    support_rows = [t for t in _rule_rows(answer, "support_tags")
                    if any(a in routing.supporting for a in _list(t.get("outputs", {}).get("actors")))]
    sources = _rule_citations(rows + support_rows) or [Citation("rule", "权责清单")]
    text = f"由{routing.lead}牵头"
    if routing.supporting:
        text += f"，{'、'.join(routing.supporting)}配合"
    statements = [Statement(clean(text), sources)]
    if routing.basis:
        basis = routing.basis.strip().rstrip("。；;.")
        statements.append(Statement(clean(f"依据为{basis}"), _rule_citations(rows) or sources))
    return Advice("明确责任分工", statements)


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _cases_advice(numbered: list[tuple[int, Result]]) -> Advice | None:
    """What the well-matched cases did: shared mechanisms first, then each case's own and its figure."""
    if not numbered:
        return None
    users: dict[str, list[tuple[int, Result]]] = {}
    for n, r in numbered:
        for m in dict.fromkeys(r.mechanisms):
            users.setdefault(m, []).append((n, r))
    shared = [m for m, who in users.items() if len(who) >= 2]
    statements = []
    for m in shared[:2]:
        who = users[m]
        statements.append(Statement(
            clean(f"{'、'.join(f'案例{n}' for n, _ in who)}均采用{_quoted([m])}"),
            [_case_citation(n, r) for n, r in who]))
    for n, r in numbered:
        own = [m for m in dict.fromkeys(r.mechanisms) if m not in shared[:2]][:MAX_MECHANISMS]
        figure_ = next((outcome_line(o) for o in r.outcomes if outcome_line(o)), "")
        place = r.place or r.province
        if not own and not figure_:
            continue
        text = f"案例{n}{f'（{place}）' if place else ''}"
        text += f"采用{_quoted(own)}等做法" if own else "的做法"
        if figure_:
            text += f"，成效：{figure_.rstrip('。')}"
        statements.append(Statement(clean(text), [_case_citation(n, r)]))
    return Advice("借鉴成熟做法", statements) if statements else None


def _dimension_advice(answer: Answer, numbered: list[tuple[int, Result]]) -> Advice | None:
    """四个引领: the rules' suggestions for every dimension in one sentence (one set of rule rows),
    then which well-matched cases show each dimension."""
    rows = _rule_rows(answer, "suggestions")
    number = {r.case_id: (n, r) for n, r in numbered}
    said = [(dim, [clean(x) for x in answer.suggestions.get(dim, []) if x]) for dim in LEADERSHIP]
    said = [(dim, items) for dim, items in said if items]
    statements = []
    if said:
        text = "；".join(f"{dim}可考虑{'、'.join(items)}" for dim, items in said)
        statements.append(Statement(text, _rule_citations(rows) or [Citation("rule", "四个引领")]))
    shown = [(dim, [number[cid] for cid in answer.by_dimension.get(dim, []) if cid in number]) for dim in LEADERSHIP]
    shown = [(dim, cases) for dim, cases in shown if cases]
    if shown:
        text = "；".join(f"{dim}做法见{'、'.join(f'案例{n}' for n, _ in cases)}" for dim, cases in shown)
        cited = {n: r for _, cases in shown for n, r in cases}
        statements.append(Statement(text, [_case_citation(n, cited[n]) for n in sorted(cited)]))
    return Advice("按“四个引领”统筹推进", statements) if statements else None


def _procedure_advice(answer: Answer) -> Advice | None:
    risk = answer.risk
    rows = _rule_rows(answer, "risk_factors")
    if risk is None or not rows:
        return None
    sources = _rule_citations(rows)
    if risk.level == "高":
        text = (f"本事项研判为高风险，作出决策前应依照《重大行政决策程序暂行条例》履行"
                f"{'、'.join(PROCEDURES)}等程序")
    elif risk.procedures:
        text = f"本事项研判为{risk.level}风险，作出决策前须履行{'、'.join(risk.procedures)}程序"
    else:
        text = f"本事项研判为{risk.level}风险，规则未列出须专门履行的决策程序"
    return Advice("依法履行决策程序", [Statement(clean(text), sources)])


def _advice(answer: Answer) -> list[Advice]:
    """综合建议: who leads, what worked elsewhere, the 四个引领, the procedures — each sourced."""
    numbered = [(n, r) for n, r in enumerate(answer.results, start=1) if not r.weak]
    found = [_routing_advice(answer), _cases_advice(numbered), _dimension_advice(answer, numbered),
             _procedure_advice(answer)]
    return [a for a in found if a is not None]


def _risks(answer: Answer) -> list[str]:
    out: list[str] = []
    risk = answer.risk
    if risk is not None:
        out += [clean(r) for r in risk.reasons]
        if not _rule_rows(answer, "risk_factors"):  # else 综合建议's last point states them, sourced
            if risk.level == "高":
                statutory = "、".join(PROCEDURES)
                out.append(f"本事项研判为高风险，作出决策前应依照《重大行政决策程序暂行条例》履行{statutory}等程序。")
            elif risk.procedures:
                out.append(f"作出决策前须履行：{'、'.join(risk.procedures)}。")
    if answer.no_fit:
        out.append(f"{NO_FIT_TITLE}：所列案例与本问题关联较弱，不宜直接照搬。")
    elif answer.caution:
        out.append("所列案例与本问题领域相近，但针对的具体问题可能不同，借鉴前须核对其做法是否适用于本地情形。")
    out.append("所列案例来自公开报道，成效数据以原始来源为准；借鉴时须结合本地实际，涉及群众切身利益的事项依法依规履行程序。")
    return out


TITLE_LINE_CHARS = 19


def title_lines(title: str) -> list[str]:
    if len(title) <= TITLE_LINE_CHARS:
        return [title]
    at = title.rfind("问题的")
    if title.startswith("关于") and 2 < at <= TITLE_LINE_CHARS and len(title) - at <= TITLE_LINE_CHARS:
        return [title[:at], title[at:]]
    return [title]


def _title(answer: Answer) -> str:
    domains = (answer.classification or {}).get("domains") or []
    return f"关于{'、'.join(domains[:2])}问题的决策参考" if domains else "基层治理问题决策参考"


def _given(text: str | None, limit: int) -> str:
    """A caller-supplied title/author: one line, no control characters, bounded length
    (an ideographic space "　" is typesetting, kept)."""
    return re.sub(r"[ \t\r\n\x85\u2028\u2029]+", " ", clean(text or "")).strip()[:limit]


def build_brief(answer: Answer, *, title: str | None = None, author: str | None = None,
                issuer: str | None = None, generated_at: datetime | None = None,
                settings: BriefSettings | None = None) -> Brief:
    """Turn an answer into the brief's content; the problem text is masked and summarised here.

    `issuer` (编发单位) defaults to `[brief] issuer`; `author` is who made the file (it goes into
    the document properties, not onto the page)."""
    settings = settings or BriefSettings.load()
    when = localtime.local(generated_at) if generated_at is not None else localtime.now()
    summary = summarise(clean(answer.query), SUMMARY_CHARS)
    cases = [_case(n, r) for n, r in enumerate(answer.results, start=1)]
    unit = _given(issuer, MAX_AUTHOR_CHARS) if issuer is not None else _given(settings.issuer, MAX_AUTHOR_CHARS)
    return Brief(
        title=mask(_given(title, MAX_TITLE_CHARS)) or _title(answer),
        masthead=_given(settings.masthead, MAX_TITLE_CHARS) or "决策参考",
        issuer=mask(unit),
        author=_given(author, MAX_AUTHOR_CHARS) or unit,
        date=localtime.cn_date(when),
        generated_at=when,
        problem=summary.text,
        problem_truncated=summary.condensed,
        no_fit=answer.no_fit or not answer.results,
        no_fit_title=NO_FIT_TITLE,
        no_fit_detail=NO_FIT_DETAIL if answer.results else "在当前筛选条件下没有检索到案例。",
        analysis=_analysis(answer),
        advice=_advice(answer),
        cases=cases,
        risks=_risks(answer),
        footer=_given(settings.footer, 200),
        timezone=str(getattr(when.tzinfo, "key", when.tzinfo)),
    )
