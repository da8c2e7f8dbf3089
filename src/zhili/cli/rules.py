"""`zhili rules …`: check, test, run, cover and compare rule packs (thin over zhili.rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ..config import rules_dir
from ..rules import RuleSet, check_dir, rule_input_for
from ..rules.coverage import coverage as coverage_report, read_queries
from ..rules.examples import classification_accuracy, run_examples
from ..rules.inputs import analyzer_name
from ._output import JsonOpt, dump as _dump, err as _err, fail, out as _out, table
from ._packs import check_verdict, load_checked, print_problems

app = typer.Typer(help="规则包：检查、测试、对比", no_args_is_help=True)

DirArg = Annotated[Optional[Path], typer.Argument(help="规则目录（默认：ZHILI_RULES_DIR 或内置规则包）")]


def _load(directory: Optional[Path]) -> RuleSet:
    return load_checked(lambda: RuleSet.load(directory),
                        lambda n: f"规则包有 {n} 处错误，未加载。先运行 zhili rules check 修正。")


@app.command("check")
def check(directory: DirArg = None, as_json: JsonOpt = False) -> None:
    """检查每个规则包：JSON、命中策略、每个单元格的表达式、输出字段与取值。有错误时退出码为 1。"""
    root = directory or rules_dir()
    packs, problems = check_dir(root)
    check_verdict(root, [p.id for p in packs], problems, as_json,
                  failed_note="有错误时不会加载任何规则，正在使用的规则保持不变。")
    out = _out()
    rows = sum(len(t.rows) for p in packs for t in p.tables)
    summary = table("顺序", "规则包", "名称", "表", "行", title=f"规则检查通过：{escape(str(root))}", fold=False)
    for i, p in enumerate(packs, 1):
        summary.add_row(str(i), p.id, p.title, "、".join(t.label for t in p.tables),
                        str(sum(len(t.rows) for t in p.tables)))
    out.print(summary)
    out.print(f"共 {len(packs)} 个规则包、{rows} 行规则。")


@app.command("test")
def test(directory: DirArg = None,
         pack: Annotated[Optional[str], typer.Option("--pack", help="只测试一个规则包（目录名或名称）")] = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="列出每个例子")] = False,
         as_json: JsonOpt = False) -> None:
    """运行各规则包 tests.jsonl 中的例子，核对领域、牵头单位、风险等级等；报告问题分类准确率。"""
    rules = _load(directory)
    results, problems = run_examples(rules, pack)
    failed = [r for r in results if not r.passed]
    acc = classification_accuracy(results)
    if as_json:
        _dump({"analyzer": analyzer_name(), "examples": len(results), "failed": len(failed),
               "problems": [p.to_dict() for p in problems],
               "failures": [{"pack": r.example.pack_id, "id": r.example.id, "line": r.example.line,
                             "failures": r.failures} for r in failed],
               "classification": acc})
        raise typer.Exit(1 if failed or problems else 0)
    out = _out()
    if problems:
        print_problems(problems, out)
    examples = table("规则包", "例子", "结果", "说明", title="例子测试" + ("（仅失败）" if not verbose else ""))
    for r in results:
        if r.passed and not verbose:
            continue
        status = "[green]通过[/green]" if r.passed else "[red]失败[/red]"
        detail = "；".join(r.failures) if r.failures else (
            f"领域 {'、'.join(r.outcome.domains) or '—'}；牵头 {r.outcome.routing.lead}；风险 {r.outcome.risk.level}")
        examples.add_row(r.example.pack_id, f"{escape(r.example.id)} (第{r.example.line}行)", status, escape(detail))
    if examples.row_count:
        out.print(examples)
    out.print(f"例子 {len(results)} 个，通过 {len(results) - len(failed)} 个，失败 {len(failed)} 个"
              f"（文本分析：{analyzer_name()}）。")
    if acc.get("n"):
        out.print(f"问题分类（{acc['n']} 个标注例子）：主领域准确率 {acc['primary_accuracy']:.1%}，"
                  f"主领域落在标注内 {acc['primary_in_labels']:.1%}，领域精确率 {acc['precision']:.1%}，"
                  f"召回率 {acc['recall']:.1%}，F1 {acc['f1']:.1%}。")
    raise typer.Exit(1 if failed or problems else 0)


@app.command("run")
def run(text: Annotated[str, typer.Argument(help="问题描述")], directory: Annotated[
            Optional[Path], typer.Option("--dir", help="规则目录")] = None,
        province: Annotated[str, typer.Option("--province", help="省份")] = "",
        level: Annotated[str, typer.Option("--level", help="使用者层级")] = "",
        as_json: JsonOpt = False) -> None:
    """用规则分析一个问题：领域、城乡、紧急程度、牵头与配合、风险、加分、建议，以及命中的每一行。"""
    rules = _load(directory)
    o = rules.evaluate(rule_input_for(text, province, level))
    if as_json:
        _dump(o.model_dump())
        return
    out = _out()
    out.print(f"[bold]领域[/bold]：{'、'.join(o.domains) or '—'}　[bold]城乡[/bold]：{o.setting or '—'}　"
              f"[bold]紧急程度[/bold]：{o.urgency}{'（' + '、'.join(o.urgency_flags) + '）' if o.urgency_flags else ''}")
    out.print(f"[bold]牵头[/bold]：{escape(o.routing.lead)}　[bold]配合[/bold]：{escape('、'.join(o.routing.supporting))}")
    out.print(f"[bold]依据[/bold]：{escape(o.routing.basis)}")
    steps = "处置步骤" if o.risk.kind == "矛盾纠纷" else "必经程序"
    out.print(f"[bold]风险[/bold]：{o.risk.level}{'（' + o.risk.kind + '）' if o.risk.kind else ''}　"
              f"[bold]{steps}[/bold]：{'、'.join(o.risk.procedures) or '—'}")
    for reason in o.risk.reasons:
        out.print(f"  · {escape(reason)}")
    for dim, items in o.suggestions.items():
        out.print(f"[bold]{dim}[/bold]：{escape('、'.join(items))}")
    trace = table("规则包", "表", "行", "说明", title="命中的规则行（--json 里有原始输入输出）")
    for t in o.trace:
        trace.add_row(t["pack"], t["table"], escape(t["row_id"]), escape(t.get("summary") or t["description"]))
    out.print(trace)


@app.command("coverage")
def coverage(queries: Annotated[Optional[Path], typer.Option(
                 "--queries", help="查询文件（每行 {\"id\",\"text\"} 或一行一个问题）；默认用各包 tests.jsonl 的例子")] = None,
             directory: Annotated[Optional[Path], typer.Option("--dir", help="规则目录")] = None,
             as_json: JsonOpt = False) -> None:
    """哪些规则行在查询上从未命中；每个领域是否至少有一行规则能打上。"""
    rules = _load(directory)
    if queries is not None:
        try:
            qs = read_queries(queries)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise fail(str(exc), 2) from exc
    else:
        results, _ = run_examples(rules)
        qs = [{"id": r.example.id, "text": r.example.text, "province": r.example.province,
               "level": r.example.level} for r in results]
    report = coverage_report(rules, qs)
    unreachable = report.unreachable_domains
    if as_json:
        _dump(report.to_dict())
        raise typer.Exit(1 if unreachable else 0)
    out = _out()
    out.print(f"查询 {report.queries} 个；规则行 {report.rows} 行，命中过 {len(report.fired)} 行，"
              f"从未命中 {len(report.never_fired)} 行。")
    if report.never_fired:
        never = table("规则包", "表", "行", "说明", title="从未命中的规则行")
        for r in report.never_fired:
            never.add_row(r["pack"], r["table"], escape(r["row_id"]), escape(r["description"]))
        out.print(never)
    reached = [d for d in report.static if report.domains_reached.get(d)]
    out.print(f"查询打上的领域 {len(reached)}/{len(report.static)} 个；"
              f"未被查询打上：{'、'.join(report.domains_not_reached) or '无'}。")
    if unreachable:
        out.print(f"[red]没有任何规则行能打上的领域：{'、'.join(unreachable)}[/red]")
        raise typer.Exit(1)
    out.print("每个领域都至少有一行规则可以打上。")


@app.command("diff")
def diff(old_dir: Annotated[Path, typer.Argument(help="旧规则目录")],
         new_dir: Annotated[Path, typer.Argument(help="新规则目录")],
         queries: Annotated[Path, typer.Option("--queries", help="查询文件（每行 {\"id\",\"text\"}）")],
         top: Annotated[int, typer.Option("--top", help="比较前几个案例")] = 10,
         rules_only: Annotated[bool, typer.Option("--rules-only", help="只比较规则结果，不跑案例检索")] = False,
         show_all: Annotated[bool, typer.Option("--all", help="也列出没有变化的查询")] = False,
         as_json: JsonOpt = False) -> None:
    """新旧两套规则在同一批查询上的差异：领域、牵头/配合、风险、前 N 个案例的进出，以及汇总。"""
    from ..rules.diff import diff_rules

    old, new = _load(old_dir), _load(new_dir)
    try:
        qs = read_queries(queries)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise fail(str(exc), 2) from exc
    engine = None
    if not rules_only:
        try:
            from ..wiring import open_engine

            engine = open_engine(use_rules=False)
        except Exception as exc:  # noqa: BLE001 - report and fall back to the rule outcomes
            _err().print(f"[yellow]无法打开案例库（{escape(str(exc))}），只比较规则结果。[/yellow]")
    report = diff_rules(old, new, qs, engine=engine, top_k=top)
    if as_json:
        _dump(report.to_dict())
        return
    out = _out()
    changes = table("查询", "领域", "牵头/配合", "风险", f"前{top}案例" if report.with_engine else "命中行",
                    title=f"规则对比：{escape(str(old_dir))} → {escape(str(new_dir))}")
    for d in report.items:
        if not d.changed and not show_all:
            continue
        dom = f"{'、'.join(d.old.domains)} → {'、'.join(d.new.domains)}" if d.domains_changed else "—"
        route = (f"{d.old.routing.get('lead')} → {d.new.routing.get('lead')}"
                 + (f"\n配合：{'、'.join(d.old.routing.get('supporting') or [])} → "
                    f"{'、'.join(d.new.routing.get('supporting') or [])}") if d.routing_changed else "—")
        risk = (f"{d.old.risk.get('level')} → {d.new.risk.get('level')}\n"
                f"{'、'.join(d.old.risk.get('procedures') or [])} → {'、'.join(d.new.risk.get('procedures') or [])}"
                if d.risk_changed else "—")
        if report.with_engine:
            cases = (f"进：{'、'.join(d.entered) or '—'}\n出：{'、'.join(d.left) or '—'}"
                     if d.top_changed else ("顺序变化" if d.order_changed else "—"))
        else:
            cases = f"+{'、'.join(d.rows_added) or '—'}\n-{'、'.join(d.rows_removed) or '—'}"
        changes.add_row(escape(f"{d.id} {d.text[:30]}"), escape(dom), escape(route), escape(risk), escape(cases))
    if changes.row_count:
        out.print(changes)
    s = report.summary()
    out.print(f"查询 {s['queries']} 个，有变化 {s['changed']} 个：领域 {s['domains_changed']}，"
              f"牵头/配合 {s['routing_changed']}，风险 {s['risk_changed']}"
              + (f"，前{top}案例有进出 {s['top_changed']}（进 {s['cases_entered']} 个、出 {s['cases_left']} 个），"
                 f"顺序变化 {s['order_changed']}。" if report.with_engine else "（未比较案例检索）。"))


@app.command("export")
def export(out: Annotated[Path, typer.Argument(help="输出的 .xlsx 文件")],
           pack: Annotated[Optional[str], typer.Option("--pack", help="只导出一个规则包（目录名或名称）")] = None,
           directory: Annotated[Optional[Path], typer.Option("--dir", help="规则目录（默认：ZHILI_RULES_DIR 或内置规则包）")] = None) -> None:
    """把规则包导出为 Excel：每张决策表一个工作表（表头为中文列名），另有“说明”工作表。"""
    from ..ruleedit import read_dir
    from ..ruleedit.tables import EditError
    from ..ruleedit.workbook import export_workbook

    _load(directory)  # refuse to export broken packs: an import of them could never pass
    try:
        data = export_workbook(read_dir(directory or rules_dir()), pack)
    except EditError as exc:
        raise fail(str(exc), 2) from exc
    out.write_bytes(data)
    _out().print(f"已导出到 {escape(str(out))}（{len(data)} 字节）。在 Excel 中修改后用 zhili rules import 导入。")


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="zhili 导出并修改过的 .xlsx")],
            out: Annotated[Path, typer.Option("--out", help="写出完整规则目录的位置（检查通过才写）")],
            base: Annotated[Optional[Path], typer.Option("--base", help="工作簿之外的规则包取自此目录（默认：ZHILI_RULES_DIR 或内置规则包）")] = None,
            as_json: JsonOpt = False) -> None:
    """从 Excel 导入规则：逐格检查（与 zhili rules check 相同），全部通过才写出完整的规则目录；
    有错误时列出工作表、行、列和原因，退出码为 1，不写任何文件。"""
    from ..ruleedit import read_dir
    from ..ruleedit.service import import_to_dir
    from ..ruleedit.workbook import WorkbookError

    try:
        data = file.read_bytes()
        result = import_to_dir(data, out, read_dir(base or rules_dir()))
    except (OSError, WorkbookError, ValueError) as exc:
        raise fail(f"{file}：{exc}", 2) from exc
    if as_json:
        _dump({"ok": result.ok, "out": str(out) if result.ok else None, "packs": result.packs,
               "problems": [p.to_dict() for p in result.problems]})
        raise typer.Exit(0 if result.ok else 1)
    console = _out() if result.ok else _err()
    if result.problems:
        checked = table("级别", "工作表", "行", "列", "原因", title="导入检查")
        for p in result.problems:
            checked.add_row("[red]错误[/red]" if p.severity == "error" else "[yellow]提醒[/yellow]", escape(p.sheet),
                          str(p.row or ""), escape(p.column + (f"（{p.header}）" if p.header else "")), escape(p.message))
        console.print(checked)
    if not result.ok:
        n = sum(p.severity == "error" for p in result.problems)
        _err().print(f"[red]有 {n} 处错误，未写出任何文件。[/red]")
        raise typer.Exit(1)
    _out().print(f"检查通过：完整的规则目录已写到 {escape(str(out))}（来自工作簿的规则包：{'、'.join(result.packs)}）。")


@app.command("replay")
def replay(directory: Annotated[Path, typer.Argument(help="新的规则目录（草稿）")],
           queries: Annotated[Path, typer.Option("--queries", help="查询文件（每行 {\"id\",\"text\"} 或一行一个问题）")],
           against: Annotated[Optional[Path], typer.Option("--against", help="与此规则目录比较（默认：服务正在使用的规则）")] = None,
           top: Annotated[int, typer.Option("--top", help="比较前几个案例")] = 10,
           rules_only: Annotated[bool, typer.Option("--rules-only", help="只比较规则结果，不跑案例检索")] = False,
           show_all: Annotated[bool, typer.Option("--all", help="也列出没有变化的查询")] = False,
           as_json: JsonOpt = False) -> None:
    """发布前回放：一批查询在新规则目录下与正在使用的规则相比有何变化（领域、牵头/配合、风险、前 N 案例）。
    与网页“发布前影响评估”和 POST /api/v1/rules/drafts/{id}/replay 是同一段逻辑。"""
    from ..ruleedit import read_dir
    from ..ruleedit.service import RuleEditError
    from ..service import Service

    _load(directory)
    if against is not None:
        _load(against)
    try:
        text = queries.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{queries}：{exc}", 2) from exc
    try:
        with Service.open() as service:
            body = service.rule_edits.replay(files=read_dir(directory), sources=["upload"], upload=text,
                                             limit=500, top=top, with_cases=not rules_only,
                                             against=read_dir(against) if against is not None else None)
    except RuleEditError as exc:
        raise fail(exc.message, 2) from exc
    if as_json:
        _dump(body)
        return
    out = _out()
    changes = table("查询", "领域", "牵头/配合", "风险", f"前{top}案例" if body["with_engine"] else "命中行",
                    title=f"回放：{escape(str(queries))}（{'与 ' + escape(str(against)) if against else '与正在使用的规则'}相比）")
    for d in body["queries"]:
        if not d["changed"] and not show_all:
            continue
        o, n = d["old"], d["new"]
        dom = f"{'、'.join(o['domains'])} → {'、'.join(n['domains'])}" if d["domains_changed"] else "—"
        route = (f"{o['routing'].get('lead')} → {n['routing'].get('lead')}\n配合：{'、'.join(o['routing'].get('supporting') or [])}"
                 f" → {'、'.join(n['routing'].get('supporting') or [])}") if d["routing_changed"] else "—"
        risk = f"{o['risk'].get('level')} → {n['risk'].get('level')}" if d["risk_changed"] else "—"
        if body["with_engine"]:
            cases = f"进：{'、'.join(d['entered']) or '—'}\n出：{'、'.join(d['left']) or '—'}" if d["top_changed"] else "—"
        else:
            cases = f"+{'、'.join(d['rows_added']) or '—'}\n-{'、'.join(d['rows_removed']) or '—'}"
        changes.add_row(escape(f"{d['id']} {d['text'][:30]}"), escape(dom), escape(route), escape(risk), escape(cases))
    if changes.row_count:
        out.print(changes)
    s = body["summary"]
    out.print(f"查询 {s['queries']} 个，有变化 {s['changed']} 个：领域 {s['domains_changed']}，牵头/配合 {s['routing_changed']}，"
              f"风险 {s['risk_changed']}" + (f"，前{top}案例有进出 {s['top_changed']}（进 {s['cases_entered']}、出 {s['cases_left']}）。"
                                            if body["with_engine"] else "（未比较案例检索）。"))


if __name__ == "__main__":  # pragma: no cover
    app()
