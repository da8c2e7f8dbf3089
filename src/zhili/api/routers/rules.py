"""Rule packs: what is serving, which versions were published, and a lint of the active folder.

Server paths (the rules folder, files named in problems) are shown to admins only; viewers and
editors see files relative to the rules folder, which is all they need to find a problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder

from ... import config
from ...access.auth import Admin, Viewer, role_at_least
from ...access.errors import ApiError
from ...rules import check_dir
from ...service import Service
from ..deps import get_service

router = APIRouter(prefix="/rules", tags=["规则包"])


def _rules_dir(service: Service):
    return service.rules_dir or config.rules_dir()


def _pack_json(pack: Any) -> dict[str, Any]:
    return {"id": pack.id, "title": pack.title, "description": pack.description,
            "tables": [{"id": t.node_id, "label": t.label, "rows": len(t.rows)} for t in pack.tables],
            "rows": sum(len(t.rows) for t in pack.tables)}


def _relative(file: str, roots: list[Path]) -> str:
    """A problem's file relative to the rules folder it is in ("02-routing/routing.json")."""
    path = Path(file)
    if not path.is_absolute():
        return file  # already relative to the rules folder
    for root in roots:
        try:
            return path.relative_to(root).as_posix() or "."
        except ValueError:
            continue
    return path.name


def _problems(problems: list[Any], roots: list[Path] | None) -> list[dict[str, Any]]:
    """Problems as JSON; with `roots` (not an admin) files are shown relative to them."""
    out = [p.to_dict() for p in problems]
    if roots is not None:
        for item in out:
            item["file"] = _relative(item["file"], roots)
    return out


@router.get("", summary="规则包与已发布版本（服务器路径只给管理员）")
def list_rules(user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    engine = service.engine()
    rules = engine.rules
    problem = engine.rules_problem
    admin = role_at_least(user, "admin")
    root = _rules_dir(service)
    roots = None if admin else [Path(root), *([Path(rules.directory)] if rules is not None else [])]
    out: dict[str, Any] = {
        "serving": None if rules is None else {
            "fingerprint": rules.fingerprint,
            "packs": [_pack_json(p) for p in rules.packs],
            "fallback": problem is not None,  # the active folder failed its check; last good rules serve
            "problems": _problems(getattr(problem, "problems", []), roots)},
        "versions": jsonable_encoder(service.store.rule_versions.list()),
    }
    if admin:
        out["directory"] = str(root)
        if rules is not None:
            out["serving"]["directory"] = str(rules.directory)
    return out


def check(service: Service, admin: bool = True) -> dict[str, Any]:
    """Lint the active rules folder; without `admin` no server path is in the answer."""
    root = _rules_dir(service)
    packs, problems = check_dir(root)
    errors = [p for p in problems if p.severity == "error"]
    out = {"ok": not errors, "packs": [_pack_json(p) for p in packs], "errors": len(errors),
           "problems": _problems(problems, None if admin else [Path(root)])}
    return {"directory": str(root), **out} if admin else out


@router.get("/check", summary="检查规则包（与 zhili rules check 相同）")
def check_rules(user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    return check(service, role_at_least(user, "admin"))


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
