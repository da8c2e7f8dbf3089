"""Printable briefs (决策参考) from an answer: Word (.docx) and standalone HTML, same content."""

from .content import Brief, build_brief
from .printable import build_html, render_html
from .word import build_docx, render_docx

__all__ = ["Brief", "build_brief", "build_docx", "build_html", "render_docx", "render_html"]
