"""Big programs: right answers at 100,000 operations, in both benchmark
shapes and at 100,000 levels of nesting, with no recursion anywhere. Not
timed (speed lives in benchmarks/); the answers are checked against sums
and recurrences computed here in plain Python."""
from __future__ import annotations

import io
import json
import math

import pytest

import gradcli
from gradcli import render


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def test_wide_sum_of_25000_neurons():
    n = 25_000
    w = [((i * 7919) % 200 - 100) / 1000 for i in range(n)]
    x = [((i * 104729) % 200 - 100) / 100 for i in range(n)]
    b = [((i * 1299709) % 200 - 100) / 1000 for i in range(n)]
    lines = ["w%d = %r\nx%d = %r\nb%d = %r" % (i, w[i], i, x[i], i, b[i]) for i in range(n)]
    text = "\n".join(lines) + "\n" + " + ".join("sig(w%d*x%d+b%d)" % (i, i, i) for i in range(n))
    g = gradcli.compile(text)
    assert sum(1 for op in g.op if op is not None) == 4 * n - 1
    r = gradcli.evaluate(text)[0]
    s = [sig(w[i] * x[i] + b[i]) for i in range(n)]
    assert r.value == pytest.approx(math.fsum(s), rel=1e-12)
    grads = r.gradients
    for i in (0, 1, 4_999, 12_345, n - 1):
        ds = s[i] * (1 - s[i])
        assert grads["w%d" % i] == pytest.approx(ds * x[i], rel=1e-9, abs=1e-15)
        assert grads["x%d" % i] == pytest.approx(ds * w[i], rel=1e-9, abs=1e-15)
        assert grads["b%d" % i] == pytest.approx(ds, rel=1e-9)
    assert len(grads) == 3 * n


def chain_text(depth: int) -> str:
    return "x = 0.5; a = 0.25; b = 0.999\n" + "(" * depth + "x" + " + a) * b" * depth


def chain_reference(depth: int) -> tuple[float, float, float, float]:
    """Value and d/dx, d/da, d/db of ((x + a) * b + a) * b ..., by forward-mode recurrences."""
    v, dx, da, db = 0.5, 1.0, 0.0, 0.0
    for _ in range(depth):
        v, dx, da, db = (v + 0.25) * 0.999, dx * 0.999, (da + 1.0) * 0.999, db * 0.999 + (v + 0.25)
    return v, dx, da, db


@pytest.mark.parametrize("depth", [50_000, 100_000])
def test_deep_chain(depth):
    r = gradcli.evaluate(chain_text(depth))[0]
    v, dx, da, db = chain_reference(depth)
    assert r.value == pytest.approx(v, rel=1e-9)
    assert r.gradients["x"] == pytest.approx(dx, rel=1e-6)
    assert r.gradients["a"] == pytest.approx(da, rel=1e-9)
    assert r.gradients["b"] == pytest.approx(db, rel=1e-9)
    assert len(r.graph) == 2 * depth + 3


def test_deep_nesting_of_calls_and_minus_signs():
    depth = 100_000
    text = "x = 0.3\n" + "sin(-" * depth + "x" + ")" * depth
    r = gradcli.evaluate(text)[0]
    v, d = 0.3, 1.0
    for _ in range(depth):
        v, d = math.sin(-v), -math.cos(-v) * d
    assert r.value == pytest.approx(v, rel=1e-9)
    assert r.gradients["x"] == pytest.approx(d, rel=1e-6)


def test_streamed_json_is_the_same_text_as_to_json():
    many_inputs = " + ".join("v%d" % i for i in range(10_050))  # more than a batch of 10,000
    many_uses = "+".join(["x"] * 10_050)  # x: more uses than a batch
    for text in (chain_text(6_000), many_inputs, many_uses, "q = a*x + b; sig(q); q", "y = max(a, a) + abs(x); y",
                 "2*pi", "c = 2*3; c*a + c - a/3 + a*a*a",
                 "(a\t*   a) * 0.1 + 1e-300 * a + 0.1*x + 0.2*x + 0.3*x",
                 # an output that is an input, a second output, signed zeros that repeat
                 "y = 3; x", "y = 3; x; x*y", "z = x - x; n = -z; z*a + n*a + z*b + n*b + z + n + z*z",
                 "q = a*x + (b - 2) * (b + 1) + sqrt(a)*sqrt(a + 1); q",
                 # arguments past the 127th of one op
                 "\n".join("u%d = %d" % (i, i % 7) for i in range(300)) + "\nmax(%s) * a" % ", ".join(
                     "u%d" % i for i in range(300))):
        if text == many_inputs:
            text = "\n".join("v%d = %d" % (i, i % 7 - 3) for i in range(10_050)) + "\n" + text
        for r in gradcli.evaluate(text, {"a": 1.0, "b": 0.0, "x": 0.0}):
            for nodes in (True, False):
                out = io.StringIO()
                render.write_json(r, out, nodes=nodes)
                assert out.getvalue() == render.json_line(render.to_json(r, nodes=nodes)) + "\n"
                assert json.loads(out.getvalue())["value"] == r.value


def test_table_of_a_huge_graph_is_bounded_and_keeps_output_and_inputs():
    from rich.console import Console
    n = 2_000
    text = "\n".join("w%d = 0.5" % i for i in range(n)) + "\n" + " + ".join("w%d" % i for i in range(n))
    r = gradcli.evaluate(text)[0]
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(render.table(r, max_rows=20))
    shown = console.file.getvalue()
    assert "... %d more nodes (max_rows=None shows every node)" % (2 * n - 1 - 20) in shown
    assert "... %d more inputs (max_rows=None shows every input)" % (n - 20) in shown
    assert "w0 " in shown and "w1999 " in shown and "w1000 " not in shown
    assert "output w0 + w1 + w2 + w3...97 + w1998 + w1999 = 1000" in shown
    assert len(shown.splitlines()) < 60


def test_labels_in_bulk_are_each_nodes_label():
    text = chain_text(300) + "\nlong_name_for_a_node = x*a\n" + "long_name_for_a_node + (x  *\t a) + sin(  x )"
    g = gradcli.compile(text, {"x": 0.5, "a": 0.25, "b": 0.999})
    assert g.labels(range(len(g))) == [g.label(i) for i in range(len(g))]
    assert g.labels([3, 1], 12) == [g.label(3, 12), g.label(1, 12)]


def test_numbers_in_bulk_are_json_texts():
    xs = [0.0, -0.0, 1.0, 1.0, -0.0, 0.1 + 0.2, 1e-300, 5e-324, -1.5, 1.0, 0.0]
    assert render._texts(xs) == [json.dumps(x) for x in xs]
    assert render._texts(xs + [None, float("inf"), float("nan")]) == \
        [json.dumps(x) for x in xs] + ["null", '"inf"', '"nan"']
