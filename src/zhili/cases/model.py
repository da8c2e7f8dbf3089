"""The validated case model.

Full governance cases carry structured facets (domains, leadership dimension, mechanisms,
outcomes with figures, source). External corpora (benchmarks) only have id/title/text, so a
minimal record is accepted too and lands in `practice` with empty facets.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from . import sources
from .clean import char_problem, finite_problem

LEVELS = ("全国", "省", "市", "区县", "乡镇街道", "村社区")
LEADERSHIP = ("政治引领", "组织引领", "能力引领", "机制引领")
DOMAINS = (
    "物业管理", "加装电梯", "停车治理", "老旧小区改造", "旧城改造与拆迁", "矛盾纠纷调解",
    "信访化解", "群众诉求办理", "养老服务", "托育与未成年人", "就业与新就业群体", "生态环保",
    "垃圾分类", "乡村振兴", "村级事务", "移风易俗", "社会治安", "应急管理", "公共卫生",
    "数字治理", "党员教育管理", "干部队伍建设", "基层减负", "议事协商", "志愿服务", "社区服务",
    "跨区域协同", "楼宇与园区", "流动人口", "平安建设", "民生实事", "基层党组织建设", "社会救助",
    "城市管理与执法",  # noise, cooking fumes, night stalls, street vending, illegal building, dogs
)
"""Append only: index columns are laid out in this order (retrieval.columns pads older indexes)."""
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
MAX_TEXT = 200_000  # one field; LeCaRD documents reach ~60k characters
MULTILINE_FIELDS = ("problem", "practice")  # and an outcome's `text`
STORED = {"stored": True}
"""Validation context for rows read back from the database: what an older build let in
(Infinity/NaN, control characters) must not take the service down, so reading tolerates it
(non-finite numbers become empty) while every write path still refuses it."""


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


class Outcome(BaseModel):
    """A measured result, e.g. 办结率 95 %."""

    model_config = ConfigDict(extra="forbid")
    metric: str = ""
    value: float | None = None
    unit: str = ""
    text: str = ""

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float | None, info: ValidationInfo) -> float | None:
        """JSON has no Infinity/NaN: such a figure would make every answer showing it fail."""
        problem = finite_problem(v)
        if problem is None:
            return v
        if _stored(info):
            return None
        raise ValueError(problem)


class Source(BaseModel):
    """Where the case was first published (publisher, title, URL, date) and its trust level:
    官方发布 / 主流媒体 / 转载（待核实）; a repost's URL is never shown as the source link."""

    # `trust` is filled from the publisher list when left empty; a stated level may be lower than
    # the list's, never higher. Rows read back from the database (`STORED`) are taken as they are:
    # what an older build let in must stay readable (`zhili cases audit` lists it).

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    publisher: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=500)
    url: str = Field(default="", max_length=2000)
    date: str = ""
    trust: str = ""

    @field_validator("url")
    @classmethod
    def _url_ok(cls, v: str, info: ValidationInfo) -> str:
        problem = None if _stored(info) else sources.url_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("date")
    @classmethod
    def _date_ok(cls, v: str, info: ValidationInfo) -> str:
        problem = None if _stored(info) else sources.date_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="wrap")
    @classmethod
    def _trust_from_list(cls, data: Any, handler: Any, info: ValidationInfo) -> "Source":
        """Fill or check the trust level of new input. An existing Source passed on (a stored case's
        into an answer's Result) is taken as it is: pydantic runs model validators even on
        instances, and a row stored under an older publisher list must never break an answer."""
        if isinstance(data, cls):
            return data
        source = handler(data)
        if not _stored(info):
            problem = sources.trust_problem(source.trust, source.url, source.publisher)
            if problem:
                raise ValueError(problem)
        if not source.trust and (source.url or source.publisher or source.title):
            source.trust = sources.trust_of(source.url, source.publisher)
        return source

    @property
    def link(self) -> str:
        """The URL pages and briefs may show as the source link ('' for a repost)."""
        return sources.shown_link(self.url, self.trust)

    @property
    def cited(self) -> str:
        """One line for a 来源清单: 发布单位《标题》，日期；可信度：…"""
        return sources.citation(self.publisher, self.title, self.date, self.trust)


class Case(BaseModel):
    """One practice case (实践案例)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    title: str = Field(min_length=1, max_length=500)
    province: str = ""
    city: str = ""
    district: str = ""
    level: str = ""
    year: int | None = None
    problem: str = Field(default="", max_length=MAX_TEXT)
    practice: str = Field(default="", max_length=MAX_TEXT)
    outcomes: list[Outcome] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    leadership: list[str] = Field(default_factory=list)
    mechanisms: list[str] = Field(default_factory=list)
    actors: list[str] = Field(default_factory=list)
    source: Source = Field(default_factory=Source)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not ID_PATTERN.match(v):
            raise ValueError("id 只能包含字母、数字和 _ . : -，且不超过64个字符")
        return v

    @field_validator("level")
    @classmethod
    def _level_known(cls, v: str) -> str:
        if v and v not in LEVELS:
            raise ValueError(f"层级必须是 {'/'.join(LEVELS)} 之一，收到“{v}”")
        return v

    @field_validator("year")
    @classmethod
    def _year_range(cls, v: int | None) -> int | None:
        if v is not None and not 1949 <= v <= 2100:
            raise ValueError(f"年份 {v} 不在 1949–2100 之间")
        return v

    @field_validator("domains")
    @classmethod
    def _domains_known(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d not in DOMAINS]
        if bad:
            raise ValueError(f"未知领域：{'、'.join(bad)}（见领域词表）")
        return v

    @field_validator("leadership")
    @classmethod
    def _leadership_known(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d not in LEADERSHIP]
        if bad:
            raise ValueError(f"未知引领维度：{'、'.join(bad)}（应为 {'/'.join(LEADERSHIP)}）")
        return v

    @field_validator("*", mode="before")
    @classmethod
    def _printable(cls, v: Any, info: ValidationInfo) -> Any:
        """No NUL anywhere (PostgreSQL refuses it mid-import and it signals a broken file), and
        no other control character: Excel cannot hold one, so a later export would fail. Tabs
        and line breaks are fine where a field holds several lines."""
        if _has_nul(v):
            raise ValueError("文本中含有空字符 (NUL)，文件可能已损坏或不是文本")
        if not _stored(info):
            problem = char_problem(v, info.field_name in MULTILINE_FIELDS, multiline_keys=("text",))
            if problem:
                raise ValueError(problem)
        return v

    @property
    def place(self) -> str:
        """Province/city/district without repeats (北京 北京 → 北京)."""
        parts: list[str] = []
        for p in (self.province, self.city, self.district):
            if p and p not in parts:
                parts.append(p)
        return "".join(parts)

    def content_hash(self) -> str:
        """Stable hash of everything that can change matching; keys index and vector caches."""
        payload = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def stored_case(payload: dict[str, Any]) -> Case:
    """A case as read back from the database (see `STORED`)."""
    return Case.model_validate(payload, context=STORED)


def case_from_record(record: dict[str, Any]) -> Case:
    """Build a Case from a full record or a minimal {"id","title","text"} record."""
    if "text" in record and "practice" not in record and "problem" not in record:
        extra = set(record) - {"id", "title", "text"}
        rec = {k: v for k, v in record.items() if k in ("id", "title")}
        rec["practice"] = record.get("text") or ""
        if not rec.get("title"):
            rec["title"] = str(rec["practice"])[:40] or str(record.get("id", ""))
        if extra:
            # keep the failure explicit rather than silently dropping fields
            raise ValueError(f"简化记录只允许 id/title/text 字段，多出：{'、'.join(sorted(extra))}")
        record = rec
    if isinstance(record.get("id"), int):
        record = {**record, "id": str(record["id"])}
    return Case.model_validate(record)


def publish_problems(case: Case) -> list[tuple[str, str]]:
    """(field, Chinese reason) for what a case lacks before it may be published (matched and
    cited): a title (the model requires it), a problem or a practice, and a source naming its
    publisher or title. Drafts may lack them; every publishing path checks this."""
    problems: list[tuple[str, str]] = []
    if not (case.problem.strip() or case.practice.strip()):
        problems.append(("problem", sources.MSG_NEED_CONTENT))
    if not (case.source.publisher.strip() or case.source.title.strip()):
        problems.append(("source.publisher", sources.MSG_NEED_SOURCE))
    return problems
