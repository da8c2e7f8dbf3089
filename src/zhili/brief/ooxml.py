"""Raw WordprocessingML that python-docx has no API for: East Asian fonts, font fallbacks,
paragraph borders, fields and hyperlinks.

Kept apart from the brief's layout (`word`) because every function here writes XML by hand and
must respect the schema's element order, which Word enforces ("unreadable content").
"""

from __future__ import annotations

from collections.abc import Callable

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

LATIN = "Times New Roman"
_THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def name_fonts(rfonts: BaseOxmlElement, east_asia: str) -> None:
    """Name the Han-character font explicitly and drop theme fonts, which would override it."""
    for attr in _THEME_FONT_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    for attr, val in (("w:ascii", LATIN), ("w:hAnsi", LATIN), ("w:eastAsia", east_asia), ("w:hint", "eastAsia")):
        rfonts.set(qn(attr), val)


def set_east_asia(rpr_owner: BaseOxmlElement, east_asia: str) -> None:
    """For a run (`w:r`) or a style (`w:style`): their rPr gets the fonts."""
    name_fonts(rpr_owner.get_or_add_rPr().get_or_add_rFonts(), east_asia)  # type: ignore[attr-defined]


def set_default_fonts(doc: DocxDocument, east_asia: str) -> None:
    """Document-wide run defaults name the Chinese body font too (text outside our styles)."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    name_fonts(rfonts, east_asia)


def declare_fallbacks(doc: DocxDocument, fallbacks: dict[str, str]) -> None:
    """Add `w:altName` entries to the font table so a missing GB2312 font has a named substitute."""
    fonts_part = next(r.target_part for r in doc.part.rels.values() if r.reltype == RT.FONT_TABLE)
    table = parse_xml(fonts_part.blob)
    for name, alt in fallbacks.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, val in (("w:altName", alt), ("w:charset", "86"), ("w:family", "auto"), ("w:pitch", "variable")):
            el = OxmlElement(tag)
            el.set(qn("w:val"), val)
            font.append(el)
        table.append(font)
    # A plain Part has no blob setter; the font table is not otherwise modelled by python-docx.
    fonts_part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
    "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


def add_border(p: Paragraph, sides: tuple[str, ...], color: str, size: int = 12) -> None:
    """Single-line border on the given sides ("top", "bottom" …); size in eighths of a point."""
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    for side in sides:
        el = OxmlElement(f"w:{side}")
        for attr, val in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "4"), ("w:color", color)):
            el.set(qn(attr), val)
        bdr.append(el)
    # Word rejects a pPr whose children are out of schema order: pBdr goes before these.
    ppr.insert_element_before(bdr, *_AFTER_PBDR)


def add_field(p: Paragraph, instruction: str, placeholder: str, new_run: Callable[[str], Run]) -> None:
    """A Word field (e.g. PAGE): begin, instruction, separate, shown value, end; runs from `new_run`."""
    def fld(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        new_run("")._r.append(el)

    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    new_run("")._r.append(instr)
    fld("separate")
    new_run(placeholder)
    fld("end")


def add_hyperlink(p: Paragraph, url: str, run: Run) -> None:
    """Wrap `run` (already in `p`, formatted) in an external link to `url`."""
    rid = p.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run.font.underline = True
    link.append(run._r)  # moves the run from the paragraph into the link
    p._p.append(link)
