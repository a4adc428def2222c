"""Graph -> straight-line forward and backward code, from the op table's templates.

This is the backward pass written out the way the tutorials write it by hand:

    ax = a * x
    ...
    ds = 1.0
    daxpbypc = (s * (1.0 - s)) * ds
    da = x * dax

It serves three purposes: `--emit` prints it, the step loop compiles it once
and runs it at the speed of hand-written Python, and tests check it against
the evaluator. Statements are kept as data (`Line`) so each target formats
them its own way. Only the graph, built from the validated syntax tree, goes
into the code: names are identifiers checked against each language's reserved
words, numbers are printed with repr.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from .graph import CONST, INPUT, OP, Graph
from .ops import NAMESPACE

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z|[0-9.]+\Z|\(-?[0-9.e+-]+\)\Z")

PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(NAMESPACE) | {
    "math", "float", "int", "print", "range", "len", "sum", "forward_backward", "grads", "inputs"}
JS_RESERVED = frozenset((
    "break case catch class const continue debugger default delete do else enum export extends "
    "false finally for function if import in instanceof new null return super switch this throw "
    "true try typeof var void while with yield let static implements interface package private "
    "protected public await arguments eval undefined NaN Infinity Math Number Object "
    "forwardBackward inputs grads value"
).split()) | frozenset(NAMESPACE)


@dataclass(frozen=True)
class Line:
    """One statement: `target = expr`, or `target += expr` when `add` is true.
    `node` is the gate it computes (forward) or backprops (backward)."""
    target: str
    expr: str
    node: int
    add: bool = False


@dataclass
class Code:
    """Forward and backward statements of one output, with the names used."""
    graph: Graph
    output: int
    names: dict[int, str]        # node -> variable holding its value
    grad_names: dict[int, str]   # node -> variable holding d output / d node
    inputs: list[tuple[str, int]]  # (program name, node) in signature order
    forward: list[Line]
    backward: list[Line]

    def value_of(self, i: int) -> str:
        """How code refers to node i's value: its variable or a literal."""
        g = self.graph
        if g.kind[i] == CONST:
            return literal(g.value[i])  # type: ignore[arg-type]
        return self.names[i]


def literal(x: float) -> str:
    """A number as code: exact (repr round-trips), negatives parenthesised."""
    text = repr(float(x))
    return "(%s)" % text if text.startswith("-") else text


def paren(expr: str) -> str:
    return expr if _SIMPLE.match(expr) else "(%s)" % expr


class Names:
    """Hands out identifiers that are unique and not reserved in the target."""

    def __init__(self, reserved: frozenset[str]):
        self.reserved = reserved
        self.taken: set[str] = set()

    def take(self, want: str) -> str:
        assert _IDENT.match(want), want
        name = want
        while name in self.reserved or name in self.taken:
            name += "_"
        self.taken.add(name)
        return name


def generate(g: Graph, output: int, reserved: frozenset[str] = PYTHON_RESERVED) -> Code:
    """The straight-line forward and backward code of one output of `g`."""
    used = g.reachable([output])
    names_ = Names(reserved)
    names: dict[int, str] = {}
    inputs = [(n, i) for n, i in g.inputs.items()]
    # Inputs first (they are the parameters), then named nodes, then temporaries.
    for n, i in inputs:
        names[i] = names_.take(n)
    order = [i for i in range(output + 1) if used[i] and g.kind[i] == OP]
    for i in order:
        if g.name[i] and i not in names:
            names[i] = names_.take(g.name[i])  # type: ignore[arg-type]
    temp = 0
    for i in order:
        if i not in names:
            temp += 1
            names[i] = names_.take("t%d" % temp)
    grad_names = {i: names_.take("d" + names[i]) for i in list(names) if g.needs[i] and used[i]}

    code = Code(g, output, names, grad_names, inputs, [], [])
    for i in order:
        op = g.op[i]
        assert op is not None
        args = [code.value_of(a) for a in g.args[i]]
        code.forward.append(Line(names[i], op.value_template(len(args)).format(*args), i))

    if output not in grad_names:  # a constant output: no gradient flows
        return code
    code.backward.append(Line(grad_names[output], "1.0", output))
    assigned = {output}
    for i in reversed(order):
        if not g.needs[i] or i not in assigned:
            continue
        op = g.op[i]
        assert op is not None
        args = [code.value_of(a) for a in g.args[i]]
        partials = op.partial_templates(len(args))
        for k, a in enumerate(g.args[i]):
            if not g.needs[a]:
                continue
            local = partials[k].format(*args, out=names[i])
            expr = "%s * %s" % (paren(local), grad_names[i])
            code.backward.append(Line(grad_names[a], expr, i, add=a in assigned))
            assigned.add(a)
    return code


def python_function(code: Code, name: str = "forward_backward") -> str:
    """A Python function: inputs as parameters -> (value, (gradients in input order))."""
    params = ", ".join(code.names[i] for _, i in code.inputs)
    body = ["%s %s= %s" % (l.target, "+" if l.add else "", l.expr) for l in code.forward + code.backward]
    grads = ", ".join(code.grad_names.get(i, "0.0") for _, i in code.inputs)
    body.append("return %s, (%s%s)" % (code.value_of(code.output), grads, "," if len(code.inputs) == 1 else ""))
    return "def %s(%s):\n    %s\n" % (name, params, "\n    ".join(body))


def compile_python(code: Code):
    """The function of `python_function`, compiled; it raises ValueError,
    ZeroDivisionError or OverflowError where the evaluator raises MathError."""
    namespace = dict(NAMESPACE)
    exec(python_function(code, "_f"), namespace)  # generated from the validated graph only
    return namespace["_f"]
