"""Browser sessions kept server-side, so that logging out (or losing the account) really ends them.

The signed cookie only carries a random session id; the database keeps `sha256(id)` with the
user and when the session was last used. A copied cookie therefore stops working as soon as its
row is gone: on logout, and for every session of a user whose password, role or active flag
changes (`revoke_all`, called inside that change's transaction). Sessions idle for longer than
`max_age` are refused and pruned at the next login.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update

from .clock import aware, now
from .schema import sessions_table, users_table
from .tx import writing
from .users_model import User, user_of

IDLE = timedelta(hours=8)           # a working day without a request ends the session
TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at precision: avoids a write on every request


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def revoke_all(conn: Connection, user_id: int) -> None:
    """End every session of `user_id`, in the caller's transaction."""
    conn.execute(delete(sessions_table).where(sessions_table.c.user_id == user_id))


class SessionStore:
    def __init__(self, engine: Engine, idle: timedelta = IDLE) -> None:
        self.engine, self.idle = engine, idle

    def start(self, user_id: int) -> str:
        """A new session for `user_id`; returns the id for the cookie (only its hash is stored)."""
        session_id = secrets.token_urlsafe(32)
        at = now()
        with writing(self.engine) as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.last_seen_at < at - self.idle))
            conn.execute(insert(sessions_table).values(id=_hash(session_id), user_id=user_id, created_at=at,
                                                       last_seen_at=at))
        return session_id

    def user(self, session_id: object) -> User | None:
        """The active user of a live session, else None (unknown, ended, idle too long, or disabled)."""
        if not isinstance(session_id, str) or not 20 <= len(session_id) <= 100:
            return None
        s, u = sessions_table, users_table
        with self.engine.connect() as conn:
            row = conn.execute(select(u, s.c.id.label("session_hash"), s.c.last_seen_at)
                               .join(s, s.c.user_id == u.c.id)
                               .where(s.c.id == _hash(session_id))).one_or_none()
        if row is None or not row.active:
            return None
        seen, at = aware(row.last_seen_at), now()
        assert seen is not None
        if at - seen > self.idle:
            return None
        if at - seen > TOUCH_EVERY:
            with writing(self.engine) as conn:
                conn.execute(update(s).where(s.c.id == row.session_hash).values(last_seen_at=at))
        return user_of(row)

    def end(self, session_id: object) -> None:
        """Log one session out (nothing happens for an unknown id)."""
        if isinstance(session_id, str):
            with writing(self.engine) as conn:
                conn.execute(delete(sessions_table).where(sessions_table.c.id == _hash(session_id)))

    def count(self, user_id: int) -> int:
        """Live sessions of a user (for the admin page)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(sessions_table.c.last_seen_at)
                                .where(sessions_table.c.user_id == user_id)).scalars()
            at = now()
            return sum(1 for seen in rows if at - aware(seen) <= self.idle)  # type: ignore[operator]
