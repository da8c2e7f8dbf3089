"""Facet masks: the cases a rule boost or filter names."""

import pytest

from zhili.retrieval.facets import FACETS, FacetIndex
from zhili.rules.schema import FACETS as RULE_FACETS


def test_masks_select_the_right_cases(bundled_cases):
    idx = FacetIndex(bundled_cases)
    m = idx.mask("domain", "加装电梯")
    assert m.sum() == sum("加装电梯" in c.domains for c in bundled_cases) > 0
    assert idx.mask("level", "村社区").sum() == sum(c.level == "村社区" for c in bundled_cases)
    assert idx.mask("mechanism", "议事").sum() >= idx.mask("mechanism", "议事协商").sum() > 0
    assert idx.mask("domain", "加装电梯") is m  # computed once per library


def test_unknown_facet_is_named():
    with pytest.raises(ValueError, match="city"):
        FacetIndex([]).mask("city", "杭州")


def test_rules_and_engine_share_one_facet_list():
    assert RULE_FACETS == FACETS
