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

import _signal  # signal's C half: importing signal itself takes milliseconds
import os as _os
import sys as _sys


def _started_as_the_command() -> bool:
    """Whether this process is the gradcli command (the script, or
    `python -m gradcli`), not a Python program that imports gradcli."""
    if _os.path.basename(_sys.argv[0] if _sys.argv else "") in ("gradcli", "gradcli.exe"):
        return True
    args = getattr(_sys, "orig_argv", [])
    return any(a == "-m" and b in ("gradcli", "gradcli.__main__") for a, b in zip(args, args[1:]))


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C while gradcli starts (nothing to finish yet): end now, with 130."""
    _os._exit(130)


# Ctrl-C from here on, while the modules load, ends the command without a
# traceback; cli.run() takes over once they have. Importing gradcli from
# Python leaves the program's signals alone.
if _started_as_the_command():
    _signal.signal(_signal.SIGINT, _interrupted)

from typing import TYPE_CHECKING  # noqa: E402

from .errors import GradcliError, InputError, MathError, ParseError, ProgramError, Source  # noqa: E402

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
