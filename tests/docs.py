"""The documentation's pages and their fenced samples, for the tests that
check them: README.md, every docs/*.md and every page under examples/ (the
tutorials' folder has its own README), so a new page is checked as soon as
it exists."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, NamedTuple

ROOT = Path(__file__).resolve().parent.parent

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```[ \t]*$", re.S | re.M)


class Block(NamedTuple):
    page: Path
    line: int   # of the opening fence, counting from 1
    kind: str   # the fence's info string: console, python, text, sh, ...
    text: str

    @property
    def where(self) -> str:
        return "%s:%d" % (name(self.page), self.line)


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]


def name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def blocks(kind: str | None = None, page: Path | None = None) -> Iterator[Block]:
    """Every fenced block of every page (or of one), in order."""
    for p in [page] if page else pages():
        text = p.read_text("utf-8")
        for m in FENCE.finditer(text):
            if kind is None or m.group(1) == kind:
                yield Block(p, text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2))


def prose(page: Path) -> str:
    """The page without its fenced blocks (links and tables live here)."""
    return FENCE.sub("", page.read_text("utf-8"))


def command(line: str) -> tuple[str, str]:
    """`$ gradcli ...` or `$ <shell command> | gradcli ...` -> (feed, gradcli's
    part); the feed's output is gradcli's standard input."""
    feed, _, cmd = line.rpartition("| ")
    return feed.strip(), cmd.strip()
