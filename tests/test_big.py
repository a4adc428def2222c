"""Big and deep input: computed right, or refused up front at the documented limit.

Never RecursionError, MemoryError or minutes of silence. The shapes are the
ones people paste: a million terms, a hundred thousand nested parentheses, a
hundred thousand statements. (How fast is benchmarks/bench_scale.py's job;
these tests only ask for the right numbers.)
"""
from __future__ import annotations

import json
import math
import sys

from click.testing import CliRunner

from gradcli.cli import main
from gradcli.frontend import MAX_PROGRAM_CHARS


def run_json(program: str, *bindings: str) -> dict:
    result = CliRunner().invoke(main, ["-f", "-", "--json", "--no-nodes", *bindings], input=program,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_million_term_chain_x_plus_x():
    assert sys.getrecursionlimit() <= 1000 + 100  # Python's default: no deep recursion anywhere
    out = run_json("+".join(["x"] * 1_000_000), "x=0.5")
    assert out["value"] == 500_000.0
    assert out["gradients"] == {"x": 1_000_000.0}


def test_parentheses_nested_a_hundred_thousand_deep():
    depth = 100_000
    out = run_json("(" * depth + "x*y" + ")" * depth, "x=3", "y=4")
    assert out["value"] == 12.0 and out["gradients"] == {"x": 4.0, "y": 3.0}
    # Nested calls: d/dx sin(sin(...sin(x))) is the product of the cosines on the way.
    out = run_json("sin(" * depth + "x" + ")" * depth, "x=0.5")
    value, slope = 0.5, 1.0
    for _ in range(depth):
        slope *= math.cos(value)
        value = math.sin(value)
    assert out["value"] == value
    assert math.isclose(out["gradients"]["x"], slope, rel_tol=1e-9)


def test_a_hundred_thousand_statements():
    lines = ["x = 0.5", "v0 = x"] + ["v%d = v%d * 0.9999 + x" % (i, i - 1) for i in range(1, 100_000)]
    out = run_json("\n".join(lines))
    value, slope = 0.5, 1.0
    for _ in range(1, 100_000):
        value, slope = value * 0.9999 + 0.5, slope * 0.9999 + 1.0
    assert out["output"] == "v99999"
    assert math.isclose(out["value"], value, rel_tol=1e-12)
    assert math.isclose(out["gradients"]["x"], slope, rel_tol=1e-12)


def test_a_program_over_the_size_limit_is_refused_up_front():
    program = "x+" * (MAX_PROGRAM_CHARS // 2) + "x"
    result = CliRunner().invoke(main, ["-f", "-", "x=1"], input=program)
    assert result.exit_code == 2
    assert "gradcli reads programs of up to 64 MiB" in result.stderr
    assert "Traceback" not in result.stderr
