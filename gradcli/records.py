"""Node records: the rows of gradcli's table, for the Python API.

Kept apart from the engine, which builds them only when asked (Result.nodes),
so that start-up does not pay for the class.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .graph import CONST, INPUT, Graph

if TYPE_CHECKING:
    from .engine import Result


@dataclass(frozen=True, slots=True)
class Node:
    """One node of an evaluated graph: a row of gradcli's table.

    `op` is the op table's name (`"add"`, `"mul"`, `"sig"`, ...) or `"input"`
    or `"const"`; `grad` is d output / d node, None where no gradient flows
    (constants); `args` are the ids of the node's arguments.
    """
    id: int
    label: str
    op: str
    value: float
    grad: float | None
    args: tuple[int, ...]


def nodes(result: Result) -> list[Node]:
    """Every node the result's output depends on, in forward order.

    >>> from gradcli import grad
    >>> [(n.label, n.value, n.grad) for n in nodes(grad("x*x", x=3))]
    [('x', 3.0, 6.0), ('x*x', 9.0, 1.0)]
    """
    if not isinstance(getattr(result, "graph", None), Graph):  # records sits below engine: no import of Result
        raise TypeError("result must be a gradcli Result, as gradcli.grad or gradcli.evaluate gives, not %s"
                        % type(result).__name__)
    g = result.graph
    values, grads = result.values, result.grads
    used = g.reachable([result.output])
    out = []
    for i, u in enumerate(used):
        if not u:
            continue
        op = g.op[i]
        name = "input" if g.kind[i] == INPUT else "const" if g.kind[i] == CONST or op is None else op.name
        out.append(Node(i, g.label(i), name, values[i], grads[i], g.args[i]))
    return out
