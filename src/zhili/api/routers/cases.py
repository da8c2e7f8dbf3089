"""The case library over HTTP: browse, edit with review (draft → published), history.

File import and export live in `transfer`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder

from ...access import review
from ...access.auth import Admin, Editor, Searcher, Viewer, current_user, role_at_least
from ...access.errors import ApiError, unauthorized
from ...service import Service
from ..deps import get_service, require_json
from ..schemas import BulkBody, CaseBody

router = APIRouter(prefix="/cases", tags=["案例库"])
Status = Literal["draft", "published"]


def record_json(record: Any) -> dict[str, Any]:
    """A stored case: its fields plus status and who changed it when."""
    return {**record.case.model_dump(mode="json"), "status": record.status,
            "created_at": jsonable_encoder(record.created_at),
            "updated_at": jsonable_encoder(record.updated_at), "updated_by": record.updated_by}


def actor_of(request: Request, user: Any = None) -> Any:
    """Who is asking, for the use cases (`zhili.usecases`)."""
    return review.actor(request, user if user is not None else current_user(request))


def drafts_allowed(request: Request, what: str) -> None:
    """401 for the anonymous (logging in may help), 403 for a viewer."""
    if role_at_least(current_user(request), "editor"):
        return
    if current_user(request) is None:
        raise unauthorized()
    raise ApiError(403, "forbidden", f"只有编辑及以上权限可以{what}草稿", "Drafts are visible to editors only",
                   field="status")


@router.get("/bundled-update", summary="内置案例库更新：将新增、更正、保留本地版本的案例（不做修改）")
def bundled_plan(request: Request, user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    """本版本自带的案例库与工作区对比：新增（工作区从未有过）、更新（本地没改过、内置文本已更正）、
    本地已修改或已删除（保持本地版本，不会被覆盖）。"""
    return service.library.bundled_plan(actor_of(request, user)).json()


@router.post("/bundled-update", summary="按内置案例库更新工作区（一个事务；本地修改或删除过的案例保持不变）")
def bundled_update(request: Request, status: Status = Query("published", description="新增案例的状态：草稿 / 发布"),
                   user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    """开启发布审核时新增案例只能存为草稿（status=draft）。"""
    return service.library.update_bundled(actor_of(request, user), status).json()


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
    return record_json(service.library.record(case_id, actor_of(request)))


@router.post("", status_code=201, dependencies=[Depends(require_json)], summary="新建案例（默认草稿）")
def create_case(case: CaseBody, request: Request,
                status: Status = Query("draft", description="draft 草稿 / published 直接发布（开启审核时编辑不可）"),
                user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return record_json(service.library.create(case, actor_of(request, user), status))


@router.put("/{case_id}", dependencies=[Depends(require_json)],
            summary="修改案例（开启审核时，编辑修改已发布案例的内容会退回草稿；内容未变则不变）")
def update_case(case_id: str, case: CaseBody, request: Request, user: Any = Editor,
                service: Service = Depends(get_service)) -> dict[str, Any]:
    if case.id != case_id:
        raise ApiError(422, "id_mismatch", f"请求体中的编号“{case.id}”与地址中的“{case_id}”不一致",
                       "Body id differs from the path id", field="id")
    _before, after = service.library.update(case, actor_of(request, user))
    return record_json(after)


@router.post("/{case_id}/publish", summary="发布（审核通过，参与匹配；开启审核时不能发布自己最后修改的案例）")
def publish_case(case_id: str, request: Request, user: Any = Editor,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    return record_json(service.library.set_status(case_id, "published", actor_of(request, user)))


@router.post("/{case_id}/unpublish", summary="撤回为草稿（不再参与匹配）")
def unpublish_case(case_id: str, request: Request, user: Any = Editor,
                   service: Service = Depends(get_service)) -> dict[str, Any]:
    return record_json(service.library.set_status(case_id, "draft", actor_of(request, user)))


@router.delete("/{case_id}", status_code=204, summary="删除案例")
def delete_case(case_id: str, request: Request, user: Any = Editor,
                service: Service = Depends(get_service)) -> Response:
    service.library.delete(case_id, actor_of(request, user))
    return Response(status_code=204)


@router.post("/bulk", dependencies=[Depends(require_json)],
             summary="批量发布 / 撤回 / 删除（一个事务；开启审核时跳过自己最后修改的草稿）")
def bulk_action(body: BulkBody, request: Request, user: Any = Editor,
                service: Service = Depends(get_service)) -> dict[str, Any]:
    """`dry_run` 为 true 时只返回每个案例将会怎样（与网页上的确认页相同），不做任何修改。"""
    actor = actor_of(request, user)
    if body.dry_run:
        plan = service.library.plan(body.action, body.ids, actor)
        return {"action": body.action, "dry_run": True,
                "items": [{"id": p.case_id, "will": p.will, "why": p.why or None} for p in plan]}
    done = service.library.apply(body.action, body.ids, actor)
    return {"action": body.action, "dry_run": False, "changed": list(done.changed), "same": done.same,
            "skipped_review": done.skipped, "missing": list(done.missing)}


@router.get("/{case_id}/history", summary="修改历史（审计记录）")
def case_history(case_id: str, request: Request, _user: Any = Viewer,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    """编辑可看任何案例（含草稿、已删除）的全部记录；查看者只能看已发布案例，草稿状态的内容不显示。"""
    entries = service.library.history(case_id, actor_of(request))
    return {"case_id": case_id, "entries": jsonable_encoder(entries)}


@router.post("/{case_id}/restore/{entry_id}", summary="恢复到修改记录中的某个版本（作为一次新的修改）")
def restore_case(case_id: str, request: Request, entry_id: int = PathParam(..., ge=1, le=2**31 - 1),
                 then: Literal["keep", "draft", "published"] = Query("keep", description="恢复后：保持状态 / 草稿 / 发布"),
                 user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    """开启审核时，编辑恢复的版本须由他人审核发布（已发布案例恢复后转为草稿）。"""
    return record_json(service.library.restore(case_id, entry_id, actor_of(request, user), then))
