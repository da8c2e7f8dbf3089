"""What the decision-table pack commands (`zhili rules …`, `zhili assess …`) share: the problem
list, loading a pack or refusing with that list, and the check command's verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ..rules.schema import Problem, RuleCheckError
from ._output import dump, err, out, table

T = TypeVar("T")


def print_problems(problems: list[Problem], console: Console) -> None:
    """Every problem with its place (file, table, row, column), errors in red."""
    t = table("级别", "文件", "表", "行", "列", "问题")
    for p in problems:
        level = "[red]错误[/red]" if p.severity == "error" else "[yellow]提醒[/yellow]"
        t.add_row(level, escape(p.file), escape(p.node), escape(p.row), escape(p.cell), escape(p.message))
    console.print(t)


def load_checked(load: Callable[[], T], refusal: Callable[[int], str]) -> T:
    """`load()`, or exit 1 after listing its problems and `refusal(number of problems)`: a
    broken pack is never used, and the user is told where it is broken."""
    try:
        return load()
    except RuleCheckError as exc:
        print_problems(exc.problems, err())
        err().print(f"[red]{refusal(len(exc.problems))}[/red]")
        raise typer.Exit(1) from exc


def check_verdict(root: Path, names: list[str], problems: list[Problem], as_json: bool,
                  failed_note: str = "") -> None:
    """The `check` commands' common part: JSON (exit 1 on errors), or the problem list and, on
    errors, the count (plus `failed_note`) and exit 1. Returns only when the packs passed."""
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        dump({"directory": str(root), "ok": not errors, "packs": names, "problems": [p.to_dict() for p in problems]})
        raise typer.Exit(1 if errors else 0)
    if problems:
        print_problems(problems, out())
    if errors:
        out().print(f"[red]检查未通过：{len(errors)} 处错误。[/red]{failed_note}")
        raise typer.Exit(1)

