"""The front door's import rule: the REST API (`zhili.api`) and the web pages (`zhili.web`) never
import each other; both import the shared `zhili.access`, and `zhili.app` alone puts them together.
Checked on the source (every import, function bodies included) and on a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import zhili

SRC = Path(zhili.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of everything `path` imports from zhili (`from . import web` counts as
    zhili.web), wherever the import statement stands."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                full = f"{base}.{node.module}" if node.module else base
            else:
                full = node.module or ""
            names.add(full)
            names.update(f"{full}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "zhili" or n.startswith("zhili.")}


def _uses(names: set[str], package: str) -> bool:
    return any(n == package or n.startswith(package + ".") for n in names)


def test_the_resolver_reads_relative_imports() -> None:
    found = imports_of(SRC / "app.py")
    assert _uses(found, "zhili.web") and _uses(found, "zhili.api") and "zhili.access.auth" in found


def test_api_and_web_never_import_each_other() -> None:
    for side, other in (("api", "zhili.web"), ("web", "zhili.api")):
        for path in sorted((SRC / side).rglob("*.py")):
            assert not _uses(imports_of(path), other), f"{path.relative_to(SRC)} imports {other}"


def test_only_the_app_imports_both() -> None:
    both = sorted(module_name(p) for p in SRC.rglob("*.py")
                  if _uses(imports_of(p), "zhili.api") and _uses(imports_of(p), "zhili.web"))
    assert both == ["zhili.app"]


def test_each_side_loads_without_the_other() -> None:
    code = ("import sys, importlib; importlib.import_module(sys.argv[1]); "
            "print(sys.argv[2] in sys.modules)")
    for side, other in (("zhili.api", "zhili.web"), ("zhili.web", "zhili.api")):
        out = subprocess.run([sys.executable, "-c", code, side, other], capture_output=True, text=True,
                             check=True, cwd=SRC.parent)
        assert out.stdout.strip() == "False", f"importing {side} loaded {other}"
