"""User names that cannot pass for someone else's: one canonical form, no invisible or mixed-script tricks.

`ADMIN1`, `admin1` and full-width `ａｄｍｉｎ１` would otherwise be three accounts that look like one
in an audit log. So a name is stored as typed after NFKC (full-width → half-width) and compared by
its key, NFKC + casefold, which the database keeps unique. Refused outright: invisible characters
(zero-width spaces, joiners, fillers, variation selectors), control and format characters, and
letters of two alphabets mixed in one name (Latin `a` next to Cyrillic `а`) or a name spelt
entirely in Cyrillic/Greek letters that look Latin (`аdmіn`). Han characters mix freely with one
alphabet and digits, so `张san` and `王主任2` stay valid.
"""

from __future__ import annotations

import unicodedata

from .errors import check_name

MAX_NAME = 64    # users.username
MAX_KEY = 192    # users.username_key: casefold may triple a character (ΐ → 3)
PUNCTUATION = frozenset("._-@·")  # · for transliterated names (阿卜杜·热合曼)
HAN = frozenset({"CJK", "IDEOGRAPHIC", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "BOPOMOFO"})
SCRIPT_LABELS = {"LATIN": "拉丁字母", "CYRILLIC": "西里尔字母", "GREEK": "希腊字母", "ARMENIAN": "亚美尼亚字母",
                 "HANGUL": "朝鲜文", "ARABIC": "阿拉伯字母", "TIBETAN": "藏文", "MONGOLIAN": "蒙古文"}
# letters that render like Latin ones, upper and lower case (a name made only of these passes for Latin)
LATIN_LOOKALIKES = {
    "CYRILLIC": frozenset("аеорсухіјѕԁԛԝһӏүАВЕКМНОРСТХУЅІЈԚԜҺӀ"),
    "GREEK": frozenset("αγικνορτυχωΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"),
}
# invisible although not of category Cc/Cf: fillers, blank patterns, joiners and selectors (Mn)
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")


def _invisible(ch: str) -> bool:
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in INVISIBLE
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


def lookup_key(name: str) -> str:
    """The comparison key of any string (no checks): NFKC, casefold, NFKC again (Unicode's NFKC_Casefold)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _script(ch: str) -> str:
    word = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
    return "HAN" if word in HAN else word


def canonical(name: str) -> tuple[str, str]:
    """(display, key) for a new user name, or ValueError with a Chinese reason."""
    raw = check_name(name, "用户名", max_len=MAX_NAME, required=True)
    assert raw is not None
    if any(_invisible(ch) for ch in raw):
        raise ValueError("用户名中含有不可见字符（如零宽空格）或控制字符，请删除后重新输入")
    display = unicodedata.normalize("NFKC", raw)
    if any(ch.isspace() or unicodedata.category(ch).startswith("Z") for ch in display):
        raise ValueError("用户名中不能有空格")
    if len(display) > MAX_NAME:
        raise ValueError(f"用户名过长（{len(display)} 个字符，最多 {MAX_NAME} 个）")
    scripts: dict[str, set[str]] = {}
    previous = ""
    for ch in display:
        cat = unicodedata.category(ch)
        if cat.startswith("L") or ch == "〇":
            scripts.setdefault(_script(ch), set()).add(ch)
        elif cat.startswith("M"):
            if not previous or _script(previous) in ("LATIN", "CYRILLIC", "GREEK") or previous.isascii():
                raise ValueError("用户名中的字母不能再叠加附加符号，请直接输入带声调或变音的字母")
        elif cat == "Nd":
            if not ch.isascii():
                raise ValueError(f"用户名中的数字请使用 0-9，不能使用“{ch}”")
        elif ch not in PUNCTUATION:
            raise ValueError(f"用户名只能由文字、数字和 . _ - @ · 组成，不能含有“{ch}”")
        previous = ch
    alphabets = sorted(set(scripts) - {"HAN"})
    if len(alphabets) > 1:
        names = "、".join(SCRIPT_LABELS.get(s, s) for s in alphabets)
        raise ValueError(f"用户名混用了{names}，容易被误认为其他账号，请只用一种字母（可与汉字、数字组合）")
    if len(alphabets) == 1 and alphabets[0] in LATIN_LOOKALIKES and scripts[alphabets[0]] <= LATIN_LOOKALIKES[alphabets[0]]:
        raise ValueError(f"用户名全部由外形与拉丁字母相同的{SCRIPT_LABELS[alphabets[0]]}组成，容易与其他账号混淆，请改用拉丁字母")
    key = lookup_key(display)
    if len(key) > MAX_KEY:
        raise ValueError(f"用户名过长（最多 {MAX_NAME} 个字符）")
    return display, key
