"""Malformed packs are rejected with the file, table, row and column of each problem."""

from __future__ import annotations

import json

import pytest

from zhili.rules import RuleCheckError, RuleSet, check_dir

from rules_helpers import column_id, row

ROUTING = "02-routing"
ROUTING_FILE = "02-routing/routing.json"


def _errors(root):
    _, problems = check_dir(root)
    return [p for p in problems if p.severity == "error"]


def _only_error(root):
    errors = _errors(root)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_unparseable_cell_is_located(rules_copy, edit_table):
    def breaks(c):
        row(c, "物业撤场")[column_id(c, "问题主体")] = 'contains($, "物业"'  # missing bracket
    edit_table(rules_copy, ROUTING, "牵头与配合", breaks)
    err = _only_error(rules_copy)
    assert (err.file, err.node, err.row, err.cell) == (ROUTING_FILE, "牵头与配合", "物业撤场", "问题主体")
    assert "无法解析" in err.message
    with pytest.raises(RuleCheckError) as exc:
        RuleSet.load(rules_copy)
    assert exc.value.problems[0].row == "物业撤场"
    assert "02-routing/routing.json / 表“牵头与配合” / 行 物业撤场 / 列“问题主体”" in str(exc.value)


def test_unquoted_output_text_is_rejected(rules_copy, edit_table):
    def breaks(c):
        row(c, "物业撤场")[column_id(c, "牵头单位")] = "街道办事处"  # text without quotes
    edit_table(rules_copy, ROUTING, "牵头与配合", breaks)
    err = _only_error(rules_copy)
    assert (err.row, err.cell) == ("物业撤场", "牵头单位") and "双引号" in err.message


def test_cell_that_validates_but_never_matches_is_caught(rules_copy, edit_table):
    """zen accepts parentheses in a column with a field, then fails silently at run time."""
    cell = '(contains($, "物业") and contains($, "撤"))'
    import zen
    assert zen.validate_unary_expression(cell) is None  # the trap: validation says fine
    edit_table(rules_copy, ROUTING, "牵头与配合",
               lambda c: row(c, "物业撤场").__setitem__(column_id(c, "问题主体"), cell))
    err = _only_error(rules_copy)
    assert err.row == "物业撤场" and "永远不会命中" in err.message


def test_bad_regex_is_caught(rules_copy, edit_table):
    edit_table(rules_copy, ROUTING, "牵头与配合",
               lambda c: row(c, "秸秆禁烧").__setitem__(column_id(c, "问题主体"), 'matches($, "秸秆[")'))
    err = _only_error(rules_copy)
    assert err.row == "秸秆禁烧" and "Invalid regular expression" in err.message


def test_unknown_hit_policy(rules_copy, edit_table):
    edit_table(rules_copy, ROUTING, "牵头与配合", lambda c: c.__setitem__("hitPolicy", "unique"))
    err = _only_error(rules_copy)
    assert err.node == "牵头与配合" and "unique" in err.message


def test_missing_output_field(rules_copy, edit_table):
    def drop_basis(c):
        c["outputs"] = [o for o in c["outputs"] if o["field"] != "routing.basis"]
    edit_table(rules_copy, ROUTING, "牵头与配合", drop_basis)
    err = _only_error(rules_copy)
    assert err.node == "牵头与配合" and "routing.basis" in err.message


def test_collect_table_without_output_path(rules_copy, edit_table):
    edit_table(rules_copy, "03-risk", "风险因素", lambda c: c.__setitem__("outputPath", None))
    err = _only_error(rules_copy)
    assert err.file == "03-risk/risk.json" and "输出路径" in err.message


def test_unknown_domain_value(rules_copy, edit_table):
    edit_table(rules_copy, "01-classify", "领域标签",
               lambda c: row(c, "停车治理-1").__setitem__(column_id(c, "领域"), '"停车管理"'))
    err = _only_error(rules_copy)
    assert (err.row, err.cell) == ("停车治理-1", "domain") and "停车管理" in err.message


def test_missing_row_id_and_pass_through(rules_copy, edit_table):
    def breaks(c):
        c["rules"][0]["_id"] = ""
        c["passThrough"] = False
    edit_table(rules_copy, "03-risk", "风险因素", breaks)
    messages = [e.message for e in _errors(rules_copy)]
    assert any("_id" in m for m in messages) and any("Pass through" in m for m in messages)


def test_bad_json_names_line(rules_copy):
    path = rules_copy / "03-risk" / "risk.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"nodes": [', '"nodes": [,', 1), encoding="utf-8")
    err = _only_error(rules_copy)
    assert err.file == "03-risk/risk.json" and "第 3 行" in err.message


def test_manifest_problems(rules_copy):
    (rules_copy / "05-leadership" / "pack.json").write_text('{"title": "四个引领"}', encoding="utf-8")
    err = _only_error(rules_copy)
    assert err.file == "05-leadership/pack.json" and "graph" in err.message


def test_and_or_mix_is_a_warning_not_an_error(rules_copy, edit_table):
    cell = 'contains($, "秸秆") or contains($, "焚烧") and contains($, "田")'
    edit_table(rules_copy, ROUTING, "牵头与配合",
               lambda c: row(c, "秸秆禁烧").__setitem__(column_id(c, "问题主体"), cell))
    packs, problems = check_dir(rules_copy)
    assert len(packs) == 5 and not [p for p in problems if p.severity == "error"]
    warning = next(p for p in problems if p.row == "秸秆禁烧")
    assert "从左到右" in warning.message
    RuleSet.load(rules_copy)  # warnings do not block loading


def test_unknown_input_field_is_flagged(rules_copy, edit_table):
    def typo(c):
        next(col for col in c["inputs"] if col["name"] == "问题主体")["field"] = "focus_txt"
    edit_table(rules_copy, ROUTING, "牵头与配合", typo)
    errors = _errors(rules_copy)
    assert any("focus_txt" in e.message for e in errors)


def test_problems_serialise(rules_copy, edit_table):
    edit_table(rules_copy, ROUTING, "牵头与配合", lambda c: c.__setitem__("hitPolicy", "any"))
    data = _only_error(rules_copy).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["file"] == ROUTING_FILE
