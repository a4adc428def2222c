"""gradcli: every intermediate value and every gradient of an expression.

>>> import gradcli
>>> r = gradcli.grad("sig(a*x + b*y + c)", a=1, b=2, c=-3, x=-1, y=3)
>>> round(r.value, 4)
0.8808
>>> {k: round(v, 3) for k, v in r.gradients.items()}
{'a': -0.105, 'x': 0.105, 'b': 0.315, 'y': 0.21, 'c': 0.105}

The API is documented in gradcli/api.py; errors in gradcli/errors.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import GradcliError, InputError, MathError, ParseError, ProgramError, Source

if TYPE_CHECKING:  # imported on first use, so `gradcli --version` stays fast
    from .api import Program, compile, evaluate, grad
    from .records import Node, nodes
    from .engine import Result

__version__ = "0.1.0"
__all__ = ["grad", "evaluate", "compile", "Program", "Node", "Result", "nodes", "Source",
           "GradcliError", "ParseError", "ProgramError", "InputError", "MathError",
           "__version__"]
# The step loop: gradcli.ascend(...) iterates Step records (gradcli/steps.py).
__all__ += ["ascend", "Ascent", "Step"]
if TYPE_CHECKING:
    from .api import ascend
    from .steps import Ascent, Step

_LAZY = {"grad": "api", "evaluate": "api", "compile": "api", "Program": "api", "Node": "records",
         "nodes": "records", "Result": "engine"}
_LAZY.update(ascend="api", Ascent="steps", Step="steps")


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'gradcli' has no attribute %r" % name)
    from importlib import import_module
    value = getattr(import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
