"""Address and place-name spans in a problem text, so that where a problem happens does not
decide which cases it matches.

Real 12345/问政 messages start with an address: "A1区荷花园街道华城广场楼下修地铁…",
"A2区友谊路958号克拉美丽山庄小区…". As content, "华城广场" gives the token 广场 and pulls up
广场舞 cases; "美丽山庄" gives 美丽 (美丽乡村). Two kinds of span are found:

1. administrative codes of anonymised messages and unit numbers: A1区, A市, J10 县; 958号, 17栋,
   1单元, 706房, 5号线;
2. a proper name followed by a place word: 荷花园街道, 华城广场, 克拉美丽山庄小区, 德雅路 — the
   name is what the plain jieba tagger marks as a place/person/organisation/abbreviation, a bare
   number, or a noun its dictionary does not know (a dictionary noun only before an
   administrative unit: 涌泉街道).

Kept as content: a place word after an ordinary word (老旧小区, 小区物业, 马路市场, 城中村), a span
that would cut a governance term in two (…小区广场|舞), and real province and city names
(`zhili.gazetteer`): they say where, and the library's cases are written with them. A removed
span leaves its setting word (…山庄小区 → 小区, …水塘垸村 → 村). The analyser keeps the full text
for the rules, the explanation and region detection, and uses the text without these spans for
keywords and the dense model (see `Analysis.content`).
"""

from __future__ import annotations

import re
import threading
from typing import Iterable

# Administrative codes of anonymised messages (A1区, A市, J10 县) — not inside a latin word.
_CODE = re.compile(r"(?<![a-z0-9])[a-z]\d{0,2} ?(?:市|区|县)")
# Unit numbers: 958号, 17栋, 1单元, 706房, a6栋, 5号线, 3号楼.
_UNIT = re.compile(r"(?<![a-z0-9])(?:\d+|[a-z]\d*)(?:号楼|号院|号线|号|栋|幢|单元|室|房|座)")

# Place words that end a named place. Single characters only count as a token of their own.
# Not 市场/商场: a market is usually the topic itself (马路市场, 农贸市场 占道).
SUFFIXES = frozenset(
    "广场 小区 花园 公园 社区 街道 新村 家园 公寓 大厦 山庄 华庭 华府 国际 小城 新城 星城 名都 雅苑 花苑 "
    "名邸 公馆 府邸 中心 大桥 大道 大街 西路 东路 南路 北路 中路 一路 二路 三路 "
    "路 街 巷 村 组 镇 乡 城 苑 园 府 庭 湾 岭 坡 冲 洲 塘 桥 里 居 阁 轩 邸".split())
_ROAD_END = ("路", "街", "巷", "道")
# Tags the plain tagger gives names: place, person, other proper noun, organisation,
# abbreviation, latin, number.
_NAME_POS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "nt", "j", "eng", "m"})
# Ordinary nouns that make "X小区" a kind of estate, not a named one.
_GENERIC = frozenset(
    "居民 住宅 商品房 农村 城市 城区 老城 老城区 安置 拆迁 物业 业主 周边 附近 所在 本地 当地 我们 "
    "村民 社区 县城 乡镇 城镇 单位 学校 医院 政府 县政府 市政府 区政府 街道办 开发商 新建 高层 "
    "别墅 整个 全市 全县 全区 各个 农贸 菜 停车 公共 集镇 乡村 镇上 村里 空心 自然 行政 中心 试点 "
    "重点 边远 偏远 山区 移民 搬迁 文明 示范 贫困".split())
_MAX_NAME_TOKENS = 3

_lock = threading.Lock()
_tagger = None


def _plain():
    """jieba with its default dictionary only: its tags tell names from ordinary words
    (the governance lexicon's invented frequencies would not)."""
    global _tagger
    with _lock:
        if _tagger is None:
            import rjieba

            _tagger = rjieba.Jieba()
        return _tagger


_NUMBER = re.compile(r"[0-9a-z]+|[一二三四五六七八九十百千万亿]+")


def _is_road(word: str, pos: str) -> bool:
    """A road the tagger already holds as one place name: 友谊路, 桐梓坡西路 (not 临街)."""
    return pos == "ns" and len(word) > 2 and word.endswith(_ROAD_END)


def _is_suffix(word: str, pos: str) -> bool:
    return word in SUFFIXES or _is_road(word, pos)


# Before an administrative unit even a dictionary noun is a name (涌泉街道, 豹子岭社区).
_ADMIN = frozenset({"街道", "社区", "村", "镇", "乡"})


def _is_name(word: str, pos: str, protected: frozenset[str], admin: bool = False) -> bool:
    """Proper names only: a tagged name, a bare number (九亿广场, 5栋), or a noun the default
    dictionary does not know (区荷花园); a dictionary noun is an ordinary word (马路市场, 范围小区)
    except before an administrative unit."""
    if word in _GENERIC or word in protected or not word.strip():
        return False
    if pos == "m":
        return bool(_NUMBER.fullmatch(word))
    if pos in _NAME_POS:
        return True
    return pos in ("n", "ng", "nl") and len(word) <= 3 and (admin or not _plain().has_word(word))


def _named_places(text: str, protected: frozenset[str]) -> Iterable[tuple[int, int]]:
    words: list[tuple[str, str, int]] = []
    pos_at = 0
    for word, pos in _plain().tag(text):
        words.append((word, pos, pos_at))
        pos_at += len(word)
    i = 0
    while i < len(words):
        word, pos, start = words[i]
        if not _is_suffix(word, pos):
            i += 1
            continue
        # extend over following place words (山庄|小区, 街道|华城|广场 is two spans, fine)
        j = i
        while j + 1 < len(words) and words[j + 1][0] in SUFFIXES and len(words[j + 1][0]) > 1:
            j += 1
        # look back for a proper name
        k, names = i, 0
        while k > 0 and i - k < _MAX_NAME_TOKENS:
            w, p, _ = words[k - 1]
            if _is_suffix(w, p) and names == 0 and len(w) > 1:
                k -= 1
                continue
            if not _is_name(w, p, protected, admin=words[j][0] in _ADMIN):
                break
            k -= 1
            names += 1
        own = _is_road(word, pos)  # 友谊路 as one token
        if names or own:
            yield words[k][2], words[j][2] + len(words[j][0])
        i = j + 1


def _gazetteer_names() -> re.Pattern[str]:
    from ..gazetteer import _table

    return _table()[0]


def place_spans(text: str, protected: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of addresses and place names in normalised
    `text`. `protected`: governance terms that must survive whole (the analyser's lexicon hits)."""
    if not text:
        return []
    prot = frozenset(protected)
    spans = [m.span() for m in _CODE.finditer(text)]
    spans += [m.span() for m in _UNIT.finditer(text)]
    spans += list(_named_places(text, prot))
    keep_regions = [m.span() for m in _gazetteer_names().finditer(text)]
    terms = [(m.start(), m.end()) for t in prot for m in re.finditer(re.escape(t), text)]
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        # a span cutting a governance term in two (小区广场|舞) is a topic, not a place
        if any(ts < e and te > s and (ts < s or te > e) for ts, te in terms):
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    # a span naming a real province or city stays whole (成都市武侯区玉林街道): where matters, the
    # library's cases name real places, and cutting around short names (玉林, 中山) garbles it
    out = [(s, e) for s, e in merged if not any(rs < e and re_ > s for rs, re_ in keep_regions)]
    return out


# What kind of place it is stays: a village or an estate is the setting of the problem (清洁乡村,
# 小区物业), unlike a square, a road or a street office, whose name is only where.
SETTINGS = ("小区", "社区", "村", "镇", "乡")


def without_places(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span replaced by the setting word it ends with (…山庄小区 → 小区,
    …水塘垸村 → 村), else by a space (so the words around it do not join up)."""
    if not spans:
        return text
    parts, last = [], 0
    for s, e in spans:
        parts.append(text[last:s])
        parts.append(next((w for w in SETTINGS if text[s:e].endswith(w)), ""))
        last = e
    parts.append(text[last:])
    return re.sub(r"\s+", " ", " ".join(parts)).strip()
