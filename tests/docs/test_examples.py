"""Every Python block of README.md and docs/*.md runs, against a server of its own.

A fenced block whose language is ``python`` (or ``py``) is an example: it is run
as a script (``__name__ == "__main__"``) in a temporary directory, with a fresh
JetStream server per block, so the streams and buckets of one example never meet
another's. Examples connect to ``natskit.connect()`` (the default URL) or name
``nats://127.0.0.1:4222``; both lead to the test's server: the URL is replaced
in the code and the default is patched. A block that must not run (a fragment,
or a session) is marked by the line ``<!-- example: no-run -->`` right before
its fence; the marker is invisible on the rendered page. A block that defines
pytest tests (``def test_...(nats_server)``) has them called too, with the
server for the fixture they name.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import natskit.options
from natskit.testing import NatsServer

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
URL = "nats://127.0.0.1:4222"
NO_RUN = "<!-- example: no-run -->"

_FENCE = re.compile(r"^```[ \t]*([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    """A fenced block: the page, the line of its first code line, language and code."""

    page: Path
    line: int
    language: str
    code: str
    no_run: bool

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def is_example(self) -> bool:
        return self.language in ("python", "py") and not self.no_run


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rpartition("\n")[2]
        line = text.count("\n", 0, match.start(2)) + 1
        found.append(Block(page, line, match.group(1), match.group(2), before.strip() == NO_RUN))
    return found


ALL = [block for page in PAGES for block in blocks(page)]
EXAMPLES = [block for block in ALL if block.is_example]


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.name for block in EXAMPLES])
def test_example_runs(
    block: Block,
    jetstream_server: NatsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(natskit.options, "DEFAULT_URL", jetstream_server.url)
    # natscli contexts: none of the machine's, and an example's own is undone
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("NATS_CONTEXT", raising=False)
    # Blank lines in front keep the line numbers of tracebacks those of the page.
    code = "\n" * (block.line - 1) + block.code.replace(URL, jetstream_server.url)
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(code, str(block.page), "exec"), namespace)
    for name, test in namespace.items():
        if name.startswith("test_") and inspect.isfunction(test):
            fixtures = inspect.signature(test).parameters
            assert set(fixtures) <= {"nats_server", "jetstream_server"}, name
            test(**dict.fromkeys(fixtures, jetstream_server))


def test_every_page_with_code_has_examples() -> None:
    """The collector finds the blocks: README.md and the guides have runnable examples."""
    pages = {block.page.name for block in EXAMPLES}
    for name in ("README.md", "jetstream.md", "keyvalue.md", "objectstore.md", "services.md"):
        assert name in pages


def test_no_run_markers_stand_before_python_blocks() -> None:
    """A marker belongs to the block right after it; one elsewhere is a mistake."""
    marked = sum(block.no_run and block.language in ("python", "py") for block in ALL)
    markers = sum(
        line.strip() == NO_RUN for page in PAGES for line in page.read_text().splitlines()
    )
    assert marked == markers


def test_the_collector_reads_fences_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n```python\nprint(1)\n```\n\n"
        f"{NO_RUN}\n```python\nnc.publish(...)\n```\n\n```sh\nnatskit pub x\n```\n"
    )
    found = [(b.line, b.language, b.code, b.is_example) for b in blocks(page)]
    assert found == [
        (4, "python", "print(1)\n", True),
        (9, "python", "nc.publish(...)\n", False),
        (13, "sh", "natskit pub x\n", False),
    ]
