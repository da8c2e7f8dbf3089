"""`zhili cases …`: check, import, export and summarise the case library."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from ..cases.errors import CaseFileError, field_label
from ..cases.io import FORMATS, Progress as ProgressFn, detect_format, read_cases, write_cases
from ..cases.model import Case
from ..cases.stats import library_stats
from ._output import dump as _dump, err as _err, out as _out

if TYPE_CHECKING:
    from ..store import CaseStore

app = typer.Typer(help="案例库：校验、导入、导出、统计", no_args_is_help=True)
SHOW_ERRORS = 200  # rows printed; the count says how many more there are


@contextmanager
def _reading(console: Console, path: Path) -> Iterator[ProgressFn]:
    """A progress bar while a (possibly large) file is read and validated; silent when not a terminal."""
    bar = Progress(
        TextColumn("[bold]读取并校验[/] {task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with bar:
        task = bar.add_task(escape(path.name), total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _load(path: Path, console: Console, publish: bool = False) -> list[Case]:
    with _reading(console, path) as progress:
        return read_cases(path, progress=progress, publish=publish)


def _print_errors(console: Console, exc: CaseFileError) -> None:
    """A table on a terminal; one plain line per error otherwise, so logs and grep stay usable."""
    shown = exc.errors[:SHOW_ERRORS]
    if console.is_terminal:
        table = Table(title=escape(f"{exc.path}：{len(exc.errors)} 处错误"), title_justify="left")
        table.add_column("行", justify="right", style="cyan", no_wrap=True)
        table.add_column("字段", style="magenta")
        table.add_column("原因")
        for e in shown:
            table.add_row("—" if e.row is None else str(e.row), escape(field_label(e.field)), escape(e.reason))
        console.print(table)
    else:
        console.print(f"{exc.path}：{len(exc.errors)} 处错误", soft_wrap=True, markup=False)
        for e in shown:
            console.print(f"  {e}", soft_wrap=True, markup=False)
    if len(exc.errors) > SHOW_ERRORS:
        console.print(f"……另有 {len(exc.errors) - SHOW_ERRORS} 处错误未列出")


def _load_or_exit(file: Path, console: Console, failure: str, publish: bool = True) -> list:
    """Read and validate `file` (as cases to publish, unless `publish` is False); on errors list
    them all, print `failure` and exit 1."""
    try:
        return _load(file, console, publish)
    except CaseFileError as exc:
        _print_errors(console, exc)
        console.print(failure)
        raise typer.Exit(1) from None


def _open_store() -> "CaseStore":
    """Imported lazily so `validate` never touches the database."""
    from ..store import CaseStore

    return CaseStore.open()


@app.command()
def validate(file: Path = typer.Argument(..., help="案例文件：.jsonl / .jsonl.gz / .csv / .xlsx"),
             draft: bool = typer.Option(False, "--draft", help="按草稿校验：不要求发布所需的问题/做法与来源")) -> None:
    """校验案例文件，列出所有出错的行；有错误时退出码为 1。默认按“导入并发布”的要求校验。"""
    console = _out()
    cases = _load_or_exit(file, console, "[red]✗ 校验未通过[/]", publish=not draft)
    console.print(f"[green]✓ 文件有效[/]：共 {len(cases)} 个案例")


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="案例文件：.jsonl / .jsonl.gz / .csv / .xlsx"),
    replace: bool = typer.Option(False, "--replace", help="用文件内容替换整个案例库（删除文件中没有的案例）"),
) -> None:
    """先校验整个文件，再一次性导入案例库；任何错误都不会改动案例库。"""
    console = _out()
    cases = _load_or_exit(file, console, "[red]✗ 未导入[/]：文件有错误，案例库没有任何改动")
    from ..access.errors import ApiError
    from ..service import Service
    from ..usecases import Actor
    from ..usecases.library import ImportRefused

    try:
        with Service.open(follow_writes=False) as service:  # the same use case as the API's and the pages' import
            service.library.refuse_unstorable(cases, file.name)
            summary = service.library.import_cases(cases, Actor.cli(), "replace" if replace else "upsert")
            total = service.store.cases.count()
    except ImportRefused as exc:
        for p in exc.problems:
            _err().print(p.message, style="red", markup=False)
        _err().print(f"✗ 未导入：{exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    except (SQLAlchemyError, ValueError, ImportError, ApiError) as exc:
        _err().print(f"✗ 导入失败，案例库保持原样：{getattr(exc, 'message', None) or exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    console.print(f"[green]✓ 已导入[/] {escape(file.name)}：{summary}；案例库现有 {total} 个案例")


def _bulk(action: str, ids: list[str], dry_run: bool) -> None:
    """发布 / 撤回 / 删除 through the same use case as the pages' confirmation step and the API."""
    from ..access.errors import ApiError
    from ..service import Service
    from ..usecases import Actor

    console, actor = _out(), Actor.cli()
    try:
        with Service.open(follow_writes=False) as service:
            plan = service.library.plan(action, ids, actor)
            for p in plan:
                note = {"missing": "不存在", "same": "状态未变，跳过", "review": "需他人审核"}.get(p.why, "将处理")
                console.print(f"{p.case_id}：{note}", markup=False)
            if dry_run:
                return
            done = service.library.apply(action, ids, actor)
    except (SQLAlchemyError, ApiError) as exc:
        _err().print(f"✗ 操作失败，案例库保持原样：{getattr(exc, 'message', None) or exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    console.print(f"[green]✓[/] 已处理 {len(done.changed)} 个案例" + (f"；{len(done.missing)} 个不存在" if done.missing else ""))
    if done.missing:
        raise typer.Exit(1)


@app.command()
def publish(ids: list[str] = typer.Argument(..., help="案例编号"),
            dry_run: bool = typer.Option(False, "--dry-run", help="只列出将会怎样")) -> None:
    """发布案例（参与匹配）。"""
    _bulk("publish", ids, dry_run)


@app.command()
def withdraw(ids: list[str] = typer.Argument(..., help="案例编号"),
             dry_run: bool = typer.Option(False, "--dry-run", help="只列出将会怎样")) -> None:
    """撤回为草稿（不再参与匹配）。"""
    _bulk("withdraw", ids, dry_run)


@app.command()
def delete(ids: list[str] = typer.Argument(..., help="案例编号"),
           yes: bool = typer.Option(False, "--yes", help="确认删除（否则只列出将会怎样）")) -> None:
    """删除案例（修改记录保留，可从记录恢复）。不加 --yes 时只列出将删除哪些。"""
    _bulk("delete", ids, dry_run=not yes)


@app.command("update-bundled")
def update_bundled(
    yes: bool = typer.Option(False, "--yes", help="确认更新（否则只列出将会怎样）"),
    draft: bool = typer.Option(False, "--draft", help="新增的案例存为草稿，审核后再发布"),
) -> None:
    """用本版本自带的案例库更新工作区：补上新增案例、更正本地没改过的案例；本地修改或删除过的保持不变。"""
    from ..access.errors import ApiError
    from ..service import Service
    from ..usecases import Actor

    console, actor = _out(), Actor.cli()
    try:
        with Service.open(follow_writes=False) as service:
            plan = service.library.bundled_plan(actor)
            console.print(f"内置案例库：{plan}", markup=False)
            for label, ids in (("新版本不再收录，将移除", plan.retired), ("本地已修改，保留本地版本", plan.edited),
                               ("本地已删除，不再加回", plan.deleted)):
                if ids:
                    shown = "、".join(ids[:20]) + (f" 等 {len(ids)} 个" if len(ids) > 20 else "")
                    console.print(f"  {label}：{shown}", markup=False)
            if not plan.pending:
                console.print("[green]✓ 已是最新[/]，无需更新")
                return
            if not yes:
                console.print("未更新。确认后请加 --yes 再运行一次。")
                return
            done = service.library.update_bundled(actor, "draft" if draft else "published")
    except (SQLAlchemyError, ApiError) as exc:
        _err().print(f"✗ 更新失败，案例库保持原样：{getattr(exc, 'message', None) or exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    console.print(f"[green]✓ 已更新[/]：新增 {len(done.added)}（{'草稿' if draft else '已发布'}），更正 {len(done.updated)}"
                  + (f"，移除 {len(done.retired)}" if done.retired else ""))


@app.command()
def export(
    file: Path = typer.Argument(..., help="输出文件；格式按扩展名判断"),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="jsonl / csv / xlsx（默认按扩展名）"),
) -> None:
    """导出整个案例库（CSV 为带 BOM 的 UTF-8，可直接用 Excel 打开）。"""
    if fmt is not None and fmt.lower() not in FORMATS:
        _err().print(f"[red]✗ 不支持的格式[/]“{escape(fmt)}”，可用：{'、'.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        detect_format(file, fmt)  # refuse a bad target before touching the database
        with _open_store() as store:
            cases = store.all()
        path = write_cases(cases, file, fmt)
    except CaseFileError as exc:
        _err().print(f"[red]✗ 无法导出[/]：{escape(exc.errors[0].reason)}")
        raise typer.Exit(1) from None
    except (SQLAlchemyError, ValueError, OSError, ImportError) as exc:
        _err().print(f"✗ 导出失败：{exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    _out().print(f"[green]✓ 已导出[/] {len(cases)} 个案例到 {escape(str(path))}")


def _count_table(title: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(title.split("分布")[0] or "项")
    table.add_column("案例数", justify="right")
    table.add_column("占比", justify="right")
    for key, n in counts.items():
        table.add_row(escape(key), str(n), f"{n / total:.0%}" if total else "—")
    return table


def _cases_of(file: Optional[Path], console: Console) -> list[Case]:
    """The cases of `file`, else of the library; exit 1 with the reason when neither can be read."""
    try:
        if file is not None:
            return _load(file, console)
        with _open_store() as store:
            return store.all()
    except CaseFileError as exc:
        _print_errors(console, exc)
        raise typer.Exit(1) from None
    except (SQLAlchemyError, ImportError) as exc:
        _err().print(f"✗ 无法打开案例库：{exc}", style="red", markup=False)
        raise typer.Exit(1) from None


@app.command()
def stats(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（便于脚本处理）"),
    file: Optional[Path] = typer.Option(None, "--file", help="统计一个案例文件，而不是案例库"),
) -> None:
    """案例库统计：层级、省份、领域、引领维度、来源可信度分布，年份范围，缺少来源链接的案例。"""
    console = _out()
    cases = _cases_of(file, console)
    data = library_stats(cases)
    if as_json:
        _dump(data)
        return
    total = data["total"]
    years = f"{data['year_min']}–{data['year_max']}" if data["year_min"] is not None else "—"
    console.print(f"[bold]案例总数[/] {total}　年份 {years}（未填年份 {data['without_year']}）")
    console.print(f"缺少来源链接 {data['without_source_url']}　未标领域 {data['without_domain']}")
    console.print(_count_table("层级分布", data["by_level"], total))
    console.print(_count_table("来源可信度分布", data["by_trust"], total))
    console.print(_count_table("引领维度分布", data["by_leadership"], total))
    console.print(_count_table("领域分布", data["by_domain"], total))
    console.print(_count_table("省份分布", data["by_province"], total))


@app.command()
def audit(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（便于脚本处理）"),
    file: Optional[Path] = typer.Option(None, "--file", help="检查一个案例文件，而不是案例库"),
    no_duplicates: bool = typer.Option(False, "--no-duplicates", help="不做疑似重复检查"),
) -> None:
    """列出来源或内容有问题的案例：无来源、仅有转载来源、缺日期、无成效数据、疑似重复等。

    “问题”须修正（有来源问题时退出码为 1）；“待核实”“提示”列出供编辑逐条处理。"""
    from ..cases.audit import ERROR, audit_cases

    console = _out()
    cases = _cases_of(file, console)
    report = audit_cases(cases, duplicates=not no_duplicates)
    errors = report.count(ERROR)
    if as_json:
        _dump(report.to_json())
        raise typer.Exit(1 if errors else 0)
    for case_id, found in report.by_case().items():
        console.print(f"{case_id}", markup=False)
        for f in found:
            console.print(f"  [{f.severity}] {f.kind}：{f.message}", markup=False, soft_wrap=True)
    console.print(f"共 {report.total} 个案例，{len(report.by_case())} 个有待处理事项；"
                  f"来源问题 {report.source_problems}，问题 {errors}，"
                  f"待核实 {report.count('待核实')}，提示 {report.count('提示')}", markup=False)
    for key, n in report.summary().items():
        console.print(f"  {key} {n}", markup=False)
    raise typer.Exit(1 if errors else 0)
