"""Rule-pack versions on SQLite and PostgreSQL: fingerprint, files kept, broken packs refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from zhili.config import DATA_DIR
from zhili.rules import RuleSet
from zhili.rules.schema import RuleCheckError
from zhili.store import Store

BUNDLED_RULES = DATA_DIR / "rules"


def test_record_keeps_fingerprint_and_files(db_url: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(BUNDLED_RULES, rules)
    with Store.open(db_url, seed=False) as store:
        v1 = store.rule_versions.record(rules, "admin1")
        assert v1.fingerprint == RuleSet.load(rules).fingerprint and v1.user == "admin1"
        assert [p["id"] for p in v1.packs] == sorted(p.name for p in rules.iterdir() if (p / "pack.json").is_file())
        assert store.rule_versions.record(rules, "admin2") == v1  # unchanged packs: no new version
        files = store.rule_versions.files(v1.id)
        assert files["01-classify/pack.json"] == (rules / "01-classify" / "pack.json").read_text(encoding="utf-8")

        pack = rules / "01-classify" / "pack.json"
        meta = json.loads(pack.read_text(encoding="utf-8"))
        meta["params"]["max_domains"] = 3
        pack.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        v2 = store.rule_versions.record(rules, "admin2")
        assert v2.id != v1.id and v2.fingerprint != v1.fingerprint
        assert [v.id for v in store.rule_versions.list()] == [v2.id, v1.id]
        assert store.rule_versions.files(v1.id)["01-classify/pack.json"] != store.rule_versions.files(v2.id)[
            "01-classify/pack.json"]

        pack.write_text("{ not json", encoding="utf-8")
        with pytest.raises(RuleCheckError):
            store.rule_versions.record(rules, "admin3")
        assert len(store.rule_versions.list()) == 2
        assert store.rule_versions.files(999) == {}
