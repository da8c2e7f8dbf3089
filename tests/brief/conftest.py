"""Real answers from the real engine on the bundled library (shipped vectors: nothing embedded)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from zhili.answer import Answer
from zhili.cases import case_from_record
from zhili.config import BUNDLED_CASES
from zhili.engine import Engine
from zhili.wiring import cases_engine

# A work order as it arrives from the 12345 hotline: personal data inside, plus an injection attempt.
WORK_ORDER = (
    "来电人张建国，身份证号110105198001011234，手机13812345678，住址：幸福小区3号楼2单元501室。"
    "反映老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果。<script>alert('x')</script>"
)
PERSONAL = ("张建国", "110105198001011234", "13812345678", "501室", "3号楼")


@pytest.fixture(scope="package")
def personal() -> tuple[str, ...]:
    """Fragments of WORK_ORDER's personal data that must never appear in a brief."""
    return PERSONAL


@pytest.fixture(scope="package")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home = tmp_path_factory.mktemp("brief-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    mp.delenv("ZHILI_DB_URL", raising=False)
    lines = BUNDLED_CASES.read_text(encoding="utf-8").splitlines()
    cases = [case_from_record(json.loads(line)) for line in lines if line.strip()]
    yield cases_engine(cases, home / "index")
    mp.undo()


@pytest.fixture(scope="package")
def answer(engine: Engine) -> Answer:
    return engine.recommend(WORK_ORDER, top_k=5)


@pytest.fixture(scope="package")
def no_fit_answer(engine: Engine) -> Answer:
    # no case fits (烧烤油烟 has 城管 cases since the library grew to 1,000; 高空抛物 has none —
    # "…砸坏了楼下的车" meets the 渣土车抛洒 cases since the kinds growth, see test_verdict.py)
    ans = engine.recommend("楼上邻居高空抛物", top_k=3)
    assert ans.no_fit
    return ans


@pytest.fixture(scope="package")
def high_risk_answer(engine: Engine) -> Answer:
    ans = engine.recommend("县里要征收我们村的耕地修高速公路，村民对补偿安置方案有意见", top_k=3)
    assert ans.risk is not None and ans.risk.level == "高"
    return ans


@pytest.fixture(scope="package")
def plain_answer(engine: Engine) -> Answer:
    """Without rules: no routing, risk or classification."""
    return engine.recommend("小区物业跑路了，垃圾没人清", top_k=2, use_rules=False)


@pytest.fixture(scope="package")
def empty_answer(engine: Engine) -> Answer:
    ans = engine.recommend("小区物业跑路了", top_k=3, filters={"province": ["不存在的省"]})
    assert ans.results == []
    return ans
