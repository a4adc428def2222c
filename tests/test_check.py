"""--check: central differences, relative errors and verdicts; kinks."""
import json
from io import StringIO

from click.testing import CliRunner
from rich.console import Console

import gradcli
from gradcli.check import DEFAULT_H, check, check_table, relative_error, to_json
from gradcli.cli import main


def text(renderable) -> str:
    out = StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


def test_neuron_passes_with_tiny_relative_errors():
    (report,) = check(gradcli.evaluate("sig(a*x+b*y+c)", dict(a=1, b=2, c=-3, x=-1, y=3)))
    assert report.ok and report.h == DEFAULT_H
    by = {c.name: c for c in report.inputs}
    assert round(by["b"].numerical, 3) == 0.315 and round(by["a"].numerical, 3) == -0.105
    assert all(c.verdict == "good" and c.relative_error < 1e-7 for c in report.inputs)
    # The central difference, by hand, for b = 2: the step is h * max(1, |b|) = 2e-5.
    import math
    f = lambda b: 1 / (1 + math.exp(-(1 * -1 + b * 3 - 3)))  # noqa: E731
    assert by["b"].step == 2e-5 and by["a"].step == 1e-5
    assert by["b"].numerical == (f(2 + 2e-5) - f(2 - 2e-5)) / ((2 + 2e-5 - 2) + (2 - (2 - 2e-5)))


def test_relative_error_is_cs231ns():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, 0.75) == 0.25 and relative_error(0.75, 1.0) == 0.25
    assert relative_error(-2.0, 2.0) == 2.0


def test_kinks_show_one_sided_slopes_and_the_convention():
    (report,) = check(gradcli.evaluate("relu(x) + abs(z) + max(p, q)", dict(x=0, z=0, p=1, q=1)))
    by = {c.name: c for c in report.inputs}
    slopes = {n: (round(c.left, 6), round(c.right, 6), c.analytic) for n, c in by.items()}
    assert slopes == {"x": (0.0, 1.0, 0.0), "z": (-1.0, 1.0, 0.0), "p": (0.0, 1.0, 0.5), "q": (0.0, 1.0, 0.5)}
    assert {c.verdict for c in report.inputs} == {"kink"} and report.ok
    out = text(check_table(report))
    assert "relu(x) is at a kink of relu; gradcli's convention: relu'(0) = 0. One-sided slopes: left 0, right 1" in out
    assert "abs'(0) = 0. One-sided slopes: left -1, right 1" in out


def test_a_kink_within_h_is_named():
    (report,) = check(gradcli.evaluate("relu(x)", dict(x=1e-6)))
    (c,) = report.inputs
    assert c.verdict == "kink" and "within h" in c.kink
    (report,) = check(gradcli.evaluate("relu(x)", dict(x=1e-6)), h=1e-8)
    assert report.inputs[0].verdict == "good"


def test_at_the_edge_of_the_domain_the_step_shrinks_to_keep_both_sides():
    (report,) = check(gradcli.evaluate("sqrt(x) + y", dict(x=1e-6, y=1)))
    c = report.inputs[0]
    assert c.method == "central" and abs(c.step - 1e-7) < 1e-20 and c.verdict in ("good", "acceptable")
    assert abs(c.numerical - 500) < 500 * 1e-4 and report.ok and not report.unconfirmed


def test_one_sided_where_no_smaller_step_helps():
    # acos is undefined right of 1, which is one double away: a one-sided difference, said so
    (report,) = check(gradcli.evaluate("acos(x) * 0 + sqrt(1 - x)", dict(x=1 - 2.0 ** -53)))
    c = report.inputs[0]
    assert c.method == "backward" and c.right is None
    assert c.verdict in ("good", "acceptable", "unreliable") and report.ok


def test_programs_and_several_outputs():
    reports = check(gradcli.evaluate("a = 1.5; b = -2; a * b; a * a"))
    assert [r.output for r in reports] == ["a * b", "a * a"]
    assert [round(c.numerical, 6) for c in reports[1].inputs] == [3.0, 0.0]


def test_cli_check_table_json_and_h():
    res = CliRunner().invoke(main, ["-f", "examples/cs231n.py", "--check"])
    assert res.exit_code == 0, res.output
    assert "x          3      2.06       2.06" in res.output and "every gradient agrees" in res.output
    res = CliRunner().invoke(main, ["x^3", "x=2", "--check", "--json", "--h", "1e-2"])
    assert res.exit_code == 0
    d = json.loads(res.output)
    assert d["h"] == 1e-2 and d["ok"] is True
    # The central difference of x^3 at 2 is 12 + s^2 (s = 2h): off by its truncation error,
    # which halving the step removes (Richardson: (4 n(s/2) - n(s)) / 3 is 12, to rounding).
    x = d["inputs"]["x"]
    assert x["step"] == 2e-2 and x["refined"] is True
    assert abs(x["numerical"] - 12) < 1e-12 and x["relative_error"] < 1e-12 and x["verdict"] == "good"
    res = CliRunner().invoke(main, ["x", "x=1", "--check", "--h", "0"])
    assert res.exit_code == 2


# --- checks that do not cry wolf -------------------------------------------------------

import math  # noqa: E402
import random  # noqa: E402

import pytest  # noqa: E402

from gradcli.errors import InputError  # noqa: E402


def one(source: str, **bindings):
    (report,) = check(gradcli.evaluate(source, bindings))
    return report, {c.name: c for c in report.inputs}


@pytest.mark.parametrize("source", ["x^3", "x*x*x", "sin(x) - x", "x^4 + x^3", "tanh(x) - x",
                                    "q = log(x + 1); x^3"])  # q: a statement no output needs
def test_a_true_zero_gradient_is_not_wrong_against_rounding_noise(source):
    report, by = one(source, x=0)
    assert by["x"].analytic == 0 and by["x"].verdict in ("good", "acceptable"), by["x"]
    assert report.ok and not report.unconfirmed
    assert "every gradient agrees" in text(check_table(report))


@pytest.mark.parametrize("x", [1e10, 1e12, 1e16, 1e200, -3e300])
def test_the_step_is_scaled_so_that_x_plus_h_is_not_x(x):
    report, by = one("x*x", x=x) if abs(x) < 1e150 else one("x*3", x=x)
    c = by["x"]
    assert c.step == DEFAULT_H * abs(x) and x + c.step != x
    assert c.verdict == "good" and report.ok


def test_a_branch_cut_is_a_discontinuity_not_wrong():
    report, by = one("atan2(y, x)", y=0, x=-1)
    c = by["y"]
    assert c.verdict == "discontinuity" and report.ok and abs(c.jump) == pytest.approx(2 * math.pi, rel=1e-4)
    assert c.right == pytest.approx(-1.0, rel=1e-6)  # atan2(0, -1) = pi is the value from above
    out = " ".join(text(check_table(report)).split())
    assert "f jumps by" in out and "the analytic gradient -1 agrees with the right one" in out
    for x in (1e-7, 7e-6):  # a condition that flips within half the step, and between s/2 and s
        report, by = one("x > 0 ? 1 : 0", x=x)
        assert by["x"].verdict == "discontinuity" and report.ok, by["x"]


def test_a_wrong_gradient_is_still_wrong():
    # The check must still catch what it is for: a hand-made slip, through --verify's neighbour,
    # here as an analytic gradient replaced after the fact.
    r = gradcli.evaluate("x*x", {"x": 3.0})
    r[0].grads[r[0].graph.inputs["x"]] = 5.0
    (report,) = check(r)
    assert report.inputs[0].verdict == "wrong" and not report.ok
    r = gradcli.evaluate("x^3", {"x": 0.0})
    r[0].grads[r[0].graph.inputs["x"]] = 1e-3  # 0 is right; 1e-3 is far above the noise
    (report,) = check(r)
    assert report.inputs[0].verdict == "wrong"


@pytest.mark.parametrize("h", [math.nan, math.inf, -math.inf, 0.0, -1e-5])
def test_a_step_that_is_not_a_positive_finite_number_is_refused(h):
    with pytest.raises(InputError, match="finite number above 0"):
        check(gradcli.evaluate("x*x", {"x": 1.0}), h=h)


@pytest.mark.parametrize("h", ["nan", "inf", "-inf", "0", "-1e-5"])
def test_the_cli_refuses_such_a_step_in_table_and_json(h):
    for extra in ([], ["--json"]):
        res = CliRunner().invoke(main, ["x*x", "x=1", "--check", "--h", h, *extra])
        assert res.exit_code == 2 and res.stdout == "", res.output


def test_the_summary_never_contradicts_the_rows():
    # one-sided, one double from the edge of acos's domain: it cannot be confirmed, and the summary says so
    report, by = one("acos(x) * 0 + sqrt(1 - x) * 1e3", x=1 - 2.0 ** -53)
    out = text(check_table(report))
    verdicts = {c.verdict for c in report.inputs}
    if verdicts & {"suspicious", "unreliable", "undefined"}:
        assert "could not be confirmed" in out and "every gradient agrees" not in out
    else:
        assert "every gradient agrees" in out
    res = CliRunner().invoke(main, ["sqrt(x)", "x=1e-7", "--check"])
    assert res.exit_code == 0 and "unreliable" not in res.output and "every gradient agrees" in res.output


# Random correct programs: smooth functions of two inputs at random points. No verdict "wrong".
UNARY = ("sin", "cos", "tanh", "sig", "atan", "softplus", "logsigmoid", "erf", "exp", "log1p", "expm1",
         "abs", "relu")
BINARY = ("+", "-", "*", "/", "hypot", "logsumexp", "max", "atan2", "^")


def random_program(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(("x", "y", "x", "y", "%.3g" % rng.uniform(-2, 2)))
    if rng.random() < 0.45:
        f = rng.choice(UNARY)
        inner = random_program(rng, depth - 1)
        if f in ("exp", "expm1"):
            return "%s(tanh(%s))" % (f, inner)  # bounded, so no overflow
        if f == "log1p":
            return "log1p(abs(%s))" % inner
        if rng.random() < 0.2:  # flat at 0: x^3, sin(x) - x, where rounding noise meets a true 0
            return rng.choice(("(%s)^3", "sin(%s) - (%s)", "(%s) * (%s) * (%s)")).replace("%s", inner)
        return "%s(%s)" % (f, inner)
    op = rng.choice(BINARY)
    a, b = random_program(rng, depth - 1), random_program(rng, depth - 1)
    if op == "/":
        return "(%s) / (1.5 + sin(%s))" % (a, b)
    if op == "^":
        return "(1 + sig(%s)) ^ (%s)" % (a, "tanh(%s)" % b)
    if op in ("+", "-", "*"):
        return "(%s) %s (%s)" % (a, op, b)
    return "%s(%s, %s)" % (op, a, b)


def test_a_thousand_random_correct_programs_are_never_called_wrong():
    rng = random.Random("gradcli check: random correct programs")
    checked = 0
    while checked < 1000:
        source = random_program(rng, 4)
        point = {v: rng.choice((rng.uniform(-3, 3), rng.uniform(-3, 3), 0.0, rng.choice((-1, 1)) * 10.0 **
                                rng.randint(-8, 3))) for v in "xy"}
        try:
            results = gradcli.evaluate(source + "; x*0 + y*0", point)[:1]
        except gradcli.MathError:
            continue
        (report,) = check(results)
        for c in report.inputs:
            assert c.verdict != "wrong", (source, point, c)
        checked += 1


@pytest.mark.parametrize("source, x, h", [("x*x", 1.0, 1e-20), ("x*0.5", 1.7e308, 1.0), ("x*3", 5e-324, 1e-300),
                                          ("q = log(x); x^3", 0.0, 1e-5)])
def test_any_positive_step_at_any_double_gives_verdicts_not_tracebacks(source, x, h):
    (report,) = check(gradcli.evaluate(source, {"x": x}), h=h)
    (c,) = report.inputs
    assert c.step >= 4 * math.ulp(x) and (x + c.step != x or c.method != "central")
    assert c.verdict != "wrong" and json.loads(json.dumps(to_json(report)))


def test_an_infinite_analytic_gradient_is_the_overflow_error_not_a_silent_row():
    # log's slope at 5e-324 is 2e323, beyond double precision: the same math error as everywhere
    for extra in ([], ["--json"]):
        res = CliRunner().invoke(main, ["log(x)", "x=5e-324", "--check", *extra])
        assert res.exit_code == 1 and res.stdout == ""
        assert "log(x): the gradient flowing back through it is too large for double precision" in res.stderr
