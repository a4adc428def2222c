"""Chains of 100,000 nodes: every stage walks graphs with loops, so no depth
hits Python's recursion limit, and the gradients still add up."""
from __future__ import annotations

import json
import math
import sys

import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import main
from gradcli.codegen import compile_python, generate

N = 100_000


@pytest.fixture(autouse=True)
def low_recursion_limit():
    # Far below N: any recursive walk over the chain would fail loudly.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(old)


def test_a_sum_of_100000_xs_through_the_command_line():
    text = "+".join(["x"] * N)
    r = CliRunner().invoke(main, [text, "x=1.5"])
    assert r.exit_code == 0, r.stderr
    assert "... %d more nodes (--all shows every node)" % (N - 60) in r.stdout
    assert r.stdout.splitlines()[-1].split() == ["x", "1.5", "1e+05"]
    r = CliRunner().invoke(main, [text, "x=1.5", "--json", "--no-nodes"])
    out = json.loads(r.stdout)
    assert out["value"] == 1.5 * N and out["gradients"] == {"x": float(N)}
    # JSON keeps 10,000 characters of a long output's source text, cut in the middle
    assert len(out["output"]) <= 10_000 and out["output"].startswith("x+x+") and "..." in out["output"]


def test_a_program_of_100000_statements():
    # y is rebound 100,000 times; x fans out into every statement.
    program = "x = 2\ny = x\n" + "y = y + x\n" * (N - 1) + "y\n"
    r = gradcli.grad(program)
    assert r.value == 2.0 * N
    assert r.gradients == {"x": float(N)}


def test_a_product_chain_gives_the_power_rule():
    # x*x*...*x (1,000 factors at 1.001): d/dx x^n = n x^(n-1), through 999 products
    n = 1000
    r = gradcli.grad("*".join(["x"] * n), x=1.001)
    assert r.value == pytest.approx(1.001 ** n, rel=1e-12)
    assert r.gradients["x"] == pytest.approx(n * 1.001 ** (n - 1), rel=1e-12)


def test_deep_nesting():
    assert gradcli.grad("(" * N + "x" + ")" * N, x=3.0).gradients == {"x": 1.0}
    r = gradcli.grad("-" * N + "x", x=3.0)          # an even number of minus signs
    assert r.value == 3.0 and r.gradients == {"x": 1.0}
    r = gradcli.grad("sin(" * N + "x" + ")" * N, x=0.5)
    value, grad = 0.5, 1.0
    for _ in range(N):
        grad *= math.cos(value)
        value = math.sin(value)
    assert r.value == pytest.approx(value, rel=1e-12)
    assert r.gradients["x"] == pytest.approx(grad, rel=1e-9)


def test_right_associative_power_chain():
    r = gradcli.grad("^".join(["x"] * N), x=1.0)
    assert r.value == 1.0 and r.gradients == {"x": 1.0}


def test_generated_code_for_a_long_chain():
    g = gradcli.compile("+".join(["x"] * N), {"x": 1.5})
    out = g.outputs[0][1]
    code = generate(g, out)
    assert len(code.forward) == N - 1 and len(code.backward) == 1 + 2 * (N - 1)  # dx twice per x+x
    g = gradcli.compile("+".join(["x"] * 10_000), {"x": 1.5})
    fn = compile_python(generate(g, g.outputs[0][1]))
    assert fn(1.5) == (15000.0, (10000.0,))
