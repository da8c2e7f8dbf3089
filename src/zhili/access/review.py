"""Four eyes (`[api] require_review = true`): what an editor wrote goes live only when someone else publishes it.

With the setting on, an editor
* cannot publish a draft whose content they changed last (another editor or an admin can);
* cannot create or import cases straight into "published" (save them as drafts);
* changing a published case puts it back to draft, waiting for the same review.
Admins are exempt. The API and the web pages call the same checks, so neither path is a way round.
The checks themselves live in `zhili.usecases.library`; this module decides, per request,
whether they apply. The author is read from the audit log (`AuditLog.last_author`): the last create, edit or import
that changed what the case says; a status change does not make anyone its author.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from .auth import role_at_least


def required(request: Request, user: Any) -> bool:
    """True when the setting is on and `user` is not an admin."""
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "require_review", False)) and not role_at_least(user, "admin")


def actor(request: Request, user: Any) -> Any:
    """The `zhili.usecases.Actor` for `user` under this app's review setting."""
    from ..usecases import Actor

    return Actor.of(user, four_eyes=user is not None and required(request, user))
