"""Rich rendering of an answer for people at a terminal (JSON output lives elsewhere)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..answer import Answer, Result


def _highlight(text: str, field: str, result: Result, limit: int = 160) -> Text:
    out = Text(text[:limit] + ("…" if len(text) > limit else ""))
    for tm in result.matched_terms:
        for span in tm.spans:
            if span.field == field and span.end <= limit:
                out.stylize("bold yellow", span.start, span.end)
    return out


VERDICT_TITLES = {"no_fit": "提示：库中暂无高度匹配的案例", "off_topic": "提示：不属于基层治理问题",
                  "empty": "提示：没有符合筛选条件的案例"}
LEVEL_STYLES = {"高": "bold green", "中": "yellow", "低": "red"}


def render_answer(answer: Answer, console: Console) -> None:
    head = Text(f"问题：{answer.query}\n", style="bold")
    head.append(f"检索词：{'、'.join(dict.fromkeys(answer.terms)) or '（无）'}\n", style="dim")
    if answer.filters:
        head.append(f"筛选条件：{answer.filters}\n", style="dim")
    head.append(f"候选案例 {answer.candidates} 个")
    if answer.verdict in ("fit", "no_fit"):
        head.append(f"，库中有合适案例的把握 {round(100 * answer.fit_score)}%", style="dim")
    console.print(Panel(head, title="zhili 案例推荐", border_style="cyan"))
    if answer.verdict != "fit":
        console.print(Panel(answer.message, border_style="red",
                            title=VERDICT_TITLES.get(answer.verdict, "提示")))
    elif answer.caution:
        console.print(Text(f"提示：{answer.message}", style="yellow"))
    if answer.rules_used:
        _render_rules(answer, console)
    for r in answer.results:
        console.print(_result_panel(r))
    if answer.results:
        dims = Table(title="按“四个引领”归类", show_lines=False)
        dims.add_column("维度")
        dims.add_column("案例")
        for dim, ids in answer.by_dimension.items():
            dims.add_row(dim, "、".join(ids) or "—")
        console.print(dims)


def _result_panel(r: Result) -> Panel:
    meta = f"{r.place or '—'} · {r.level or '—'} · {r.year or '年份不详'} · {'、'.join(r.leadership)}"
    body = Text()
    if r.match is not None:
        body.append(f"匹配度{r.match.level}（{r.match.percent}%）", style=LEVEL_STYLES.get(r.match.level, ""))
        body.append(f"：{r.match.explanation}\n")
    body.append(meta + "\n", style="dim")
    body.append("问题：")
    body.append_text(_highlight(r.problem, "problem", r))
    body.append("\n做法：")
    body.append_text(_highlight(r.practice, "practice", r))
    if r.outcomes:
        body.append("\n成效：" + "；".join(o.text or f"{o.metric}{o.value}{o.unit}" for o in r.outcomes),
                    style="green")
    if r.mechanisms:
        body.append("\n机制：" + "、".join(r.mechanisms))
    names = {"bm25": "BM25", "dense": "语义", "domain_feedback": "领域反馈"}
    methods = "，".join(
        f"{names.get(k, k)} 第{v.rank}名({v.score:.3f})" if v.rank else f"{names.get(k, k)} +{v.score:.3f}"
        for k, v in r.methods.items())
    body.append(f"\n详情：融合得分 {r.score:.3f}（{methods}", style="dim")
    if r.rules:
        body.append(f"，规则 {r.rules.contribution:+.3f}", style="dim")
    body.append("）", style="dim")
    if r.matched_terms:
        body.append("\n命中词：" + "、".join(t.term for t in r.matched_terms), style="dim")
    src = r.source.cited + (f"  {r.source.link}" if r.source.link else "")  # a repost's URL is not shown
    body.append(f"\n来源：{src or '—'}", style="dim")
    level = f"  匹配度 {r.match.level} {r.match.percent}%" if r.match is not None else ""
    title = f"{r.rank}. {r.title}  [{r.case_id}]{level}" + ("  （弱匹配）" if r.weak else "")
    return Panel(body, title=title, title_align="left", border_style="red" if r.weak else "green")


def _render_rules(answer: Answer, console: Console) -> None:
    parts = []
    cls = answer.classification or {}
    if cls.get("domains"):
        parts.append(Text(f"问题分类：{'、'.join(cls['domains'])}  场景：{cls.get('setting') or '—'}"
                          f"  紧急程度：{cls.get('urgency') or '—'}"))
    if answer.routing:
        rt = answer.routing
        parts.append(Text(f"牵头：{rt.get('lead') or '—'}；配合：{'、'.join(rt.get('supporting') or []) or '—'}"
                          f"\n依据：{rt.get('basis') or '—'}"))
    if answer.risk:
        rk = answer.risk
        style = {"高": "bold red", "中": "yellow"}.get(rk.get("level"), "green")
        kind = rk.get("kind") or ""
        steps = "处置步骤" if kind == "矛盾纠纷" else "必经程序"
        parts.append(Text(f"风险等级：{rk.get('level')}{'（' + kind + '）' if kind else ''}  "
                          f"{steps}：{'、'.join(rk.get('procedures') or []) or '—'}"
                          f"\n原因：{'；'.join(rk.get('reasons') or []) or '—'}", style=style))
    for dim, mechs in (answer.suggestions or {}).items():
        if mechs:
            parts.append(Text(f"{dim}：{'、'.join(mechs)}"))
    if answer.rule_trace:
        parts.append(Text(f"触发规则 {len(answer.rule_trace)} 条（--json 查看完整轨迹）", style="dim"))
    if parts:
        console.print(Panel(Group(*parts), title="规则研判（权责清单 · 风险评估 · 四个引领）",
                            border_style="magenta"))
