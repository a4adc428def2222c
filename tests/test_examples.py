"""Every file in examples/ through the real command line, checked against the
numbers the tutorials print and against hand-written backward passes."""
from __future__ import annotations

import json
import math
import re
import subprocess

import pytest
import sympy as sp
from click.testing import CliRunner

from gradcli.cli import main

from .conftest import EXAMPLES_DIR, examples, gate_examples, run_args
from .test_cli import gradcli_command, summary_rows, table_rows


def run_json(*args, input=None):
    result = CliRunner().invoke(main, [*args, "--json"], input=input)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def one(*args, **kw):
    outs = run_json(*args, **kw)
    assert len(outs) == 1
    return outs[0]


def rounded(d: dict, places: int) -> dict:
    return {k: round(v, places) for k, v in d.items()}


def by_label(out: dict) -> dict:
    return {n["label"]: n for n in out["nodes"]}


@pytest.mark.parametrize("path", examples() + gate_examples(), ids=lambda p: p.relative_to(EXAMPLES_DIR).as_posix())
def test_every_example_runs_through_the_installed_command(path, tmp_path):
    # From a directory outside the source tree, the way users run it; with the
    # blocks before it and the inputs the tutorial leaves unset, as its header says.
    args = run_args(path)
    proc = subprocess.run([*gradcli_command(), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "forward and backward pass of" in proc.stdout
    assert "\x1b[" not in proc.stdout
    outs = run_json(*args)
    assert outs and all(_finite(o["value"]) for o in outs)


def _finite(value) -> bool:
    """A number, or the nested lists of an array program's value, all finite."""
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return math.isfinite(value)


def test_neuron_js():
    out = one("-f", str(EXAMPLES_DIR / "neuron.js"))
    assert out["output"] == "s"
    assert round(out["value"], 4) == 0.8808
    assert rounded(out["gradients"], 3) == {"a": -0.105, "b": 0.315, "c": 0.105, "x": 0.105, "y": 0.210}
    nodes = by_label(out)
    # the tutorial's intermediate names and values
    assert [nodes[n]["value"] for n in ("ax", "by", "axpby", "axpbypc")] == [-1.0, 6.0, 5.0, 2.0]
    assert nodes["s"]["op"] == "sig"


def test_neuron_js_table_shows_the_tutorials_numbers():
    result = CliRunner().invoke(main, ["-f", str(EXAMPLES_DIR / "neuron.js")])
    assert result.exit_code == 0
    text = result.stdout
    assert "output s = 0.8808" in text.splitlines()
    rows = {row[0]: row[1:] for row in table_rows(text)}
    assert rows["axpbypc"] == ["+", "2", "0.105"]
    assert rows["s"] == ["sig", "0.8808", "1"]
    assert summary_rows(text) == {"a": ["1", "-0.105"], "b": ["2", "0.315"], "c": ["-3", "0.105"],
                                  "x": ["-1", "0.105"], "y": ["3", "0.21"]}


def test_cs231n_chain():
    out = one("-f", str(EXAMPLES_DIR / "cs231n_chain.py"))
    assert out["output"] == "f" and out["value"] == -12.0
    assert out["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert by_label(out)["q"]["value"] == 3.0 and by_label(out)["q"]["grad"] == -4.0


def test_cs231n_neuron():
    out = one("-f", str(EXAMPLES_DIR / "cs231n_neuron.py"))
    assert round(out["value"], 3) == 0.731
    g = rounded(out["gradients"], 3)
    assert [g["x0"], g["x1"]] == [0.393, -0.590]
    assert [g["w0"], g["w1"], g["w2"]] == [-0.197, -0.393, 0.197]
    assert by_label(out)["dot"]["value"] == 1.0


def ninja_bindings() -> dict[str, float]:
    text = (EXAMPLES_DIR / "ninja.js").read_text()
    return {k: float(v) for k, v in re.findall(r"var (\w+) = (-?[\d.]+)", text)}


def ninja_expected(a, b, c, d):
    """The tutorial's backward passes, with dx = 1 at each output."""
    x1 = a * b + c
    x2 = x1 * d
    dx2 = 2 * x2
    dx1 = d * dx2
    mx = max(a, b)
    return [
        {"a": b, "b": a, "c": 0, "d": 0},                                  # a * b
        {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0},                            # a + b + c
        {"a": b, "b": a, "c": 1.0, "d": 0},                                # a * b + c
        {"a": 2 * a, "b": 0, "c": 0, "d": 0},                              # a * a
        {"a": 2 * a, "b": 2 * b, "c": 2 * c, "d": 0},                      # a*a + b*b + c*c
        {"a": b * dx1, "b": a * dx1, "c": dx1, "d": x1 * dx2},             # pow(((a*b + c)*d), 2)
        {"a": 1 / (c + d), "b": 1 / (c + d), "c": -(a + b) / (c + d) ** 2,
         "d": -(a + b) / (c + d) ** 2},                                    # (a + b) / (c + d)
        {"a": 1.0 if a == mx else 0.0, "b": 1.0 if b == mx else 0.0, "c": 0, "d": 0},  # max(a, b)
        {"a": 1.0 if a > 0 else 0.0, "b": 0, "c": 0, "d": 0},              # max(a, 0)
    ]


@pytest.mark.parametrize("overrides", [{}, {"a": 1.2, "b": -0.7, "c": 2.1, "d": 0.9},
                                       {"a": -0.4, "b": 0.3, "c": -1.5, "d": 2.0}])
def test_ninja_js(overrides):
    bindings = {**ninja_bindings(), **overrides}
    assert set(bindings) == {"a", "b", "c", "d"}
    outs = run_json("-f", str(EXAMPLES_DIR / "ninja.js"), *("%s=%r" % kv for kv in overrides.items()))
    expected = ninja_expected(**bindings)
    assert len(outs) == len(expected)
    for out, want in zip(outs, expected):
        assert set(out["gradients"]) == set(want), out["output"]
        for name, value in want.items():
            assert out["gradients"][name] == pytest.approx(value, rel=1e-12, abs=1e-15), (out["output"], name)
    assert outs[6]["output"] == "(a + b) / (c + d)"
    assert outs[5]["value"] == pytest.approx(((bindings["a"] * bindings["b"] + bindings["c"]) * bindings["d"]) ** 2)


def cs231n_by_hand(x, y):
    """CS231n's staged forward and backward pass, as the notes write it."""
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    dnum = invden
    dinvden = num
    dden = (-1.0 / (den ** 2)) * dinvden
    dsigx = (1) * dden
    dxpysqr = (1) * dden
    dxpy = (2 * xpy) * dxpysqr
    dx = (1) * dxpy
    dy = (1) * dxpy
    dx += ((1 - sigx) * sigx) * dsigx
    dx += (1) * dnum
    dsigy = (1) * dnum
    dy += ((1 - sigy) * sigy) * dsigy
    return f, {"x": dx, "y": dy}


def cs231n_sympy(x, y):
    X, Y = sp.symbols("x y", real=True)
    sig = lambda t: 1 / (1 + sp.exp(-t))  # noqa: E731
    f = (X + sig(Y)) / (sig(X) + (X + Y) ** 2)
    at = {X: sp.Rational(repr(x)), Y: sp.Rational(repr(y))}
    return float(f.subs(at).evalf(30)), {"x": float(sp.diff(f, X).subs(at).evalf(30)),
                                          "y": float(sp.diff(f, Y).subs(at).evalf(30))}


@pytest.mark.parametrize("args, point", [([], (3.0, -4.0)), (["x=1", "y=2"], (1.0, 2.0)),
                                         (["y=2", "x=1", "x=-0.5"], (-0.5, 2.0))])
def test_cs231n(args, point):
    out = one("-f", str(EXAMPLES_DIR / "cs231n.py"), *args)
    assert out["output"] == "f"
    for f, grads in (cs231n_by_hand(*point), cs231n_sympy(*point)):
        assert out["value"] == pytest.approx(f, rel=1e-12)
        assert out["gradients"] == pytest.approx(grads, rel=1e-9)
    x_node = by_label(out)["x"]
    assert x_node["op"] == "input" and x_node["value"] == point[0]


def test_cs231n_from_standard_input():
    text = (EXAMPLES_DIR / "cs231n.py").read_text()
    assert one(input=text) == one("-f", str(EXAMPLES_DIR / "cs231n.py"))
    assert one("-", input=text) == one("-f", "-", input=text) == one(input=text)


def test_cat_file_into_the_installed_command(tmp_path):
    text = (EXAMPLES_DIR / "cs231n.py").read_text()
    proc = subprocess.run([*gradcli_command(), "--json", "--no-nodes"], input=text, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    f, grads = cs231n_by_hand(3.0, -4.0)
    assert out["value"] == pytest.approx(f, rel=1e-12)
    assert out["gradients"] == pytest.approx(grads, rel=1e-9)
    proc = subprocess.run([*gradcli_command(), "x=1", "y=2", "--json", "--no-nodes"], input=text,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["value"] == pytest.approx(cs231n_by_hand(1.0, 2.0)[0], rel=1e-12)
