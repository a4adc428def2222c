"""Graph -> straight-line forward and backward code, from the op table's templates.

This is the backward pass written out the way the tutorials write it by hand:

    ax = a * x
    ...
    ds = 1.0
    daxpbypc = (s * (1.0 - s)) * ds
    da = x * dax

It serves three purposes: `--emit` prints it, the step loop compiles it once
and runs it at the speed of hand-written Python, and tests check it against
the evaluator. Statements are kept as data (`Line`) so each target formats
them its own way. Only the graph, built from the validated syntax tree, goes
into the code: names are identifiers checked against each language's reserved
words, numbers are printed with repr.
"""
from __future__ import annotations

import builtins
import keyword
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import product
from unicodedata import normalize

from .errors import ProgramError
from .graph import CONST, OP, Graph
from .ops import HELPERS, NAMESPACE

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z|[0-9.]+\Z|\(-?[0-9.e+-]+\)\Z")

PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(NAMESPACE) | {
    "math", "float", "int", "print", "range", "len", "sum", "forward_backward", "grads", "inputs",
    # Python refuses to assign to __debug__; __builtins__ is where exec finds the builtins.
    "__debug__", "__builtins__"}
JS_RESERVED = frozenset((
    "break case catch class const continue debugger default delete do else enum export extends "
    "false finally for function if import in instanceof new null return super switch this throw "
    "true try typeof var void while with yield let static implements interface package private "
    "protected public await arguments eval undefined NaN Infinity Math Number Object "
    "forwardBackward inputs grads value"
).split()) | frozenset(NAMESPACE)


@dataclass(frozen=True)
class Line:
    """One statement: `target = expr`, or `target += expr` when `add` is true.
    `node` is the gate it computes (forward) or backprops (backward)."""
    target: str
    expr: str
    node: int
    add: bool = False


@dataclass
class Code:
    """Forward and backward statements of one output, with the names used."""
    graph: Graph
    output: int
    names: dict[int, str]        # node -> variable holding its value
    grad_names: dict[int, str]   # node -> variable holding d output / d node
    inputs: list[tuple[str, int]]  # (program name, node) in signature order
    forward: list[Line]
    backward: list[Line]
    # --emit's named gates: a template too long to read inline becomes a small
    # function, name -> (parameters, its expression, what it computes as
    # people write it), and the line calls it: `t3 = sig(t2)`.
    functions: dict[str, tuple[tuple[str, ...], str, str]] = field(default_factory=dict)

    def value_of(self, i: int) -> str:
        """How code refers to node i's value: its variable or a literal."""
        g = self.graph
        if g.kind[i] == CONST:
            return literal(g.value[i])  # type: ignore[arg-type]
        return self.names[i]


def literal(x: float) -> str:
    """A number as code: exact (repr round-trips), negatives parenthesised."""
    text = repr(float(x))
    return "(%s)" % text if text.startswith("-") else text


def paren(expr: str) -> str:
    return expr if _SIMPLE.match(expr) else "(%s)" % expr


class Names:
    """Hands out identifiers that are unique and not reserved in the target."""

    def __init__(self, reserved: frozenset[str]):
        self.reserved = reserved
        self.taken: set[str] = set()

    def take(self, want: str) -> str:
        # A name from pasted code may be any identifier Python and JavaScript
        # share (é, 单元), kept as written if Python would not fold it into
        # another (NFKC: ﬁ is fi); else a plain one.
        if not _IDENT.match(want) and not (want.isidentifier() and normalize("NFKC", want) == want):
            want = "v"
        name = want
        while name in self.reserved or name in self.taken:
            name += "_"
        self.taken.add(name)
        return name


# A template longer than this, written over one-letter parameters, is a
# function of its own in emitted code (named=True): a learner reads
# `dt2 = d_sig(t2) * dt3` and, once, what d_sig computes, instead of the
# same long guarded formula inline at every gate.
NAMED_LONGER_THAN = 50
_PARAMS = "abcdfghijklmnpqrsuvwyz"  # not e, o (out), t (the temporaries), x


def _named(op, n: int, template: str, rule: str, which: int | None,
           names_: "Names", code: "Code", args: list[str], out: str) -> str | None:
    """The call to `template` as a named function, or None to inline it."""
    params = tuple(_PARAMS[k] if n <= len(_PARAMS) else "a%d" % k for k in range(n))
    uses_out = "{out}" in template
    body = template.format(*params, out="out")
    if len(body) <= NAMED_LONGER_THAN:
        return None
    base = op.name if n == op.arity else "%s%d" % (op.name, n)
    want = base if which is None else "d_%s_d%s" % (base, params[which])
    # the same function (one name) for every gate of this op with n arguments
    for name, (_, text, _) in code.functions.items():
        if text == body and name.rstrip("_") == want:
            break
    else:
        name = names_.take(want)
        shown = rule.format(*params, out="out") if rule else ""
        code.functions[name] = (params + (("out",) if uses_out else ()), body,
                                _function_doc(op.name, params, which, shown))
    return "%s(%s)" % (name, ", ".join(args + ([out] if uses_out else [])))


def generate(g: Graph, output: int, reserved: frozenset[str] = PYTHON_RESERVED,
             named: bool = False) -> Code:
    """The straight-line forward and backward code of one output of `g`;
    with `named`, long templates as calls to named functions (--emit)."""
    used = g.reachable([output])
    names_ = Names(reserved)
    names: dict[int, str] = {}
    inputs = [(n, i) for n, i in g.inputs.items()]
    # Inputs first (they are the parameters), then named nodes, then temporaries.
    for n, i in inputs:
        names[i] = names_.take(n)
    order = [i for i in range(output + 1) if used[i] and g.kind[i] == OP]
    for i in order:
        if g.name[i] and i not in names:
            names[i] = names_.take(g.name[i])  # type: ignore[arg-type]
    temp = 0
    for i in order:
        if i not in names:
            temp += 1
            names[i] = names_.take("t%d" % temp)
    grad_names = {i: names_.take("d" + names[i]) for i in list(names) if g.needs[i] and used[i]}

    code = Code(g, output, names, grad_names, inputs, [], [])
    for i in order:
        op = g.op[i]
        assert op is not None
        args = [code.value_of(a) for a in g.args[i]]
        template = op.value_template(len(args))
        call = _named(op, len(args), template, "", None, names_, code, args, "") if named else None
        code.forward.append(Line(names[i], call or template.format(*args), i))

    if output not in grad_names:  # a constant output: no gradient flows
        return code
    code.backward.append(Line(grad_names[output], "1.0", output))
    assigned = {output}
    for i in reversed(order):
        if not g.needs[i] or i not in assigned:
            continue
        op = g.op[i]
        assert op is not None
        args = [code.value_of(a) for a in g.args[i]]
        partials = op.partial_templates(len(args))
        rules = op.rule_templates(len(args)) if named else ()
        for k, a in enumerate(g.args[i]):
            if not g.needs[a]:
                continue
            call = (_named(op, len(args), partials[k], rules[k], k, names_, code, args, names[i])
                    if named else None)
            local = call or paren(partials[k].format(*args, out=names[i]))
            expr = "%s * %s" % (local, grad_names[i])
            code.backward.append(Line(grad_names[a], expr, i, add=a in assigned))
            assigned.add(a)
    return code


def python_function(code: Code, name: str = "forward_backward") -> str:
    """A Python function: inputs as parameters -> (value, (gradients in input order))."""
    params = ", ".join(code.names[i] for _, i in code.inputs)
    body = ["%s %s= %s" % (l.target, "+" if l.add else "", l.expr) for l in code.forward + code.backward]
    grads = ", ".join(code.grad_names.get(i, "0.0") for _, i in code.inputs)
    body.append("return %s, (%s%s)" % (code.value_of(code.output), grads, "," if len(code.inputs) == 1 else ""))
    return "def %s(%s):\n    %s\n" % (name, params, "\n    ".join(body))


def compile_python(code: Code):
    """The function of `python_function`, compiled; it raises ValueError,
    ZeroDivisionError or OverflowError where the evaluator raises MathError."""
    namespace = dict(NAMESPACE)
    exec(python_function(code, "_f"), namespace)  # generated from the validated graph only
    return namespace["_f"]


# --- The whole program as one function, for the API's repeated evaluations ---

_BAD = (math.inf, -math.inf, math.nan)
_FINITE = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 30.0, -30.0, 1e300, -1e300)
_absorbing_cache: dict[tuple[str, int], tuple[bool, ...]] = {}


def absorbing(op, n: int) -> tuple[bool, ...]:
    """For each argument of an op: can a non-finite value there give a finite
    result (1/inf = 0, sig(inf) = 1)? Found by trying the op's own value
    function. Where no op absorbs, a non-finite value reaches the output, so
    the compiled code (the step loop, the API's) checks only these arguments
    and the outputs."""
    key = (op.name, n)
    found = _absorbing_cache.get(key)
    if found is None:
        if op.variadic:  # max and min pass one argument on and drop the others
            found = (True,) * n
        else:
            fn = op.functions(n)[0]
            flags = []
            for k in range(n):
                hit = False
                for bad in _BAD:
                    for others in product(_FINITE, repeat=n - 1):
                        args = list(others)
                        args.insert(k, bad)
                        try:
                            hit = math.isfinite(fn(*args))
                        except (ValueError, ZeroDivisionError, OverflowError):
                            continue
                        if hit:
                            break
                    if hit:
                        break
                flags.append(hit)
            found = tuple(flags)
        _absorbing_cache[key] = found
    return found


# Where the op table's functions fail, if anywhere: at 0, around exp's overflow, at the extremes.
_EDGES = (0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 30.0, -30.0,
          40.0, -40.0, 710.0, -710.0, 1e10, -1e10, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308)
_total_cache: dict[tuple[str, int], bool] = {}


def total(op, n: int) -> bool:
    """Whether finite arguments always give the op a finite value, with no error
    (sig, tanh, sin; not exp, log, *), found by trying its value function where
    functions fail. The step loop then need not compute such an output at every
    step: its arguments being finite says the output is."""
    key = (op.name, n)
    found = _total_cache.get(key)
    if found is None:
        found = n <= 3
        fn = op.functions(n)[0]
        for args in product(_EDGES, repeat=n) if found else ():
            try:
                found = math.isfinite(fn(*args))
            except (ValueError, ZeroDivisionError, OverflowError):
                found = False
            if not found:
                break
        _total_cache[key] = found
    return found


_float_cache: dict[tuple[str, int], tuple[bool, ...]] = {}


def float_partials(op, n: int) -> tuple[bool, ...]:
    """For each argument: does the op's local partial always give a float?
    (x * 1.0 is x only for a float: abs's slope is a difference of booleans.)"""
    key = (op.name, n)
    found = _float_cache.get(key)
    if found is None:
        fn, partials, _ = op.functions(n)
        flags = []
        for p in partials:
            ok = True
            for args in product((-2.0, -0.5, 0.0, 0.5, 2.0), repeat=n):
                try:
                    ok = isinstance(p(fn(*args), *args), float)
                except (ValueError, ZeroDivisionError, OverflowError):
                    continue
                if not ok:
                    break
            flags.append(ok)
        found = _float_cache[key] = tuple(flags)
    return found


_WORDS = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*")


def inline(body: list[str], temps: list[str], depth_limit: int = 6) -> list[str]:
    """Write a value used once into the line that uses it, in parentheses
    (`t3 = (a * x) + (b * y)`): the same operations in the same order, minus a
    store and a load. Nesting stays shallow so the Python compiler never
    recurses deeply. (A value an op might not evaluate, such as a branch of a
    conditional, is also checked for finiteness, so it is used twice: never inlined.)"""
    uses = Counter(_WORDS.findall("\n".join(body)))  # one pass: no name spans two lines
    candidates = {t for t in temps if uses.get(t) == 2}  # its assignment and one use
    inlined: dict[str, tuple[str, int]] = {}
    out = []
    temps_ = set(temps)
    for line in body:
        target, sep, expr = line.partition(" = ")
        if not sep or target not in temps_:
            target, sep, expr = "", "", line
        depth = 0

        def sub(m: re.Match) -> str:
            nonlocal depth
            hit = inlined.pop(m.group(0), None)
            if hit is None:
                return m.group(0)
            depth = max(depth, hit[1])
            return "(%s)" % hit[0]

        expr = _WORDS.sub(sub, expr) if inlined else expr
        if target in candidates and depth < depth_limit:
            inlined[target] = (expr, depth + 1)
        else:
            out.append(target + sep + expr)
    return out


_CALL = re.compile(r"(?<![\w.])[A-Za-z_]\w*\(")
_BRANCHING = re.compile(r" if | else | and | or |lambda")
REUSED = tuple("_r%d" % k for k in range(8))  # the names fewer_calls binds


_PARENS = re.compile(r"[()]")


def _calls(expr: str) -> list[tuple[int, int]]:
    """(start, end) of every call in expr, `name(...)` with its parentheses balanced."""
    close: dict[int, int] = {}
    opened: list[int] = []
    for m in _PARENS.finditer(expr):
        if m.group() == "(":
            opened.append(m.start())
        else:
            close[opened.pop()] = m.start()
    return [(m.start(), close[m.end() - 1] + 1) for m in _CALL.finditer(expr)]


def _always_before(expr: str, end: int, start: int) -> bool:
    """Whether the text before `end` is evaluated whenever the text from `start`
    is: nothing between them branches, and no parenthesis opened before `end`
    closes before `start` (in `(a if c else f(x)) * f(x)` the first call may not run)."""
    between = expr[end:start]
    if _BRANCHING.search(between):
        return False
    depth = 0
    for ch in between:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return True


_ABS_BELOW = re.compile(r"\bif abs\(([A-Za-z_]\w*)\) < ([0-9][0-9.e+]*) else\b")


def fewer_calls(expr: str) -> str:
    """The op table's templates with fewer calls and the same floats. A
    function called twice on the same argument (tanh' is 1/(cosh(x) *
    cosh(x))) is called once, `1.0 / ((_r0 := cosh(x)) * _r0)` (the helpers
    are pure functions), where the first call is evaluated whenever the second
    is; `if abs(x) < 20.0 else` is `if -20.0 < x < 20.0 else` (nan fails both)."""
    if "(" not in expr:  # no call at all: most lines
        return expr
    if "abs(" in expr:
        expr = _ABS_BELOW.sub(r"if -\2 < \1 < \2 else", expr)
    called = _CALL.findall(expr)
    if len(called) == len(set(called)):  # no function called twice: most lines
        return expr
    for name in REUSED:
        calls = _calls(expr)
        texts = [expr[a:b] for a, b in calls]
        best = None
        for k, (a, b) in enumerate(calls):  # the longest call made again later
            again = [(c, d) for c, d in calls[k + 1:] if expr[c:d] == texts[k] and c >= b
                     and _always_before(expr, b, c)]
            if again and (best is None or b - a > best[0][1] - best[0][0]):
                best = ((a, b), again)
        if best is None:
            break
        (a, b), again = best
        parts, at = [expr[:a], "(%s := %s)" % (name, expr[a:b])], b
        for c, d in again:
            parts += [expr[at:c], name]
            at = d
        expr = "".join(parts) + expr[at:]
    return expr


_HELPER_WORDS = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def evaluator_source(g: Graph) -> str:
    """`_eval(_v, _t)`: g.value with the inputs' values _t (a tuple, in the order
    of g.inputs) in place, every live node's value and, for each output, every
    gradient, as the interpreter (engine.evaluate) computes them, in the same
    order, from the same templates, so bit for bit the same numbers:

        v0, v1, v3, = _t                the inputs
        v4 = _v[4]                      constants
        v5 = v3 * v4                    the live ops, in node order
        _values = [v0, ..., None, ...]  engine.forward's list
        d9 = 1.0                        per output: engine.backward's order
        d5 = (v4) * d9 ...
        return _bound, _values, ([None, d1, ...], ...), <every value finite>,
               (<every input's gradient finite>, ...)

    It raises ValueError, ZeroDivisionError or OverflowError where the
    interpreter raises MathError, and gives a non-finite value where the
    interpreter refuses one: the caller then asks the interpreter, which says
    where and why. Kinks are left to the caller (they are few)."""
    n = len(g.kind)
    kind, ops, live, needs, names = g.kind, g.op, g.live, g.needs, g.name
    ids, first = g.args.ids, g.args.first
    body: list[str] = []
    used: list[bool] = [False] * n
    for i in range(n):
        if ops[i] is not None and live[i]:
            for a in ids[first[i]:first[i + 1]]:
                used[a] = True
    inputs = set(g.inputs.values())
    if inputs:  # every input's value, in the order of g.inputs
        body.append("%s, = _t" % ", ".join("v%d" % i for i in g.inputs.values()))
    for i in range(n):
        if kind[i] != OP and i not in inputs and (used[i] or live[i]):
            body.append("v%d = _v[%d]" % (i, i))
    bound = ["v%d" % i if i in inputs or kind[i] != OP and (used[i] or live[i]) else "_v[%d]" % i
             for i in range(n)]
    body.append("_bound = [%s]" % ", ".join(bound))  # g.value with the bindings
    for i in range(n):
        op = ops[i]
        if op is None or not live[i]:
            continue
        args = ["v%d" % a for a in ids[first[i]:first[i + 1]]]
        body.append("v%d = %s" % (i, fewer_calls(op.value_template(len(args)).format(*args))))
    body.append("_values = [%s]" % ", ".join(  # _bound with the live ops' values
        "v%d" % i if ops[i] is not None and live[i] else bound[i] for i in range(n)))
    # 0.0 * v is 0 for every finite v and nan otherwise: one product says whether
    # every value is finite (in groups, since one long product nests too deep to compile).
    # Where no op absorbs a non-finite value it reaches an output: only the outputs
    # and the arguments that an op could absorb need checking (as in the step loop).
    checks = dict.fromkeys(out for _, out in g.outputs if ops[out] is not None)
    for i in range(n):
        op = ops[i]
        if op is not None and live[i]:
            of = ids[first[i]:first[i + 1]]
            for a, absorbs in zip(of, absorbing(op, len(of))):
                if absorbs and ops[a] is not None:
                    checks[a] = None
    body += _finite("_c", ["v%d" % i for i in checks])
    outs = []
    for k, (_, out) in enumerate(g.outputs):
        body.append("d%d = 1.0" % out)
        assigned = [False] * n
        assigned[out] = True
        for i in range(out, -1, -1):
            op = ops[i]
            if not assigned[i] or op is None or not needs[i]:
                continue
            arg_ids = list(ids[first[i]:first[i + 1]])
            xs = ["v%d" % j for j in arg_ids]
            partials = op.partial_templates(len(arg_ids))
            for m, j in enumerate(arg_ids):
                if not needs[j]:
                    continue
                term = "d%d" % i if op.routes_gradient else "%s * d%d" % (
                    paren(fewer_calls(partials[m].format(*xs, out="v%d" % i))), i)
                body.append("d%d %s= %s" % (j, "+" if assigned[j] else "", term))
                assigned[j] = True
        body.append("_g%d = [%s]" % (k, ", ".join("d%d" % i if assigned[i] else "None" for i in range(n))))
        body += _finite("_i%d" % k, ["d%d" % i for i in g.inputs.values() if assigned[i]])
        outs.append("_g%d" % k)
    body.append("return _bound, _values, (%s%s), _c == 0.0, (%s%s)" % (
        ", ".join(outs), "," if len(outs) == 1 else "",
        ", ".join("_i%d == 0.0" % k for k in range(len(outs))), "," if len(outs) == 1 else ""))
    text = "\n".join(body)
    helpers_ = sorted(set(_HELPER_WORDS.findall(text)) & set(HELPERS))
    params = ["_v", "_t"] + ["%s=%s" % (h, h) for h in helpers_]  # local names are the fastest
    return "def _eval(%s):\n    %s\n" % (", ".join(params), "\n    ".join(body))


def _finite(name: str, terms: list[str]) -> list[str]:
    """Lines setting `name` to 0.0 when every term is finite, to nan otherwise."""
    lines = ["%s = 0.0" % name]
    for c in range(0, len(terms), 64):
        lines.append("%s = %s" % (name, " * ".join([name] + terms[c:c + 64])))
    return lines


def evaluator(g: Graph):
    """evaluator_source(g), compiled."""
    return _compiled(evaluator_source(g), "_eval")


def _compiled(source: str, name: str):
    namespace = dict(NAMESPACE)
    exec(compile(source, "<gradcli program>", "exec"), namespace)  # from the validated graph only
    return namespace[name]


def lean_source(g: Graph) -> str:
    """`_lean(_t, _v)`: what Program's results hold at first, from the inputs'
    values _t (in the order of g.inputs) and g.value _v: every output's value,
    and per output every input's gradient (in that order) as Result.gradients gives it:

        v0, v1, = _t                       the inputs
        v2 = v0 * v1                       the live ops, in node order
        d0 = v1                            per output: engine.backward's order;
        _g0 = (d0 or 0.0, ...)             a gradient handed on unchanged gets no line
        _c = 0.0 * sum((v2, ...))          every value and input gradient finite?
        _c = _c * sum(_g0)
        if _c == 0.0:
            return (v2,), (_g0,)

    The same operations in the same order as evaluator_source, so the same bits,
    without its lists of every node (the Result makes those when asked, with
    evaluator_source's code). None where the interpreter has more to say: a
    value or an input's gradient not finite, a node on a kink. It raises
    ValueError, ZeroDivisionError or OverflowError where the interpreter
    raises MathError."""
    n = len(g.kind)
    kind, ops, live, needs = g.kind, g.op, g.live, g.needs
    ids, first = g.args.ids, g.args.first
    inputs = g.inputs
    body: list[str] = []
    if inputs:
        body.append("%s, = _t" % ", ".join("v%d" % i for i in inputs.values()))
    at = set(inputs.values())
    used = [False] * n
    for i in range(n):
        if ops[i] is not None and live[i]:
            for a in ids[first[i]:first[i + 1]]:
                used[a] = True
    for _, out in g.outputs:
        used[out] = True
    for i in range(n):
        if kind[i] != OP and i not in at and used[i]:
            body.append("v%d = _v[%d]" % (i, i))
    kinks = []
    checks = dict.fromkeys("v%d" % out for _, out in g.outputs if ops[out] is not None)
    for i in range(n):
        op = ops[i]
        if op is None or not live[i]:
            continue
        of = ids[first[i]:first[i + 1]]
        args = ["v%d" % a for a in of]
        body.append("v%d = %s" % (i, op.value_template(len(args)).format(*args)))
        for a, absorbs in zip(of, absorbing(op, len(of))):
            if absorbs and ops[a] is not None:
                checks["v%d" % a] = None
        kink = op.kink_template(len(args))
        if kink and needs[i]:
            kinks.append("(%s)" % kink.format(*args, out="v%d" % i))
    # Is every value finite? 0.0 * x is 0.0 for a finite x, nan otherwise; the sum, in C,
    # is not finite when a term is not (or when finite terms overflow: the interpreter then runs).
    body.append("_c = 0.0 * sum(%s)" % _tuple(checks))
    outs = []
    for k, (_, out) in enumerate(g.outputs):
        grad: dict[int, str] = {out: "1.0"}  # node -> d output / d node: a variable, or 1.0
        for i in range(out, -1, -1):
            op = ops[i]
            if i not in grad or op is None or not needs[i]:
                continue
            arg_ids = list(ids[first[i]:first[i + 1]])
            xs = ["v%d" % j for j in arg_ids]
            partials, floats, up = op.partial_templates(len(xs)), float_partials(op, len(xs)), grad[i]
            for m, j in enumerate(arg_ids):
                if not needs[j]:
                    continue
                # 1.0 * d and d * 1.0 are d, (-1.0) * d is -d, bit for bit (d is a float).
                local = "" if op.routes_gradient else paren(partials[m].format(*xs, out="v%d" % i))
                if not local or local in ("1.0", "(1.0)"):
                    term = up
                elif up == "1.0" and floats[m]:
                    term = local
                elif local == "(-1.0)":
                    term = "-" + up
                else:
                    term = "%s * %s" % (local, up)
                mine = "d%d" % j
                if j not in grad:
                    if term == "1.0" or _IDENT.match(term):
                        grad[j] = term  # the same float handed on: no line of its own
                    else:
                        body.append("%s = %s" % (mine, term))
                        grad[j] = mine
                elif grad[j] == mine:
                    body.append("%s += %s" % (mine, term))
                else:
                    body.append("%s = %s + (%s)" % (mine, grad[j], term))
                    grad[j] = mine
        body.append("_g%d = %s" % (k, _tuple(  # -0.0 or 0.0 is 0.0, as in Result.gradients
            "0.0" if i not in grad else grad[i] if grad[i] == "1.0" else grad[i] + " or 0.0"
            for i in inputs.values())))
        body.append("_c = _c * sum(_g%d)" % k)
        outs.append("_g%d" % k)
    for c in range(0, len(kinks), 64):
        body += ["if %s:" % " or ".join(kinks[c:c + 64]), "    return None"]
    # A value or gradient used once is written into the line that uses it: the
    # checks, the kinks and the results name theirs, so those are never inlined.
    outputs = {"v%d" % out for _, out in g.outputs}
    temps = ["v%d" % i for i in range(n) if ops[i] is not None and live[i]] + ["d%d" % i for i in range(n)]
    # Calls made once after inlining, so that no inlined value comes between a call and its reuse.
    body = [fewer_calls(line) for line in inline(body, [t for t in temps if t not in outputs])]
    body += ["if _c == 0.0:", "    return %s, %s" % (_tuple("v%d" % out for _, out in g.outputs), _tuple(outs))]
    text = "\n".join(body)
    helpers_ = sorted(set(_HELPER_WORDS.findall(text)) & set(HELPERS))
    params = ["_t", "_v"] + ["%s=%s" % (h, h) for h in helpers_]
    return "def _lean(%s):\n    %s\n" % (", ".join(params), "\n    ".join(body))


def _tuple(items) -> str:
    """A tuple display: (), (a,), (a, b)."""
    items = list(items)
    return "(%s%s)" % (", ".join(items), "," if len(items) == 1 else "")


def lean(g: Graph):
    """lean_source(g), compiled."""
    return _compiled(lean_source(g), "_lean")


# --- Self-contained functions for --emit (Python and JavaScript) -------------
#
# python_function above serves the step-loop compiler (gradients as a tuple);
# the functions below write code for people: inputs by name with the program's
# values as defaults, gradients keyed by the original input names, and a
# comment on each line naming the gate it computes or backprops.

EMIT_PYTHON_RESERVED = PYTHON_RESERVED | frozenset(dir(builtins))
_HELPER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def gate_text(code: Code, i: int) -> str:
    """Node i as the gate it is, over the code's names: `t1 = a * x`, `s = sig(t4)`."""
    g = code.graph
    op = g.op[i]
    assert op is not None
    args = [code.value_of(a) for a in g.args[i]]
    if op.symbol and len(args) == 2:
        body = "%s %s %s" % (args[0], op.symbol, args[1])
    elif op.symbol and len(args) == 1:
        body = op.symbol + args[0]
    else:
        body = "%s(%s)" % (op.name, ", ".join(args))
    return "%s = %s" % (code.names[i], body)


def helpers(codes: list[Code]) -> list[str]:
    """The op-table helpers (exp, log, LN2, ...) the code calls, sorted."""
    found: set[str] = set()
    for code in codes:
        for text in [line.expr for line in code.forward + code.backward] + _bodies(code):
            found.update(n for n in _HELPER.findall(text) if n in NAMESPACE and n not in code.functions)
    return sorted(found)


def _bodies(code: Code) -> list[str]:
    return [body for _, body, _ in code.functions.values()]


def _function_doc(gate: str, params: tuple[str, ...], which: int | None, rule: str) -> str:
    """What a named gate computes, as the tutorials write it: its value, or
    (which: the argument) its slope."""
    call = "%s(%s)" % (gate, ", ".join(params))
    if which is None:
        return "%s, to the last digit" % call
    head = "d %s / d %s" % (gate, params[which]) + (" = %s" % rule if rule else "")
    out = ", out being %s" % call if "out" in re.findall(r"\w+", rule) else ""
    return head + out + "; computed to the last digit"


def _python_functions(codes: list[Code]) -> list[str]:
    seen: dict[str, str] = {}
    for code in codes:
        for name, (params, body, doc) in code.functions.items():
            if name not in seen:
                seen[name] = 'def %s(%s):\n    """%s"""\n    return %s' % (
                    name, ", ".join(params), _py_doc(doc), body)
    return list(seen.values())


def _comment(code: Code, line: Line, backward: bool) -> str:
    g = code.graph
    if backward:
        if line.node == code.output and line.target == code.grad_names[line.node]:
            return "the output's gradient with respect to itself starts the chain"
        return "backprop " + gate_text(code, line.node)
    label = g.label(line.node)
    return label if label != line.target else ""


def python_source(codes: list[Code], names: list[str]) -> str:
    """A Python module: one `name(**inputs) -> (value, {input: gradient})` per
    code, with the math helpers it needs imported at the top."""
    used = helpers(codes)
    funcs = [n for n in used if HELPERS[n].python == "math"]
    head = ["# generated by gradcli: forward and backward pass as straight-line code"]
    if funcs:
        head.append("from math import %s" % ", ".join(funcs))
    head += ["%s = %r" % (n, HELPERS[n].value) for n in used if HELPERS[n].python == "constant"]
    parts = ["\n".join(head)] + _python_functions(codes)
    for code, name in zip(codes, names):
        parts.append(_python_def(code, name))
    return "\n\n\n".join(parts) + "\n"


def _python_def(code: Code, name: str) -> str:
    g = code.graph
    keys = "{%s}" % ", ".join(_py_str(n) for n, _ in code.inputs)
    out_label = g.label(code.output)
    body = ['"""%s and its gradient with respect to each input, by backpropagation.\n\n'
            '    Call with the inputs by name; each defaults to the value it had in gradcli."""'
            % _py_doc(out_label)]
    if code.inputs:
        body += ["if not inputs.keys() <= %s:" % keys,
                 "    raise TypeError(\"unknown inputs: %%s\" %% sorted(inputs.keys() - %s))" % keys]
    else:
        body += ["if inputs:", "    raise TypeError(\"unknown inputs: %s\" % sorted(inputs))"]
    for n, i in code.inputs:
        body.append("%s = inputs.get(%s, %s)" % (code.names[i], _py_str(n), _default(g.value[i])))
    body += _lines(code, "# ")
    grads = ", ".join("%s: %s" % (_py_str(n), code.grad_names.get(i, "0.0")) for n, i in code.inputs)
    body.append("return %s, {%s}" % (code.value_of(code.output), grads))
    return "def %s(**inputs):\n    %s" % (name, "\n    ".join(body))


def _lines(code: Code, comment: str, end: str = "", convert=lambda e: e, declare: str = "") -> list[str]:
    """Both passes as statements with comments; `declare` goes before a name's
    first assignment (JavaScript's var)."""
    out: list[str] = []
    seen: set[str] = set()
    for title, lines, backward in (("forward pass", code.forward, False),
                                   ("backward pass, in reverse order", code.backward, True)):
        if not lines:
            continue
        out.append(comment + title)
        for line in lines:
            first = line.target not in seen
            seen.add(line.target)
            text = "%s%s %s= %s%s" % (declare if first else "", line.target, "+" if line.add else "",
                                      convert(line.expr), end)
            note = _comment(code, line, backward)
            out.append(text + ("  %s%s" % (comment, note) if note else ""))
    return out


def _py_str(s: str) -> str:
    return '"%s"' % s  # names are identifiers: nothing to escape


def _default(value: float | None) -> str:
    """An input's default: its value (-0.0 included), or 0.0 when unbound."""
    return literal(0.0 if value is None else value)


def _js_key(name: str) -> str:
    # In an object literal "__proto__": v sets the prototype; a computed key is an own property.
    return '["__proto__"]' if name == "__proto__" else _py_str(name)


def _py_doc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"""', "'''")


def js_source(codes: list[Code], names: list[str]) -> str:
    """JavaScript: one `function name(inputs) -> {value, grads}` per code; the
    math helpers are bound inside each function, as the op table writes them
    in JavaScript. Raises ProgramError when an op has no JavaScript form."""
    for code in codes:
        _refuse_without_js(code)
    parts = ["// generated by gradcli: forward and backward pass as straight-line code"]
    for code, name in zip(codes, names):
        parts.append(_js_function(code, name))
    return "\n\n".join(parts) + "\n"


def _refuse_without_js(code: Code) -> None:
    g = code.graph
    bodies = dict(zip(code.functions, _bodies(code)))
    for line in code.forward + code.backward:
        called = [bodies[n] for n in _HELPER.findall(line.expr) if n in bodies]
        for n in _HELPER.findall(" ".join([line.expr] + called)):
            if n in HELPERS and HELPERS[n].js is None:
                op = g.op[line.node]
                assert op is not None
                needs = "" if n == op.name else " (it needs %s, which JavaScript lacks)" % n
                raise ProgramError("%s has no JavaScript form%s; emit Python instead" % (op.name, needs),
                                   span=g.span[line.node], source=g.source,
                                   hint="the op table has no JavaScript for %s; emitted Python has every op" % n)


def _js_function(code: Code, name: str) -> str:
    g = code.graph
    used = helpers([code])
    body = []
    funcs = [n for n in used if callable(NAMESPACE[n])]
    forms = {n: HELPERS[n].js or "" for n in used}
    # Math's functions share one line; a function written out (one Math lacks) gets its own.
    short = [n for n in funcs if "\n" not in forms[n]]
    if short:
        body.append("var %s;" % ", ".join("%s = %s" % (n, forms[n]) for n in short))
    body += ["var %s = %s;" % (n, forms[n].replace("\n", "\n  ")) for n in funcs if n not in short]
    body += ["var %s = %s;" % (n, forms[n]) for n in used if not callable(NAMESPACE[n])]
    for fname, (params, text, doc) in code.functions.items():
        body.append("function %s(%s) {  // %s\n    return %s;\n  }"
                    % (fname, ", ".join(params), doc, js_expr(text)))
    for n, i in code.inputs:
        body.append("var %s = (%s in inputs) ? inputs[%s] : %s;"
                    % (code.names[i], _py_str(n), _py_str(n), _default(g.value[i])))
    body += _lines(code, "// ", ";", js_expr, "var ")
    grads = ", ".join("%s: %s" % (_js_key(n), code.grad_names.get(i, "0.0")) for n, i in code.inputs)
    body.append("return {value: %s, grads: {%s}};" % (code.value_of(code.output), grads))
    doc = "// %s and its gradient with respect to each input, by backpropagation." % g.label(code.output)
    return "%s\nfunction %s(inputs) {\n  inputs = Object.assign(Object.create(null), inputs);  // own keys only\n  %s\n}" % (doc, name, "\n  ".join(body))


def js_expr(py: str) -> str:
    """A template-made Python expression in JavaScript. The templates use
    arithmetic, comparisons, calls and `A if C else B`; only the last differs,
    and becomes `C ? A : B` (both bind loosest and group to the right). Inner
    parentheses are converted first, with a stack instead of recursion."""
    stack: list[list[str]] = [[]]
    for ch in py:
        if ch == "(":
            stack.append([])
        elif ch == ")":
            inner = _js_conditional("".join(stack.pop()))
            stack[-1].append("(%s)" % inner)
        else:
            stack[-1].append(ch)
    assert len(stack) == 1, py
    return _js_conditional("".join(stack[0]))


def _top_level(text: str, word: str, start: int = 0) -> int:
    """Index of `word` in text outside parentheses, or -1."""
    depth = 0
    for k in range(start, len(text)):
        ch = text[k]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and text.startswith(word, k):
            return k
    return -1


def _js_conditional(text: str) -> str:
    """`A if C else B if D else E` (parentheses already converted) -> `C ? A : D ? B : E`."""
    out = []
    while True:
        i = _top_level(text, " if ")
        if i < 0:
            out.append(text.strip())
            return " : ".join(out)
        j = _top_level(text, " else ", i)
        out.append("%s ? %s" % (text[i + 4:j].strip(), text[:i].strip()))
        text = text[j + 6:]
