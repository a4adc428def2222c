"""The facts of gradcli's syntax, in one place.

grammar/gradcli.lark is the reference for the language; this module states
what the rest of the code needs to know about it: which operators there are,
how tightly each binds, which way it groups, and the shape of names and
numbers. The fast parser, lark's callbacks, the graph builder and --verify
all read these tables, and tests/test_syntax.py checks them against the
grammar, so the two cannot drift apart.

Adding a binary operator is one rule in the grammar (with an alias naming
its op) and one `Binary` line here; the op itself is an entry of ops.OPS.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Binary:
    op: str                     # the op table's name, and the grammar's alias
    symbols: tuple[str, ...]    # how it is written: ("^", "**")
    precedence: int             # higher binds tighter
    right: bool = False         # groups to the right: 2^3^2 is 2^(3^2)


@dataclass(frozen=True)
class Unary:
    alias: str                  # the grammar's alias
    symbol: str
    op: str | None              # the op it applies; None: none (+x is x)
    precedence: int


# Loosest first, as the grammar layers them: sum < product < unary < power.
BINARY: tuple[Binary, ...] = (
    Binary("add", ("+",), 1),
    Binary("sub", ("-",), 1),
    Binary("mul", ("*",), 2),
    Binary("div", ("/",), 2),
    Binary("pow", ("^", "**"), 4, right=True),
)
# Unary minus binds looser than power, so -x^2 is -(x^2), and a power's
# exponent may carry a sign (2^-1).
UNARY: tuple[Unary, ...] = (
    Unary("neg", "-", "neg", 3),
    Unary("pos", "+", None, 3),
)
NEGATE = "neg"  # the op of a leading '-': `x = -3` binds x to the number -3

# `x += e` is `x = x + e`: the compound assignments and the op each applies.
COMPOUND: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
# The compound assignments that add to a gradient, with their sign: what a
# hand-written backward pass writes at a fork (dx += ..., dx -= ...).
ACCUMULATE: dict[str, float] = {"": 1.0, "+": 1.0, "-": -1.0}

PREFIXES = ("math", "Math")           # math.exp, Math.PI: stripped
DECLARATIONS = ("var", "let", "const")  # var x = 1: the keyword is dropped
COMMENTS = ("#", "//")                # to the end of the line

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
BLANK = r"[ \t\f\r]"                   # blanks inside a line; '\n' and ';' end statements
SEPARATORS = ("\n", ";")

# `=`, `+=`, `-=`, ...: an assignment, as a pattern (not followed by a second '=').
ASSIGN = r"(?:%s)?=(?!=)" % "|".join(re.escape(s) for s in COMPOUND)


def symbols() -> list[str]:
    """Every operator and punctuation token, longest first (so '**' before '*')."""
    found = {s for b in BINARY for s in b.symbols} | {u.symbol for u in UNARY}
    found |= {s + "=" for s in COMPOUND} | {"=", "(", ")", ","} | set(SEPARATORS)
    return sorted(found, key=lambda s: (-len(s), s))


def symbol_pattern() -> str:
    """A regular expression matching one token of `symbols()`."""
    multi = [re.escape(s) for s in symbols() if len(s) > 1]
    single = "".join(re.escape(s) for s in symbols() if len(s) == 1)
    return "|".join(multi + ["[%s]" % single])


def summary() -> str:
    """The tokens of the language, for messages: `+ - * / ^ ** ( ) , = ;`."""
    ops = [s for b in BINARY for s in b.symbols]
    return "names, numbers, %s ( ) , = ; and comments (%s)" % (
        " ".join(dict.fromkeys(ops)), " or ".join(COMMENTS))
