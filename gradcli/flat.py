"""A parsed program as flat arrays: the form big programs travel in.

A syntax tree of a million operations costs hundreds of megabytes of small
objects; the same program in postfix order, in a few parallel arrays, costs
a tenth of that and is walked with one loop. The fast parser produces this
form directly, the graph builder consumes it, and `ast` records convert to
and from it (both ways with loops, so any depth works).

Code, in postfix order (arguments before the operation), one entry per item:
    tag[k]    NUM (-1), NAME (0), or n > 0: an operation applied to the n
              values before it
    arg[k]    the number (float), the name (str), or the op's name (str)
    start[k], end[k]   its span in the source

Statements, in program order:
    name[s]   the assigned name, or None for an output (a bare expression)
    aug[s]    "" for `=`, "+" for `+=` and so on
    nstart[s], nend[s]  span of the assigned name (outputs: unused)
    code_end[s]         its expression is code[code_end[s-1]:code_end[s]]
"""
from __future__ import annotations

import gc
import re
from array import array
from functools import wraps
from typing import TYPE_CHECKING, Callable, ParamSpec, TypeVar

from .syntax import BLANK, NEGATE, NUMBER

if TYPE_CHECKING:
    from . import ast

P = ParamSpec("P")
T = TypeVar("T")

NUM, NAME = -1, 0


def without_gc(fn: Callable[P, T]) -> Callable[P, T]:
    """Run fn with the cyclic garbage collector paused. Parsing, building and
    evaluating a big program allocate millions of objects that stay alive and
    form no cycles; the collector would walk them all, again and again, for
    nothing (at a million operations it took most of the time)."""
    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()
    return run


_A_NUMBER = re.compile(r"%s*=%s*[-+]?%s\Z" % (BLANK, BLANK, NUMBER))


def written_as_number(text: str, name_end: int, value_end: int) -> bool:
    """Is `name = value` (the name ending at name_end) a number as a binding writes one:
    digits with at most one sign right before them, `3`, `-3`, `+3`? Then the name is an
    input with that default. `--3`, `+-3`, `-(3)` and `(3)` are expressions: constants."""
    if text.startswith(" = ", name_end) and "0" <= text[value_end - 1] <= "9" and \
            (text[name_end + 3] == "-" and name_end + 4 < value_end or "0" <= text[name_end + 3] <= "9"):
        # the bulk of generated programs, `w17 = 0.03`: a glance instead of a pattern
        return text[name_end + 4 if text[name_end + 3] == "-" else name_end + 3] not in "-+( \t"
    return _A_NUMBER.match(text, name_end, value_end) is not None


class Program:
    __slots__ = ("tag", "arg", "start", "end", "name", "aug", "nstart", "nend", "code_end", "binds")
    COLUMNS = __slots__[:-1]  # the program itself; binds only notes what is in it

    def __init__(self, size: int = 0):
        # 4-byte positions unless the text is longer than 4 GB (unsigned:
        # an array of them appends and extends faster than a signed one).
        pos = "I" if size < 2**32 - 1 else "Q"
        self.tag = array("i")
        self.arg: list = []
        self.start = array(pos)
        self.end = array(pos)
        self.name: list = []
        self.aug: list = []
        self.nstart = array(pos)
        self.nend = array(pos)
        self.code_end = array("Q")
        # Runs of statements that are each `name = number` or `name = -number`
        # as a binding writes one (see written_as_number): (first statement,
        # count, the signed numbers). Optional: the fast parser notes them so
        # that the builder can add them in bulk.
        self.binds: list[tuple[int, int, list[float]]] = []

    def __len__(self) -> int:
        return len(self.name)

    def clear(self) -> None:
        for field in self.__slots__:
            del getattr(self, field)[:]

    def statements(self):
        """(name or None, aug, name span, code start, code end) per statement."""
        begin = 0
        for s in range(len(self.name)):
            end = self.code_end[s]
            yield self.name[s], self.aug[s], (self.nstart[s], self.nend[s]), begin, end
            begin = end

    def code(self, s: int) -> tuple[int, int]:
        """Where statement s's expression lies in the code: [begin, end)."""
        return (self.code_end[s - 1] if s else 0), self.code_end[s]

    def value_span(self, s: int) -> tuple[int, int]:
        """The span of statement s's expression (its last item, in postfix order, is the whole)."""
        end = self.code_end[s] - 1
        return self.start[end], self.end[end]

    def number(self, s: int, text: str | None = None) -> float | None:
        """The value of statement s's expression if it is a signed number (`3`, `-3`), else None;
        with the statement's `text`, only as the command line writes one (see written_as_number)."""
        begin, end = self.code(s)
        if text is not None and not written_as_number(text, self.nend[s], self.end[end - 1]):
            return None
        tags, args = self.tag, self.arg
        if tags[begin] != NUM or end - begin > 2:
            return None
        if end - begin == 1:
            return args[begin]
        return -args[begin] if tags[begin + 1] == 1 and args[begin + 1] == NEGATE else None

    def names_read(self, s: int) -> list[tuple[str, tuple[int, int]]]:
        """The names statement s's expression reads, with their spans, in order."""
        begin, end = self.code(s)
        tags = self.tag
        return [(self.arg[k], (self.start[k], self.end[k])) for k in range(begin, end) if tags[k] == NAME]

    def split(self, k: int) -> tuple["Program", "Program"]:
        """(statements before k, statements from k on), as two programs."""
        head, tail = Program(), Program()
        cut = self.code_end[k - 1] if k else 0
        for name in self.COLUMNS:
            if name == "code_end":
                continue
            column = getattr(self, name)
            code = name in ("tag", "arg", "start", "end")
            at = cut if code else k
            getattr(head, name).extend(column[:at])
            getattr(tail, name).extend(column[at:])
        head.code_end.extend(self.code_end[:k])
        tail.code_end.extend(e - cut for e in self.code_end[k:])
        return head, tail


def from_ast(stmts) -> Program:
    """Syntax tree records -> flat program (iterative post-order walk)."""
    from . import ast
    p = Program()
    tag, arg, start, end = p.tag.append, p.arg.append, p.start.append, p.end.append
    for s in stmts:
        if isinstance(s, ast.Assign):
            root = s.value
            p.name.append(s.name)
            p.aug.append(s.aug)
            p.nstart.append(s.span[0])
            p.nend.append(s.span[1])
        else:
            root = s.expr
            p.name.append(None)
            p.aug.append("")
            p.nstart.append(s.span[0])
            p.nend.append(s.span[1])
        stack = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if isinstance(e, ast.Num):
                tag(NUM)
                arg(e.value)
            elif isinstance(e, ast.Name):
                tag(NAME)
                arg(e.id)
            elif ready:
                tag(len(e.args))
                arg(e.op)
            else:
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args))
                continue
            start(e.span[0])
            end(e.span[1])
        p.code_end.append(len(p.tag))
    return p


def to_ast(p: Program) -> list:
    """Flat program -> syntax tree records."""
    from . import ast
    Num, Name, Apply = ast.Num, ast.Name, ast.Apply
    tags, args, starts, ends = p.tag, p.arg, p.start, p.end
    out: list[ast.Stmt] = []
    for name, aug, span, begin, stop in p.statements():
        stack: list = []
        for k in range(begin, stop):
            t = tags[k]
            sp = (starts[k], ends[k])
            if t == NUM:
                stack.append(Num(args[k], sp))
            elif t == NAME:
                stack.append(Name(args[k], sp))
            else:
                xs = tuple(stack[-t:])
                del stack[-t:]
                stack.append(Apply(args[k], xs, sp))
        expr = stack[0]
        if name is None:
            out.append(ast.Output(expr, expr.span))
        else:
            out.append(ast.Assign(name, expr, aug, span))
    return out
