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

from array import array
from typing import TYPE_CHECKING

from .errors import InputError
from .graph import CONST, INPUT
from .render import DEFAULT_PRECISION, number, op_name
from .wires import into, shares

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


def dot(results: list["Result"], precision: int = DEFAULT_PRECISION, ids: bool = False,
        split: int | None = None) -> str:
    """One Graphviz digraph per output, left to right like the tutorials' circuits.
    With `ids`, each node and wire carries an id for the SVG (`n3`; `w3_0`, the
    wire into gate 3's first argument; `out`) that the page of --html lights.
    With `split`, an input or constant with more than `split` wires is drawn
    once per wire, each copy with the node's total: Graphviz takes minutes
    over a node whose wires reach across a hundred ranks."""
    graphs = []
    for n, r in enumerate(results):
        g, values, grads = r.graph, r.values, r.grads
        used = g.reachable([r.output])
        share = into(r)
        wires_out = [0] * len(g)
        for i in range(r.output + 1):
            if used[i]:
                for a in g.args[i]:
                    wires_out[a] += 1
        copies = {a for a in range(r.output + 1) if split is not None and wires_out[a] > split
                  and g.kind[a] in (INPUT, CONST)}
        lines = ["digraph %s {" % ("circuit" if n == 0 else "circuit_%d" % (n + 1)),
                 '  label=<%s<br/><font color="#2e7d32">value</font> / <font color="#c62828">gradient</font>'
                 ' (each wire carries its own share; a node\'s grad is their sum)>;' % _html(r.label),
                 "  labelloc=t; rankdir=LR;",
                 '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];']
        for i in range(r.output + 1):
            if not used[i]:
                continue
            node_id = 'id="n%d", ' % i if ids else ""
            if i in copies:
                pass  # drawn at each of its wires, below
            elif g.kind[i] == INPUT:
                lines.append("  n%d [%sshape=plaintext, label=<%s%s>];"
                             % (i, node_id, _html(g.label(i)), _total(grads[i], precision)))
            elif g.kind[i] == CONST:
                lines.append('  n%d [%sshape=plaintext, fontcolor=gray40, label="%s"];'
                             % (i, node_id, _html(number(values[i], precision))))
            else:
                name = g.name[i]
                label = "<b>%s</b>%s%s" % (_html(op_name(r, i)), "<br/>" + _html(name) if name else "",
                                           _total(grads[i], precision))
                lines.append("  n%d [%sshape=circle, style=filled, fillcolor=\"#eeeeee\", label=<%s>];"
                             % (i, node_id, label))
            for k, a in enumerate(g.args[i]):
                w = share.get((i, k))
                tail = "n%d" % a
                if a in copies:
                    tail = "n%d_%d_%d" % (a, i, k)
                    if g.kind[a] == INPUT:
                        lines.append('  %s [%sclass="n%d", shape=plaintext, label=<%s%s>];'
                                     % (tail, 'id="%s", ' % tail if ids else "", a, _html(g.label(a)),
                                        _total(grads[a], precision)))
                    else:
                        lines.append('  %s [%sclass="n%d", shape=plaintext, fontcolor=gray40, label="%s"];'
                                     % (tail, 'id="%s", ' % tail if ids else "", a,
                                        _html(number(values[a], precision))))
                lines.append("  %s -> n%d [%slabel=%s];"
                             % (tail, i, 'id="w%d_%d", ' % (i, k) if ids else "",
                                _wire(values[a], None if w is None else w.share, precision)))
        lines.append('  out [%sshape=plaintext, label="%s"];' % ('id="out", ' if ids else "", _html(r.label)))
        lines.append("  n%d -> out [%slabel=%s];" % (r.output, 'id="wout", ' if ids else "",
                                                     _wire(values[r.output], grads[r.output], precision)))
        lines.append("}")
        graphs.append("\n".join(lines))
    return "\n".join(graphs) + "\n"


# A tree's picture grows with its depth times its length (each line is
# indented by its depth), so x+x+...+x, a chain 100,000 deep, would print
# gigabytes. The tree holds at most TREE_BUILT lines; it shows at most
# TREE_DEPTH levels and TREE_LINES lines, and says how many lines it leaves out.
TREE_DEPTH = 24
TREE_LINES = 400
TREE_BUILT = 10_000


def _tree_class():
    from rich.tree import Tree

    class Bounded(Tree):
        """A rich Tree that shows at most `depth` levels and `lines` lines of
        itself, then a line that counts the rest (`left` of them were never built)."""
        depth, lines, left = TREE_DEPTH, TREE_LINES, 0

        def shown(self):
            from rich.console import Group
            from rich.text import Text
            from rich.tree import Tree as Plain

            copy = Plain(self.label, style=self.style, guide_style=self.guide_style)
            # Depth first, as the lines are printed, so the first `lines` are the ones kept.
            stack = [(child, copy, 1) for child in reversed(self.children)]
            count, hidden = 1, self.left
            cut: set[int] = set()  # the shown nodes that have lost a child: each gets one "..." line
            while stack:
                node, into, level = stack.pop()
                if getattr(node, "more", False) or count >= self.lines or level > self.depth:
                    hidden += 0 if getattr(node, "more", False) else _size(node)
                    if id(into) not in cut:
                        cut.add(id(into))
                        into.add(Text("...", style="dim"))
                    continue
                count += 1
                mine = into.add(node.label, style=node.style, guide_style=node.guide_style)
                stack.extend((child, mine, level + 1) for child in reversed(node.children))
            if not hidden:
                return copy
            note = Text("... %d more lines (the tree shows %d levels and %d lines; --dot or --json "
                        "gives every node)" % (hidden, self.depth, self.lines), style="dim")
            return Group(copy, note)

        def __rich_console__(self, console, options):
            yield self.shown()

        def __rich_measure__(self, console, options):
            from rich.measure import Measurement
            return Measurement.get(console, options, self.shown())

    return Bounded


def _size(t: "Tree") -> int:
    n, stack = 0, [t]
    while stack:
        node = stack.pop()
        n += not getattr(node, "more", False)  # a "..." is no line of the graph's
        stack.extend(node.children)
    return n


def tree(result: "Result", precision: int = DEFAULT_PRECISION) -> "Tree":
    """The output at the root, each gate's arguments below it. A node with
    more than one wire leaving it says, on each of its lines, what that wire
    carries back: `x  input  value 2  grad 4  (this wire: 3)`. A big graph's
    tree is cut to TREE_DEPTH levels and TREE_LINES lines when shown, with a
    count of the lines left out."""
    from rich.text import Text

    g, values, grads = result.graph, result.values, result.grads
    used = g.reachable_sweep([result.output])
    ids, first, kind, needs = g.args.ids, g.args.first, g.kind, g.needs
    # How many wires leave each node with a share: its uses by the gates the
    # output depends on, when it needs a gradient (wires.shares' own rule).
    forks = array("i", [0]) * len(g)
    lines = 1  # the whole tree's: the root, and one line per argument of each gate shown in full once
    for i in range(result.output + 1):
        if used[i] and kind[i] != CONST:
            lines += first[i + 1] - first[i]
            if needs[i] and g.op[i] is not None:
                for a in ids[first[i]:first[i + 1]]:
                    forks[a] += needs[a]

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

    # Every line but the root's is one argument of a gate shown in full, and
    # each gate reached is shown in full once: a big tree is built only as
    # deep as it is shown, and the rest is counted. First the lines to show,
    # each (node, gate, argument, the line it hangs from, shown above?), then
    # the shares of the wires they show, in one pass of wires.shares.
    deepest = TREE_DEPTH if lines > TREE_BUILT else len(g) + 1
    out = result.output
    rows: list[tuple[int, int, int, int, bool]] = []
    shown = {out}
    cut: set[int] = set()  # the lines that lose an argument: each gets one "..." below it
    stack = [(ids[first[out] + k], out, k, -1, 1) for k in range(first[out + 1] - first[out] - 1, -1, -1)]
    while stack:
        i, gate, k, parent, depth = stack.pop()  # node i, argument k of the gate on line `parent`
        if depth > deepest or len(rows) + 1 == TREE_BUILT:
            # Past what the picture shows, so never walked: a node first met
            # below here is shown in full where it is next met.
            cut.add(parent)
            continue
        again = i in shown and kind[i] != CONST
        rows.append((i, gate, k, parent, again))
        if not again:
            shown.add(i)
            row = len(rows) - 1
            stack.extend((ids[first[i] + j], i, j, row, depth + 1) for j in range(first[i + 1] - first[i] - 1, -1, -1))
    share = {(gate, k): s for _, gate, k, s in shares(result, sorted({r[1] for r in rows}, reverse=True))}
    root = _tree_class()(label(out, False, None))
    nodes: list[Tree] = []
    for i, gate, k, parent, again in rows:
        nodes.append((root if parent < 0 else nodes[parent]).add(label(i, again, share.get((gate, k)))))
    for parent in sorted(cut):
        (root if parent < 0 else nodes[parent]).add("...").more = True  # type: ignore[union-attr]
    built = 1 + len(rows)
    root.left = lines - built
    return root


# --draw: the circuit laid out by Graphviz. A system `dot` is used when there
# is one; else graphviz-pure, a self-contained port installed with gradcli,
# which writes the same bytes on every machine.
DRAW_MOST = 300  # gates: a bigger circuit is refused unless --all
DRAW_SPLIT = 4   # an input or constant with more wires is drawn at each of them
DRAW_FORMATS = ("svg", "png")
# A PNG at most 40 inches (3,840 pixels) a side: a 300-gate chain is 30,000
# pixels wide at full size, and takes Graphviz minutes to encode.
PNG_SIZE = ["-Gsize=40,40"]


def gates(result: "Result") -> int:
    """How many gates the output depends on (inputs and constants aside)."""
    g = result.graph
    used = g.reachable_sweep([result.output])
    return sum(1 for i in range(result.output + 1) if used[i] and g.kind[i] not in (INPUT, CONST))


def layout_programs() -> list[str]:
    """The Graphviz programs to try, in order: the system's dot, then
    graphviz-pure; or only GRADCLI_GRAPHVIZ's, when it names one."""
    import os
    import shutil
    import sys
    import sysconfig
    chosen = os.environ.get("GRADCLI_GRAPHVIZ")
    if chosen:
        return [shutil.which(chosen) or chosen]
    found = []
    system = shutil.which("dot")
    if system:
        found.append(system)
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(folder, "graphviz-pure")
        if os.access(candidate, os.X_OK):
            found.append(candidate)
            break
    else:
        pure = shutil.which("graphviz-pure")
        if pure:
            found.append(pure)
    return found


def render(source: str, fmt: str, program: str | None = None) -> bytes:
    """Graphviz text laid out and drawn as `fmt` (svg or png) by `program`,
    or by the first of layout_programs() that can. Raises InputError."""
    import subprocess
    programs = [program] if program else layout_programs()
    if not programs:
        raise InputError("no Graphviz program to lay the circuit out: neither dot nor graphviz-pure is installed",
                          hint="pip install graphviz-pure (it comes with gradcli), or install Graphviz")
    why = ""
    for prog in programs:
        try:
            done = subprocess.run([prog, "-T" + fmt] + PNG_SIZE * (fmt == "png"), input=source.encode("utf-8"),
                                  capture_output=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            why = "%s: %s" % (prog, e)
            continue
        if done.returncode == 0 and done.stdout:
            return done.stdout
        why = "%s: %s" % (prog, done.stderr.decode("utf-8", "replace").strip() or "exit %d" % done.returncode)
    raise InputError("Graphviz could not draw the circuit (%s)" % why,
                      hint="--dot prints the Graphviz text, to draw it another way")

