"""`zhili index`, the search page and the case page on the two libraries that are not held in
memory as Case objects: the memory-mapped large layout (ann_threshold lowered so the 223 bundled
cases count as large) and a Milvus collection (milvus-lite file). Both once crashed or read
every case here (`engine.index` / `engine.cases` were None or lazy)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from zhili.cases import Case
from zhili.cli import app as cli
from zhili.retrieval.backend import SearchBackend
from bundled import BUNDLED

SETTINGS = {
    "large": "[match]\nann_threshold = 100\n",
    "milvus": '[match]\nbackend = "milvus"\nmilvus_uri = "{home}/milvus.db"\n',
}
STORAGE = {"large": "流式存盘、内存映射", "milvus": "Milvus 集合 zhili_cases"}
NEW = Case(id="t-macau-1", title="澳门社区“邻里互助站”化解噪音纠纷", province="澳门", level="村社区", year=2024,
           problem="楼上装修噪音扰民，邻里多次争吵。", practice="社区设邻里互助站，约定施工时段并上门调解。",
           domains=["矛盾纠纷调解"], leadership=["机制引领"], mechanisms=["邻里互助站"])


@dataclass
class Workspace:
    kind: str
    home: Path


@pytest.fixture(scope="module", params=["large", "milvus"])
def workspace(request, tmp_path_factory) -> Iterator[Workspace]:
    if request.param == "milvus":
        pytest.importorskip("pymilvus")
    home = tmp_path_factory.mktemp(f"front-{request.param}")
    (home / "zhili.toml").write_text(SETTINGS[request.param].format(home=home), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    mp.delenv("ZHILI_DB_URL", raising=False)
    mp.delenv("ZHILI_RULES_DIR", raising=False)
    yield Workspace(request.param, home)
    mp.undo()


def test_zhili_index_reports_the_library(workspace: Workspace) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["index"])
    assert first.exit_code == 0, first.output
    text = first.output.replace("\n", "")  # rich wraps at the runner's 80 columns
    assert f"案例 {BUNDLED} 个" in text and STORAGE[workspace.kind] in text and "检索方式" in text
    again = runner.invoke(cli, ["index"])
    assert again.exit_code == 0, again.output
    text = again.output.replace("\n", "")
    assert "直接复用" in text and f"案例 {BUNDLED} 个" in text and "新分词 0 个" in text


@pytest.fixture(scope="module")
def site(workspace: Workspace) -> Iterator[tuple[TestClient, object]]:
    from zhili.app import create_app
    from zhili.service import Service

    service = Service.open(f"sqlite:///{workspace.home / 'zhili.db'}")
    engine = service.engine()
    assert isinstance(engine.backend, SearchBackend) and engine.backend.name == (
        "milvus" if workspace.kind == "milvus" else "embedded")
    assert not engine.in_memory
    with TestClient(create_app(service)) as client:
        yield client, service
    service.close()


def _provinces(html: str) -> list[str]:
    select = re.search(r'<select name="province">(.*?)</select>', html, re.S).group(1)
    return [p for p in re.findall(r'<option value="([^"]*)"', select) if p]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_search_page_lists_provinces_and_answers(site) -> None:
    client, service = site
    page = client.get("/")
    assert page.status_code == 200
    shown = _provinces(page.text)
    assert shown[:3] == ["北京", "天津", "河北"] and "西藏" in shown and "澳门" not in shown
    r = client.post("/", data={"q": "老旧小区加装电梯，一楼住户反对", "csrf_token": _csrf(page.text)})
    assert r.status_code == 200 and 'data-testid="result"' in r.text


def test_case_page_shows_the_case_and_similar_ones(site) -> None:
    client, _ = site
    r = client.get("/cases/case-0002")
    assert r.status_code == 200
    assert "街乡吹哨" in r.text and 'data-testid="similar"' in r.text


def test_a_case_added_later_is_searchable_and_its_province_listed(site, workspace: Workspace) -> None:
    """Served incrementally (the delta, or the shared collection), not by a rebuild: its province
    must reach the filter list and the case its page and the results all the same."""
    client, service = site
    service.store.cases.create(NEW, user="editor", status="published")
    service.refresh()
    assert service.state.incremental and service.state.cases == BUNDLED + 1
    assert "澳门" in _provinces(client.get("/").text)
    page = client.get("/")
    r = client.post("/", data={"q": "邻里互助站 装修噪音", "province": "澳门", "csrf_token": _csrf(page.text)})
    assert r.status_code == 200 and f'data-case="{NEW.id}"' in r.text
    assert client.get(f"/cases/{NEW.id}").status_code == 200
    if workspace.kind == "large":
        assert service.engine().backend.describe().delta == 1
