"""Code with Unit and gate objects, shown in its own terms: the circuit's
Units (which gate object made each, which gates read it) and the step at
the end, under the table; the backward calls one by one (--explain); and
every gate's backward method checked (--verify, in gatecheck.py).

The numbers come from two places, and the point is that they agree: the
program's own, as circuit.py's walk computes them line by line, and
gradcli's, from its graph of the forward pass.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .render import number

if TYPE_CHECKING:
    from rich.console import Group

    from .circuit import Circuit, Obj
    from .engine import Result
    from .graph import Graph


def node_of(g: "Graph", name: str) -> int | None:
    """The graph's node for a Unit's name."""
    if name in g.inputs:
        return g.inputs[name]
    for i in range(len(g.name) - 1, -1, -1):
        if g.name[i] == name:
            return i
    return None


def true_grads(result: "Result") -> dict[str, float]:
    """gradcli's gradient of the output in each Unit of the forward pass."""
    c: Circuit = result.graph.circuit
    out = {}
    for u in c.units:
        i = node_of(result.graph, u.name or "")
        out[u.name or ""] = (result.grads[i] or 0.0) if i is not None else 0.0
    return out


def made_by(c: "Circuit", u: "Obj") -> str:
    if u.made_by is not None:
        return "%s.forward (%s)" % (c.gate_name(u.made_by), u.made_by.class_name)
    return "new %s, line %d" % (u.class_name, c.line(u.span))


def gradcli_step(result: "Result", size: float) -> float | None:
    """The output after one step of `size` along gradcli's own gradients."""
    from .engine import evaluate
    from .errors import GradcliError
    from .graph import Builder
    c: Circuit = result.graph.circuit
    g = result.graph
    moved = {n: (g.value[i] or 0.0) + size * (result.grads[i] or 0.0) for n, i in g.inputs.items()}
    try:
        again = evaluate(Builder(g.source, moved).program(c.program))
    except GradcliError:
        return None
    return again[0].value


def step_sentence(result: "Result", precision: int) -> str | None:
    c: Circuit = result.graph.circuit
    if not c.steps:
        return None
    lines = sorted({c.line(s.span) for s in c.steps})
    where = "line %d" % lines[0] if len(lines) == 1 else "lines %d-%d" % (lines[0], lines[-1])
    out = c.unit_name(c.output)
    if c.step_size is None:
        return ("%s change%s the inputs' values after the backward pass, but not all as "
                "u.value += step_size * u.grad with one step size, so gradcli reads no step of gradient ascent there"
                % (where, "s" if len(lines) == 1 else ""))
    stepped = {s.unit.name for s in c.steps}
    left = [u.name for u in c.inputs if u.name not in stepped]
    text = "%s: one step of gradient ascent, step size %s" % (where, number(c.step_size, 6))
    if left:
        text += " (%s held fixed)" % ", ".join(n or "?" for n in left)
    if c.after_step is not None:
        text += "; the forward pass again gives %s = %s (was %s)" % (
            out, number(c.after_step, precision + 1), number(c.output.x0, precision + 1))
        mine = gradcli_step(result, c.step_size) if not left else None
        if mine is not None:
            same = abs(mine - c.after_step) <= 1e-9 * max(1.0, abs(mine))
            text += ("; gradcli's --step %s gives the same" % number(c.step_size, 6) if same else
                     "; with gradcli's gradients the step would give %s" % number(mine, precision))
    else:
        text += "; the program does not run the forward pass again after it"
    return text


def circuit_view(result: "Result", precision: int = 4) -> "Group":
    """The Units of the circuit, each with the gate object that made it, the
    gates that read it, its value and the gradient the program's own
    backward pass left in it; then the step."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    c: Circuit = result.graph.circuit
    t = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for title, right in (("Unit", False), ("made by", False), ("read by", False), ("value", True),
                         ("grad", True)):
        t.add_column(title, justify="right" if right else "left", no_wrap=True)
    truth = true_grads(result)
    differ = []
    for u in c.units:
        readers = ", ".join(c.gate_name(g) for g in u.read_by) or "-"
        t.add_row(c.unit_name(u), made_by(c, u), readers, number(u.x0, precision), number(u.grad, precision))
        want = truth.get(u.name or "", 0.0)
        if abs(u.grad - want) > 1e-9 * max(1.0, abs(want)):
            differ.append(c.unit_name(u))
    parts: list = [Text("the circuit's Units (grad: what the program's backward calls leave in u.grad)",
                        style="bold"), t]
    if not c.backwards:
        parts.append(Text("note: the program calls no gate's backward, so every grad stays as made", style="yellow"))
    elif differ:
        parts.append(Text("note: the program's backward pass leaves different gradients in %s; "
                          "--verify finds the line" % ", ".join(differ), style="yellow"))
    sentence = step_sentence(result, precision)
    if sentence:
        parts.append(Text(sentence))
    return Group(*parts)
