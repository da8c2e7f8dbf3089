"""`zhili ingest PATH…`: Word/PDF/web pages/text become draft cases with provenance."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape


def _line(doc: dict[str, Any]) -> str:
    """One document as the issue's machine-readable line (offsets index `text`)."""
    return json.dumps({"file": doc["file"], "format": doc["format"], "text": doc["text"], "error": doc["error"],
                       "cases": [{"case": c["case"], "provenance": c["provenance"], "duplicates": c["duplicates"]}
                                 for c in doc["cases"]]}, ensure_ascii=False)


def ingest(
    paths: list[Path] = typer.Argument(..., help="文件：.docx / .pdf / .html / .htm / .txt / .md（可多个）"),
    batch: str = typer.Option("", "--batch", help="批次名称（默认按时间生成）"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只识别并报告，不保存"),
    as_json: bool = typer.Option(False, "--json", help="每个文件输出一行 JSON"),
) -> None:
    """导入文档：识别其中的案例，生成带原文出处的草稿（可能重复的暂不导入），待审核后发布。"""
    from ..usecases import Actor
    from ..ingest.service import ReviewError
    from ..service import Service

    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    files: list[tuple[str, bytes]] = []
    for p in paths:
        try:
            files.append((p.name, p.read_bytes()))
        except OSError as exc:
            err.print(f"✗ {p}：无法读取文件（{exc.strerror or exc}），未导入任何文件", style="red", markup=False)
            raise typer.Exit(1) from None
    try:
        with Service.open(follow_writes=False) as service:
            report = service.ingest.run(files, batch=batch, dry_run=dry_run, user=Actor.cli().username)
    except ReviewError as exc:
        err.print(f"✗ {exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        for doc in report.documents:
            sys.stdout.write(_line(doc) + "\n")
    else:
        for doc in report.documents:
            if doc.get("error"):
                out.print(f"[red]✗[/] {escape(doc['error']['message'])}")
            elif doc.get("skipped"):
                out.print(f"[yellow]•[/] {escape(doc['skipped'])}")
            else:
                out.print(f"[green]✓[/] {escape(doc['file'])}：{doc['format']}，{doc['pages']} 页，识别出 {len(doc['cases'])} 个案例")
                for c in doc["cases"]:
                    case = c["case"]
                    dup = "；".join(f"可能重复：{d['case_id']}，相似度 {d['similarity']:.2f}" for d in c["duplicates"])
                    out.print(f"    {escape(case['id'])}  {escape(case['title'])}"
                              f"  [dim]{escape(case['province'] + case['city'] + case['district'])} {case['level']}[/]"
                              + (f"  [yellow]{escape(dup)}（暂不导入）[/]" if dup else ""))
    if report.errors:
        err.print(f"✗ {len(report.errors)} 个文件无法读取，整批未导入（案例库没有任何改动）", style="red", markup=False)
        raise typer.Exit(1)
    if dry_run:
        err.print("（试运行：未保存）", markup=False)
    elif report.stored:
        n = sum(len(d["cases"]) for d in report.documents) - len(report.held)
        err.print(f"✓ 已保存批次 {report.batch_id}：{n} 份草稿待审核"
                  + (f"，{len(report.held)} 份可能重复暂不导入" if report.held else ""), markup=False)
    else:
        err.print("没有新的内容需要导入", markup=False)
