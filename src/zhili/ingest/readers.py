"""Readers: one file's bytes → its plain text and the blocks (paragraphs, headings, table rows)
that segmentation looks at.

Libraries (see the note for why): python-docx for .docx (paragraph styles, numbering, tables,
page breaks), pypdfium2 (Chrome's PDFium) for text PDFs — fast on 2 cores, good with CJK fonts
and reports encryption distinctly — and trafilatura for saved web pages (main text without
navigation, footers and 版权/ICP lines; title and date from the page). Offsets everywhere index
`Document.text`; nothing is added to it that the file does not contain.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IngestError

FORMATS = {".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html", ".txt": "txt", ".md": "md"}
OLD_FORMATS = {".doc": "Word 97-2003 (.doc)", ".wps": "WPS (.wps)", ".et": "WPS 表格", ".xls": "Excel (.xls)",
               ".rtf": "RTF", ".odt": "OpenDocument (.odt)"}
MAX_BYTES = 50 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.wps and password-protected .docx alike
CJK = "\u4e00-\u9fff\u3400-\u4dbf"


@dataclass
class Block:
    """One paragraph-like unit of the text: [start, end) in `Document.text`."""

    start: int
    end: int
    kind: str = "para"  # para | heading | title | table
    level: int = 0  # heading level from the style (1 = top); 0 for body text
    bold: bool = False
    numbered: bool = False  # a Word list paragraph (its number is not part of the text)
    page: int = 1
    index: int = -1  # position among the source's paragraphs (docx), for reports


@dataclass
class Document:
    """A read document: everything later steps need, with offsets into `text`."""

    file: str
    format: str
    text: str
    blocks: list[Block] = field(default_factory=list)
    pages: int = 1
    meta: dict[str, Any] = field(default_factory=dict)  # title/date/url/publisher (+ "_span" keys)
    sha256: str = ""

    def block_text(self, b: Block) -> str:
        return self.text[b.start:b.end]


class _Builder:
    """Appends blocks to a growing text, one line per block."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self.pos = 0

    def add(self, text: str, **kw: Any) -> Block | None:
        text = text.replace("\r", " ").replace("\n", " ").replace("\x00", "").strip()
        if not text:
            return None
        if self.parts:
            self.parts.append("\n")
            self.pos += 1
        b = Block(self.pos, self.pos + len(text), **kw)
        self.parts.append(text)
        self.pos += len(text)
        self.blocks.append(b)
        return b

    def text(self) -> str:
        return "".join(self.parts)


def _fail(code: str, name: str, what: str) -> IngestError:
    return IngestError(code, f"{name}：{what}", name)


def read_document(data: bytes, filename: str) -> Document:
    """Read one file; IngestError (with code and a Chinese message naming the file) when it
    cannot be read — old formats, encrypted, damaged, scanned or empty."""
    import hashlib

    name = Path(filename).name or "文件"
    suffix = Path(name).suffix.lower()
    if suffix in OLD_FORMATS:
        raise _fail("old_format", name, f"{OLD_FORMATS[suffix]} 是旧格式，无法直接读取；请用 Word 或 WPS 打开后"
                                        "“另存为” .docx（或导出为 PDF）再导入")
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise _fail("unsupported", name, "不支持这种文件类型；可导入 .docx、.pdf、.html/.htm、.txt、.md")
    if len(data) > MAX_BYTES:
        raise _fail("too_large", name, f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后再导入")
    if not data.strip():
        raise _fail("empty", name, "文件是空的，没有可导入的内容")
    reader = {"docx": _read_docx, "pdf": _read_pdf, "html": _read_html, "txt": _read_text, "md": _read_text}[fmt]
    doc = reader(data, name)
    doc.format = fmt
    doc.sha256 = hashlib.sha256(data).hexdigest()
    if not doc.text.strip():
        raise _fail("empty", name, "文件中没有文字内容，没有可导入的案例")
    return doc


# ---------------------------------------------------------------- .docx

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def _style_level(paragraph: Any) -> tuple[str, int]:
    """("title"|"heading"|"para", level) from the paragraph style or its outline level."""
    style = paragraph.style
    seen = 0
    while style is not None and seen < 5:
        name = (style.name or "").strip()
        if name.lower() in ("title", "标题") :
            return "title", 0
        m = _HEADING_STYLE.match(name)
        if m:
            return "heading", int(m.group(1))
        style = style.base_style
        seen += 1
    ppr = paragraph._p.pPr
    if ppr is not None:
        for el in ppr.iterchildren():
            if el.tag.endswith("}outlineLvl"):
                val = el.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
                if val is not None and val.isdigit() and int(val) < 9:
                    return "heading", int(val) + 1
    return "para", 0


def _is_bold(paragraph: Any) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    if not runs:
        return False
    style_bold = bool(paragraph.style is not None and paragraph.style.font is not None and paragraph.style.font.bold)
    return all(r.bold or (r.bold is None and style_bold) for r in runs)


def _page_breaks(paragraph: Any) -> int:
    xml = paragraph._p
    n = 0
    for el in xml.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "br" and el.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}type") == "page":
            n += 1
        elif tag == "pageBreakBefore":
            n += 1
    return n


def _read_docx(data: bytes, name: str) -> Document:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if data[:8] == OLE_MAGIC:
        raise _fail("encrypted", name, "文件设置了打开密码（或其实是旧版 .doc 改了扩展名）；请在 Word/WPS 中"
                                       "取消密码或“另存为” .docx 后再导入")
    if data[:2] != b"PK":
        raise _fail("corrupt", name, "不是有效的 .docx 文件（文件已损坏或扩展名不对）；请用 Word/WPS 打开确认后"
                                     "重新“另存为” .docx")
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise _fail("corrupt", name, f"文件已损坏，无法打开（{type(exc).__name__}）；请用 Word/WPS 打开修复后"
                                     "重新“另存为” .docx") from None
    except Exception as exc:  # noqa: BLE001 - lxml/zip errors of many kinds mean the same to the user
        raise _fail("corrupt", name, f"文件已损坏，无法读取（{type(exc).__name__}）；请重新“另存为” .docx") from None
    out = _Builder()
    page = 1
    index = 0
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            breaks = _page_breaks(item)
            kind, level = _style_level(item)
            ppr = item._p.pPr
            numbered = ppr is not None and ppr.numPr is not None
            out.add(item.text, kind=kind, level=level, bold=_is_bold(item), numbered=numbered, page=page,
                    index=index)
            page += breaks
            index += 1
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = " ".join(cell.text.split())
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                out.add("　".join(cells), kind="table", page=page, index=index)
            index += 1
    meta: dict[str, Any] = {}
    core = document.core_properties
    if core.title and core.title.strip():
        meta["doc_title"] = core.title.strip()
    return Document(name, "docx", out.text(), out.blocks, pages=page, meta=meta)


# ---------------------------------------------------------------- .pdf

_PAGE_NO = re.compile(r"^[\s\-—–－·•第页/of0-9IVXivx（）()]*$")
_SPACE_CJK_DIGIT = re.compile(rf"(?<=[{CJK}，。、：；“”（）！？《》])[ \t]+(?=[0-9A-Za-z%])|(?<=[0-9A-Za-z%])[ \t]+(?=[{CJK}，。、：；“”（）！？《》])")
_STRONG_START = re.compile(r"^\s*(?:案例[一二三四五六七八九十百零〇0-9]+|【[^】]{1,10}】|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")
_ENDS_SENTENCE = re.compile(r"[。！？!?；;：:”」』…]$")


def _read_pdf(data: bytes, name: str) -> Document:
    import pypdfium2 as pdfium

    if not data.startswith(b"%PDF"):
        raise _fail("corrupt", name, "不是有效的 PDF 文件（文件已损坏或扩展名不对）")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise _fail("encrypted", name, "PDF 设置了打开密码；请用原软件去掉密码（或另存为不加密的 PDF）后再导入") from None
        raise _fail("corrupt", name, "PDF 文件已损坏，无法打开；请重新导出 PDF 或改用 .docx") from None
    try:
        pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    except pdfium.PdfiumError:
        raise _fail("corrupt", name, "PDF 文件已损坏，部分页面无法读取；请重新导出 PDF 或改用 .docx") from None
    finally:
        pdf.close()
    chars = sum(len(re.sub(r"\s", "", p)) for p in pages)
    if chars < max(20, 10 * len(pages)):
        raise _fail("scanned", name, f"这是扫描件或图片 PDF（{len(pages)} 页，几乎没有文字层），无法提取文字；"
                                     "请先用 OCR 软件转成可复制文字的 PDF 或 Word，或改用原始 .docx 导入")
    page_lines = [[ln.strip() for ln in re.split(r"\r\n|\n|\r", p)] for p in pages]
    page_lines = [[ln for ln in lines if ln] for lines in page_lines]
    # running headers/footers: the same line at the top or bottom of most pages, and page numbers
    running: set[str] = set()
    if len(pages) >= 3:
        from collections import Counter

        edge = Counter(ln for lines in page_lines for ln in set(lines[:2] + lines[-2:]))
        running = {ln for ln, n in edge.items() if n >= max(3, len(pages) // 2) and len(ln) <= 40}
    lines_by_page = [[ln for ln in lines if ln not in running and not _PAGE_NO.match(ln)] for lines in page_lines]
    widths = sorted(_width(ln) for lines in lines_by_page for ln in lines)
    full = widths[int(len(widths) * 0.9)] if widths else 40.0
    out = _Builder()
    para: list[str] = []
    para_page = 1

    def flush() -> None:
        if para:
            out.add(_join_lines(para), page=para_page)
            para.clear()

    for pno, lines in enumerate(lines_by_page, start=1):
        for ln in lines:
            if para and _STRONG_START.match(ln):
                flush()
            if not para:
                para_page = pno
            para.append(ln)
            w = _width(ln)
            if w < 0.85 * full or (_ENDS_SENTENCE.search(ln) and w < 0.95 * full):
                flush()
        # a full last line carries on onto the next page (the paragraph continues there)
    flush()
    # the first page's first short line is often the compilation title
    return Document(name, "pdf", out.text(), out.blocks, pages=len(pages))


def _width(line: str) -> float:
    """Printed width in CJK characters: Latin letters and digits take half a cell."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in line)


def _join_lines(lines: list[str]) -> str:
    """Lines of one PDF paragraph → one string: CJK lines join without a space; LibreOffice's
    spaces between Chinese and digits are dropped (so “超过 15 年” reads “超过15年”)."""
    text = ""
    for ln in lines:
        if text and re.match(r"[A-Za-z]", ln[:1]) and re.search(r"[A-Za-z,.]$", text):
            text += " " + ln
        else:
            text += ln
    return _SPACE_CJK_DIGIT.sub("", text)


# ---------------------------------------------------------------- .html

_BOILER = re.compile(r"版权所有|ICP备|ICP证|公网安备|公安机关备案|网站标识码|Copyright|All Rights Reserved|"
                     r"未经.{0,8}(?:许可|授权).{0,10}(?:复制|转载|下载|镜像)|举报电话|建议使用.{0,10}分辨率|"
                     r"互联网新闻信息服务许可证|主办单位|承办单位|上一篇|下一篇|【打印本页】|【关闭窗口】|分享到", re.I)
_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_PUBLISHER = re.compile(r"(?:来源|来自|稿源|发布机构|发布单位)\s*[:：]\s*([^\s|　:：]{2,30})")


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnicodeDecodeError("unknown", data[:1], 0, 1, "no encoding fits")
    return str(best)


def _read_html(data: bytes, name: str) -> Document:
    import trafilatura
    from lxml import html as lhtml

    try:
        page = _decode(data)
    except UnicodeDecodeError:
        raise _fail("corrupt", name, "网页文件的文字编码无法识别；请在浏览器中“另存为 网页，仅 HTML”（UTF-8）后再导入") from None
    try:
        tree = lhtml.fromstring(page.encode("utf-8"), parser=lhtml.HTMLParser(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - lxml raises several kinds for an unusable page
        raise _fail("corrupt", name, "网页文件无法解析；请在浏览器中重新“另存为”后再导入") from None
    result = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, include_tables=True,
                                         deduplicate=False, favor_precision=True)
    meta_all = result.as_dict() if result is not None and hasattr(result, "as_dict") else (result or {})
    body = (meta_all.get("text") or "").strip()
    if not body:  # trafilatura found no main text: fall back to every <p>
        body = "\n".join(p.text_content().strip() for p in tree.iter("p") if p.text_content().strip())
    lines = [ln.strip() for ln in body.split("\n") if ln.strip() and not _BOILER.search(ln)]
    visible = [t.strip() for t in tree.xpath("//body//text()") if t.strip()]
    out = _Builder()
    meta: dict[str, Any] = {}
    # the headline: <h1> when there is one, else the <title> when it is more than the site's name
    h1 = [" ".join(h.text_content().split()) for h in tree.iter("h1") if h.text_content().strip()]
    title_tag = " ".join((tree.findtext(".//title") or "").split())
    headline = h1[0] if h1 else title_tag
    if headline and not (lines and lines[0] == headline):
        b = out.add(headline, kind="title")
        if b is not None:
            meta["title_span"] = [b.start, b.end]
    elif headline and lines:
        lines.pop(0)
        b = out.add(headline, kind="title")
        meta["title_span"] = [b.start, b.end] if b else None
    if headline:
        meta["title"] = headline
    # the byline (来源/日期), as printed on the page: kept so the date and publisher have a span
    byline = next((t for t in visible[:80] if (_DATE.search(t) or _PUBLISHER.search(t)) and len(t) <= 120
                   and not _BOILER.search(t)), "")
    if byline:
        b = out.add(byline, kind="byline")
        if b is not None:
            m = _DATE.search(byline)
            if m:
                y, mo, d = (int(g) for g in m.groups())
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    meta["date"] = f"{y:04d}-{mo:02d}-{d:02d}"
                    meta["date_span"] = [b.start + m.start(), b.start + m.end()]
            p = _PUBLISHER.search(byline)
            if p and p.group(1) not in ("本站", "本网", "网络", "其他", "未知"):
                pub = re.split(r"\s|20\d\d", p.group(1))[0]
                if len(pub) >= 2:
                    meta["publisher"] = pub
                    meta["publisher_span"] = [b.start + p.start(1), b.start + p.start(1) + len(pub)]
    for ln in lines:
        out.add(ln)
    canonical = tree.xpath("//link[@rel='canonical']/@href") or tree.xpath("//meta[@property='og:url']/@content")
    url = (canonical[0] if canonical else meta_all.get("url") or "").strip()
    if url.startswith(("http://", "https://")):
        meta["url"] = url
    return Document(name, "html", out.text(), out.blocks, pages=1, meta=meta)


# ---------------------------------------------------------------- .txt / .md

def _read_text(data: bytes, name: str) -> Document:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise _fail("corrupt", name, "文字编码无法识别；请另存为 UTF-8 编码的文本文件后再导入") from None
    if "\x00" in text:
        raise _fail("corrupt", name, "文件含有空字符，可能不是文本文件或已损坏")
    out = _Builder()
    is_md = name.lower().endswith(".md")
    for raw in re.split(r"\r\n|\n|\r", text):
        line = raw.strip()
        if not line:
            continue
        level = 0
        bold = False
        if is_md:
            m = re.match(r"^(#{1,6})\s+(.*)$", line)
            if m:
                level = len(m.group(1))
                line = m.group(2).strip()
            elif re.match(r"^(-{3,}|\*{3,}|_{3,})$", line):
                continue
            bold = bool(re.fullmatch(r"\*\*(.+)\*\*", line))
            line = re.sub(r"\*\*(.+?)\*\*", r"\1", line)
        out.add(line, kind="heading" if level else "para", level=level, bold=bold)
    return Document(name, "md" if is_md else "txt", out.text(), out.blocks)
