"""The case library over HTTP: browse, edit with review (draft → published), history.

File import and export live in `transfer`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.encoders import jsonable_encoder

from ...access import review
from ...access.auth import Editor, Searcher, Viewer, current_user, role_at_least
from ...access.errors import ApiError, not_found, unauthorized
from ...service import Service
from ..deps import get_service, require_json
from ..schemas import CaseBody

router = APIRouter(prefix="/cases", tags=["案例库"])
Status = Literal["draft", "published"]


def record_json(record: Any) -> dict[str, Any]:
    """A stored case: its fields plus status and who changed it when."""
    return {**record.case.model_dump(mode="json"), "status": record.status,
            "created_at": jsonable_encoder(record.created_at),
            "updated_at": jsonable_encoder(record.updated_at), "updated_by": record.updated_by}


def _may_see_drafts(request: Request) -> bool:
    return role_at_least(current_user(request), "editor")


def drafts_allowed(request: Request, what: str) -> None:
    """401 for the anonymous (logging in may help), 403 for a viewer."""
    if _may_see_drafts(request):
        return
    if current_user(request) is None:
        raise unauthorized()
    raise ApiError(403, "forbidden", f"只有编辑及以上权限可以{what}草稿", "Drafts are visible to editors only",
                   field="status")


def _record_or_404(service: Service, case_id: str, request: Request) -> Any:
    record = service.store.cases.get_record(case_id)
    if record is None or (record.status != "published" and not _may_see_drafts(request)):
        raise not_found("案例", case_id, field="case_id")
    return record


@router.get("", summary="案例列表（筛选、分页）")
def list_cases(request: Request, _user: Any = Searcher,
               status: Literal["draft", "published", "all"] = Query("published", description="草稿只有编辑可见"),
               q: str | None = Query(None, max_length=200, description="标题/正文关键词"),
               province: str | None = Query(None, max_length=50),
               level: str | None = Query(None, max_length=20),
               domain: str | None = Query(None, max_length=50),
               offset: int = Query(0, ge=0, le=1_000_000), limit: int = Query(20, ge=1, le=200),
               service: Service = Depends(get_service)) -> dict[str, Any]:
    if status != "published":
        drafts_allowed(request, "查看")
    items, total = service.store.cases.page(status=None if status == "all" else status, q=q or None,
                                            province=province or None, level=level or None,
                                            domain=domain or None, offset=offset, limit=limit)
    return {"items": [record_json(r) for r in items], "total": total, "offset": offset, "limit": limit}


@router.get("/{case_id}", summary="查看案例")
def get_case(case_id: str, request: Request, _user: Any = Searcher,
             service: Service = Depends(get_service)) -> dict[str, Any]:
    return record_json(_record_or_404(service, case_id, request))


@router.post("", status_code=201, dependencies=[Depends(require_json)], summary="新建案例（默认草稿）")
def create_case(case: CaseBody, request: Request,
                status: Status = Query("draft", description="draft 草稿 / published 直接发布（开启审核时编辑不可）"),
                user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store import CaseExistsError

    if status == "published":
        review.check_direct_publish(request, user)
    try:
        service.store.cases.create(case, user=user.username, status=status)
    except CaseExistsError:
        raise ApiError(409, "case_exists", f"编号“{case.id}”已存在，请改用修改接口或换一个编号",
                       f"Case {case.id} already exists", field="id") from None
    service.refresh()
    return record_json(service.store.cases.get_record(case.id))


@router.put("/{case_id}", dependencies=[Depends(require_json)],
            summary="修改案例（开启审核时，编辑修改已发布的案例会退回草稿）")
def update_case(case_id: str, case: CaseBody, request: Request, user: Any = Editor,
                service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store import CaseNotFoundError

    if case.id != case_id:
        raise ApiError(422, "id_mismatch", f"请求体中的编号“{case.id}”与地址中的“{case_id}”不一致",
                       "Body id differs from the path id", field="id")
    current = service.store.cases.get_record(case_id)
    status = review.status_after_edit(request, user, current.status if current else None)
    try:
        service.store.cases.update(case, user=user.username, status=status)
    except CaseNotFoundError:
        raise not_found("案例", case_id, field="case_id") from None
    service.refresh()
    return record_json(service.store.cases.get_record(case_id))


def _set_status(service: Service, case_id: str, status: str, user: Any) -> dict[str, Any]:
    from ...store import CaseNotFoundError

    try:
        service.store.cases.set_status(case_id, status, user=user.username)
    except CaseNotFoundError:
        raise not_found("案例", case_id, field="case_id") from None
    service.refresh()
    return record_json(service.store.cases.get_record(case_id))


@router.post("/{case_id}/publish", summary="发布（审核通过，参与匹配；开启审核时不能发布自己最后修改的案例）")
def publish_case(case_id: str, request: Request, user: Any = Editor,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    review.check_publish(request, user, case_id)
    return _set_status(service, case_id, "published", user)


@router.post("/{case_id}/unpublish", summary="撤回为草稿（不再参与匹配）")
def unpublish_case(case_id: str, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return _set_status(service, case_id, "draft", user)


@router.delete("/{case_id}", status_code=204, summary="删除案例")
def delete_case(case_id: str, user: Any = Editor, service: Service = Depends(get_service)) -> Response:
    from ...store import CaseNotFoundError

    try:
        service.store.cases.remove(case_id, user=user.username)
    except CaseNotFoundError:
        raise not_found("案例", case_id, field="case_id") from None
    service.refresh()
    return Response(status_code=204)


@router.get("/{case_id}/history", summary="修改历史（审计记录）")
def case_history(case_id: str, request: Request, _user: Any = Viewer,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    """编辑可看任何案例（含草稿、已删除）的全部记录；查看者只能看已发布案例，草稿状态的内容不显示。"""
    if _may_see_drafts(request):
        entries = service.store.audit.history(case_id)
        if not entries and service.store.cases.get_record(case_id) is None:
            raise not_found("案例", case_id, field="case_id")
        return {"case_id": case_id, "entries": jsonable_encoder(entries)}
    _record_or_404(service, case_id, request)  # a draft answers exactly like a missing case
    entries = [_public_entry(e) for e in service.store.audit.history(case_id)]
    return {"case_id": case_id, "entries": jsonable_encoder(entries)}


def _public_entry(entry: Any) -> Any:
    """An audit entry without the bodies of draft versions (work in progress is for editors)."""
    def side(snap: dict[str, Any] | None) -> dict[str, Any] | None:
        if snap is None or snap.get("status") == "published":
            return snap
        return {"status": snap.get("status"), "case": None}

    return replace(entry, before=side(entry.before), after=side(entry.after))
