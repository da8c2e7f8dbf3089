"""Filter values are validated once, for every backend (Milvus would refuse control characters)."""

from __future__ import annotations

import pytest

from zhili.retrieval.filters import Filters


@pytest.mark.parametrize("value", ["浙\x00江", "江\x1b苏", "省" * 41])
def test_odd_province_values_are_refused_with_a_clear_message(value: str) -> None:
    with pytest.raises(ValueError, match="province 的取值无效"):
        Filters(province=[value])


def test_blank_values_are_no_filter_and_edges_are_trimmed() -> None:
    assert Filters(province=["", "  ", "江苏\n"]).province == ["江苏"]
    assert Filters(province=[" "]).is_empty()


def test_ordinary_and_quote_bearing_provinces_pass_through() -> None:
    # quotes are legal text here; each backend escapes them in its own query language
    assert Filters(province=["浙江", "四川'\" or 1=1"]).province == ["浙江", "四川'\" or 1=1"]


def test_unknown_level_and_reversed_years_are_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        Filters(level=["宇宙"])
    with pytest.raises(ValueError, match="年份范围无效"):
        Filters(year_from=2024, year_to=2020)
