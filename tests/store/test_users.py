"""Users and API tokens on SQLite and PostgreSQL: argon2 hashes, tokens stored only as sha256."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from zhili.store import Store, User, UserExistsError


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url, seed=False) as s:
        yield s


def _dump(store: Store, table: str) -> str:
    """Every value of every row of `table`, as text: what someone with the database would see."""
    with store.engine.connect() as conn:
        return repr(conn.execute(text(f"SELECT * FROM {table}")).all())


def test_passwords_are_argon2_hashes_and_authenticate(store: Store) -> None:
    users = store.users
    alice = users.create("alice", "correct horse battery", "editor")
    assert alice == User(alice.id, "alice", "editor", True)
    dump = _dump(store, "users")
    assert "correct horse battery" not in dump and "$argon2id$" in dump
    assert users.authenticate("alice", "correct horse battery") == alice
    assert users.authenticate("alice", "wrong password") is None
    assert users.authenticate("nobody", "correct horse battery") is None
    assert users.get(alice.id) == alice and users.by_name("alice") == alice and users.get(999) is None
    assert alice.has_role("viewer") and alice.has_role("editor") and not alice.has_role("admin")

    users.set_password(alice.id, "a new long secret")
    assert users.authenticate("alice", "correct horse battery") is None
    assert users.authenticate("alice", "a new long secret") == alice
    admin = users.set_role(alice.id, "admin")
    assert admin.has_role("admin")
    users.create("bob", "bob's password", "admin")  # the last active admin cannot be disabled
    off = users.set_active(alice.id, False)
    assert not off.active and not off.has_role("viewer")
    assert users.authenticate("alice", "a new long secret") is None  # deactivated users cannot log in
    assert [u.username for u in users.list()] == ["alice", "bob"]


def test_user_input_is_checked(store: Store) -> None:
    users = store.users
    users.create("张三", "12345678")
    with pytest.raises(UserExistsError, match="已被使用"):
        users.create("张三", "another password")
    for name, password, role, message in [
        ("", "12345678", "viewer", "用户名不能为空"),
        ("a b", "12345678", "viewer", "空格"),
        ("x" * 65, "12345678", "viewer", "用户名过长"),
        ("tab\tname", "12345678", "viewer", "控制字符"),
        ("bob", "short", "viewer", "至少需要 8"),
        ("bob", "p" * 1025, "viewer", "密码过长"),
        ("bob", "12345678", "root", "角色"),
    ]:
        with pytest.raises(ValueError, match=message):
            users.create(name, password, role)
    assert [u.username for u in users.list()] == ["张三"]
    assert users.authenticate("张三", "p" * 100_000) is None  # refused before hashing


def test_tokens_are_shown_once_and_stored_as_sha256(store: Store) -> None:
    users = store.users
    bob = users.create("bob", "bob's password", "viewer")
    token = users.issue_token(bob.id, "报表脚本")
    other = users.issue_token(bob.id, "第二个")
    assert token.startswith("zhili_") and len(token) > 40 and token != other
    dump = _dump(store, "api_tokens")
    assert token not in dump and token.removeprefix("zhili_") not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump
    assert users.user_for_token(token) == bob
    listed = users.tokens(bob.id)
    assert [t.name for t in listed] == ["第二个", "报表脚本"] and listed[1].last_used_at is not None
    for bad in ("", "zhili_", token + "x", token[:-1], "Bearer " + token, "zhili_" + "a" * 500):
        assert users.user_for_token(bad) is None

    assert users.revoke_token(listed[1].id) is True
    assert users.revoke_token(listed[1].id) is False  # already revoked
    assert users.user_for_token(token) is None and users.user_for_token(other) == bob
    users.set_active(bob.id, False)
    assert users.user_for_token(other) is None  # a deactivated user's tokens stop working
    with pytest.raises(LookupError):
        users.issue_token(9999, "x")
    with pytest.raises(ValueError, match="令牌名称不能为空"):
        users.issue_token(bob.id, "")
