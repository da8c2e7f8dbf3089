"""The brief as a Word document laid out like a government 决策参考 (GB/T 9704 conventions).

A4, margins 37/35/28/26 mm; red 版头 (`[brief] masthead`) and rule, 编发单位 and date under it;
title 方正小标宋简体 2号; 一级标题 黑体 3号, 二级标题 楷体_GB2312 3号, body 仿宋_GB2312 3号 at a fixed
28 pt line pitch; 综合建议's sources and the source list in 4号; page number "— n —" and the
provenance note in the footer.

Chinese fonts must be named in `w:eastAsia`: Word picks the font for Han characters from that
attribute, so setting only `font.name` (ascii/hAnsi) would print the body in the theme's font.
Computers without the GB2312 fonts fall back through `w:altName` in the font table (仿宋_GB2312
→ 仿宋 …), which is how Word and WPS substitute a missing font.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ..answer import Answer
from .content import Advice, Brief, CaseEntry, build_brief, cn_number
from .ooxml import add_border, add_field, add_hyperlink, declare_fallbacks, set_default_fonts, set_east_asia

# Fonts for Han characters; FALLBACKS names the substitute Word/WPS use when one is missing.
TITLE_FONT = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
FANGSONG = "仿宋_GB2312"
SONGTI = "宋体"
FALLBACKS = {TITLE_FONT: "黑体", FANGSONG: "仿宋", KAITI: "楷体", HEITI: "SimHei", SONGTI: "SimSun"}

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_5 = Pt(10.5)  # 五号
SIZE_XIAOCHU = Pt(36)  # 小初
LINE_PITCH = Pt(28)
SMALL_PITCH = Pt(22)  # 4号 lines (case metadata)
SIZE_XIAOSI = Pt(12)  # 小四: the source list
SOURCE_PITCH = Pt(16)  # 五号 lines: publisher《title》, date, trust and link make long entries
INDENT_2_CHARS = Pt(32)
RED = RGBColor(0xFF, 0x00, 0x00)
LINK_BLUE = RGBColor(0x1F, 0x4E, 0x9E)

STYLE_BODY = "Normal"
STYLE_H1 = "Brief Heading 1"
STYLE_H2 = "Brief Heading 2"
STYLE_TITLE = "Brief Title"
# python-docx resolves a style name by scanning every style on each paragraph (most of the build
# time); paragraphs get the style id directly instead. `_style` checks these ids.
STYLE_IDS = {STYLE_H1: "BriefHeading1", STYLE_H2: "BriefHeading2", STYLE_TITLE: "BriefTitle"}


def _run(p: Paragraph, text: str, font: str = FANGSONG, size: Pt = SIZE_3, *, bold: bool = False,
         color: RGBColor | None = None) -> Run:
    run = p.add_run(text)
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    set_east_asia(run._r, font)
    return run


def _style(doc: DocxDocument, name: str, font: str, size: Pt, *, bold: bool = False,
           align: WD_ALIGN_PARAGRAPH | None = None, indent: bool = True, pitch: Pt = LINE_PITCH) -> None:
    styles = doc.styles
    style = styles[name] if name == STYLE_BODY else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != STYLE_BODY:
        style.base_style = styles[STYLE_BODY]
        style.next_paragraph_style = styles[STYLE_BODY]
        if style.style_id != STYLE_IDS[name]:
            raise RuntimeError(f"style id {style.style_id!r} != {STYLE_IDS[name]!r}")
    style.font.size = size
    style.font.bold = bold
    set_east_asia(style.element, font)
    pf = style.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = pitch
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = INDENT_2_CHARS if indent else Pt(0)
    pf.widow_control = True
    if align is not None:
        pf.alignment = align


def _page(doc: DocxDocument) -> None:
    s = doc.sections[0]
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin = Mm(37), Mm(35)
    s.left_margin, s.right_margin = Mm(28), Mm(26)
    s.header_distance, s.footer_distance = Mm(15), Mm(20)


def _footer(doc: DocxDocument, brief: Brief) -> None:
    footer = doc.sections[0].footer
    page = footer.paragraphs[0]
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page.paragraph_format.first_line_indent = Pt(0)
    _run(page, "— ", SONGTI, SIZE_4)
    add_field(page, "PAGE", "1", lambda text: _run(page, text, SONGTI, SIZE_4))
    _run(page, " —", SONGTI, SIZE_4)
    note = footer.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note.paragraph_format.first_line_indent = Pt(0)
    note.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _run(note, brief.footer, FANGSONG, SIZE_5)


# ---- content ----------------------------------------------------------------------------------

def _para(doc: DocxDocument, text: str = "", style: str = STYLE_BODY) -> Paragraph:
    p = doc.add_paragraph()
    if style != STYLE_BODY:
        p._p.style = STYLE_IDS[style]
    if text:
        font = {STYLE_H1: HEITI, STYLE_H2: KAITI, STYLE_TITLE: TITLE_FONT}.get(style, FANGSONG)
        size = SIZE_2 if style == STYLE_TITLE else SIZE_3
        _run(p, text, font, size, bold=style in (STYLE_TITLE, STYLE_H2))
    return p


def _labelled(doc: DocxDocument, label: str, text: str) -> Paragraph:
    p = _para(doc)
    _run(p, f"{label}：", FANGSONG, SIZE_3, bold=True)
    _run(p, text)
    return p


def _masthead(doc: DocxDocument, brief: Brief) -> None:
    head = _para(doc)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.first_line_indent = Pt(0)
    head.paragraph_format.line_spacing = Pt(48)
    size = SIZE_XIAOCHU if len(brief.masthead) <= 8 else SIZE_2  # a long 版头 still fits one line
    _run(head, brief.masthead, TITLE_FONT, size, bold=True, color=RED)
    meta = _para(doc)
    meta.paragraph_format.first_line_indent = Pt(0)
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(meta, brief.issue_line, FANGSONG, SIZE_3)
    add_border(meta, ("bottom",), "FF0000", 18)


def _no_fit(doc: DocxDocument, brief: Brief) -> None:
    p = _para(doc)
    p.paragraph_format.first_line_indent = Pt(0)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_border(p, ("top", "left", "bottom", "right"), "C00000")
    _run(p, f"【注意】{brief.no_fit_title}", HEITI, SIZE_3, bold=True, color=RED)
    d = _para(doc, brief.no_fit_detail)
    d.paragraph_format.first_line_indent = Pt(0)
    d.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _case(doc: DocxDocument, n: int, e: CaseEntry) -> None:
    h = _para(doc, f"案例{n}　{e.title}", STYLE_H2)
    h.paragraph_format.keep_with_next = True
    if e.weak:
        _run(h, "（弱匹配）", KAITI, SIZE_3, color=RED)
    _small(doc, e.meta + (f"｜机制：{e.mechanisms}" if e.mechanisms else ""))
    p = _labelled(doc, "做法", e.practice or "来源未详述。")
    if not (e.practice or "。").endswith(("。", "！", "？", "……")):
        _run(p, "。")
    _run(p, "成效：", FANGSONG, SIZE_3, bold=True)
    _run(p, "；".join(e.outcomes) + "。" if e.outcomes else "来源未列出量化成效。")


def _small(doc: DocxDocument, text: str, indent: bool = True) -> Paragraph:
    """A 4号 line at a tighter pitch: a case's metadata."""
    p = _para(doc)
    p.paragraph_format.line_spacing = SMALL_PITCH
    if not indent:
        p.paragraph_format.first_line_indent = Pt(0)
    _run(p, text, FANGSONG, SIZE_4)
    return p


def _advice(doc: DocxDocument, i: int, a: Advice) -> None:
    p = _para(doc)
    _run(p, f"（{cn_number(i)}）{a.heading}。", KAITI, SIZE_3, bold=True)
    for st in a.statements:
        _run(p, st.text)
        _run(p, st.citation, KAITI, SIZE_4)
        _run(p, "。")


def _source(doc: DocxDocument, e: CaseEntry) -> None:
    p = _para(doc)
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.line_spacing = SOURCE_PITCH
    _run(p, f"[{e.number}] 案例{e.number}（{e.case_id}）：{e.source_label}", FANGSONG, SIZE_5)
    if e.source_url:
        _run(p, "，", FANGSONG, SIZE_5)
        add_hyperlink(p, e.source_url, _run(p, e.source_url, FANGSONG, SIZE_5, color=LINK_BLUE))
    elif e.source_text:
        _run(p, f"，{e.source_text}", FANGSONG, SIZE_5)


def _body(doc: DocxDocument, brief: Brief) -> None:
    s1, s2, s3, s4 = brief.sections
    title = _para(doc, brief.title_lines[0], STYLE_TITLE)
    for line in brief.title_lines[1:]:
        run = _run(title, "", TITLE_FONT, SIZE_2, bold=True)
        run.add_break()
        run.add_text(line)
    if brief.no_fit:
        _no_fit(doc, brief)
    _para(doc, s1, STYLE_H1)
    for line in brief.problem.splitlines() or [""]:
        if line.strip():
            _para(doc, line.strip())
    if brief.problem_truncated:
        _para(doc, brief.condensed_note)
    for line in brief.analysis:
        _labelled(doc, line.label, line.text)
    _para(doc, s2, STYLE_H1)
    for i, a in enumerate(brief.advice, start=1):
        _advice(doc, i, a)
    if not brief.advice:
        _para(doc, "本次没有可据以提出建议的匹配案例或规则研判结果。")
    _para(doc, s3, STYLE_H1)
    for e in brief.cases:
        _case(doc, e.number, e)
    _para(doc, s4, STYLE_H1)
    for i, risk in enumerate(brief.risks, start=1):
        _para(doc, f"{i}．{risk}")
    if brief.cases:
        _para(doc, brief.sources_title, STYLE_H1).paragraph_format.first_line_indent = Pt(0)
        for e in brief.cases:
            _source(doc, e)


def _properties(doc: DocxDocument, brief: Brief) -> None:
    # The template's thumbnail shows python-docx's sample page in file previews: drop it.
    rels = doc.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        rels.pop(rid)
    props = doc.core_properties
    props.title = brief.title
    props.author = brief.author
    props.subject = brief.masthead
    props.comments = brief.footer
    props.keywords = "基层治理；决策参考"
    when = brief.generated_at
    props.created = (when.astimezone(timezone.utc) if when.tzinfo else when).replace(tzinfo=None)
    props.modified = props.created
    props.last_modified_by = brief.author
    props.revision = 1


def render_docx(brief: Brief) -> bytes:
    """Lay out prepared brief content as a .docx file's bytes."""
    doc = Document()
    _page(doc)
    set_default_fonts(doc, FANGSONG)
    _style(doc, STYLE_BODY, FANGSONG, SIZE_3)
    _style(doc, STYLE_TITLE, TITLE_FONT, SIZE_2, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
           pitch=Pt(36))
    _style(doc, STYLE_H1, HEITI, SIZE_3)
    _style(doc, STYLE_H2, KAITI, SIZE_3, bold=True)
    declare_fallbacks(doc, FALLBACKS)
    _masthead(doc, brief)
    _body(doc, brief)
    _footer(doc, brief)
    _properties(doc, brief)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_docx(answer: Answer, *, title: str | None = None, author: str | None = None,
               issuer: str | None = None, generated_at: datetime | None = None) -> bytes:
    """A 决策参考 Word brief for an answer (problem text masked); returns the .docx bytes.
    `issuer` (编发单位) defaults to `[brief] issuer` in zhili.toml; `author` is the file's author."""
    return render_docx(build_brief(answer, title=title, author=author, issuer=issuer, generated_at=generated_at))
