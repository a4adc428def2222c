"""--dot and --tree: the computation graph as a circuit diagram.

--dot writes Graphviz in the style of the tutorials' circuit diagrams: one
node per gate (its operation, name and gradient), inputs as the wires' loose
ends, and every wire labelled with the value flowing forward (green, above)
and its own share of the gradient flowing back (red, below). Where a wire
forks, each branch shows its share and the node their sum. --tree shows the
same graph in the terminal as a rich Tree rooted at the output; a node used
twice is shown in full once and referred to after, and each of its lines
gives the share of that wire next to the node's total. The shares come from
wires.py. Both walk the graph with loops.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .graph import CONST, INPUT
from .render import DEFAULT_PRECISION, number, op_name
from .wires import into

if TYPE_CHECKING:
    from rich.tree import Tree
    from .engine import Result


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _wire(value: float | None, share: float | None, precision: int) -> str:
    return ('<<font color="#2e7d32">%s</font><br/><font color="#c62828">%s</font>>'
            % (_html(number(value, precision)), _html(number(share, precision))))


def _total(grad: float | None, precision: int) -> str:
    """A node's gradient, the sum of its wires' shares, under its name."""
    return "" if grad is None else '<br/><font color="#c62828">grad %s</font>' % _html(number(grad, precision))


def dot(results: list["Result"], precision: int = DEFAULT_PRECISION) -> str:
    """One Graphviz digraph per output, left to right like the tutorials' circuits."""
    graphs = []
    for n, r in enumerate(results):
        g, values, grads = r.graph, r.values, r.grads
        used = g.reachable([r.output])
        share = into(r)
        lines = ["digraph %s {" % ("circuit" if n == 0 else "circuit_%d" % (n + 1)),
                 '  label=<%s<br/><font color="#2e7d32">value</font> / <font color="#c62828">gradient</font>'
                 ' (each wire carries its own share; a node\'s grad is their sum)>;' % _html(r.label),
                 "  labelloc=t; rankdir=LR;",
                 '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];']
        for i in range(r.output + 1):
            if not used[i]:
                continue
            if g.kind[i] == INPUT:
                lines.append("  n%d [shape=plaintext, label=<%s%s>];"
                             % (i, _html(g.label(i)), _total(grads[i], precision)))
            elif g.kind[i] == CONST:
                lines.append('  n%d [shape=plaintext, fontcolor=gray40, label="%s"];'
                             % (i, _html(number(values[i], precision))))
            else:
                name = g.name[i]
                label = "<b>%s</b>%s%s" % (_html(op_name(r, i)), "<br/>" + _html(name) if name else "",
                                           _total(grads[i], precision))
                lines.append("  n%d [shape=circle, style=filled, fillcolor=\"#eeeeee\", label=<%s>];"
                             % (i, label))
            for k, a in enumerate(g.args[i]):
                w = share.get((i, k))
                lines.append("  n%d -> n%d [label=%s];"
                             % (a, i, _wire(values[a], None if w is None else w.share, precision)))
        lines.append('  out [shape=plaintext, label="%s"];' % _html(r.label))
        lines.append("  n%d -> out [label=%s];" % (r.output, _wire(values[r.output], grads[r.output], precision)))
        lines.append("}")
        graphs.append("\n".join(lines))
    return "\n".join(graphs) + "\n"


def tree(result: "Result", precision: int = DEFAULT_PRECISION) -> "Tree":
    """The output at the root, each gate's arguments below it. A node with
    more than one wire leaving it says, on each of its lines, what that wire
    carries back: `x  input  value 2  grad 4  (this wire: 3)`."""
    from rich.text import Text
    from rich.tree import Tree

    g, values, grads = result.graph, result.values, result.grads
    share = into(result)
    forks = [0] * len(g)  # how many wires leave each node with a share
    for w in share.values():
        forks[w.source] += 1

    def label(i: int, again: bool, wire: float | None) -> Text:
        kind = op_name(result, i)
        style = "bold cyan" if g.kind[i] == INPUT else "dim" if g.kind[i] == CONST else ""
        text = Text.assemble((g.label(i), "bold green" if i == result.output else style), "  ",
                             (kind, "magenta"), "  value ", number(values[i], precision),
                             "  grad ", (number(grads[i], precision), "red"))
        notes = []
        if wire is not None and forks[i] > 1:
            notes.append(Text.assemble("this wire: ", (number(wire, precision), "red")))
        if again:
            notes.append(Text("shown above", style="dim italic"))
        if notes:
            text.append("  (")
            text.append(Text("; ").join(notes))
            text.append(")")
        return text

    root = Tree(label(result.output, False, None))
    shown = {result.output}
    stack = [(a, k, result.output, root) for k, a in reversed(list(enumerate(g.args[result.output])))]
    while stack:
        i, k, parent, node = stack.pop()
        again = i in shown and g.kind[i] != CONST
        wire = share.get((parent, k))
        branch = node.add(label(i, again, None if wire is None else wire.share))
        if again:
            continue
        shown.add(i)
        stack.extend((a, j, i, branch) for j, a in reversed(list(enumerate(g.args[i]))))
    return root
