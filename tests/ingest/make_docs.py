"""Real documents for the ingestion tests, built from the bundled library's own (published,
sourced) cases: a Word compilation (python-docx, with 前言, 目录, heading styles, a table and page
breaks), the same as a text PDF (fpdf2 with the system's Noto CJK font), saved web pages with
navigation and 版权/ICP footers, and damaged/encrypted/scanned files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from zhili.config import BUNDLED_CASES

NUMS = "一二三四五六七八九十"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def library_cases(n: int = 4) -> list[dict[str, Any]]:
    """Bundled cases with a place, outcomes and a long enough text, in library order."""
    out = []
    for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        if c.get("province") and c.get("outcomes") and len(c["problem"]) + len(c["practice"]) > 120 \
                and all(o.get("text") for o in c["outcomes"]):
            out.append(c)
        if len(out) == n:
            break
    return out


def body(c: dict[str, Any]) -> list[str]:
    """The paragraphs a compilation prints for a case: problem, practice, outcomes."""
    return [c["problem"], c["practice"], "取得成效：" + "；".join(o["text"] for o in c["outcomes"]) + "。"]


def compilation_docx(cases: list[dict[str, Any]], *, styles: bool = True) -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    d.add_paragraph("基层治理典型案例选编", style="Title")
    d.add_heading("前言", level=1)
    d.add_paragraph("本选编收录各地党建引领基层治理的实践案例，供学习参考。")
    d.add_heading("目录", level=1)
    for i, c in enumerate(cases):
        d.add_paragraph(f"案例{NUMS[i]}　{c['title']}")
    d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    for i, c in enumerate(cases):
        heading = f"案例{NUMS[i]}：{c['title']}"
        if styles:
            d.add_heading(heading, level=1)
        else:
            d.add_paragraph().add_run(heading).bold = True
        for p in body(c):
            d.add_paragraph(p)
        if i == 0:
            t = d.add_table(rows=2, cols=2)
            t.cell(0, 0).text, t.cell(0, 1).text = "指标", "数值"
            t.cell(1, 0).text, t.cell(1, 1).text = "案例数", "1"
        d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    d.add_heading("后记", level=1)
    d.add_paragraph("感谢各地提供材料。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def compilation_pdf(cases: list[dict[str, Any]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.set_font("cjk", size=11)
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    pdf.multi_cell(0, 8, "目录", new_x="LMARGIN", new_y="NEXT")
    for i, c in enumerate(cases):
        pdf.multi_cell(0, 8, f"案例{NUMS[i]}　{c['title']}", new_x="LMARGIN", new_y="NEXT")
    for i, c in enumerate(cases):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"案例{NUMS[i]}：{c['title']}", new_x="LMARGIN", new_y="NEXT")
        for p in body(c):
            pdf.multi_cell(0, 7, p, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF whose pages carry only drawing, no text layer (as a scanner makes)."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def encrypted_pdf(cases: list[dict[str, Any]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.set_font("cjk", size=11)
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.multi_cell(0, 8, cases[0]["problem"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def web_page(c: dict[str, Any], *, date: str = "2024-05-06") -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in body(c))
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{c['title']}</title>
<link rel="canonical" href="https://www.example.gov.cn/art/{c['id']}.html"></head><body>
<div class="nav"><a href="#">首页</a><a href="#">政务公开</a><a href="#">互动交流</a></div>
<div class="crumb">当前位置：首页 &gt; 工作动态</div>
<div class="article"><h1>{c['title']}</h1><div class="info">来源：县委社会工作部　发布时间：{date} 09:30</div>
<div class="content">{paras}</div></div>
<div class="footer"><p>版权所有：某某县人民政府　未经许可不得复制</p><p>ICP备案号：京ICP备12345678号</p></div>
</body></html>""".encode("utf-8")
