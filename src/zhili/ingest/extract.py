"""Fields of one segment, each with the span(s) of the document text it came from.

Rules, not memory: every value is either a verbatim span (title, problem/practice sentences,
an outcome's phrase and its number, a quoted mechanism) or a label chosen because named words
occur in the text (level, domains, leadership) — and then those words' spans are its
provenance. A value without a span is never produced; `check_provenance` verifies it.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from .places import mentions, place_of
from .readers import Document
from .segment import SENTENCE_END, Segment

Span = tuple[int, int]
SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?[”’」』]?")
CLAUSE = re.compile(r"[^，,。！？!?；;：:\n]+")
DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")

GREETING = re.compile(r"^\s*(?:尊敬的|您好|你好|各位|敬爱的|亲爱的)")
PROBLEM_CUES = re.compile(r"难|矛盾|纠纷|隐患|投诉|反映|困扰|搁置|困局|争执|拥堵|乱停|乱放|乱扔|堆积|不便|突出|诉求|痛点|堵点|"
                          r"短板|意见分歧|意见很大|吵架|争吵|频发|老化|破损|缺乏|不足|严重|困难|脏乱|占用|侵占|冲突|不满|顽疾")
PRACTICE_CUES = re.compile(r"创新|推行|建立|召开|组织|开展|邀请|联动|推动|实行|设置|探索|搭建|成立|牵头|协调|调解|联合|制定|落实|"
                           r"整治|清理|采取|依托|召集|入户|走访|宣传|实施|引导|推进|协商|议事|商量|部署|督导|巡查|动员|"
                           r"出动|赶赴|核实|对接|化解|劝说|耐心|规划|改建|安装|张贴|发动|构建|打造|健全|完善")
ACHIEVE = re.compile(r"完成|已有|实现|共计|累计|整治|拆除|清理|化解|解决|办结|设置了|合并|下降|降低|提升|提高|增加|增至|减少|"
                     r"覆盖|达到|惠及|帮助|新增|建成|成功|满意率|办结率|回访|受理|处置|排查|收集|整改|消除|腾退|新建|"
                     r"增设|发放|招募|培训|挽回|追回|签订|调处|调解|节约|节省|缩短|筹集|募集|改造了|建起|投入使用|达|率|比例|"
                     r"增长|升至|降至|建立|设立|处置|整顿|带动|轮训|响应|参与|评估|受益|服务|帮扶|组建|吸纳|培育|办理|"
                     r"答复|回应|上线|入驻|认领|认购|捐赠|走访|接待|排查出|发现|收到|征集")
BEFORE = re.compile(r"原来|原有|此前|以前|过去|改造前|撤.{0,4}前")
BACKGROUND = re.compile(r"共有|总户数|户数|面积|位于|使用期限|建于|常住|人口|占地|总长|保有|辖区有|居住着|费用|/月|/年|每月|每年|"
                        r"每天|每日|每周|规定|不得|长达|之久|多年|年代|年龄|岁|号楼|号院|电话|第[一二三四五六七八九十\d]+")
UNIT = (r"(?:万平方米|平方米|平方公里|公里|千米|米|万元|亿元|元|万人次|人次|万人|万户|万件|个百分点|个|户|件|人|次|名|家|间|铺|条|处|项|"
        r"栋|幢|辆|台|场次|场|所|座|套|份|只|棵|株|吨|公斤|千克|亩|天|日|小时|分钟|年|个月|%|％|起|类|支|批|"
        r"轮|期|届|张|本|篇|户次|件次|单|笔|元钱|部)")
FIGURE = re.compile(rf"(\d+(?:\.\d+)?)\s*(?:余|多)?\s*(万|亿)?\s*(余|多)?\s*({UNIT})")
QUOTE = re.compile(r"“([^“”\n]{2,24})”")
MECH_NOUN = re.compile(r"^(?:小区治理|社区治理|基层治理|治理|工作|议事|服务)?(?:机制|模式|制度|工作法|议事会|会谈|议事厅|平台|专项行动|行动|"
                       r"工程|热线|体系|品牌|工作室|驿站|小组|服务队|队|清单|中心|书记|课堂|讲堂|基金|专班)")
MECH_BEFORE = re.compile(r"(?:推行|创新|建立|探索|实行|开展|召开|打造|依托|推广|执行|采取|采用|运用|利用|实施|通过|坚持|搭建|"
                         r"设立|成立|组建|开通|首创|推出|形成|用好|借助|发挥)[了的出]?$")
MECH_UNQUOTED = re.compile(r"([\u4e00-\u9fff]{3,8})(机制|制度)")
MECH_VERB_ANY = re.compile(r"(?:建立健全|建立|健全|完善|创新|推行|实行|落实|形成|探索|依托|通过|采取|坚持|执行|推广|构建|"
                           r"打造|优化|发挥|强化|加强|深化|用好|结合|按照|实施)")
MECH_VERB = re.compile(r"^(?:建立健全|建立|健全|完善|创新|推行|实行|落实|形成|探索|依托|通过|采取|坚持|持续执行|执行|推广|构建|"
                       r"打造|优化|发挥|强化|进一步|加强|深化|用好|结合|按照|实施|全面|积极|不断|着力)+")
ACTORS = ("社区党组织", "社区党委", "党工委", "党支部", "党组织", "居委会", "村委会", "村两委", "业委会", "物业服务企业", "物业公司",
          "物业", "司法所", "派出所", "街道办事处", "调委会", "调解员", "网格员", "志愿者", "党员代表", "居民代表", "党员",
          "居民", "村民", "业主", "政协委员", "人大代表", "城管", "民警", "律师", "社会组织", "职能部门", "有关部门", "楼长",
          "社工", "村干部", "社区工作人员", "街道", "社区")
LEADERSHIP_CUES = {
    "政治引领": r"党建引领|党组织|党支部|党委|党工委|党员|支部书记|红色|党群",
    "组织引领": r"多方|联动|联合|共建|联席|网格|业委会|召集|协同|五方|多部门|共治",
    "能力引领": r"调解员|培训|专业|能力|本领|队伍|技能|人民调解|法律|耐心|情理法|情、理、法",
    "机制引领": r"机制|制度|议事|协商|流程|平台|接诉即办|清单|规范|模式|办法",
}
LEVEL_UNITS = (
    ("村社区", re.compile(r"[\u4e00-\u9fff]{1,8}?(?:社区(?![工网报])|居委会|(?<![乡城])村(?![民干里庄落务级民集])(?:委会)?)")),
    ("乡镇街道", re.compile(r"[\u4e00-\u9fff]{1,8}?(?:街道(?!办事处物业站)|(?<![城村])乡(?![村亲里])|镇(?![里上村民]))")),
)


def _spans_text(text: str, spans: list[Span]) -> str:
    return "".join(text[a:b] for a, b in spans)


def _sentences(text: str, start: int, end: int) -> list[Span]:
    return [(start + m.start(), start + m.end()) for m in SENT.finditer(text[start:end]) if m.group(0).strip()]


def _trim(text: str, span: Span) -> Span:
    a, b = span
    while a < b and text[a] in " \t　\n":
        a += 1
    while b > a and text[b - 1] in " \t　\n":
        b -= 1
    return a, b


class Extraction(dict):
    """case payload (dict) plus `provenance`: field → list of [start, end]."""


def extract_case(doc: Document, seg: Segment, library_mechanisms: frozenset[str] = frozenset()) -> tuple[dict[str, Any], dict[str, list[list[int]]], list[str]]:
    """(case fields without id, provenance, notes) for one segment of `doc`."""
    text = doc.text
    prov: dict[str, list[Span]] = {}
    notes: list[str] = []
    # ---- body: the segment minus its heading, a subtitle and a byline
    body_start = seg.start
    if seg.title is not None and seg.title[0] <= seg.start + 40:
        nl = text.find("\n", seg.title[1])
        body_start = seg.end if nl < 0 or nl >= seg.end else nl + 1
    source_title: Span | None = None
    date_span: Span | None = None
    publisher_span: Span | None = None
    # the lines right after the heading: a headline of the original article and its byline
    pos = body_start
    for _ in range(3):
        nl = text.find("\n", pos)
        line_end = seg.end if nl < 0 or nl > seg.end else nl
        line = text[pos:line_end]
        if not line.strip():
            break
        dm = DATE.search(line)
        pm = re.search(r"(?:来源|来自|稿源)\s*[:：]\s*([^\s|　:：0-9]{2,30})", line)
        if (dm or pm) and len(line) <= 120 and (pm or line.startswith(("发布", "日期", "时间"))):
            if dm:
                date_span = (pos + dm.start(), pos + dm.end())
            if pm and pm.group(1) not in ("本站", "本网", "网络"):
                publisher_span = (pos + pm.start(1), pos + pm.end(1))
            body_start = min(seg.end, line_end + 1)
        elif source_title is None and 4 <= len(line) <= 40 and "。" not in line and not re.match(
                r"^(?:本报|记者|通讯员|来源|作者|图|文/)", line) and not re.search(r"记者|通讯员|文/图", line) \
                and pos == body_start and seg.marker != "none" and not re.search(r"[，,]", line):
            source_title = (pos, line_end)
            body_start = min(seg.end, line_end + 1)
        else:
            break
        pos = body_start
    if seg.marker == "none" and doc.meta.get("title_span"):
        source_title = tuple(doc.meta["title_span"])  # type: ignore[assignment]
    if date_span is None and doc.meta.get("date_span") and seg.marker == "none":
        date_span = tuple(doc.meta["date_span"])  # type: ignore[assignment]
    if publisher_span is None and doc.meta.get("publisher_span") and seg.marker == "none":
        publisher_span = tuple(doc.meta["publisher_span"])  # type: ignore[assignment]
    # ---- title
    title_span = seg.title or source_title
    if title_span is None:
        sents = _sentences(text, body_start, seg.end)
        if sents:
            a, b = sents[0]
            first = CLAUSE.match(text, a)
            while first and GREETING.match(first.group(0)) and first.end() + 1 < b:
                a = first.end() + 1  # “尊敬的领导：” is not a title
                first = CLAUSE.match(text, a)
            b = min(b, a + 40, first.end() if first else b)
            title_span = _trim(text, (a, b))
            notes.append("原文没有标题：标题取自正文第一句，请审核时改写")
    title = text[title_span[0]:title_span[1]].strip() if title_span else ""
    if title_span:
        prov["title"] = [_trim(text, title_span)]
    # ---- place
    place = place_of(text[seg.start:seg.end], (title_span[0] - seg.start, title_span[1] - seg.start)
                     if title_span else None, start=seg.start)
    for k, v in (place.spans or {}).items():
        prov[k] = v
    # ---- sentences: problem / practice
    sents = [s for s in _sentences(text, body_start, seg.end) if len(text[s[0]:s[1]].strip()) >= 6]
    problem, practice = _problem_practice(text, sents)
    if problem:
        prov["problem"] = problem
    if practice:
        prov["practice"] = practice
    # ---- outcomes
    outcomes, out_spans = _outcomes(text, sents)
    for i, spans in enumerate(out_spans):
        for key, sp in spans.items():
            prov[f"outcomes[{i}].{key}"] = sp
    # ---- mechanisms
    mechanisms, mech_spans = _mechanisms(text, seg.start, seg.end, library_mechanisms)
    for i, sp in enumerate(mech_spans):
        prov[f"mechanisms[{i}]"] = sp
    # ---- level, year, domains, leadership, actors
    level, level_span = _level(text, title_span, seg, place)
    if level_span:
        prov["level"] = [level_span]
    year = None
    if date_span is not None:
        m = DATE.search(text, date_span[0], date_span[1])
        if m:
            year = int(m.group(1))
            prov["year"] = [(m.start(1), m.end(1))]
    else:
        for a, b in sents:
            m = re.search(r"((?:19|20)\d{2})年(?:以来|起|开始|初起|底起)", text[a:b])
            if m:
                year = int(m.group(1))
                prov["year"] = [(a + m.start(1), a + m.end(1))]
                break
    if year is not None and not 1949 <= year <= 2100:
        year, _ = None, prov.pop("year", None)
    domains, dom_spans = _domains(text, seg.start, seg.end)
    for i, sp in enumerate(dom_spans):
        prov[f"domains[{i}]"] = sp
    leadership, lead_spans = _leadership(text, body_start, seg.end)
    for i, sp in enumerate(lead_spans):
        prov[f"leadership[{i}]"] = sp
    actors, actor_spans = _actors(text, body_start, seg.end)
    for i, sp in enumerate(actor_spans):
        prov[f"actors[{i}]"] = sp
    source: dict[str, Any] = {"title": text[source_title[0]:source_title[1]].strip() if source_title else "",
                              "url": doc.meta.get("url", ""), "date": "", "publisher": "", "trust": ""}
    if source_title:
        prov["source.title"] = [source_title]
    if date_span is not None:
        m = DATE.search(text, date_span[0], date_span[1])
        if m:
            y, mo, d = (int(g) for g in m.groups())
            source["date"] = f"{y:04d}-{mo:02d}-{d:02d}"
            prov["source.date"] = [date_span]
    if publisher_span is not None:
        source["publisher"] = text[publisher_span[0]:publisher_span[1]]
        prov["source.publisher"] = [publisher_span]
    source["trust"] = trust_of(source["publisher"], source["url"])
    case = {"title": title[:500], "province": place.province, "city": place.city, "district": place.district,
            "level": level, "year": year, "problem": _spans_text(text, problem).strip(),
            "practice": _spans_text(text, practice).strip(), "outcomes": outcomes, "domains": domains,
            "leadership": leadership, "mechanisms": mechanisms, "actors": actors, "source": source}
    return case, {k: [list(s) for s in v] for k, v in prov.items()}, notes


def trust_of(publisher: str, url: str) -> str:
    """官方发布 / 主流媒体 / 转载（待核实） from the maintained publisher list — the same judgment as
    the model, the importer and `zhili cases audit` (`zhili.cases.sources.trust_of`): by the link's
    site when there is a link, else by the issuing body's name (…人民政府, …日报 …)."""
    from ..cases.sources import trust_of as listed

    return listed(url or "", publisher or "")


def _problem_practice(text: str, sents: list[Span]) -> tuple[list[Span], list[Span]]:
    scored = []
    for a, b in sents:
        s = text[a:b]
        scored.append((len(PROBLEM_CUES.findall(s)), len(PRACTICE_CUES.findall(s))))
    problem: list[Span] = []
    half = max(1, math.ceil(len(sents) * 0.6))
    for (a, b), (p, q) in list(zip(sents, scored))[:half]:
        if p > 0 and p >= q and len(problem) < 3:
            problem.append((a, b))
    practice: list[Span] = []
    for (a, b), (p, q) in zip(sents, scored):
        if (a, b) in problem:
            continue
        if q > 0 and q >= p and sum(y - x for x, y in practice) < 400 and len(practice) < 5:
            practice.append((a, b))
    return problem, practice


def _number(raw: str, scale: str | None) -> float:
    v = float(raw)
    if scale == "万":
        v *= 10_000
    elif scale == "亿":
        v *= 100_000_000
    return v


def _outcomes(text: str, sents: list[Span]) -> tuple[list[dict[str, Any]], list[dict[str, list[Span]]]]:
    outs: list[dict[str, Any]] = []
    spans: list[dict[str, list[Span]]] = []
    seen: set[tuple[int, int]] = set()
    for a, b in sents:
        sentence = text[a:b]
        clauses = [(a + m.start(), a + m.end()) for m in CLAUSE.finditer(sentence)]
        sentence_achieves = bool(ACHIEVE.search(sentence))
        results_sentence = bool(re.search(r"成效|成果|效果", sentence))
        for ci, (ca, cb) in enumerate(clauses):
            clause = text[ca:cb]
            for m in FIGURE.finditer(clause):
                raw, scale, _more, unit = m.groups()
                fa, fb = ca + m.start(), ca + m.end()
                after = text[fb:fb + 1]
                before = text[max(ca, fa - 1):fa]
                if unit in ("年",) and float(raw) >= 1900 or unit in ("月",) or (unit == "日" and "月" in before):
                    continue  # a date, not a figure
                if after in ("月", "日", "号", "时") or before in ("第", "约") and unit == "年" or re.match(r"[:：\-—~]", after):
                    continue
                if unit == "日" and "月" in text[max(ca, fa - 3):fa]:
                    continue
                if BACKGROUND.search(clause):
                    continue
                achieves = bool(ACHIEVE.search(clause)) or unit in ("%", "％", "个百分点") or results_sentence
                before_after = bool(BEFORE.search(clause)) and sentence_achieves and any(
                    ACHIEVE.search(text[x:y]) for x, y in clauses[ci + 1:ci + 3])
                if not (achieves or before_after):
                    continue
                if (fa, fb) in seen:
                    continue
                seen.add((fa, fb))
                value = float(raw)  # as printed; 万/亿 stay in the unit (12.3 万件), as the library writes it
                value = int(value) if value.is_integer() else value
                unit_text = unit if not scale else scale + unit
                unit_start = ca + m.start(4)
                tail = _trim(text, (ca + m.end(), cb))
                head = _trim(text, (ca, fa))
                metric = tail if 2 <= tail[1] - tail[0] <= 20 else head if 2 <= head[1] - head[0] <= 20 else None
                phrase = _trim(text, (ca, cb))
                out = {"metric": text[metric[0]:metric[1]] if metric else "", "value": value,
                       "unit": unit_text if not scale else unit_text, "text": text[phrase[0]:phrase[1]]}
                sp: dict[str, list[Span]] = {"value": [(ca + m.start(1), ca + m.end(1))], "text": [phrase]}
                if scale:
                    sp["unit"] = [(ca + m.start(2), ca + m.end(2)), (unit_start, ca + m.end(4))]
                    out["unit"] = text[ca + m.start(2):ca + m.end(2)] + text[unit_start:ca + m.end(4)]
                else:
                    sp["unit"] = [(unit_start, ca + m.end(4))]
                if metric:
                    sp["metric"] = [metric]
                outs.append(out)
                spans.append(sp)
    return outs, spans


@lru_cache(maxsize=1)
def bundled_mechanisms() -> frozenset[str]:
    """Named practices of the bundled library (接诉即办, 吹哨报到 …): found in a text verbatim."""
    from ..config import BUNDLED_CASES

    names: set[str] = set()
    try:
        with open(BUNDLED_CASES, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    names.update(m for m in json.loads(line).get("mechanisms", []) if 4 <= len(m) <= 12)
    except (OSError, ValueError):
        pass
    return frozenset(names)


def _mechanisms(text: str, start: int, end: int, library: frozenset[str]) -> tuple[list[str], list[list[Span]]]:
    names: list[str] = []
    spans: list[list[Span]] = []

    def add(name: str, sp: list[Span]) -> None:
        name = name.strip()
        if name and name not in names and len(names) < 8:
            names.append(name)
            spans.append(sp)

    seg = text[start:end]
    for m in QUOTE.finditer(seg):
        inner = m.group(1)
        if re.search(r"[，,。！!？?；;]", inner):
            continue
        a, b = start + m.start(1), start + m.end(1)
        after = seg[m.end():m.end() + 8]
        before = seg[max(0, m.start() - 6):m.start()]
        noun = MECH_NOUN.match(after)
        if noun and (len(inner) <= 3 or inner.isdigit()):
            na = start + m.end()
            add(inner + after[:noun.end()], [(a, b), (na, na + noun.end())])
        elif noun or MECH_BEFORE.search(before):
            add(inner, [(a, b)])
    for m in MECH_UNQUOTED.finditer(seg):
        if "”" in seg[max(0, m.start() - 8):m.start() + 1]:
            continue
        group = m.group(1)
        verbs = list(MECH_VERB_ANY.finditer(group))
        stem = group[verbs[-1].end():] if verbs else group
        if len(stem) < 3 or stem.startswith(("的", "和", "与", "等")):
            continue
        a = start + m.start(1) + (len(m.group(1)) - len(stem))
        add(stem + m.group(2), [(a, start + m.end())])
    for name in sorted(library, key=len, reverse=True):
        i = seg.find(name)
        if i >= 0 and not any(name in n for n in names):
            add(name, [(start + i, start + i + len(name))])
    return names, spans


ACTING_UNITS = (
    ("村社区", re.compile(r"(?:社区(?:党委|党支部|党总支|居委会)?|居委会|(?<![乡城])村(?:党支部|委会|两委)?)(?![工网报民干里庄])")),
    ("乡镇街道", re.compile(r"(?:街道(?:党工委|办事处)?|(?<![城村])乡(?:党委|政府)?(?![村亲里])|镇(?:党委|政府)?(?![里上村民])|"
                         r"司法所|派出所|调委会|综治中心)")),
    ("区县", re.compile(r"(?:区|县)(?:委|政府|人民政府)")),
)
ACTION_AFTER = re.compile(r"^[^，。,；;]{0,3}?(?:联合|组织|邀请|开展|召开|牵头|推行|创新|立即|第一时间|将|积极|通过|采取|建立|"
                          r"坚持|探索|成立|主动|及时|迅速|随即|多次|专门|针对|对|会同|协调|召集|启动|制定|发动)")


def _level(text: str, title: Span | None, seg: Segment, place: Any) -> tuple[str, Span | None]:
    """The level of the unit that acted: the most local unit the title names; else the unit
    the body shows acting most often (“某街道联合…”, “某社区邀请…”); else the first one named."""
    if title:
        a, b = title
        part = text[a:b]
        for level, pattern in LEVEL_UNITS:
            m = pattern.search(part)
            if m:
                return level, (a + m.start(), a + m.end())
        for mm in mentions(part, a):
            if mm.unit.rank == "district":
                return "区县", (mm.start, mm.end)
    body = text[seg.start:seg.end]
    acting: dict[str, list[Span]] = {}
    for level, pattern in ACTING_UNITS:
        for m in pattern.finditer(body):
            if ACTION_AFTER.match(body[m.end():m.end() + 12]):
                acting.setdefault(level, []).append((seg.start + m.start(), seg.start + m.end()))
    if acting:
        order = [lv for lv, _ in ACTING_UNITS]
        best = max(acting, key=lambda lv: (len(acting[lv]), -order.index(lv)))
        return best, acting[best][0]
    for a, b in ([title] if title else []) + [(seg.start, seg.end)]:
        part = text[a:b]
        for level, pattern in LEVEL_UNITS:
            m = pattern.search(part)
            if m:
                return level, (a + m.start(), a + m.end())
        for mm in mentions(part, a):
            if mm.unit.rank == "district":
                return "区县", (mm.start, mm.end)
        for mm in mentions(part, a):
            if mm.unit.rank == "city":
                return "市", (mm.start, mm.end)
            if mm.unit.rank == "province":
                return "省", (mm.start, mm.end)
    return "", None


@lru_cache(maxsize=4)
def _domain_rows(rules_dir: str | None) -> list[tuple[str, float, list[Any], bool]]:
    """(domain, weight, keywords or [keyword, regex] pairs, pairs?) of the 问题分类 领域标签 rows."""
    from ..config import rules_dir as default_dir
    from pathlib import Path

    root = Path(rules_dir) if rules_dir else default_dir()
    rows: list[tuple[str, float, list[Any], bool]] = []
    for path in sorted(root.glob("01-*/*.json")):
        if path.name in ("pack.json",):
            continue
        try:
            graph = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for node in graph.get("nodes", []):
            content = node.get("content") or {}
            if node.get("type") != "decisionTableNode" or content.get("outputPath") != "domain_tags":
                continue
            for r in content.get("rules", []):
                if any(r.get(k) for k in r if k.startswith("in_") and k not in ("in_focus", "in_text")) \
                        and "true" not in str(r.get("in_rural", "")):
                    continue
                expr = r.get("in_focus") or r.get("in_text") or ""
                domain = str(r.get("out_domain", "")).strip('"')
                try:
                    weight = float(str(r.get("out_weight", "1")).strip('"'))
                except ValueError:
                    continue
                pairs = "matches($, #[1])" in expr
                if pairs:
                    items = [x for x in (json.loads(f"[{p}]") for p in re.findall(r"\[(\"[^\]]*?\",\s*\"[^\]]*?\")\]", expr)) if len(x) == 2]
                else:
                    items = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", expr)
                if "not(" in expr or "not (" in expr or not items:
                    continue
                rows.append((domain, weight, items, pairs))
    return rows


COMBINED_MIN = 0.6  # half rules (row weights), half the library-trained classifier, each scaled to its best


def _domains(text: str, start: int, end: int, rules_dir: str | None = None) -> tuple[list[str], list[list[Span]]]:
    """Domains from the 问题分类 rules' keywords (row weights summed once per row), each kept
    only with the spans of the words that fired it."""
    from ..cases.model import DOMAINS

    seg = text[start:end]
    weights: dict[str, float] = {}
    evidence: dict[str, list[Span]] = {}
    for domain, weight, items, pairs in _domain_rows(rules_dir):
        if domain not in DOMAINS:
            continue
        hit: list[Span] = []
        for item in items:
            if pairs:
                kw, rx = item
                try:
                    rm = re.search(rx, seg)
                except re.error:
                    continue
                if rm and kw in seg:
                    hit.append((start + rm.start(), start + rm.end()))
            else:
                i = seg.find(item)
                if item and i >= 0:
                    count = seg.count(item)
                    hit.append((start + i, start + i + len(item)))
                    weight_bonus = min(count, 3)
                    del weight_bonus
        if hit:
            n = sum(seg.count(text[a:b]) for a, b in hit[:3])
            weights[domain] = weights.get(domain, 0.0) + weight * (1 + math.log(max(1, n)))
            evidence.setdefault(domain, []).extend(hit[:3])
    from .domains import bundled_classifier

    clf = bundled_classifier()
    sims = {d: v for d, v in clf.scores(seg).items() if d in DOMAINS and v > 0}
    top_rule = max(weights.values(), default=0.0)
    top_sim = max(sims.values(), default=0.0)
    combined = {d: 0.5 * (weights.get(d, 0.0) / top_rule if top_rule else 0.0)
                + 0.5 * (sims.get(d, 0.0) / top_sim if top_sim else 0.0) for d in set(weights) | set(sims)}
    keep = sorted((d for d, v in combined.items() if v >= COMBINED_MIN), key=lambda d: -combined[d])[:3]
    out, spans = [], []
    for d in keep:
        ev = sorted(set(evidence.get(d, []))) or clf.evidence(seg, d, start)
        if ev:  # a domain is kept only with words of the text behind it
            out.append(d)
            spans.append(ev[:5])
    return out, spans


def _leadership(text: str, start: int, end: int) -> tuple[list[str], list[list[Span]]]:
    seg = text[start:end]
    scores: dict[str, list[Span]] = {}
    for dim, rx in LEADERSHIP_CUES.items():
        hits = [(start + m.start(), start + m.end()) for m in re.finditer(rx, seg)]
        if hits:
            scores[dim] = hits
    if not scores:
        return [], []
    top = max(len(v) for v in scores.values())
    keep = sorted((d for d, v in scores.items() if len(v) >= max(2, 0.6 * top)), key=lambda d: -len(scores[d]))[:2]
    return keep, [scores[d][:5] for d in keep]


def _actors(text: str, start: int, end: int) -> tuple[list[str], list[list[Span]]]:
    seg = text[start:end]
    found: list[tuple[int, str]] = []
    covered: set[int] = set()
    for name in ACTORS:
        for m in re.finditer(re.escape(name), seg):
            if m.start() in covered:
                continue
            covered.update(range(m.start(), m.end()))
            found.append((m.start(), name))
            break
    found.sort()
    names: list[str] = []
    spans: list[list[Span]] = []
    for pos, name in found:
        if name not in names and len(names) < 8:
            names.append(name)
            spans.append([(start + pos, start + pos + len(name))])
    return names, spans


def check_provenance(text: str, case: dict[str, Any], prov: dict[str, list[list[int]]]) -> list[str]:
    """Fields whose value is not backed by its spans (should always be empty): the guard that
    nothing is invented. Returns "field: why" lines."""
    bad: list[str] = []

    def joined(key: str) -> str:
        return "".join(text[a:b] for a, b in prov.get(key, []))

    for key in ("title", "problem", "practice"):
        if case.get(key) and key in prov and _norm(joined(key)) != _norm(case[key]) and not _norm(case[key]) in _norm(joined(key)):
            bad.append(f"{key}: 与原文片段不一致")
        if case.get(key) and key not in prov:
            bad.append(f"{key}: 没有原文位置")
    for key in ("province", "city", "district"):
        if case.get(key) and (key not in prov or case[key] not in joined(key)):
            bad.append(f"{key}: 原文中没有“{case[key]}”")
    for i, o in enumerate(case.get("outcomes", [])):
        got = joined(f"outcomes[{i}].value")
        try:
            ok = float(got) == float(o["value"])
        except (TypeError, ValueError):
            ok = False
        if not ok:
            bad.append(f"outcomes[{i}].value: 原文中没有 {o.get('value')}")
        if o.get("text") and o["text"] not in text:
            bad.append(f"outcomes[{i}].text: 不是原文")
    for i, name in enumerate(case.get("mechanisms", [])):
        if joined(f"mechanisms[{i}]") != name:
            bad.append(f"mechanisms[{i}]: “{name}”不是原文")
    src = case.get("source", {})
    if src.get("date"):
        got = joined("source.date")
        m = DATE.search(got)
        if not m or f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" != src["date"]:
            bad.append("source.date: 原文中没有这个日期")
    if case.get("year") is not None and joined("year") != str(case["year"]):
        bad.append("year: 原文中没有这个年份")
    for key in ("domains", "leadership", "actors"):
        for i, _v in enumerate(case.get(key, [])):
            if not prov.get(f"{key}[{i}]"):
                bad.append(f"{key}[{i}]: 没有原文依据")
    return bad


def _scale(unit: str) -> float:
    return 10_000.0 if unit.startswith("万") else 100_000_000.0 if unit.startswith("亿") else 1.0


def _norm(s: str) -> str:
    return re.sub(r"\s", "", s or "")


__all__ = ["SENTENCE_END", "check_provenance", "extract_case", "trust_of"]
