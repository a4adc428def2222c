"""Forward and reverse passes over a graph. No printing.

forward:  value[i] = op_i(value[args])                  for i in topological order
backward: grad[out] = 1; grad[a] += d op_i / d a * grad[i]  for i in reverse order

Gradients are always added, never assigned: a node used twice receives the
sum of both uses, which is the tutorials' `+=` at a fork.
"""
from __future__ import annotations

import math
from itertools import islice
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import MathError, Phrase
from .flat import without_gc
from .graph import OP, Graph

if TYPE_CHECKING:
    from .records import Node


@dataclass
class Result:
    """One output of an evaluated program: its value and d output / d node for
    every node (None for nodes the output does not depend on through an input)."""
    graph: Graph
    values: list
    grads: list
    output: int
    label: str
    notes: list[str] = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.values[self.output]

    @property
    def gradients(self) -> dict[str, float]:
        """d output / d input for every bound input (0.0 where it does not depend on it)."""
        grads = self.grads
        return {name: grads[i] or 0.0 for name, i in self.graph.inputs.items()}

    @property
    def nodes(self) -> "list[Node]":
        """Every node the output depends on, in forward order, as Node records."""
        from .records import nodes
        return nodes(self)


def _fmt(x: float) -> str:
    return "%.6g" % x


def _args_text(g: Graph, args: tuple[int, ...], values: list) -> str:
    shown: list[str] = []
    for a in dict.fromkeys(args):  # x*x names x once
        label = g.label(a)
        if (g.kind[a] == OP or g.name[a]) and label.lstrip("(-").rstrip(")") != _fmt(abs(values[a])):
            shown.append("%s = %s" % (label, _fmt(values[a])))
    return ", ".join(shown)


def _domain_error(g: Graph, i: int, values: list, exc: Exception | None) -> MathError:
    op = g.op[i]
    assert op is not None
    where = _args_text(g, g.args[i], values)
    why = op.failure(exc, *(values[a] for a in g.args[i]))
    message = "%s: %s%s" % (g.gate(i), why, " (%s)" % where if where else "")
    overflow = isinstance(exc, OverflowError) or exc is None
    hint = "change the inputs so that %s %s" % (
        g.label(i, named=False), "stays below 1.8e308 in size" if overflow else "stays in its domain")
    if any(o is not None and o.branches for o in set(g.op)):  # on the error path only
        hint += ("; gradcli computes both values of a conditional, the one not chosen too (as "
                 "numpy.where does), so each must be defined at these inputs")
    return MathError(message, span=g.span[i], source=g.source, hint=hint)


def _slope_error(g: Graph, i: int, values: list) -> MathError:
    where = _args_text(g, g.args[i], values)
    op = g.op[i]
    assert op is not None
    why = op.slope_message(*(values[a] for a in g.args[i])) or "its slope is infinite or undefined here"
    return MathError(
        "%s: %s%s, so no gradient can flow through it" % (g.gate(i), why, " (%s)" % where if where else ""),
        span=g.span[i], source=g.source,
        hint="move the inputs away from this point (for example sqrt at 0, asin at 1)")


def _overflow_error(g: Graph, values: list, grads: list, fns: dict, at: int | None = None) -> MathError:
    """A gradient left double precision on its way back: an error, as an overflowing
    value is, naming the gate where it happened (`at`, or the first gate whose
    contribution is not finite, found again here, off the fast path)."""
    if at is None:
        bad = max(i for i, d in enumerate(grads) if d is not None and not math.isfinite(d))
        ids, first = g.args.ids, g.args.first
        at = bad
        for i in range(len(grads) - 1, bad, -1):  # the users of node `bad`, as the pass met them
            args, op = ids[first[i]:first[i + 1]], g.op[i]
            if grads[i] is None or op is None or bad not in args:
                continue
            partials = fns[op.name, len(args)][1]
            xs = [values[j] for j in args]
            if any(j == bad and not math.isfinite(p(values[i], *xs) * grads[i])
                   for j, p in zip(args, partials)):
                at = i
                break
    where = _args_text(g, g.args[at], values) if g.op[at] is not None else ""
    return MathError(
        "%s: the gradient flowing back through it is too large for double precision (above 1.8e308)%s"
        % (g.gate(at), " (%s)" % where if where else ""),
        span=g.span[at], source=g.source,
        hint="move the inputs away from where the slope blows up (for example log(x) or 1/x near x = 0); "
             "gradcli reports no infinite gradient")


def _compiled(g: Graph) -> dict:
    """(op name, argument count) -> op.functions(n), for the ops in g.
    One lookup per node instead of a list of functions per node."""
    table = {}
    first = g.args.first
    for op, f, e in zip(g.op, first, islice(first, 1, None)):
        if op is not None:
            key = (op.name, e - f)
            if key not in table:
                table[key] = op.functions(e - f)
    return table


def forward(g: Graph, kinks: list[int] | None = None) -> list:
    """The value of every live node. Raises MathError naming the first node
    that leaves its domain or overflows. Nodes sitting on a kink (relu(0),
    abs(0), a max tie) are appended to `kinks`."""
    return _forward(g, kinks, _compiled(g))


def _forward(g: Graph, kinks: list[int] | None, fns: dict) -> list:
    values = list(g.value)
    live, ops, needs = g.live, g.op, g.needs
    ids, first = g.args.ids, g.args.first
    isfinite = math.isfinite
    for i in range(len(values)):
        op = ops[i]
        if op is None or not live[i]:
            continue
        f = first[i]
        n = first[i + 1] - f
        fn, _, kink = fns[op.name, n]
        try:
            if n == 2:
                v = fn(values[ids[f]], values[ids[f + 1]])
            elif n == 1:
                v = fn(values[ids[f]])
            else:
                v = fn(*[values[j] for j in ids[f:f + n]])
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            raise _domain_error(g, i, values, e) from None
        if not isfinite(v):
            raise _domain_error(g, i, values, None)
        values[i] = v
        if kink is not None and kinks is not None and needs[i] and kink(v, *[values[j] for j in ids[f:f + n]]):
            kinks.append(i)
    return values


def backward(g: Graph, values: list, output: int) -> list:
    """d output / d node for every node the output depends on; None elsewhere."""
    return _backward(g, values, output, _compiled(g))


def _backward(g: Graph, values: list, output: int, fns: dict) -> list:
    grads: list = [None] * len(values)
    grads[output] = 1.0
    needs, ops, isfinite = g.needs, g.op, math.isfinite
    ids, first = g.args.ids, g.args.first
    for i in range(output, -1, -1):
        gi = grads[i]
        if gi is None:
            continue
        op = ops[i]
        if op is None or not needs[i]:
            continue
        f = first[i]
        n = first[i + 1] - f
        out = values[i]
        partials = fns[op.name, n][1]
        try:
            if op.routes_gradient:  # +: each argument gets gi itself (half the floats of a big sum)
                for k in range(f, f + n):
                    j = ids[k]
                    if needs[j]:
                        ga = grads[j]
                        grads[j] = gi if ga is None else ga + gi
            elif n == 2:
                a0, a1 = ids[f], ids[f + 1]
                x0, x1 = values[a0], values[a1]
                if needs[a0]:
                    d = partials[0](out, x0, x1) * gi
                    ga = grads[a0]
                    grads[a0] = d if ga is None else ga + d
                if needs[a1]:
                    d = partials[1](out, x0, x1) * gi
                    ga = grads[a1]
                    grads[a1] = d if ga is None else ga + d
            elif n == 1:
                a0 = ids[f]
                if needs[a0]:
                    d = partials[0](out, values[a0]) * gi
                    ga = grads[a0]
                    grads[a0] = d if ga is None else ga + d
            else:
                a = ids[f:f + n]
                xs = [values[j] for j in a]
                for k, j in enumerate(a):
                    if needs[j]:
                        d = partials[k](out, *xs) * gi
                        ga = grads[j]
                        grads[j] = d if ga is None else ga + d
        except OverflowError:
            raise _overflow_error(g, values, grads, fns, i) from None
        except (ValueError, ZeroDivisionError):
            raise _slope_error(g, i, values) from None
    for i in g.inputs.values():  # an overflow anywhere reaches an input as inf or nan
        d = grads[i]
        if d is not None and not isfinite(d):
            raise _overflow_error(g, values, grads, fns)
    return grads


def _notes(g: Graph, values: list, grads: list, kinks: list[int]) -> list[str]:
    notes = list(g.notes)
    for i in kinks:
        if grads[i] is not None:
            op = g.op[i]
            assert op is not None
            notes.append("%s is at a kink of %s (%s), where it has no derivative; gradcli's convention: %s"
                         % (g.label(i), op.name, _args_text(g, g.args[i], values) or "here",
                            op.convention))
    if g.backward:
        first = g.source.where(g.backward.nstart[0])[1]
        notes.append(Phrase("line %d on is a hand-written backward pass (%d statement%s), not part of "
                            "the output; {verify} checks it",
                            first, len(g.backward), "" if len(g.backward) == 1 else "s"))
    return notes


class ArrayResult(Result):
    """A Result of an array program (tensor.py): values and gradients are
    numpy arrays, or numbers for nodes of no dimensions."""

    @property
    def gradients(self) -> dict[str, float]:
        grads = self.grads
        return {name: 0.0 if grads[i] is None else grads[i] for name, i in self.graph.inputs.items()}


def evaluate_arrays(g: Graph) -> list[Result]:
    from . import tensor
    kinks: dict = {}
    values = tensor.forward(g, kinks)
    results: list[Result] = []
    for label, out in g.outputs:
        grads = tensor.backward(g, values, out)
        notes = list(g.notes) + tensor.shape_note(g, values, out) + tensor.kink_notes(g, kinks, grads)
        if g.backward:
            notes += [n for n in _notes(g, values, [None] * len(values), []) if n not in g.notes]
        results.append(ArrayResult(g, values, grads, out, label, notes))
    return results


@without_gc
def evaluate(g: Graph) -> list[Result]:
    """Forward once, then one backward pass per output."""
    if g.arrays:
        return evaluate_arrays(g)
    kinks: list[int] = []
    fns = _compiled(g)  # once, not per pass
    values = _forward(g, kinks, fns)
    results = []
    for label, out in g.outputs:
        grads = _backward(g, values, out, fns)
        results.append(Result(g, values, grads, out, label, _notes(g, values, grads, kinks)))
    return results
