"""Errors are data: a kind, a message, a hint and where in the source it happened.

The library raises them; only the command line turns them into text on
stderr and an exit code.
"""
from __future__ import annotations

from bisect import bisect_right


class Source:
    """A program's text, with line and column lookups for error messages."""

    def __init__(self, text: str, name: str = "<expr>"):
        self.text = text
        self.name = name
        self._starts: list[int] | None = None

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
        """(line, column) where the error is, both 1-based, when it has a place."""
        if self.span is None or self.source is None:
            return None
        return self.source.line_col(self.span[0])

    def render(self) -> str:
        """The full text for stderr: what, where (with a caret), how to fix."""
        where = ""
        if self.position:
            line, col = self.position
            name = self.source.name if self.source else "<expr>"
            where = " at %s line %d, column %d" % (name, line, col)
        parts = ["gradcli: %s%s: %s" % (self.kind, where, self.message)]
        if self.span is not None and self.source is not None:
            parts.append(self.source.snippet(*self.span))
        if self.hint:
            parts.append("hint: " + self.hint)
        return "\n".join(parts)

    def to_json(self) -> dict:
        d: dict = {"error": self.kind, "message": self.message}
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
