"""--emit: a program's forward and backward pass as a self-contained function
in Python or JavaScript, written the way the tutorials write it by hand.

The statements come from codegen.generate(), which reads the op table's
templates, so the emitted code computes exactly what the evaluator computes.
"""
from __future__ import annotations

from typing import Any

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
    if g.arrays:
        return emit_arrays(g, target)
    reserved = codegen.EMIT_PYTHON_RESERVED if target == "python" else codegen.JS_RESERVED
    codes = [codegen.generate(g, out, reserved, named=True) for _, out in g.outputs]
    names = function_names(g, target)
    if target == "python":
        return codegen.python_source(codes, names)
    return codegen.js_source(codes, names)


# --- Array programs: numpy code ---------------------------------------------

def emit_arrays(g: Graph, target: str) -> str:
    """An array program's forward and backward pass as numpy code: one
    function per output, returning (value, {input: gradient}). The op
    table's own templates (arrayops.py) and helpers are written out, so the
    code computes what gradcli computes and needs only numpy."""
    import inspect
    import re

    from . import arrayops as A
    from .errors import InputError
    from .graph import CONST, INPUT, OP
    if target != "python":
        raise InputError("--emit %s does not work on arrays yet" % target, hint="--emit python writes numpy code")
    helpers: list[Any] = [A.ShapeError, A.shape_text, A._g, A.unbroadcast, A._axes, A._expand, A._spread, A._count, A._reduce,
               A._ties, A._tie_kink, A._matmul, A._dot, A._matmul_grad, A._matmul_grads, A._stack, A._index,
               A._index_grad, A._shape, A._size_check, A._randn, A._full, A._reshape, A._softmax, A._logsumexp, A._labels,
               A._cross_entropy, A._cross_entropy_grad, A._erf, A._fl, A._maximum, A._minimum, A._hypot]
    names: dict[str, Any] = {**{k: v for k, v in A._HELPERS.items() if k != "np"}, **{k: v for k, v in A.NUMPY.items() if k != "np"}}
    call = re.compile(r"(?<![\w.])(%s)\b" % "|".join(sorted(names, key=len, reverse=True)))

    def code(text: str) -> str:
        return call.sub(lambda m: "_h_" + m.group(1), text).replace("np.", "_np.")

    out = ['"""The forward and backward pass of an array program, written by gradcli --emit python.', "",
           "Each function returns (the output's value, {input: d sum(output) / d input}).", '"""',
           "import math", "from functools import reduce", "from typing import Any, Callable", "",
           "import numpy as np", "", "_np = np", "", ""]
    out.append("MAX_ELEMENTS = %d\n\n" % A.MAX_ELEMENTS)
    for h in helpers:
        out.append(inspect.getsource(h).rstrip() + "\n\n")
    for k, v in names.items():
        if isinstance(v, float):
            out.append("_h_%s = %r" % (k, v))
        elif getattr(v, "__module__", "") == A.__name__ or inspect.isclass(v):
            out.append("_h_%s = %s" % (k, v.__name__))
        else:
            out.append("_h_%s = np.%s" % (k, getattr(v, "__name__", k)))
    out += ["", ""]
    for (label, root), fname in zip(g.outputs, function_names(g, "python")):
        need = g.reachable([root] + [r for i, r in g.init.items() if g.reachable([root])[i]])
        required = [n for n, i in g.inputs.items() if need[i] and i not in g.init]
        optional = [n for n, i in g.inputs.items() if need[i] and i in g.init]
        params = required + ["%s=None" % n for n in optional] + ["seed=%d" % g.seed]
        out.append("def %s(%s):" % (fname, ", ".join(params)))
        out.append('    """%s"""' % label.replace('"""', "'''"))
        out.append("    rng = _np.random.RandomState(seed)")
        var = {}
        for i in range(len(g)):
            if not need[i]:
                continue
            var[i] = "v%d" % i
            if g.kind[i] == INPUT:
                name = g.name[i]
                if i in g.init:
                    out.append("    v%d = %s if %s is not None else v%d" % (i, name, name, g.init[i]))
                else:
                    out.append("    v%d = %s" % (i, name))
                out.append("    v%d = _np.asarray(v%d, dtype=float) if _np.ndim(v%d) else float(v%d)" % (i, i, i, i))
            elif g.kind[i] == CONST:
                out.append("    v%d = %r" % (i, g.value[i]))
            elif g.kind[i] == OP:
                args = g.args[i]
                op = A.array_form(g.op[i], len(args))  # type: ignore[arg-type]
                out.append("    v%d = %s" % (i, code(_value_code(op, [var[a] for a in args]))))
        out.append("    g%d = _np.ones(_np.shape(v%d)) if _np.ndim(v%d) else 1.0" % (root, root, root))
        have = {root}
        for i in range(root, -1, -1):
            if i not in have or g.kind[i] != OP or not g.needs[i]:
                continue
            args = g.args[i]
            op = A.array_form(g.op[i], len(args))  # type: ignore[arg-type]
            for j, a in enumerate(args):
                template = _grad_code(op, j, len(args))
                if not g.needs[a] or not template:
                    continue
                term = code(template.format(*[var[b] for b in args], g="g%d" % i, out="v%d" % i,
                                            **_params(op)))
                out.append("    g%d = %s" % (a, term if a not in have else "g%d + %s" % (a, term)))
                have.add(a)
        grads = ", ".join("%r: %s" % (n, "g%d" % i if i in have else "_np.zeros(_np.shape(v%d))" % i)
                          for n, i in g.inputs.items() if need[i])
        out.append("    return v%d, {%s}" % (root, grads))
        out += ["", ""]
    return "\n".join(out).rstrip() + "\n"


def _params(op) -> dict:
    return {k: repr(v) for k, v in op.params}


def _value_code(op, args: list[str]) -> str:
    from .arrayops import _Elementwise, vectorize
    if isinstance(op, _Elementwise):
        return vectorize(op.value.format(*args))
    head = ("rng, " if op.random else "")
    return op.value.format(*args, args=head + ", ".join(args), **_params(op)).replace("rng, rng, ", "rng, ")


def _grad_code(op, k: int, n: int) -> str:
    from .arrayops import _Elementwise, vectorize
    if isinstance(op, _Elementwise):
        return vectorize(op.grads[k].replace("{g}", "G_").replace("{out}", "OUT_")).replace(
            "G_", "{g}").replace("OUT_", "{out}") if k < len(op.grads) else ""
    if op.shape_args:
        return op.grads[0] if k == 0 and op.grads else ""
    if op.variadic:
        return op.grads[0].replace("{k}", str(k))
    return op.grads[k] if k < len(op.grads) else ""
