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

from .circuit import passive
from .render import number

if TYPE_CHECKING:
    from rich.console import Group

    from .circuit import BackwardCall, Circuit, Obj
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
        v = u
        while v.expr is not None and v.expr[0] == "unit":  # t = x: the same node as x
            v = v.expr[1]
        i = node_of(result.graph, v.name or "")
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
    skip = passive(c)
    differ = []
    for u in c.units:
        readers = ", ".join(c.gate_name(g) for g in u.read_by) or "-"
        t.add_row(c.unit_name(u), made_by(c, u), readers, number(u.x0, precision), number(u.grad, precision))
        want = truth.get(u.name or "", 0.0)
        if abs(u.grad - want) > 1e-9 * max(1.0, abs(want)) and u.id not in skip:
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


def _where_from(c: "Circuit", u: "Obj") -> str:
    """What a Unit is, in object terms: the gate field that holds it."""
    if u.made_by is not None:
        return "%s.%s" % (c.gate_name(u.made_by), u.made_field or "utop")
    return c.unit_name(u)


def explanation(result: "Result", precision: int = 4) -> "Group":
    """The backward pass as the program runs it, one line per backward call
    (and per write into a grad at top level), with its numbers, in call order:
    what each call reads from its own output Unit and writes into its input
    Units, and which gate's backward reads that next, since it is the same object."""
    from rich.console import Group
    from rich.text import Text
    c: Circuit = result.graph.circuit
    me = "this" if c.language == "js" else "self"
    n = lambda x: number(x, precision)  # noqa: E731
    lines: list[str] = []
    writer: dict[int, str] = {}  # Unit id -> the call that last wrote its grad
    for ev in c.events:
        if not hasattr(ev, "gate"):
            u = ev.unit
            what = "the output" if u is c.output else "a Unit"
            made = ("%s, the Unit %s.forward returned" % (_where_from(c, u), c.gate_name(u.made_by))
                    if u.made_by is not None else "an input")
            lines.append("line %d: %s %s %s: %s.grad is %s; %s is %s%s" % (
                c.line(ev.span), c.text(ev.span).rstrip(";"), "sets" if not ev.aug else "adds to", what,
                c.unit_name(u), n(ev.after), c.unit_name(u), made,
                " (d %s / d %s = 1 starts the chain)" % (c.unit_name(u), c.unit_name(u)) if u is c.output else ""))
            writer[u.id] = "line %d" % c.line(ev.span)
            continue
        b: BackwardCall = ev
        gate = c.gate_name(b.gate)
        call = "%s.backward()" % gate
        f = b.forward
        if f is None or f.out is None:
            lines.append("line %d: %s: %s.forward was never called, so it has nothing to write" % (
                c.line(b.span), call, gate))
            continue
        top = f.out
        top_field = f.field_of(top) or "utop"
        src = writer.get(top.id)
        read = "reads %s.%s.grad = %s (%s%s)" % (me, top_field, n(b.top_grad), c.unit_name(top),
                                                 ", written by %s" % src if src else ", which nothing has written")
        parts = []
        for w in b.writes:
            u = w.unit
            field_ = f.field_of(u) or "?"
            op = "+=" if w.aug == "+" else "-=" if w.aug == "-" else "="
            text = "%s.%s.grad %s %s" % (gate, field_, op, n(w.amount))
            if w.aug and w.before != 0.0:
                share = w.amount if w.aug == "+" else -w.amount
                text += " (%s %s %s = %s: %s feeds %d gates, and each adds its share)" % (
                    n(w.before), "-" if share < 0 else "+", n(abs(share)), n(w.after), c.unit_name(u),
                    len(u.read_by))
            else:
                text += " -> %s" % n(w.after)
            if u.made_by is not None:
                text += ("; %s.%s is the Unit %s.forward returned (%s.%s, named %s): one object, so when "
                         "%s.backward() reads %s.%s.grad it reads what %s wrote"
                         % (gate, field_, c.gate_name(u.made_by), c.gate_name(u.made_by), u.made_field or "utop",
                            c.unit_name(u), c.gate_name(u.made_by), me, u.made_field or "utop", gate))
            else:
                text += "; %s.%s is %s, an input: its grad is d %s / d %s" % (gate, field_, c.unit_name(u),
                                                                             c.unit_name(c.output), c.unit_name(u))
            parts.append(text)
            writer[u.id] = call
        if not parts:
            parts.append("writes no grad")
        lines.append("line %d: %s %s; %s" % (c.line(b.span), call, read, "; ".join(parts)))
    title = Text("the backward pass in object terms: each backward() reads its gate's %s.utop.grad and adds into "
                 "the grad of the Units its forward was given, in the order the program calls them" % me,
                 style="bold")
    body = [Text("  " + line) for line in lines] or [Text("  the program calls no backward method")]
    return Group(title, *body)
