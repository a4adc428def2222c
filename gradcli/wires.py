"""The wires of an evaluated graph, each with its own share of the gradient.

A wire is one use of a node by a gate: one argument position. In `a*a` two
wires leave `a`. A wire carries its node's value forward and, backward, its
own share of the gradient:

    share(a -> gate i, argument k) = d op_i / d argument_k * grad[i]

A node's gradient is the sum of the shares of the wires leaving it, which is
the engine's `+=` at a fork. The shares are computed here once, for every
renderer, with the engine's compiled partials and the engine's float
operations, in the order engine.backward adds them (gates from the output
down, each gate's arguments left to right). So, for every node `a` but the
output (whose gradient is the seed 1):

    grads[a] == ((s0 + s1) + s2) + ...      bit for bit, s = the shares of a's wires in order

Constants, and nodes that depend on no input, carry no share: they have no
wires here.
"""
from __future__ import annotations

from array import array
from itertools import islice
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple

from .engine import _compiled

if TYPE_CHECKING:
    from .engine import Result
    from .graph import Graph


class Wire(NamedTuple):
    """One use of node `source` as argument `arg` (0 = the first) of gate `node`."""
    source: int
    node: int
    arg: int
    share: float  # d op_node / d argument_arg * grad[node]: this wire's part of grad[source]


def shares(result: "Result", gates: "Iterable[int] | None" = None,
           sources: "list[bool] | None" = None) -> Iterator[tuple[int, int, int, float]]:
    """(source, gate, argument position, share) of every wire that carries a
    gradient back, in the order the backward pass adds the shares; or only
    of the wires into `gates`, or only of those from the nodes i where
    sources[i] (each of which must need an input). The one place that
    computes them, as engine._backward does: the same loop, the same
    compiled partials, the same products."""
    g, values, grads = result.graph, result.values, result.grads
    fns = _compiled(g)
    ops = g.op
    gate_needs = g.needs
    needs = gate_needs if sources is None else sources  # the nodes whose wires are wanted
    ids, first = g.args.ids, g.args.first
    for i in range(result.output, -1, -1) if gates is None else gates:
        gi = grads[i]
        if gi is None:
            continue
        op = ops[i]
        if op is None or not gate_needs[i]:
            continue
        f = first[i]
        n = first[i + 1] - f
        if op.routes_gradient:  # +: each argument gets gi itself, not 1.0 * gi
            for k in range(n):
                j = ids[f + k]
                if needs[j]:
                    yield j, i, k, gi
        elif n == 2:
            partials = fns[op.name, 2][1]
            a0, a1 = ids[f], ids[f + 1]
            out, x0, x1 = values[i], values[a0], values[a1]
            if needs[a0]:
                yield a0, i, 0, partials[0](out, x0, x1) * gi
            if needs[a1]:
                yield a1, i, 1, partials[1](out, x0, x1) * gi
        elif n == 1:
            a0 = ids[f]
            if needs[a0]:
                yield a0, i, 0, fns[op.name, 1][1][0](values[i], values[a0]) * gi
        else:
            partials = fns[op.name, n][1]
            out = values[i]
            xs = [values[j] for j in ids[f:f + n]]
            for k in range(n):
                j = ids[f + k]
                if needs[j]:
                    yield j, i, k, partials[k](out, *xs) * gi


def wires(result: "Result") -> list[Wire]:
    """Every wire that carries a gradient back, in the order the backward
    pass adds the shares."""
    return list(map(Wire._make, shares(result)))


class Uses:
    """The wires leaving each node, in the order the backward pass adds
    their shares, kept in flat arrays as graph.Args keeps arguments (a
    million wires as Python objects would take hundreds of MB):

    first[i]   node i's first wire, or -1 when no wire brings it a share
    next[w]    the next wire leaving the same node as wire w, or -1
    node[w], arg[w], share[w]   the gate wire w goes into, which argument
               of that gate it is (0 = the first), and its share
    count[i]   how many wires leave node i with a share
    """
    __slots__ = ("first", "next", "node", "arg", "share", "count")

    def __init__(self, result: "Result", sources: "list[bool] | None" = None):
        n = len(result.values)
        most = len(result.graph.args.ids)  # no more wires than arguments
        self.first = first = array("i", [-1]) * n
        self.count = count = array("I", [0]) * n  # (unsigned: faster to set)
        self.next = chain = array("i", [-1]) * most
        self.node = node = array("I", [0]) * most
        self.arg = arg = array("I", [0]) * most
        self.share = share = array("d", [0.0]) * most
        last = array("i", [-1]) * n
        w = 0
        for j, i, k, s in shares(result, sources=sources):  # (sources: as shares takes them)
            node[w] = i
            arg[w] = k
            share[w] = s
            t = last[j]
            if t < 0:
                first[j] = w
            else:
                chain[t] = w
            last[j] = w
            count[j] += 1
            w += 1

    def __len__(self) -> int:
        return len(self.first)

    def __getitem__(self, i: int) -> list[tuple[int, int, float]]:
        """(gate, argument position, share) of each wire leaving node i, in order."""
        return list(self.each(i))

    def each(self, i: int) -> Iterator[tuple[int, int, float]]:
        """The same, one at a time."""
        w, chain, node, arg, share = self.first[i], self.next, self.node, self.arg, self.share
        while w >= 0:
            yield node[w], arg[w], share[w]
            w = chain[w]


MANY = -2  # counted's gate of a node with more than one wire leaving it


def counted(result: "Result", used: list[bool]) -> "tuple[array, array] | None":
    """When the output uses every node (`used`: which nodes it uses), every
    wire from a node that needs an input carries a share (each gate then
    has a gradient), so the wires are known without computing a share:
    (gate, arg), where gate[i] is -1 if no wire leaves node i, MANY if more
    than one does, else the gate its one wire goes into, which takes it as
    argument arg[i] (that wire's share is grads[i] itself, to the bit).
    To be read only where node i needs an input. None when some node is
    not used."""
    if not all(used):
        return None
    ids, first = result.graph.args.ids, result.graph.args.first
    n = len(first) - 1
    for size in ("b", "i"):  # an argument position takes a byte, unless an op takes more than 127
        gate = array("i", [-1]) * n
        arg = array(size, [-1]) * n
        i = 0
        try:
            for f, e in zip(first, islice(first, 1, None)):
                for p in range(f, e):
                    j = ids[p]
                    if gate[j] == -1:
                        gate[j] = i
                        arg[j] = p - f
                    else:
                        gate[j] = MANY
                i += 1
        except OverflowError:
            continue
        break
    return gate, arg


def leaving(result: "Result") -> list[list[Wire]]:
    """For every node id, the wires leaving it, in the order the backward
    pass adds their shares; empty for a node that carries no share."""
    out: list[list[Wire]] = [[] for _ in result.values]
    for w in wires(result):
        out[w.source].append(w)
    return out


def into(result: "Result") -> dict[tuple[int, int], Wire]:
    """(gate, argument position) -> the wire, for the wires that carry a gradient."""
    return {(w.node, w.arg): w for w in wires(result)}


def _ordinal(k: int) -> str:
    if 10 <= k % 100 <= 20:
        return "%dth" % k
    return "%d%s" % (k, {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th"))


def which(g: "Graph", w: Wire) -> str:
    """The wire among those from its source into the same gate: "" when it
    is the only one, else "1st", "2nd", ... (a*a has two)."""
    args = g.args[w.node]
    if args.count(w.source) == 1:
        return ""
    return _ordinal(args[:w.arg + 1].count(w.source))


def name(g: "Graph", w: Wire) -> str:
    """The wire as people say it: `the wire from x into x*y`, `the 2nd wire from a into a*a`."""
    nth = which(g, w)
    return "the %swire from %s into %s" % (nth + " " if nth else "", g.label(w.source), g.label(w.node))


def short_name(g: "Graph", w: Wire) -> str:
    """The wire among its source's: `wire into x*y`, `2nd wire into a*a`."""
    nth = which(g, w)
    return "%swire into %s" % (nth + " " if nth else "", g.label(w.node))
