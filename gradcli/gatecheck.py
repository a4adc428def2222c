"""--verify for code with Unit and gate objects: every gate's backward
method checked as the hand-written backward pass of its forward.

Each backward call the program makes is checked on its own: what it adds
into each of its input Units' grad must be the local derivative of its
forward (computed by gradcli's engine from the forward's own arithmetic)
times the gradient it reads from its output Unit. Apart from the methods,
the bugs of the circuit around them: the chain not started (s.grad = 1.0
forgotten), the backward calls out of order, a gate object used for two
gates, and `=` where `+=` is needed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from . import ast as gast
from .errors import GradcliError, Source
from .flat import from_ast
from .render import _j, number

if TYPE_CHECKING:
    from rich.console import Group

    from .circuit import BackwardCall, Circuit, ForwardCall, Obj


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


@dataclass
class Row:
    """One gate's backward call and one Unit it writes (or should write)."""
    call: str           # sg0.backward()
    call_line: int
    cls: str            # sigmoidGate
    line: int           # the line of the write in the class (or of the method)
    target: str         # this.u0.grad
    unit: str           # the Unit's name
    gives: float | None
    should: float | None
    status: str         # ok, fragile, wrong, overwrite, missing, stray
    message: str


@dataclass
class Problem:
    kind: str           # reused, seed, order, no-forward
    line: int
    message: str


@dataclass
class GateReport:
    output: str
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    gradients: list[tuple[str, float, float, bool]] = field(default_factory=list)  # unit, program, true, ok

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.status in ("ok", "fragile") for r in self.rows) and \
            all(ok for *_, ok in self.gradients)


def check_gates(source: Source, bindings: Mapping[str, float]) -> GateReport:
    from .engine import evaluate
    from .frontend import build
    g = build(source, dict(bindings))
    result = evaluate(g)[0]
    c: Circuit = g.circuit
    from .gateview import true_grads
    truth = true_grads(result)
    report = GateReport(c.unit_name(c.output))
    me = "this" if c.language == "js" else "self"

    for gate, calls in c.reused:
        first, second = calls[0], calls[1]
        lost = [c.unit_name(u) for u in first.args if all(u not in k.args for k in calls[1:])]
        report.problems.append(Problem("reused", c.line(second.span), (
            "%s.forward is called %d times in the forward pass (lines %s): each call replaces %s.%s, so "
            "%s.backward() can only backpropagate its last gate, %s%s; make one gate object per gate, "
            "as the tutorial makes mulg0 and mulg1" % (
                c.gate_name(gate), len(calls), ", ".join(str(c.line(k.span)) for k in calls), me,
                ", %s.".join(sorted(k for k, v in gate.fields.items() if _is_unit(v))).replace("%s", me),
                c.gate_name(gate), c.text(calls[-1].span),
                "; %s get%s no gradient from it" % (", ".join(lost), "s" if len(lost) == 1 else "") if lost else ""))))

    seeded = False
    done: list[Obj] = []
    for ev in c.events:
        if not hasattr(ev, "gate"):  # a top-level write into a grad (s.grad = 1.0)
            if ev.unit is c.output:
                seeded = True
            continue
        b: BackwardCall = ev
        call = "%s.backward()" % c.gate_name(b.gate)
        f = b.forward
        if f is None or f.out is None:
            report.problems.append(Problem("no-forward", c.line(b.span), "%s runs, but %s.forward was never "
                                           "called in the forward pass, so it has no Units to write into"
                                           % (call, c.gate_name(b.gate))))
            done.append(b.gate)
            continue
        top = f.out
        top_field = "%s.%s.grad" % (c.gate_name(b.gate), f.field_of(top) or "utop")
        if top is c.output and not seeded:
            report.problems.append(Problem("seed", c.line(b.span), (
                "%s reads %s (%s.grad) = %s: the program never sets %s.grad = 1.0 before it, so the "
                "chain starts from 0 and every gradient comes out 0; set %s.grad = 1.0 first (the output's "
                "gradient with respect to itself)" % (call, top_field, c.unit_name(top),
                                                      number(b.top_grad), c.unit_name(top), c.unit_name(top)))))
        elif top is not c.output:
            for reader in top.read_by:
                if reader in done:
                    continue
                later = next((k for k in c.backwards if k.gate is reader and k is not b
                              and c.backwards.index(k) > c.backwards.index(b)), None)
                if later is not None:
                    report.problems.append(Problem("order", c.line(b.span), (
                        "%s reads %s (%s.grad) = %s before %s.backward() (line %d), which writes it, has run: "
                        "call the backward methods in the reverse order of the forward calls"
                        % (call, top_field, c.unit_name(top), number(b.top_grad), c.gate_name(reader),
                           c.line(later.span)))))
                else:
                    report.problems.append(Problem("order", c.line(b.span), (
                        "%s reads %s (%s.grad) = %s, but %s.backward(), which writes it, is never called: "
                        "call every gate's backward, in the reverse order of the forward calls"
                        % (call, top_field, c.unit_name(top), number(b.top_grad), c.gate_name(reader)))))
        report.rows.extend(_check_call(c, b, f, truth, me))
        done.append(b.gate)

    if not c.backwards and any(truth.get(u.name or "", 0.0) != 0.0 for u in c.inputs if u is not c.output):
        o = c.output
        report.problems.append(Problem("no-backward", c.line(o.name_span or o.span), (
            "the program calls no gate's backward method, so no Unit gets a gradient: set %s.grad = 1.0, then "
            "call each gate's backward, in the reverse order of the forward calls" % c.unit_name(o))))
    from .circuit import passive
    skip = passive(c)
    for u in c.units:
        if u.id in skip:  # no gradient of its own in the graph
            continue
        want = truth.get(u.name or "", 0.0)
        report.gradients.append((c.unit_name(u), u.grad, want, close(u.grad, want)))
    return report


def _is_unit(v: Any) -> bool:
    return hasattr(v, "is_unit") and v.is_unit


def local_partials(c: "Circuit", f: "ForwardCall") -> dict[int, float] | None:
    """d (the forward's output) / d (each Unit it read), by Unit id, from
    gradcli's engine on the forward's own arithmetic; None if it cannot be computed."""
    from .circuit import _to_ast
    from .engine import evaluate
    from .graph import Builder
    assert f.out is not None
    refs: dict[int, Obj] = {}
    stack = [f.out.expr]
    while stack:
        s = stack.pop()
        if s[0] == "unit":
            refs[s[1].id] = s[1]
        elif s[0] == "op":
            stack.extend(s[2])
    expr = _to_ast(f.out.expr, f.out, c.source)
    stmts: list[gast.Stmt] = [gast.Output(expr, expr.span)]
    try:  # the Units it read are inputs, at their values
        r = evaluate(Builder(c.source, {u.name or "?": u.x0 for u in refs.values()}).program(from_ast(stmts)))[0]
    except GradcliError:
        return None
    grads = r.gradients
    return {i: grads.get(u.name or "?", 0.0) for i, u in refs.items()}


def _check_call(c: "Circuit", b: "BackwardCall", f: "ForwardCall", truth: dict, me: str) -> list[Row]:
    partials = local_partials(c, f)
    call = "%s.backward()" % c.gate_name(b.gate)
    cls = b.gate.class_name
    rows: list[Row] = []
    assert f.out is not None
    forward_text = c.text(f.out.expr[3]) if f.out.expr[0] == "op" else c.text(f.out.span)
    G = b.top_grad
    by_unit: dict[int, list] = {}
    for w in b.writes:
        by_unit.setdefault(w.unit.id, []).append(w)
    for uid, writes in by_unit.items():
        u = writes[0].unit
        name = c.unit_name(u)
        where = "%s (%s.%s)" % (name, c.gate_name(b.gate), f.field_of(u) or "?")
        line = c.line(writes[0].span)
        target = " ; ".join(c.text(w.span).rstrip(";") for w in writes)
        claimed = sum(-w.amount if w.aug == "-" else w.amount for w in writes)
        if partials is None:
            rows.append(Row(call, c.line(b.span), cls, line, target, name, claimed, None, "ok",
                            "not checked: the forward's derivative cannot be computed here"))
            continue
        if uid not in partials:
            what = "its own output Unit" if u is f.out else "a Unit its forward does not read"
            rows.append(Row(call, c.line(b.span), cls, line, target, name, claimed, 0.0, "stray",
                            "%s.backward, line %d: writes into %s, %s" % (cls, line, name, what)))
            continue
        d = partials[uid]
        want = d * G
        field_ = f.field_of(u) or "u"
        if not close(claimed, want):
            rows.append(Row(call, c.line(b.span), cls, line, target, name, claimed, want, "wrong", (
                "%s.backward, line %d: %s adds %s to %s; it should add d(%s)/d(%s.%s.value) * %s.%s.grad = "
                "%s * %s = %s" % (cls, line, target, number(claimed), where, forward_text, me, field_, me,
                                  f.field_of(f.out) or "utop", number(d), number(G), number(want)))))
            continue
        assigned = [w for w in writes if w.aug == ""]
        if assigned and any(w.before != 0.0 for w in assigned):
            w = next(w for w in assigned if w.before != 0.0)
            others = [c.gate_name(g) for g in u.read_by if g is not b.gate]
            rows.append(Row(call, c.line(b.span), cls, c.line(w.span), target, name, claimed, want, "overwrite", (
                "%s.backward, line %d: %s replaces the %s already in %s.grad (from %s) instead of adding to it: "
                "%s feeds %d gates, so its gradient is the sum of their shares; write +="
                % (cls, c.line(w.span), c.text(w.span).rstrip(";"), number(w.before), name, ", ".join(others) or "earlier writes",
                   name, len(u.read_by)))))
        elif assigned:
            fork = len(u.read_by) > 1
            rows.append(Row(call, c.line(b.span), cls, c.line(assigned[0].span), target, name, claimed, want,
                            "fragile", (
                "%s.backward, line %d: = instead of +=; right here because %s" % (
                    cls, c.line(assigned[0].span),
                    "%s's first share arrives through it" % name if fork else
                    "%s feeds one gate only, but wrong as soon as a Unit feeds two gates (a fork), whose shares "
                    "must add up: write +=" % name))))
        else:
            rows.append(Row(call, c.line(b.span), cls, line, target, name, claimed, want, "ok", "ok"))
    if partials is not None:
        for uid, d in partials.items():
            if uid in by_unit:
                continue
            u = next(a for a in f.args + [f.out] if a.id == uid) if any(a.id == uid for a in f.args) else None
            if u is None or close(d * G, 0.0) and close(d, 0.0):
                continue
            line = c.line(b.method.span)
            field_ = f.field_of(u) or "u"
            rows.append(Row(call, c.line(b.span), cls, line, "-", c.unit_name(u), None, d * G, "missing", (
                "%s.backward (line %d) never writes %s.%s.grad: %s should get %s * %s = %s"
                % (cls, line, me, field_, c.unit_name(u), number(d), number(G), number(d * G)))))
    return rows


_STYLE = {"ok": "green", "fragile": "yellow", "wrong": "bold red", "overwrite": "bold red", "missing": "bold red",
          "stray": "bold red"}


def gate_view(report: GateReport, precision: int = 4) -> "Group":
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    calls = len({(r.call, r.call_line) for r in report.rows})
    t = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for col, right in (("line", True), ("call", False), ("class", False), ("into", False), ("adds", True),
                       ("should add", True), ("verdict", False)):
        t.add_column(col, justify="right" if right else "left")
    for r in report.rows:
        t.add_row(str(r.call_line), r.call, "%s:%d" % (r.cls, r.line), r.unit, number(r.gives, precision),
                  number(r.should, precision), Text("ok" if r.status == "ok" else r.status, style=_STYLE[r.status]))
    grads = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for col, right in (("Unit", False), ("program's grad", True), ("true", True), ("verdict", False)):
        grads.add_column(col, justify="right" if right else "left")
    for name, mine, true, ok in report.gradients:
        grads.add_row(name, number(mine, precision), number(true, precision),
                      Text("right" if ok else "WRONG", style="green" if ok else "bold red"))
    parts: list = [Text.assemble(("verify", "bold"), ": the backward methods of the gates of ",
                                 (report.output, "bold green"), ", call by call (%d backward call%s)"
                                 % (calls, "" if calls == 1 else "s")), t]
    for r in report.rows:
        if r.status != "ok":
            parts.append(Text(("warning: " if r.status == "fragile" else "wrong: ") + r.message,
                              style=_STYLE[r.status]))
    for p in report.problems:
        parts.append(Text("wrong: line %d: %s" % (p.line, p.message), style="bold red"))
    parts += [Text(""), grads]
    if report.ok:
        parts.append(Text("every gate's backward method is right, and so is every gradient", style="bold green"))
    else:
        first = sorted([r.line for r in report.rows if r.status not in ("ok", "fragile")] +
                       [p.line for p in report.problems])
        parts.append(Text("the backward pass is wrong" + (": the first line that goes wrong is line %d" % first[0]
                                                           if first else ""), style="bold red"))
    return Group(*parts)


def to_json(report: GateReport) -> dict:
    return {
        "verify": report.output, "ok": report.ok,
        "calls": [{"line": r.call_line, "call": r.call, "class": r.cls, "class_line": r.line, "target": r.target,
                   "unit": r.unit, "adds": _j(r.gives), "should_add": _j(r.should), "status": r.status,
                   "message": r.message} for r in report.rows],
        "problems": [{"kind": p.kind, "line": p.line, "message": p.message} for p in report.problems],
        "gradients": {n: {"program": _j(mine), "true": _j(true), "ok": ok} for n, mine, true, ok in report.gradients},
    }
