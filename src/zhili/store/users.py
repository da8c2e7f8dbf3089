"""Users (argon2id password hashes via pwdlib) and API tokens (only their sha256 is stored).

A token is shown once, when issued; the database keeps `sha256(token)`, so a leaked database
does not leak usable tokens. Tokens are long random strings, so a plain sha256 (no salt, no
stretching) is enough and lets a request be authenticated with one indexed lookup. Tokens
expire (`days`, default 90); tokens from before migration 0003 have no expiry date.

Every account change (new user, role, disable/enable, password, token issued/revoked) writes an
audit row (`kind` "user") in the same transaction, and a new password, role or active flag ends
all of the user's browser sessions. User names are compared by their canonical key
(`usernames.py`), which the database keeps unique.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Connection, Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import audit
from .clock import aware, now
from .errors import LastAdminError, UserExistsError, check_choice, check_name
from .schema import ROLES, tokens_table, users_table
from .sessions import revoke_all
from .tx import USERS_LOCK, writing
from .usernames import canonical, lookup_key
from .users_model import ApiToken, User, user_of

__all__ = ["ApiToken", "User", "UserStore", "TOKEN_DAYS", "MAX_TOKEN_DAYS", "token_hash"]

TOKEN_PREFIX = "zhili_"
TOKEN_DAYS = 90          # default lifetime of a new token
MAX_TOKEN_DAYS = 3650
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 would hash megabytes; refuse them before spending the CPU
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at precision: avoids a write on every request
_hasher = PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Made on first failed login, not at import (a hash costs ~0.15 s)."""
    return _hasher.hash("zhili-timing-equaliser")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少需要 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"密码过长（最多 {MAX_PASSWORD} 个字符）")
    return password


def check_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"令牌有效期必须是 1–{MAX_TOKEN_DAYS} 天，收到“{days}”")
    return days


def _state(row: Any) -> dict[str, Any]:
    """What an audit row records about a user: never the password hash."""
    return {"role": row.role, "active": bool(row.active)}


def _token(r: Any) -> ApiToken:
    return ApiToken(r.id, r.user_id, r.name, aware(r.created_at), aware(r.last_used_at),  # type: ignore[arg-type]
                    aware(r.revoked_at), aware(r.expires_at))


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self) -> Any:
        return writing(self.engine, USERS_LOCK)

    # ---- users -------------------------------------------------------------------------------

    def create(self, username: str, password: str, role: str = "viewer", *, by: str | None = None) -> User:
        """A new active user. UserExistsError when the name, or one that looks the same, is taken."""
        display, key = canonical(username)
        _check_password(password)
        check_choice(role, ROLES, "角色")
        hashed = _hasher.hash(password)
        at = now()
        try:
            with self._write() as conn:
                taken = conn.execute(select(users_table.c.username).where(
                    or_(users_table.c.username_key == key, users_table.c.username == display))).first()
                if taken is not None:
                    raise UserExistsError(username, taken.username)
                uid = conn.execute(insert(users_table).values(
                    username=display, username_key=key, password_hash=hashed, role=role, active=True,
                    created_at=at)).inserted_primary_key[0]
                audit.write(conn, [audit.account_row("user_create", display, by, at, None,
                                                     {"role": role, "active": True})])
        except IntegrityError:  # another process took the name between our check and insert
            raise UserExistsError(display) from None
        return User(int(uid), display, role, True)

    def _row(self, conn: Connection, username: str) -> Any:
        """The user row for a typed name: exact match first, then the canonical key."""
        if not isinstance(username, str) or not username or len(username) > 200:
            return None
        u = users_table
        row = conn.execute(select(u).where(u.c.username == username)).one_or_none()
        if row is None:
            row = conn.execute(select(u).where(u.c.username_key == lookup_key(username))).one_or_none()
        return row

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, else None (same cost either way).

        The name is matched like `by_name`: `Admin` and `ａｄｍｉｎ` log in as `admin`.
        """
        if not isinstance(password, str) or len(password) > MAX_PASSWORD or not isinstance(username, str):
            return None
        with self.engine.connect() as conn:
            row = self._row(conn, username)
        if row is None:
            _hasher.verify(password, _dummy_hash())  # no timing hint about which names exist
            return None
        ok, rehashed = _hasher.verify_and_update(password, row.password_hash)
        if not ok or not row.active:
            return None
        if rehashed:  # hashing parameters were raised since this password was set
            with writing(self.engine) as conn:
                conn.execute(update(users_table).where(users_table.c.id == row.id).values(password_hash=rehashed))
        return user_of(row)

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.id == user_id)).one_or_none()
        return None if row is None else user_of(row)

    def by_name(self, username: str) -> User | None:
        """The user called `username`, or the one whose name differs only in case or width."""
        with self.engine.connect() as conn:
            row = self._row(conn, username)
        return None if row is None else user_of(row)

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            return [user_of(r) for r in conn.execute(select(users_table).order_by(users_table.c.username))]

    def _change(self, user_id: int, by: str | None, **values: Any) -> User:
        """Update one user, end their sessions and write the audit rows, in one transaction."""
        u = users_table
        with self._write() as conn:
            old = conn.execute(select(u).where(u.c.id == user_id)).one_or_none()
            if old is None:
                raise LookupError(f"没有编号为 {user_id} 的用户")
            at = now()
            if "password_hash" in values:
                rows = [audit.account_row("password", old.username, by, at, None, None)]
            else:
                before = _state(old)
                after = before | values
                if after == before:
                    return user_of(old)  # nothing changes: no audit row, sessions stay
                if before["role"] == "admin" and before["active"] and not (after["role"] == "admin" and after["active"]):
                    others = conn.execute(select(func.count()).select_from(u).where(
                        u.c.role == "admin", u.c.active.is_(True), u.c.id != user_id)).scalar_one()
                    if not others:
                        raise LastAdminError()
                actions = [("role" if key == "role" else ("enable" if after[key] else "disable"))
                           for key in ("role", "active") if after[key] != before[key]]
                rows = [audit.account_row(a, old.username, by, at, before, after) for a in actions]
            conn.execute(update(u).where(u.c.id == user_id).values(**values))
            revoke_all(conn, user_id)
            audit.write(conn, rows)
            new = conn.execute(select(u).where(u.c.id == user_id)).one()
        return user_of(new)

    def update(self, user_id: int, *, role: str | None = None, active: bool | None = None,
               by: str | None = None) -> User:
        """Role and/or active flag at once (all or nothing); the user's sessions end.

        LastAdminError when it would leave no active admin.
        """
        values: dict[str, Any] = {}
        if role is not None:
            values["role"] = check_choice(role, ROLES, "角色")
        if active is not None:
            values["active"] = bool(active)
        return self._change(user_id, by, **values)

    def set_role(self, user_id: int, role: str, *, by: str | None = None) -> User:
        """A new role (takes effect at once: the user's sessions end). LastAdminError for the last admin."""
        return self.update(user_id, role=role, by=by)

    def set_active(self, user_id: int, active: bool, *, by: str | None = None) -> User:
        """Deactivated users can neither log in nor use their tokens; their sessions end."""
        return self.update(user_id, active=active, by=by)

    def set_password(self, user_id: int, password: str, *, by: str | None = None) -> User:
        """A new password; every session of the user ends (a thief's copied cookie too)."""
        return self._change(user_id, by, password_hash=_hasher.hash(_check_password(password)))

    # ---- API tokens --------------------------------------------------------------------------

    def issue_token(self, user_id: int, name: str, days: int = TOKEN_DAYS, *, by: str | None = None) -> str:
        """A new token for `user_id`, valid `days` days; the plain value is returned once and never stored."""
        check_name(name, "令牌名称", max_len=100, required=True)
        check_days(days)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        at = now()
        expires = at + timedelta(days=days)
        with self._write() as conn:
            owner = conn.execute(select(users_table.c.username).where(users_table.c.id == user_id)).first()
            if owner is None:
                raise LookupError(f"没有编号为 {user_id} 的用户")
            tid = conn.execute(insert(tokens_table).values(
                user_id=user_id, name=name, token_hash=token_hash(token), created_at=at, expires_at=expires)
            ).inserted_primary_key[0]
            audit.write(conn, [audit.account_row("token_issue", owner.username, by, at, None,
                                                 {"token_id": tid, "name": name, "expires_at": expires.isoformat()})])
        return token

    def user_for_token(self, token: str) -> User | None:
        """The active owner of a valid, unrevoked, unexpired token, else None."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        t, u = tokens_table, users_table
        with self.engine.connect() as conn:
            row = conn.execute(
                select(u, t.c.id.label("token_id"), t.c.last_used_at, t.c.expires_at)
                .join(t, t.c.user_id == u.c.id)
                .where(t.c.token_hash == token_hash(token), t.c.revoked_at.is_(None), u.c.active.is_(True))
            ).one_or_none()
        if row is None:
            return None
        at = now()
        expires = aware(row.expires_at)
        if expires is not None and expires <= at:
            return None
        last = aware(row.last_used_at)
        if last is None or at - last > TOUCH_EVERY:
            with writing(self.engine) as conn:
                conn.execute(update(t).where(t.c.id == row.token_id).values(last_used_at=at))
        return user_of(row)

    def tokens(self, user_id: int) -> list[ApiToken]:
        """A user's tokens (names and dates only), newest first."""
        t = tokens_table
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(select(t).where(t.c.user_id == user_id).order_by(t.c.id.desc()))]

    def token(self, token_id: int) -> ApiToken | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens_table).where(tokens_table.c.id == token_id)).one_or_none()
        return None if row is None else _token(row)

    def revoke_token(self, token_id: int, *, by: str | None = None) -> bool:
        """Revoke a token by id; False when there is no such live token."""
        t, u = tokens_table, users_table
        at = now()
        with self._write() as conn:
            row = conn.execute(select(t.c.name, t.c.expires_at, u.c.username).join(u, u.c.id == t.c.user_id)
                               .where(t.c.id == token_id, t.c.revoked_at.is_(None))).one_or_none()
            if row is None:
                return False
            conn.execute(update(t).where(t.c.id == token_id).values(revoked_at=at))
            expires: datetime | None = aware(row.expires_at)
            audit.write(conn, [audit.account_row(
                "token_revoke", row.username, by, at,
                {"token_id": token_id, "name": row.name, "expires_at": expires.isoformat() if expires else None},
                None)])
        return True
