"""案例详情: one case in full, with its source and figures, and the cases most like it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from starlette.exceptions import HTTPException

from ...usecases import Actor
from ..deps import has_role, reader, service
from ..links import carried
from ..templating import message_page, templates

router = APIRouter()


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_detail(request: Request, case_id: str) -> Response:
    user = reader(request)
    if isinstance(user, Response):
        return user
    try:  # drafts are work in progress: only editors see them (the API's rule, `Library.record`)
        record = await run_in_threadpool(service(request).library.record, case_id, Actor.of(user))
    except HTTPException:
        return message_page(request, "案例不存在", f"找不到编号为“{case_id}”的案例。", 404)
    similar = await run_in_threadpool(service(request).similar, record.case)
    votes = (await run_in_threadpool(service(request).store.feedback.summary, case_id)
             if has_role(user, "editor") else None)
    starred = bool(user is not None and await run_in_threadpool(
        service(request).store.favorites.starred, user.id, [case_id]))
    # the search that led here (its parameters ride along on the link): the breadcrumb goes back to it
    back = carried(request.query_params)
    ingested = await run_in_threadpool(service(request).store.ingest.source_of, case_id)
    return templates.TemplateResponse(request, "case.html", {"record": record, "case": record.case,
                                                             "ingested": ingested,
                                                             "similar": similar, "votes": votes,
                                                             "starred": starred, "back": back})
