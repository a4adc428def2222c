"""The modes that show a graph to people, on graphs too big to show in full.

Each is linear in the size of the graph, or shows a bounded part of it and
counts what it leaves out. The sizes here would take minutes if any of them
were quadratic; the tests assert the output, not the time.
"""
from __future__ import annotations

import json

from click.testing import CliRunner

from gradcli import evaluate
from gradcli.check import check, to_json as check_json
from gradcli.cli import main

N = 100_000
BIG = "+".join(["x"] * N)  # a chain N - 1 gates deep, every gate using x


def run(program: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["-f", "-", *args], input=program, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_tree_of_a_deep_chain_is_cut_and_counted():
    out = run(BIG, "x=1", "--tree").splitlines()
    # The root, then 24 levels of two lines each (the sum below and x), a
    # "..." below the last sum shown, and the count of the rest: every gate
    # has two arguments, so the whole tree has 1 + 2 (N - 1) lines.
    assert out[0] == "x+x+x+x+x+x+x+x+x+...+x+x+x+x+x+x+x+x+x  +  value 1e+05  grad 1"
    assert len(out) == 1 + 2 * 24 + 1 + 1
    assert out[25].endswith("└── ...")
    assert out[-2] == "└── x  input  value 1  grad 1e+05  (this wire: 1; shown above)"
    assert out[-1] == ("... %d more lines (the tree shows 24 levels and 400 lines; --dot or --json "
                       "gives every node)" % (2 * (N - 1) - 2 * 24))


def test_tree_of_a_balanced_sum_stops_at_its_line_limit():
    terms = ["x%d" % i for i in range(2 ** 16)]
    program = "".join("%s = 1\n" % t for t in terms)
    while len(terms) > 1:
        terms = ["(%s + %s)" % (terms[i], terms[i + 1]) for i in range(0, len(terms), 2)]
    out = run(program + terms[0], "--tree").splitlines()
    # 400 lines of the tree, a "..." on each of the 13 gates that lost a branch, the count.
    assert len(out) == 400 + 13 + 1
    assert out[1] == "├── (((((((((((((((x0...767)))))))))))))))  +  value 3.277e+04  grad 1"
    assert out[-2] == "└── ..."
    assert out[-1] == ("... %d more lines (the tree shows 24 levels and 400 lines; --dot or --json "
                       "gives every node)" % (1 + 2 * (2 ** 16 - 1) - 400))


def neuron(n: int) -> str:
    """w0*x0 + w1*x1 + ... with every weight and input set in the program."""
    return "".join("w%d = 1\nx%d = 2\n" % (i, i) for i in range(n)) + " + ".join(
        "w%d*x%d" % (i, i) for i in range(n))


def test_check_of_many_inputs_checks_the_first_hundred_and_counts_the_rest():
    out = run(neuron(4000), "--check").splitlines()
    assert sum(line.rstrip().endswith("good") for line in out) == 100
    assert out[-1] == "every gradient agrees"
    assert ("  ... 7900 more inputs not checked: each costs two passes over the whole graph, so the "
            "check stops at the first 100 (in Python, gradcli.check.check(..., limit=None, work=None) "
            "checks every input)") in out
    report = json.loads(run(neuron(4000), "--check", "--json"))
    assert len(report["inputs"]) == 100 and report["unchecked"] == 7900 and report["ok"]


def test_check_of_a_huge_graph_checks_fewer_inputs():
    (report,) = check(evaluate(neuron(100_000)))
    assert len(report.inputs) == 10 and report.unchecked == 200_000 - 10
    assert [c.name for c in report.inputs[:3]] == ["w0", "x0", "w1"]


def test_check_can_check_every_input():
    (report,) = check(evaluate(neuron(300)), limit=None, work=None)
    assert len(report.inputs) == 600 and report.unchecked == 0 and report.ok
    assert "unchecked" not in check_json(report)


def test_explain_of_a_big_fork_counts_the_middle_of_its_sum():
    n = 10_000
    out = run("+".join(["x"] * n), "x=1", "--explain").splitlines()
    # One forward line per gate, then a gate line and two local lines per gate,
    # the seed, and the sum of x's n wires, its middle counted.
    assert out[-1].startswith("  dx = 1 (wire into x+x+x+x+x+x+x+x+x+...+x+x+x+x+x+x+x+x+x) + ")
    assert " + ... %d more ... + " % (n - 100) in out[-1]
    assert out[-1].endswith(" + 1 (wire into x+x+x) + 1 (1st wire into x+x) + 1 (2nd wire into x+x) = 1e+04")
    assert out[-1].count("wire into") == 100
    assert sum(line.startswith("  # backprop ") for line in out) == n - 1


def test_the_whole_table_of_a_big_graph_is_one_row_per_node():
    n = 10_000
    out = run("+".join(["x"] * n), "x=1", "--all").splitlines()
    assert len(out) == 2 + n + 1 + 3
    assert out[-5].rstrip() == "x+x+x+x+x+x+x+x+x+...+x+x+x+x+x+x+x+x+x  +      1e+04      1"


def test_tree_of_a_deep_chain_with_forks_counts_every_line_and_gives_each_wires_share():
    # x1 = sin(x), x_k = sin(x_{k-1}) * x: N gates deep, x forking into every *.
    import math
    lines = ["x = 2", "x1 = sin(x)"] + ["x%d = sin(x%d) * x" % (k, k - 1) for k in range(2, N + 1)]
    out = run("\n".join(lines), "--tree").splitlines()
    # Every * has two arguments and every sin one: 1 + 2 (N - 1) + N lines in all.
    shown = [line for line in out[:-1] if not line.endswith("...")]
    assert out[-1].startswith("... %d more lines " % (1 + 2 * (N - 1) + N - len(shown)))
    assert len(out) < 100
    # The top x wire goes into x_N = sin(x_{N-1}) * x: its share is sin(x_{N-1}), by the
    # chain itself computed here; x's own total is far larger.
    v = math.sin(2)
    for _ in range(2, N):
        v = math.sin(v) * 2
    top = out[-2]  # the root's second argument
    assert top.startswith("└── x  input  value 2  grad ") and top.endswith(
        "(this wire: %.4g; shown above)" % math.sin(v)), top
