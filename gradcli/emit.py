"""--emit: a program's forward and backward pass as a self-contained function
in Python or JavaScript, written the way the tutorials write it by hand.

The statements come from codegen.generate(), which reads the op table's
templates, so the emitted code computes exactly what the evaluator computes.
"""
from __future__ import annotations

from . import codegen
from .graph import Graph

TARGETS = ("python", "js")


def function_names(g: Graph, target: str) -> list[str]:
    """One function per output: forward_backward, forward_backward_2, ..."""
    base = "forward_backward" if target == "python" else "forwardBackward"
    sep = "_" if target == "python" else ""
    return [base if k == 0 else "%s%s%d" % (base, sep, k + 1) for k in range(len(g.outputs))]


def emit(g: Graph, target: str) -> str:
    """The source text of the functions computing every output of `g`."""
    if target not in TARGETS:
        raise ValueError("unknown target %r" % target)
    reserved = codegen.EMIT_PYTHON_RESERVED if target == "python" else codegen.JS_RESERVED
    codes = [codegen.generate(g, out, reserved, named=True) for _, out in g.outputs]
    names = function_names(g, target)
    if target == "python":
        return codegen.python_source(codes, names)
    return codegen.js_source(codes, names)
