"""Model-based test of the review queue (hypothesis state machine): accept / reject / release /
edit / publish / delete in any order, checked after every step against a plain model of what each
draft's state and its row in `cases` must be."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from make_docs import compilation_docx, library_cases

from zhili.cases.model import Case
from zhili.ingest.pipeline import analyse, case_fields
from zhili.ingest.service import ReviewError
from zhili.service import Service

CASES = library_cases(3)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("model-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    service = Service.open(f"sqlite:///{home / 'zhili.db'}")
    service.store.cases.delete([c["id"] for c in CASES], user="setup")
    data = compilation_docx(CASES)
    result = analyse(data, "汇编.docx")
    yield service, {**result, "content": data}
    service.close()
    mp.undo()


def test_review_queue_matches_the_model(setup) -> None:
    service, doc = setup
    ids = [c["case"]["id"] for c in doc["cases"]]

    class Review(RuleBasedStateMachine):
        @initialize(held=st.sets(st.sampled_from(ids), max_size=1))
        def ingest(self, held: set[str]) -> None:
            cases = {i["case"]["id"]: Case.model_validate(case_fields(i["case"])) for i in doc["cases"]}
            self.batch = service.store.ingest.save_batch("模型", "甲", [doc], cases, held)
            self.state = {i: ("held" if i in held else "draft") for i in ids}
            self.sourced = {i: False for i in ids}
            self.deleted = False

        def _live(self, i: str) -> bool:
            return not self.deleted and self.state[i] not in ("published",)

        @rule(i=st.sampled_from(ids))
        def accept(self, i: str) -> None:
            if self.deleted:
                return
            if self.state[i] in ("held", "published"):
                with pytest.raises(ReviewError):
                    service.ingest.accept(i, "乙")
                return
            service.ingest.accept(i, "乙")
            self.state[i] = "accepted"

        @rule(i=st.sampled_from(ids))
        def reject(self, i: str) -> None:
            if self.deleted or self.state[i] == "published":
                return
            service.ingest.reject(i, "乙")
            self.state[i] = "rejected"

        @rule(i=st.sampled_from(ids))
        def release(self, i: str) -> None:
            if self.deleted:
                return
            if self.state[i] in ("held", "rejected"):
                service.ingest.release(i, "乙")
                self.state[i] = "draft"
            else:
                with pytest.raises(ReviewError):
                    service.ingest.release(i, "乙")

        @rule(i=st.sampled_from(ids))
        def add_source(self, i: str) -> None:
            if self.deleted or self.state[i] not in ("draft", "accepted", "rejected"):
                return
            service.ingest.edit(i, {"source": {"title": "选编"}}, "乙")
            self.sourced[i] = True
            if self.state[i] == "rejected":
                self.state[i] = "draft"

        @rule()
        def publish(self) -> None:
            if self.deleted:
                return
            todo = [i for i in ids if self.state[i] == "accepted"]
            unreviewed = any(self.state[i] == "draft" for i in ids)
            if unreviewed or not todo or not all(self.sourced[i] for i in todo):
                with pytest.raises(ReviewError):
                    service.ingest.publish(self.batch, "丙")
                return
            service.ingest.publish(self.batch, "丙")
            for i in todo:
                self.state[i] = "published"

        @rule()
        def delete(self) -> None:
            if self.deleted:
                return
            service.ingest.delete(self.batch, "丙")
            self.deleted = True

        @invariant()
        def store_matches_model(self) -> None:
            for i in ids:
                rec = service.store.cases.get_record(i)
                draft = service.store.ingest.draft(i)
                if self.deleted:
                    assert draft is None
                    assert (rec is not None) == (self.state[i] == "published")
                    continue
                assert draft is not None and draft.state == self.state[i]
                want = {"draft": "draft", "accepted": "draft", "published": "published"}.get(self.state[i])
                assert (rec.status if rec else None) == want
                if rec is not None and self.sourced[i]:
                    assert rec.case.source.title == "选编"

        def teardown(self) -> None:
            if not self.deleted:
                service.ingest.delete(self.batch, "清理")
            service.store.cases.delete(ids, user="清理")

    Review.TestCase.settings = settings(max_examples=10, stateful_step_count=8, deadline=None,
                                        suppress_health_check=list(HealthCheck))
    Review.TestCase().runTest()
