"""Every op of the table against central differences, the conventions at
kinks, and the errors outside each op's domain."""
from __future__ import annotations

import itertools
import math

import pytest

import gradcli
from gradcli import MathError
from gradcli.ops import FUNCTIONS, OPS

# Candidate points: away from 0 and from ±1 (the edges of asin/acos), with
# distinct magnitudes so max/min never tie.
GRID = (-1.7, -0.6, 0.35, 0.8, 1.9, 2.6)
MIN_POINTS = 3


def source_of(name: str, n: int) -> str:
    """How a program writes op `name` applied to inputs a0, a1, ..."""
    args = ["a%d" % k for k in range(n)]
    op = OPS[name]
    if name in FUNCTIONS:
        return "%s(%s)" % (name, ", ".join(args))
    if n == 1:
        return "%s %s" % (op.symbol, args[0])
    assert op.symbol and n == 2, "no way to write op %s: give it a name or a symbol" % name
    return "%s %s %s" % (args[0], op.symbol, args[1])


def arities(name: str) -> list[int]:
    op = OPS[name]
    return [op.arity, op.arity + 1, op.arity + 2] if op.variadic else [op.arity]


CASES = [(name, n) for name in OPS for n in arities(name)]


def value_fn(name: str, n: int):
    return OPS[name].functions(n)[0]


def smooth_points(name: str, n: int) -> list[tuple[float, ...]]:
    """Grid points where the op and its neighbourhood are defined, finite and
    away from kinks."""
    fn, partials, kink = OPS[name].functions(n)
    points = []
    for xs in itertools.product(GRID, repeat=n):
        try:
            out = fn(*xs)
            ds = [p(out, *xs) for p in partials]
            near = [fn(*(x + s * 1e-2 * (k == j) for k, x in enumerate(xs))) for j in range(n) for s in (-1, 1)]
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if not all(math.isfinite(v) for v in [out, *ds, *near]):
            continue
        if kink is not None and kink(out, *xs):
            continue
        points.append(xs)
    # Spread over the grid rather than the first few corners.
    step = max(1, len(points) // 8)
    return points[::step]


def central_difference(f, xs: tuple[float, ...], k: int) -> float:
    """d f / d x_k by the five-point stencil: error O(h^4)."""
    h = 1e-5 * max(1.0, abs(xs[k]))

    def at(d):
        return f(*(x + d * h if j == k else x for j, x in enumerate(xs)))

    return (at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * h)


@pytest.mark.parametrize("name, n", CASES, ids=["%s/%d" % c for c in CASES])
def test_every_partial_matches_central_differences(name, n):
    points = smooth_points(name, n)
    assert len(points) >= MIN_POINTS, "op %s: too few smooth points on the grid %s" % (name, GRID)
    text = source_of(name, n)
    f = value_fn(name, n)
    for xs in points:
        bindings = {"a%d" % k: x for k, x in enumerate(xs)}
        r = gradcli.grad(text, **bindings)
        assert r.value == f(*xs)
        assert not r.notes
        for k in range(n):
            want = central_difference(f, xs, k)
            got = r.gradients["a%d" % k]
            assert got == pytest.approx(want, rel=1e-7, abs=1e-9), (text, xs, k)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_a_rule_and_a_partial_per_argument(name):
    op = OPS[name]
    for n in arities(name):
        assert len(op.partial_templates(n)) == n
        assert len(op.rule_templates(n)) == n


@pytest.mark.parametrize("text, value, grads", [
    ("x^2", 4.0, {"x": -4.0}),             # a negative base with a whole exponent
    ("x^3", -8.0, {"x": 12.0}),
    ("x^-1", -0.5, {"x": -0.25}),
    ("(-2)^2", 4.0, {}),
    ("-x^2", -4.0, {"x": 4.0}),
    ("(-x)^2", 4.0, {"x": -4.0}),
])
def test_negative_bases(text, value, grads):
    r = gradcli.evaluate(text, {"x": -2.0} if "x" in text else {})[0]
    assert r.value == value
    assert r.gradients == grads


def test_known_values_by_hand():
    # a few exact ones, independent of the op table's own templates
    cases = {
        "sig(0)": 0.5, "softplus(0)": math.log(2), "relu(-3)": 0.0, "relu(3)": 3.0, "abs(-3)": 3.0,
        "log2(8)": 3.0, "log10(1000)": 3.0, "ln(1)": 0.0, "sqrt(16)": 4.0, "atan2(1, 1)": math.pi / 4,
        "max(1, 5, 3)": 5.0, "min(4, -2, 7)": -2.0, "pow(2, 10)": 1024.0, "tanh(0)": 0.0, "cosh(0)": 1.0,
        "acos(-1)": math.pi, "asin(1)": math.pi / 2, "atan(1)": math.pi / 4, "exp(0)": 1.0,
        "sigmoid(0)": 0.5, "Math.max(2, 3)": 3.0,
    }
    for text, want in cases.items():
        assert gradcli.grad(text).value == pytest.approx(want, rel=1e-15), text


def test_sig_and_softplus_stay_finite_far_out():
    assert gradcli.grad("sig(x)", x=-1000.0).value == 0.0
    assert gradcli.grad("sig(x)", x=1000.0).gradients == {"x": 0.0}
    r = gradcli.grad("softplus(x)", x=1000.0)
    assert r.value == 1000.0 and r.gradients == {"x": 1.0}
    r = gradcli.grad("softplus(x)", x=-50.0)
    assert r.value == pytest.approx(math.exp(-50), rel=1e-12)
    assert r.gradients["x"] == pytest.approx(1 / (1 + math.exp(50)), rel=1e-12)


# --- kinks ----------------------------------------------------------------------

@pytest.mark.parametrize("text, x, grad, node, convention", [
    ("relu(x)", 0.0, 0.0, "relu(x)", "relu'(0) = 0"),
    ("relu(x - 2)", 2.0, 0.0, "relu(x - 2)", "relu'(0) = 0"),
    ("abs(x)", 0.0, 0.0, "abs(x)", "abs'(0) = 0"),
    ("3 * abs(x + 1)", -1.0, 0.0, "abs(x + 1)", "abs'(0) = 0"),
    ("max(x, 2)", 2.0, 0.5, "max(x, 2)", "tied arguments share the gradient evenly"),
    ("min(x, 2)", 2.0, 0.5, "min(x, 2)", "tied arguments share the gradient evenly"),
    ("max(x, 2, 1)", 2.0, 0.5, "max(x, 2, 1)", "share the gradient evenly"),
    ("max(x, 2, 2)", 2.0, 1 / 3, "max(x, 2, 2)", "share the gradient evenly"),
    ("min(x, x, 5)", 1.0, 1.0, "min(x, x, 5)", "share the gradient evenly"),
    ("Math.max(x, 0)", 0.0, 0.5, "Math.max(x, 0)", "share the gradient evenly"),
    ("hypot(x, 0)", 0.0, 0.0, "hypot(x, 0)", "hypot's slope at (0, 0, ...) is 0"),
    ("hypot(x, x - 0, 0)", 0.0, 0.0, "hypot(x, x - 0, 0)", "hypot's slope at (0, 0, ...) is 0"),
    # A comparison's value jumps at its edge; no gradient flows through it.
    ("x > 2 ? x : 0", 2.0, 0.0, "x > 2", "a comparison passes no gradient"),
    ("x if x >= 2 else 0", 2.0, 1.0, "x >= 2", "a comparison passes no gradient"),
    ("x < 2", 2.0, 0.0, "x < 2", "a comparison passes no gradient"),
    ("x <= 2", 2.0, 0.0, "x <= 2", "a comparison passes no gradient"),
    ("3 * (x === 2)", 2.0, 0.0, "(x === 2)", "a comparison passes no gradient"),
    ("x != 2 ? 1 : x", 2.0, 1.0, "x != 2", "a comparison passes no gradient"),
])
def test_kink_conventions_and_their_note(text, x, grad, node, convention):
    r = gradcli.grad(text, x=x)
    assert r.gradients["x"] == pytest.approx(grad, rel=1e-15)
    assert len(r.notes) == 1
    note = r.notes[0]
    assert note.startswith(node + " is at a kink")
    assert convention in note


def test_max_tie_splits_between_the_tied_inputs():
    r = gradcli.grad("max(a, b, c)", a=3.0, b=3.0, c=1.0)
    assert r.gradients == {"a": 0.5, "b": 0.5, "c": 0.0}
    r = gradcli.grad("min(a, b, c)", a=1.0, b=1.0, c=1.0)
    assert r.gradients == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})


def test_no_note_away_from_kinks_or_at_a_kink_of_a_constant():
    for text, x in [("relu(x)", 0.1), ("abs(x)", -0.1), ("max(x, 2)", 2.5), ("x + relu(0)", 1.0),
                    ("x * max(1, 1)", 1.0)]:
        assert gradcli.grad(text, x=x).notes == [], text


def test_every_op_with_a_convention_is_covered_here():
    covered = {"relu", "abs", "max", "min", "hypot", "eq", "ne", "lt", "le", "gt", "ge"}
    assert {name for name, op in OPS.items() if op.convention} <= covered


# --- domains --------------------------------------------------------------------

@pytest.mark.parametrize("text, bindings, node, why, args", [
    ("y + log(x - 3)", {"x": 1.0, "y": 0.0}, "log(x - 3)", "log needs an argument above 0", "(x - 3 = -2)"),
    ("log(x)", {"x": 0.0}, "log(x)", "log needs an argument above 0", "(x = 0)"),
    ("ln(x)", {"x": -1.0}, "ln(x)", "log needs an argument above 0", "(x = -1)"),
    ("log2(x)", {"x": -1.0}, "log2(x)", "log2 needs an argument above 0", "(x = -1)"),
    ("log10(x)", {"x": -1.0}, "log10(x)", "log10 needs an argument above 0", "(x = -1)"),
    ("sqrt(x)", {"x": -4.0}, "sqrt(x)", "sqrt needs an argument of at least 0", "(x = -4)"),
    ("asin(x)", {"x": 2.0}, "asin(x)", "asin needs an argument between -1 and 1", "(x = 2)"),
    ("acos(x)", {"x": -1.5}, "acos(x)", "acos needs an argument between -1 and 1", "(x = -1.5)"),
    ("log1p(x)", {"x": -1.0}, "log1p(x)", "log1p needs an argument above -1", "(x = -1)"),
    ("expm1(x)", {"x": 710.0}, "expm1(x)", "too large for double precision", "(x = 710)"),
    ("hypot(x, x)", {"x": 1.5e308}, "hypot(x, x)", "too large for double precision", "(x = 1.5e+308)"),
    ("1 + x / (y - 2)", {"x": 1.0, "y": 2.0}, "x / (y - 2)", "division by zero", "(x = 1, (y - 2) = 0)"),
    ("x/0", {"x": 1.0}, "x/0", "division by zero", "(x = 1)"),
    ("0^-1", {}, "0^-1", "0 to a negative power divides by zero", ""),
    ("x^y", {"x": 0.0, "y": -1.0}, "x^y", "0 to a negative power divides by zero", "(x = 0, y = -1)"),
    ("exp(1000)", {}, "exp(1000)", "too large for double precision", ""),
    ("exp(x)", {"x": 1000.0}, "exp(x)", "too large for double precision", "(x = 1000)"),
    ("x * 1e300 * 1e300", {"x": 1.0}, "x * 1e300 * 1e300", "too large for double precision", ""),
    ("10^x", {"x": 400.0}, "10^x", "too large for double precision", "(x = 400)"),
    ("sinh(x)", {"x": 1000.0}, "sinh(x)", "too large for double precision", "(x = 1000)"),
    ("(-8)^(1/3)", {}, "(-8)^(1/3)", "a negative base needs a whole-number exponent", ""),
    ("x^0.5", {"x": -4.0}, "x^0.5", "a negative base needs a whole-number exponent", "(x = -4)"),
])
def test_domain_errors_name_the_subexpression(text, bindings, node, why, args):
    with pytest.raises(MathError) as info:
        gradcli.evaluate(text, bindings)
    e = info.value
    assert e.exit_code == 1
    assert e.message.startswith(node + ": ")
    assert why in e.message
    assert args in e.message
    start = text.index(node)
    assert e.position == (1, start + 1)
    lines = e.render().splitlines()
    assert lines[0].startswith("gradcli: math error at <expr> line 1, column %d: %s" % (start + 1, node))
    assert lines[2] == "  " + " " * start + "^" * len(node)


def test_exp_overflows_where_the_readme_says():
    assert gradcli.grad("exp(x)", x=709.7).value == pytest.approx(math.exp(709.7))
    with pytest.raises(MathError, match="too large"):
        gradcli.grad("exp(x)", x=709.8)


def test_every_op_with_a_domain_has_a_case():
    covered = {"log", "log2", "log10", "log1p", "sqrt", "asin", "acos", "div", "pow"}
    assert {name for name, op in OPS.items() if op.domain} <= covered


@pytest.mark.parametrize("text, bindings, node, why", [
    ("sqrt(x)", {"x": 0.0}, "sqrt(x)", "sqrt's slope is infinite at 0"),
    ("asin(x)", {"x": 1.0}, "asin(x)", "asin's slope is infinite at -1 and 1"),
    ("acos(x)", {"x": -1.0}, "acos(x)", "acos's slope is infinite at -1 and 1"),
    ("x^0.5", {"x": 0.0}, "x^0.5", "the slope in the base is infinite at 0"),
    ("atan2(y, x)", {"x": 0.0, "y": 0.0}, "atan2(y, x)", "the angle of (0, 0) has no slope"),
    ("x^y", {"x": -2.0, "y": 2.0}, "x^y", "the slope in the exponent is out * log(base)"),   # the slope in y needs log(x)
    ("0^x", {"x": 0.0}, "0^x", "0^y jumps from 1 to 0"),           # 0^0 = 1 but 0^y = 0 for y > 0
    ("x^x", {"x": 0.0}, "x^x", "0^y jumps from 1 to 0"),
])
def test_infinite_or_undefined_slopes_are_errors(text, bindings, node, why):
    with pytest.raises(MathError) as info:
        gradcli.evaluate(text, bindings)
    assert info.value.message.startswith("%s: %s" % (node, why))
    assert info.value.message.endswith("so no gradient can flow through it")
    assert info.value.exit_code == 1


def test_zero_base_with_a_positive_exponent_has_slope_zero_in_the_exponent():
    r = gradcli.grad("x^y", x=0.0, y=2.0)
    assert r.value == 0.0 and r.gradients == {"x": 0.0, "y": 0.0}
    r = gradcli.grad("x^y", x=0.0, y=1.0)
    assert r.gradients == {"x": 1.0, "y": 0.0}
    r = gradcli.grad("x^0", x=0.0)
    assert r.value == 1.0 and r.gradients == {"x": 0.0}


def test_values_at_the_edge_of_a_domain_are_fine_when_no_gradient_flows():
    assert gradcli.grad("sqrt(0) + x", x=1.0).value == 1.0
    assert gradcli.grad("x^2 * 0 + asin(1)", x=1.0).value == pytest.approx(math.pi / 2)


def test_an_overflowing_gradient_is_a_math_error_in_the_api_too():
    assert gradcli.grad("x * 1e200", x=1e-300).value == pytest.approx(1e-100)  # the value alone is fine
    for text in ("x * 1e200 * 1e200", "log(x) + x * 1e200 * 1e200"):  # its gradient 1e400 is not
        with pytest.raises(MathError, match="too large for double precision") as info:
            gradcli.grad(text, x=1e-300)
        assert info.value.message.startswith("x * 1e200 * 1e200: the gradient flowing back") or \
            info.value.message.startswith("x * 1e200: the gradient flowing back"), info.value.message
