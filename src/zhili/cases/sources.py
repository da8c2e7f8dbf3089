"""Where a case was published and how far to trust it.

A cadre hands the 决策参考 to leaders, so each case says who first published it (publisher,
title, date) and a trust level: 官方发布 (government and party sites), 主流媒体 (state and party
media), 转载（待核实） (anything else: portals' self-media, aggregators, mirror and spam hosts).
The level is never typed in by hand: it comes from the maintained publisher list
`data/publishers.csv` (domain → publisher, kind), through `trust_of`, which the model, the
importers, the audit and the pages all use. An editor may state a *lower* level than the list
gives (a repost on a media site), never a higher one.

The URL and date checks live here too, so every entry point says the same Chinese sentence.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

OFFICIAL = "官方发布"
MAINSTREAM = "主流媒体"
REPOST = "转载（待核实）"
TRUST_LEVELS = (OFFICIAL, MAINSTREAM, REPOST)
_RANK = {OFFICIAL: 2, MAINSTREAM: 1, REPOST: 0}
YEAR_MIN, YEAR_MAX = 1949, 2100
PUBLISHERS_FILE = Path(__file__).resolve().parents[1] / "data" / "publishers.csv"

# the one wording of each problem, shared by model, importer, API and admin forms
MSG_URL_SCHEME = "来源链接必须以 http:// 或 https:// 开头，收到“{v}”"
MSG_URL_HOST = "来源链接缺少有效的网站域名，收到“{v}”"
MSG_URL_SPACE = "来源链接不能含空格，收到“{v}”"
MSG_DATE = "来源日期应写成 YYYY-MM-DD、YYYY-MM 或 YYYY（如 2025-05-21），收到“{v}”"
MSG_DATE_YEAR = "来源日期的年份 {y} 不在 {lo}–{hi} 之间"
MSG_TRUST = "来源可信度必须是 官方发布 / 主流媒体 / 转载（待核实） 之一，收到“{v}”"
MSG_TRUST_HIGHER = ("来源可信度“{given}”高于发布者名单给出的“{derived}”（{why}）；"
                    "请改为“{derived}”，或请管理员把该网站加入发布者名单")
MSG_NEED_CONTENT = "发布前须填写“问题”或“做法”（至少一项）"
MSG_NEED_SOURCE = "发布前须填写来源的发布单位或标题（至少一项）"

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")  # ISO 8601, reduced precision allowed
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


@dataclass(frozen=True)
class Publisher:
    """One row of the publisher list."""

    domain: str  # "" for a print publication matched by name
    name: str
    kind: str  # OFFICIAL or MAINSTREAM


@dataclass(frozen=True)
class PublisherList:
    by_domain: dict[str, Publisher]
    by_name: dict[str, Publisher]
    name_patterns: tuple[tuple[re.Pattern[str], Publisher], ...] = ()

    def for_name(self, name: str) -> Publisher | None:
        """A publisher named exactly in the list, else the first name pattern it matches (rows
        whose publisher starts with "~": e.g. any 人民政府 or 日报 named in a document without link)."""
        hit = self.by_name.get(name)
        if hit is not None:
            return hit
        return next((entry for pattern, entry in self.name_patterns if pattern.search(name)), None)

    def for_host(self, host: str) -> Publisher | None:
        """The most specific entry for `host` or one of its parent domains."""
        parts = host.lower().rstrip(".").split(".")
        for i in range(len(parts) - 1):
            hit = self.by_domain.get(".".join(parts[i:]))
            if hit is not None:
                return hit
        return None


def load_publishers(path: Path = PUBLISHERS_FILE) -> PublisherList:
    """Read the list; a bad row is an error naming the file and row (the list is maintained by hand)."""
    by_domain: dict[str, Publisher] = {}
    by_name: dict[str, Publisher] = {}
    patterns: list[tuple[re.Pattern[str], Publisher]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    for rowno, row in enumerate(csv.DictReader(lines), start=2):
        domain = (row.get("domain") or "").strip().lower()
        name = (row.get("publisher") or "").strip()
        kind = (row.get("kind") or "").strip()
        if kind not in (OFFICIAL, MAINSTREAM) or not (domain or name):
            raise ValueError(f"发布者名单 {path} 第 {rowno} 条：可信度须为 官方发布 或 主流媒体，"
                             f"且域名与名称不能都为空（收到 {dict(row)}）")
        entry = Publisher(domain, name, kind)
        if name.startswith("~") and not domain:
            try:
                patterns.append((re.compile(name[1:]), entry))
            except re.error as exc:
                raise ValueError(f"发布者名单 {path} 第 {rowno} 条：名称规则“{name}”不是有效的正则表达式（{exc}）") from None
            continue
        if domain:
            by_domain[domain] = entry
        if name and (not domain or name not in by_name):
            by_name.setdefault(name, entry)
    return PublisherList(by_domain, by_name, tuple(patterns))


@lru_cache(maxsize=1)
def publishers() -> PublisherList:
    return load_publishers()


def host_of(url: str) -> str:
    """Lower-cased host of a URL ('' when there is none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def url_problem(url: str) -> str | None:
    """Why `url` is not a usable web address (scheme http/https and a real host), or None."""
    v = url.strip()
    if not v:
        return None
    if any(ch.isspace() for ch in v):
        return MSG_URL_SPACE.format(v=v)
    try:
        parts = urlsplit(v)
    except ValueError:
        return MSG_URL_HOST.format(v=v)
    if parts.scheme.lower() not in ("http", "https"):
        return MSG_URL_SCHEME.format(v=v)
    host = (parts.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii") if host else ""
    except UnicodeError:
        ascii_host = ""
    if not ascii_host or not _HOST.match(ascii_host):
        return MSG_URL_HOST.format(v=v)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return MSG_URL_HOST.format(v=v)
    return None


def date_problem(value: str) -> str | None:
    """Why `value` is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY) in the year range, or None ('' is fine)."""
    v = value.strip()
    if not v:
        return None
    m = _DATE.match(v)
    if not m:
        return MSG_DATE.format(v=v)
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        date(year, month, day)
    except ValueError:
        return MSG_DATE.format(v=v)
    if not YEAR_MIN <= year <= YEAR_MAX:
        return MSG_DATE_YEAR.format(y=year, lo=YEAR_MIN, hi=YEAR_MAX)
    return None


def listed(url: str, publisher: str = "") -> Publisher | None:
    """The publisher-list entry behind a source: by its link's domain when it has a link
    (a mirror naming 人民日报 is still a mirror), else by the publisher's name."""
    lst = publishers()
    host = host_of(url) if url.strip() else ""
    if host:
        return lst.for_host(host)
    return lst.for_name(publisher.strip()) if publisher.strip() else None


def trust_of(url: str, publisher: str = "") -> str:
    """The trust level the publisher list gives a source (REPOST when it is not listed)."""
    entry = listed(url, publisher)
    return entry.kind if entry else REPOST


def trust_problem(given: str, url: str, publisher: str) -> str | None:
    """A stated trust level that is unknown, or higher than the list allows."""
    if not given:
        return None
    if given not in TRUST_LEVELS:
        return MSG_TRUST.format(v=given)
    derived = trust_of(url, publisher)
    if _RANK[given] > _RANK[derived]:
        host = host_of(url)
        why = f"网站 {host} 不在名单中" if host and derived == REPOST else (
            f"网站 {host} 在名单中为“{derived}”" if host else "没有来源链接，发布单位不在名单中")
        return MSG_TRUST_HIGHER.format(given=given, derived=derived, why=why)
    return None


def shown_link(url: str, trust: str) -> str:
    """The link a page or brief may show as the source: never a repost's (mirror) URL."""
    return url if url and trust in (OFFICIAL, MAINSTREAM) else ""


def citation(publisher: str, title: str, date: str, trust: str) -> str:
    """'人民网四川频道《标题》，2025-07-30；可信度：主流媒体' — the one wording of a source in the
    brief's 来源清单 and the command line (the date only when the title does not carry it)."""
    title, publisher = title.strip(), publisher.strip()
    head = f"{publisher}《{title}》" if publisher and title else (publisher or title or "来源未注明")
    if date and date not in head:
        head += f"，{date}"
    return f"{head}；可信度：{trust}" if trust else head
