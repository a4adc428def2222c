"""Forward and reverse passes over an array graph, with numpy. No printing.

The same two passes as engine.py, a node at a time, but each node's value is
a numpy array (a number is an array of no dimensions) and each op hands its
arguments vector-Jacobian products (arrayops.py):

forward:  value[i] = op_i(value[args])                      in topological order
backward: grad[out] = ones; grad[a] += vjp_i,a(grad[i])      in reverse order

numpy is told to stay quiet about overflow and invalid values; each node's
value and each gradient it hands on are then checked, and the first that is
not finite is an error naming the node and the element.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .arrayops import ShapeError, array_form, shape_text
from .errors import MathError, ProgramError
from .graph import INPUT, OP, Graph, no_value


def _finite(v: Any) -> bool:
    """Whether every element of v is finite: its sum is, unless one is not (or
    the sum of finite ones overflows, which the element-wise test then settles)."""
    total = np.add.reduce(v, axis=None) if isinstance(v, np.ndarray) else v
    try:
        if math.isfinite(total):
            return True
    except TypeError:
        pass
    return bool(np.isfinite(v).all())


def _args_shapes(g: Graph, i: int, values: list) -> str:
    return " and ".join("%s %s" % (g.label(a), shape_text(np.shape(values[a])))
                        for a in dict.fromkeys(g.args[i]))


def _position(at: Any) -> str:
    return "[%s]" % ", ".join(str(int(k)) for k in at)


def _element(x: Any, shape: tuple[int, ...], at: tuple[int, ...]) -> float:
    try:
        return float(np.broadcast_to(x, shape)[at])
    except (ValueError, IndexError):
        return float("nan")


def _not_finite(g: Graph, i: int, values: list, v: Any, slope: bool = False) -> MathError:
    op = g.op[i]
    bad = np.argwhere(~np.isfinite(np.asarray(v)))
    at = tuple(int(k) for k in bad[0]) if np.ndim(v) else ()
    where = " at element %s" % _position(at) if at else ""
    shape = np.shape(v)
    xs = [_element(values[a], shape, at) for a in g.args[i]]
    why = ""
    if op is not None and hasattr(op, "domain_message") and len(xs) == len(g.args[i]):
        try:
            why = op.slope_message(*xs) if slope else op.domain_message(*xs)  # type: ignore[union-attr]
        except Exception:
            why = ""
    if not why:
        why = ("its slope is infinite or undefined there" if slope else
               "the result is not a finite number (overflow, or outside the function's domain)")
    shown = ", ".join("%s = %.6g" % (g.label(a), x) for a, x in zip(g.args[i], xs) if g.kind[a] != 1)
    message = "%s%s: %s%s" % (g.gate(i), where, why, " (%s)" % shown if shown else "")
    if slope:
        message += ", so no gradient can flow through it"
    return MathError(message, span=g.span[i], source=g.source,
                     hint="change the inputs so that %s stays in its domain" % g.label(i, named=False))


def needed(g: Graph) -> list[bool]:
    """The live nodes, and the constant nodes that give an input its starting value."""
    roots = [node for _, node in g.outputs]
    roots += [r for i, r in g.init.items() if g.value[i] is None]
    cached = getattr(g, "_needed", None)  # the same roots, pass after pass, in the step loop
    if cached is not None and cached[0] == roots and len(cached[1]) == len(g):
        return cached[1]
    need = g.reachable(roots)
    g._needed = (roots, need)  # type: ignore[attr-defined]
    return need


def forward(g: Graph, kinks: dict[int, Any] | None = None) -> list:
    """The value of every needed node; kinks[i] the mask of node i's elements at a kink."""
    with np.errstate(all="ignore"):  # once, not per node: each node's value is checked instead
        return _forward(g, kinks)


def plan(g: Graph) -> list:
    """Per node: None, or (its array op, args, value fn, vjps, kink fn), made
    once per graph: the step loop runs the same passes again and again."""
    made = getattr(g, "_array_plan", None)
    if made is None or len(made) != len(g):
        made = []
        for i in range(len(g)):
            if g.kind[i] != OP:
                made.append(None)
                continue
            args = g.args[i]
            op = array_form(g.op[i], len(args))  # type: ignore[arg-type]
            fn, vjps, kink = op.functions(len(args))
            made.append((op, args, fn, vjps, kink))
        g._array_plan = made  # type: ignore[attr-defined]
    return made


def _forward(g: Graph, kinks: dict[int, Any] | None) -> list:
    rng = None  # made on the first draw: seeding one costs more than a small pass
    values = list(g.value)
    need = needed(g)
    steps = plan(g)
    kind = g.kind
    for i in range(len(values)):
        if not need[i]:
            continue
        if kind[i] == INPUT:
            if values[i] is None:
                if i not in g.init:
                    raise _unbound(g, need)
                values[i] = values[g.init[i]]
            continue
        entry = steps[i]
        if entry is None:
            continue
        op, args, fn, _, kink = entry
        xs = [values[a] for a in args]
        try:
            if op.random and rng is None:
                rng = np.random.RandomState(g.seed)
            v = fn(rng, *xs) if op.random else fn(*xs)
        except ShapeError as e:
            raise ProgramError("%s: %s" % (g.gate(i), e), span=g.span[i], source=g.source,
                               hint="check the shapes of %s" % (_args_shapes(g, i, values) or "its arguments")
                               ) from None
        except (ZeroDivisionError, OverflowError):  # Python's floats, as in randn(1/0) or k = 0/0
            raise _not_finite(g, i, values, np.float64(np.nan)) from None
        except (ValueError, IndexError) as e:
            raise ProgramError("%s: the shapes do not fit: %s" % (g.gate(i), _args_shapes(g, i, values)),
                               span=g.span[i], source=g.source,
                               hint="numpy's broadcasting pairs the last axes; each pair must be equal or 1 "
                                    "(%s)" % str(e).split("\n")[0]) from None
        if not _finite(v):
            raise _not_finite(g, i, values, v)
        values[i] = v
        if kink is not None and kinks is not None and g.needs[i]:
            mask = np.asarray(kink(v, *xs), dtype=bool)
            if mask.any():
                kinks[i] = mask
    return values


def _unbound(g: Graph, need: list[bool]) -> ProgramError:
    """The inputs with no value that the pass needs, as graph.check_bound says
    it: that check follows the outputs, and a shape's argument (q in
    `X = randn(q)`, X's starting value) is reached only through g.init."""
    unbound = [i for i in range(len(need)) if need[i] and g.kind[i] == INPUT and g.value[i] is None
               and i not in g.init]
    return no_value(g, [g.name[i] or "?" for i in unbound], g.span[unbound[0]])


def _needs(g: Graph, frozen: set[int]) -> list[bool]:
    """g.needs, as if the frozen inputs were data: what depends on the others."""
    needs = list(g.needs)
    kind = g.kind
    for i in range(len(needs)):
        if kind[i] == INPUT:
            needs[i] = needs[i] and i not in frozen
        elif needs[i]:
            op: Any = g.op[i]
            args = g.args[i]
            if getattr(op, "shape_args", False):
                args = args[:op.arity]
            needs[i] = any(needs[a] for a in args)
    return needs


def backward(g: Graph, values: list, output: int, seed: Any = None, frozen: set[int] | None = None) -> list:
    """d sum(output * seed) / d node for every node the output depends on
    (seed: ones, unless given), but for the frozen inputs and what depends
    on them alone; None elsewhere."""
    with np.errstate(all="ignore"):
        return _backward(g, values, output, seed, frozen)


def _backward(g: Graph, values: list, output: int, seed: Any, frozen: set[int] | None) -> list:
    grads: list = [None] * len(values)
    out = values[output]
    if seed is not None:
        grads[output] = np.broadcast_to(seed, np.shape(out)).astype(float) if np.ndim(out) else float(np.sum(seed))
    else:
        grads[output] = np.ones(np.shape(out)) if np.ndim(out) else 1.0
    if frozen:
        cached = getattr(g, "_frozen_needs", None)  # the step loop asks with the same frozen inputs each step
        if cached is None or cached[0] != frozen:
            cached = (set(frozen), _needs(g, frozen))
            g._frozen_needs = cached  # type: ignore[attr-defined]
        needs = cached[1]
    else:
        needs = g.needs
    kind = g.kind
    steps = plan(g)
    for i in range(output, -1, -1):
        gi = grads[i]
        if gi is None or kind[i] != OP or not needs[i]:
            continue
        _, args, _, vjps, _ = steps[i]
        xs = [values[a] for a in args]
        for k, j in enumerate(args):
            vjp = vjps[k] if k < len(vjps) else None
            if not needs[j] or vjp is None:
                continue
            try:
                d = vjp(gi, values[i], *xs)
            except (ValueError, IndexError) as e:
                raise ProgramError("%s: its gradient cannot be computed for shapes %s (%s)"
                                   % (g.gate(i), _args_shapes(g, i, values), str(e).split("\n")[0]),
                                   span=g.span[i], source=g.source) from None
            if not _finite(d):
                raise _not_finite(g, i, values, d, slope=True)
            ga = grads[j]
            grads[j] = d if ga is None else ga + d
    for i in g.inputs.values():  # an input no gradient reaches, used or not: zeros of its shape
        if grads[i] is None and values[i] is not None and needs[i]:
            grads[i] = np.zeros(np.shape(values[i])) if np.ndim(values[i]) else 0.0
    return grads


def kink_notes(g: Graph, kinks: dict[int, Any], grads: list) -> list[str]:
    notes = []
    for i, mask in kinks.items():
        if grads[i] is None:
            continue
        op = array_form(g.op[i], len(g.args[i]))  # type: ignore[arg-type]
        count = int(mask.sum())
        first = [_position(p) for p in np.argwhere(mask)[:3]] if mask.ndim else []
        at = " (%s%s)" % (", ".join(first), ", ..." if count > 3 else "") if first else ""
        notes.append("%s has %d element%s at a kink of %s%s, where it has no derivative; gradcli's convention: %s"
                     % (g.label(i), count, "" if count == 1 else "s", op.name, at, op.convention))
    return notes


def shape_note(g: Graph, values: list, output: int) -> list[str]:
    shape = np.shape(values[output])
    if not shape:
        return []
    return ["the output has shape %s: the gradients are those of the sum of its elements"
            % shape_text(shape)]
