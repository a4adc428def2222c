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
    assert "dx = y * dt2 = 0.8 * 1 = 0.8   (the wire from x into x*y)\n" in out
    assert "dx += a * dt1 = 0.2 * 1 = 0.2   (the wire from x into a*x; dx is 1 so far)" in out
    assert "dx = 0.8 (wire into x*y) + 0.2 (wire into a*x) = 1" in out
    assert "da = x * dt1 = 0.5 * 1 = 0.5\n" in out  # a does not fork: no wire named
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
    assert "dx = 1.583 (wire into xpy) + (-0.03576) (wire into -x) + 0.5121 (wire into num) = 2.06" in res.output


def test_x_times_y_plus_x_names_each_wire_of_the_fork():
    r = gradcli.grad("x*y + x", x=2, y=3)
    lines = [s.text for s in backward_steps(r)]
    assert lines == [
        "dt2 = 1",
        "backprop t2 = t1 + x",
        "dt1 = 1 * dt2 = 1 * 1 = 1",
        "dx = 1 * dt2 = 1 * 1 = 1   (the wire from x into x*y + x)",
        "backprop t1 = x * y",
        "dx += y * dt1 = 3 * 1 = 3   (the wire from x into x*y; dx is 4 so far)",
        "dy = x * dt1 = 2 * 1 = 2",
        "dx = 1 (wire into x*y + x) + 3 (wire into x*y) = 4"]
    (total,) = [s for s in backward_steps(r) if s.kind == "sum"]
    assert total.parts == [(1.0, "wire into x*y + x"), (3.0, "wire into x*y")] and total.total == 4.0


def test_a_times_a_has_two_wires_into_one_gate():
    steps = backward_steps(gradcli.grad("a*a", a=1.5))
    assert [s.text for s in steps][2:] == [
        "da = a * dt1 = 1.5 * 1 = 1.5   (the 1st wire from a into a*a)",
        "da += a * dt1 = 1.5 * 1 = 1.5   (the 2nd wire from a into a*a; da is 3 so far)",
        "da = 1.5 (1st wire into a*a) + 1.5 (2nd wire into a*a) = 3"]
    assert [(s.wire.node, s.wire.arg, s.wire.share) for s in steps if s.kind == "local"] == [(1, 0, 1.5), (1, 1, 1.5)]


def test_a_reused_intermediate_sums_its_wires():
    # STYLE.md's habit 3: y = x*x; z = y + y
    out = text(explanation(gradcli.grad("y = x*x; z = y + y", x=3)))
    assert "dy = 1 * dz = 1 * 1 = 1   (the 1st wire from y into z)" in out
    assert "dy += 1 * dz = 1 * 1 = 1   (the 2nd wire from y into z; dy is 2 so far)" in out
    assert "dy = 1 (1st wire into z) + 1 (2nd wire into z) = 2" in out
    assert "dx = 6 (1st wire into y) + 6 (2nd wire into y) = 12" in out


def test_paths_add_up_wire_by_wire_at_a_fork():
    out = text(path_listing(gradcli.grad("x*y + x", x=2, y=3)))
    assert "    dx = 3 + 1 = 4\n    by wire: dx = 1 (wire into x*y + x) + 3 (wire into x*y) = 4\n" in out
    assert "by wire: dy" not in out  # y does not fork
    # a*a*a: three wires from a, each carrying a^2 = 2.25; 3 a^2 = 6.75.
    r = gradcli.grad("a*a*a", a=1.5)
    (item,) = input_paths(r)
    assert [w.share for w in item.wires] == [2.25, 2.25, 2.25] and item.gradient == 6.75
    assert ("by wire: da = 2.25 (wire into a*a*a) + 2.25 (1st wire into a*a) + 2.25 (2nd wire into a*a) = 6.75"
            in text(path_listing(r)))


def test_paths_of_an_input_that_forks_later_have_no_wire_line():
    # x has one wire (into y = x*2); the fork is at y, used twice by y*y.
    out = text(path_listing(gradcli.grad("y = x*2; y*y", x=1.5)))
    lines = [l.strip() for l in out.splitlines()]
    x = lines.index("x: 2 paths")
    assert lines[x + 1:] == ["x -> y -> t1:  2 * 3 = 6", "x -> y -> t1:  2 * 3 = 6", "dx = 6 + 6 = 12"]
