"""Accounts on SQLite and PostgreSQL: look-alike names, server-side sessions, token expiry,
account changes in the audit log and the last admin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError

from zhili.store import LastAdminError, Store, UserExistsError
from zhili.store.clock import now
from zhili.store.schema import sessions_table, tokens_table, users_table

PASSWORD = "correct horse battery"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url, seed=False) as s:
        yield s


def test_look_alike_user_names_are_one_name(store: Store) -> None:
    users = store.users
    admin1 = users.create("admin1", PASSWORD, "admin")
    for twin in ("ADMIN1", "Admin1", "ａｄｍｉｎ１", "ＡＤＭＩＮ1"):
        with pytest.raises(UserExistsError, match="admin1"):
            users.create(twin, PASSWORD)
    assert users.by_name("ＡＤＭＩＮ１") == admin1 == users.authenticate("Admin1", PASSWORD)
    wide = users.create("ｌｉｓｉ", PASSWORD)
    assert wide.username == "lisi"  # stored half-width: nobody sees a full-width twin in the logs
    # the database, not only Python, refuses a second row with the same canonical key
    with pytest.raises(IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(insert(users_table).values(username="ADMIN1", username_key="admin1", password_hash="x",
                                                    role="viewer", active=True, created_at=now()))
    assert [u.username for u in users.list()] == ["admin1", "lisi"]


@pytest.mark.parametrize(("name", "reason"), [
    ("admin1\u200b", "不可见字符"),        # zero-width space
    ("ad\u200dmin", "不可见字符"),          # zero-width joiner
    ("\ufeffadmin", "不可见字符"),          # byte-order mark
    ("adm\u00adin", "不可见字符"),          # soft hyphen
    ("admin\u3164", "不可见字符"),          # Hangul filler (a letter, but blank)
    ("admin\ufe0f", "不可见字符"),          # variation selector
    ("admi\u0307n", "附加符号"),            # combining dot on i: still looks like "admin"
    ("аdmin", "混用了西里尔字母、拉丁字母"),  # Cyrillic а + Latin
    ("pαypal", "混用了"),                   # Greek α + Latin
    ("\u0440\u0430\u0443\u0440\u0430\u04cf", "外形与拉丁字母相同"),  # "paypal", every letter Cyrillic
    ("ΑΒΕ", "外形与拉丁字母相同"),            # all Greek capitals that look Latin
    ("admin　1", "空格"),                   # ideographic space
    ("ad/min", "不能含有“/”"),
    ("李#1", "不能含有“#”"),
    ("٣٤", "0-9"),
    ("x" * 65, "过长"),
])
def test_confusing_user_names_are_refused(store: Store, name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        store.users.create(name, PASSWORD)
    assert store.users.list() == []


def test_ordinary_names_stay_valid(store: Store) -> None:
    for name in ("张三", "王主任2", "张san", "阿卜杜·热合曼", "li.si-01@jd", "иван", "Müller", "たなか"):
        assert store.users.create(name, PASSWORD).username == name


def test_sessions_live_in_the_database_and_end(store: Store) -> None:
    users, sessions = store.users, store.sessions
    root = users.create("root", PASSWORD, "admin")
    bob = users.create("bob", PASSWORD, "editor")
    first, second = sessions.start(bob.id), sessions.start(bob.id)
    assert sessions.user(first) == bob == sessions.user(second) and sessions.count(bob.id) == 2
    assert first not in repr(_rows(store, "user_sessions"))  # only the hash is stored
    sessions.end(first)
    assert sessions.user(first) is None and sessions.user(second) == bob  # logging out ends one session
    for change in (lambda: users.set_password(bob.id, "another long one", by="root"),
                   lambda: users.set_role(bob.id, "viewer", by="root"),
                   lambda: users.set_active(bob.id, False, by="root")):
        live = sessions.start(bob.id) if users.get(bob.id).active else None
        change()
        assert live is None or sessions.user(live) is None  # every change of these ends all of them
    assert sessions.user(second) is None and sessions.count(bob.id) == 0
    users.set_active(bob.id, True, by="root")
    assert sessions.user(second) is None  # enabling again does not bring old sessions back
    kept = sessions.start(root.id)
    users.set_role(root.id, "admin")  # unchanged role: nothing happens
    assert sessions.user(kept) == root
    for junk in (None, "", "x", "y" * 500, 42):
        assert sessions.user(junk) is None


def test_idle_sessions_expire_and_are_pruned(store: Store) -> None:
    bob = store.users.create("bob", PASSWORD)
    old = store.sessions.start(bob.id)
    with store.engine.begin() as conn:
        conn.execute(update(sessions_table).values(last_seen_at=now() - timedelta(hours=9)))
    assert store.sessions.user(old) is None
    store.sessions.start(bob.id)  # a login prunes idle rows
    assert len(_rows(store, "user_sessions")) == 1


def test_tokens_expire(store: Store) -> None:
    users = store.users
    bob = users.create("bob", PASSWORD)
    default, short = users.issue_token(bob.id, "默认"), users.issue_token(bob.id, "一天", 1)
    listed = {t.name: t for t in users.tokens(bob.id)}
    assert abs(listed["默认"].expires_at - (now() + timedelta(days=90))) < timedelta(minutes=1)
    assert abs(listed["一天"].expires_at - (now() + timedelta(days=1))) < timedelta(minutes=1)
    assert users.user_for_token(short) == bob
    with store.engine.begin() as conn:
        conn.execute(update(tokens_table).where(tokens_table.c.id == listed["一天"].id)
                     .values(expires_at=now() - timedelta(seconds=1)))
    assert users.user_for_token(short) is None and users.user_for_token(default) == bob
    assert users.token(listed["一天"].id).state(now()) == "expired"
    for bad in (0, -1, 3651, True):
        with pytest.raises(ValueError, match="有效期"):
            users.issue_token(bob.id, "x", bad)


def test_account_changes_are_audited(store: Store) -> None:
    users = store.users
    users.create("root", PASSWORD, "admin", by="cli:ops")
    bob = users.create("bob", PASSWORD, "viewer", by="root")
    users.set_role(bob.id, "editor", by="root")
    users.set_active(bob.id, False, by="root")
    users.set_active(bob.id, True, by="root")
    users.set_password(bob.id, "a brand new secret", by="root")
    users.update(bob.id, role="admin", active=False, by="root")  # one change, two rows
    token = users.issue_token(bob.id, "热线", 30, by="root")
    token_id = users.tokens(bob.id)[0].id
    users.revoke_token(token_id, by="root")
    events = list(reversed(store.audit.recent(50, kind="user")))
    assert [(e.case_id, e.action, e.user) for e in events] == [
        ("root", "user_create", "cli:ops"), ("bob", "user_create", "root"), ("bob", "role", "root"),
        ("bob", "disable", "root"), ("bob", "enable", "root"), ("bob", "password", "root"),
        ("bob", "role", "root"), ("bob", "disable", "root"), ("bob", "token_issue", "root"),
        ("bob", "token_revoke", "root")]
    assert all(e.kind == "user" for e in events)
    assert events[2].before == {"role": "viewer", "active": True} and events[2].after == {"role": "editor", "active": True}
    assert events[6].after == {"role": "admin", "active": False} == events[7].after
    assert events[8].after["name"] == "热线" and events[8].after["token_id"] == token_id and events[8].after["expires_at"]
    assert events[9].before["token_id"] == token_id and events[9].after is None
    dump = repr(_rows(store, "audit_log"))
    assert "$argon2" not in dump and token not in dump and "brand new" not in dump
    assert store.audit.history("bob") == []  # a case history never shows account rows


def test_the_last_active_admin_stays(store: Store) -> None:
    users = store.users
    root = users.create("root", PASSWORD, "admin")
    with pytest.raises(LastAdminError, match="管理员"):
        users.set_role(root.id, "editor")
    with pytest.raises(LastAdminError):
        users.set_active(root.id, False)
    second = users.create("second", PASSWORD, "admin")
    users.set_active(second.id, False)
    with pytest.raises(LastAdminError):  # a disabled admin does not count
        users.set_role(root.id, "viewer")
    users.set_active(second.id, True)
    assert users.set_role(root.id, "viewer").role == "viewer"
    assert [e.action for e in store.audit.recent(10, kind="user")][0] == "role"


def _rows(store: Store, table: str) -> list[object]:
    with store.engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM {table}")).all()
