"""`zhili assess …`: assessment packs (健康指数 / 能力图谱) — check, test, diff, template, import,
warnings and a unit's report. Thin over `Service.assessments`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from ..assess.pack import check_all, load_pack, packs_dir
from ..assess.sheets import AssessFileError, read_file
from ._output import JsonOpt, dump as _dump, err as _err, fail, out as _out, table
from ._packs import check_verdict, load_checked, print_problems

app = typer.Typer(help="测评：党组织健康指数（health）、基层治理能力图谱（capability）", no_args_is_help=True)

PackArg = Annotated[str, typer.Argument(help="测评包：health（党组织健康指数）或 capability（能力图谱）")]
DirOpt = Annotated[Optional[Path], typer.Option("--dir", help="测评包目录（默认：ZHILI_ASSESS_DIR 或内置）")]


def _service() -> Any:
    from ..service import Service

    return Service.open()


def _pack(name: str, directory: Optional[Path] = None) -> Any:
    return load_checked(lambda: load_pack(name, directory),
                        lambda n: f"测评包“{escape(name)}”有 {n} 处错误。先运行 zhili assess check 修正。")


@app.command("check")
def check(directory: Annotated[Optional[Path], typer.Argument(help="测评包目录")] = None, as_json: JsonOpt = False) -> None:
    """检查每个测评包：指标清单、每张决策表的每个单元格、每个指标的取值范围都有评分行。"""
    root = directory or packs_dir()
    packs, problems = check_all(root)
    check_verdict(root, [p.name for p in packs], problems, as_json)
    passed = table("测评包", "名称", "对象", "维度", "指标", "决策表", title=f"测评包检查通过：{escape(str(root))}",
                   fold=False)
    for p in packs:
        passed.add_row(p.name, p.title, p.unit_label, "、".join(d.name for d in p.dimensions), str(len(p.indicators)),
                       "、".join(f"{g.table.label}({len(g.table.rows)}行)" for g in p.graphs.values()))
    _out().print(passed)


@app.command("test")
def test(directory: Annotated[Optional[Path], typer.Argument(help="测评包目录")] = None, as_json: JsonOpt = False) -> None:
    """运行每个测评包的示例历史（tests.jsonl）：总分、等次、维度、预警是否与预期一致。"""
    from ..assess.examples import run_examples

    root = directory or packs_dir()
    packs, problems = check_all(root)
    if any(p.severity == "error" for p in problems):
        print_problems(problems, _err())
        raise typer.Exit(1)
    report, failed = [], 0
    for pack in packs:
        results, probs = run_examples(pack)
        for r in results:
            failed += not r.ok
            report.append({"pack": pack.name, "id": r.id, "line": r.line, "ok": r.ok, "failures": r.failures})
        for p in probs:
            failed += p.severity == "error"
            report.append({"pack": pack.name, "id": "", "line": 0, "ok": p.severity != "error", "failures": [str(p)]})
    if as_json:
        _dump({"ok": not failed, "examples": report})
        raise typer.Exit(1 if failed else 0)
    out = _out()
    for r in report:
        mark = "[green]通过[/green]" if r["ok"] else "[red]失败[/red]"
        out.print(f"{mark} {r['pack']} / {escape(r['id'])}" + "".join(f"\n    {escape(f)}" for f in r["failures"]))
    out.print(f"共 {len(report)} 个示例，失败 {failed} 个。")
    raise typer.Exit(1 if failed else 0)


@app.command("diff")
def diff(pack: PackArg, old_dir: Path, new_dir: Path, data: Path, as_json: JsonOpt = False) -> None:
    """用同一份数据对比测评包的两个版本：哪些对象的总分、等次、预警会变化。"""
    from ..assess.diff import diff_packs

    old, new = _pack(pack, old_dir), _pack(pack, new_dir)
    try:
        records = read_file(old, data)
    except AssessFileError as exc:
        raise fail(str(exc), red=False) from exc
    report = diff_packs(old, new, records)
    if as_json:
        _dump(report)
        return
    out = _out()
    out.print(f"{report['records']} 条记录，{report['changed']} 条有变化（等次变化 {report['level_changed']} 条）")
    for i in report["items"]:
        out.print(f"{escape(i['unit'])} {i['period']}：{i['old']['total']}（{i['old']['level']}）→ {i['new']['total']}"
                  f"（{i['new']['level']}） 新增预警 {i['warnings_added']} 消失 {i['warnings_removed']}")


@app.command("template")
def template(pack: PackArg, out: Path) -> None:
    """下载导入模板（.xlsx，含“说明”工作表：每个指标的口径、计分和数据来源）。"""
    with _service() as service:
        data = service.assessments.template(_pack(pack).name)
    out.write_bytes(data)
    _out().print(f"已写出模板 {escape(str(out))}")


@app.command("import")
def import_(pack: PackArg, file: Path) -> None:
    """导入数据（.xlsx 或 .csv，UTF-8/GBK）：全部检查通过才保存，否则逐格列出错误、一行也不保存。"""
    _pack(pack)
    with _service() as service:
        try:
            summary = service.assessments.import_file(pack, file, by="命令行")
        except AssessFileError as exc:
            errors = table("工作表", "行", "列", "原因", title=f"{escape(exc.file)}：{len(exc.errors)} 处错误，未导入任何数据")
            for e in exc.errors[:200]:
                errors.add_row(escape(e.sheet), str(e.row), escape(f"{e.letter} {e.column}".strip()), escape(e.reason))
            _err().print(errors)
            raise typer.Exit(1) from exc
    _out().print(f"已导入 {summary.rows} 行（新增 {summary.added}，覆盖 {summary.replaced}），"
                 f"{summary.units} 个对象，期次 {'、'.join(summary.periods)}")


@app.command("warnings")
def warnings(pack: PackArg, period: Annotated[Optional[str], typer.Option("--period", help="期次（默认最新）")] = None,
             as_json: JsonOpt = False,
             no_cases: Annotated[bool, typer.Option("--no-cases", help="不检索对症案例")] = False) -> None:
    """本期预警名单（严重的在前），每条预警写明规则和理由，并附对症的实践案例编号。"""
    _pack(pack)
    with _service() as service:
        items = service.assessments.warnings(pack, period=period, with_cases=not no_cases, by="命令行")
    if as_json:
        _dump([{k: v for k, v in e.items() if k != "severity"} | {
            "warnings": [{k: w[k] for k in ("kind", "indicator", "reason", "rule")} for w in e["warnings"]]}
            for e in items])
        return
    out = _out()
    if not items:
        out.print("本期没有预警。")
    for e in items:
        out.print(f"[bold]{escape(e['unit'])}[/bold] {e['period']} 总分 {e['score']:g}（{e['level']}）")
        for w in e["warnings"]:
            out.print(f"  · {w['kind']} {escape(w['indicator'])}：{escape(w['reason'])}  [dim]{escape(w['rule'])}[/dim]")
        if e["cases"]:
            out.print(f"  对症案例：{'、'.join(e['cases'])}")


@app.command("report")
def report(pack: PackArg, unit: str,
           docx: Annotated[Optional[Path], typer.Option("--docx", help="写出 Word 诊断报告")] = None,
           as_json: JsonOpt = False) -> None:
    """一个对象的诊断报告：总分、维度、走势、预警与规则依据、对症案例（--docx 写出公文格式报告）。"""
    from ..assess.usecases import UnitNotFoundError

    _pack(pack)
    with _service() as service:
        try:
            if docx is not None:
                docx.write_bytes(service.assessments.report_docx(pack, unit, personal=True, by="命令行"))
                _out().print(f"已写出 {escape(str(docx))}")
                return
            view = service.assessments.unit(pack, unit, personal=True, by="命令行")
        except UnitNotFoundError as exc:
            raise fail(str(exc)) from exc
    if as_json:
        _dump({k: v for k, v in view.items() if k not in ("radar", "spark")})
        return
    latest = view["latest"]
    out = _out()
    out.print(f"[bold]{escape(view['name'] or view['unit'])}[/bold] {latest['period']}：总分 {latest['total']:g}，"
              f"{latest['level']}（{escape(latest['level_reason'])}）")
    out.print("走势：" + "，".join(f"{h['period']} {h['total']:g}" for h in view["history"]))
    for name, d in latest["dimensions"].items():
        gap = f"，岗位要求 {d['required']:g}" if d.get("required") is not None else ""
        out.print(f"  {name}：{d['score']:g}（{d['level']}{gap}）")
    for w in latest["warnings"]:
        out.print(f"[red]预警[/red] {w['kind_label']}：{escape(w['reason'])}\n    {escape(w['trace'])}")
    for p in view["prescriptions"]:
        out.print(f"[bold]{escape(p['for'])}[/bold] → " + "；".join(
            f"{c['case_id']} {escape(c['title'])}（{(c.get('match') or {}).get('level', '')}）" for c in p["cases"]))
    for t in latest.get("training") or []:
        out.print(f"培训：{t['dimension']} — {escape(t['suggestion'])}")
