"""The docs name only files that are in the repository.

README.md and docs/*.md: a relative link leads to a file; a file name in
backticks (``tests/unit/test_pool.py``, ``_jsapi/kv.py``) is the end of a path
in the repository; a ``.md`` file named anywhere in the text is one of ours,
unless it is the text of a link to another site. The same holds for the
docstrings of ``src/natskit``, which the API reference shows. The design
documents natskit was built from are not in the repository, so the docs never
cite them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCES = sorted(p for p in (ROOT / "src" / "natskit").rglob("*.py") if "_sync" not in p.parts)
MADE_BY_TOOLS = {".venv/", "site/"}  # created by tools/dev.py, git-ignored

_EXTERNAL_LINK = re.compile(r"\[[^\]]*\]\((?:https?|mailto):[^)]*\)")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE_PATH = re.compile(r"`([\w.][\w./-]*(?:/|\.(?:py|md|toml|yml|png)))`")
_MD_NAME = re.compile(r"[\w./-]*\w\.md\b")
_SPEC = re.compile(r"\bSPEC\b")


def _repo_paths() -> set[str]:
    """Every file and folder in the repository, as a path relative to its root."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    paths = set(files)
    for name in files:
        parts = name.split("/")
        paths.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    return paths


PATHS = _repo_paths()


def in_repo(name: str) -> bool:
    """Whether ``name`` is the end of a path in the repository (``x/`` for a folder)."""
    return name in MADE_BY_TOOLS or any(p == name or p.endswith("/" + name) for p in PATHS)


def problems(text: str, where: Path) -> list[str]:
    """What ``text`` (of the file ``where``) names that is not in the repository."""
    found = []
    local = _EXTERNAL_LINK.sub("", text)
    for target in _LINK.findall(local):
        path = target.partition("#")[0]
        if path and not (where.parent / path).exists():
            found.append(f"a link to {target}")
    local = _LINK.sub("]", local)
    found += [f"`{name}`" for name in _CODE_PATH.findall(local) if not in_repo(name)]
    found += [f"{name}" for name in _MD_NAME.findall(local) if not in_repo(name)]
    found += [f"{m.group()} (the spec is not in the repository)" for m in _SPEC.finditer(local)]
    return found


@pytest.mark.parametrize("page", PAGES + SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docs_name_only_files_of_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    if page.suffix == ".py":  # docstrings and comments: no links, no backticked paths
        text = " ".join(_MD_NAME.findall(text) + _SPEC.findall(text))
    assert problems(text, page) == []


def test_problems_are_found() -> None:
    text = "[a](nope.md) `tests/nope.py` see SP" + "EC.md and [t](https://x.org/API.md)"
    assert problems(text, ROOT / "docs" / "x.md") == [
        "a link to nope.md",
        "`tests/nope.py`",
        "SPEC.md",
        "SPEC (the spec is not in the repository)",
    ]
