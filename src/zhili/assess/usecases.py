"""Every assessment use case once: packs, template, import, results, overview, one unit's
report with its prescriptions, the warnings list, exports — for the CLI, the API and the pages.

Results are computed from the stored rows and the pack's tables on demand and cached until
either changes (the store's per-pack revision, the pack's fingerprint). Searches for the cases
behind a warning are cached per need and library revision: 500 units with the same weak point
cost one search.

Access: person-level results (packs marked `personal`, e.g. 能力图谱) are for assessors and admins
(`zhili.access.auth.can_assess`); callers pass `personal=True` only for them, others get
aggregates. Every view, export and report is written to the audit log with who asked.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .charts import radar, sparkline
from .engine import PeriodResult, Record, assess
from .pack import AssessmentPack, check_pack, load_pack, packs_dir
from .prescribe import Need, needs, search
from .sheets import read_file, write_template

if TYPE_CHECKING:
    from ..service import Service

MIN_GROUP = 5
"""A person-level pack's aggregates are shown to viewers only over at least this many people:
the average of a group of one is that person's score."""


class AssessAccessError(PermissionError):
    """Person-level results asked for by someone who may only see aggregates."""

    def __init__(self) -> None:
        super().__init__("个人测评结果属于个人信息，只有测评员和管理员可以查看；您可以查看汇总统计")


class UnitNotFoundError(LookupError):
    def __init__(self, pack: str, unit: str) -> None:
        super().__init__(f"测评包“{pack}”中没有编号为“{unit}”的数据")


def assess_dir() -> Path:
    return packs_dir()


def _stamp(directory: Path) -> tuple[Any, ...]:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.json*")))


class AssessmentService:
    def __init__(self, service: "Service", directory: Path | None = None) -> None:
        self.service = service
        self.directory = directory or assess_dir()
        self._lock = threading.Lock()
        self._packs: dict[str, tuple[tuple[Any, ...], AssessmentPack]] = {}
        self._results: dict[str, tuple[tuple[str, str], dict[str, list[PeriodResult]]]] = {}
        self._cases: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def store(self) -> Any:
        return self.service.store.assessments

    # ------------------------------------------------------------------ packs
    def names(self) -> list[str]:
        return sorted(p.name for p in self.directory.iterdir() if (p / "pack.json").is_file()) \
            if self.directory.is_dir() else []

    def pack(self, name: str) -> AssessmentPack:
        """The checked pack (RuleCheckError naming every problem), recompiled when its files change."""
        folder = self.directory / name
        stamp = _stamp(folder) if folder.is_dir() else ()
        cached = self._packs.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        pack = load_pack(name, self.directory)
        self._packs[name] = (stamp, pack)
        return pack

    def packs(self) -> list[AssessmentPack]:
        return [self.pack(n) for n in self.names()]

    def check(self, name: str | None = None) -> list[tuple[str, AssessmentPack | None, list[Any]]]:
        out = []
        for n in ([name] if name else self.names()):
            pack, problems = check_pack(self.directory / n)
            out.append((n, pack, problems))
        return out

    # ------------------------------------------------------------------ data in
    def template(self, name: str) -> bytes:
        return write_template(self.pack(name))

    def import_file(self, name: str, path: Path | str, *, display_name: str | None = None,
                    by: str | None = None) -> Any:
        """Read, check every cell, store all rows or none (AssessFileError lists the bad cells)."""
        pack = self.pack(name)
        records = read_file(pack, path, display_name)
        rows = [{"unit": r.unit, "period": r.period, "name": r.name, "region": r.region, "post": r.post,
                 "values": r.values} for r in records]
        return self.store.replace(pack.name, rows, by=by, source=display_name or Path(path).name)

    # ------------------------------------------------------------------ results
    def results(self, name: str) -> dict[str, list[PeriodResult]]:
        pack = self.pack(name)
        key = (self.store.revision(pack.name), pack.fingerprint)
        cached = self._results.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        with self._lock:
            records = [Record(r.unit, r.period, r.values, r.name, r.region, r.post)
                       for r in self.store.records(pack.name)]
            results = assess(pack, records, trace=False)  # a unit's page re-runs its own rows traced
            self._results[name] = (key, results)
            return results

    def traced(self, pack: AssessmentPack, unit: str) -> list[PeriodResult]:
        """One unit's history with every scoring, level and training row named (a unit's
        results depend on its own rows only, so this equals the bulk results)."""
        records = [Record(r.unit, r.period, r.values, r.name, r.region, r.post)
                   for r in self.store.records(pack.name, unit)]
        return assess(pack, records).get(unit, [])

    def periods(self, name: str) -> list[str]:
        return sorted({r.period for hist in self.results(name).values() for r in hist})

    def searcher(self) -> Any:
        """need → the engine's cases, cached per need until the library changes. The engine and
        the library's revision are read once per call, not once per need (500 units with the
        same weak point cost one search and no extra database round trips)."""
        engine = self.service.engine()
        revision = str(self.service.store.cases.revision())

        def recommend(text: str, top_k: int, filters: Any) -> Any:
            return engine.recommend(text, top_k=top_k, filters=filters)

        def cases_for(need: Need) -> dict[str, Any]:
            key = (need.key + "|" + need.query, revision)
            found = self._cases.get(key)
            if found is None:
                found = self._cases[key] = search(recommend, need)
            return found
        return cases_for

    def cases_for(self, need: Need) -> dict[str, Any]:
        """The engine's cases for one need (cached until the library changes)."""
        return self.searcher()(need)

    def prescriptions(self, pack: AssessmentPack, result: PeriodResult, cases_for: Any = None) -> list[dict[str, Any]]:
        cases_for = cases_for or self.searcher()
        return [{"for": label, "key": need.key, "label": need.label, **cases_for(need)}
                for label, need in needs(pack, result)]

    # ------------------------------------------------------------------ views
    def overview(self, name: str, *, period: str | None = None, region: str | None = None,
                 level: str | None = None, personal: bool = False, by: str | None = None,
                 audit: bool = True) -> dict[str, Any]:
        pack = self.pack(name)
        results = self.results(name)
        periods = self.periods(name)
        period = period if period in periods else (periods[-1] if periods else None)
        rows = [r for hist in results.values() for r in hist if r.period == period]
        regions = sorted({r.region for r in rows if r.region})
        if region:
            rows = [r for r in rows if r.region == region]
        distribution = Counter(r.level for r in rows)
        if level:
            rows = [r for r in rows if r.level == level]
        allowed = personal or not pack.personal
        order = {lv: i for i, lv in enumerate(pack.levels)}
        dims = {d.name: round(sum(r.dimensions[d.name]["score"] for r in rows) / len(rows), 2) if rows else None
                for d in pack.dimensions}
        warn_counts = Counter(w.kind for r in rows for w in r.warnings)
        data: dict[str, Any] = {
            "pack": pack.summary(), "periods": periods, "period": period, "regions": regions,
            "region": region or "", "level": level or "", "units": len(rows),
            "distribution": [{"level": lv, "count": distribution.get(lv, 0)} for lv in pack.levels]
            + [{"level": lv, "count": c} for lv, c in distribution.items() if lv not in order],
            "dimension_averages": dims, "warning_counts": dict(warn_counts),
            "average_total": round(sum(r.total for r in rows) / len(rows), 2) if rows else None,
            "personal_hidden": not allowed, "rows": [], "warnings": [],
            "suppressed": not allowed and pack.personal and 0 < len(rows) < MIN_GROUP, "min_group": MIN_GROUP,
        }
        if data["suppressed"]:  # too few people: any aggregate would describe someone
            data.update(distribution=[{"level": lv, "count": None} for lv in pack.levels],
                        dimension_averages={d.name: None for d in pack.dimensions}, warning_counts={},
                        average_total=None)
        if allowed:
            hist = {u: h for u, h in results.items()}
            data["rows"] = [{
                "unit": r.unit, "name": r.name, "region": r.region, "post": r.post, "period": r.period,
                "total": r.total, "level": r.level, "severity": r.severity, "warnings": len(r.warnings),
                "trend": [(x.period, x.total) for x in hist[r.unit] if x.period <= r.period],
                "spark": sparkline([(x.period, x.total) for x in hist[r.unit] if x.period <= r.period],
                                   title=f"{r.name or r.unit} 总分走势"),
            } for r in sorted(rows, key=lambda r: (-r.severity, order.get(r.level, 99), r.total, r.unit))]
            data["warnings"] = sorted(({"unit": r.unit, "name": r.name, "region": r.region, "period": r.period,
                                        "level": r.level, "total": r.total, **w.to_dict()}
                                       for r in rows for w in r.warnings),
                                      key=lambda w: (-w["severity"], w["total"], w["unit"], w["indicator"]))
        if audit:
            self.store.log(pack.name, "assess_view", by, {"what": "overview", "period": period,
                                                          "region": region or "", "level": level or "",
                                                          "personal": allowed})
        return data

    def unit(self, name: str, unit: str, *, personal: bool = False, with_cases: bool = True,
             by: str | None = None, action: str = "assess_view") -> dict[str, Any]:
        """One unit's history, latest result, charts, warnings with their cases and training."""
        pack = self.pack(name)
        if pack.personal and not personal:
            raise AssessAccessError()
        if not self.results(name).get(unit):
            raise UnitNotFoundError(name, unit)
        history = self.traced(pack, unit)
        latest = history[-1]
        self.store.log(pack.name, action, by, {"what": "unit", "unit": unit, "period": latest.period})
        return self._unit_view(pack, history, with_cases)

    def _unit_view(self, pack: AssessmentPack, history: list[PeriodResult], with_cases: bool,
                   cases_for: Any = None) -> dict[str, Any]:
        latest = history[-1]
        dims = [(n, d["score"], d.get("required")) for n, d in latest.dimensions.items()]
        return {
            "pack": pack.summary(), "unit": latest.unit, "name": latest.name, "region": latest.region,
            "post": latest.post, "latest": latest.to_dict(), "history": [h.to_dict() for h in history],
            "weak_dimensions": latest.weak_dimensions(pack),
            "radar": radar(dims, title=f"{latest.name or latest.unit} {latest.period} 各维度得分"),
            "spark": sparkline([(h.period, h.total) for h in history], title="总分走势", width=220, height=48),
            "prescriptions": self.prescriptions(pack, latest, cases_for) if with_cases else [],
        }

    def warnings(self, name: str, *, period: str | None = None, with_cases: bool = True,
                 by: str | None = None) -> list[dict[str, Any]]:
        """The CLI/API list: one entry per unit with warnings in the period (latest by default),
        most severe first: {unit, period, level, score, warnings: [{kind, indicator, reason, rule}], cases}."""
        pack = self.pack(name)
        periods = self.periods(name)
        period = period or (periods[-1] if periods else None)
        out = []
        cases_for = self.searcher() if with_cases else None
        for hist in self.results(name).values():
            for r in hist:
                if r.period != period or not r.warnings:
                    continue
                cases: list[str] = []
                if with_cases:
                    for p in self.prescriptions(pack, r, cases_for):
                        cases += [c["case_id"] for c in p["cases"] if c["case_id"] not in cases]
                out.append({"unit": r.unit, "period": r.period, "level": r.level, "score": r.total,
                            "severity": r.severity,
                            "warnings": [{"kind": w.kind, "indicator": w.indicator, "reason": w.reason,
                                          "rule": w.rule, "severity": w.severity, "trace": w.trace}
                                         for w in r.warnings],
                            "cases": cases})
        out.sort(key=lambda e: (-e["severity"], e["score"], e["unit"]))
        self.store.log(pack.name, "assess_view", by, {"what": "warnings", "period": period, "units": len(out)})
        return out

    # ------------------------------------------------------------------ exports
    def report_docx(self, name: str, unit: str, *, personal: bool = False, by: str | None = None) -> bytes:
        from .report import unit_docx

        view = self.unit(name, unit, personal=personal, by=by, action="assess_report")
        return unit_docx(self.pack(name), view)

    def overview_xlsx(self, name: str, *, period: str | None = None, region: str | None = None,
                      level: str | None = None, personal: bool = False, by: str | None = None) -> bytes:
        from .report import overview_xlsx

        data = self.overview(name, period=period, region=region, level=level, personal=personal, audit=False)
        self.store.log(name, "assess_export", by, {"what": "overview", "period": data["period"],
                                                   "region": region or "", "level": level or "",
                                                   "personal": not data["personal_hidden"]})
        return overview_xlsx(self.pack(name), data)

    def full_report(self, name: str, *, by: str | None = None) -> dict[str, Any]:
        """Every unit's view with prescriptions (the benchmark's 'full report')."""
        pack = self.pack(name)
        cases_for = self.searcher()
        views = {u: self._unit_view(pack, h, True, cases_for) for u, h in self.results(name).items()}
        self.store.log(pack.name, "assess_report", by, {"what": "all", "units": len(views)})
        return views

    @staticmethod
    def group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            out[r[key]].append(r)
        return dict(out)
