"""Rule-pack versions: each published set of packs, who published it, when, why and its files,
so any answer's rules can be traced to (and restored from) the exact tables that produced it.

`origin` says what serves after the version was recorded: "folder" — a record of the rules folder
(`POST /rules/versions`), which keeps serving itself; "product" — published from a draft or
restored in the product: this version's files serve (see `zhili.wiring.serving_rules`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from . import audit
from .clock import aware, now
from .errors import check_name
from .schema import rule_versions_table
from .tx import writing

MAX_FILE = 5_000_000  # bytes; rule tables are kilobytes, anything this big is a mistake
ORIGINS = ("folder", "product")


@dataclass(frozen=True)
class RuleVersion:
    id: int
    fingerprint: str  # RuleSet.fingerprint of the packs
    created_at: datetime
    user: str | None
    packs: list[dict[str, Any]]  # [{"id": "01-classify", "title": "问题分类", "sha256": …}]
    note: str = ""                # why it was published
    origin: str = "folder"
    draft_id: int | None = None
    approved_by: str | None = None
    restored_from: int | None = None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _snapshot(rules_dir: Path) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """Check and load the packs (RuleCheckError when broken: nothing recorded), then read their files."""
    from ..rules.ruleset import RuleSet

    ruleset = RuleSet.load(rules_dir)
    packs, files = [], {}
    for pack in ruleset.packs:
        digest = hashlib.sha256()
        for path in sorted(p for p in pack.directory.rglob("*") if p.is_file() and not p.name.startswith(".")):
            data = path.read_bytes()
            if len(data) > MAX_FILE:
                raise ValueError(f"规则文件过大：{path}（{len(data)} 字节）")
            rel = f"{pack.id}/{path.relative_to(pack.directory).as_posix()}"
            digest.update(rel.encode() + b"\0" + data)
            try:
                files[rel] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"规则文件不是 UTF-8 文本：{path}") from None
        packs.append({"id": pack.id, "title": pack.title, "sha256": digest.hexdigest()})
    return ruleset.fingerprint, packs, files


_LIST_COLUMNS = ("id", "fingerprint", "created_at", "user", "packs", "note", "origin", "draft_id",
                 "approved_by", "restored_from")


class RuleVersions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, rules_dir: Path | str, user: str | None, note: str = "") -> RuleVersion:
        """Store the packs in `rules_dir` as a folder version; the latest version again if nothing
        changed (and the folder already serves)."""
        check_name(user, "用户名")
        fingerprint, packs, files = _snapshot(Path(rules_dir))
        with writing(self.engine) as conn:
            t = rule_versions_table
            latest = conn.execute(select(*[t.c[c] for c in _LIST_COLUMNS]).order_by(t.c.id.desc()).limit(1)).first()
            if latest is not None and latest.fingerprint == fingerprint and _json(latest.packs) == packs \
                    and latest.origin == "folder":
                return self._version(latest)
            at = now()
            vid = conn.execute(insert(t).values(
                fingerprint=fingerprint, created_at=at, user=user, packs=packs, files=files,
                note=note, origin="folder")).inserted_primary_key[0]
            self._audit(conn, int(vid), "rules_record", user, {"fingerprint": fingerprint, "origin": "folder"})
        return RuleVersion(int(vid), fingerprint, at, user, packs, note)

    def publish(self, rules_dir: Path | str, user: str | None, note: str = "", *, draft_id: int | None = None,
                approved_by: str | None = None, restored_from: int | None = None) -> RuleVersion:
        """Store the (checked) packs in `rules_dir` as the version that serves from now on.

        With `draft_id` the draft is marked published in the same transaction, provided it is
        still open (else RuleDraftError "conflict" and nothing is recorded)."""
        check_name(user, "用户名")
        check_name(approved_by, "审核人")
        fingerprint, packs, files = _snapshot(Path(rules_dir))
        at = now()
        with writing(self.engine) as conn:
            vid = int(conn.execute(insert(rule_versions_table).values(
                fingerprint=fingerprint, created_at=at, user=user, packs=packs, files=files, note=note or "",
                origin="product", draft_id=draft_id, approved_by=approved_by,
                restored_from=restored_from)).inserted_primary_key[0])
            version = RuleVersion(vid, fingerprint, at, user, packs, note or "", "product", draft_id,
                                  approved_by, restored_from)
            if draft_id is not None:
                from .rule_drafts import mark_published

                mark_published(conn, draft_id, user, approved_by)
            self._audit(conn, vid, "rules_restore" if restored_from else "rules_publish", user,
                        {"fingerprint": fingerprint, "origin": "product", "note": note, "draft_id": draft_id,
                         "approved_by": approved_by, "restored_from": restored_from})
        return version

    @staticmethod
    def _audit(conn: Any, vid: int, action: str, user: str | None, after: dict[str, Any]) -> None:
        audit.write(conn, [{"kind": "rules", "case_id": f"version:{vid}", "action": action, "user": user,
                            "at": now(), "before": None, "after": after}])

    @staticmethod
    def _version(row: Any) -> RuleVersion:
        return RuleVersion(row.id, row.fingerprint, aware(row.created_at), row.user, _json(row.packs),  # type: ignore[arg-type]
                           row.note or "", row.origin or "folder", row.draft_id, row.approved_by,
                           row.restored_from)

    def list(self) -> list[RuleVersion]:
        """Newest first."""
        t = rule_versions_table
        with self.engine.connect() as conn:
            return [self._version(r) for r in conn.execute(
                select(*[t.c[c] for c in _LIST_COLUMNS]).order_by(t.c.id.desc()))]

    def get(self, version_id: int) -> RuleVersion | None:
        t = rule_versions_table
        with self.engine.connect() as conn:
            row = conn.execute(select(*[t.c[c] for c in _LIST_COLUMNS]).where(t.c.id == version_id)).first()
        return None if row is None else self._version(row)

    def latest(self) -> tuple[int, str] | None:
        """(id, origin) of the newest version — one indexed read, cheap enough per request."""
        t = rule_versions_table
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.id, t.c.origin).order_by(t.c.id.desc()).limit(1)).first()
        return None if row is None else (int(row.id), str(row.origin or "folder"))

    def files(self, version_id: int) -> dict[str, str]:
        """The stored pack files of one version ({"01-classify/pack.json": text, …}); {} if unknown."""
        with self.engine.connect() as conn:
            value = conn.execute(select(rule_versions_table.c.files)
                                 .where(rule_versions_table.c.id == version_id)).scalar_one_or_none()
        return {} if value is None else dict(_json(value))
