"""A unit's assessment report as .docx in the 决策参考's 公文 layout, and the overview as .xlsx.

The Word report reuses the brief's page, styles, masthead and footer (`zhili.brief.word`), so a
诊断 report and a 决策参考 look like one series: 一、总体情况 (score, level, trend), 二、各维度
(table), 三、预警与规则依据 (each warning with the rule row that fired), 四、对症案例 (for each
warning and weak dimension the practice cases the engine found, with why they matched), and for
cadre packs 五、能力引领培训建议.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .. import localtime
from ..brief import word as w
from ..config import BriefSettings
from ..privacy import mask
from .pack import AssessmentPack

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SECTIONS = ("一、总体情况", "二、各维度得分", "三、预警与规则依据", "四、对症实践案例", "五、能力引领培训建议")


@dataclass
class _Head:
    """What the brief's masthead and footer read."""

    masthead: str
    issue_line: str
    footer: str


def _table(doc: Any, header: list[str], rows: list[list[str]]) -> None:
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header):
        cell.text = ""
        w._run(cell.paragraphs[0], text, w.HEITI, w.SIZE_XIAOSI, bold=True)
    for row in rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = ""
            w._run(cell.paragraphs[0], text, w.FANGSONG, w.SIZE_XIAOSI)
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.first_line_indent = Pt(0)
                p.paragraph_format.line_spacing = w.SOURCE_PITCH


def unit_docx(pack: AssessmentPack, view: dict[str, Any]) -> bytes:
    settings = BriefSettings.load()
    when = localtime.now()
    date = localtime.cn_date(when)
    issuer = mask(settings.issuer or "")
    head = _Head(settings.masthead or "决策参考", f"{issuer}　编　　　　{date}" if issuer else date, settings.footer)
    latest = view["latest"]
    who = view["name"] or view["unit"]
    doc = Document()
    w._page(doc)
    w.set_default_fonts(doc, w.FANGSONG)
    w._style(doc, w.STYLE_BODY, w.FANGSONG, w.SIZE_3)
    w._style(doc, w.STYLE_TITLE, w.TITLE_FONT, w.SIZE_2, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
             pitch=Pt(36))
    w._style(doc, w.STYLE_H1, w.HEITI, w.SIZE_3)
    w._style(doc, w.STYLE_H2, w.KAITI, w.SIZE_3, bold=True)
    w.declare_fallbacks(doc, w.FALLBACKS)
    w._masthead(doc, head)  # type: ignore[arg-type]
    w._para(doc, f"{who}{pack.title}诊断报告（{latest['period']}）", w.STYLE_TITLE)
    w._para(doc, SECTIONS[0], w.STYLE_H1)
    meta = "、".join(x for x in (f"编号 {view['unit']}", view["region"], view["post"]) if x)
    w._labelled(doc, "对象", f"{who}（{meta}）")
    w._labelled(doc, "总分与等次", f"{latest['total']:g} 分，{latest['level']}（{latest['level_reason']}；规则 {latest['level_rule']}）")
    trend = "，".join(f"{h['period']} {h['total']:g}分（{h['level']}）" for h in view["history"])
    w._labelled(doc, "走势", trend)
    if view["weak_dimensions"]:
        w._labelled(doc, "短板维度", "、".join(view["weak_dimensions"]))
    w._para(doc, SECTIONS[1], w.STYLE_H1)
    personal_gap = any(d.get("required") is not None for d in latest["dimensions"].values())
    header = ["维度", "得分", "等次"] + (["岗位要求", "差距"] if personal_gap else [])
    rows = []
    for name, d in latest["dimensions"].items():
        row = [name, f"{d['score']:g}", d["level"]]
        if personal_gap:
            gap = d.get("gap")
            row += [f"{d['required']:g}" if d.get("required") is not None else "",
                    (f"差 {gap:g}" if gap and gap > 0 else "达到") if gap is not None else ""]
        rows.append(row)
    _table(doc, header, rows)
    w._para(doc, SECTIONS[2], w.STYLE_H1)
    if not latest["warnings"]:
        w._para(doc, "本期未触发预警。")
    for i, warn in enumerate(latest["warnings"], 1):
        p = w._para(doc)
        w._run(p, f"（{w.cn_number(i)}）{warn['kind_label']}（{warn['severity_label']}）：", w.KAITI, w.SIZE_3, bold=True)
        w._run(p, f"{warn['indicator_name']}。{warn['reason']}。")
        w._small(doc, f"规则依据：{warn['trace']}")
    w._para(doc, SECTIONS[3], w.STYLE_H1)
    if not view["prescriptions"]:
        w._para(doc, "本期没有需要对症检索的预警或短板。")
    n = 0
    for pres in view["prescriptions"]:
        h = w._para(doc, f"针对{pres['for']}", w.STYLE_H2)
        h.paragraph_format.keep_with_next = True
        w._small(doc, f"检索：{pres['query']}（领域引导：{'、'.join(pres['domains']) or '无'}"
                      f"{'' if pres['steered'] else '，该领域无匹配，已放开领域'}）")
        if not pres["cases"]:
            w._para(doc, "案例库中暂无匹配的实践案例。")
        elif pres.get("verdict") != "fit":
            w._small(doc, "库中暂无高度匹配的案例，以下是最接近的，仅供参考。")
        for c in pres["cases"]:
            n += 1
            match = c.get("match") or {}
            p = w._para(doc)
            w._run(p, f"案例{n}　{c['title']}", w.KAITI, w.SIZE_3, bold=True)
            w._run(p, f"（{c['case_id']}，{c['place'] or '全国'}；匹配度{match.get('level', '')} {match.get('percent', '')}%）")
            if c.get("why"):
                w._small(doc, f"匹配理由：{c['why']}")
            if c.get("practice"):
                w._small(doc, f"做法：{c['practice'][:200]}")
            src = c.get("source") or {}
            if src.get("title"):
                w._small(doc, f"来源：{src['title']}{('，' + src['url']) if src.get('url') else ''}")
    if latest.get("training"):
        w._para(doc, SECTIONS[4], w.STYLE_H1)
        for i, t in enumerate(latest["training"], 1):
            w._para(doc, f"{i}．{t['dimension']}：{t['suggestion']}（{t['reason']}；规则 {t['rule']}）")
    note = w._para(doc, "说明：指标、分值和预警阈值来自测评包（起步内容，各地按本地标准调整）；"
                        "对症案例由案例库按指标含义检索，仅供参考。")
    note.paragraph_format.first_line_indent = Pt(0)
    w._footer(doc, head)  # type: ignore[arg-type]
    props = doc.core_properties
    props.title = f"{who}{pack.title}诊断报告"
    props.subject = head.masthead
    props.keywords = f"基层治理；{pack.title}"
    rels = doc.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype.endswith("/thumbnail")]:
        rels.pop(rid)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def overview_xlsx(pack: AssessmentPack, data: dict[str, Any]) -> bytes:
    """汇总 (distribution, averages), 名单 (per unit) and 预警 (severity first); person packs for
    viewers carry the aggregates only."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..cases.tabular import escape

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"{pack.title} 汇总", f"期次 {data['period'] or ''}", f"地区 {data['region'] or '全部'}",
               f"等次 {data['level'] or '全部'}"])
    ws.append(["对象数", data["units"], "平均总分", data["average_total"]])
    ws.append([])
    ws.append(["等次", "数量"])
    for d in data["distribution"]:
        ws.append([d["level"], d["count"]])
    ws.append([])
    ws.append(["维度", "平均得分"])
    for k, v in data["dimension_averages"].items():
        ws.append([k, v])
    ws.append([])
    ws.append(["预警类型", "条数"])
    from .lint import KIND_LABELS

    for k, v in data["warning_counts"].items():
        ws.append([KIND_LABELS.get(k, k), v])
    for row in ws.iter_rows():
        if row[0].value in ("等次", "维度", "预警类型") or row[0].row == 1:
            for c in row:
                c.font = bold
    if data["personal_hidden"]:
        ws.append([])
        ws.append(["说明", "个人测评结果只有测评员和管理员可以查看；此表只含汇总。"])
    else:
        names = wb.create_sheet("名单")
        names.append(["编号", "名称", "地区", "岗位", "期次", "总分", "等次", "预警条数", "走势"])
        for r in data["rows"]:
            names.append([escape(r["unit"]), escape(r["name"]), escape(r["region"]), escape(r["post"]), r["period"],
                          r["total"], r["level"], r["warnings"], "，".join(f"{p} {t:g}" for p, t in r["trend"])])
        warns = wb.create_sheet("预警")
        warns.append(["严重程度", "类型", "编号", "名称", "地区", "期次", "指标", "理由", "规则", "规则依据"])
        for x in data["warnings"]:
            warns.append([x["severity_label"], x["kind_label"], escape(x["unit"]), escape(x["name"]), escape(x["region"]),
                          x["period"], x["indicator_name"], x["reason"], x["rule"], x["trace"]])
        for sheet in (names, warns):
            for c in sheet[1]:
                c.font = bold
            sheet.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
