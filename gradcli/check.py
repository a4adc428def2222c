"""--check: the analytic gradients against central differences, as CS231n
teaches the gradient check:

    numerical = (f(x + h) - f(x - h)) / (2h)
    relative error = |analytic - numerical| / max(|analytic|, |numerical|)

At a kink (relu(0), abs(0), a max tie) the two one-sided slopes differ, so no
difference quotient can agree with any single derivative; the check shows
both next to the convention gradcli uses instead of calling it an error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .engine import forward
from .errors import MathError, Phrase, Words, fill, say
from .render import DEFAULT_PRECISION, _j, number

if TYPE_CHECKING:
    from rich.console import Group
    from .engine import Result
    from .graph import Graph

DEFAULT_H = 1e-5
# Each input checked costs two forward passes of the whole graph, so checking
# every input of a big graph is quadratic. By default the first CHECK_LIMIT
# inputs are checked, fewer on a big graph (no more than CHECK_WORK node
# evaluations, but at least CHECK_LEAST inputs), and the report counts the
# rest; limit=None and work=None check every input.
CHECK_LIMIT = 100
CHECK_WORK = 4_000_000
CHECK_LEAST = 10
# CS231n's reading of the relative error.
GOOD, ACCEPTABLE, SUSPICIOUS = 1e-7, 1e-4, 1e-2


@dataclass
class InputCheck:
    name: str
    value: float
    analytic: float
    numerical: float | None      # None when f is undefined on both sides
    relative_error: float | None
    verdict: str                 # good, acceptable, suspicious, wrong, kink, unreliable, undefined
    left: float | None = None    # (f(x) - f(x - h)) / h
    right: float | None = None   # (f(x + h) - f(x)) / h
    method: str = "central"      # or "forward"/"backward" when one side is outside the domain
    kink: str = ""               # the kink, and gradcli's convention there


@dataclass
class CheckReport:
    output: str
    value: float
    h: float
    inputs: list[InputCheck] = field(default_factory=list)
    unchecked: int = 0           # inputs left out by the limit

    @property
    def ok(self) -> bool:
        return all(c.verdict not in ("wrong",) for c in self.inputs)


def relative_error(a: float, n: float) -> float:
    scale = max(abs(a), abs(n))
    return 0.0 if scale == 0 else abs(a - n) / scale


def verdict(rel: float) -> str:
    if rel <= GOOD:
        return "good"
    if rel <= ACCEPTABLE:
        return "acceptable"
    return "suspicious" if rel <= SUSPICIOUS else "wrong"


def _outputs_at(g: "Graph", x: int, v: float) -> list | None:
    """Every node's value with input x set to v, or None outside the domain."""
    old = g.value[x]
    g.value[x] = v
    try:
        return forward(g)
    except MathError:
        return None
    finally:
        g.value[x] = old


def _kinks(g: "Graph", result: "Result") -> dict[int, list[int]]:
    """input node -> the kink nodes (on the output's path) that depend on it."""
    found: list[int] = []
    forward(g, found)
    by_input: dict[int, list[int]] = {}
    for k in found:
        if result.grads[k] is None:
            continue
        reach = g.reachable([k])
        for x in g.inputs.values():
            if reach[x]:
                by_input.setdefault(x, []).append(k)
    return by_input


def _has_kink_op(g: "Graph", x: int, out: int) -> bool:
    """Does a relu/abs/max/min between x and the output bend somewhere?"""
    used = g.reachable([out])
    depends = [False] * (out + 1)  # which nodes depend on x: one sweep up, arguments come first
    depends[x] = True
    for i in range(x + 1, out + 1):
        args = g.args[i]
        if not any(depends[a] for a in args):
            continue
        depends[i] = True
        op = g.op[i]
        if used[i] and op is not None and op.kink_template(len(args)):
            return True
    return False


def check(results: list["Result"], h: float = DEFAULT_H, limit: int | None = CHECK_LIMIT,
          work: int | None = CHECK_WORK) -> list[CheckReport]:
    """A gradient check of every output against its first inputs: at most
    `limit` of them, and at most as many as cost `work` node evaluations
    (but CHECK_LEAST or more); None for either lifts that bound."""
    if not results:
        return []
    g = results[0].graph
    if g.arrays:
        return check_arrays(results, h)
    kinks = _kinks(g, results[0]) if len(results) == 1 else {}
    inputs = list(g.inputs.items())
    most = len(inputs) if limit is None else limit
    if work is not None:
        most = min(most, max(CHECK_LEAST, work // (2 * max(1, len(g)))))
    unchecked = max(0, len(inputs) - most)
    if unchecked:
        inputs = inputs[:most]
    reports = [CheckReport(r.label, r.value, h, unchecked=unchecked) for r in results]
    each = [_kinks(g, r) for r in results] if len(results) > 1 else []  # once per output, not per input
    for name, x in inputs:
        v = float(g.value[x])  # type: ignore[arg-type]
        plus, minus = _outputs_at(g, x, v + h), _outputs_at(g, x, v - h)
        for n, (r, report) in enumerate(zip(results, reports)):
            here = r.values[r.output]
            if each:
                kinks = each[n]
            analytic = r.grads[x] or 0.0
            f_plus = plus[r.output] if plus is not None else None
            f_minus = minus[r.output] if minus is not None else None
            right = (f_plus - here) / h if f_plus is not None else None
            left = (here - f_minus) / h if f_minus is not None else None
            if f_plus is not None and f_minus is not None:
                numerical, method = (f_plus - f_minus) / (2 * h), "central"
            elif right is not None or left is not None:
                numerical, method = (right, "forward") if right is not None else (left, "backward")
            else:
                report.inputs.append(InputCheck(name, v, analytic, None, None, "undefined",
                                                method="none"))
                continue
            rel = relative_error(analytic, numerical)
            item = InputCheck(name, v, analytic, numerical, rel, verdict(rel), left, right, method)
            at = kinks.get(x, [])
            if at:
                item.verdict = "kink"
                item.kink = "; ".join("%s is at a kink of %s; gradcli's convention: %s"
                                      % (g.label(k), g.op[k].name, g.op[k].convention)  # type: ignore[union-attr]
                                      for k in at)
            elif rel > ACCEPTABLE and left is not None and right is not None and _has_kink_op(g, x, r.output) \
                    and not math.isclose(left, right, rel_tol=1e-3, abs_tol=1e-9):
                item.verdict = "kink"
                item.kink = Phrase("a kink lies within h of %s = %s (the one-sided slopes differ); "
                                   "choose a smaller {h} or move away from it", name, number(v))
            elif method != "central" and rel > ACCEPTABLE:
                item.verdict = "unreliable"  # a one-sided difference is only accurate to O(h)
            report.inputs.append(item)
    return reports


ELEMENTS = 200  # elements checked per array input; a larger one is sampled (seeded: the same each run)


def check_arrays(results: list["Result"], h: float = DEFAULT_H) -> list[CheckReport]:
    """CS231n's gradient check of an array program, element by element: each
    input's row is its worst element (the largest relative error)."""
    import numpy as np

    from .tensor import forward as array_forward
    g = results[0].graph
    kinks: dict = {}
    base = array_forward(g, kinks)
    saved = list(g.value)
    for x in g.inputs.values():  # starting values drawn once, as the table shows them
        g.value[x] = base[x]
    reports = [CheckReport(r.label, float(np.sum(r.value)), h) for r in results]
    kinked = [k for k in kinks if any(r.grads[k] is not None for r in results)]
    try:
        for name, x in g.inputs.items():
            value = np.array(base[x], dtype=float)
            shape = value.shape
            positions = list(np.ndindex(shape)) if shape else [()]
            sampled = len(positions) > ELEMENTS
            if sampled:
                pick = np.random.RandomState(0).choice(len(positions), ELEMENTS, replace=False)
                positions = [positions[k] for k in sorted(pick)]
            worst: list = [None] * len(results)
            for at in positions:
                outs: list = []
                for sign in (1, -1):
                    moved = value.copy()
                    moved[at] += sign * h
                    g.value[x] = moved if shape else float(moved)
                    try:
                        outs.append(array_forward(g))
                    except MathError:
                        outs.append(None)
                g.value[x] = base[x]
                for n, r in enumerate(results):
                    d = r.grads[x]
                    analytic = float(np.asarray(0.0 if d is None else d, dtype=float)[at])
                    if outs[0] is None or outs[1] is None:
                        item = InputCheck(name, float(value[at]), analytic, None, None, "undefined", method="none")
                    else:
                        numerical = float((np.sum(outs[0][r.output]) - np.sum(outs[1][r.output])) / (2 * h))
                        rel = relative_error(analytic, numerical)
                        item = InputCheck(name, float(value[at]), analytic, numerical, rel, verdict(rel))
                    item.name = name + ("[%s]" % ", ".join(map(str, at)) if shape else "")
                    if sampled:
                        item.name += " (worst of %d sampled)" % ELEMENTS
                    elif len(positions) > 1:
                        item.name += " (worst of %d)" % len(positions)
                    old = worst[n]
                    if old is None or (item.relative_error or 0) > (old.relative_error or 0) \
                            or item.relative_error is None:
                        worst[n] = item
            for n, item in enumerate(worst):
                if item is None:
                    continue
                if kinked and item.verdict in ("suspicious", "wrong"):
                    item.verdict = "kink"
                    item.kink = "; ".join("%s has elements at a kink of %s; gradcli's convention: %s"
                                          % (g.label(k), getattr(g.op[k], "name", "?"),
                                             getattr(g.op[k], "convention", "")) for k in kinked)
                reports[n].inputs.append(item)
    finally:
        g.value[:] = saved
    return reports


# --- Rendering ---------------------------------------------------------------

_STYLE = {"good": "green", "acceptable": "green", "suspicious": "yellow", "wrong": "bold red",
          "kink": "yellow", "undefined": "yellow", "unreliable": "yellow"}


def check_table(report: CheckReport, precision: int = DEFAULT_PRECISION, words: Words | None = None) -> "Group":
    """The check as a table and notes; `words` name parameters (see errors.Phrase)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for col, just in (("input", "left"), ("value", "right"), ("analytic", "right"),
                      ("numerical", "right"), ("rel. error", "right"), ("verdict", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    notes = []
    for c in report.inputs:
        rel = "-" if c.relative_error is None else "%.2e" % c.relative_error
        t.add_row(Text(c.name, style="bold cyan"), number(c.value, precision), number(c.analytic, precision),
                  number(c.numerical, precision), rel, Text(c.verdict, style=_STYLE[c.verdict]))
        if c.kink:
            notes.append(Text("  %s: %s. One-sided slopes: left %s, right %s; the analytic gradient %s "
                              "follows the convention" % (c.name, say(c.kink, words), number(c.left, precision),
                                                          number(c.right, precision),
                                                          number(c.analytic, precision)), style="yellow"))
        if c.method in ("forward", "backward"):
            notes.append(Text("  %s: f is undefined on the %s side, so this is the one-sided %s difference"
                              % (c.name, "left" if c.method == "forward" else "right", c.method),
                              style="yellow"))
        if c.method == "none":
            notes.append(Text(fill("  %s: f is undefined at %s ± h; try another {h}", words) % (c.name, c.name),
                              style="yellow"))
    head = Text.assemble(("gradient check of ", "bold"), (report.output, "bold green"),
                         " = %s: central differences (f(x+h) - f(x-h)) / 2h with h = %g"
                         % (number(report.value, precision), report.h))
    scale = Text("relative error |a - n| / max(|a|, |n|): good <= 1e-7 < acceptable <= 1e-4 < "
                 "suspicious <= 1e-2 < wrong", style="dim")
    verdict_line = Text("every gradient agrees" if report.ok and not notes else
                        "every gradient agrees (see the notes)" if report.ok else
                        "some gradients disagree", style="bold green" if report.ok else "bold red")
    if report.unchecked:
        notes.append(Text("  ... %d more inputs not checked: each costs two passes over the whole graph, so "
                          "the check stops at the first %d (in Python, gradcli.check.check(..., limit=None, "
                          "work=None) checks every input)" % (report.unchecked, len(report.inputs)), style="dim"))
    return Group(head, t, *notes, scale, verdict_line)


def to_json(report: CheckReport, words: Words | None = None) -> dict:
    return {
        "check": report.output, "value": _j(report.value), "h": report.h, "ok": report.ok,
        "inputs": {c.name: {"value": _j(c.value), "analytic": _j(c.analytic), "numerical": _j(c.numerical),
                            "relative_error": _j(c.relative_error), "verdict": c.verdict, "method": c.method,
                            "left": _j(c.left), "right": _j(c.right),
                            **({"kink": say(c.kink, words)} if c.kink else {})}
                   for c in report.inputs},
        **({"unchecked": report.unchecked} if report.unchecked else {}),
    }
