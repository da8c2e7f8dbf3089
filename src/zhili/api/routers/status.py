"""Health (for monitors and load balancers) and usage statistics (for the people running it)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ... import __version__
from ...access.auth import Viewer, current_user, role_at_least
from ...access.errors import ApiError
from ...cases.stats import library_stats
from ...service import Service
from ..deps import get_service

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


@router.get("/stats", summary="统计：查询量（按领域、地区、日期）、无匹配问题、案例库分布")
def stats(days: int = Query(90, ge=1, le=3660), _user: Any = Viewer,
          service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"days": days,
            "queries": jsonable_encoder(service.store.queries.stats(days=days)),
            "no_fit": jsonable_encoder(service.store.queries.no_fit(limit=50)),
            "library": library_stats(service.store.cases.published())}
