"""Loading rule packs (checked, compiled once) and evaluating them in order.

A rules directory holds one folder per pack, evaluated in folder-name order:

    rules/01-classify/pack.json     {"title": "问题分类", "graph": "classify.json",
                                     "description": "…", "params": {…}}
    rules/01-classify/classify.json the JDM decision graph (open it in the GoRules editor)
    rules/01-classify/tests.jsonl   example problems with expected outputs

Each pack's graph receives the rule input plus what earlier packs decided (see
zhili.rules.inputs) and its fired rows are folded into one RuleOutcome (see outcome.Accumulator).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import zen

from ..config import rules_dir
from .graph import Row, Table, parse_tables
from .inputs import complete_input
from .lint import lint_graph, parse_json
from .outcome import Accumulator, RuleOutcome
from .schema import KNOWN_FIELDS, Problem, RuleCheckError
from .trace import entries_for_pack


@dataclass
class Pack:
    id: str                 # folder name, e.g. "01-classify"
    title: str              # e.g. "问题分类"
    description: str = field(repr=False)
    directory: Path
    graph_file: Path
    tables: list[Table] = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    decision: Any = field(default=None, repr=False)
    fields: frozenset[str] = field(default=frozenset(KNOWN_FIELDS), repr=False)  # input fields it reads

    @property
    def tests_file(self) -> Path:
        return self.directory / "tests.jsonl"

    def table_map(self) -> dict[str, Table]:
        return {t.node_id: t for t in self.tables}


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def discover(directory: Path) -> tuple[list[tuple[Path, dict[str, Any] | None]], list[Problem]]:
    """Pack folders in order with their manifest (None when unreadable), and manifest problems."""
    problems: list[Problem] = []
    found: list[tuple[Path, dict[str, Any] | None]] = []
    if not directory.is_dir():
        return [], [Problem(str(directory), "规则目录不存在")]
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        if sub.name.startswith((".", "_")):
            continue
        manifest = sub / "pack.json"
        rel = _rel(manifest, directory)
        if not manifest.is_file():
            if any(sub.glob("*.json")):
                problems.append(Problem(rel, "缺少 pack.json（写明 title 和 graph）"))
            continue
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            problems.append(Problem(rel, f"不是合法的 JSON：{exc}"))
            found.append((sub, None))
            continue
        if not isinstance(meta, dict) or not isinstance(meta.get("graph"), str) \
                or not isinstance(meta.get("title"), str):
            problems.append(Problem(rel, "pack.json 需要文字字段 title 和 graph"))
            found.append((sub, None))
            continue
        if "params" in meta and not isinstance(meta["params"], dict):
            problems.append(Problem(rel, "params 应为对象"))
        found.append((sub, meta))
    if not found and not problems:
        problems.append(Problem(str(directory), "目录中没有规则包（子目录需含 pack.json）"))
    return found, problems


def _fields_used(graph_text: str) -> frozenset[str]:
    """Known input fields the graph mentions anywhere; others need not be sent to zen."""
    return frozenset(f for f in KNOWN_FIELDS
                     if re.search(rf"(?<![A-Za-z0-9_]){f}(?![A-Za-z0-9_])", graph_text))


def check_dir(directory: Path | str | None = None) -> tuple[list["Pack"], list[Problem]]:
    """Check every pack and compile the good ones. Problems include warnings."""
    root = Path(directory) if directory else rules_dir()
    root = root.resolve()
    found, problems = discover(root)
    engine = zen.ZenEngine()
    packs: list[Pack] = []
    for sub, meta in found:
        if meta is None:
            continue
        gpath = sub / meta["graph"]
        rel = _rel(gpath, root)
        if not gpath.is_file():
            problems.append(Problem(_rel(sub / "pack.json", root), f"找不到决策图文件 {meta['graph']}"))
            continue
        try:
            text = gpath.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(rel, "不是 UTF-8 编码的文本文件"))
            continue
        graph, errs = parse_json(text, rel)
        problems += errs
        if graph is None:
            continue
        found_problems = lint_graph(graph, rel)
        problems += found_problems
        if any(p.severity == "error" for p in found_problems):
            continue
        try:
            decision = engine.create_decision(text)
            decision.validate()
        except Exception as exc:  # zen raises RuntimeError with a JSON payload
            problems.append(Problem(rel, f"zen-engine 拒绝该决策图：{str(exc).splitlines()[0]}"))
            continue
        packs.append(Pack(sub.name, meta["title"], str(meta.get("description", "")), sub, gpath,
                          parse_tables(graph), dict(meta.get("params") or {}), decision,
                          _fields_used(text)))
    return packs, problems


class RuleSet:
    """A checked, compiled set of rule packs. Immutable once loaded."""

    def __init__(self, directory: Path, packs: list[Pack], warnings: list[Problem],
                 fingerprint: str):
        self.directory = directory
        self.packs = packs
        self.warnings = warnings
        self.fingerprint = fingerprint
        self.params: dict[str, Any] = {}
        for p in packs:
            self.params.update(p.params)
        self._tables = [(p, p.table_map()) for p in packs]

    @classmethod
    def load(cls, directory: Path | str | None = None) -> "RuleSet":
        """Check and compile every pack; raise RuleCheckError (with locations) if any is wrong.

        Nothing is half-loaded: on error no RuleSet exists, so a holder keeps its old one.
        """
        root = (Path(directory) if directory else rules_dir()).resolve()
        packs, problems = check_dir(root)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise RuleCheckError(errors)
        digest = hashlib.sha256()
        for p in packs:
            digest.update(p.id.encode())
            digest.update((p.directory / "pack.json").read_bytes())
            digest.update(p.graph_file.read_bytes())
        return cls(root, packs, [p for p in problems if p.severity != "error"],
                   digest.hexdigest()[:12])

    def evaluate(self, rule_input: dict[str, Any]) -> RuleOutcome:
        """Run every pack in order over `rule_input` (see build_rule_input)."""
        rule_input = complete_input(rule_input)
        acc = Accumulator(self.params)
        ctx: dict[str, Any] = {**rule_input, **acc.context()}
        for pack, tables in self._tables:
            sent = {k: v for k, v in ctx.items() if k in pack.fields or k not in KNOWN_FIELDS}
            response = pack.decision.evaluate(sent, {"trace": True})
            for entry in entries_for_pack(pack.id, pack.title, tables, response, ctx):
                acc.absorb(entry)
            ctx = {**rule_input, **acc.context()}
        return acc.outcome()

    def rows(self) -> Iterator[tuple[Pack, Table, Row]]:
        for pack in self.packs:
            for table in pack.tables:
                for row in table.rows:
                    yield pack, table, row

    def pack(self, key: str) -> Pack | None:
        """A pack by folder name or title."""
        return next((p for p in self.packs if key in (p.id, p.title)), None)

    def __repr__(self) -> str:
        n = sum(1 for _ in self.rows())
        return f"RuleSet({self.directory}, packs={[p.id for p in self.packs]}, rows={n})"
