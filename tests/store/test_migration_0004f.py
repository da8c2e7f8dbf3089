"""Migration 0004f (favourites) on a database left at 0003 with a user in it; and back down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from zhili.store import Store, migrate
from zhili.store.schema import make_engine


def test_a_0003_database_gets_favourites_and_keeps_its_users(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0003")
    assert "favorites" not in inspect(engine).get_table_names()
    engine.dispose()
    with Store.open(db_url) as store:  # opening migrates to the head
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
        assert "favorites" in inspect(store.engine).get_table_names()
        alice = store.users.create("alice", "correct horse", "viewer")
        assert store.favorites.add(alice.id, "case-0001") is True


def test_0004f_downgrades_to_0003_and_back(db_url: str) -> None:
    with Store.open(db_url) as store:
        alice = store.users.create("alice", "correct horse", "viewer")
        store.favorites.add(alice.id, "case-0002")
        migrate.downgrade(store.engine, "0003")
        assert "favorites" not in inspect(store.engine).get_table_names()
        with store.engine.connect() as conn:
            assert migrate.current(conn) == "0003"
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
    with Store.open(db_url) as store:
        assert store.favorites.list(alice.id) == []  # the table is back, empty
        assert store.users.authenticate("alice", "correct horse") == alice
