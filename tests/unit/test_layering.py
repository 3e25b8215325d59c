"""Objects own their state: no module reaches into another module's underscore names.

An underscore name (``_x``, not a dunder) is private to the module that defines
it: its functions and classes may use it on any object, other modules only
through ``self`` or ``cls`` (their own state, which a base class of another
module may have declared). The generated ``_sync/`` twin follows its source.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "natskit"


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined(tree: ast.AST) -> set[str]:
    """The underscore names a module defines: functions, classes, attributes it
    assigns, names in ``__slots__``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == "__slots__":
                    for elt in getattr(node.value, "elts", []):
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                            names.add(elt.value)
    return {n for n in names if private(n)}


MODULES = {
    path: ast.parse(path.read_text(encoding="utf-8"))
    for path in sorted(SRC.rglob("*.py"))
    if "_sync" not in path.parts
}
DEFINED = {path: defined(tree) for path, tree in MODULES.items()}
OURS = set().union(*DEFINED.values())


def violations(path: Path) -> list[str]:
    found = []
    own = DEFINED[path]
    for node in ast.walk(MODULES[path]):
        if isinstance(node, ast.Attribute) and private(node.attr) and node.attr in OURS:
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if node.attr not in own:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if private(alias.name) and alias.name in OURS and alias.name not in own:
                    found.append(f"line {node.lineno}: imports {alias.name}")
    return found


@pytest.mark.parametrize("path", list(MODULES), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_reads_another_modules_private_names(path: Path) -> None:
    assert violations(path) == []
