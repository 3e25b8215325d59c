"""mkdocs hooks of the docs site (``mkdocs.yml``; ``python3 tools/dev.py docs`` builds it).

* README.md is the home page: it is added as ``index.md``, its ``docs/`` links made
  relative to the docs folder;
* every public name of ``natskit`` and ``natskit.aio`` must have a ``::: name`` entry on
  a page under ``docs/api/`` (a name that ``natskit.aio`` shares with ``natskit`` is
  documented once, under ``natskit``); a missing one is a warning, so ``--strict`` fails.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import natskit
import natskit.aio

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("mkdocs.hooks.natskit")

_DOCS_LINK = re.compile(r"\]\(docs/")
_ENTRY = re.compile(r"^:::\s+(\S+)", re.MULTILINE)


def home_page(readme: str) -> str:
    """README.md's text as the site's ``index.md``: links into ``docs/`` made relative."""
    return _DOCS_LINK.sub("](", readme)


def required_entries() -> set[str]:
    """The dotted names the API reference must document."""
    names = {f"natskit.{name}" for name in natskit.__all__ if name != "__version__"}
    names |= {
        f"natskit.aio.{name}"
        for name in natskit.aio.__all__
        if getattr(natskit.aio, name) is not getattr(natskit, name, None)
    }
    return names


def documented_entries(api_dir: Path) -> set[str]:
    """The ``::: name`` entries of the pages in ``api_dir``."""
    return {
        name for page in sorted(api_dir.glob("*.md")) for name in _ENTRY.findall(page.read_text())
    }


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the home page; check that the API reference is complete."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "index.md", content=home_page(readme)))
    documented = documented_entries(Path(config.docs_dir) / "api")
    for name in sorted(required_entries() - documented):
        log.warning("API reference: no '::: %s' entry in docs/api/", name)
    return files
