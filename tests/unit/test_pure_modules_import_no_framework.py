"""Pure domain modules import neither flask, sqlalchemy nor stripe, not even indirectly.

Which modules are pure (the convention):
- every module named in ``PURE_MODULES`` below, and
- every module under ``coaching/`` that says so itself with a module-level ``__pure__ = True``
  (found by reading the source, so a new pure module is checked without editing this file).

A module in ``PURE_MODULES`` whose file does not exist yet must also be in ``NOT_WRITTEN_YET``:
it then shows as an explicit skip ("not written yet"); a listed module that is missing
without being declared so fails. Payments' pure modules (names not fixed yet) use the marker.

Each module is imported in a fresh interpreter with the ``coaching`` package's own
``__init__`` (the Flask app factory) stubbed out, and the test inspects ``sys.modules``
afterwards; the import chain that pulled a framework in is shown on failure.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "coaching"
FORBIDDEN = ("flask", "sqlalchemy", "stripe")

PURE_MODULES = [
    "coaching.clock",
    "coaching.coaches.catalog",
    "coaching.scheduling.slots",
    "coaching.scheduling.lifecycle",
    "coaching.intake.scoring",
    "coaching.intake.questionnaire",
    "coaching.matching.scoring",
]
# Planned modules whose files do not exist yet. Remove a name when its file lands.
NOT_WRITTEN_YET: set[str] = set()

PROBE = r"""
import importlib, json, sys, traceback, types
forbidden, target, package_dir = sys.argv[1], sys.argv[2], sys.argv[3]
forbidden = tuple(forbidden.split(","))
chains = {}

class Recorder:
    # Notes who imported each forbidden package first, then lets the normal import go on.
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in forbidden and top not in chains:
            chains[top] = [f"{f.filename.rsplit('/coaching/', 1)[-1]}:{f.lineno}"
                           for f in traceback.extract_stack()
                           if "/coaching/" in f.filename]
        return None

sys.meta_path.insert(0, Recorder())
# The package's __init__ builds the Flask app; a pure module must not need it.
root = types.ModuleType("coaching")
root.__path__ = [package_dir]
sys.modules["coaching"] = root
importlib.import_module(target)
found = sorted({m.partition(".")[0] for m in sys.modules} & set(forbidden))
print(json.dumps({"found": found, "chains": {k: chains.get(k, []) for k in found}}))
"""


def module_path(name: str) -> Path:
    relative = Path(*name.split("."))
    candidate = ROOT / relative.with_suffix(".py")
    return candidate if candidate.exists() else ROOT / relative / "__init__.py"


def declares_pure(path: Path) -> bool:
    """True when the module has a top-level ``__pure__ = True``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__pure__" for t in targets):
                return isinstance(node.value, ast.Constant) and node.value.value is True
    return False


def marked_pure_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if declares_pure(path):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def modules_to_check() -> list[str]:
    return sorted(set(PURE_MODULES) | set(marked_pure_modules()))


def framework_imports(module: str) -> dict[str, object]:
    """Import ``module`` in a fresh interpreter; return the forbidden packages it loaded."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(FORBIDDEN), module, str(PACKAGE)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, f"importing {module} failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", modules_to_check())
def test_pure_module_imports_no_framework(module: str) -> None:
    if not module_path(module).exists():
        assert module in NOT_WRITTEN_YET, f"{module} is listed as pure but has no file"
        pytest.skip(f"{module} is not written yet (NOT_WRITTEN_YET)")
    report = framework_imports(module)
    chains = "\n".join(f"  {name} via {' -> '.join(chain) or '?'}" for name, chain in report["chains"].items())
    assert report["found"] == [], f"{module} imports {', '.join(report['found'])}:\n{chains}"


def test_the_check_catches_a_module_that_imports_the_framework() -> None:
    report = framework_imports("coaching.db")
    assert "sqlalchemy" in report["found"]
    assert any("db.py" in step for step in report["chains"]["sqlalchemy"])


def test_the_pure_marker_is_recognised(tmp_path: Path) -> None:
    marked = tmp_path / "marked.py"
    marked.write_text('"""Doc."""\n\n__pure__ = True\n')
    unmarked = tmp_path / "unmarked.py"
    unmarked.write_text("__pure__ = False\nPURE = True\n")
    assert declares_pure(marked) and not declares_pure(unmarked)
