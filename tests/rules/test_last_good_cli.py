"""Across CLI calls, a broken rules edit is reported and the last good packs keep answering."""

import json

from typer.testing import CliRunner

from rules_helpers import column_id, row
from zhili.cli import app


def routing_lead(runner, text):
    res = runner.invoke(app, ["recommend", text, "--json", "--top", "1"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["routing"]["lead"], res.stderr


def test_broken_edit_keeps_last_good_rules(rules_copy, edit_table, zhili_home, monkeypatch):
    monkeypatch.setenv("ZHILI_RULES_DIR", str(rules_copy))
    runner = CliRunner()
    text = "小区物业撤场了，没人管"
    lead, warn = routing_lead(runner, text)
    assert lead == "街道办事处" and "规则包检查未通过" not in warn

    def breaks(c):
        r = row(c, "物业撤场")
        r[column_id(c, "问题主体")] = 'contains($, "物业"'
        r[column_id(c, "牵头单位")] = '"社区居委会"'
    edit_table(rules_copy, "02-routing", "牵头与配合", breaks)
    lead, warn = routing_lead(runner, text)
    assert lead == "街道办事处"
    assert "上一次通过检查的规则" in warn and "02-routing/routing.json" in warn and "物业撤场" in warn

    check = runner.invoke(app, ["rules", "check", str(rules_copy)])
    assert check.exit_code == 1 and "物业撤场" in check.output


def test_broken_rules_without_a_good_copy_fail_clearly(rules_copy, edit_table, zhili_home, monkeypatch):
    monkeypatch.setenv("ZHILI_RULES_DIR", str(rules_copy))
    edit_table(rules_copy, "02-routing", "牵头与配合",
               lambda c: row(c, "物业撤场").__setitem__(column_id(c, "问题主体"), 'contains($, "物业"'))
    res = CliRunner().invoke(app, ["recommend", "物业撤场", "--json"])
    assert res.exit_code == 2 and "02-routing/routing.json" in res.output
