"""Errors are data: a kind, a message, a hint and where in the source it happened.

The library raises them; only the command line turns them into text on
stderr and an exit code.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Iterable, Mapping


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
        if not isinstance(text, str) or not isinstance(name, str):
            raise TypeError("text and name must be str (the program and the name its messages give it), not %s"
                            % type(text if not isinstance(text, str) else name).__name__)
        self.text = text
        self.name = name
        self._starts: list[int] | None = None
        # (offset where a file starts, its name, lines before it in the text)
        self.parts: list[tuple[int, str, int]] = [(0, name, 0)]

    @classmethod
    def join(cls, files: Iterable[tuple[str, str]]) -> "Source":
        """(name, text) pairs concatenated, one newline between them, so a
        statement never runs from one file into the next."""
        files = list(files) if isinstance(files, Iterable) and not isinstance(files, (str, bytes)) else None
        if files is None or not all(isinstance(f, tuple) and len(f) == 2 and isinstance(f[0], str)
                                    and isinstance(f[1], str) for f in files):
            raise TypeError("files must be (name, text) pairs of str, as in [(\"a.py\", \"x = 1\")]")
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
        k = col - 1 - left  # the error's first character in `shown`
        pad = " " * (len(prefix) + _columns(shown[:k]))
        return "  %s%s%s\n  %s%s" % (prefix, shown, suffix, pad, "^" * max(1, min(_columns(shown[k:k + width]), 120)))


def _columns(text: str) -> int:
    """The terminal columns `text` takes, so a caret stands under its character:
    East Asian wide characters take two (单元), combining marks none."""
    if text.isascii():
        return len(text)
    from unicodedata import combining, east_asian_width
    return sum(0 if combining(c) else 2 if east_asian_width(c) in "WF" else 1 for c in text)


# --- Messages that name a parameter ------------------------------------------
#
# The library speaks of its parameters in its own terms (`step`, `tol=1e-9`);
# the command line calls the same things --step and --tol 1e-9, the session
# :step. A message that names a parameter is a Phrase: its template marks the
# name as {step} and a setting as {tol=1e-9}, the library's own Words fill it
# in, and each layer above tells it again in its words (say(text, words)).
# The words of the command line are in console.py, the session's in repl.py.

Words = Mapping[str, str]

# Each key names a parameter ({step}); a key ending in "=" is a format for a
# setting ({step=0.01}). The library's: its functions' keyword arguments.
LIBRARY_WORDS: Words = {
    "step": "step", "step=": "step={}", "descend=": "step={}, descend=True",
    "every": "every",
    "tol": "tol", "tol=": "tol={}",
    "h": "h",
    "all": "max_rows=None",
    "verify": "verify()",
    "bindings": "as an input",
    "bind=": "in the call ({})",
    "expression=": "{}",
}

_PLACE = re.compile(r"\{(\w+)(?:=([^{}]*))?\}")


def fill(template: str, words: Words | None = None) -> str:
    """The template with each {name} and {name=value} in `words` (by default,
    or where `words` has no entry, the library's)."""
    def one(m: "re.Match[str]") -> str:
        key = m.group(1) if m.group(2) is None else m.group(1) + "="
        entry = (words or {}).get(key) or LIBRARY_WORDS.get(key)
        if entry is None:
            return m.group(0)
        return entry if m.group(2) is None else entry.format(m.group(2))
    return _PLACE.sub(one, template)


# Braces in the values %-formatted into a Phrase (a program's names and
# numbers) are hidden while its placeholders are filled.
_HIDE = str.maketrans("{}", "\ufdd0\ufdd1")
_SHOW = str.maketrans("\ufdd0\ufdd1", "{}")


class Phrase(str):
    """Text that names parameters. As a str it reads in the library's words;
    `say` tells it in another layer's. `args` are %-formatted into the
    template first; braces in them are never read as placeholders.

    >>> p = Phrase("a smaller {step} (now %s) may help", "1000")
    >>> p
    'a smaller step (now 1000) may help'
    >>> p.say({"step": "--step"})
    'a smaller --step (now 1000) may help'
    >>> Phrase("as in {tol=1e-9}").say({"tol=": "--tol {}"})
    'as in --tol 1e-9'
    """

    template: str
    args: tuple[object, ...]

    def __new__(cls, template: str, *args: object) -> "Phrase":
        self = super().__new__(cls, _tell(template, args, None))
        self.template, self.args = template, args
        return self

    def say(self, words: Words | None = None) -> str:
        return _tell(self.template, self.args, words)


def _tell(template: str, args: tuple[object, ...], words: Words | None) -> str:
    if not args:
        return fill(template, words)
    hidden = tuple(a.translate(_HIDE) if isinstance(a, str) else a for a in args)
    return fill(template % hidden, words).translate(_SHOW)


def say(text: str, words: Words | None = None) -> str:
    """`text` in a layer's words: a Phrase is told again, other text is as it is."""
    return text.say(words) if isinstance(text, Phrase) else text


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

    def render(self, words: Words | None = None) -> str:
        """The full text for stderr: what, where (with a caret), how to fix;
        parameters named in `words` (see Phrase)."""
        where = ""
        if self.position:
            line, col = self.position
            where = " at %s line %d, column %d" % (self.file, line, col)
        parts = ["gradcli: %s%s: %s" % (self.kind, where, say(self.message, words))]
        if self.span is not None and self.source is not None:
            parts.append(self.source.snippet(*self.span))
        if self.hint:
            parts.append("hint: " + say(self.hint, words))
        return "\n".join(parts)

    def to_json(self, words: Words | None = None) -> dict[str, object]:
        d: dict[str, object] = {"error": self.kind, "message": say(self.message, words)}
        if self.hint:
            d["hint"] = say(self.hint, words)
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


class StepByHand(ParseError):
    """A line that takes a step of gradient ascent by hand, as the tutorials
    do (`a.value += step_size * a.grad`): gradcli takes the steps itself.

    The error carries the step: `size`, the step size as written (None when
    the line names one, `name`, that the program does not bind), `assigned`,
    the program's statement that binds that name (`step_size = 0.01`, which
    goes too), `others`, how many more such lines the program has (the
    tutorials step each input in a line of its own), and `descend`, when
    the line steps against the gradient. Its
    hint names the parameter (see Phrase), so each layer tells it in its own
    words; a layer that has bindings of its own gives them to `bound`.
    """

    def __init__(self, message: str, *, size: str | None, name: str | None = None,
                 assigned: str | None = None, others: int = 0, descend: bool = False,
                 span: tuple[int, int] | None = None, source: Source | None = None):
        self.size, self.name, self.assigned, self.others, self.descend = size, name, assigned, others, descend
        super().__init__(message, hint=self.advice(), span=span, source=source)

    def advice(self) -> Phrase:
        setting = "{descend=%s}" if self.descend else "{step=%s}"
        gone = ["this line"]
        if self.others:
            gone.append("the line like it" if self.others == 1 else "the %d like it" % self.others)
        if self.size is not None and self.assigned is not None:
            gone.append(self.assigned)
        lead = ("leave the line out and" if len(gone) == 1 else
                "leave out %s, and" % (", ".join(gone[:-1]) + " and " + gone[-1]).replace("%", "%%"))
        if self.size is not None:
            return Phrase(lead + " give the step size as " + setting, self.size)
        if self.name is not None:
            return Phrase(lead + " give the value of %s as the step size, as in " + setting, self.name, "0.01")
        return Phrase(lead + " give the step size, as in " + setting, "0.01")

    def bound(self, bindings: Mapping[str, float]) -> "StepByHand":
        """This error, with the step size its line names read from `bindings`."""
        if self.size is None and self.name is not None and self.name in bindings:
            value = bindings[self.name]
            self.size, self.descend = repr(abs(value)), self.descend != (value < 0)
            self.hint = self.advice()
        return self
