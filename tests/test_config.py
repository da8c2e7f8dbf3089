"""Settings come from $ZHILI_HOME/zhili.toml; a typo in a key is an error, not silently ignored."""

import pytest

from zhili.config import MatchSettings


def test_defaults_without_a_file(zhili_home):
    s = MatchSettings.load()
    assert s.fusion == "weighted" and s.w_rules > 0 and s.segmentation == "search"


def test_file_overrides_defaults(zhili_home):
    (zhili_home / "zhili.toml").write_text('[match]\nw_rules = 0.5\nsegmentation = "precise"\n', encoding="utf-8")
    s = MatchSettings.load()
    assert s.w_rules == 0.5 and s.segmentation == "precise"


def test_unknown_key_names_file_and_key(zhili_home):
    (zhili_home / "zhili.toml").write_text("[match]\nw_rule = 0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"zhili.toml.*w_rule"):
        MatchSettings.load()


def test_malformed_file_is_named(zhili_home):
    (zhili_home / "zhili.toml").write_text("[match\nw_rules = \n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"zhili.toml.*格式错误"):
        MatchSettings.load()


def test_fit_model_coefficients_can_be_overridden_one_by_one(zhili_home):
    (zhili_home / "zhili.toml").write_text("[match]\nfit_weights = { intercept = -1.5 }\n", encoding="utf-8")
    s, default = MatchSettings.load(), MatchSettings()
    assert s.fit_weights["intercept"] == -1.5
    assert {k: v for k, v in s.fit_weights.items() if k != "intercept"} == \
        {k: v for k, v in default.fit_weights.items() if k != "intercept"}
    assert default.fit_weights["intercept"] != -1.5  # the default table is not shared


def test_no_fit_threshold_is_a_probability(zhili_home):
    (zhili_home / "zhili.toml").write_text("[match]\nno_fit_threshold = 1.34\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no_fit_threshold.*0–1"):
        MatchSettings.load()
    (zhili_home / "zhili.toml").write_text("[match]\nno_fit_threshold = 0.6\ncaution_threshold = 0.4\n", encoding="utf-8")
    with pytest.raises(ValueError, match="caution_threshold.*0.6"):
        MatchSettings.load()
    (zhili_home / "zhili.toml").write_text("[match]\ncaution_threshold = 0.9\n", encoding="utf-8")
    assert MatchSettings.load().caution_threshold == 0.9
    (zhili_home / "zhili.toml").write_text('[match]\nmatch_weights = { score = "high" }\n', encoding="utf-8")
    with pytest.raises(ValueError, match="match_weights"):
        MatchSettings.load()
