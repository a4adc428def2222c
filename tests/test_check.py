"""--check: central differences, relative errors and verdicts; kinks."""
import json
from io import StringIO

from click.testing import CliRunner
from rich.console import Console

import gradcli
from gradcli.check import DEFAULT_H, check, check_table, relative_error
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
    # The central difference, by hand, for b: f(b + h) and f(b - h).
    import math
    f = lambda b: 1 / (1 + math.exp(-(1 * -1 + b * 3 - 3)))  # noqa: E731
    assert abs(by["b"].numerical - (f(2 + 1e-5) - f(2 - 1e-5)) / 2e-5) < 1e-12


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


def test_one_sided_at_the_edge_of_the_domain():
    (report,) = check(gradcli.evaluate("sqrt(x) + y", dict(x=1e-6, y=1)))
    c = report.inputs[0]
    assert c.method == "forward" and c.left is None and c.verdict == "unreliable"
    assert report.ok


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
    # Central difference of x^3 at 2: 12 + h^2, so the relative error is h^2 / (12 + h^2).
    assert abs(d["inputs"]["x"]["numerical"] - (12 + 1e-4)) < 1e-9
    assert abs(d["inputs"]["x"]["relative_error"] - 1e-4 / (12 + 1e-4)) < 1e-9
    assert d["inputs"]["x"]["verdict"] == "acceptable"
    res = CliRunner().invoke(main, ["x", "x=1", "--check", "--h", "0"])
    assert res.exit_code == 2
