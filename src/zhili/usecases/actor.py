"""Who is acting, as the use cases need to know it (not how they signed in)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

ROLE_ORDER = {"viewer": 1, "editor": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    """A signed-in person, an integration token's user, or the command line.

    `four_eyes`: the review setting is on and this actor is not an admin, so what they write
    goes live only when someone else publishes it (see `zhili.access.review`).
    """

    username: str | None
    role: str | None = None
    four_eyes: bool = False

    @classmethod
    def of(cls, user: Any, four_eyes: bool = False) -> "Actor":
        """From a stored `User` (or None for the anonymous)."""
        if user is None:
            return cls(None, None, False)
        return cls(getattr(user, "username", None), getattr(user, "role", None), four_eyes)

    @classmethod
    def cli(cls) -> "Actor":
        """The command line acts with the operating-system account's name, as an admin would:
        whoever runs it already holds the database file."""
        try:
            name = f"cli:{getpass.getuser()}"[:64]
        except (OSError, KeyError):  # no login name (some containers)
            name = "cli"
        return cls(name, "admin", False)

    def at_least(self, role: str) -> bool:
        return ROLE_ORDER.get(self.role or "", 0) >= ROLE_ORDER[role]

    @property
    def may_see_drafts(self) -> bool:
        return self.at_least("editor")
