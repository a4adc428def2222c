"""Errors are data: a kind, a message, a hint and where in the source it happened.

The library raises them; only the command line turns them into text on
stderr and an exit code.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Iterable


class Source:
    r"""A program's text, with line and column lookups for error messages.

    A Source made by `Source.join` is several files read one after another;
    positions in it are reported in the file they fall in, with that file's
    own line numbers:

    >>> src = Source.join([("a.py", "x = 1\ny = 2"), ("b.py", "x*y")])
    >>> src.text
    'x = 1\ny = 2\nx*y'
    >>> src.where(src.text.index("x*y"))
    ('b.py', 1, 1)
    """

    def __init__(self, text: str, name: str = "<expr>"):
        self.text = text
        self.name = name
        self._starts: list[int] | None = None
        # (offset where a file starts, its name, lines before it in the text)
        self.parts: list[tuple[int, str, int]] = [(0, name, 0)]

    @classmethod
    def join(cls, files: Iterable[tuple[str, str]]) -> "Source":
        """(name, text) pairs concatenated, one newline between them, so a
        statement never runs from one file into the next."""
        files = list(files)
        if not files:
            return cls("", "<empty>")
        parts = []
        offset = lines = 0
        for name, text in files:
            parts.append((offset, name, lines))
            offset += len(text) + 1
            lines += text.count("\n") + 1
        source = cls("\n".join(text for _, text in files),
                     files[0][0] if len(files) == 1 else "<files>")
        source.parts = parts
        return source

    def where(self, offset: int) -> tuple[str, int, int]:
        """(file name, 1-based line in that file, 1-based column) of an offset."""
        line, col = self.line_col(offset)
        parts = self.parts
        k = 0
        if len(parts) > 1:
            k = bisect_right([p[0] for p in parts], offset) - 1
        _, name, before = parts[max(k, 0)]
        return name, line - before, col

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        if self._starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._starts = starts
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        self.line_col(0)
        assert self._starts is not None
        start = self._starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:end if end >= 0 else len(self.text)].rstrip("\r")

    def snippet(self, start: int, end: int) -> str:
        """The source line of `start`, with carets under start..end (one line at most)."""
        line, col = self.line_col(start)
        text = self.line_text(line)
        width = max(1, min(end, start + len(text) - col + 1) - start)
        # Long lines are cut around the error so the caret stays on screen.
        left = max(0, col - 1 - 60)
        # One visible character per source character, so the caret lines up.
        shown = "".join(c if c.isprintable() else "?" for c in text[left:left + 120].expandtabs(1))
        prefix = "..." if left else ""
        suffix = "..." if left + 120 < len(text) else ""
        pad = " " * (len(prefix) + col - 1 - left)
        return "  %s%s%s\n  %s%s" % (prefix, shown, suffix, pad, "^" * min(width, 120))


class GradcliError(Exception):
    """Something the user can fix. `exit_code` is 2 for what was written wrong,
    1 for math that failed while evaluating."""

    kind = "error"
    exit_code = 2

    def __init__(self, message: str, *, hint: str = "", span: tuple[int, int] | None = None,
                 source: Source | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.span = span
        self.source = source

    @property
    def position(self) -> tuple[int, int] | None:
        """(line, column) where the error is, both 1-based, when it has a place.
        In programs read from several files, the line is counted in the file
        named by `.file`."""
        if self.span is None or self.source is None:
            return None
        return self.source.where(self.span[0])[1:]

    @property
    def file(self) -> str | None:
        """The name of the file (or `<expr>`, `<stdin>`) the error is in."""
        if self.span is None or self.source is None:
            return None
        return self.source.where(self.span[0])[0]

    def render(self) -> str:
        """The full text for stderr: what, where (with a caret), how to fix."""
        where = ""
        if self.position:
            line, col = self.position
            where = " at %s line %d, column %d" % (self.file, line, col)
        parts = ["gradcli: %s%s: %s" % (self.kind, where, self.message)]
        if self.span is not None and self.source is not None:
            parts.append(self.source.snippet(*self.span))
        if self.hint:
            parts.append("hint: " + self.hint)
        return "\n".join(parts)

    def to_json(self) -> dict[str, object]:
        d: dict[str, object] = {"error": self.kind, "message": self.message}
        if self.hint:
            d["hint"] = self.hint
        if self.position:
            d["line"], d["column"] = self.position
        return d


class ParseError(GradcliError):
    """The text is not gradcli syntax."""
    kind = "syntax error"


class ProgramError(GradcliError):
    """Valid syntax that means nothing: an unknown function, a wrong number of
    arguments, an unbound or misused name."""
    kind = "error"


class InputError(GradcliError):
    """A file that cannot be read or a malformed NAME=VALUE binding."""
    kind = "input error"


class MathError(GradcliError):
    """Evaluation left a function's domain or overflowed."""
    kind = "math error"
    exit_code = 1
