"""gradcli: every intermediate value and every gradient of an expression.

>>> r = grad("sig(a*x + b*y + c)", a=1, b=2, c=-3, x=-1, y=3)
>>> round(r.value, 4)
0.8808
>>> {k: round(v, 3) for k, v in r.gradients.items()}
{'a': -0.105, 'b': 0.315, 'c': 0.105, 'x': 0.105, 'y': 0.21}
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from .errors import GradcliError, InputError, MathError, ParseError, ProgramError

if TYPE_CHECKING:
    from .engine import Result
    from .graph import Graph

__version__ = "0.1.0"
__all__ = ["grad", "evaluate", "compile", "GradcliError", "ParseError", "ProgramError",
           "InputError", "MathError", "__version__"]


def compile(text: str, bindings: Mapping[str, float] | None = None, name: str = "<expr>") -> "Graph":
    """Parse a program and build its graph; `bindings` override its own."""
    from .errors import Source
    from .graph import build_source
    return build_source(Source(text, name), bindings)


def evaluate(text: str, bindings: Mapping[str, float] | None = None,
             name: str = "<expr>") -> "list[Result]":
    """Forward and backward passes: one Result per output of the program."""
    from .engine import evaluate as run
    return run(compile(text, bindings, name))


def grad(text: str, **bindings: float) -> "Result":
    """The first output of `text`, with its value and gradients."""
    return evaluate(text, {k: float(v) for k, v in bindings.items()})[0]
