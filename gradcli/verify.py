"""--verify: check a hand-written backward pass, line by line.

A program may end with its backward pass written the tutorials' way:

    f = num * invden          # forward
    dnum = invden             # backward: d<name> for names of the forward pass
    dinvden = num
    ...
    dx += (1) * dnum          # += where the wire forks

graph.split_backward decides where the backward pass starts. Each forward
statement is a gate; a correct backward line adds to d<name> the contribution
of one (or several) of the gates that read <name>:

    d statement / d name (other names held fixed) * (true d output / d statement)

Every line is evaluated twice: with the gradients the program computed, and
with the true ones. When the true-gradient value matches a contribution, the
line's formula is right, and any error in its value comes from an earlier
line (the first statement that went wrong is named). A right formula written
with `=` after earlier contributions is the classic fork bug and is named as
such.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Mapping

from . import ast
from .engine import evaluate as run
from .errors import MathError, Phrase, ProgramError, Source
from .graph import OP, Builder, names_used, split_backward
from .ops import OPS
from .parse import parse
from .render import DEFAULT_PRECISION, _j, number

if TYPE_CHECKING:
    from rich.console import Group

RULE = ("the backward pass starts at the first statement from which every statement assigns "
        "d<name> (=, +=, ...), where <name> is a name of the forward pass and d<name> is not")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


@dataclass
class LineVerdict:
    line: int                 # 1-based line in the source
    text: str                 # the statement as written
    target: str               # d<name>
    value: float              # what the right-hand side evaluated to
    total: float              # d<name> after the statement
    status: str               # ok, wrong, fork (= where += is needed), inherited, unchecked
    message: str
    expected: float | None = None  # what the right-hand side should have been, when known


@dataclass
class GradientVerdict:
    name: str                 # d<name>
    claimed: float
    true: float
    ok: bool
    first_wrong: int | None = None  # line of the first statement that went wrong
    message: str = ""


@dataclass
class VerifyReport:
    output: str
    lines: list[LineVerdict] = field(default_factory=list)
    gradients: list[GradientVerdict] = field(default_factory=list)
    not_computed: dict[str, float] = field(default_factory=dict)  # input -> true gradient

    @property
    def ok(self) -> bool:
        return all(v.status in ("ok", "unchecked") for v in self.lines) and all(v.ok for v in self.gradients)


def _eval(e: ast.Expr, env: Mapping[str, float], source: Source) -> float:
    """The value of an expression, with a stack; names come from env."""
    results: list[float] = []
    stack: list[tuple[ast.Expr, bool]] = [(e, False)]
    while stack:
        e, ready = stack.pop()
        if isinstance(e, ast.Num):
            results.append(e.value)
        elif isinstance(e, ast.Name):
            results.append(env[e.id])
        elif ready:
            n = len(e.args)
            xs = results[-n:]
            del results[-n:]
            try:
                v = OPS[e.op].functions(n)[0](*xs)
            except (ValueError, ZeroDivisionError, OverflowError):
                v = math.nan
            if not math.isfinite(v):
                raise MathError("this part of the backward pass cannot be evaluated: %s"
                                % (OPS[e.op].domain or "the result is not a finite number"),
                                span=e.span, source=source, hint="check the formula of this line")
            results.append(v)
        else:
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(e.args))
    return results[0]


def _subset(values: list[tuple[str, float]], target: float) -> list[int] | None:
    """Indexes of the contributions that add up to target: one first, then more."""
    n = len(values)
    sizes = range(1, n + 1) if n <= 12 else (1, n)
    for size in sizes:
        for pick in combinations(range(n), size):
            if close(sum(values[k][1] for k in pick), target):
                return list(pick)
    return None


def verify(text: str | Source, bindings: Mapping[str, float] | None = None, name: str = "<expr>",
           precision: int = DEFAULT_PRECISION) -> VerifyReport:
    """Check the program's hand-written backward pass against the true gradients."""
    source = text if isinstance(text, Source) else Source(text, name)
    stmts = parse(source)
    forward, backward = split_backward(stmts)
    if not backward:
        raise ProgramError("the program has no hand-written backward pass to verify", source=source,
                           hint="after the forward pass, write lines such as dq = z * df and "
                                "dx += 1.0 * dq; " + RULE)
    builder = Builder(source, bindings or {})
    g = builder.program(forward)
    g.backward = backward
    results = run(g)
    if len(results) > 1:
        raise ProgramError(Phrase("{verify} needs a forward pass with one output, and this one has %d",
                                  len(results)), source=source, span=None,
                           hint="keep one bare expression (or none: then the last assigned name is the output)")
    r = results[0]
    values, grads = r.values, r.grads
    env = dict(builder.env)  # forward name -> node, as the forward pass left it
    num = lambda x: number(x, precision)  # noqa: E731

    # Which forward statement made each node: the gates of the tutorials' backward pass.
    ranges = []
    for k, s in enumerate(forward):
        if isinstance(s, ast.Assign):
            ranges.append((s.span[0], s.value.span[1], k))
        else:
            ranges.append((s.span[0], s.span[1], k))
    starts = [a for a, _, _ in ranges]

    def gate_of(i: int) -> int:
        span = g.span[i]
        j = bisect_right(starts, span[0]) - 1 if span else -1
        return ranges[j][2] if j >= 0 else -1

    def gate_name(k: int) -> str:
        s = forward[k]
        return s.name if isinstance(s, ast.Assign) else "the output %s" % g.label(r.output)

    # contribution[node][gate] = d gate / d node * (true d output / d gate), summed per gate.
    contribution: dict[int, dict[int, float]] = {}
    fns = g.functions()
    for i in range(r.output, -1, -1):
        gi = grads[i]
        if gi is None or g.kind[i] != OP or not g.needs[i]:
            continue
        xs = [values[a] for a in g.args[i]]
        k = gate_of(i)
        for j, a in enumerate(g.args[i]):
            if g.needs[a]:
                per = contribution.setdefault(a, {})
                per[k] = per.get(k, 0.0) + fns[i][1][j](values[i], *xs) * gi

    out_name = next((n for n, i in env.items() if i == r.output and n == g.name[r.output]), None) \
        or next((n for n, i in env.items() if i == r.output), None)
    names = {"d" + n: n for n in env}
    contributions: dict[str, list[tuple[str, float]]] = {}
    for dn, n in names.items():
        per = contribution.get(env[n], {})
        contributions[dn] = [("through " + gate_name(k), v) for k, v in sorted(per.items(), reverse=True)]
        if n == out_name:
            contributions[dn].append(("the output's own gradient", 1.0))
    remaining = {dn: list(c) for dn, c in contributions.items()}  # not yet added by the program
    true = {dn: (grads[env[n]] or 0.0) for dn, n in names.items()}

    claimed: dict[str, float] = {}
    written: dict[str, list[int]] = {}   # d<name> -> lines that wrote it
    first_bad: dict[str, int] = {}       # d<name> -> line of the first statement that went wrong
    if out_name is not None:
        claimed["d" + out_name] = 1.0
    report = VerifyReport(r.label)
    forward_env = {n: values[i] for n, i in env.items()}

    for s in backward:
        assert isinstance(s, ast.Assign)
        dn = s.name
        line = source.line_col(s.span[0])[0]
        stmt_text = _statement_text(source.text, s)
        for used in names_used(s.value):
            if used not in forward_env and used not in claimed:
                span = next(e.span for e in _names(s.value) if e.id == used)
                if used in names:
                    raise ProgramError("%s is used before the backward pass assigns it" % used, source=source,
                                       span=span, hint="backprop in reverse order: assign %s before this line"
                                                       % used)
                raise ProgramError("unknown name %s: neither a name of the forward pass nor a gradient "
                                   "assigned before this line" % used, source=source, span=span,
                                   hint="the backward pass may read the forward pass's names and the "
                                        "d<name> it has assigned")
        mine = dict(forward_env, **claimed)
        ideal = dict(forward_env, **{d: true[d] for d in claimed if d in true}, **{
            d: v for d, v in claimed.items() if d not in true})
        rhs, rhs_true = _eval(s.value, mine, source), _eval(s.value, ideal, source)
        before = claimed.get(dn, 0.0)
        after = {"": rhs, "+": before + rhs, "-": before - rhs,
                 "*": before * rhs, "/": before / rhs if rhs else math.nan}[s.aug]
        claimed[dn] = after
        earlier = written.setdefault(dn, [])
        earlier.append(line)
        if s.aug not in ("", "+", "-"):
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "unchecked",
                                            "gradcli checks = += and -= lines; this one is judged by the "
                                            "final value of %s" % dn))
            continue
        sign = -1.0 if s.aug == "-" else 1.0
        # `=` starts d<name> afresh, so it may mean any of the contributions.
        pool = contributions[dn] if s.aug == "" else remaining[dn]
        pick = _subset(pool, sign * rhs_true)
        if pick is None:
            if pool:
                expected = pool[0][1] if len(pool) == 1 else None
                want = " or ".join("%s (%s)" % (num(v), why) for why, v in pool) if len(pool) <= 4 else \
                    "one of %d contributions" % len(pool)
                msg = "wrong: %s should get %s; this line gives %s" % (dn, want, num(sign * rhs_true))
            else:
                expected = 0.0
                msg = "wrong: %s already has every contribution, so this line should add nothing" % dn
            if rhs != rhs_true:
                msg += " (even with the true upstream gradients)"
            first_bad.setdefault(dn, line)
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "wrong", msg, expected))
            continue
        picked = [pool[k] for k in pick]
        via = ", ".join(why for why, _ in picked)
        expected = sum(v for _, v in picked)
        kept = remaining[dn]
        lost = [c for c in contributions[dn] if all(c is not k for k in kept) and all(c is not p for p in picked)]
        remaining[dn] = [c for c in (contributions[dn] if s.aug == "" else kept) if all(c is not p for p in picked)]
        if s.aug == "" and lost:
            fork = names[dn]
            msg = ("fork bug: `=` where the fork needs `+=`. %s feeds several gates, so %s must add up "
                   "what each sends back, and `=` throws away what line%s %s added. The value is right "
                   "(%s); write %s += ..." % (fork, dn, "s" if len(earlier) > 2 else "",
                                              ", ".join(map(str, earlier[:-1])), via, dn))
            first_bad.setdefault(dn, line)
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "fork", msg, expected))
        elif close(rhs, rhs_true):
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "ok", "ok: " + via, expected))
        else:
            bad = [u for u in dict.fromkeys(names_used(s.value)) if u in true and not close(mine[u], true[u])]
            causes = []
            cause_line = None
            for u in bad:
                if u in first_bad:
                    cause_line = cause_line or first_bad[u]
                    causes.append("%s = %s, which should be %s (wrong since line %d)"
                                  % (u, num(mine[u]), num(true[u]), first_bad[u]))
                else:
                    causes.append("%s = %s is not complete yet: its true value is %s, so some of its "
                                  "contributions come after this line" % (u, num(mine[u]), num(true[u])))
            first_bad.setdefault(dn, cause_line or line)
            report.lines.append(LineVerdict(
                line, stmt_text, dn, rhs, after, "inherited",
                "the formula is right (%s), but it uses %s" % (via, "; ".join(causes)), expected))

    for dn, value in claimed.items():
        if dn not in true or dn not in written:
            continue
        t = true[dn]
        ok = close(value, t)
        v = GradientVerdict(dn, value, t, ok)
        if not ok:
            v.first_wrong = first_bad.get(dn)
            if v.first_wrong is None and remaining[dn]:
                v.message = "missing: " + ", ".join("%s (%s)" % (num(x), why) for why, x in remaining[dn])
            elif v.first_wrong is not None:
                v.message = "first went wrong at line %d" % v.first_wrong
        report.gradients.append(v)
    for n, i in g.inputs.items():
        if "d" + n not in claimed:
            report.not_computed[n] = grads[i] or 0.0
    return report


def _statement_text(text: str, s: ast.Assign) -> str:
    """The statement as written; a value's span leaves out its outer parentheses."""
    start, end = s.span[0], s.value.span[1]
    while text.count("(", start, end) > text.count(")", start, end):
        close_at = text.find(")", end)
        if close_at < 0:
            break
        end = close_at + 1
    return " ".join(text[start:end].split())


def _names(e: ast.Expr) -> list[ast.Name]:
    found, stack = [], [e]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Name):
            found.append(e)
        elif isinstance(e, ast.Apply):
            stack.extend(e.args)
    return found


# --- Rendering ---------------------------------------------------------------

_STYLE = {"ok": "green", "wrong": "bold red", "fork": "bold red", "inherited": "yellow", "unchecked": "dim"}


def verify_view(report: VerifyReport, precision: int = DEFAULT_PRECISION) -> "Group":
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    lines = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    lines.add_column("line", justify="right")
    lines.add_column("statement")
    lines.add_column("value", justify="right")
    lines.add_column("verdict")
    for v in report.lines:
        lines.add_row(str(v.line), v.text, number(v.value, precision), Text(v.message, style=_STYLE[v.status]))
    grads = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for col, just in (("gradient", "left"), ("claimed", "right"), ("true", "right"), ("verdict", "left")):
        grads.add_column(col, justify=just)  # type: ignore[arg-type]
    for gv in report.gradients:
        word = "right" if gv.ok else "WRONG" + (": " + gv.message if gv.message else "")
        grads.add_row(gv.name, number(gv.claimed, precision), number(gv.true, precision),
                      Text(word, style="green" if gv.ok else "bold red"))
    parts = [Text.assemble(("verify", "bold"), ": the hand-written backward pass of ",
                           (report.output, "bold green"), " (%d statement%s)" % (len(report.lines), "" if len(report.lines) == 1 else "s")),
             lines, Text(""), grads]
    if report.not_computed:
        parts.append(Text("not computed by the program: " + ", ".join(
            "d%s (true value %s)" % (n, number(v, precision)) for n, v in report.not_computed.items()),
            style="dim"))
    wrong = [v for v in report.lines if v.status in ("wrong", "fork")]
    if report.ok:
        parts.append(Text("every claimed gradient is right", style="bold green"))
    else:
        first = min([v.line for v in wrong] + [gv.first_wrong for gv in report.gradients
                                               if not gv.ok and gv.first_wrong] or [0])
        parts.append(Text("the backward pass is wrong%s" % (": the first statement that went wrong is line %d"
                                                           % first if first else ""), style="bold red"))
    return Group(*parts)  # type: ignore[arg-type]


def to_json(report: VerifyReport) -> dict:
    return {
        "verify": report.output, "ok": report.ok,
        "lines": [{"line": v.line, "statement": v.text, "target": v.target, "value": _j(v.value),
                   "total": _j(v.total), "status": v.status, "message": v.message,
                   "expected": _j(v.expected)} for v in report.lines],
        "gradients": {gv.name: {"claimed": _j(gv.claimed), "true": _j(gv.true), "ok": gv.ok,
                                "first_wrong_line": gv.first_wrong, **({"message": gv.message} if gv.message else {})}
                      for gv in report.gradients},
        "not_computed": {n: _j(v) for n, v in report.not_computed.items()},
    }
