"""Province / city / district named in a text, with the span each came from.

The names and their hierarchy come from the GB/T 2260 administrative-division codes shipped by
the `cpca` package (`resources/adcodes.csv`: every province, prefecture and county-level unit),
spelled the library's way through `zhili.gazetteer.PROVINCES` (北京, 内蒙古, 广西 …).

Only what the text itself says is filled in: a district does not bring its city or province
along unless the text names them too (“北京市东城区” gives all three, “东城区” only the
district), an outlet's name or a road (北京中路) is not a place, and full names are required
(浙江省, 宁波市, 鄞州区) except where a short name is followed by a unit under it (浙江宁波).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..gazetteer import PROVINCES

GENERIC = {"市辖区", "县", "城区", "郊区", "矿区", "新区", "市中区", "省直辖县级行政区划", "自治区直辖县级行政区划",
           "县级市", "林区", "特区", "开发区", "高新区", "新城区", "老城区"}
MUNICIPALITIES = ("11", "12", "31", "50")
NOT_AFTER = re.compile(r"^(?:中路|东路|西路|南路|北路|路|街|大街|大道|巷|日报|晚报|卫视|电视台|广播|新闻|在线|网|报|讯|话|味|人)")


@dataclass(frozen=True)
class Unit:
    code: str  # 12-digit adcode
    name: str  # full name as in the code table (连云港市)
    short: str  # the library's spelling (连云港; 北京; 鄞州区 keeps its suffix)
    rank: str  # province | city | district

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def city_code(self) -> str:
        return self.code[:4]


@dataclass(frozen=True)
class Mention:
    unit: Unit
    start: int
    end: int


def _rank(code: str) -> str:
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    return "district"


def _province_short(full: str) -> str:
    for p in sorted(PROVINCES, key=len, reverse=True):
        if full.startswith(p):
            return p
    return full


_CITY_SUFFIX = re.compile(r"(?:市|地区|盟|(?:[\u4e00-\u9fff]{1,8}族)*自治州|州)$")


def _adcodes_csv() -> str:
    """cpca's code table, found without importing cpca (which would load pandas for nothing)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("缺少行政区划数据：请安装 cpca（pip install -c constraints.txt cpca）")
    return (Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def units() -> tuple[dict[str, list[Unit]], re.Pattern[str]]:
    """name → units with that name (full names and the short forms allowed), and one pattern
    matching any of them, longest first."""
    data = _adcodes_csv()
    by_name: dict[str, list[Unit]] = {}
    for row in csv.DictReader(data.splitlines()):
        code, name = row["adcode"].strip(), row["name"].strip()
        if not name or name in GENERIC or len(code) != 12:
            continue
        rank = _rank(code)
        if rank == "province":
            short = _province_short(name)
        elif rank == "city":
            short = _CITY_SUFFIX.sub("", name) or name
            if len(short) < 2:
                short = name
        else:
            short = name
        by_name.setdefault(name, []).append(Unit(code, name, short, rank))
    pattern = re.compile("|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True)))
    return by_name, pattern


@lru_cache(maxsize=1)
def _short_names() -> tuple[dict[str, list[Unit]], re.Pattern[str]]:
    """Short province/city names (浙江, 宁波): allowed only right before a unit under them."""
    by_name, _ = units()
    shorts: dict[str, list[Unit]] = {}
    for us in by_name.values():
        for u in us:
            if u.rank in ("province", "city") and u.short != u.name and len(u.short) >= 2:
                shorts.setdefault(u.short, []).append(u)
    return shorts, re.compile("|".join(re.escape(n) for n in sorted(shorts, key=len, reverse=True)))


def mentions(text: str, offset: int = 0) -> list[Mention]:
    """Every administrative unit the text names, in order (span offsets + `offset`)."""
    by_name, pattern = units()
    shorts, short_pattern = _short_names()
    found: list[Mention] = []
    taken: set[int] = set()
    for m in pattern.finditer(text):
        if NOT_AFTER.match(text[m.end():m.end() + 3]) and m.group(0).endswith(("市", "州")):
            continue
        if len(m.group(0)) == 2 and m.start() > 0 and re.match(r"[\u4e00-\u9fff]", text[m.start() - 1]) \
                and not any(mm.end - offset == m.start() for mm in found):
            continue  # 西区 in 小区西区: a two-character name inside a word is not a place
        for u in by_name[m.group(0)]:
            found.append(Mention(u, offset + m.start(), offset + m.end()))
        taken.update(range(m.start(), m.end()))
    full = {(mm.start - offset): mm for mm in found}
    for m in short_pattern.finditer(text):
        if m.start() in taken:
            continue
        nxt = full.get(m.end())  # a unit starts right after the short name
        for u in shorts[m.group(0)]:
            if nxt is not None and nxt.unit.code.startswith(u.code[:2 if u.rank == "province" else 4]) \
                    and nxt.unit.code != u.code:
                found.append(Mention(u, offset + m.start(), offset + m.end()))
    found.sort(key=lambda x: (x.start, -x.end))
    return found


@dataclass
class Place:
    province: str = ""
    city: str = ""
    district: str = ""
    spans: dict[str, list[tuple[int, int]]] | None = None


def place_of(text: str, title: tuple[int, int] | None = None, start: int = 0) -> Place:
    """The place a case is about: the title's units first, else the most named ones, each level
    filled only from a mention of that level (a municipality's 北京市 fills province and city)."""
    ms = mentions(text, start)
    if not ms:
        return Place(spans={})

    def in_title(m: Mention) -> bool:
        return title is not None and title[0] <= m.start < title[1]

    def pick(cands: list[Mention]) -> Mention | None:
        if not cands:
            return None
        titled = [m for m in cands if in_title(m)]
        if titled:
            return titled[0]
        counts = Counter(m.unit.code for m in cands)
        best = max(counts.values())
        return next(m for m in cands if counts[m.unit.code] == best)

    districts = [m for m in ms if m.unit.rank == "district"]
    cities = [m for m in ms if m.unit.rank == "city" or (m.unit.rank == "province" and m.unit.code[:2] in MUNICIPALITIES)]
    provinces = [m for m in ms if m.unit.rank == "province"]
    # a district named together with its city or province is the better reading of an ambiguous name
    if districts:
        upper = {m.unit.code[:4] for m in cities} | {m.unit.code[:2] for m in provinces}
        consistent = [m for m in districts if m.unit.code[:4] in upper or m.unit.code[:2] in upper]
        district = pick(consistent or districts)
    else:
        district = None
    if district is not None:
        cities = [m for m in cities if m.unit.code[:4] == district.unit.code[:4]
                  or (m.unit.code[:2] in MUNICIPALITIES and m.unit.code[:2] == district.unit.code[:2])]
        provinces = [m for m in provinces if m.unit.code[:2] == district.unit.code[:2]]
    city = pick(cities)
    if city is not None:
        provinces = [m for m in provinces if m.unit.code[:2] == city.unit.code[:2]]
    province = pick(provinces)
    spans: dict[str, list[tuple[int, int]]] = {}
    place = Place(spans=spans)
    if province is not None:
        place.province = province.unit.short
        spans["province"] = [(province.start, province.end)]
    if city is not None:
        if city.unit.rank == "province":  # 北京市 as a city
            place.city = city.unit.short
        else:
            place.city = city.unit.short
        spans["city"] = [(city.start, city.end)]
    if district is not None:
        place.district = district.unit.name
        spans["district"] = [(district.start, district.end)]
    return place
