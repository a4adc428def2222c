"""--explain and --paths: the backward pass in the tutorials' words, with numbers."""
from io import StringIO

import sympy
from click.testing import CliRunner
from rich.console import Console

import gradcli
from gradcli.cli import main
from gradcli.explain import backward_steps, explanation, input_paths, path_listing


def text(renderable) -> str:
    out = StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


def test_neuron_backward_pass_has_the_tutorial_numbers():
    r = gradcli.evaluate("q = a*x + b*y + c; s = sig(q)", dict(a=1, b=2, c=-3, x=-1, y=3))[0]
    lines = [s.text for s in backward_steps(r)]
    assert lines[0] == "ds = 1"
    assert "dq = s * (1 - s) * ds = 0.8808 * (1 - 0.8808) * 1 = 0.105" in lines
    assert "da = x * dt1 = (-1) * 0.105 = -0.105" in lines
    assert "db = y * dt2 = 3 * 0.105 = 0.315" in lines
    assert "dy = b * dt2 = 2 * 0.105 = 0.21" in lines
    # Reverse order: sig is backpropped before the products.
    assert lines.index("backprop s = sig(q)") < lines.index("backprop t1 = a * x")


def test_fork_shows_running_total_and_the_sum_of_uses():
    r = gradcli.evaluate("f = a*x + x*y", dict(a=0.2, x=0.5, y=0.8))[0]
    out = text(explanation(r))
    assert "dx = y * dt2 = 0.8 * 1 = 0.8" in out
    assert "dx += a * dt1 = 0.2 * 1 = 0.2   (dx is 1 so far)" in out
    assert "dx = 0.8 (from x*y) + 0.2 (from a*x) = 1" in out
    # Independent answer: d/dx (a x + x y) = a + y.
    a, x, y = sympy.symbols("a x y")
    assert float(sympy.diff(a * x + x * y, x).subs({a: 0.2, y: 0.8})) == r.gradients["x"] == 1.0


def test_the_sums_agree_with_the_engine_and_sympy():
    src = "u = x*y; v = sin(u) + u*x; w = exp(v)*v"
    vals = dict(x=0.3, y=-1.2)
    r = gradcli.evaluate(src, vals)[0]
    steps = backward_steps(r, precision=17)
    x, y = sympy.symbols("x y")
    u = x * y
    v = sympy.sin(u) + u * x
    w = sympy.exp(v) * v
    for name, sym in (("x", x), ("y", y)):
        final = [s for s in steps if s.node == r.graph.inputs[name] and s.kind in ("local", "sum")][-1]
        expected = float(sympy.diff(w, sym).subs({x: 0.3, y: -1.2}))
        assert abs(final.total - expected) < 1e-12 and final.total == r.gradients[name]


def test_rule_text_comes_from_the_op_table():
    r = gradcli.evaluate("z = max(x, y)", dict(x=2, y=2))[0]
    out = text(explanation(r))
    assert "dx = ([x == z] / ([x == z] + [y == z])) * dz = ([2 == 2] / ([2 == 2] + [2 == 2])) * 1 = 0.5" in out
    assert "at a kink: gradcli's convention is tied arguments share the gradient evenly" in out
    r = gradcli.evaluate("z = 1/x", dict(x=4))[0]
    assert "dx = (-1 / (x * x)) * dz = (-1 / (4 * 4)) * 1 = -0.0625" in text(explanation(r))


def test_paths_sum_to_the_gradient():
    r = gradcli.evaluate("q = a*x + x*y; f = q*q", dict(a=1, x=-1, y=3))[0]
    report = {p.name: p for p in input_paths(r)}
    assert report["x"].count == 4  # two uses of q, each reached from x in two ways
    assert abs(sum(p.product for p in report["x"].paths) - r.gradients["x"]) < 1e-12
    assert r.gradients["x"] == 2 * (-4) * (1 + 3)  # d/dx (ax + xy)^2 = 2 q (a + y)
    out = text(path_listing(r))
    assert "x -> t1 -> q -> f:  1 * 1 * (-4) = -4" in out
    assert "dx = " in out and "= -32" in out


def test_too_many_paths_are_counted_not_listed():
    # Each doubling squares nothing but doubles the paths: 2^30 of them.
    src = "x1 = x + x\n" + "\n".join("x%d = x%d + x%d" % (k + 1, k, k) for k in range(1, 30))
    r = gradcli.evaluate(src, dict(x=1))[0]
    (item,) = input_paths(r)
    assert item.count == 2 ** 30 and item.paths == []
    assert "x: 1073741824 paths, too many to list (the limit is 64); their sum is 1.074e+09" in text(path_listing(r))


def test_long_chain_does_not_recurse():
    src = "x0 = x\n" + "\n".join("x%d = x%d * 1.0001" % (k + 1, k) for k in range(3000))
    r = gradcli.evaluate(src, dict(x=1))[0]
    steps = backward_steps(r)
    assert steps[-1].text == "dx = 1.0001 * dx1 = 1 * 1.35 = 1.35"  # x0 is x itself
    assert abs(steps[-1].total - 1.0001 ** 3000) < 1e-9
    assert len(input_paths(r)[0].paths) == 1


def test_cli_explain_and_paths():
    res = CliRunner().invoke(main, ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3", "--explain", "--paths"])
    assert res.exit_code == 0
    assert "dt4 = t5 * (1 - t5) * dt5 = 0.8808 * (1 - 0.8808) * 1 = 0.105" in res.output
    assert "c -> t4 -> t5:  1 * 0.105 = 0.105" in res.output
    assert res.output.index("output sig(a*x+b*y+c) = 0.8808") < res.output.index("backward pass, in reverse order")


def test_cli_explain_on_a_program_file():
    res = CliRunner().invoke(main, ["-f", "examples/cs231n_backprop.py", "--explain"])
    assert res.exit_code == 0
    assert "dnum = invden * df = 0.5121 * 1 = 0.5121" in res.output
    # The same order as the notes' hand-written pass: xpy, then sigx, then num.
    assert "dx = 1.583 (from xpy) + (-0.03576) (from -x) + 0.5121 (from num) = 2.06" in res.output
