"""Assessment packs (党组织健康指数, 基层治理能力图谱): indicators as data, JDM tables as rules.

A pack folder looks like a rule pack (pack.json, JDM decision graphs, tests.jsonl):

    assessments/health/pack.json        title, subject (organisation|person), personal, dimensions,
                                        levels, graphs {scoring, levels, warnings[, profiles, training]}
    assessments/health/indicators.json  [{id, name, dimension, unit, better, weight, min, max,
                                          definition, source, meaning, domains, scoring}]
    assessments/health/scoring.json     one decision table per graph, run by zen-engine in loop
    assessments/health/tests.jsonl      crafted histories with the expected scores and warnings

Every graph is one decision table evaluated over a list of items (`executionMode: loop`), so a
whole import is scored in a handful of zen calls instead of one per cell.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zen

from ..rules.graph import Table, parse_tables
from ..rules.schema import Problem, RuleCheckError

PACKS_DIR = Path(__file__).resolve().parent.parent / "data" / "assessments"
PACK_NAMES = ("health", "capability")
BETTER = ("higher", "lower")
SUBJECTS = ("organisation", "person")
REQUIRED_GRAPHS = ("scoring", "levels", "warnings")
OPTIONAL_GRAPHS = ("profiles", "training")
TOTAL = "总分"


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    dimension: str
    unit: str
    better: str
    weight: float
    min: float
    max: float
    definition: str
    source: str
    meaning: str          # the weakness in words: the query for matching practice cases
    domains: tuple[str, ...]  # domain steering for that query
    scoring: str = ""

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}（{self.unit}）"


@dataclass(frozen=True)
class Dimension:
    name: str
    weight: float
    meaning: str
    domains: tuple[str, ...]
    leadership: str = ""


@dataclass
class Graph:
    kind: str
    file: Path
    table: Table
    decision: Any = field(repr=False)


@dataclass
class AssessmentPack:
    name: str
    title: str
    description: str
    directory: Path
    subject: str
    personal: bool
    unit_label: str
    indicators: list[Indicator]
    dimensions: list[Dimension]
    levels: list[str]
    weak_levels: list[str]
    posts: list[str]
    baseline: dict[str, float]
    graphs: dict[str, Graph]
    fingerprint: str
    query_prefix: str = ""  # context for case searches, e.g. "基层干部"

    @property
    def tests_file(self) -> Path:
        return self.directory / "tests.jsonl"

    def indicator(self, key: str) -> Indicator | None:
        return next((i for i in self.indicators if key in (i.id, i.name)), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "subject": self.subject, "personal": self.personal,
                "unit_label": self.unit_label, "description": self.description,
                "dimensions": [d.name for d in self.dimensions], "levels": self.levels,
                "indicators": [{"id": i.id, "name": i.name, "dimension": i.dimension, "unit": i.unit,
                                "better": i.better, "source": i.source} for i in self.indicators],
                "posts": self.posts, "fingerprint": self.fingerprint}


ASSESS_DIR_ENV = "ZHILI_ASSESS_DIR"


def packs_dir(directory: Path | str | None = None) -> Path:
    """`directory`, else $ZHILI_ASSESS_DIR (a deployment's localised packs), else the bundled ones."""
    if directory:
        return Path(directory)
    env = os.environ.get(ASSESS_DIR_ENV)
    return Path(env) if env else PACKS_DIR


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read_json(path: Path, root: Path, problems: list[Problem]) -> Any:
    rel = _rel(path, root)
    if not path.is_file():
        problems.append(Problem(rel, "文件不存在"))
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, f"不是合法的 UTF-8 JSON：{exc}"))
        return None


def _indicators(raw: Any, rel: str, dims: list[str], problems: list[Problem]) -> list[Indicator]:
    out: list[Indicator] = []
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(rel, "指标清单应为非空列表"))
        return out
    seen: set[str] = set()
    for n, item in enumerate(raw, 1):
        where = f"第 {n} 项"
        if not isinstance(item, dict):
            problems.append(Problem(rel, "应为对象", row=where))
            continue
        iid = str(item.get("id") or "")
        where = iid or where
        for key in ("id", "name", "dimension", "unit", "meaning"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append(Problem(rel, f"缺少文字字段 {key}", row=where, cell=key))
        if iid in seen or iid == TOTAL:
            problems.append(Problem(rel, "指标编号重复或与“总分”冲突", row=where, cell="id"))
        seen.add(iid)
        if item.get("dimension") not in dims:
            problems.append(Problem(rel, f"维度“{item.get('dimension')}”不在 pack.json 的 dimensions 中（可选：{'、'.join(dims)}）",
                                    row=where, cell="dimension"))
        if item.get("better") not in BETTER:
            problems.append(Problem(rel, "better 应为 higher（越高越好）或 lower（越低越好）", row=where, cell="better"))
        nums = {k: item.get(k, d) for k, d in (("weight", 1), ("min", 0), ("max", 100))}
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nums.values()):
            problems.append(Problem(rel, "weight、min、max 应为数字", row=where))
            continue
        if nums["weight"] <= 0 or nums["min"] >= nums["max"]:
            problems.append(Problem(rel, "weight 应大于 0，且 min 小于 max", row=where))
        domains = item.get("domains") or []
        from ..cases import DOMAINS

        bad = [d for d in domains if d not in DOMAINS]
        if bad:
            problems.append(Problem(rel, f"domains 中有未知领域：{'、'.join(map(str, bad))}", row=where, cell="domains"))
        out.append(Indicator(iid, str(item.get("name", "")), str(item.get("dimension", "")), str(item.get("unit", "")),
                             str(item.get("better", "higher")), float(nums["weight"]), float(nums["min"]),
                             float(nums["max"]), str(item.get("definition", "")), str(item.get("source", "")),
                             str(item.get("meaning", "")), tuple(domains), str(item.get("scoring", ""))))
    return out


def check_pack(directory: Path) -> tuple[AssessmentPack | None, list[Problem]]:
    """Check one pack folder (manifest, indicators, every table) and compile it when clean."""
    from .lint import lint_pack_graph, lint_scoring_coverage

    directory = directory.resolve()
    root = directory.parent
    problems: list[Problem] = []
    meta = _read_json(directory / "pack.json", root, problems)
    if not isinstance(meta, dict):
        if meta is not None:
            problems.append(Problem(_rel(directory / "pack.json", root), "pack.json 应为对象"))
        return None, problems
    rel = _rel(directory / "pack.json", root)
    for key in ("title", "subject", "indicators"):
        if not isinstance(meta.get(key), str):
            problems.append(Problem(rel, f"缺少文字字段 {key}", cell=key))
    if meta.get("subject") not in SUBJECTS:
        problems.append(Problem(rel, "subject 应为 organisation（组织）或 person（个人）", cell="subject"))
    dims_raw = meta.get("dimensions") or []
    dims: list[Dimension] = []
    from ..cases import DOMAINS, LEADERSHIP

    for d in dims_raw if isinstance(dims_raw, list) else []:
        if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not isinstance(d.get("weight"), (int, float)):
            problems.append(Problem(rel, "每个维度需要 name 和数字 weight", cell="dimensions"))
            continue
        bad = [x for x in d.get("domains") or [] if x not in DOMAINS]
        if bad:
            problems.append(Problem(rel, f"维度“{d['name']}”的 domains 有未知领域：{'、'.join(bad)}", cell="dimensions"))
        if d.get("leadership") and d["leadership"] not in LEADERSHIP:
            problems.append(Problem(rel, f"维度“{d['name']}”的 leadership 应为 {'、'.join(LEADERSHIP)} 之一", cell="dimensions"))
        dims.append(Dimension(d["name"], float(d["weight"]), str(d.get("meaning", "")), tuple(d.get("domains") or []),
                              str(d.get("leadership", ""))))
    if not dims:
        problems.append(Problem(rel, "至少需要一个维度（dimensions）", cell="dimensions"))
    levels = meta.get("levels")
    if not isinstance(levels, list) or not levels or not all(isinstance(x, str) for x in levels):
        problems.append(Problem(rel, "levels 应为等次名称列表（从好到差）", cell="levels"))
        levels = []
    ind_file = directory / str(meta.get("indicators") or "indicators.json")
    indicators = _indicators(_read_json(ind_file, root, problems), _rel(ind_file, root), [d.name for d in dims], problems)
    for d in dims:
        if not any(i.dimension == d.name for i in indicators):
            problems.append(Problem(rel, f"维度“{d.name}”没有任何指标", cell="dimensions"))
    graphs_meta = meta.get("graphs") if isinstance(meta.get("graphs"), dict) else {}
    engine = zen.ZenEngine()
    graphs: dict[str, Graph] = {}
    digest = hashlib.sha256((directory / "pack.json").read_bytes())
    digest.update(ind_file.read_bytes() if ind_file.is_file() else b"")
    for kind in REQUIRED_GRAPHS + OPTIONAL_GRAPHS:
        name = graphs_meta.get(kind)
        if name is None:
            if kind in REQUIRED_GRAPHS or (kind in OPTIONAL_GRAPHS and meta.get("posts") and kind == "profiles"):
                problems.append(Problem(rel, f"graphs 缺少 {kind}（决策表文件）", cell="graphs"))
            continue
        gpath = directory / str(name)
        grel = _rel(gpath, root)
        graph = _read_json(gpath, root, problems)
        if graph is None:
            continue
        digest.update(gpath.read_bytes())
        found = lint_pack_graph(graph, grel, kind, meta, indicators, dims)
        problems += found
        if any(p.severity == "error" for p in found):
            continue
        try:
            decision = engine.create_decision(json.dumps(graph, ensure_ascii=False))
            decision.validate()
        except Exception as exc:  # zen raises RuntimeError with a JSON payload
            problems.append(Problem(grel, f"zen-engine 拒绝该决策图：{str(exc).splitlines()[0]}"))
            continue
        graphs[kind] = Graph(kind, gpath, parse_tables(graph)[0], decision)
    baseline = meta.get("baseline") if isinstance(meta.get("baseline"), dict) else {}
    posts = [str(p) for p in meta.get("posts") or []]
    if any(p.severity == "error" for p in problems):
        return None, problems
    pack = AssessmentPack(directory.name, meta["title"], str(meta.get("description", "")), directory,
                          meta["subject"], bool(meta.get("personal", meta["subject"] == "person")),
                          str(meta.get("unit_label") or ("干部" if meta["subject"] == "person" else "单位")),
                          indicators, dims, list(levels), [str(x) for x in meta.get("weak_levels") or []], posts,
                          {str(k): float(v) for k, v in baseline.items()}, graphs, digest.hexdigest()[:12],
                          str(meta.get("query_prefix", "")))
    problems += lint_scoring_coverage(pack, rel)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return pack, problems


def load_pack(name: str, directory: Path | str | None = None) -> AssessmentPack:
    """A checked, compiled pack by folder name; RuleCheckError listing every problem otherwise."""
    root = packs_dir(directory)
    folder = root / name
    if not (folder / "pack.json").is_file():
        known = "、".join(sorted(p.name for p in root.iterdir() if (p / "pack.json").is_file())) if root.is_dir() else ""
        raise RuleCheckError([Problem(str(folder), f"没有名为“{name}”的测评包（可用：{known}）")])
    pack, problems = check_pack(folder)
    if pack is None:
        raise RuleCheckError(problems)
    return pack


def check_all(directory: Path | str | None = None) -> tuple[list[AssessmentPack], list[Problem]]:
    root = packs_dir(directory)
    if not root.is_dir():
        return [], [Problem(str(root), "测评包目录不存在")]
    packs, problems = [], []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if not (sub / "pack.json").is_file():
            continue
        pack, found = check_pack(sub)
        problems += found
        if pack is not None:
            packs.append(pack)
    return packs, problems
