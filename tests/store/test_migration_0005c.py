"""Migration 0005c (rule drafts; why/how each rule version was published) on a database left at
0004f with a recorded rule version in it; and back down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from zhili.config import DATA_DIR
from zhili.store import Store, migrate
from zhili.store.schema import make_engine


def test_a_0004f_database_keeps_its_rule_versions_as_folder_records(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0004f")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rule_versions (fingerprint, created_at, \"user\", packs, files) "
                          "VALUES ('abc', CURRENT_TIMESTAMP, 'admin', '[]', '{}')"))
    assert "rule_drafts" not in inspect(engine).get_table_names()
    engine.dispose()
    with Store.open(db_url, seed=False) as store:  # opening migrates to the head
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
        (old,) = store.rule_versions.list()
        assert (old.user, old.origin, old.note, old.approved_by) == ("admin", "folder", "", None)
        assert store.rule_versions.latest() == (old.id, "folder")  # the folder still serves
        draft = store.rule_drafts.create("editor", {"01-classify/pack.json": "{}"})
        assert store.rule_drafts.get(draft.id).status == "editing"


def test_0005c_downgrades_to_0004f_and_back(db_url: str) -> None:
    with Store.open(db_url, seed=False) as store:
        store.rule_drafts.create("editor", {"01-classify/pack.json": "{}"})
        version = store.rule_versions.publish(DATA_DIR / "rules", "editor", "测试")
        migrate.downgrade(store.engine, "0004f")
        assert "rule_drafts" not in inspect(store.engine).get_table_names()
        assert "origin" not in {c["name"] for c in inspect(store.engine).get_columns("rule_versions")}
    with Store.open(db_url, seed=False) as store:
        assert store.rule_drafts.list() == []
        (kept,) = store.rule_versions.list()
        assert kept.id == version.id and kept.origin == "folder"  # kept as a plain record
