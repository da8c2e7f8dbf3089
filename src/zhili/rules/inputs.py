"""What the rules see: one plain dict built from the analysed problem.

Rule input (every pack receives these fields; names are what a table column's 字段 refers to):

    text           normalised simplified-Chinese problem text (colloquial words already mapped
                   to canonical terms by zhili.text, e.g. 彩礼太高 → 高额彩礼; spaces between
                   Chinese characters removed)
    focus_text     `text` without the side remarks a 12345 work order often ends with
                   (“另反映…”, “来电人顺便问…”); domain tags read this one
    tokens         list of words
    lexicon_hits   governance terms found in the text, e.g. ["加装电梯", "业委会"]
    domain_scores  {domain: 0..1} from matching (may be empty)
    province       e.g. "浙江" ("" when unknown)
    level          one of 全国/省/市/区县/乡镇街道/村社区 ("" when unknown)
    signals        {"rural": bool, "urban": bool}: village/town words vs. estate/street words

Packs run in order, and each later pack also sees what the earlier ones decided:

    domains, primary_domain, main_domains (first two), domain_weights   (问题分类)
    setting ("城市"/"农村"/"城乡结合"/""), urgency ("一般"/"较急"/"紧急"), urgency_flags
    routing {"lead", "supporting", "basis"}      (权责清单)
    risk_level ("低"/"中"/"高"), risk_flags       (风险评估)
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Mapping, Sequence

# Words that place a problem in a village/township or in a city estate/street. The 城乡环境
# table turns these signals into the setting and can override them row by row.
RURAL = re.compile(
    "村民|村里|村委|村两委|村党|村支部|我们村|本村|全村|村干部|村集体|村务|村级|村庄|行政村|自然村|山村|农村|乡村|乡镇|乡里|乡政府"
    "|镇里|镇上|镇政府|我们镇|我们乡|全镇|全乡|农民|农户|农田|耕地|宅基地|秸秆|养殖|种植|牧区|牧民"
    "|嘎查|苏木|草场|草山|灌溉|水渠|村组|村民小组|屯|寨|留守|驻村|第一书记|乡村振兴|集体经济"
    # a rural address: “高桥镇范林村”, “大盛镇铁塘村”
    "|[镇乡][\u4e00-\u9fff]{1,4}村(?![委民])")
URBAN = re.compile(
    "小区|业主|物业|业委会|楼道|楼栋|单元楼|电梯|居委会|居民区|街道办|街道|写字楼|商务楼|商圈|楼宇"
    "|商务区|城区|市区|老公房|公寓|地下车库|城市|市民|社区|老旧小区|停车场")

# A 12345 work order often ends with unrelated side remarks; they should not decide the domain.
_SENTENCE = re.compile(r"[^。!?;！？；\n]+[。!?;！？；\n]?")
_ASIDE = re.compile(
    r"^\s*(?:来电人|该来电人|来电者|市民|其)?\s*(?:另外|此外|另|顺便|顺带|附带|同时|还)\s*(?:还)?"
    r"(?:反映|问了?|询问|咨询|提出|表示|称|提到|说)")


# zhili.text surrounds canonical terms with spaces (我们村 → " 我们 村"); between two Chinese
# characters a space means nothing, so rules see the phrase whole again.
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def focus_text(text: str) -> str:
    """`text` minus side-remark sentences (另反映…/顺便问…); the whole text if nothing is left."""
    kept = [s for s in _SENTENCE.findall(text) if not _ASIDE.match(s)]
    out = "".join(kept).strip()
    return out or text


def detect_signals(text: str) -> dict[str, bool]:
    return {"rural": bool(RURAL.search(text)), "urban": bool(URBAN.search(text))}


def build_rule_input(text: str, tokens: Sequence[str], lexicon_hits: Sequence[str],
                     domain_scores: Mapping[str, float] | None, province: str = "",
                     level: str = "", signals: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The dict every rule pack receives (see the module docstring for the fields).

    `text` must already be normalised (zhili.text); `signals` defaults to the keyword signals.
    """
    text = _CJK_GAP.sub("", text or "")
    sig = detect_signals(text)
    if signals:
        sig.update({k: v for k, v in signals.items()})
    return {
        "text": text,
        "focus_text": focus_text(text),
        "tokens": [str(t) for t in tokens],
        "lexicon_hits": [str(t) for t in lexicon_hits],
        "domain_scores": {str(k): float(v) for k, v in (domain_scores or {}).items()},
        "province": (province or "").strip(),
        "level": (level or "").strip(),
        "signals": sig,
    }


# ---------------------------------------------------------------------------------------------
# Text analysis for the rules CLI and tests: zhili.text when its word lists are present,
# otherwise a small fallback (NFKC + t2s + rjieba) so rules can be checked on their own.

_PUNCT = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def _fallback_tools() -> tuple[Any, Any]:
    import opencc
    import rjieba

    return opencc.OpenCC("t2s"), rjieba


def _fallback(text: str) -> tuple[str, list[str], list[str]]:
    t2s, rjieba = _fallback_tools()
    norm = re.sub(r"\s+", " ", t2s.convert(unicodedata.normalize("NFKC", text).lower())).strip()
    tokens = [t for t in rjieba.cut(norm) if t.strip() and not _PUNCT.match(t)]
    return norm, tokens, []


@lru_cache(maxsize=1)
def _analyzer() -> Any | None:
    try:
        from ..text import get_analyzer

        return get_analyzer()
    except (ImportError, OSError, ValueError):  # word lists missing or malformed
        return None


def analyzer_name() -> str:
    """Which analyser the rules tooling is using (reported by `zhili rules test`)."""
    return "zhili.text" if _analyzer() is not None else "fallback (t2s + rjieba)"


def analyze(text: str) -> tuple[str, list[str], list[str]]:
    """(normalised text, tokens, lexicon hits) for a raw problem statement."""
    a = _analyzer()
    if a is None:
        return _fallback(text)
    res = a.analyze(text)
    return res.text, list(res.tokens), list(res.lexicon_hits)


def rule_input_for(raw_text: str, province: str = "", level: str = "",
                   domain_scores: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Analyse a raw problem statement and build the rule input in one call."""
    norm, tokens, hits = analyze(raw_text)
    return build_rule_input(norm, tokens, hits, domain_scores, province, level)


def complete_input(rule_input: Mapping[str, Any]) -> dict[str, Any]:
    """Fill fields a hand-made input may lack (focus_text, signals, …) so no cell reads null."""
    if all(k in rule_input for k in ("text", "focus_text", "tokens", "lexicon_hits",
                                     "domain_scores", "province", "level", "signals")):
        return dict(rule_input)
    base = build_rule_input(str(rule_input.get("text") or ""), rule_input.get("tokens") or [],
                            rule_input.get("lexicon_hits") or [],
                            rule_input.get("domain_scores") or {},
                            str(rule_input.get("province") or ""),
                            str(rule_input.get("level") or ""), rule_input.get("signals"))
    return {**base, **{k: v for k, v in rule_input.items() if v is not None}}
