"""Mask personal data in problem texts (12345 hotline work orders) before they are stored or shown.

Work orders quote callers verbatim: ID numbers, phones, plates, names and home addresses. zhili
only needs the governance problem, so everything that identifies a person is starred out before a
query is logged, exported or printed in a brief. Two rules shape the detectors:

* Ordinary governance numbers must survive (2023年, 120户, 3.5万元, 12345热线, 第38号, URLs in
  sources) — every digit pattern needs a full-length run with no digit/letter on either side, and
  names or addresses are only masked after a label (姓名：, 联系人, 住址 …).
* `mask` is idempotent: masked output contains no run that a detector would match again.

Detection runs on a per-character NFKC copy (full-width １３８… behaves like 138…), but the text
returned is the original with only the masked characters replaced, so nothing else changes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

MASK_CHAR = "*"

__all__ = ["Span", "find_personal", "mask", "MASK_CHAR"]


@dataclass(frozen=True)
class Span:
    """One piece of personal data: `kind` (phone, id_card …) and its [start, end) in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int  # normalised coordinates
    end: int
    hidden: tuple[int, ...]  # normalised positions to replace with MASK_CHAR


# Boundaries: a number is personal data only when it is the whole run, not part of a longer
# number, a URL path or an alphanumeric code.
_NB = r"(?<![0-9A-Za-z])"
_NA = r"(?![0-9A-Za-z])"
_SEP = r"[ \-]?"

_ID18 = re.compile(_NB + r"(\d{6})(\d{4})(\d{2})(\d{2})(\d{3}[0-9Xx])" + _NA)
_ID15 = re.compile(_NB + r"(\d{6})(\d{2})(\d{2})(\d{2})(\d{3})" + _NA)
_CARD = re.compile(_NB + r"\d(?:[ \-]?\d){15,18}" + r"(?![ \-]?[0-9A-Za-z])")
_MOBILE = re.compile(
    _NB
    + r"(?:(?:\+|00)?86[ \-]?|[(（]\+?86[)）] ?)?"
    + r"(1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4})"
    + r"(?![ \-]?[0-9A-Za-z])"
)
_LANDLINE = re.compile(
    _NB + r"(?:[(（](0\d{2,3})[)）] ?|(0\d{2,3})[ \-])(\d{7,8})(?:(?:转|-|ext\.?)\d{1,5})?" + _NA
)
_LANDLINE_LABELLED = re.compile(
    r"(?:电话|座机|固话|联系方式)[:：]?\s*" + _NB + r"(0\d{2,3})(\d{7,8})" + _NA
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][·•・. ]?([A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳])" + _NA
)
_PASSPORT = re.compile(r"护照(?:号码|号)?[:：]?\s*([A-Za-z]{1,2}\d{7,8}|\d{9})" + _NA)
_URL = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+", re.I)

# Names: a label, then 2–4 Han characters. With a colon anything goes; without one ("联系人王某某")
# the first character must be a common surname (minus those that usually start ordinary words:
# 和/全/应/成 …), so "联系人制度" and "联系人和网格员" stay untouched.
_NAME_LABELS = (
    "姓名|联系人|来电人|诉求人|反映人|投诉人|被投诉人|举报人|被举报人|申请人|当事人|户主|"
    "业主姓名|求助人|报警人|租户"
)
_NAME_COLON = re.compile(rf"(?:{_NAME_LABELS})\s*[:：]\s*([\u4e00-\u9fff·]{{2,8}})")
_NAME_BARE = re.compile(rf"(?:{_NAME_LABELS})([\u4e00-\u9fff]{{2,6}})")
_NAME_MAX = 4  # longer runs after a label are a name plus the words that follow it
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊孟秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝龚邵钱覃武戴"
    "莫孔汤施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝符舒阮柯纪梅童凌毕季裴霍涂苗谷"
    "盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲房滕屈饶牟艾尤穆卓古吉缪简芦麦褚娄窦戚岑景宫卜冷晏米柏宗瞿桂"
    "佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝某"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "长孙", "宇文")
# Words that end a bare name ("联系人王某某反映…") rather than belong to it.
_NAME_TAIL = re.compile(r"(反映|来电|投诉|举报|称|说|表示|诉求|家|的|在|住|电话|手机|联系|同志|等|和|与|及|已|要求|希望)")
_TITLES = ("先生", "女士", "师傅", "阿姨", "大爷", "大妈", "老师", "同志", "小姐")

# Addresses: after a label, everything up to the next clause break; inside it the house-number
# tokens (digits, or Chinese numerals before 号楼/单元/室 …) are starred, the community name stays.
_ADDR_LABEL = re.compile(r"(?:家庭住址|现住址|居住地址|户籍地址|住址|地址|家住|住在)\s*[:：]?\s*")
_ADDR_END = re.compile(r"[，,。；;！!？?\n\r]|电话|手机|联系")
_ADDR_MAX = 60
_HOUSE_SUFFIX = r"(?:号楼|号院|号|栋|幢|座|单元|层|楼|室|户|弄|排|组)"
_HOUSE_TOKEN = re.compile(
    r"[0-9A-Za-z]*\d[0-9A-Za-z]*(?:-[0-9A-Za-z]+)*|[A-Za-z一二三四五六七八九十百零〇两]+(?=" + _HOUSE_SUFFIX + ")"
)
_HOUSE_NEXT = re.compile(_HOUSE_SUFFIX)
# Unlabelled flat numbers: 3号楼2单元501室 / 5栋1202室 (building + room → a home).
_FLAT = re.compile(
    _NB + r"(\d+)(?:号楼|栋|幢|座)(?:(\d+)单元)?(?:(\d+)(?:层|楼))?(\d{2,5})(?:室|号房|户)"
)


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, so each normalised character maps back to one original index.

    Invisible characters (zero-width spaces, BOMs, control bytes other than line breaks and tabs)
    are skipped, so "138\u200b1234\u200b5678" pasted from a web form is still seen as a phone.
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        norm = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        if not norm:
            continue
        chars.append(norm)
        origin.extend([i] * len(norm))
    return "".join(chars), origin


def _digits(s: str, start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if s[i].isdigit() or s[i] in "Xx"]


def _keep_ends(s: str, start: int, end: int, head: int, tail: int) -> tuple[int, ...]:
    """Hide all digits of s[start:end] except the first `head` and the last `tail`."""
    pos = _digits(s, start, end)
    return tuple(pos[head : len(pos) - tail])


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _id_cards(s: str) -> Iterator[_Hit]:
    for m in _ID18.finditer(s):
        if _valid_birth(int(m[2]), int(m[3]), int(m[4])):
            yield _Hit("id_card", m.start(), m.end(), _keep_ends(s, m.start(), m.end(), 6, 4))
    for m in _ID15.finditer(s):
        if _valid_birth(1900 + int(m[2]), int(m[3]), int(m[4])):
            yield _Hit("id_card", m.start(), m.end(), _keep_ends(s, m.start(), m.end(), 6, 4))


def _bank_cards(s: str) -> Iterator[_Hit]:
    for m in _CARD.finditer(s):
        yield _Hit("bank_card", m.start(), m.end(), _keep_ends(s, m.start(), m.end(), 0, 4))


def _mobiles(s: str) -> Iterator[_Hit]:
    for m in _MOBILE.finditer(s):
        yield _Hit("phone", m.start(), m.end(), _keep_ends(s, m.start(1), m.end(1), 3, 4))


def _landlines(s: str) -> Iterator[_Hit]:
    for m in _LANDLINE.finditer(s):
        yield _Hit("landline", m.start(), m.end(), _keep_ends(s, m.start(3), m.end(3), 1, 3))
    for m in _LANDLINE_LABELLED.finditer(s):
        yield _Hit("landline", m.start(1), m.end(2), _keep_ends(s, m.start(2), m.end(2), 1, 3))


def _emails(s: str) -> Iterator[_Hit]:
    for m in _EMAIL.finditer(s):
        local = range(m.start(1), m.end(1))
        hidden = tuple(local[1:]) if len(local) > 1 else tuple(local)
        yield _Hit("email", m.start(), m.end(), hidden)


def _plates(s: str) -> Iterator[_Hit]:
    for m in _PLATE.finditer(s):
        yield _Hit("plate", m.start(), m.end(), tuple(range(m.start(1), m.end(1) - 1)))


def _passports(s: str) -> Iterator[_Hit]:
    for m in _PASSPORT.finditer(s):
        yield _Hit("passport", m.start(1), m.end(1), tuple(range(m.start(1) + 1, m.end(1) - 3)))


def _name_hit(s: str, start: int, run: str, *, bare: bool = False) -> _Hit | None:
    cut = _NAME_TAIL.search(run, 2)
    if bare and not cut and len(run) > _NAME_MAX:
        return None  # "联系人制度建设…": prose, not a name
    name = run[: cut.start()] if cut else run
    if "·" not in name:  # Han names: surname + one or two characters (compound surname + two)
        name = name[: _NAME_MAX if name.startswith(_COMPOUND_SURNAMES) else _NAME_MAX - 1]
    end = start + len(name)
    # A name followed by a mask character was masked already (idempotence: 欧阳** stays).
    if len(name) < 2 or name.endswith(_TITLES) or name in _COMPOUND_SURNAMES or s[end : end + 1] == MASK_CHAR:
        return None
    surname = 2 if name.startswith(_COMPOUND_SURNAMES) else 1
    return _Hit("name", start, end, tuple(range(start + surname, end)))


def _names(s: str) -> Iterator[_Hit]:
    for m in _NAME_COLON.finditer(s):
        hit = _name_hit(s, m.start(1), m[1])
        if hit:
            yield hit
    for m in _NAME_BARE.finditer(s):
        run = m[1]
        if run[0] in _SURNAMES or run.startswith(_COMPOUND_SURNAMES):
            hit = _name_hit(s, m.start(1), run, bare=True)
            if hit:
                yield hit


def _is_house_number(s: str, token: re.Match[str], end: int) -> bool:
    """3号楼 / 501室 / 3-2-501 / a number ending the address — not '住在这里20年' (a duration)."""
    text = token.group()
    return (
        bool(_HOUSE_NEXT.match(s, token.end()))
        or token.end() >= end
        or "-" in text
        or not text.isdigit()
    )


def _addresses(s: str) -> Iterator[_Hit]:
    for m in _ADDR_LABEL.finditer(s):
        start = m.end()
        stop = _ADDR_END.search(s, start)
        end = min(stop.start() if stop else len(s), start + _ADDR_MAX)
        hidden = tuple(
            i for t in _HOUSE_TOKEN.finditer(s, start, end) if _is_house_number(s, t, end)
            for i in range(t.start(), t.end()) if s[i] != "-"
        )
        if hidden:
            yield _Hit("address", start, end, hidden)
    for m in _FLAT.finditer(s):
        hidden = tuple(i for g in range(1, 5) if m[g] for i in range(m.start(g), m.end(g)))
        yield _Hit("address", m.start(), m.end(), hidden)


# Order matters: earlier detectors claim their characters first (an 18-digit ID is not a bank card).
_DETECTORS: tuple[Callable[[str], Iterator[_Hit]], ...] = (
    _emails,
    _id_cards,
    _bank_cards,
    _mobiles,
    _landlines,
    _plates,
    _passports,
    _names,
    _addresses,
)


def _hits(text: str) -> tuple[list[_Hit], list[int]]:
    norm, origin = _normalise(text)
    claimed = [False] * len(norm)
    for u in _URL.finditer(norm):
        claimed[u.start() : u.end()] = [True] * (u.end() - u.start())
    found: list[_Hit] = []
    for detect in _DETECTORS:
        for hit in detect(norm):
            # Addresses may contain a flat number already claimed by the unlabelled pattern.
            if any(claimed[hit.start : hit.end]) and hit.kind != "address":
                continue
            if hit.kind == "address" and any(claimed[i] for i in hit.hidden):
                hit = _Hit(hit.kind, hit.start, hit.end, tuple(i for i in hit.hidden if not claimed[i]))
                if not hit.hidden:
                    continue
            claimed[hit.start : hit.end] = [True] * (hit.end - hit.start)
            found.append(hit)
    return found, origin


def find_personal(text: str) -> list[Span]:
    """Every piece of personal data in `text`, in order, with spans in the original string."""
    hits, origin = _hits(text)
    spans = {Span(h.kind, origin[h.start], origin[h.end - 1] + 1) for h in hits if h.end > h.start}
    return sorted(spans, key=lambda sp: (sp.start, sp.end, sp.kind))


def mask(text: str) -> str:
    """`text` with personal data starred out (110105********1234, 138****5678); idempotent."""
    if not text:
        return text
    hits, origin = _hits(text)
    hidden = {origin[i] for h in hits for i in h.hidden}
    if not hidden:
        return text
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(text))
