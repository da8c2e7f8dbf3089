"""Favourites (我的收藏) on SQLite and PostgreSQL: star, unstar, list, what became of the case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from zhili.cases import Case
from zhili.store import CaseNotFoundError, FavoriteLimitError, Store


@pytest.fixture
def store(db_url: str, bundled_cases: list[Case]) -> Iterator[Store]:
    with Store.open(db_url, seed=False) as s:
        s.cases.import_cases(bundled_cases[:6])
        yield s


def test_star_unstar_and_list_newest_first(store: Store, bundled_cases: list[Case]) -> None:
    alice = store.users.create("alice", "correct horse", "viewer")
    bob = store.users.create("bob", "correct horse", "viewer")
    a, b, c = (x.id for x in bundled_cases[:3])
    assert store.favorites.add(alice.id, a) is True
    assert store.favorites.add(alice.id, b) is True
    assert store.favorites.add(alice.id, a) is False  # already starred: nothing changes
    assert store.favorites.add(bob.id, c) is True
    listed = store.favorites.list(alice.id)
    assert [f.case_id for f in listed] == [b, a]  # most recently starred first
    assert listed[0].title == bundled_cases[1].title and listed[0].status == "published"
    assert listed[0].province == bundled_cases[1].province and listed[0].created_at.tzinfo is not None
    assert store.favorites.starred(alice.id, [a, b, c, "nope"]) == {a, b}
    assert store.favorites.starred(bob.id, [a, b, c]) == {c}  # each user has their own list
    assert store.favorites.starred(alice.id, []) == set()
    assert store.favorites.count(alice.id) == 2
    assert store.favorites.remove(alice.id, a) is True
    assert store.favorites.remove(alice.id, a) is False
    assert [f.case_id for f in store.favorites.list(alice.id)] == [b]
    assert store.favorites.list(bob.id)[0].case_id == c


def test_only_existing_cases_and_sane_ids(store: Store) -> None:
    alice = store.users.create("alice", "correct horse", "viewer")
    with pytest.raises(CaseNotFoundError):
        store.favorites.add(alice.id, "no-such-case")
    with pytest.raises(ValueError):
        store.favorites.add(alice.id, "")
    with pytest.raises(ValueError):
        store.favorites.add(alice.id, "x" * 65)
    with pytest.raises(ValueError):
        store.favorites.add("alice", "case-0001")  # type: ignore[arg-type]
    assert store.favorites.count(alice.id) == 0


def test_withdrawn_and_deleted_cases_stay_listed_and_marked(store: Store, bundled_cases: list[Case]) -> None:
    alice = store.users.create("alice", "correct horse", "viewer")
    a, b = bundled_cases[0].id, bundled_cases[1].id
    store.favorites.add(alice.id, a)
    store.favorites.add(alice.id, b)
    store.cases.set_status(a, "draft", "editor")
    store.cases.delete([b], "editor")
    by_id = {f.case_id: f for f in store.favorites.list(alice.id)}
    assert by_id[a].status == "draft" and by_id[a].title == bundled_cases[0].title
    assert by_id[b].status is None and by_id[b].title == ""
    assert store.favorites.remove(alice.id, b) is True  # the user can clear it


def test_a_limit_per_user(store: Store, bundled_cases: list[Case]) -> None:
    alice = store.users.create("alice", "correct horse", "viewer")
    store.favorites.limit = 2
    store.favorites.add(alice.id, bundled_cases[0].id)
    store.favorites.add(alice.id, bundled_cases[1].id)
    with pytest.raises(FavoriteLimitError, match="上限"):
        store.favorites.add(alice.id, bundled_cases[2].id)
    assert store.favorites.add(alice.id, bundled_cases[1].id) is False  # re-starring is not refused


def test_favourites_go_with_the_account(store: Store, bundled_cases: list[Case]) -> None:
    alice = store.users.create("alice", "correct horse", "viewer")
    store.favorites.add(alice.id, bundled_cases[0].id)
    with store.engine.begin() as conn:  # zhili disables accounts; a DBA may still delete the row
        conn.execute(text("DELETE FROM users WHERE id = :i"), {"i": alice.id})
        assert conn.execute(text("SELECT count(*) FROM favorites")).scalar_one() == 0
