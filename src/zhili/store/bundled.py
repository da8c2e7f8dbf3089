"""Bringing a workspace up to date with the case library shipped in a newer release.

A workspace is seeded once with the bundled cases; later releases grow and correct that library
(new cases, cleaned sources). Its owners also edit, withdraw and delete cases. An update must
carry the release's changes to what nobody here has touched and leave alone everything local:

- a bundled case this workspace never had is added (``added``);
- a case whose last change came from the bundle (the first seeding or an earlier update) and
  whose bundled text changed is replaced by the new text, keeping its status (``updated``);
- a case that came from the bundle, that nobody here changed and that the release no longer
  ships (dropped, e.g. because its only source proved to be a content farm) is removed
  (``retired``; its history stays, and a later release that ships it again brings it back);
- a case someone here changed since (edit, restore, import, publish/withdraw) is left as it is
  (``edited``), and so is a case someone deleted (``deleted``).

"Came from the bundle" is read from the audit log: updates write action ``bundled``; workspaces
seeded by releases before this one hold the seed as the very first batch of ``import`` rows
written by nobody, all at one instant, which is how it is recognised there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, func, select

from ..cases.model import Case
from .schema import audit_table, cases_table

ACTION = "bundled"


@dataclass(frozen=True)
class BundledPlan:
    """What updating to the shipped library would do (ids in library order)."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: int = 0
    retired: tuple[str, ...] = ()
    cases: dict[str, Case] = field(default_factory=dict, repr=False, compare=False)

    @property
    def pending(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def __str__(self) -> str:
        text = f"新增 {len(self.added)}，更新 {len(self.updated)}，未变 {self.unchanged}"
        if self.retired:
            text += f"，移除 {len(self.retired)}（新版本不再收录）"
        kept = []
        if self.edited:
            kept.append(f"本地已修改 {len(self.edited)}")
        if self.deleted:
            kept.append(f"本地已删除 {len(self.deleted)}")
        return text + (f"；保留本地版本：{'，'.join(kept)}" if kept else "")

    def json(self) -> dict[str, Any]:
        return {"added": list(self.added), "updated": list(self.updated), "retired": list(self.retired),
                "edited": list(self.edited),
                "deleted": list(self.deleted), "unchanged": self.unchanged, "summary": str(self)}


def _legacy_seed_at(conn: Connection, seeded: bool) -> Any:
    """When the seed of an older release was written (the first audit instant), else None."""
    if not seeded:
        return None
    return conn.execute(select(func.min(audit_table.c.at)).where(audit_table.c.kind == "case")).scalar_one()


def _from_bundle(row: Any, seed_at: Any) -> bool:
    if row.action == ACTION:
        return True
    return (seed_at is not None and row.action == "import" and row.user is None
            and row.at == seed_at)


def plan(conn: Connection, bundle: Sequence[Case] | None, seeded: bool) -> BundledPlan:
    """Compare `bundle` (default: the shipped library) with the stored library; `seeded`: the
    workspace was seeded from a bundle."""
    if bundle is None:
        bundle, hashes = _shipped()
    else:
        hashes = {c.id: c.content_hash() for c in bundle}
    stored = {r.id: r.content_hash for r in conn.execute(select(cases_table.c.id, cases_table.c.content_hash))}
    ids = {c.id for c in bundle}
    last: dict[str, Any] = {}
    rows = conn.execute(select(audit_table.c.case_id, audit_table.c.action, audit_table.c.user, audit_table.c.at)
                        .where(audit_table.c.kind == "case").order_by(audit_table.c.id))
    for row in rows:
        if row.case_id in ids or row.case_id in stored:
            last[row.case_id] = row
    seed_at = _legacy_seed_at(conn, seeded)
    added, updated, edited, deleted = [], [], [], []
    unchanged = 0
    for case in bundle:
        entry = last.get(case.id)
        if case.id not in stored:  # never here, or removed by an update (added back), or deleted here
            (added if entry is None or entry.action == ACTION else deleted).append(case.id)
        elif stored[case.id] == hashes[case.id]:
            unchanged += 1
        elif entry is not None and _from_bundle(entry, seed_at):
            updated.append(case.id)
        else:
            edited.append(case.id)
    retired = tuple(cid for cid in sorted(set(stored) - ids)
                    if cid in last and _from_bundle(last[cid], seed_at))
    return BundledPlan(tuple(added), tuple(updated), tuple(edited), tuple(deleted), unchanged, retired,
                       {c.id: c for c in bundle})


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[Case, ...], dict[str, str]]:
    """The case library this release ships (src/zhili/data/cases.jsonl) and its content hashes,
    read once per process: an admin page asks for the plan on every visit."""
    from ..cases.io import read_cases
    from ..config import BUNDLED_CASES

    cases = tuple(read_cases(BUNDLED_CASES))
    return cases, {c.id: c.content_hash() for c in cases}
