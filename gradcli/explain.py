"""--explain and --paths: the backward pass written out as the tutorials write
it, one chain-rule line per local gradient, with its numbers.

    dq = s * (1 - s) * ds = 0.8808 * (1 - 0.8808) * 1 = 0.105

The rule text is the op table's (Op.rule_templates), the numbers are the
evaluator's, each wire's share is wires.py's, and the names are the ones
--emit uses (codegen.generate), so the explanation, the emitted code and the
computation cannot disagree. Where a node forks, each line names its wire
(`the wire from x into x*y`) and the sum line lists every wire's share.
Steps are data (Step, Path); the renderers at the bottom turn them into rich
text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .codegen import _top_level, gate_text, generate
from .graph import CONST, OP
from .render import DEFAULT_PRECISION, number
from .wires import Wire, leaving, name as wire_name, short_name

if TYPE_CHECKING:
    from rich.console import Group
    from .engine import Result

PATH_LIMIT = 64


@dataclass
class Step:
    """One line of the backward pass: `target (+)= rule * upstream`.

    kind: "seed" (the output's gradient, 1), "gate" (a comment naming the gate
    being backpropped), "local" (one local gradient times the upstream one) or
    "sum" (a node that forks: its gradient is the sum of its wires' shares).
    A local step carries its wire; a sum step its parts, (share, wire name)."""
    kind: str
    text: str
    node: int
    value: float = 0.0
    add: bool = False
    total: float = 0.0
    parts: list[tuple[float, str]] = field(default_factory=list)
    wire: Wire | None = None


class Explainer:
    """Names and numbers of one evaluated output, shared by both explanations."""

    def __init__(self, result: "Result", precision: int = DEFAULT_PRECISION):
        self.r = result
        self.g = result.graph
        self.precision = precision
        self.code = generate(self.g, result.output, frozenset())

    def num(self, x: float) -> str:
        text = number(x, self.precision)
        return "(%s)" % text if text.startswith("-") else text

    def sym(self, i: int) -> str:
        """A node in a rule: its name, or a constant exactly as a number."""
        if self.g.kind[i] != CONST:
            return self.code.names[i]
        text = repr(float(self.g.value[i]))  # type: ignore[arg-type]
        text = text[:-2] if text.endswith(".0") else text
        return "(%s)" % text if text.startswith("-") else text

    def forward(self) -> list[str]:
        """`t1 = a * x = -1`: what each name used below holds."""
        g, values = self.g, self.r.values
        lines = []
        for line in self.code.forward:
            i = line.node
            text = "%s = %s" % (gate_text(self.code, i), number(values[i], self.precision))
            if not g.name[i]:  # a temporary: say which part of the program it is
                text += "   (%s)" % g.label(i)
            lines.append(text)
        return lines

    def rule(self, i: int, k: int) -> tuple[str, str]:
        """The local derivative of gate i in its k-th argument, as text with
        names and as text with numbers."""
        g, values = self.g, self.r.values
        op = g.op[i]
        assert op is not None
        args = g.args[i]
        template = op.rule_templates(len(args))[k]
        names = template.format(*[self.sym(a) for a in args], out=self.code.names[i])
        nums = template.format(*[self.num(values[a]) for a in args], out=self.num(values[i]))
        return _wrap(names), _wrap(nums)

    def local(self, i: int, k: int) -> float:
        g, values = self.g, self.r.values
        xs = [values[a] for a in g.args[i]]
        return g.functions()[i][1][k](values[i], *xs)

    def kink(self, i: int) -> str:
        g, values = self.g, self.r.values
        fn = g.functions()[i][2]
        if fn is None or not fn(values[i], *[values[a] for a in g.args[i]]):
            return ""
        return "at a kink: gradcli's convention is %s" % g.op[i].convention  # type: ignore[union-attr]


def _wrap(text: str) -> str:
    """Parenthesise a rule before `* dq` unless it is a plain product."""
    if any(_top_level(text, w) >= 0 for w in (" + ", " - ", " / ", " if ")):
        return "(%s)" % text
    return text


# A sum line lists every wire's share; x+x+...+x has 100,000 of them, so past
# SUM_TERMS the line gives the first and the last SUM_TERMS // 2, and a count.
SUM_TERMS = 100


def _ends(items: list) -> list:
    if len(items) <= SUM_TERMS:
        return items
    return items[:SUM_TERMS // 2] + items[-(SUM_TERMS // 2):]


def _terms(texts: list[str], count: int) -> str:
    """texts joined by " + ", or (from _ends) the ends of `count` terms with the middle counted."""
    if count <= SUM_TERMS:
        return " + ".join(texts)
    half = SUM_TERMS // 2
    return "%s + ... %d more ... + %s" % (" + ".join(texts[:half]), count - SUM_TERMS, " + ".join(texts[half:]))


def backward_steps(result: "Result", precision: int = DEFAULT_PRECISION) -> list[Step]:
    """The backward pass of one output, in reverse order, as the tutorials write it."""
    ex = Explainer(result, precision)
    g, grads, code = ex.g, result.grads, ex.code
    out = result.output
    gname = code.grad_names
    steps: list[Step] = []
    if out not in gname:
        return steps
    steps.append(Step("seed", "%s = 1" % gname[out], out, 1.0, total=1.0))
    # The wires leaving each node, so a fork can name them and be summed up
    # once its gradient is complete.
    wires = leaving(result)
    share = {(w.node, w.arg): w for ws in wires for w in ws}
    parts: dict[int, list[tuple[float, str]]] = {}
    total: dict[int, float] = {}
    for i in range(out, -1, -1):
        gi = grads[i]
        if gi is None or not g.needs[i]:
            continue
        if len(wires[i]) > 1:
            shown = _terms(["%s (%s)" % (ex.num(v), label) for v, label in _ends(parts[i])], len(parts[i]))
            steps.append(Step("sum", "%s = %s = %s" % (gname[i], shown, number(gi, precision)),
                              i, gi, total=gi, parts=parts[i]))
        if g.kind[i] != OP:
            continue
        kink = ex.kink(i)
        steps.append(Step("gate", "backprop %s%s" % (gate_text(code, i), "  (%s)" % kink if kink else ""), i))
        for k, a in enumerate(g.args[i]):
            w = share.get((i, k))
            if w is None:  # a constant, or a node that depends on no input
                continue
            d = w.share
            add = a in total
            total[a] = total[a] + d if add else d
            parts.setdefault(a, []).append((d, short_name(g, w)))
            names, nums = ex.rule(i, k)
            text = "%s %s= %s * %s = %s * %s = %s" % (
                gname[a], "+" if add else "", names, gname[i], nums, ex.num(gi), number(d, precision))
            notes = [wire_name(g, w)] if len(wires[a]) > 1 else []
            if add:
                notes.append("%s is %s so far" % (gname[a], number(total[a], precision)))
            if notes:
                text += "   (%s)" % "; ".join(notes)
            steps.append(Step("local", text, a, d, add, total[a], wire=w))
    return steps


@dataclass
class Path:
    nodes: list[int]      # from the input up to the output
    factors: list[float]  # the local derivative along each wire, in the same order
    product: float


@dataclass
class InputPaths:
    name: str
    count: int            # how many paths lead from the input to the output
    paths: list[Path]     # all of them, or none when there are more than the limit
    gradient: float
    wires: list[Wire] = field(default_factory=list)  # the wires leaving the input, each the sum of its paths
    unlisted: bool = False  # few enough paths to list, but the walk's budget (PATH_WORK) was spent


# Listing the paths of a long chain costs the square of its length (4,000
# inputs, 8,000 nodes: 16 million steps along paths), so the walk stops after
# PATH_WORK steps in all and counts the inputs it could not list; a path of
# more than PATH_SHOWN nodes is shown by its ends.
PATH_WORK = 2_000_000
PATH_SHOWN = 20


def input_paths(result: "Result", limit: int = PATH_LIMIT, work: int = PATH_WORK) -> list[InputPaths]:
    """Each input's gradient as the sum over all paths to the output of the
    product of the local derivatives along the path. Paths are counted first,
    for every node at once in one sweep back from the output, and listed only
    when there are at most `limit`, walking forward from the input along the
    wires that lead to the output, `work` steps in all."""
    g, out = result.graph, result.output
    ex = Explainer(result)
    wires = leaving(result)
    down = [0] * (out + 1)  # down[i]: how many paths lead from node i to the output
    down[out] = 1
    for i in range(out, -1, -1):
        if down[i] and g.kind[i] == OP and g.live[i]:
            for a in g.args[i]:
                down[a] += down[i]
    ahead = [[w for w in ws if w.node <= out and down[w.node]] for ws in wires[:out + 1]]
    report = []
    for name, x in g.inputs.items():
        n = down[x] if x <= out else 0
        listed: list[Path] = []
        unlisted = False
        if 0 < n <= limit:
            if x == out:
                listed = [Path([x], [], 1.0)]
            elif work > 0:
                found, spent = _walk(x, out, ahead, ex, work)
                work -= spent
                if found is None:
                    unlisted = True
                else:
                    listed = found
            else:
                unlisted = True
        report.append(InputPaths(name, n, listed, result.grads[x] or 0.0, wires[x], unlisted))
    return report


def _walk(x: int, out: int, ahead: list[list[Wire]], ex: Explainer, work: int) -> tuple[list[Path] | None, int]:
    """Every path from x to the output, depth first with one shared path (so a
    step costs the same however long the path), in the order of a walk back
    from the output that takes each gate's arguments first to last; None when
    it would take more than `work` steps. Returns (paths, steps taken)."""
    found: list[tuple[tuple[int, ...], Path]] = []
    # The path so far, shared by the whole walk: its nodes, local derivatives,
    # running products and the argument position of each wire.
    nodes, products = [x], [1.0]
    factors: list[float] = []
    args: list[int] = []
    stack = [iter(ahead[x])]
    spent = 0
    while stack:
        w = next(stack[-1], None)
        if w is None:
            stack.pop()
            if stack:
                del nodes[-1], factors[-1], products[-1], args[-1]
            continue
        spent += 1
        if spent > work:
            return None, spent
        f = ex.local(w.node, w.arg)
        if w.node == out:
            found.append((tuple(reversed(args + [w.arg])), Path(nodes + [out], factors + [f], products[-1] * f)))
            continue
        nodes.append(w.node)
        factors.append(f)
        products.append(products[-1] * f)
        args.append(w.arg)
        stack.append(iter(ahead[w.node]))
    found.sort(key=lambda item: item[0])
    return [p for _, p in found], spent


def _ends_of(texts: list[str], shown: int = PATH_SHOWN) -> list[str]:
    """A long path's nodes (or factors): its first and last shown // 2, the middle counted."""
    if len(texts) <= shown:
        return texts
    half = shown // 2
    return texts[:half] + ["... %d more ..." % (len(texts) - shown)] + texts[-half:]


# --- Rendering ---------------------------------------------------------------

def explanation(result: "Result", precision: int = DEFAULT_PRECISION) -> "Group":
    """The forward pass with the names used, then the backward pass line by line."""
    from rich.console import Group
    from rich.text import Text

    ex = Explainer(result, precision)
    parts = [Text.assemble(("forward pass", "bold"), " (the names the backward pass uses)")]
    parts += [Text("  " + line) for line in ex.forward()] or [Text("  (no operations)")]
    parts.append(Text.assemble(("backward pass", "bold"), ", in reverse order (d<name> is the gradient "
                               "of the output with respect to <name>)"))
    styles = {"gate": "dim", "sum": "bold yellow", "seed": "bold", "local": ""}
    for step in backward_steps(result, precision):
        prefix = "  # " if step.kind == "gate" else "  "
        parts.append(Text(prefix + step.text, style=styles[step.kind]))
    return Group(*parts)


def path_listing(result: "Result", precision: int = DEFAULT_PRECISION, limit: int = PATH_LIMIT,
                 forward: bool = True) -> "Group":
    """Each input's gradient as a sum over paths, or the number of paths when
    there are too many to list."""
    from rich.console import Group
    from rich.text import Text

    ex = Explainer(result, precision)
    parts = []
    if forward:
        parts.append(Text.assemble(("forward pass", "bold"), " (the names the paths use)"))
        parts += [Text("  " + line) for line in ex.forward()]
    parts.append(Text.assemble(("paths", "bold"), ": d %s / d input = the sum over every path from the input "
                               "to the output of the product of the local derivatives along it" % result.label))
    unlisted = 0
    for item in input_paths(result, limit):
        grad = number(item.gradient, precision)
        if item.unlisted:
            unlisted += 1
            continue
        if item.count == 0:
            parts.append(Text("  %s: no path to the output, so its gradient is 0" % item.name))
            continue
        if not item.paths:
            parts.append(Text("  %s: %d paths, too many to list (the limit is %d); their sum is %s"
                              % (item.name, item.count, limit, grad), style="yellow"))
            continue
        parts.append(Text("  %s: %d path%s" % (item.name, item.count, "" if item.count == 1 else "s"),
                          style="bold cyan"))
        for p in item.paths:
            route = " -> ".join(_ends_of([ex.code.names[i] for i in p.nodes]))
            factors = " * ".join(_ends_of([ex.num(f) for f in p.factors])) or "1"
            parts.append(Text("    %s:  %s = %s" % (route, factors, number(p.product, precision))))
        if item.count > 1:
            parts.append(Text("    d%s = %s = %s" % (item.name, " + ".join(ex.num(p.product) for p in item.paths),
                                                     grad), style="bold"))
        else:
            parts.append(Text("    d%s = %s" % (item.name, grad), style="bold"))
        if len(item.wires) > 1:  # a fork at the input: its paths grouped by the wire they start on
            shares = _terms(["%s (%s)" % (ex.num(w.share), short_name(ex.g, w)) for w in _ends(item.wires)],
                            len(item.wires))
            parts.append(Text("    by wire: d%s = %s = %s" % (item.name, shares, grad), style="bold"))
    if unlisted:
        parts.append(Text("  ... the paths of %d more input%s are not listed: --paths takes at most %s steps along "
                          "paths (the table and --json give every gradient)"
                          % (unlisted, "" if unlisted == 1 else "s", format(PATH_WORK, ",")), style="yellow"))
    return Group(*parts)
