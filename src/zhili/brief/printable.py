"""The brief as one standalone, printable HTML page (A4), from the same content as the Word file.

Everything is inside the page (CSS inline, no scripts, no external fonts), so it can be saved,
mailed or printed to PDF as it is. Jinja2 autoescaping is on for every value: problem texts come
from the public and may contain markup.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from ..answer import Answer
from .content import Brief, build_brief, cn_number

TEMPLATE_DIR = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,  # every value, whatever the template file is called
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_number"] = cn_number
    return env.get_template("brief.html.j2")


def render_html(brief: Brief) -> str:
    """Lay out prepared brief content as a complete HTML document."""
    return _template().render(brief=brief)


def build_html(answer: Answer, *, title: str | None = None, author: str | None = None,
               issuer: str | None = None, generated_at: datetime | None = None) -> str:
    """A printable HTML 决策参考 for an answer (problem text masked); `issuer` as in `build_docx`."""
    return render_html(build_brief(answer, title=title, author=author, issuer=issuer, generated_at=generated_at))
