"""Model-based test of rule drafts and versions (issue 13), on SQLite and PostgreSQL.

Random sequences of create, save (own or someone else's, stale or current revision, clean or
broken content), submit, approve, discard, publish (with and without the second-approver
setting), restore and recording the rules folder go through `Service.rule_edits`, the code the
API, pages and CLI call. A plain-Python model replays every acknowledged operation from scratch;
after every step:

* every draft in the store (owner, state, revision, approver, content) equals the model's;
* the published versions (who, why, origin, approver, restored from, content) equal the model's;
* the running service answers with the content the newest version names, and so would a
  process starting now (`wiring.serving_rules_dir` read afresh);
* a refused operation changed nothing (the same comparisons).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import delete

from zhili import config, wiring
from zhili.ruleedit import files_hash, read_dir
from zhili.ruleedit.service import RuleEditError
from zhili.ruleedit.tables import apply_rows, graph_of
from zhili.service import Service
from zhili.store.rule_versions import RuleVersions
from zhili.store.schema import audit_table, rule_drafts_table, rule_versions_table

USERS = ("ed1", "ed2")
OPEN = ("editing", "submitted", "approved")
STEPS = {"sqlite": (4, 25), "postgresql": (2, 20)}


def small_rules(dest: Path) -> Path:
    """Two of the bundled packs without their examples: publishing checks stay fast."""
    for pack in ("01-classify", "02-routing"):
        shutil.copytree(config.rules_dir() / pack, dest / pack, ignore=shutil.ignore_patterns("tests.jsonl"))
    return dest


def variants(base: dict[str, str]) -> dict[str, dict[str, str]]:
    """Contents a draft can be given: the folder's, three different leads, and a broken cell."""
    graph = graph_of(base, "02-routing")[1]
    node = next(n for n in graph["nodes"] if n.get("id") == "routing")
    rows = node["content"]["rules"]
    out = {"base": base}
    for name in ("甲", "乙", "丙"):
        first = {**rows[0], "out_lead": f'"模型测试单位{name}"'}
        out[name] = apply_rows(base, "02-routing", "routing", [first, *rows[1:]])
    out["broken"] = apply_rows(base, "02-routing", "routing", [{**rows[0], "in_focus": 'contains($, "坏'}, *rows[1:]])
    return out


class DraftMachine(RuleBasedStateMachine):
    service: Service
    folder: Path
    contents: dict[str, dict[str, str]]

    def __init__(self) -> None:
        super().__init__()
        store = self.service.store
        with store.engine.begin() as conn:  # a fresh start for each run on the shared database
            conn.execute(delete(rule_drafts_table))
            conn.execute(delete(rule_versions_table))
            conn.execute(delete(audit_table).where(audit_table.c.kind == "rules"))
        self.key = {files_hash(v): k for k, v in self.contents.items()}
        self.drafts: dict[int, dict] = {}     # id → owner, status, revision, approved_by, content
        self.versions: list[dict] = []        # oldest first
        self.approval = False

    # ------------------------------------------------------------ helpers
    @property
    def serving(self) -> str:
        latest = self.versions[-1] if self.versions else None
        return latest["content"] if latest and latest["origin"] == "product" else "base"

    def _refused(self, fn, *args, status: int, **kw) -> None:
        with pytest.raises(RuleEditError) as err:
            fn(*args, **kw)
        assert err.value.status == status, (err.value.status, err.value.message)

    def _pick(self, data, open_only: bool = False) -> int | None:
        ids = sorted(i for i, d in self.drafts.items() if d["status"] in OPEN or not open_only)
        return data.draw(st.sampled_from(ids)) if ids else None

    def _record_folder(self, user: str, note: str) -> None:
        latest = self.versions[-1] if self.versions else None
        if latest and latest["origin"] == "folder" and latest["content"] == "base":
            return  # unchanged folder: the store returns the latest version
        self.versions.append({"user": user, "origin": "folder", "note": note, "content": "base",
                              "approved_by": None, "restored_from": None, "draft_id": None})

    def _published(self, user: str, note: str, content: str, **kw) -> None:
        if not self.versions or self.versions[-1]["origin"] == "folder":
            self._record_folder(user, "发布前使用的规则目录（自动保存，便于回退）")
        self.versions.append({"user": user, "origin": "product", "note": note, "content": content,
                              "approved_by": kw.get("approved_by"), "restored_from": kw.get("restored_from"),
                              "draft_id": kw.get("draft_id")})

    # ------------------------------------------------------------ operations
    @initialize(approval=st.booleans())
    def setting(self, approval: bool) -> None:
        self.approval = approval

    @rule(user=st.sampled_from(USERS))
    def create(self, user: str) -> None:
        d = self.service.rule_edits.create_draft(user)
        assert d.id not in self.drafts
        self.drafts[d.id] = {"owner": user, "status": "editing", "revision": 1, "approved_by": None,
                             "content": self.serving}

    @precondition(lambda self: self.drafts)
    @rule(data=st.data(), user=st.sampled_from(USERS), content=st.sampled_from(("base", "甲", "乙", "丙", "broken")),
          stale=st.booleans())
    def save(self, data, user: str, content: str, stale: bool) -> None:
        did = self._pick(data)
        d = self.drafts[did]
        revision = d["revision"] - 1 if stale else d["revision"]
        call = (self.service.rule_edits.save_draft, did, user)
        kw = {"files": self.contents[content], "revision": revision}
        if user != d["owner"]:
            return self._refused(*call, status=403, **kw)
        if d["status"] not in OPEN or stale:
            return self._refused(*call, status=409, **kw)
        self.service.rule_edits.save_draft(*call[1:], **kw)
        d.update(status="editing", revision=d["revision"] + 1, approved_by=None, content=content)

    @precondition(lambda self: self.drafts)
    @rule(data=st.data(), user=st.sampled_from(USERS))
    def submit(self, data, user: str) -> None:
        did = self._pick(data)
        d = self.drafts[did]
        call = (self.service.rule_edits.submit, did, user)
        if user != d["owner"]:
            return self._refused(*call, status=403)
        if d["content"] == "broken" and d["status"] in OPEN:
            return self._refused(*call, status=422)
        if d["status"] != "editing":
            return self._refused(*call, status=409)
        call[0](*call[1:])
        d["status"] = "submitted"

    @precondition(lambda self: self.drafts)
    @rule(data=st.data(), user=st.sampled_from(USERS))
    def approve(self, data, user: str) -> None:
        did = self._pick(data)
        d = self.drafts[did]
        call = (self.service.rule_edits.approve, did, user)
        if user == d["owner"]:
            return self._refused(*call, status=403)
        if d["status"] != "submitted":
            return self._refused(*call, status=409)
        call[0](*call[1:])
        d.update(status="approved", approved_by=user)

    @precondition(lambda self: self.drafts)
    @rule(data=st.data(), user=st.sampled_from(USERS))
    def discard(self, data, user: str) -> None:
        did = self._pick(data)
        d = self.drafts[did]
        call = (self.service.rule_edits.discard, did, user)
        if user != d["owner"]:
            return self._refused(*call, status=403)
        if d["status"] not in OPEN:
            return self._refused(*call, status=409)
        call[0](*call[1:])
        d["status"] = "discarded"

    @precondition(lambda self: self.drafts)
    @rule(data=st.data(), user=st.sampled_from(USERS), note=st.sampled_from(("", "修改牵头单位", "回应12345工单")))
    def publish(self, data, user: str, note: str) -> None:
        did = self._pick(data)
        d = self.drafts[did]
        call = (self.service.rule_edits.publish, did, user, note)
        kw = {"require_approval": self.approval}
        if d["status"] not in OPEN:
            return self._refused(*call, status=409, **kw)
        approved_by = d["approved_by"] if d["status"] == "approved" else None
        if self.approval and approved_by is None:
            if d["owner"] == user:
                return self._refused(*call, status=403, **kw)
            if d["status"] != "submitted":
                return self._refused(*call, status=409, **kw)
            approved_by = user
        elif d["owner"] != user and d["status"] == "editing":
            return self._refused(*call, status=403, **kw)
        if d["content"] == "broken":
            return self._refused(*call, status=422, **kw)
        v = call[0](*call[1:], **kw)
        assert v.approved_by == approved_by
        self._published(user, note, d["content"], approved_by=approved_by, draft_id=did)
        d.update(status="published", approved_by=approved_by)

    @precondition(lambda self: self.versions)
    @rule(data=st.data(), user=st.sampled_from(USERS))
    def restore(self, data, user: str) -> None:
        stored = self.service.store.rule_versions.list()[::-1]  # oldest first, as the model
        i = data.draw(st.integers(0, len(stored) - 1))
        self.service.rule_edits.restore(stored[i].id, user, "回退")
        self._published(user, "回退", self.versions[i]["content"], restored_from=stored[i].id)

    @rule(user=st.sampled_from(USERS))
    def record_folder(self, user: str) -> None:
        """The old `POST /rules/versions`: the rules folder recorded, and serving again."""
        self.service.store.rule_versions.record(self.folder, user)
        self._record_folder(user, "")
        self.service.engine()

    # ------------------------------------------------------------ the comparisons
    @invariant()
    def drafts_match(self) -> None:
        stored = {d.id: d for d in self.service.store.rule_drafts.list(statuses=(*OPEN, "published", "discarded"))}
        assert set(stored) == set(self.drafts)
        for did, m in self.drafts.items():
            d = stored[did]
            assert (d.owner, d.status, d.revision, d.approved_by) == (m["owner"], m["status"], m["revision"], m["approved_by"])
            assert self.key[files_hash(d.files)] == m["content"]

    @invariant()
    def versions_match(self) -> None:
        store = self.service.store.rule_versions
        got = []
        for v in store.list()[::-1]:
            got.append({"user": v.user, "origin": v.origin, "note": v.note, "content": self.key[files_hash(store.files(v.id))],
                        "approved_by": v.approved_by, "restored_from": v.restored_from, "draft_id": v.draft_id})
        assert got == self.versions

    @invariant()
    def the_newest_version_serves(self) -> None:
        engine = self.service.engine()
        assert self.key[files_hash(read_dir(engine.rules.directory))] == self.serving
        fresh, _ = wiring.serving_rules_dir(RuleVersions(self.service.store.engine), self.folder)
        assert self.key[files_hash(read_dir(fresh))] == self.serving  # what a process starting now would load


def test_rule_drafts_and_versions_follow_the_model(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path / "home"))
    folder = small_rules(tmp_path / "rules")
    service = Service.open(db_url, index_dir=tmp_path / "index", rules_dir=folder)
    try:
        service.engine()
        DraftMachine.service, DraftMachine.folder = service, folder
        DraftMachine.contents = variants(read_dir(folder))
        runs, steps = STEPS["postgresql" if db_url.startswith("postgresql") else "sqlite"]
        run_state_machine_as_test(DraftMachine, settings=settings(
            max_examples=runs, stateful_step_count=steps, deadline=None, phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck)))
    finally:
        service.close()
