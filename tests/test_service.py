"""Service: the engine follows the database (own writes at once, other processes' on the next
request), queries are logged masked, and a swap never disturbs an engine already in use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhili.cases import Case
from zhili.engine import EmptyLibraryError
from zhili.service import Service
from bundled import BUNDLED

UNIQUE = "鹊桥议事茶话会化解晾衣杆纠纷"


def _case(cid: str, title: str = UNIQUE) -> Case:
    return Case(id=cid, title=title, province="浙江", level="村社区", problem=title,
                practice=f"{title}：建立议事会，逐户协商。", domains=["议事协商"],
                source={"publisher": "测试用来源", "title": title})


@pytest.fixture
def service(db_url: str, zhili_home: Path):
    with Service.open(db_url) as svc:
        yield svc


def test_recommend_logs_the_masked_query(service: Service) -> None:
    text = "电话13812345678的居民反映：老旧小区加装电梯，一楼坚决反对"
    query_id, answer = service.recommend(text, top=4, filters={"province": ["上海"]}, user="editor")
    record = service.store.queries.get(query_id)
    assert "13812345678" not in record.text and "138****5678" in record.text
    assert record.user == "editor" and record.province == "上海"
    assert record.top_case_ids == [r.case_id for r in answer.results] and len(answer.results) <= 4
    assert service.state.cases == BUNDLED and service.state.revision == service.store.cases.revision()


def test_own_writes_are_searchable_after_refresh(service: Service) -> None:
    before = service.engine()
    service.store.cases.create(_case("t-own"), user="e", status="published")
    after = service.refresh()
    assert after is not before
    assert service.recommend(UNIQUE, top=1)[1].results[0].case_id == "t-own"
    # the engine a request already holds keeps answering from the library it started with
    assert before.recommend(UNIQUE, top_k=3).results[0].case_id != "t-own"
    service.store.cases.set_status("t-own", "draft", user="e")
    assert "t-own" not in [r.case_id for r in service.recommend(UNIQUE, top=5)[1].results]
    assert service.engine() is service.engine()  # no change, no rebuild


def test_writes_by_another_process_are_noticed(service: Service, db_url: str, tmp_path: Path) -> None:
    service.engine()
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps(_case("t-other").model_dump(mode="json"), ensure_ascii=False) + "\n",
                    encoding="utf-8")
    env = {**os.environ, "ZHILI_DB_URL": db_url}
    zhili = Path(sys.executable).with_name("zhili")  # the installed command, in its own process
    done = subprocess.run([str(zhili), "cases", "import", str(path)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert service.recommend(UNIQUE, top=1)[1].results[0].case_id == "t-other"


def test_a_library_emptied_elsewhere_is_an_error_not_a_stale_answer(service: Service) -> None:
    service.engine()
    for cid in service.store.cases.ids():
        service.store.cases.set_status(cid, "draft", user="e")
    with pytest.raises(EmptyLibraryError):
        service.recommend("加装电梯")


def test_readers_keep_answering_while_a_rebuild_is_under_way(service: Service) -> None:
    old = service.engine()
    service.store.cases.create(_case("t-busy"), user="e", status="published")
    with service._reload:  # a (long) rebuild holds this lock in another thread
        assert service.engine() is old  # answered at once from the engine in service
    assert service.engine() is not old
    assert service.recommend(UNIQUE, top=1)[1].results[0].case_id == "t-busy"


def test_large_library_layout_follows_the_store_too(db_url: str, zhili_home: Path) -> None:
    """Above `ann_threshold` the engine streams from the store into the memory-mapped layout;
    edits still reach it at once (here the threshold is lowered so the bundled library counts as large)."""
    (zhili_home / "zhili.toml").write_text("[match]\nann_threshold = 100\n", encoding="utf-8")
    with Service.open(db_url) as service:
        assert service.recommend("加装电梯 一楼反对", top=3)[1].results
        assert service.state.cases == BUNDLED and not service.state.incremental
        # the large layout keeps the cases on disk beside the index instead of in memory
        assert (zhili_home / "index" / "library" / "cases.jsonl").is_file()
        service.store.cases.create(_case("t-large"), user="e", status="published")
        service.refresh()
        assert service.state.incremental and service.state.cases == BUNDLED + 1
        assert service.recommend(UNIQUE, top=1)[1].results[0].case_id == "t-large"


def test_provinces_are_those_of_published_cases(service: Service) -> None:
    """The search page's province list: published cases only, no empty name, following the
    store's revision (cached in between) without building the engine."""
    first = service.provinces()
    assert "浙江" in first and "" not in first and "澳门" not in first
    assert service._engine is None  # read from the store, not from the engine
    service.store.cases.create(_case("t-macau").model_copy(update={"province": "澳门"}), user="e")
    assert "澳门" not in service.provinces()  # a draft is not matched
    service.store.cases.set_status("t-macau", "published", user="e")
    assert "澳门" in service.provinces()
    service.store.cases.set_status("t-macau", "draft", user="e")
    assert service.provinces() == first
