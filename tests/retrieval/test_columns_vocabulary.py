"""Facet columns saved before the domain vocabulary grew (33 domains, before 城市管理与执法) still load."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zhili.cases import DOMAINS, Case
from zhili.retrieval.columns import Columns
from zhili.retrieval.filters import Filters


def test_an_index_saved_with_fewer_domains_loads_padded(tmp_path: Path) -> None:
    cases = [Case(id="a", title="t", domains=["物业管理"]), Case(id="b", title="t", domains=["城市管理与执法"])]
    cols = Columns.build(cases)
    cols.save(tmp_path)
    old = np.load(tmp_path / "domains.npy")[:, : DOMAINS.index("城市管理与执法")]  # as an older build wrote it
    np.save(tmp_path / "domains.npy", old)
    loaded = Columns.load(tmp_path)
    assert loaded.domains.shape == (2, len(DOMAINS))
    assert loaded.domains[0, DOMAINS.index("物业管理")] == 1 and loaded.domains[:, -1].tolist() == [0, 0]
    assert loaded.mask(Filters(domain=["物业管理"])).tolist() == [True, False]
    assert loaded.mask(Filters(domain=["城市管理与执法"])).tolist() == [False, False]  # unknown to the old file
    assert loaded.concat(Columns.build(cases[1:])).mask(Filters(domain=["城市管理与执法"])).tolist() == [
        False, False, True]
