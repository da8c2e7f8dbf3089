"""Users (argon2id password hashes via pwdlib) and API tokens (only their sha256 is stored).

A token is shown once, when issued; the database keeps `sha256(token)`, so a leaked database
does not leak usable tokens. Tokens are long random strings, so a plain sha256 (no salt, no
stretching) is enough and lets a request be authenticated with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from .clock import aware, now
from .errors import UserExistsError, check_choice, check_name
from .schema import ROLES, tokens_table, users_table
from .tx import writing

TOKEN_PREFIX = "zhili_"
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 would hash megabytes; refuse them before spending the CPU
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at precision: avoids a write on every request
_hasher = PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Made on first failed login, not at import (a hash costs ~0.15 s)."""
    return _hasher.hash("zhili-timing-equaliser")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str  # "viewer" | "editor" | "admin"
    active: bool

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or above (viewer < editor < admin)."""
        return self.active and ROLES.index(self.role) >= ROLES.index(check_choice(role, ROLES, "角色"))


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少需要 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"密码过长（最多 {MAX_PASSWORD} 个字符）")
    return password


def _check_username(username: str) -> str:
    name = check_name(username, "用户名", required=True)
    assert name is not None
    if name != name.strip() or any(ch.isspace() for ch in name):
        raise ValueError("用户名中不能有空格")
    return name


def _user(row: object) -> User:
    return User(row.id, row.username, row.role, bool(row.active))  # type: ignore[attr-defined]


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- users -------------------------------------------------------------------------------

    def create(self, username: str, password: str, role: str = "viewer") -> User:
        """A new active user. UserExistsError when the name is taken."""
        _check_username(username)
        _check_password(password)
        check_choice(role, ROLES, "角色")
        hashed = _hasher.hash(password)
        try:
            with writing(self.engine) as conn:
                uid = conn.execute(insert(users_table).values(
                    username=username, password_hash=hashed, role=role, active=True, created_at=now())
                ).inserted_primary_key[0]
        except IntegrityError:
            if self.by_name(username) is not None:
                raise UserExistsError(username) from None
            raise
        return User(int(uid), username, role, True)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, else None (same cost either way)."""
        if not isinstance(password, str) or len(password) > MAX_PASSWORD or not isinstance(username, str):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.username == username)).one_or_none()
        if row is None:
            _hasher.verify(password, _dummy_hash())  # no timing hint about which names exist
            return None
        ok, rehashed = _hasher.verify_and_update(password, row.password_hash)
        if not ok or not row.active:
            return None
        if rehashed:  # hashing parameters were raised since this password was set
            with writing(self.engine) as conn:
                conn.execute(update(users_table).where(users_table.c.id == row.id).values(password_hash=rehashed))
        return _user(row)

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.id == user_id)).one_or_none()
        return None if row is None else _user(row)

    def by_name(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users_table).where(users_table.c.username == username)).one_or_none()
        return None if row is None else _user(row)

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(users_table).order_by(users_table.c.username))]

    def _set(self, user_id: int, **values: object) -> User:
        with writing(self.engine) as conn:
            if not conn.execute(update(users_table).where(users_table.c.id == user_id).values(**values)).rowcount:
                raise LookupError(f"没有编号为 {user_id} 的用户")
        user = self.get(user_id)
        assert user is not None
        return user

    def set_role(self, user_id: int, role: str) -> User:
        return self._set(user_id, role=check_choice(role, ROLES, "角色"))

    def set_active(self, user_id: int, active: bool) -> User:
        """Deactivated users can neither log in nor use their tokens."""
        return self._set(user_id, active=bool(active))

    def set_password(self, user_id: int, password: str) -> User:
        return self._set(user_id, password_hash=_hasher.hash(_check_password(password)))

    # ---- API tokens --------------------------------------------------------------------------

    def issue_token(self, user_id: int, name: str) -> str:
        """A new token for `user_id`; the plain value is returned once and never stored."""
        check_name(name, "令牌名称", max_len=100, required=True)
        if self.get(user_id) is None:
            raise LookupError(f"没有编号为 {user_id} 的用户")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with writing(self.engine) as conn:
            conn.execute(insert(tokens_table).values(user_id=user_id, name=name, token_hash=token_hash(token),
                                                     created_at=now()))
        return token

    def user_for_token(self, token: str) -> User | None:
        """The active owner of a valid, unrevoked token, else None."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        t, u = tokens_table, users_table
        with self.engine.connect() as conn:
            row = conn.execute(
                select(u, t.c.id.label("token_id"), t.c.last_used_at)
                .join(t, t.c.user_id == u.c.id)
                .where(t.c.token_hash == token_hash(token), t.c.revoked_at.is_(None), u.c.active.is_(True))
            ).one_or_none()
        if row is None:
            return None
        last = aware(row.last_used_at)
        if last is None or now() - last > TOUCH_EVERY:
            with writing(self.engine) as conn:
                conn.execute(update(t).where(t.c.id == row.token_id).values(last_used_at=now()))
        return _user(row)

    def tokens(self, user_id: int) -> list[ApiToken]:
        """A user's tokens (names and dates only), newest first."""
        t = tokens_table
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.user_id == user_id).order_by(t.c.id.desc()))
            return [ApiToken(r.id, r.user_id, r.name, aware(r.created_at), aware(r.last_used_at),  # type: ignore[arg-type]
                             aware(r.revoked_at)) for r in rows]

    def revoke_token(self, token_id: int) -> bool:
        """Revoke a token by id; False when there is no such live token."""
        with writing(self.engine) as conn:
            done = conn.execute(update(tokens_table)
                                .where(tokens_table.c.id == token_id, tokens_table.c.revoked_at.is_(None))
                                .values(revoked_at=now()))
        return bool(done.rowcount)
