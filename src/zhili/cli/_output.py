"""How the command groups print: one place for the consoles, JSON output, error exits and
result tables, so `zhili rules`, `zhili assess` and `zhili cases` look and fail alike."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]


def out() -> Console:
    """Standard output; highlighting off so numbers and paths print as written."""
    return Console(highlight=False)


def err() -> Console:
    """Standard error, for refusals and problem lists that stop a command."""
    return Console(stderr=True, highlight=False)


def dump(data: Any) -> None:
    """`--json` output: readable Chinese, indented."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def fail(message: str, code: int = 1, red: bool = True) -> typer.Exit:
    """Print `message` (escaped: it may quote a file's content) to stderr and return the exit to
    raise, so the caller keeps `raise … from exc`."""
    err().print(f"[red]{escape(message)}[/red]" if red else escape(message))
    return typer.Exit(code)


def table(*columns: str, title: str | None = None, fold: bool = True) -> Table:
    """A result table; long cells (messages, cell contents) fold rather than being cut off."""
    t = Table(title=title)
    for col in columns:
        if fold:
            t.add_column(col, overflow="fold")
        else:
            t.add_column(col)
    return t
