"""`zhili recommend` and `zhili index`: thin layers over `zhili.engine` (opened by `zhili.wiring`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import wiring
from ..engine import Engine, QueryError
from ..retrieval.filters import Filters
from .render import render_answer

err = Console(stderr=True)
VERDICT_LABELS = {"fit": "有匹配", "no_fit": "无高度匹配", "off_topic": "不属于基层治理问题", "empty": "无符合筛选的案例"}


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True)


def open_engine(corpus: Optional[Path] = None, use_rules: bool = True, rebuild: bool = False,
                dense: Optional[bool] = None) -> Engine:
    """Open the engine with a progress bar for any (re)indexing it has to do."""
    with _progress() as bar:
        tasks: dict[str, int] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            engine = wiring.open_engine(corpus, use_rules=use_rules, rebuild=rebuild, dense=dense,
                                        progress=tick)
        except Exception as exc:  # noqa: BLE001 - shown to the user with its cause, then exit
            err.print(f"[red]无法打开案例库、索引或规则：{exc}[/red]")
            raise typer.Exit(2) from exc
    if engine.rules_problem is not None:
        err.print(f"[yellow]规则包检查未通过，本次继续使用上一次通过检查的规则（运行 zhili rules check 查看）：\n"
                  f"{engine.rules_problem}[/yellow]")
    return engine


def _filters(province, level, domain, leadership, year_from, year_to) -> Filters:
    try:
        return Filters(province=province or [], level=level or [], domain=domain or [],
                       leadership=leadership or [], year_from=year_from, year_to=year_to)
    except ValidationError as exc:
        err.print(f"[red]{exc.errors()[0]['msg']}[/red]")
        raise typer.Exit(2) from exc


def _read_batch(path: Path) -> list[dict]:
    """{"id","text"} per line; every malformed line is reported with its number."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"[red]无法读取批量文件 {path}：{exc}[/red]")
        raise typer.Exit(2) from exc
    queries, problems = [], []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except ValueError as exc:
            problems.append(f"{path}:{n}: 不是合法的 JSON（{exc.msg}）")
            continue
        if not isinstance(q, dict) or not isinstance(q.get("text"), str) or "id" not in q:
            problems.append(f"{path}:{n}: 每行应为 {{\"id\": …, \"text\": \"…\"}}")
            continue
        queries.append(q)
    if problems or not queries:
        for p in problems or [f"{path}: 文件中没有查询"]:
            err.print(f"[red]{p}[/red]")
        raise typer.Exit(2)
    return queries


def recommend(
    text: Optional[str] = typer.Argument(None, help="问题描述（用 --batch 时省略）"),
    top: int = typer.Option(10, "--top", "-k", min=1, max=200, help="返回案例数"),
    province: Optional[list[str]] = typer.Option(None, "--province", help="省份/城市，可多次使用"),
    level: Optional[list[str]] = typer.Option(None, "--level", help="层级：全国/省/市/区县/乡镇街道/村社区"),
    domain: Optional[list[str]] = typer.Option(None, "--domain", help="领域，如 加装电梯"),
    leadership: Optional[list[str]] = typer.Option(None, "--leadership", help="引领维度，如 组织引领"),
    year_from: Optional[int] = typer.Option(None, "--year-from", help="起始年份"),
    year_to: Optional[int] = typer.Option(None, "--year-to", help="截止年份"),
    json_out: bool = typer.Option(False, "--json", help="输出稳定的 JSON"),
    batch: Optional[Path] = typer.Option(None, "--batch", help='批量：每行 {"id","text"} 的 JSONL 文件'),
    no_rules: bool = typer.Option(False, "--no-rules", help="不使用规则（用于对比规则的作用）"),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="改用外部语料文件（评测用）"),
    brief_out: Optional[Path] = typer.Option(None, "--brief", help="另存为决策参考：.docx（Word）或 .html（可打印）"),
) -> None:
    """为问题描述推荐最匹配的实践案例，并说明匹配理由。"""
    filters = _filters(province, level, domain, leadership, year_from, year_to)
    if batch is None and not (text and text.strip()):
        err.print("[red]请提供问题描述，或用 --batch 指定批量文件[/red]")
        raise typer.Exit(2)
    queries = _read_batch(batch) if batch else None
    engine = open_engine(corpus, use_rules=not no_rules)
    if queries is None:
        try:
            answer = engine.recommend(text, top_k=top, filters=filters, use_rules=not no_rules)
        except QueryError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        if json_out:
            sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        else:
            render_answer(answer, Console())
        if brief_out is not None:
            from ..usecases.answers import brief

            fmt = "html" if brief_out.suffix.lower() in (".html", ".htm") else "docx"
            brief_out.write_bytes(brief(answer, fmt))  # type: ignore[arg-type]
            err.print(f"决策参考已保存：{brief_out}")
        return
    with _progress() as bar:
        task = bar.add_task("批量推荐", total=len(queries))
        for q in queries:
            try:
                answer = engine.recommend(q["text"], top_k=top, filters=filters, use_rules=not no_rules)
                line = {"query_id": q["id"], **answer.model_dump(mode="json")}
            except QueryError as exc:
                line = {"query_id": q["id"], "error": str(exc), "no_fit": True, "results": []}
            if json_out:
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                top1 = line["results"][0]["title"] if line.get("results") else "—"
                bar.console.print(f"{q['id']}\t{'出错' if 'error' in line else VERDICT_LABELS.get(line.get('verdict'), '—')}\t{top1}")
            bar.advance(task)


def index(
    rebuild: bool = typer.Option(False, "--rebuild", help="强制完全重建"),
    merge: bool = typer.Option(False, "--merge", help="大型案例库：把增量（建索引后改动的案例）并入主索引（即重建）"),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="为外部语料建索引"),
    dense: Optional[bool] = typer.Option(None, "--dense/--no-dense", help="是否计算语义向量（默认按设置）"),
) -> None:
    """建立或更新检索索引（案例库变化时自动增量重建）。"""
    engine = open_engine(corpus, use_rules=False, rebuild=rebuild or merge, dense=dense)
    info = engine.backend.describe()
    rep, s, out = info.report, engine.settings, Console()
    state = "已重建" if rep.rebuilt else "已是最新，直接复用"
    out.print(f"索引{state}：案例 {info.cases} 个，新分词 {rep.tokenized} 个，新向量化 {rep.embedded} 个"
              f"（嵌入模型：{engine.embedder.name if engine.embedder is not None else '未启用'}）")
    if info.exhaustive:
        out.print(f"检索方式：逐案精确打分（{info.threshold}）；索引{info.storage}")
    else:
        dense_part = f" ∪ {info.vectors} 前 {s.ann_k}" if info.vectors else ""
        out.print(f"检索方式：候选生成（BM25 前 {s.ann_k}{dense_part}），再对候选精确融合排序；索引{info.storage}")
    if info.delta:
        out.print(f"增量：{info.delta} 个案例在建索引后有改动，已可检索；运行 zhili index --merge 并入主索引")
