"""--verify: check a hand-written backward pass, line by line.

A program may end with its backward pass written the tutorials' way:

    f = num * invden          # forward
    dnum = invden             # backward: d<name> for names of the forward pass
    dinvden = num
    ...
    dx += (1) * dnum          # += where the wire forks

frontend.backward_start decides where the backward pass starts. Each forward
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

from .engine import evaluate as run
from .errors import MathError, Phrase, ProgramError, Source
from .flat import NAME, NUM, Program
from .frontend import build, gradient_of
from .graph import CONST, INPUT, no_value
from .ops import OPS
from .render import DEFAULT_PRECISION, _j, number
from .syntax import ACCUMULATE, COMPOUND
from .wires import shares

if TYPE_CHECKING:
    from rich.console import Group

RULE = ("the backward pass starts at the first statement from which every statement assigns "
        "d<name> (=, +=, ...), where <name> is a name of the forward pass and d<name> is not "
        "(CS231n's dfdx and df_dx, for the output f, name the same gradient as dx)")


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
    kink: bool = False        # a line of it sits at a kink: not judged


@dataclass
class VerifyReport:
    output: str
    lines: list[LineVerdict] = field(default_factory=list)
    gradients: list[GradientVerdict] = field(default_factory=list)
    not_computed: dict[str, float] = field(default_factory=dict)  # input -> true gradient

    @property
    def ok(self) -> bool:
        return all(v.status in ("ok", "unchecked", "kink") for v in self.lines) and \
            all(v.ok or v.kink for v in self.gradients)


def _eval(p: Program, s: int, env: Mapping[str, float], source: Source,
          code: tuple[int, int] | None = None) -> float:
    """The value of statement s's expression (or of the part `code` of it),
    with one stack over its postfix code; names come from env."""
    begin, end = code or p.code(s)
    tags, args = p.tag, p.arg
    stack: list[float] = []
    for k in range(begin, end):
        t = tags[k]
        if t == NUM:
            stack.append(args[k])
        elif t == NAME:
            stack.append(env[args[k]])
        else:
            xs = stack[-t:]
            del stack[-t:]
            try:
                v = OPS[args[k]].functions(t)[0](*xs)
            except (ValueError, ZeroDivisionError, OverflowError):
                v = math.nan
            if not math.isfinite(v):
                raise MathError("this part of the backward pass cannot be evaluated: %s"
                                % (OPS[args[k]].domain_message(*xs) or "the result is not a finite number"),
                                span=(p.start[k], p.end[k]), source=source, hint="check the formula of this line")
            stack.append(v)
    return stack[0]


def _check_values(g, roots: list[int], source: Source, programs: list[Program],
                  readers: list[tuple[str, int, int]] | None = None) -> list[bool]:
    """The nodes verify evaluates, those `roots` depend on; a ProgramError
    where one of them is an input with no value. The front door checks only
    what the output depends on (graph.check_bound), and verify evaluates more:
    the forward names its backward lines read, and for an array program every
    line. `readers`, (forward name, its node, the backward line's offset),
    say why a name is needed; `programs` are searched for a later assignment
    of the input's name (a name read before the line that assigns it)."""
    reach = g.reachable(roots)
    kind, value, init = g.kind, g.value, g.init
    unbound = [i for i, r in enumerate(reach) if r and kind[i] == INPUT and value[i] is None and i not in init]
    if not unbound:
        return reach

    assigns: dict[str, list[int]] = {}  # name -> where each statement that assigns it starts
    for p in programs:
        for k in range(len(p)):
            if p.name[k] is not None:
                assigns.setdefault(p.name[k], []).append(p.nstart[k])

    def assigned_after(i: int) -> int | None:
        span = g.span[i]
        return next((at for at in assigns.get(g.name[i], ()) if span is not None and at > span[0]), None)

    first = unbound[0]
    name, span = g.name[first], g.span[first]
    why = ""
    for read, node, at in (readers or [])[:100]:  # only on the way to an error
        if g.reachable([node])[first]:
            line = source.where(at)[1]
            why = ("; line %d of the backward pass reads it" % line if read == name else
                   "; line %d of the backward pass reads %s, which is computed from it" % (line, read))
            break
    later = assigned_after(first)
    if later is not None and span is not None:
        used, assigned = source.where(span[0])[1], source.where(later)[1]
        raise ProgramError("%s is read on line %d before line %d assigns it" % (name, used, assigned),
                           span=span, source=source,
                           hint="assign %s before it is read: move line %d above line %d%s"
                                % (name, assigned, used, why))
    raise no_value(g, [g.name[i] for i in unbound if i == first or assigned_after(i) is None], span, why=why,
                   source=source)


@dataclass(frozen=True)
class Wire:
    """One use of a forward node by a gate: its own share of the true gradient.
    A node's gradient is the sum of its wires' shares (the tutorials' +=)."""
    node: int        # the node the share flows back to
    gate: int        # the forward statement that reads it (-1: none, the output's own 1)
    op: int          # the op node that reads it
    arg: int         # which argument of that op it is
    share: float
    through: str = ""  # "through x = a * a": the gate, as written when it uses the node more than once
    use: int = 1       # which of the gate's uses of the node it is
    uses: int = 1

    @property
    def why(self) -> str:
        return self.through if self.uses == 1 else "%s, use %d of %d" % (self.through, self.use, self.uses)


_RUNS_UP_TO = 2000  # wires; past this only single wires, whole gates and the total are tried
_SUBSETS_UP_TO = 24


def _match(pool: list[Wire], target: float) -> list[int] | None:
    """Which wires of `pool` a line adds up to `target`: one wire, a run of
    wires in order (so a whole gate, several gates, or every wire), or at
    most three wires anywhere. Bounded: no search over every subset."""
    n = len(pool)
    shares = [w.share for w in pool]
    for k in range(n):
        if close(shares[k], target):
            return [k]
    if n > 1 and close(math.fsum(shares), target):
        return list(range(n))
    starts: dict[int, int] = {}
    for k, w in enumerate(pool):
        starts.setdefault(w.gate, k)
    if n <= _RUNS_UP_TO:
        prefix = [0.0]
        for x in shares:
            prefix.append(prefix[-1] + x)
        for i in range(n):
            for j in range(i + 2, n + 1):
                if close(prefix[j] - prefix[i], target):
                    return list(range(i, j))
    else:  # whole gates only
        for gate, first in starts.items():
            last = first
            while last < n and pool[last].gate == gate:
                last += 1
            if close(math.fsum(shares[first:last]), target):
                return list(range(first, last))
    if n <= _SUBSETS_UP_TO:
        for size in (2, 3):
            for pick in combinations(range(n), size):
                if close(math.fsum(shares[k] for k in pick), target):
                    return list(pick)
    return None


def _accumulation(p: Program, s: int, target: str) -> tuple[str, int, int] | None:
    """`dx = dx + e` (or `e + dx`, `dx - e`) is `dx += e`: (aug, code of e)."""
    begin, end = p.code(s)
    tags, args = p.tag, p.arg
    root = end - 1
    if p.aug[s] or end - begin < 3 or tags[root] != 2:
        return None
    for aug in ("+", "-"):
        if args[root] != COMPOUND[aug]:
            continue
        if tags[begin] == NAME and args[begin] == target:
            rest = (begin + 1, root)
        elif aug == "+" and tags[root - 1] == NAME and args[root - 1] == target:
            rest = (begin, root - 1)
        else:
            continue
        if all(not (tags[k] == NAME and args[k] == target) for k in range(*rest)):
            return aug, rest[0], rest[1]
    return None


def verify(text: str | Source, bindings: Mapping[str, float] | None = None, name: str = "<expr>",
           precision: int = DEFAULT_PRECISION) -> VerifyReport:
    """Check the program's hand-written backward pass against the true gradients."""
    source = text if isinstance(text, Source) else Source(text, name)
    g = build(source, bindings, keep_scope=True)
    if g.arrays:
        return verify_arrays(g, source, bindings or {})  # type: ignore[return-value]
    backward = g.backward
    if not backward:
        raise ProgramError("the program has no hand-written backward pass to verify", source=source,
                           hint=g.notes[0] if g.notes else
                           "after the forward pass, write lines such as dq = z * df and dx += 1.0 * dq; " + RULE)
    # The forward names the backward lines read are evaluated too, the output
    # needing them or not (`w = 3; w; f = 2 * q; dq = f` reads f).
    readers = [(n, g.scope[n], backward.nstart[s]) for s in range(len(backward))
               for n, _ in backward.names_read(s) if n in g.scope]
    g.live = _check_values(g, [i for _, i in g.outputs] + [i for _, i, _ in readers], source,
                           [g.program, backward], readers)
    results = run(g)
    if len(results) > 1:
        raise ProgramError(Phrase("{verify} needs a forward pass with one output, and this one has %d",
                                  len(results)), source=source, span=None,
                           hint="keep one bare expression (or none: then the last assigned name is the output)")
    r = results[0]
    values, grads = r.values, r.grads
    env = dict(g.scope)  # forward name -> node, as the forward pass left it
    num = lambda x: number(x, precision)  # noqa: E731

    # Which forward statement made each node: the gates of the tutorials' backward pass.
    # A statement's text runs from its name (an output's: its expression) to its expression's end.
    forward = g.program
    ranges = [(forward.nstart[k], forward.value_span(k)[1], k) for k in range(len(forward))]
    starts = [a for a, _, _ in ranges]

    def gate_of(i: int) -> int:
        span = g.span[i]
        j = bisect_right(starts, span[0]) - 1 if span else -1
        return ranges[j][2] if j >= 0 else -1

    def gate_name(k: int) -> str:
        name = forward.name[k]
        return name if name is not None else "the output %s" % g.label(r.output)

    # Every wire into a node, in the order a backward pass meets them: gates
    # from the last to the first, and in each gate its uses in order.
    wires: dict[int, list[Wire]] = {}
    for a, i, j, share in shares(r):  # the engine's own shares, from wires.py
        wires.setdefault(a, []).append(Wire(a, gate_of(i), i, j, share))
    for a, ws in wires.items():
        ws.sort(key=lambda w: -w.gate)  # stable: uses keep their order within a gate
        count: dict[int, int] = {}
        for w in ws:
            count[w.gate] = count.get(w.gate, 0) + 1
        seen: dict[int, int] = {}
        texts: dict[int, str] = {}
        for k, w in enumerate(ws):
            seen[w.gate] = seen.get(w.gate, 0) + 1
            if w.gate < 0:
                through = "through the program"
            elif count[w.gate] > 1:  # say which use: the gate as written
                if w.gate not in texts:
                    texts[w.gate] = "through " + _gate_text(source.text, forward, w.gate)
                through = texts[w.gate]
            else:
                through = "through " + gate_name(w.gate)
            ws[k] = Wire(w.node, w.gate, w.op, w.arg, w.share, through, seen[w.gate], count[w.gate])

    out_name = next((n for n, i in env.items() if i == r.output and n == g.name[r.output]), None) \
        or next((n for n, i in env.items() if i == r.output), None)
    contributions: dict[str, list[Wire]] = {}
    for n in env:
        contributions[n] = list(wires.get(env[n], []))
        if n == out_name:
            contributions[n].append(Wire(env[n], -1, env[n], 0, 1.0, "the output's own gradient"))
    remaining = {n: list(c) for n, c in contributions.items()}  # not yet added by the program
    true = {n: (grads[env[n]] or 0.0) for n in env}

    claimed: dict[str, float] = {}       # gradient variable -> its value after the lines so far
    written: dict[str, list[int]] = {}   # gradient variable -> lines that wrote it
    first_bad: dict[str, int] = {}       # gradient variable -> line of the first statement that went wrong
    of: dict[str, str] = {}              # gradient variable -> forward name
    at_kink: set[str] = set()            # gradient variables with a line at a kink
    if out_name is not None:
        claimed["d" + out_name] = 1.0
        of["d" + out_name] = out_name
    report = VerifyReport(r.label)
    forward_env = {n: values[i] for n, i in env.items()}

    for s in range(len(backward)):
        dn, aug = backward.name[s], backward.aug[s]
        target = gradient_of(dn, env, (out_name,))
        line = source.where(backward.nstart[s])[1]  # in its own file, when several are joined
        stmt_text = _statement_text(source.text, backward.nstart[s], backward.value_span(s)[1])
        read = backward.names_read(s)
        for used, span in read:
            if used not in forward_env and used not in claimed:
                if gradient_of(used, env, (out_name,)) is not None:
                    raise ProgramError("%s is used before the backward pass assigns it" % used, source=source,
                                       span=span, hint="backprop in reverse order: assign %s before this line"
                                                       % used)
                raise ProgramError("unknown name %s: neither a name of the forward pass nor a gradient "
                                   "assigned before this line" % used, source=source, span=span,
                                   hint="the backward pass may read the forward pass's names and the "
                                        "d<name> it has assigned")
        mine = dict(forward_env, **claimed)
        ideal = dict(mine, **{var: true[of[var]] for var in claimed if var in of})
        code = None
        same = _accumulation(backward, s, dn) if dn in claimed else None
        if same is not None:  # `dx = dx + e`: judged as `dx += e`
            aug, begin, end = same
            code = (begin, end)
        rhs, rhs_true = _eval(backward, s, mine, source, code), _eval(backward, s, ideal, source, code)
        after = rhs if not aug else _combine(aug, claimed.get(dn, 0.0), rhs)
        claimed[dn] = after
        earlier = written.setdefault(dn, [])
        earlier.append(line)
        if target is None:
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "unchecked",
                                            "%s names no gradient gradcli knows; it is not checked" % dn))
            continue
        of[dn] = target
        if aug not in ACCUMULATE:
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "unchecked",
                                            "gradcli checks = += and -= lines; this one is judged by the "
                                            "final value of %s" % dn))
            continue
        sign = ACCUMULATE[aug]
        # `=` starts d<name> afresh, so it may mean any of the wires: those not yet
        # counted first (at a fork of equal shares, `da = a * dx` twice is the
        # fork bug, not the same wire twice).
        pool = remaining[target]
        pick = _match(pool, sign * rhs_true)
        if pick is None and aug == "":
            pool = contributions[target]
            pick = _match(pool, sign * rhs_true)
        elif pick is not None and aug == "":
            picked_ids = {id(pool[k]) for k in pick}
            pool = contributions[target]
            pick = [k for k, w in enumerate(pool) if id(w) in picked_ids]
        kinks = [w for w in contributions[target] if _at_kink(g, r.values, w.op)] if pick is None else []
        if kinks:
            w = kinks[0]
            op = g.op[w.op]
            assert op is not None
            msg = ("at a kink: %s has no derivative at %s, so no line can be right or wrong here; "
                   "gradcli's convention (%s) gives %s, and this line gives %s"
                   % (g.label(w.op, named=False), _args_at(g, r.values, w.op, num), op.convention,
                      num(math.fsum(x.share for x in kinks if x.op == w.op)), num(sign * rhs_true)))
            at_kink.add(dn)
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "kink", msg))
            continue
        if pick is None:
            if pool:
                first = pool[0]
                expected = first.share if len(pool) == 1 or not aug else None
                msg = "wrong: %s should be %s" % (dn, _should_be(g, r, first, forward, gate_name, num))
                if len(pool) > 1:
                    msg += " (%s), or add another of its %d wires" % (first.why, len(pool)) \
                        if aug else " (%s), or a sum of its %d wires" % (first.why, len(pool))
                else:
                    msg += " (%s)" % first.why
                msg += "; this line gives %s" % num(sign * rhs_true)
            else:
                expected = 0.0
                msg = "wrong: %s already has every wire's share, so this line should add nothing" % dn
            if rhs != rhs_true:
                msg += " (even with the true upstream gradients)"
            first_bad.setdefault(dn, line)
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "wrong", msg, expected))
            continue
        picked = [pool[k] for k in pick]
        via = _via(picked)
        expected = math.fsum(w.share for w in picked)
        kept = {id(w) for w in remaining[target]}
        taken = {id(w) for w in picked}
        lost = [w for w in contributions[target] if id(w) not in kept and id(w) not in taken]
        remaining[target] = [w for w in (contributions[target] if aug == "" else remaining[target])
                             if id(w) not in taken]
        if aug == "" and lost:
            gates = {w.gate for w in contributions[target]}
            feeds = "feeds several gates" if len(gates) > 1 else \
                "feeds %s more than once" % contributions[target][0].through[len("through "):]
            msg = ("fork bug: `=` where the fork needs `+=`. %s %s, so %s must add up "
                   "what each sends back, and `=` throws away what line%s %s added. The value is right "
                   "(%s); write %s += ..." % (target, feeds, dn, "s" if len(earlier) > 2 else "",
                                              ", ".join(map(str, earlier[:-1])), via, dn))
            first_bad.setdefault(dn, line)
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "fork", msg, expected))
        elif close(rhs, rhs_true):
            report.lines.append(LineVerdict(line, stmt_text, dn, rhs, after, "ok", "ok: " + via, expected))
        else:
            truths = {u: true[of[u]] for u in dict.fromkeys(name for name, _ in read) if u in of}
            bad = [(u, t) for u, t in truths.items() if not close(mine[u], t)]
            causes = []
            cause_line = None
            for u, t in bad:
                if u in first_bad:
                    cause_line = cause_line or first_bad[u]
                    causes.append("%s = %s, which should be %s (wrong since line %d)"
                                  % (u, num(mine[u]), num(t), first_bad[u]))
                else:
                    causes.append("%s = %s is not complete yet: its true value is %s, so some of its "
                                  "wires come after this line" % (u, num(mine[u]), num(t)))
            first_bad.setdefault(dn, cause_line or line)
            report.lines.append(LineVerdict(
                line, stmt_text, dn, rhs, after, "inherited",
                "the formula is right (%s), but it uses %s" % (via, "; ".join(causes)), expected))

    for dn, value in claimed.items():
        if dn not in of or dn not in written:
            continue
        target = of[dn]
        t = true[target]
        ok = close(value, t)
        v = GradientVerdict(dn, value, t, ok, kink=dn in at_kink)
        if not ok and v.kink:
            v.message = "at a kink: gradcli's convention gives %s" % num(t)
        elif not ok:
            v.first_wrong = first_bad.get(dn)
            if v.first_wrong is None and remaining[target]:
                v.message = "missing: " + ", ".join("%s (%s)" % (num(w.share), w.why) for w in remaining[target])
            elif v.first_wrong is not None:
                v.message = "first went wrong at line %d" % v.first_wrong
        report.gradients.append(v)
    computed = set(of.values())
    for n, i in g.inputs.items():
        if n not in computed:
            report.not_computed[n] = grads[i] or 0.0
    return report


def _via(wires: list[Wire]) -> str:
    """Which wires a line added: `through f`, `through x = a * a, uses 1 and 2 of 2`."""
    groups: list[list[Wire]] = []
    for w in wires:
        if groups and groups[-1][0].gate == w.gate and groups[-1][0].through == w.through:
            groups[-1].append(w)
        else:
            groups.append([w])
    parts = []
    for group in groups:
        first = group[0]
        if len(group) == 1:
            parts.append(first.why)
        elif len(group) == first.uses:
            parts.append("%s, %s" % (first.through, "both uses" if first.uses == 2 else
                                                     "all %d uses" % first.uses))
        else:
            used = [w.use for w in group]
            if used == list(range(used[0], used[0] + len(used))) and len(used) > 2:
                which = "uses %d to %d" % (used[0], used[-1])
            else:
                which = "uses %s and %d" % (", ".join(map(str, used[:-1])), used[-1])
            parts.append("%s, %s of %d" % (first.through, which, first.uses))
    if len(parts) > 4:
        return "%d wires: %s ... %s" % (len(wires), parts[0], parts[-1])
    return "; ".join(parts)


def _gate_text(text: str, forward: Program, k: int, width: int = 40) -> str:
    """Forward statement k as written, blanks squeezed, long ones cut in the middle: `x = a * a`."""
    start, end = forward.nstart[k], forward.value_span(k)[1]
    if end - start > 4 * width:  # squeeze only the ends of a long statement
        return "%s ... %s" % (" ".join(text[start:start + width // 2].split()),
                              " ".join(text[end - width // 2:end].split()))
    shown = _statement_text(text, start, end)
    if len(shown) <= width:
        return shown
    return "%s ... %s" % (shown[:width // 2].rstrip(), shown[-(width // 2):].lstrip())


def _should_be(g, r, w: Wire, forward: Program, gate_name, plain) -> str:
    """What a wire's share is, from the op table's rule, with names and numbers:
    `(-1.0 / (den * den)) * dinvden = -0.0124`."""
    op = g.op[w.op]
    args = g.args[w.op]
    values = r.values

    def num(x: float) -> str:  # a number inside a rule: negatives in parentheses
        text = plain(x)
        return "(%s)" % text if text.startswith("-") else text
    template = op.rule_templates(len(args))[w.arg]
    gate = gate_name(w.gate) if w.gate >= 0 else None
    upstream = r.grads[w.op] or 0.0

    def sym(a: int) -> str:
        if g.kind[a] == CONST:
            text = repr(float(g.value[a]))
            return text[:-2] if text.endswith(".0") else text
        return g.name[a] or "(%s)" % g.label(a, named=False)

    root = w.gate >= 0 and forward.name[w.gate] is not None and g.name[w.op] == forward.name[w.gate]
    if root:
        rule = template.format(*[sym(a) for a in args], out=gate)
        return "%s * d%s = %s * %s = %s" % (_paren(rule), gate, _paren(template.format(
            *[num(values[a]) for a in args], out=num(values[w.op]))), num(upstream), plain(w.share))
    # Inside a bigger statement: the local rule of the op, times the true gradient there.
    local = template.format(*[num(values[a]) for a in args], out=num(values[w.op]))
    return "%s * %s = %s  (the local gradient of %s in %s, times the gradient at it)" % (
        _paren(local), num(upstream), plain(w.share), g.label(w.op, named=False), sym(w.node))


def _paren(text: str) -> str:
    return text if all(c not in text for c in " +-/") or (text.startswith("(") and text.endswith(")")) \
        else "(%s)" % text


def _at_kink(g, values: list, i: int) -> bool:
    """Whether op node i sits on a kink of its op (the op table's kink template)."""
    kink = g.functions()[i][2]
    return kink is not None and bool(kink(values[i], *[values[a] for a in g.args[i]]))


def _args_at(g, values: list, i: int, num) -> str:
    return ", ".join("%s = %s" % (g.label(a), num(values[a])) for a in dict.fromkeys(g.args[i])
                     if g.kind[a] != CONST) or "this point"


def _combine(aug: str, before: float, rhs: float) -> float:
    """d<name> after `d<name> op= rhs`; nan where that op is undefined."""
    try:
        return OPS[COMPOUND[aug]].functions(2)[0](before, rhs)
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def _statement_text(text: str, start: int, end: int) -> str:
    """The statement as written; a value's span leaves out its outer parentheses."""
    while text.count("(", start, end) > text.count(")", start, end):
        close_at = text.find(")", end)
        if close_at < 0:
            break
        end = close_at + 1
    return " ".join(text[start:end].split())


# --- Rendering ---------------------------------------------------------------

_STYLE = {"ok": "green", "wrong": "bold red", "fork": "bold red", "inherited": "yellow", "unchecked": "dim",
          "kink": "yellow"}


def verify_view(report: VerifyReport, precision: int = DEFAULT_PRECISION) -> "Group":
    if isinstance(report, ArrayVerifyReport):
        return array_view(report, precision)
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
        word = "right" if gv.ok else gv.message if gv.kink else \
            "WRONG" + (": " + gv.message if gv.message else "")
        grads.add_row(gv.name, number(gv.claimed, precision), number(gv.true, precision),
                      Text(word, style="green" if gv.ok else "yellow" if gv.kink else "bold red"))
    parts = [Text.assemble(("verify", "bold"), ": the hand-written backward pass of ",
                           (report.output, "bold green"), " (%d statement%s)" % (len(report.lines), "" if len(report.lines) == 1 else "s")),
             lines, Text(""), grads]
    if report.not_computed:
        parts.append(Text("not computed by the program: " + ", ".join(
            "d%s (true value %s)" % (n, number(v, precision)) for n, v in report.not_computed.items()),
            style="dim"))
    wrong = [v for v in report.lines if v.status in ("wrong", "fork")]
    kinked = [v.line for v in report.lines if v.status == "kink"]
    if report.ok and kinked:
        parts.append(Text("no line is wrong; line%s %s sit%s at a kink, where there is no derivative to "
                          "check against" % ("s" if len(kinked) > 1 else "", ", ".join(map(str, kinked)),
                                             "" if len(kinked) > 1 else "s"), style="bold yellow"))
    elif report.ok:
        parts.append(Text("every claimed gradient is right", style="bold green"))
    else:
        first = min([v.line for v in wrong] + [gv.first_wrong for gv in report.gradients
                                               if not gv.ok and gv.first_wrong] or [0])
        parts.append(Text("the backward pass is wrong%s" % (": the first statement that went wrong is line %d"
                                                           % first if first else ""), style="bold red"))
    return Group(*parts)  # type: ignore[arg-type]


def to_json(report: VerifyReport) -> dict:
    if isinstance(report, ArrayVerifyReport):
        return array_json(report)
    return {
        "verify": report.output, "ok": report.ok,
        "lines": [{"line": v.line, "statement": v.text, "target": v.target, "value": _j(v.value),
                   "total": _j(v.total), "status": v.status, "message": v.message,
                   "expected": _j(v.expected)} for v in report.lines],
        "gradients": {gv.name: {"claimed": _j(gv.claimed), "true": _j(gv.true), "ok": gv.ok, "kink": gv.kink,
                                "first_wrong_line": gv.first_wrong, **({"message": gv.message} if gv.message else {})}
                      for gv in report.gradients},
        "not_computed": {n: _j(v) for n, v in report.not_computed.items()},
    }


# --- Array programs: a vectorized backward pass, checked element by element ---

@dataclass
class ArrayLine:
    line: int
    name: str            # the gradient variable, as in dW
    target: str | None   # the forward name it is the gradient of
    status: str          # ok, wrong, shape, given (the output's incoming gradient), unchecked
    message: str
    claimed: object = None
    true: object = None


@dataclass
class ArrayVerifyReport:
    output: str
    lines: list[ArrayLine] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(v.status in ("ok", "given", "unchecked") for v in self.lines)


def verify_arrays(g, source: Source, bindings: Mapping[str, float]) -> ArrayVerifyReport:
    """Each gradient variable's final value against the true gradient of its
    forward name, element by element; a wrong shape has its own message, with
    the vectorized rule when the name is an argument of a matrix product."""
    import numpy as np

    from . import tensor
    from .arrayops import ArrayOp, shape_text
    from .frontend import read
    from .graph import ArrayBuilder
    if not g.backward:
        raise ProgramError("the program has no hand-written backward pass to verify", source=source,
                           hint="after the forward pass, write lines such as dW = dD.dot(X.T); " + RULE)
    if len(g.outputs) > 1:
        raise ProgramError(Phrase("{verify} needs a forward pass with one output, and this one has %d",
                                  len(g.outputs)), source=source,
                           hint="keep one bare expression (or none: then the last assigned name is the output)")
    label, out = g.outputs[0]
    # The whole program, its backward pass too, for the values its lines compute.
    program = read(source)
    b = ArrayBuilder(source, bindings, seed=g.seed)
    b.assigned = set(n for n in program.name if n is not None)
    b.statements(program)
    whole = b.g
    env = {**whole.inputs, **b.env}
    whole.outputs = list(env.items())
    _check_values(whole, list(env.values()), source, [program])
    values = tensor.forward(whole)
    for name, i in g.inputs.items():  # the same starting values (randn's draws) in both
        if name in env:
            g.value[i] = values[env[name]]
    forward_values = tensor.forward(g)
    scope = dict(g.scope)
    backward = g.backward
    out_name = g.name[out] or label
    seed = None
    given = None
    for name in backward.name:
        if gradient_of(name, scope) == out_name:
            seed, given = values[env[name]], name
            break
    grads = tensor.backward(g, forward_values, out, seed)
    last_line: dict[str, int] = {}
    for k, name in enumerate(backward.name):
        last_line[name] = source.where(backward.nstart[k])[1]
    report = ArrayVerifyReport(label)
    grad_names = {gradient_of(n, scope): n for n in last_line}
    for name, line in last_line.items():
        target = gradient_of(name, scope)
        claimed = values[env[name]]
        if name == given:
            report.lines.append(ArrayLine(line, name, target, "given",
                                          "the gradient arriving at the output %s" % out_name, claimed))
            continue
        if target is None or target not in scope:
            report.lines.append(ArrayLine(line, name, target, "unchecked", "not the gradient of a forward name",
                                          claimed))
            continue
        node = scope[target]
        want_shape = np.shape(forward_values[node])
        true = grads[node]
        if true is None:
            true = np.zeros(want_shape)
        if np.shape(claimed) != want_shape:
            message = "%s has shape %s but %s is %s" % (name, shape_text(np.shape(claimed)), target,
                                                        shape_text(want_shape))
            hint = _vectorized_rule(g, node, grad_names, ArrayOp)
            if hint:
                message += ": did you mean %s?" % hint
            report.lines.append(ArrayLine(line, name, target, "shape", message, claimed, true))
            continue
        diff = np.abs(np.asarray(claimed, dtype=float) - true)
        scale = np.maximum(np.maximum(np.abs(claimed), np.abs(true)), 1e-300)
        rel = np.where(diff == 0, 0.0, diff / scale)
        if np.all(rel <= 1e-7) or np.all(diff <= 1e-12):
            report.lines.append(ArrayLine(line, name, target, "ok", "right: d %s / d %s" % (out_name, target),
                                          claimed, true))
            continue
        at = np.unravel_index(int(np.argmax(rel)), np.shape(rel)) if np.ndim(rel) else ()
        where = "[%s]" % ", ".join(str(int(a)) for a in at) if at else ""
        c, t = float(np.asarray(claimed, dtype=float)[at]), float(np.asarray(true)[at])
        wrong = int(np.sum(rel > 1e-7))
        message = "wrong: %s%s is %s, but d %s / d %s%s is %s (%d of %d elements wrong)" % (
            name, where, number(c), out_name, target, where, number(t), wrong, int(np.size(rel)))
        hint = _vectorized_rule(g, node, grad_names, ArrayOp)
        if hint:
            message += "; the rule: %s = %s" % (name, hint)
        report.lines.append(ArrayLine(line, name, target, "wrong", message, claimed, true))
    return report


def _vectorized_rule(g, node: int, grad_names: dict, array_op) -> str:
    """The gradient of `node` as people write it, when it is an argument of
    an array op (a matrix product) whose own gradient the backward pass names:
    dD.dot(X.T) for W in D = W.dot(X)."""
    import re
    for i in range(node + 1, len(g)):
        op = g.op[i]
        args = g.args[i]
        if not isinstance(op, array_op) or op.source is not None or node not in args or len(args) != 2:
            continue
        gname = grad_names.get(g.name[i]) if g.name[i] else None
        if gname is None or not op.rule:
            continue
        k = args.index(node)
        words = {"g": gname, "x": g.label(args[0]), "y": g.label(args[1])}
        return re.sub(r"\b[gxy]\b", lambda m: words[m.group(0)], op.rule[k])
    return ""


def array_view(report: ArrayVerifyReport, precision: int = DEFAULT_PRECISION) -> "Group":
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from .render import _array_text, _shape
    t = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for col, just in (("line", "right"), ("gradient", "left"), ("shape", "right"), ("value", "right"),
                      ("verdict", "left")):
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    styles = {"ok": "green", "given": "dim", "unchecked": "dim", "wrong": "bold red", "shape": "bold red"}
    for v in report.lines:
        t.add_row(str(v.line), v.name, _shape(v.claimed), _array_text(v.claimed, precision, False),
                  Text(v.message, style=styles[v.status]))
    head = Text.assemble(("hand-written backward pass of ", "bold"), (report.output, "bold green"),
                         ", checked element by element")
    verdict = Text("every gradient is right" if report.ok else "some gradients are wrong",
                   style="bold green" if report.ok else "bold red")
    return Group(head, t, verdict)


def array_json(report: ArrayVerifyReport) -> dict:
    from .render import _nested
    return {"verify": report.output, "ok": report.ok,
            "lines": [{"line": v.line, "gradient": v.name, "target": v.target, "status": v.status,
                       "message": v.message, "value": None if v.claimed is None else _nested(v.claimed),
                       "true": None if v.true is None else _nested(v.true)} for v in report.lines]}
