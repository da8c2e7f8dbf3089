"""The rules currently serving, with reloads that never leave a service without good rules."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from ..config import rules_dir
from ..files import replacing_directory
from .outcome import RuleOutcome
from .ruleset import RuleSet
from .schema import Problem, RuleCheckError


class ActiveRules:
    """Holds the serving RuleSet. `reload()` swaps only after the new packs check clean.

    >>> active = ActiveRules()            # loads ZHILI_RULES_DIR or the bundled packs
    >>> active.evaluate(rule_input)       # always the last good rules
    >>> active.reload()                   # RuleCheckError on a bad edit; old rules keep serving
    """

    def __init__(self, directory: Path | str | None = None, ruleset: RuleSet | None = None):
        self._lock = threading.Lock()
        self.directory = Path(directory) if directory else None
        self._rules = ruleset if ruleset is not None else RuleSet.load(self.directory)
        self.last_error: RuleCheckError | None = None

    @property
    def rules(self) -> RuleSet:
        return self._rules

    def reload(self, directory: Path | str | None = None) -> RuleSet:
        """Load `directory` (default: the one in use); on failure raise and keep the old rules."""
        target = Path(directory) if directory else (self.directory or rules_dir())
        try:
            fresh = RuleSet.load(target)
        except RuleCheckError as exc:
            self.last_error = exc
            raise
        with self._lock:
            self._rules = fresh
            self.directory = target
            self.last_error = None
        return fresh

    def evaluate(self, rule_input: dict[str, Any]) -> RuleOutcome:
        return self._rules.evaluate(rule_input)

    @property
    def problems(self) -> list[Problem]:
        """Errors of the last failed reload (empty after a good one)."""
        return list(self.last_error.problems) if self.last_error else []


RuleSetHolder = ActiveRules


def load_or_last_good(directory: Path, snapshot: Path) -> tuple[RuleSet, RuleCheckError | None]:
    """The packs in `directory`; if they fail their checks, the last good copy in `snapshot`.

    The CLI starts afresh on every call, so "the previous good rules stay active" needs the last
    good packs on disk: each clean load refreshes the snapshot (copy to a temp dir, then swap),
    and a broken edit is reported while answers keep coming from the snapshot. Without a
    snapshot the error is raised.
    """
    try:
        rules = RuleSet.load(directory)
    except RuleCheckError as exc:
        if not snapshot.is_dir():
            raise
        return RuleSet.load(snapshot), exc
    marker = snapshot / ".fingerprint"
    if not marker.is_file() or marker.read_text(encoding="utf-8") != rules.fingerprint:
        with replacing_directory(snapshot) as tmp:
            shutil.copytree(directory, tmp, ignore=shutil.ignore_patterns(".*"), dirs_exist_ok=True)
            (tmp / ".fingerprint").write_text(rules.fingerprint, encoding="utf-8")
    return rules, None
