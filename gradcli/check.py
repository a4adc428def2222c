"""--check: the analytic gradients against central differences, as CS231n
teaches the gradient check:

    numerical = (f(x + s) - f(x - s)) / 2s,   s = h * max(1, |x|)
    relative error = |analytic - numerical| / max(|analytic|, |numerical|, floor)

The step is scaled to each input, so that x + s differs from x at any size.
The floor is CS231n's advice for values near zero, made a number: a
difference quotient is itself uncertain (its truncation error, found by
halving the step, and the rounding in f), and a gradient within that
uncertainty of it is at worst acceptable, so an exact 0 against a numerical
1e-10 is not called wrong. Only when the first comparison is not already good
is f evaluated at x +- s/2 for that.

At a kink (relu(0), abs(0), a max tie) the two one-sided slopes differ, so
no difference quotient can agree with any single derivative; the check shows
both next to the convention gradcli uses instead of calling it an error. At a
jump (a branch cut of atan2, a condition that flips within the step) the
difference f(x + s) - f(x - s) does not shrink with the step: the verdict is
"discontinuity", with the one-sided slopes. A gradient that overflows is a
math error before any check (docs/numbers.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .engine import forward
from .errors import InputError, MathError, Phrase, Words, fill, say
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
UNCONFIRMED = ("suspicious", "unreliable", "undefined")
EPS = 2.0 ** -52
SHRINK = 8  # at a domain's edge the step is divided by 10 up to this many times to keep both sides


@dataclass
class InputCheck:
    name: str
    value: float
    analytic: float
    numerical: float | None      # None when f is undefined on both sides
    relative_error: float | None
    verdict: str                 # good, acceptable, suspicious, wrong, kink, discontinuity, unreliable, undefined
    left: float | None = None    # (f(x) - f(x - h)) / h
    right: float | None = None   # (f(x + h) - f(x)) / h
    method: str = "central"      # or "forward"/"backward" when one side is outside the domain
    kink: str = ""               # the kink, and gradcli's convention there
    step: float = 0.0            # the step s actually taken: h * max(1, |x|), smaller at a domain's edge
    jump: float | None = None    # f(x + s) - f(x - s), when f jumps there
    refined: bool = False        # numerical is Richardson's (4 n(s/2) - n(s)) / 3, closer than n(s)


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

    @property
    def unconfirmed(self) -> list[str]:
        """The inputs whose gradient is neither confirmed nor wrong."""
        return [c.name for c in self.inputs if c.verdict in UNCONFIRMED]


def relative_error(a: float, n: float, floor: float = 0.0) -> float:
    scale = max(abs(a), abs(n), floor)
    return 0.0 if scale == 0 else abs(a - n) / scale


def check_h(h: float) -> float:
    """h itself, or an InputError: it must be a finite number above 0."""
    if not (isinstance(h, (int, float)) and math.isfinite(h) and h > 0):
        raise InputError(Phrase("the step {h} must be a finite number above 0, not %s", repr(h)),
                         hint=Phrase("give {h} a small positive number, as in 1e-5"))
    return float(h)


def verdict(rel: float) -> str:
    if rel <= GOOD:
        return "good"
    if rel <= ACCEPTABLE:
        return "acceptable"
    return "suspicious" if rel <= SUSPICIOUS else "wrong"


def _outputs_at(g: "Graph", x: int, v: float) -> list | None:
    """Every node's value with input x set to v, or None outside the domain."""
    if not math.isfinite(v):  # x + s beyond the largest double
        return None
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


def _has_kink_op(g: "Graph", x: int, out: int, jumps: bool = False) -> bool:
    """Does a relu/abs/max/min between x and the output bend somewhere (with `jumps`:
    does a comparison between them jump somewhere)?"""
    used = g.reachable([out])
    depends = [False] * (out + 1)  # which nodes depend on x: one sweep up, arguments come first
    depends[x] = True
    for i in range(x + 1, out + 1):
        args = g.args[i]
        if not any(depends[a] for a in args):
            continue
        depends[i] = True
        op = g.op[i]
        if used[i] and op is not None and op.kink_template(len(args)) and op.jumps == jumps:
            return True
    return False


def _difference(here: float, plus: float | None, minus: float | None, step: tuple[float, float]
                ) -> tuple[float, str] | None:
    """The difference quotient and its kind, from f(x + s) and f(x - s) (None outside
    the domain); `step` is (x + s) - x and x - (x - s), the steps as doubles have them."""
    up, down = step
    if plus is not None and minus is not None:
        return (plus - minus) / (up + down), "central"
    if plus is not None:
        return (plus - here) / up, "forward"
    if minus is not None:
        return (here - minus) / down, "backward"
    return None


def _steps(v: float, s: float) -> tuple[float, float]:
    return (v + s) - v, v - (v - s)


def check(results: list["Result"], h: float = DEFAULT_H, limit: int | None = CHECK_LIMIT,
          work: int | None = CHECK_WORK) -> list[CheckReport]:
    """A gradient check of every output against its first inputs: at most
    `limit` of them, and at most as many as cost `work` node evaluations
    (but CHECK_LEAST or more); None for either lifts that bound."""
    h = check_h(h)
    if not results:
        return []
    g = results[0].graph
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
        least = 4 * math.ulp(v)  # so that x + s is not x, whatever h is
        s = max(h * max(1.0, abs(v)), least)
        plus, minus = _outputs_at(g, x, v + s), _outputs_at(g, x, v - s)
        for _ in range(SHRINK):  # at the edge of a domain (sqrt near 0), a smaller step keeps both sides
            if (plus is None) == (minus is None) or s / 10 < least:
                break
            s /= 10
            plus, minus = _outputs_at(g, x, v + s), _outputs_at(g, x, v - s)
        step = _steps(v, s)
        halves: list | None = None  # f at x +- s/2, evaluated only when needed
        for n, (r, report) in enumerate(zip(results, reports)):
            here = r.values[r.output]
            if each:
                kinks = each[n]
            analytic = r.grads[x] or 0.0
            f_plus = plus[r.output] if plus is not None else None
            f_minus = minus[r.output] if minus is not None else None
            right = (f_plus - here) / step[0] if f_plus is not None else None
            left = (here - f_minus) / step[1] if f_minus is not None else None
            found = _difference(here, f_plus, f_minus, step)
            if found is None:
                report.inputs.append(InputCheck(name, v, analytic, None, None, "undefined",
                                                method="none", step=s))
                continue
            numerical, method = found
            rel = relative_error(analytic, numerical)
            jump, floor, refined = None, 0.0, False
            if rel > GOOD:
                # Halve the step. A smooth f's difference quotient then moves by its own
                # truncation error, which Richardson's extrapolation removes; a jump at x
                # keeps all of f(x + s) - f(x - s) (a jump between s/2 and s, none of it).
                if halves is None:
                    halves = [_outputs_at(g, x, v + s / 2), _outputs_at(g, x, v - s / 2)]
                hp = halves[0][r.output] if halves[0] is not None else None
                hm = halves[1][r.output] if halves[1] is not None else None
                half = _difference(here, hp if f_plus is not None else None,
                                   hm if f_minus is not None else None, _steps(v, s / 2))
                # The absolute floor: what rounding leaves of a difference over this step,
                # from the largest value f computes on the way (sin(x) - x rounds at x's size).
                scale = max(abs(u) for u in (plus if plus is not None else minus)  # type: ignore[union-attr]
                            if u is not None)  # nodes no output needs have no value
                floor = 32 * EPS * scale / s / ACCEPTABLE
                rel = relative_error(analytic, numerical, floor)
                if half is not None and half[1] == method:
                    better = (4 * half[0] - numerical) / 3 if method == "central" else 2 * half[0] - numerical
                    rel_better = relative_error(analytic, better, floor)
                    if rel_better < rel:
                        numerical, rel, refined = better, rel_better, True
                    if method == "central" and rel > ACCEPTABLE and f_plus != f_minus:
                        ratio = (hp - hm) / (f_plus - f_minus)  # type: ignore[operator]
                        # A jump within s/2 of x keeps the whole difference; one between s/2 and s
                        # leaves the half step's quotient alone (x^3 at 0 keeps 1/8, and is smooth).
                        if ratio > 0.75 or (ratio < 0.25 and relative_error(analytic, half[0], floor) <= ACCEPTABLE):
                            jump = f_plus - f_minus  # type: ignore[operator]
                            numerical, refined = found[0], False
                            rel = relative_error(analytic, numerical, floor)
            item = InputCheck(name, v, analytic, numerical, rel, verdict(rel), left, right, method, step=s,
                              refined=refined)
            at = kinks.get(x, [])
            if at:
                item.verdict = "kink"
                item.kink = "; ".join("%s is at a kink of %s; gradcli's convention: %s"
                                      % (g.label(k), g.op[k].name, g.op[k].convention)  # type: ignore[union-attr]
                                      for k in at)
            elif rel > ACCEPTABLE and left is not None and right is not None \
                    and not math.isclose(left, right, rel_tol=1e-3, abs_tol=max(1e-9, floor * ACCEPTABLE)):
                # The one-sided slopes differ: a kink within the step, of relu/abs/max/min, or of f
                # itself (tanh(y) * atan2(y, x) at y = 0, x < 0 is |y|-shaped), where the
                # analytic gradient is the slope of one side.
                side = [which for which, slope in (("left", left), ("right", right))
                        if relative_error(analytic, slope) <= 1e-3]
                if jump is not None and _has_kink_op(g, x, r.output, jumps=True):
                    item.verdict, item.jump = "discontinuity", jump  # a condition flips within the step
                elif _has_kink_op(g, x, r.output):
                    item.verdict = "kink"
                    item.kink = Phrase("a kink lies within h of %s = %s (the one-sided slopes differ); "
                                       "choose a smaller {h} or move away from it", name, number(v))
                elif side and jump is None:
                    item.verdict = "kink"
                    item.kink = "f has a kink at %s = %s (the one-sided slopes differ), and the analytic " \
                                "gradient is the %s one" % (name, number(v), side[0])
                elif jump is not None:
                    item.verdict, item.jump = "discontinuity", jump
            elif jump is not None and rel > ACCEPTABLE:
                item.verdict, item.jump = "discontinuity", jump
            elif method != "central" and rel > ACCEPTABLE:
                item.verdict = "unreliable"  # a one-sided difference is only accurate to O(h)
            elif item.verdict in ("suspicious", "wrong") and floor > max(abs(analytic), abs(numerical)):
                item.verdict = "unreliable"  # the gradient is below what this difference can resolve
            report.inputs.append(item)
    return reports


# --- Rendering ---------------------------------------------------------------

_STYLE = {"good": "green", "acceptable": "green", "suspicious": "yellow", "wrong": "bold red",
          "kink": "yellow", "discontinuity": "yellow", "undefined": "yellow", "unreliable": "yellow"}


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
            own = c.kink.startswith("f has a kink")  # of f itself, not of an op with a convention
            notes.append(Text("  %s: %s. One-sided slopes: left %s, right %s%s"
                              % (c.name, say(c.kink, words), number(c.left, precision), number(c.right, precision),
                                 "" if own else "; the analytic gradient %s follows the convention"
                                 % number(c.analytic, precision)), style="yellow"))
        if c.jump is not None:
            agrees = [side for side, slope in (("left", c.left), ("right", c.right))
                      if slope is not None and relative_error(c.analytic, slope) <= ACCEPTABLE]
            notes.append(Text("  %s: f jumps by %s between %s - s and %s + s (a branch cut, or a condition that "
                              "flips), so no difference quotient measures a slope there. One-sided slopes: left %s, "
                              "right %s; the analytic gradient %s %s"
                              % (c.name, number(c.jump, precision), c.name, c.name, number(c.left, precision),
                                 number(c.right, precision), number(c.analytic, precision),
                                 "agrees with the %s one" % " and the ".join(agrees) if agrees else
                                 "is the slope on neither side"), style="yellow"))
        if c.refined:
            notes.append(Text("  %s: numerical refined by halving the step (Richardson's extrapolation, "
                              "(4 n(s/2) - n(s)) / 3)" % c.name, style="dim"))
        if c.method in ("forward", "backward"):
            notes.append(Text("  %s: f is undefined on the %s side, so this is the one-sided %s difference"
                              % (c.name, "left" if c.method == "forward" else "right", c.method),
                              style="yellow"))
        if c.method == "none":
            notes.append(Text(fill("  %s: f is undefined at %s ± h; try another {h}", words) % (c.name, c.name),
                              style="yellow"))
    head = Text.assemble(("gradient check of ", "bold"), (report.output, "bold green"),
                         " = %s: central differences (f(x+s) - f(x-s)) / 2s, s = h·max(1, |x|), h = %g"
                         % (number(report.value, precision), report.h))
    scale = Text("relative error |a - n| / max(|a|, |n|, rounding floor): good <= 1e-7 < acceptable <= 1e-4 < "
                 "suspicious <= 1e-2 < wrong", style="dim")
    unsure = report.unconfirmed
    if not report.ok:
        verdict_line = Text("some gradients disagree", style="bold red")
    elif unsure:
        verdict_line = Text("no gradient disagrees, but %s could not be confirmed (see %s verdict%s)"
                            % (", ".join(unsure), "its" if len(unsure) == 1 else "their",
                               "" if len(unsure) == 1 else "s"), style="bold yellow")
    else:
        verdict_line = Text("every gradient agrees" + (" (see the notes)" if notes else ""), style="bold green")
    if report.unchecked:
        notes.append(Text("  ... %d more inputs not checked: each costs two passes over the whole graph, so "
                          "the check stops at the first %d (in Python, gradcli.check.check(..., limit=None, "
                          "work=None) checks every input)" % (report.unchecked, len(report.inputs)), style="dim"))
    return Group(head, t, *notes, scale, verdict_line)


def to_json(report: CheckReport, words: Words | None = None) -> dict:
    return {
        "check": report.output, "value": _j(report.value), "h": report.h, "ok": report.ok,
        "confirmed": not report.unconfirmed,
        "inputs": {c.name: {"value": _j(c.value), "analytic": _j(c.analytic), "numerical": _j(c.numerical),
                            "relative_error": _j(c.relative_error), "verdict": c.verdict, "method": c.method,
                            "left": _j(c.left), "right": _j(c.right), "step": _j(c.step),
                            **({"kink": say(c.kink, words)} if c.kink else {}),
                            **({"jump": _j(c.jump)} if c.jump is not None else {}),
                            **({"refined": True} if c.refined else {})}
                   for c in report.inputs},
        **({"unchecked": report.unchecked} if report.unchecked else {}),
    }
