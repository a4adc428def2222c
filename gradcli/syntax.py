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
from typing import NamedTuple


class Binary(NamedTuple):
    op: str                     # the op table's name, and the grammar's alias
    symbols: tuple[str, ...]    # how it is written: ("^", "**"), ("&&", "and")
    precedence: int             # higher binds tighter
    right: bool = False         # groups to the right: 2^3^2 is 2^(3^2)
    chains: bool = True         # False: a < b < c is an error, not (a < b) < c
    logic: bool = False         # a comparison or a logical operator (see fastparse.py)
    array: bool = False         # an array operator (@): its op is in arrayops.py, not ops.OPS


class Unary(NamedTuple):
    alias: str                  # the grammar's alias
    symbol: str
    op: str | None              # the op it applies; None: none (+x is x)
    precedence: int
    logic: bool = False


class Conditional(NamedTuple):
    alias: str                  # the grammar's alias
    words: tuple[str, str]      # c ? a : b, a if c else b
    order: tuple[int, int, int] # where the condition, the true and the false value are written


# Loosest first, as the grammar layers them: or < and < not < comparisons <
# sum < product < unary < power. Python's `not` binds looser than a
# comparison (not a == b is not (a == b)); JavaScript's `!` binds as tightly
# as a minus sign (!a == b is (!a) == b). Both are kept as their languages
# have them, since people paste both.
BINARY: tuple[Binary, ...] = (
    Binary("or", ("||", "or"), 1, logic=True),
    Binary("and", ("&&", "and"), 2, logic=True),
    Binary("eq", ("==", "==="), 4, chains=False, logic=True),
    Binary("ne", ("!=", "!=="), 4, chains=False, logic=True),
    Binary("lt", ("<",), 4, chains=False, logic=True),
    Binary("le", ("<=",), 4, chains=False, logic=True),
    Binary("gt", (">",), 4, chains=False, logic=True),
    Binary("ge", (">=",), 4, chains=False, logic=True),
    Binary("add", ("+",), 5),
    Binary("sub", ("-",), 5),
    Binary("mul", ("*",), 6),
    Binary("div", ("/",), 6),
    Binary("matmul", ("@",), 6, array=True),
    Binary("pow", ("^", "**"), 8, right=True),
)
# Unary minus binds looser than power, so -x^2 is -(x^2), and a power's
# exponent may carry a sign (2^-1).
UNARY: tuple[Unary, ...] = (
    Unary("not", "not", "not", 3, logic=True),
    Unary("neg", "-", "neg", 7),
    Unary("pos", "+", None, 7),
    Unary("bang", "!", "not", 7, logic=True),
)
NEGATE = "neg"  # the op of a leading '-': `x = -3` binds x to the number -3
# The conditional expression, loosest of all, in JavaScript's and Python's
# spelling: both become the op `where` (condition, value if true, value if false).
CONDITIONALS: tuple[Conditional, ...] = (
    Conditional("ternary", ("?", ":"), (0, 1, 2)),
    Conditional("conditional", ("if", "else"), (1, 0, 2)),
)
WHERE = "where"

# `x += e` is `x = x + e`: the compound assignments and the op each applies.
COMPOUND: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
# The compound assignments that add to a gradient, with their sign: what a
# hand-written backward pass writes at a fork (dx += ..., dx -= ...).
ACCUMULATE: dict[str, float] = {"": 1.0, "+": 1.0, "-": -1.0}

PREFIXES = ("math", "Math")           # math.exp, Math.PI: stripped
ARRAY_PREFIXES = ("np", "numpy", "np.random", "numpy.random")  # np.exp, np.random.randn: stripped too
DECLARATIONS = ("var", "let", "const")  # var x = 1: the keyword is dropped
COMMENTS = ("#", "//")                # to the end of the line

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # ASCII digits only, as documented
SIGNED_NUMBER = r"[-+]?" + NUMBER  # a value given outside a program: x=-1.5, --step -0.01, :step 0.01
BLANK = r"[ \t\f\r]"                   # blanks inside a line; '\n' and ';' end statements
SEPARATORS = ("\n", ";")

# `=`, `+=`, `-=`, ...: an assignment, as a pattern (not followed by a second '=').
ASSIGN = r"(?:%s)?=(?!=)" % "|".join(re.escape(s) for s in COMPOUND)


def _all_symbols() -> set[str]:
    found = {s for b in BINARY for s in b.symbols} | {u.symbol for u in UNARY}
    found |= {w for c in CONDITIONALS for w in c.words}
    found |= {s + "=" for s in COMPOUND} | {"=", "(", ")", ","} | set(SEPARATORS)
    return found


def symbols() -> list[str]:
    """Every operator and punctuation token, longest first (so '**' before '*')."""
    return sorted((s for s in _all_symbols() if not s.isalpha()), key=lambda s: (-len(s), s))


def keywords() -> list[str]:
    """The words that are operators (and, or, not, if, else), so not names."""
    return sorted(s for s in _all_symbols() if s.isalpha())


def symbol_pattern(logic: bool = True) -> str:
    """A regular expression matching one token of `symbols()` (without the
    comparisons', logic's and the conditional's, unless `logic`)."""
    tokens = symbols()
    if not logic:
        skip = {s for b in BINARY if b.logic for s in b.symbols} | {u.symbol for u in UNARY if u.logic}
        skip |= {w for c in CONDITIONALS for w in c.words}
        tokens = [s for s in tokens if s not in skip]
    multi = [re.escape(s) for s in tokens if len(s) > 1]
    single = "".join(re.escape(s) for s in tokens if len(s) == 1)
    return "|".join(multi + ["[%s]" % single])


def summary() -> str:
    """The tokens of the language, for messages: `+ - * / ^ ** ( ) , = ;`."""
    ops = [s for b in BINARY for s in b.symbols] + [u.symbol for u in UNARY if u.op is not None]
    ops += [w for c in CONDITIONALS for w in c.words]
    return "names, numbers, %s ( ) , = ; and comments (%s)" % (
        " ".join(dict.fromkeys(ops)), " or ".join(COMMENTS))
