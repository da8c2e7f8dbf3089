"""Rule-pack versions: each published set of packs, who published it and its files, so any
answer's rules can be traced to (and restored from) the exact tables that produced it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from .clock import aware, now
from .errors import check_name
from .schema import rule_versions_table
from .tx import writing

MAX_FILE = 5_000_000  # bytes; rule tables are kilobytes, anything this big is a mistake


@dataclass(frozen=True)
class RuleVersion:
    id: int
    fingerprint: str  # RuleSet.fingerprint of the packs
    created_at: datetime
    user: str | None
    packs: list[dict[str, Any]]  # [{"id": "01-classify", "title": "问题分类", "sha256": …}]


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


class RuleVersions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, rules_dir: Path | str, user: str | None) -> RuleVersion:
        """Store the packs in `rules_dir` as a version; the latest version again if nothing changed."""
        check_name(user, "用户名")
        fingerprint, packs, files = _snapshot(Path(rules_dir))
        with writing(self.engine) as conn:
            latest = conn.execute(select(rule_versions_table).order_by(rule_versions_table.c.id.desc()).limit(1)).first()
            if latest is not None and latest.fingerprint == fingerprint and _json(latest.packs) == packs:
                return self._version(latest)
            at = now()
            vid = conn.execute(insert(rule_versions_table).values(
                fingerprint=fingerprint, created_at=at, user=user, packs=packs, files=files)).inserted_primary_key[0]
        return RuleVersion(int(vid), fingerprint, at, user, packs)

    @staticmethod
    def _version(row: Any) -> RuleVersion:
        return RuleVersion(row.id, row.fingerprint, aware(row.created_at), row.user, _json(row.packs))  # type: ignore[arg-type]

    def list(self) -> list[RuleVersion]:
        """Newest first."""
        t = rule_versions_table
        with self.engine.connect() as conn:
            return [self._version(r) for r in conn.execute(
                select(t.c.id, t.c.fingerprint, t.c.created_at, t.c.user, t.c.packs).order_by(t.c.id.desc()))]

    def files(self, version_id: int) -> dict[str, str]:
        """The stored pack files of one version ({"01-classify/pack.json": text, …}); {} if unknown."""
        with self.engine.connect() as conn:
            value = conn.execute(select(rule_versions_table.c.files)
                                 .where(rule_versions_table.c.id == version_id)).scalar_one_or_none()
        return {} if value is None else dict(_json(value))
