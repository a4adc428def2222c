"""--emit python / --emit js: the emitted code runs on its own and computes
what the evaluator computes."""
import json
import math
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import gradcli
from gradcli.emit import emit
from gradcli.errors import MathError

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

NEURON = "sig(a*x+b*y+c)"
NEURON_INPUTS = dict(a=1, b=2, c=-3, x=-1, y=3)


def run_python(source: str, **inputs):
    namespace: dict = {}
    exec(source, namespace)
    return namespace["forward_backward"](**inputs)


def run_js(source: str, calls: list[tuple[str, dict]]) -> list:
    """Run the emitted functions under node; calls are (function, inputs)."""
    driver = source + "\nconsole.log(JSON.stringify([%s]));\n" % ", ".join(
        "%s(%s)" % (f, json.dumps(i)) for f, i in calls)
    done = subprocess.run([NODE, "-e", driver], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + "\n" + source
    return json.loads(done.stdout)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_python_neuron_has_the_tutorial_numbers():
    src = emit(gradcli.compile(NEURON, NEURON_INPUTS), "python")
    value, grads = run_python(src)
    assert round(value, 4) == 0.8808
    assert {k: round(v, 3) for k, v in grads.items()} == {"a": -0.105, "x": 0.105, "b": 0.315,
                                                          "y": 0.21, "c": 0.105}
    # Other inputs, by keyword, against the evaluator.
    r = gradcli.evaluate(NEURON, dict(a=0.5, b=-1, c=2, x=0.25, y=4))[0]
    value, grads = run_python(src, a=0.5, b=-1, c=2, x=0.25, y=4)
    assert value == r.value and grads == r.gradients
    with pytest.raises(TypeError, match="unknown inputs: \\['z'\\]"):
        run_python(src, z=1)


def test_python_reads_like_the_tutorial():
    src = emit(gradcli.compile("q = a*x + b*y + c; f = sig(q)", NEURON_INPUTS), "python")
    # sig's slope is not out * (1 - out), which is 1 - 1 in the tails, but the same number
    # from cosh, to the last digit (see gradcli/ops.py)
    assert ("    dq = (0.25 / (cosh(0.5 * q) * cosh(0.5 * q)) if abs(q) < 40.0 else exp(-abs(q))) * df"
            "  # backprop f = sig(q)\n") in src
    assert "    da = x * dt1  # backprop t1 = a * x\n" in src
    assert "    df = 1.0  # the output's gradient" in src


def test_fork_is_written_with_plus_equals():
    src = emit(gradcli.compile("x = 2; y = x*x; z = y + y"), "python")
    assert "dy = 1.0 * dz" in src and "dy += 1.0 * dz" in src
    assert "dx = x * dy" in src and "dx += x * dy" in src
    assert run_python(src) == (8.0, {"x": 8.0})


@needs_node
def test_js_neuron_and_fork():
    g = gradcli.compile(NEURON, NEURON_INPUTS)
    src = emit(g, "js")
    assert "var abs = Math.abs, cosh = Math.cosh, exp = Math.exp;" in src and "var t5 = t4 >= 0.0 ? " in src
    (out,) = run_js(src, [("forwardBackward", {})])
    r = gradcli.evaluate(NEURON, NEURON_INPUTS)[0]
    assert close(out["value"], r.value) and round(out["value"], 4) == 0.8808
    assert out["grads"].keys() == r.gradients.keys()
    assert all(close(out["grads"][k], v) for k, v in r.gradients.items())
    src = emit(gradcli.compile("x = 2; y = x*x; z = y + y"), "js")
    assert "  var dx = x * dy;" in src and "  dx += x * dy;" in src
    assert run_js(src, [("forwardBackward", {"x": 3})]) == [{"value": 18, "grads": {"x": 12}}]


RESERVED = "lambda = 2; var = 3; function = lambda * exp(var) + constructor; relu(function) + max(lambda, inputs)"
RESERVED_INPUTS = dict(constructor=0.5, inputs=1.5)


def test_python_names_that_are_keywords_or_helpers():
    g = gradcli.compile(RESERVED, RESERVED_INPUTS)
    src = emit(g, "python")
    assert "lambda_ = inputs.get(\"lambda\", 2.0)" in src
    r = gradcli.evaluate(RESERVED, RESERVED_INPUTS)[0]
    value, grads = run_python(src, **{"lambda": 2.0})
    assert value == r.value and grads == r.gradients
    assert set(grads) == {"lambda", "var", "constructor", "inputs"}


@needs_node
def test_js_names_that_are_keywords_or_helpers():
    src = emit(gradcli.compile(RESERVED, RESERVED_INPUTS), "js")
    assert "var var_ = " in src and "var function_ = " in src
    r = gradcli.evaluate(RESERVED, dict(RESERVED_INPUTS, var=0.1))[0]
    (out,) = run_js(src, [("forwardBackward", {"var": 0.1})])
    assert close(out["value"], r.value)
    assert all(close(out["grads"][k], v) for k, v in r.gradients.items())


def test_every_output_gets_a_function():
    g = gradcli.compile("a = 1.5; b = -2; a * b; a * a; 7")
    src = emit(g, "python")
    ns: dict = {}
    exec(src, ns)
    assert ns["forward_backward"]() == (-3.0, {"a": -2.0, "b": 1.5})
    assert ns["forward_backward_2"]() == (2.25, {"a": 3.0, "b": 0.0})
    assert ns["forward_backward_3"]() == (7.0, {"a": 0.0, "b": 0.0})


# Random expressions over every op of the table, built as text.
NAMES = ["a", "b", "c"]
UNARY = ["exp", "log", "sqrt", "abs", "sig", "tanh", "sin", "cos", "atan", "relu", "softplus",
         "sinh", "log2", "log10", "tan", "asin", "acos", "cosh", "erf", "-"]
BINARY = ["+", "-", "*", "/", "^", "atan2", "max", "min"]


def _combine(parts):
    kind, a, b, f = parts
    if kind == 0:
        return "-(%s)" % a if f == "-" else "%s(%s)" % (f, a)
    if f in ("atan2", "max", "min"):
        return "%s(%s, %s)" % (f, a, b)
    return "(%s) %s (%s)" % (a, f, b)


leaves = st.sampled_from(NAMES) | st.sampled_from(["2", "0.5", "3"])
exprs = st.recursive(leaves, lambda inner: st.tuples(
    st.integers(0, 1), inner, inner, st.sampled_from(UNARY + BINARY)).map(
    lambda t: _combine((0 if t[3] in UNARY and t[3] != "-" else t[0] if t[3] == "-" else 1,) + t[1:])),
    max_leaves=8)
values = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))


def _evaluated(text, inputs):
    try:
        r = gradcli.evaluate(text, inputs)[0]
    except MathError:
        assume(False)
    assume(all(math.isfinite(v) for v in r.gradients.values()))
    return r


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(exprs, values, values, values)
def test_python_matches_the_evaluator(text, a, b, c):
    inputs = dict(a=a, b=b, c=c)
    r = _evaluated(text, inputs)
    value, grads = run_python(emit(r.graph, "python"), **inputs)
    assert value == r.value  # the same operations in the same order
    assert grads == r.gradients


@needs_node
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(st.tuples(exprs, values, values, values), min_size=5, max_size=5))
def test_js_matches_the_evaluator(cases):
    results, sources = [], []
    for k, (text, a, b, c) in enumerate(cases):
        inputs = dict(a=a, b=b, c=c)
        try:
            r = gradcli.evaluate(text, inputs)[0]
        except MathError:
            continue
        if not all(math.isfinite(v) for v in r.gradients.values()):
            continue
        sources.append(emit(r.graph, "js").replace("function forwardBackward(", "function f%d(" % k))
        results.append(("f%d" % k, inputs, r))
    assume(results)
    outs = run_js("\n".join(sources), [(f, i) for f, i, _ in results])
    for (f, inputs, r), out in zip(results, outs):
        assert close(out["value"], r.value), (f, r.label)
        for name, grad in r.gradients.items():
            assert close(out["grads"][name], grad), (r.label, name, out["grads"][name], grad)
