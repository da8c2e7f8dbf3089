"""问题概述: the problem as a brief states it — masked, without the caller's greetings and contact
details, condensed to the sentences that describe the problem.

Only deletions, never rewording: every word of the summary is the caller's own (masked), so the
brief cannot put words in anyone's mouth. What goes:

* greetings, thanks and closing formulas (您好 / 尊敬的领导 / 请问 / 谢谢 / 盼复 …);
* clauses that identify or introduce the caller (来电人… / 联系电话… / 住址… / 我叫… / 我是…的居民);
* bare questions without content (怎么办 / 如何处理 …) at the end of a clause;
* sentences without two Chinese characters (markup, keyboard mashing, lone numbers);
* repeated sentences.

The rest is cut at a sentence boundary once `limit` characters are reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..privacy import mask

SUMMARY_CHARS = 300

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")
_CLAUSE_SPLIT = re.compile(r"([，,])")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Filler that starts a clause (removed, the rest of the clause stays).
_LEADING = re.compile(
    r"^(?:(?:尊敬的[^，,：:。！!]{0,12}[：:，,])|(?:各位)?(?:领导|同志|工作人员|老师)?(?:您好|你好|好)[！!，,。]?"
    r"|(?:请问一下|请问|麻烦问一下|想问一下|我想问一下|我想问|想咨询一下|咨询一下|我想咨询|我要咨询|我想反映|我要反映"
    r"|来电反映|来电人反映|来电人称|来电称|来电咨询|来电求助|市民来电反映|市民来电|求助|反映一下|反映一个问题|反映个问题|反映个情况|反映问题|反映)[：:，,]?)+"
)
# Clauses dropped whole: who is calling and how to reach them.
_CONTACT = re.compile(
    r"^(?:来电人|来电者|联系人|联系电话|联系方式|电话|手机|手机号|身份证|身份证号|证件号|住址|地址|家住|家庭住址"
    r"|姓名|我叫|我姓|本人姓|本人叫|我是|本人是|工单号|工单编号|编号)"
)
# Clauses that are only politeness or an empty question.
_FILLER = re.compile(
    r"^(?:谢谢|谢谢您|谢谢领导|谢谢了|感谢|非常感谢|万分感谢|感谢领导|麻烦了|辛苦了|盼复|望回复|请回复|盼回复|期待回复"
    r"|请尽快回复|请尽快处理|望尽快处理|望领导重视|恳请领导重视|请领导重视|急|在线等|急急急"
    r"|怎么办|该怎么办|咋办|怎么处理|如何处理|该如何处理|怎么解决|如何解决|能不能解决|能否解决|能不能帮忙"
    r"|可以吗|行吗|对吗|是吗|好吗)(?:[呢啊呀吧]|[，,。！!？?～~])*$"
)
_TRAILING = re.compile(r"[，,。！!？?；;：:、\s～~]+$")


@dataclass(frozen=True)
class Summary:
    text: str
    condensed: bool  # something of substance was left out for length (not just greetings)


def _clauses(sentence: str) -> list[str]:
    parts = _CLAUSE_SPLIT.split(sentence)
    return ["".join(parts[i:i + 2]) for i in range(0, len(parts), 2)]


def _keep(clause: str) -> str:
    """The clause without leading filler; "" when nothing of the problem is left in it."""
    c = clause.strip()
    c = _LEADING.sub("", c).strip()
    body = _TRAILING.sub("", c)
    if not body or _CONTACT.match(body) or _FILLER.match(body) or not _HAN.search(body):
        return ""
    return c


def _sentence(raw: str) -> str:
    clauses = [_keep(c) for c in _clauses(raw)]
    kept = [k for k in clauses if k]
    if not kept:
        return ""
    text = "".join(kept)
    # the sentence's own end mark, unless its last clause went ("……没结果，怎么办？" → "……没结果。")
    end = raw.rstrip()[-1:] if clauses[-1] and raw.rstrip()[-1:] in "。！？!?" else "。"
    text = _TRAILING.sub("", text)
    return text + (end if end not in "!?" else {"!": "！", "?": "？"}[end]) if len(_HAN.findall(text)) >= 2 else ""


def summarise(text: str, limit: int = SUMMARY_CHARS) -> Summary:
    """The masked problem, cleaned and condensed (see the module docstring)."""
    masked = mask(text or "")
    sentences: list[str] = []
    for raw in _SENTENCE.findall(masked):
        s = _sentence(raw)
        if s and s not in sentences:
            sentences.append(s)
    if not sentences:  # nothing recognisable: the masked text itself, shortened
        plain = " ".join(masked.split())
        return Summary(plain[:limit], len(plain) > limit)
    out, used = [], 0
    for s in sentences:
        if used + len(s) > limit:
            if not out:
                out.append(s[: limit - 2] + "……")
            return Summary("".join(out), True)
        out.append(s)
        used += len(s)
    repeated = len(sentences) < len([s for s in (_sentence(r) for r in _SENTENCE.findall(masked)) if s])
    return Summary("".join(out), repeated)
