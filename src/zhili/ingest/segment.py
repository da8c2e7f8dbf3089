"""Where each case of a document starts and ends.

A 汇编 marks its cases in one of a few ways; the strongest kind of marker present wins and
weaker ones inside a case are its own sections, not new cases:

1. 案例一 / 案例1 / 【案例】 / 典型案例二 at the start of a line;
2. Word (or Markdown) heading styles, top level first;
3. 一、 numbered titles, then （一）, then whole bold short lines — only when they read like
   case titles (they name a place or unit, or are long enough), so an article's own sections
   (一、基本情况 / 二、主要做法) never split it.

A 目录 (its lines repeat the case titles, with nothing between them), 前言/编者按 before the
first case and 后记/附录 after the last are not cases. A document without markers is one case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .readers import Block, Document

NUM = "一二三四五六七八九十百零〇两"
CASE_MARK = re.compile(rf"^\s*(?:【\s*(?:典型)?案例\s*[{NUM}0-9]*\s*】|(?:典型)?案例\s*[{NUM}0-9]+)\s*[：:、.．\-—\s　]*")
CN_MARK = re.compile(rf"^\s*[{NUM}]+\s*[、.．]\s*")
PAREN_MARK = re.compile(rf"^\s*[（(]\s*[{NUM}]+\s*[）)]\s*[、.．]?\s*")
ARABIC_MARK = re.compile(r"^\s*\d{1,3}\s*[、．.]\s*(?=\D)")
FRONT = re.compile(r"^(?:前言|序言?|目录|目次|编者按|编者的话|说明|编写说明|出版说明|内容提要|卷首语|引言)$")
BACK = re.compile(r"^(?:后记|编后记?|编后语|附录|附件|结语|致谢|参考文献)(?:[：:一二三四五六七八九十0-9].*)?$")
TOC_TAIL = re.compile(r"[.·…\s　]*\d{1,4}\s*$")
PLACEISH = re.compile(r"社区|村|街道|镇|乡|区|县|市|省|州|旗|盟|“|：|:|党|委|局|所|办|站|中心|小区|单位|企业")
SENTENCE_END = re.compile(r"[。；;!?！？]$")


@dataclass
class Segment:
    """One case: [start, end) of the document text, and the span of its title when known."""

    start: int
    end: int
    title: tuple[int, int] | None = None
    marker: str = "none"  # which kind of boundary found it


def _norm(s: str) -> str:
    return re.sub(r"[\s　]", "", s)


def _strip(block_text: str, mark: re.Pattern[str]) -> tuple[int, str]:
    m = mark.match(block_text)
    cut = m.end() if m else 0
    return cut, block_text[cut:]


def _title_like(title: str) -> bool:
    t = _norm(title)
    return 4 <= len(t) <= 60 and not SENTENCE_END.search(t)


def _case_titles(titles: list[str]) -> bool:
    """Do these read as the titles of separate cases (not an article's 基本情况/主要做法)?"""
    if not titles or not all(_title_like(t) for t in titles):
        return False
    placeish = sum(1 for t in titles if PLACEISH.search(t) or len(_norm(t)) >= 12)
    return placeish * 2 >= len(titles) + 1 if len(titles) > 1 else placeish == 1


def _candidates(doc: Document, kind: str) -> list[tuple[int, int]]:
    """(block index, characters of marker to skip) of every block that starts a case of `kind`."""
    out: list[tuple[int, int]] = []
    top = None
    if kind == "style":
        from collections import Counter

        levels = Counter(b.level for b in doc.blocks if b.kind == "heading" and b.level
                         and not FRONT.match(_norm(doc.block_text(b))) and not BACK.match(_norm(doc.block_text(b))))
        # the highest level used at least twice (a document title styled 标题 1 above 标题 2 cases)
        top = min((lv for lv, n in levels.items() if n >= 2), default=None)
        if top is None:
            return []
    for i, b in enumerate(doc.blocks):
        t = doc.block_text(b)
        if kind == "case":
            m = CASE_MARK.match(t)
            if m and len(t) <= 80:
                out.append((i, m.end()))
        elif kind == "style":
            if b.kind == "heading" and b.level == top:
                out.append((i, CASE_MARK.match(t).end() if CASE_MARK.match(t) else 0))
        elif kind in ("cn", "paren", "arabic"):
            mark = {"cn": CN_MARK, "paren": PAREN_MARK, "arabic": ARABIC_MARK}[kind]
            m = mark.match(t)
            if m and len(t) <= 80:
                out.append((i, m.end()))
        elif kind == "bold":
            if b.bold and b.kind != "title" and len(_norm(t)) <= 50 and not SENTENCE_END.search(t):
                out.append((i, 0))
    return out


def _drop_front_and_toc(doc: Document, cands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A 目录 repeats the case titles: an entry whose title comes again later, or that has
    (almost) no text before the next marker, is not a case."""
    keys = [TOC_TAIL.sub("", _norm(doc.block_text(doc.blocks[i])[cut:])) for i, cut in cands]
    keep: list[tuple[int, int]] = []
    for n, (i, cut) in enumerate(cands):
        text = doc.block_text(doc.blocks[i])
        if FRONT.match(_norm(text)) or BACK.match(_norm(text)):
            continue
        if keys[n] and keys[n] in keys[n + 1:]:
            continue  # listed again further on: this one is the 目录 entry
        nxt = cands[n + 1][0] if n + 1 < len(cands) else len(doc.blocks)
        body = sum(len(_norm(doc.block_text(b))) for b in doc.blocks[i + 1:nxt])
        if body < 15 and n + 1 < len(cands) and _in_toc(doc, i):
            continue
        keep.append((i, cut))
    return keep


def _in_toc(doc: Document, index: int) -> bool:
    """Is block `index` after a 目录 line with only short lines between?"""
    for j in range(index - 1, max(-1, index - 200), -1):
        t = _norm(doc.block_text(doc.blocks[j]))
        if t in ("目录", "目次"):
            return True
        if len(t) > 80:
            return False
    return False


def segments(doc: Document) -> list[Segment]:
    """The cases of `doc` in document order (at least one for a non-empty document)."""
    if not doc.blocks:
        return []
    chosen: list[tuple[int, int]] = []
    marker = "none"
    for kind in ("case", "style", "cn", "paren", "bold", "arabic"):
        cands = _drop_front_and_toc(doc, _candidates(doc, kind))
        if not cands:
            continue
        if kind == "case":
            chosen, marker = cands, kind
            break
        titles = [doc.block_text(doc.blocks[i])[cut:] for i, cut in cands]
        if len(cands) >= 2 and _case_titles(titles) and _substantial(doc, cands):
            chosen, marker = cands, kind
            break
    back = _back_matter(doc, chosen[-1][0] if chosen else 0)
    if not chosen:
        first = _first_body_block(doc)
        title = _single_title(doc, first, back)
        return [Segment(doc.blocks[first].start, doc.blocks[back - 1].end, title, "none")]
    out: list[Segment] = []
    for n, (i, cut) in enumerate(chosen):
        stop = chosen[n + 1][0] if n + 1 < len(chosen) else back
        b = doc.blocks[i]
        title = (b.start + cut, b.end) if b.end > b.start + cut else None
        end_block = doc.blocks[max(i, stop - 1)]
        out.append(Segment(b.start, end_block.end, title, marker))
    return out


def _substantial(doc: Document, cands: list[tuple[int, int]]) -> bool:
    """Cases are paragraphs long: on average 150 characters or more between markers."""
    spans = []
    for n, (i, _cut) in enumerate(cands):
        nxt = cands[n + 1][0] if n + 1 < len(cands) else len(doc.blocks)
        spans.append(sum(len(_norm(doc.block_text(b))) for b in doc.blocks[i + 1:nxt]))
    return bool(spans) and sum(spans) / len(spans) >= 150


def _back_matter(doc: Document, after: int) -> int:
    """Index of the first 后记/附录 block after block `after` (or len(blocks))."""
    for j in range(after + 1, len(doc.blocks)):
        b = doc.blocks[j]
        t = _norm(doc.block_text(b))
        if BACK.match(t) and (b.kind in ("heading", "title") or b.bold or len(t) <= 8):
            return j
    return len(doc.blocks)


def _first_body_block(doc: Document) -> int:
    """Skip a leading 前言/目录 section in a document without case markers."""
    return 0


def _single_title(doc: Document, first: int, stop: int) -> tuple[int, int] | None:
    """The headline of a one-case document: the page's headline, a Title/heading-styled first
    block, or a short first line that is not a sentence."""
    span = doc.meta.get("title_span")
    if span:
        return (span[0], span[1])
    body = [b for b in doc.blocks[first:stop] if b.kind != "byline"]
    for b in body[:3]:
        if b.kind in ("title", "heading"):
            return (b.start, b.end)
    if body:
        t = doc.block_text(body[0])
        if 4 <= len(t) <= 50 and not SENTENCE_END.search(t) and not re.search(r"[，,]", t):
            return (body[0].start, body[0].end)
    return None
