"""--dot and --tree: the computation graph as a circuit diagram.

--dot writes Graphviz in the style of the tutorials' circuit diagrams: one
node per gate (its operation and name), inputs as the wires' loose ends, and
every wire labelled with the value flowing forward (green, above) and the
gradient flowing back (red, below). --tree shows the same graph in the
terminal as a rich Tree rooted at the output; a node used twice is shown in
full once and referred to after. Both walk the graph with loops.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .graph import CONST, INPUT
from .render import DEFAULT_PRECISION, number, op_name

if TYPE_CHECKING:
    from rich.tree import Tree
    from .engine import Result


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _wire(value: float | None, grad: float | None, precision: int) -> str:
    return ('<<font color="#2e7d32">%s</font><br/><font color="#c62828">%s</font>>'
            % (_html(number(value, precision)), _html(number(grad, precision))))


def dot(results: list["Result"], precision: int = DEFAULT_PRECISION) -> str:
    """One Graphviz digraph per output, left to right like the tutorials' circuits."""
    graphs = []
    for n, r in enumerate(results):
        g, values, grads = r.graph, r.values, r.grads
        used = g.reachable([r.output])
        lines = ["digraph %s {" % ("circuit" if n == 0 else "circuit_%d" % (n + 1)),
                 '  label=<%s<br/><font color="#2e7d32">value</font> / <font color="#c62828">gradient</font>>;'
                 % _html(r.label),
                 "  labelloc=t; rankdir=LR;",
                 '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];']
        for i in range(r.output + 1):
            if not used[i]:
                continue
            if g.kind[i] == INPUT:
                lines.append('  n%d [shape=plaintext, label="%s"];' % (i, _html(g.label(i))))
            elif g.kind[i] == CONST:
                lines.append('  n%d [shape=plaintext, fontcolor=gray40, label="%s"];'
                             % (i, _html(number(values[i], precision))))
            else:
                name = g.name[i]
                label = "<b>%s</b>%s" % (_html(op_name(r, i)), "<br/>" + _html(name) if name else "")
                lines.append("  n%d [shape=circle, style=filled, fillcolor=\"#eeeeee\", label=<%s>];"
                             % (i, label))
            for a in g.args[i]:
                lines.append("  n%d -> n%d [label=%s];" % (a, i, _wire(values[a], grads[a], precision)))
        lines.append('  out [shape=plaintext, label="%s"];' % _html(r.label))
        lines.append("  n%d -> out [label=%s];" % (r.output, _wire(values[r.output], grads[r.output], precision)))
        lines.append("}")
        graphs.append("\n".join(lines))
    return "\n".join(graphs) + "\n"


def tree(result: "Result", precision: int = DEFAULT_PRECISION) -> "Tree":
    """The output at the root, each gate's arguments below it."""
    from rich.text import Text
    from rich.tree import Tree

    g, values, grads = result.graph, result.values, result.grads

    def label(i: int, again: bool) -> Text:
        kind = op_name(result, i)
        style = "bold cyan" if g.kind[i] == INPUT else "dim" if g.kind[i] == CONST else ""
        text = Text.assemble((g.label(i), "bold green" if i == result.output else style), "  ",
                             (kind, "magenta"), "  value ", number(values[i], precision),
                             "  grad ", (number(grads[i], precision), "red"))
        if again:
            text.append("  (shown above)", style="dim italic")
        return text

    root = Tree(label(result.output, False))
    shown = {result.output}
    stack = [(a, root) for a in reversed(g.args[result.output])]
    while stack:
        i, parent = stack.pop()
        again = i in shown and g.kind[i] != CONST
        branch = parent.add(label(i, again))
        if again:
            continue
        shown.add(i)
        stack.extend((a, branch) for a in reversed(g.args[i]))
    return root
