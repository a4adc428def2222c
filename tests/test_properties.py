"""Random expressions and programs over the whole op table: the reverse pass
against sympy's symbolic derivative and against central differences, and the
generated straight-line code against the interpreter, bit for bit.

Points outside a domain (a MathError) or on a kink (a note) are assumed away:
these tests are about smooth points. GRADCLI_HYPOTHESIS_EXAMPLES raises the
number of examples (see docs/development.md)."""
from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import assume, example, given, note, strategies as st

import gradcli
from gradcli import MathError
from gradcli.codegen import compile_python, generate, python_function
from gradcli.engine import evaluate as run, forward
from gradcli.ops import FUNCTIONS, OPS

VARS = ("x", "y", "z")
SYMBOLS = {n: sp.Symbol(n, real=True) for n in VARS}

# The independent reference: each op as sympy writes it.
SYMPY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, b: a ** b,
    "exp": sp.exp,
    "log": sp.log,
    "log2": lambda a: sp.log(a, 2),
    "log10": lambda a: sp.log(a, 10),
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "sig": lambda a: 1 / (1 + sp.exp(-a)),
    "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "atan2": sp.atan2,
    "erf": sp.erf,
    "relu": lambda a: sp.Max(a, 0),
    "softplus": lambda a: sp.log(1 + sp.exp(a)),
    "logsigmoid": lambda a: -sp.log(1 + sp.exp(-a)),
    "log1p": lambda a: sp.log(1 + a),
    "expm1": lambda a: sp.exp(a) - 1,
    "hypot": lambda *a: sp.sqrt(sum(x ** 2 for x in a)),
    "logsumexp": lambda *a: sp.log(sum(sp.exp(x) for x in a)),
    "max": lambda *a: sp.Max(*a),
    "min": lambda *a: sp.Min(*a),
    # Comparisons and logic: 1 or 0; a condition is true when it is not 0.
    "eq": lambda a, b: _truth(_rel(sp.Eq, a, b)),
    "ne": lambda a, b: _truth(_rel(sp.Ne, a, b)),
    "lt": lambda a, b: _truth(_rel(sp.Lt, a, b)),
    "le": lambda a, b: _truth(_rel(sp.Le, a, b)),
    "gt": lambda a, b: _truth(_rel(sp.Gt, a, b)),
    "ge": lambda a, b: _truth(_rel(sp.Ge, a, b)),
    "and": lambda a, b: _truth(sp.And(_rel(sp.Ne, a, 0), _rel(sp.Ne, b, 0))),
    "or": lambda a, b: _truth(sp.Or(_rel(sp.Ne, a, 0), _rel(sp.Ne, b, 0))),
    "not": lambda a: _truth(_rel(sp.Eq, a, 0)),
    "where": lambda c, a, b: sp.Piecewise((a, _rel(sp.Ne, c, 0)), (b, True)),
}

def _rel(relation, a, b):
    """A comparison sympy decides only for numbers: left to itself, it decides
    Ne(asin(...), 0) by the expression's shape, not by its value."""
    a, b = sp.sympify(a), sp.sympify(b)
    return relation(a, b) if a.is_number and b.is_number else relation(a, b, evaluate=False)


def _truth(condition):
    return sp.Piecewise((1, condition), (0, True))


# Small exact constants, so sympy sees the same numbers gradcli does.
CONSTANTS = ("1", "2", "3", "0.5", "1.5", "0.25")


def test_every_op_has_a_sympy_reference():
    assert set(OPS) == set(SYMPY), "add the new op to SYMPY above"


# --- expressions as trees: ("var", name) | ("num", text) | ("op", name, children)

def _arity(name):
    op = OPS[name]
    return st.integers(op.arity, op.arity + 2) if op.variadic else st.just(op.arity)


def _apply(children):
    return st.sampled_from(sorted(OPS)).flatmap(
        lambda name: _arity(name).flatmap(
            lambda n: st.lists(children, min_size=n, max_size=n).map(lambda args: ("op", name, tuple(args)))))


leaves = st.one_of(st.sampled_from(VARS).map(lambda v: ("var", v)),
                   st.sampled_from(CONSTANTS).map(lambda c: ("num", c)))
trees = st.recursive(leaves, _apply, max_leaves=7)
points = st.fixed_dictionaries({v: st.floats(-3, 3, allow_nan=False).map(lambda t: round(t, 3) + 0.0) for v in VARS})  # no -0.0: sympy has one zero


def fold(tree, leaf, apply):
    """Postorder over a tree: leaf(tag, value) at the leaves, apply(name, args)
    at the gates. Iterative, like gradcli itself."""
    out: list = []
    stack = [(tree, False)]
    while stack:
        t, ready = stack.pop()
        if t[0] in ("var", "num", "ref"):
            out.append(leaf(t[0], t[1]))
        elif not ready:
            stack.append((t, True))
            stack.extend((c, False) for c in reversed(t[2]))
        else:
            n = len(t[2])
            args = out[-n:]
            del out[-n:]
            out.append(apply(t[1], args))
    return out[0]


def to_text(tree) -> str:
    """gradcli source, fully parenthesised."""
    def apply(name, args):
        if name in FUNCTIONS:
            return "%s(%s)" % (name, ", ".join(args))
        if len(args) == 1:
            return "(%s %s)" % (OPS[name].symbol, args[0])
        return "(%s %s %s)" % (args[0], OPS[name].symbol, args[1])
    return fold(tree, lambda tag, value: value, apply)


def to_sympy(tree, env=None):
    """The same tree as a sympy expression; None outside the reals."""
    def leaf(tag, value):
        return SYMBOLS[value] if tag == "var" else sp.Rational(value) if tag == "num" else env[value]

    def apply(name, args):
        if any(a is None for a in args):
            return None
        try:
            return SYMPY[name](*args)
        except (ValueError, TypeError):  # Max(acos(2), x): outside the reals; gradcli refuses too
            return None
        except (RecursionError, KeyError):  # sympy's assumptions recursing on a deep nest: no reference here
            assume(False)
    return fold(tree, leaf, apply)


def exact(e, point) -> complex:
    """sympy's value at the point, to 40 digits. A point where it is not a
    finite real (a pole such as tan(pi/2), where floating point still gives a
    large finite number) is not a smooth point: assumed away."""
    try:
        v = complex(e.subs({SYMBOLS[k]: sp.Rational(repr(x)) for k, x in point.items()}).evalf(40))
    except TypeError:  # a Piecewise comparing a complex infinity (x >= 0**-1): no reference here
        assume(False)
    assume(math.isfinite(v.real) and math.isfinite(v.imag))
    return v


def stable(e, point) -> complex:
    """exact(e, point), assuming away points where e is ill-conditioned: where
    nudging an input by 1e-10 (relative) moves e by more than 1e-5 (relative),
    no double-precision evaluation can promise 1e-9 (tan(cosh(21)), say)."""
    v = exact(e, point)
    for name in VARS:
        if e.has(SYMBOLS[name]):
            x = point[name]
            moved = exact(e, {**point, name: x + 1e-10 * max(abs(x), 1e-3)})
            assume(abs(moved - v) <= 1e-5 * abs(v) + 1e-12)
    return v


def close(got: float, want: complex, rel=1e-9, floor=1e-12) -> bool:
    if abs(want.imag) > 1e-30 * max(1.0, abs(want.real)):
        return False
    return abs(got - want.real) <= rel * abs(want.real) + floor


def smooth_result(text, point):
    """The first output of `text` at `point`, or assume it away where gradcli
    rightly refuses (a domain) or lands on a kink."""
    try:
        results = gradcli.evaluate(text, point)
    except MathError:
        assume(False)
    r = results[0]
    assume(not r.notes)
    # A condition that is exactly 0 sits on the edge between its two values
    # (where(x, ...) at x = 0, not x at 0): a jump no stencil can straddle.
    g = r.graph
    for i, op in enumerate(g.op):
        if op is not None and (op.branches or op.name in ("and", "or", "not")):
            conditions = g.args[i][:1] if op.branches else g.args[i]
            assume(all(r.values[a] != 0.0 for a in conditions))
    return r


# --- the reverse pass against sympy and against central differences -------------

@given(trees, points)
def test_reverse_pass_matches_sympy(tree, point):
    text = to_text(tree)
    note(text)
    r = smooth_result(text, point)
    f = to_sympy(tree)
    assert f is not None
    value = stable(f, point)
    assert close(r.value, value), (r.value, value)
    for v in VARS:
        got = r.gradients.get(v, 0.0)
        want = stable(sp.diff(f, SYMBOLS[v]), point)
        assert close(got, want), (v, got, want)


def _values_at(g, point):
    for name, value in point.items():
        if name in g.inputs:
            g.value[g.inputs[name]] = value
    return forward(g)


@given(trees, points)
@example(("op", "abs", (("op", "atan2", (("var", "x"), ("var", "z"))),)), {"x": 0.0, "y": 0.0, "z": -1.0})
def test_reverse_pass_matches_central_differences(tree, point):
    text = to_text(tree)
    note(text)
    r = smooth_result(text, point)
    f = to_sympy(tree)
    exact(f, point)  # assumes away poles, where floating point gives a finite value
    g = gradcli.compile(text, point)
    out = g.outputs[0][1]
    for v in VARS:
        got = r.gradients.get(v, 0.0)
        fds = []
        for h in (1e-5 * max(1.0, abs(point[v])), 0.5e-5 * max(1.0, abs(point[v]))):
            fs = []
            try:
                for k in (-2, -1, 1, 2):
                    fs.append(_values_at(g, {**point, v: point[v] + k * h})[out])
            except MathError:
                assume(False)
            # A jump within h (atan2's branch cut, a max switching sides) is not smooth,
            # nor is a kink (abs(atan2(x, z)) on the cut): the slopes left and right differ.
            assume(abs(fs[2] - fs[1]) <= 10 * 2 * h * max(abs(got), 1.0))
            assume(abs((fs[3] - fs[2]) - (fs[1] - fs[0])) <= 1e-2 * h * max(abs(got), 1.0))
            fds.append((fs[0] - 8 * fs[1] + 8 * fs[2] - fs[3]) / (12 * h))
        fd = fds[1]
        scale = max(abs(got), abs(fd), abs(r.value), 1.0)
        # Where the stencil has not converged (near a pole), it is no reference.
        assume(abs(fds[0] - fds[1]) <= 1e-7 * scale)
        assert abs(got - fd) <= 1e-6 * scale, (v, got, fd)


# --- programs: reused intermediates, reassignment, augmented assignment ---------

@st.composite
def programs(draw):
    """(source, sympy value of the output): statements that reuse earlier names."""
    names: list[str] = []
    env: dict = {}
    lines = []
    for k in range(draw(st.integers(1, 4))):
        refs = st.sampled_from(names).map(lambda n: ("ref", n)) if names else st.nothing()
        local = st.recursive(st.one_of(leaves, refs), _apply, max_leaves=4)
        tree = draw(local)
        name = draw(st.sampled_from(["t%d" % k, "t%d" % k, names[-1] if names else "t0"]))
        aug = draw(st.sampled_from(["", "", "+", "*", "-"])) if name in env else ""
        value = to_sympy(tree, env)
        if value is None or (aug and env[name] is None):
            value = None
        elif aug:
            value = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "-": lambda a, b: a - b}[aug](env[name], value)
        lines.append("%s %s= %s" % (name, aug, to_text(tree)))
        env[name] = value
        if name not in names:
            names.append(name)
    last = lines[-1].split(" ")[0]
    return draw(st.sampled_from([";", "\n"])).join(lines), env[last]


@given(programs(), points)
def test_programs_match_sympy(program, point):
    text, f = program
    note(text)
    r = smooth_result(text, point)
    assume(f is not None)  # only where sympy cannot leave the reals and gradcli must refuse
    value = stable(f, point)
    assert close(r.value, value), (r.value, value)
    for v in VARS:
        want = stable(sp.diff(f, SYMBOLS[v]), point)
        assert close(r.gradients.get(v, 0.0), want), (v, r.gradients.get(v), want)


# --- the generated code against the interpreter ---------------------------------

def same_bits(a: float, b: float) -> bool:
    return a.hex() == b.hex() if a == a else b != b


def check_codegen(text, point, say=lambda s: None):
    g = gradcli.compile(text, point)
    results = run(g)
    for r in results:
        code = generate(g, r.output)
        say(python_function(code))
        fn = compile_python(code)
        value, grads = fn(*(g.value[i] for _, i in code.inputs))
        assert same_bits(float(value), r.value)
        assert len(grads) == len(code.inputs)
        for (name, i), d in zip(code.inputs, grads):
            want = 0.0 if r.grads[i] is None else r.grads[i]
            assert same_bits(float(d), want), name


@given(st.one_of(trees.map(to_text), programs().map(lambda p: p[0])), points)
def test_generated_code_agrees_with_the_interpreter_bit_for_bit(text, point):
    note(text)
    try:
        check_codegen(text, point, note)
    except MathError:
        assume(False)


def test_fan_out_adds_gradients():
    # habit 3 of STYLE.md: y = x*x; z = y + y
    r = gradcli.grad("y = x*x; z = y + y", x=3.0)
    assert r.value == 18.0 and r.gradients == {"x": 12.0}


@pytest.mark.parametrize("text", ["x*x", "sig(x)*sig(x) + x", "q = x*y; q*q + q", "x = x*2; x *= x; x",
                                  "max(x, y, 1) + min(x)", "relu(x) * abs(y) + 2^x + x^2 + atan2(y, x)",
                                  "x*y; x+y; 3",
                                  # names that collide with the generated code's own
                                  "exp = 1.5; max = 2; LN2 = 3; dexp = 4; t1 = 5; exp*max + LN2*dexp + t1 + "
                                  "log2(exp + x) + max(exp, max, x)",
                                  "None = 1; True = 2; lambda = 3; print = 4; forward_backward = 5; "
                                  "None*True*lambda*print*forward_backward*x",
                                  "inputs = 1; grads = 2; d = 3; dd = 4; ddd = d*dd; dx = x; inputs*grads*ddd*dx"])
def test_generated_code_on_fixed_programs(text):
    check_codegen(text, {"x": 0.7, "y": -1.3, "z": 2.0})
