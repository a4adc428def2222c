"""The modes that show a graph to people, on graphs too big to show in full.

Each is linear in the size of the graph, or shows a bounded part of it and
counts what it leaves out. The sizes here would take minutes if any of them
were quadratic; the tests assert the output, not the time.
"""
from __future__ import annotations

from click.testing import CliRunner

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
