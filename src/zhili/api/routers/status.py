"""Health (for monitors and load balancers) and usage statistics (for the people running it)."""

from __future__ import annotations

import logging
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ... import __version__
from ...access.auth import Editor, Viewer, current_user, role_at_least
from ...access.errors import ApiError
from ...service import Service
from ...usecases.stats import (VIEWS, XLSX, backlog_csv, backlog_items, backlog_xlsx, library, rerun_link,
                               set_backlog_status, usage)
from ..deps import get_service, require_json
from ..schemas import BacklogMark

router = APIRouter(tags=["状态"])
log = logging.getLogger("zhili.api")


@router.get("/health", summary="健康检查（数据库、案例库、索引、规则）")
def health(request: Request, service: Service = Depends(get_service)) -> JSONResponse:
    """数据库与索引可用时 200（规则包有问题时 `degraded` 为 true，仍用上次通过检查的规则），否则 503。

    匿名与非管理员只得到 `ok` 和 `degraded`；版本、向量模型、规则指纹和出错原因只给管理员。
    """
    out = _health(service)
    status = 200 if out["ok"] else 503
    try:
        admin = role_at_least(current_user(request), "admin")
    except ApiError:
        raise  # a bad token is refused here as everywhere
    except Exception:  # noqa: BLE001 - the database is down: the monitor still gets its answer
        admin = False
    if not admin:
        # version, embedder and rule fingerprint tell an attacker what to aim at: admins only
        out = {"ok": out["ok"], "degraded": out.get("degraded", False)}
    return JSONResponse(out, status_code=status)


def _health(service: Service) -> dict[str, Any]:
    """The full report; `ok` False means 503."""
    out: dict[str, Any] = {"ok": True, "version": __version__}
    try:
        out["db"] = {"ok": True, "revision": service.store.cases.revision()}
    except Exception as exc:  # noqa: BLE001 - a monitor needs the answer, not a 500
        log.warning("health: database check failed: %s", exc)
        out["ok"] = False
        out["db"] = {"ok": False, "message": "数据库无法访问"}
        return out
    try:
        engine = service.engine()
    except Exception as exc:  # noqa: BLE001
        log.warning("health: engine unavailable: %s", exc)
        out["ok"] = False
        out["index"] = {"ok": False, "message": str(exc)}
        return out
    state = service.state
    out["library"] = {"published": state.cases}
    out["index"] = {"ok": True, **jsonable_encoder(state),
                    "embedder": getattr(engine.embedder, "name", None)}
    problem = engine.rules_problem
    out["rules"] = {"ok": engine.rules is not None and problem is None,
                    "loaded": engine.rules is not None,
                    "fingerprint": engine.rules.fingerprint if engine.rules else None,
                    "fallback": problem is not None,
                    "message": str(problem).splitlines()[0] if problem else ""}
    # broken rule packs do not take the node out of service: the last good rules keep answering
    out["degraded"] = not out["rules"]["ok"]
    return out


@router.get("/stats", summary="统计：查询量（按领域、地区、日期）、反馈、待收集问题（去重）、案例库分布")
def stats(days: int = Query(90, ge=1, le=3660), backlog: Literal["open", "added", "dropped", "all"] = Query("open"),
          _user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    """与网页“统计”相同的数据：日期按配置的时区（默认北京时间）；`backlog` 每个问题只列一次（按规范化文本去重）。"""
    report = usage(service, days, backlog)
    return {"days": days, "queries": jsonable_encoder(report["stats"]),
            "feedback": jsonable_encoder(report["feedback"]),
            "backlog": [{**jsonable_encoder(it), "rerun": rerun_link(it.text)} for it in report["backlog"]],
            "backlog_counts": report["backlog_counts"], "library": library(service)}


@router.get("/stats/backlog.{fmt}", summary="导出待收集问题（xlsx / csv）",
            responses={200: {"content": {XLSX: {}, "text/csv": {}}}})
def export_backlog(request: Request, fmt: Literal["xlsx", "csv"] = PathParam(...),
                   days: int = Query(90, ge=1, le=3660),
                   backlog: Literal["open", "added", "dropped", "all"] = Query("open"),
                   _user: Any = Editor, service: Service = Depends(get_service)) -> Response:
    items = backlog_items(service, days, backlog)
    base = str(request.base_url).rstrip("/")
    data, media = ((backlog_csv(items, base), "text/csv; charset=utf-8") if fmt == "csv"
                   else (backlog_xlsx(items, base), XLSX))
    name = f"待收集案例_{VIEWS[backlog]}_近{days}天.{fmt}"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"backlog.{fmt}\"; filename*=UTF-8''{quote(name)}"})


@router.put("/stats/backlog/{key}", dependencies=[Depends(require_json)], summary="标记待收集问题：待收集 / 已补充 / 不处理")
def mark_backlog(body: BacklogMark, key: str = PathParam(..., max_length=64), user: Any = Editor,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    try:
        set_backlog_status(service, key, body.status, user.username)
    except (ValueError, LookupError) as exc:
        raise ApiError(422, "validation_error", str(exc), "Cannot mark this backlog question", field="key") from None
    return {"key": key, "status": body.status}
