"""The `zhili` command: thin Typer layers over the library, one module per command group."""

from __future__ import annotations

import typer

from . import assess, cases, eval as eval_cmd, ingest, recommend, rules, serve, users

app = typer.Typer(
    name="zhili",
    help="zhili（治理）：基层治理实践案例匹配与决策辅助",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(cases.app, name="cases")
app.add_typer(rules.app, name="rules")
app.add_typer(users.app, name="users")
app.add_typer(assess.app, name="assess")
app.command("recommend")(recommend.recommend)
app.command("index")(recommend.index)
app.command("eval")(eval_cmd.eval_command)
app.command("serve")(serve.serve)
app.command("ingest")(ingest.ingest)
