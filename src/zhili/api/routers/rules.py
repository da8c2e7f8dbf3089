"""Rule packs: what is serving, which versions were published, and a lint of the active folder."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder

from ... import config
from ...rules import check_dir
from ...service import Service
from ..auth import Admin, Viewer
from ..deps import get_service
from ..errors import ApiError

router = APIRouter(prefix="/rules", tags=["规则包"])


def _rules_dir(service: Service):
    return service.rules_dir or config.rules_dir()


def _pack_json(pack: Any) -> dict[str, Any]:
    return {"id": pack.id, "title": pack.title, "description": pack.description,
            "tables": [{"id": t.node_id, "label": t.label, "rows": len(t.rows)} for t in pack.tables],
            "rows": sum(len(t.rows) for t in pack.tables)}


@router.get("", summary="规则包与已发布版本")
def list_rules(_user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    engine = service.engine()
    rules = engine.rules
    problem = engine.rules_problem
    return {
        "directory": str(_rules_dir(service)),
        "serving": None if rules is None else {
            "fingerprint": rules.fingerprint, "directory": str(rules.directory),
            "packs": [_pack_json(p) for p in rules.packs],
            "fallback": problem is not None,  # the active folder failed its check; last good rules serve
            "problems": [p.to_dict() for p in getattr(problem, "problems", [])]},
        "versions": jsonable_encoder(service.store.rule_versions.list()),
    }


def check(service: Service) -> dict[str, Any]:
    root = _rules_dir(service)
    packs, problems = check_dir(root)
    errors = [p for p in problems if p.severity == "error"]
    return {"directory": str(root), "ok": not errors, "packs": [_pack_json(p) for p in packs],
            "errors": len(errors), "problems": [p.to_dict() for p in problems]}


@router.get("/check", summary="检查规则包（与 zhili rules check 相同）")
def check_rules(_user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    return check(service)


@router.post("/versions", status_code=201, summary="发布当前规则（检查通过后记录版本并重新加载）")
async def publish_rules(user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    report = await run_in_threadpool(check, service)
    if not report["ok"]:
        raise ApiError(422, "rules_invalid", f"规则包有 {report['errors']} 处错误，未发布；正在使用的规则保持不变",
                       f"{report['errors']} rule errors; nothing published", field="rules",
                       extra={"problems": report["problems"]})
    version = await run_in_threadpool(service.store.rule_versions.record, _rules_dir(service), user.username)
    await run_in_threadpool(service.refresh, True)
    return jsonable_encoder(version)
