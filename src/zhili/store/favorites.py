"""Favourites (我的收藏): cases a signed-in user starred, newest first.

A case may be withdrawn or deleted after it was starred; the row stays (no foreign key to
`cases`) and `list()` says what became of it, so the user decides whether to remove it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from .clock import aware, now
from .errors import CaseNotFoundError, StoreError, check_name
from .schema import cases_table, favorites_table
from .tx import writing

MAX_PER_USER = 1_000


class FavoriteLimitError(StoreError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"收藏已达上限（{limit} 个），请先取消一些不再需要的收藏")
        self.limit = limit


@dataclass(frozen=True)
class Favorite:
    case_id: str
    created_at: datetime  # when it was starred
    title: str            # "" when the case no longer exists
    province: str
    level: str
    status: str | None    # "published" | "draft" | None: deleted since


def _user(user_id: int) -> int:
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise ValueError("用户编号必须是整数")
    return user_id


class FavoriteStore:
    def __init__(self, engine: Engine, limit: int = MAX_PER_USER) -> None:
        self.engine = engine
        self.limit = limit

    def add(self, user_id: int, case_id: str) -> bool:
        """Star a case; True when newly starred, False when it already was.

        Only an existing case can be starred (CaseNotFoundError); whether the user may see it
        (drafts) is the caller's rule."""
        _user(user_id)
        check_name(case_id, "案例编号", required=True)
        f, c = favorites_table, cases_table
        try:
            with writing(self.engine) as conn:
                mine = f.c.user_id == user_id
                if conn.execute(select(f.c.case_id).where(mine, f.c.case_id == case_id)).first() is not None:
                    return False
                if conn.execute(select(c.c.id).where(c.c.id == case_id)).first() is None:
                    raise CaseNotFoundError(case_id)
                if conn.execute(select(func.count()).select_from(f).where(mine)).scalar_one() >= self.limit:
                    raise FavoriteLimitError(self.limit)
                conn.execute(insert(f).values(user_id=user_id, case_id=case_id, created_at=now()))
        except IntegrityError:  # PostgreSQL: the same star from a second tab at the same moment
            if case_id in self.starred(user_id, [case_id]):
                return False
            raise
        return True

    def remove(self, user_id: int, case_id: str) -> bool:
        """Unstar; True when it was starred."""
        _user(user_id)
        f = favorites_table
        with writing(self.engine) as conn:
            done = conn.execute(delete(f).where(f.c.user_id == user_id, f.c.case_id == case_id))
        return bool(done.rowcount)

    def starred(self, user_id: int, case_ids: Iterable[str]) -> set[str]:
        """Which of `case_ids` the user starred (one query, for a page of results)."""
        _user(user_id)
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            return set()
        f = favorites_table
        with self.engine.connect() as conn:
            return set(conn.execute(select(f.c.case_id).where(f.c.user_id == user_id,
                                                              f.c.case_id.in_(ids))).scalars())

    def count(self, user_id: int) -> int:
        f = favorites_table
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(f)
                                    .where(f.c.user_id == _user(user_id))).scalar_one())

    def list(self, user_id: int, limit: int = MAX_PER_USER) -> list[Favorite]:
        """The user's favourites, most recently starred first, with each case's current title
        and status (None: the case was deleted)."""
        f, c = favorites_table, cases_table
        q = (select(f.c.case_id, f.c.created_at, c.c.title, c.c.province, c.c.level, c.c.status)
             .select_from(f.outerjoin(c, c.c.id == f.c.case_id))
             .where(f.c.user_id == _user(user_id))
             .order_by(f.c.created_at.desc(), f.c.case_id)
             .limit(max(1, min(int(limit), MAX_PER_USER))))
        with self.engine.connect() as conn:
            return [Favorite(r.case_id, aware(r.created_at), r.title or "", r.province or "",  # type: ignore[arg-type]
                             r.level or "", r.status) for r in conn.execute(q)]
