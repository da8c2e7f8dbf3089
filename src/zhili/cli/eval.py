"""`zhili eval DIR`: run the engine over a benchmark folder and print its metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

METRIC_LABELS = {
    "ndcg@10": "nDCG@10",
    "ndcg@20": "nDCG@20",
    "ndcg@30": "nDCG@30",
    "recall@10": "召回率@10（等级≥2）",
    "mrr": "MRR（等级≥2）",
    "p@5": "P@5（仅等级3）",
    "p@10": "P@10（仅等级3）",
    "map": "MAP（仅等级3）",
}
STYLE_LABELS = {"plain": "规范表述", "colloquial": "口语方言", "long": "长篇工单", "short": "短关键词"}
STYLE_COLUMNS = {"ndcg@10": "nDCG@10", "ndcg@30": "nDCG@30", "recall@10": "召回@10", "mrr": "MRR"}
MODE_LABELS = {"full": "全库检索", "pool": "候选池重排（pools.tsv）", "label": "仅重排已标注文档"}


def eval_command(
    dir: Annotated[Path, typer.Argument(help="评测目录：queries.jsonl、qrels.tsv，可选 corpus.jsonl[.gz]、pools.tsv")],
    corpus: Annotated[Path | None, typer.Option(help="检索用的语料（默认：目录中的 corpus.jsonl[.gz]，否则为案例库）")] = None,
    pools: Annotated[bool, typer.Option("--pools", help="只在每个查询的候选池（pools.tsv）内排序，LeCaRD 推荐方式")] = False,
    json_out: bool = typer.Option(False, "--json", help="输出稳定的 JSON"),
    no_rules: Annotated[bool, typer.Option("--no-rules", help="不使用专家规则，只评测检索")] = False,
    top: Annotated[int, typer.Option(min=1, help="每个查询取前多少条结果")] = 100,
    labels: Annotated[bool, typer.Option("--labels", help="只在每个查询的已标注文档内排序（LeCaRD 论文表格的口径）")] = False,
    dense: Annotated[bool | None, typer.Option("--dense/--no-dense", help="是否使用语义向量（默认按设置；长语料首次向量化可能需数小时）")] = None,
    fit_labels: Annotated[Path | None, typer.Option("--fit-labels", help="人工标注“有无合适案例”的文本（JSONL：id、fit），另报告无匹配标记的效果")] = None,
    messages: Annotated[Path | None, typer.Option("--messages", help="--fit-labels 的文本所在文件（JSONL：id、text）")] = None,
) -> None:
    """评测：nDCG@10/@30、召回率@10、MRR、按查询风格分组、前10未标注占比、“无匹配”识别效果、匹配度校准。"""
    from ..eval import EvalFormatError, load_eval_dir, report, run_engine
    from ..eval.labels import fit_label_report, load_fit_labels

    err = Console(stderr=True)
    if pools and labels:
        err.print("[red]--pools 与 --labels 只能选一个[/red]")
        raise typer.Exit(2)
    mode = "pool" if pools else "label" if labels else "full"
    try:
        evalset = load_eval_dir(dir)
        if mode == "pool" and evalset.pools is None:
            raise EvalFormatError(f"{dir} 中没有 pools.tsv，无法使用 --pools")
        labelled = load_fit_labels(fit_labels, messages) if fit_labels is not None else None
    except EvalFormatError as exc:
        err.print(f"[red]评测数据有误：[/red]{exc}")
        raise typer.Exit(2) from None
    if corpus is not None and not corpus.is_file():
        err.print(f"[red]语料文件不存在：[/red]{corpus}")
        raise typer.Exit(2)
    corpus_path = corpus or evalset.corpus
    use_rules = not no_rules

    from .recommend import open_engine  # deferred: loads the engine stack, shows index progress

    engine = open_engine(corpus=corpus_path, use_rules=use_rules, dense=dense)
    with Progress(TextColumn("评测查询"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("eval", total=len(evalset.queries))
        matches: dict = {}
        run, fit_scores, flags = run_engine(engine, evalset, depth=top, mode=mode,
                                            use_rules=use_rules,
                                            progress=lambda n: bar.advance(task, n), matches=matches)
    result = report(evalset, run, fit_scores, flags, mode=mode, use_rules=use_rules, depth=top,
                    corpus=corpus_path, matches=matches)
    data = result.to_dict()
    if labelled is not None:
        with Progress(TextColumn("标注文本"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("labels", total=len(labelled))
            data["fit_labels"] = fit_label_report(
                lambda t: engine.recommend(t, top_k=3, use_rules=use_rules, explain=False), labelled,
                progress=lambda n: bar.advance(task, n))
        data["fit_labels"]["file"] = str(fit_labels)
    if json_out:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print_report(data, Console())


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def print_report(data: dict[str, Any], console: Console) -> None:
    """Readable tables from the report's JSON form (so both outputs always agree)."""
    rules = "含专家规则" if data["rules"] else "不含专家规则"
    corpus = data["corpus"] or "案例库"
    console.print(f"[bold]评测集 {data['dataset']}[/bold]：{data['queries']} 个查询，"
                  f"{MODE_LABELS[data['mode']]}，{rules}，语料：{corpus}")

    main = Table(title=f"检索质量（{data['evaluated']} 个有匹配的查询）")
    main.add_column("指标")
    main.add_column("数值", justify="right")
    for key, value in data["metrics"].items():
        main.add_row(METRIC_LABELS.get(key, key), _fmt(value))
    main.add_row("前10结果中未标注占比", _fmt(data["unjudged@10"]))
    console.print(main)

    if data["by_style"]:
        styles = Table(title="按查询风格")
        styles.add_column("风格")
        styles.add_column("查询数", justify="right")
        keys = [k for k in STYLE_COLUMNS if k in data["metrics"]]
        for key in keys:
            styles.add_column(STYLE_COLUMNS[key], justify="right")
        known = [s for s in STYLE_LABELS if s in data["by_style"]]
        for style in known + sorted(set(data["by_style"]) - set(known)):
            row = data["by_style"][style]
            styles.add_row(STYLE_LABELS.get(style, style), str(row["n"]),
                           *(_fmt(row[k]) for k in keys))
        console.print(styles)

    nf = data["no_fit"]
    sep = Table(title=f"无匹配识别（无匹配查询 {nf['no_fit']} 个，有匹配 {nf['fit']} 个）")
    sep.add_column("指标")
    sep.add_column("数值", justify="right")
    sep.add_row("有合适案例的把握（fit_score）ROC AUC", _fmt(nf["auc"]))
    sep.add_row("标记为无匹配的查询数", str(nf["flagged"]))
    sep.add_row("无匹配标记精确率", _fmt(nf["precision"]))
    sep.add_row("无匹配标记召回率", _fmt(nf["recall"]))
    sep.add_row("无匹配标记准确率", _fmt(nf["accuracy"]))
    console.print(sep)

    match = data.get("match")
    if match and match["results"]:
        cal = Table(title=f"匹配度校准（每个查询前 {match['depth']} 个结果，共 {match['results']} 个；"
                          f"Brier {_fmt(match['brier'])}）")
        cal.add_column("匹配度")
        cal.add_column("结果数", justify="right")
        cal.add_column("平均匹配度", justify="right")
        cal.add_column("实际相关占比（等级≥2）", justify="right")
        for row in match["levels"]:
            mean = "—" if row["mean_percent"] is None else f"{row['mean_percent']:.0f}%"
            share = "—" if row["relevant"] is None else f"{100 * row['relevant']:.0f}%"
            cal.add_row(row["level"], str(row["n"]), mean, share)
        console.print(cal)

    labels = data.get("fit_labels")
    if labels:
        tab = Table(title=f"无匹配标记（人工标注 {labels['labels']} 条：{labels['file']}）")
        tab.add_column("范围")
        tab.add_column("无匹配/有匹配", justify="right")
        tab.add_column("无匹配被标记（召回）", justify="right")
        tab.add_column("有匹配被误标", justify="right")
        tab.add_column("精确率", justify="right")
        for key, name in (("all", "全部标注"), ("clear", "明确的标注")):
            row = labels[key]
            tab.add_row(name, f"{row['no_fit']}/{row['fit']}", _pct(row["recall"]),
                        _pct(row["false_flags"]), _pct(row["precision"]))
        console.print(tab)
        console.print(f"结论分布：{labels['verdicts']}")
