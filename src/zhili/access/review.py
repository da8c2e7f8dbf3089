"""Four eyes (`[api] require_review = true`): what an editor wrote goes live only when someone else publishes it.

With the setting on, an editor
* cannot publish a draft whose content they changed last (another editor or an admin can);
* cannot create or import cases straight into "published" (save them as drafts);
* changing a published case puts it back to draft, waiting for the same review.
Admins are exempt. The API and the web pages call the same checks, so neither path is a way round.
The author is read from the audit log (`AuditLog.last_author`): the last create, edit or import
that changed what the case says; a status change does not make anyone its author.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from .auth import role_at_least
from .errors import ApiError

CODE = "review_required"


def required(request: Request, user: Any) -> bool:
    """True when the setting is on and `user` is not an admin."""
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "require_review", False)) and not role_at_least(user, "admin")


def check_publish(request: Request, user: Any, case_id: str) -> None:
    """403 `review_required` when `user` would publish their own unreviewed change of `case_id`."""
    if not required(request, user):
        return
    store = request.app.state.service.store
    record = store.cases.get_record(case_id)
    if record is None or record.status == "published":
        return  # not found is reported by the caller; publishing a published case changes nothing
    if store.audit.last_author(case_id) == user.username:
        raise ApiError(403, CODE, "已开启发布审核：您是此案例内容的最后修改人，不能自己发布，请由其他编辑或管理员审核后发布",
                       "Review required: someone other than the last editor must publish this case",
                       field="status")


def check_direct_publish(request: Request, user: Any) -> None:
    """403 `review_required` when `user` would create or import cases straight into "published"."""
    if required(request, user):
        raise ApiError(403, CODE, "已开启发布审核：编辑新建或导入的案例须先保存为草稿（status=draft），再由其他编辑或管理员审核发布",
                       "Review required: save as draft; another editor or an admin publishes", field="status")


def status_after_edit(request: Request, user: Any, current_status: str | None) -> str | None:
    """"draft" when `user`'s edit of a published case must be reviewed again, else None (keep)."""
    return "draft" if current_status == "published" and required(request, user) else None
