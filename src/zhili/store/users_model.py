"""What the user store hands out: users and their API tokens (no hashes ever leave the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import check_choice
from .schema import ROLE_RANK, ROLES


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str  # "viewer" | "assessor" | "editor" | "admin"
    active: bool

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or above (viewer = assessor < editor < admin)."""
        return self.active and ROLE_RANK[self.role] >= ROLE_RANK[check_choice(role, ROLES, "角色")]


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None  # None: issued before tokens expired

    def state(self, at: datetime) -> str:
        """"revoked", "expired" or "active" at time `at`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"


def user_of(row: Any) -> User:
    return User(row.id, row.username, row.role, bool(row.active))
