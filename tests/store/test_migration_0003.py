"""Migration 0003 (accounts) on a database left at 0002 with users, tokens and audit rows in it."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import inspect, text

from zhili.cases import Case
from zhili.store import Store, migrate
from zhili.store.schema import SCHEMA_VERSION, make_engine
from zhili.store.users import _hasher, token_hash

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
OLD_TOKEN = "zhili_" + "t" * 43


def _at_0002(url: str, case: Case) -> None:
    """A database migrated to 0002 only, holding what a 0002 build would have written."""
    engine = make_engine(url)
    migrate.upgrade(engine, "0002")
    hashed = _hasher.hash("old-password")
    with engine.begin() as conn:
        for uid, name, role in ((1, "admin", "admin"), (2, "Admin", "editor"), (3, "ｅｄｉｔｏｒ", "editor")):
            conn.execute(text("INSERT INTO users (id, username, password_hash, role, active, created_at) "
                              "VALUES (:i, :n, :h, :r, :a, :t)"),
                         {"i": uid, "n": name, "h": hashed, "r": role, "a": True, "t": AT})
        conn.execute(text("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (1, 'old', :h, :t)"),
                     {"h": token_hash(OLD_TOKEN), "t": AT})
        conn.execute(text('INSERT INTO audit_log (case_id, action, "user", at) VALUES (:c, \'create\', \'admin\', :t)'),
                     {"c": case.id, "t": AT})
    engine.dispose()


def test_a_0002_database_upgrades_with_its_users_tokens_and_audit(db_url: str, bundled_cases: list[Case]) -> None:
    _at_0002(db_url, bundled_cases[0])
    with Store.open(db_url, seed=False) as store:
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
            keys = dict(conn.execute(text("SELECT username, username_key FROM users")).all())
        # look-alikes that already existed keep working: the younger one gets a key no name can have
        assert keys == {"admin": "admin", "Admin": "admin#2", "ｅｄｉｔｏｒ": "editor"}
        assert "user_sessions" in inspect(store.engine).get_table_names()
        users = store.users
        assert users.authenticate("Admin", "old-password").role == "editor"  # exact name first
        assert users.authenticate("admin", "old-password").role == "admin"
        assert users.authenticate("EDITOR", "old-password").username == "ｅｄｉｔｏｒ"  # by key
        old = users.user_for_token(OLD_TOKEN)
        assert old is not None and old.username == "admin"
        assert users.tokens(1)[0].expires_at is None  # issued before expiry existed: still valid
        assert [e.kind for e in store.audit.history(bundled_cases[0].id)] == ["case"]
        assert store.cases.meta("schema_version") == str(SCHEMA_VERSION)


def test_0003_downgrades_to_0002_and_back(db_url: str) -> None:
    with Store.open(db_url, seed=False) as store:
        alice = store.users.create("alice", "correct horse", "admin")
        token = store.users.issue_token(alice.id, "x", by="alice")
        store.sessions.start(alice.id)
        migrate.downgrade(store.engine, "0002")
        insp = inspect(store.engine)
        assert "user_sessions" not in insp.get_table_names()
        assert "username_key" not in {c["name"] for c in insp.get_columns("users")}
        assert "kind" not in {c["name"] for c in insp.get_columns("audit_log")}
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0  # account rows went
    with Store.open(db_url, seed=False) as store:
        assert store.users.authenticate("ALICE", "correct horse") == alice
        assert store.users.user_for_token(token) == alice  # the round trip kept the tokens
