"""Hunting for crashes: random bytes, token soups, broken examples, random programs.

Every case must end in exit 0 with a correct result, or in a clean error:
exit 1 or 2, a short message on stderr starting with "gradcli:", and never a
traceback. Cases go through the real command (click's `main`), with
exceptions left uncaught so that any escaping exception fails the test.

The example counts are modest so CI stays fast. For a long campaign:

    GRADCLI_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.cli import main
from gradcli.ops import FUNCTIONS, OPS

from .conftest import EXAMPLES_DIR, examples, run_args

EXAMPLES = int(os.environ.get("GRADCLI_FUZZ_EXAMPLES", "120"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("GRADCLI_FUZZ_EXAMPLES"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
EXAMPLE_FILES = examples()


def run(args: list[str], stdin: bytes | str | None = None):
    """Run gradcli as a user would; fail on anything but a clean outcome."""
    result = CliRunner().invoke(main, args, input=stdin, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # shows the traceback a user would have seen
    assert result.exit_code in (0, 1, 2), (args, stdin, result.output)
    err = result.stderr
    assert "Traceback" not in err
    if result.exit_code == 0:
        assert err == "" or err.startswith("gradcli: note") or "warning" in err, err
    else:
        assert err.startswith("gradcli: ") or err.startswith("Usage: "), err
        assert len(err.splitlines()) <= 12, err
        assert result.stdout == "" or result.exit_code == 1
    return result


# (a) Any bytes on stdin, any text as the expression.
@fuzz
@given(st.binary(max_size=200))
def test_random_bytes_on_stdin(data):
    run(["--json"], stdin=data)


@fuzz
@given(st.text(max_size=80).filter(lambda s: not s.startswith("-")))
def test_random_text_as_expression(text):
    run([text, "x=1", "y=2", "--json"])


# (b) Soups of the language's own tokens.
TOKENS = (["x", "y", "z", "a", "q", "pi", "math.pi", "Math.E", "math.exp", "Math.max", "var", "let",
           "const", "dx", "0", "1", "2.5", ".5", "1e-3", "1e308", "2.5E+4", "+", "-", "*", "/", "^", "**",
           "(", ")", ",", "=", "+=", "-=", "*=", "/=", ";", "\n", "# c\n", "// c\n", " ", "\t"]
          + sorted(FUNCTIONS))


@fuzz
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_token_soup(tokens):
    run(["-f", "-", "x=0.5", "y=-1.5", "z=2", "a=3", "--json"], stdin="".join(tokens))
    run(["-f", "-", "x=0.5", "y=-1.5", "z=2", "a=3", "--json"], stdin=" ".join(tokens))


# (c) The examples, broken by one mutation.
@st.composite
def mutated_example(draw):
    text = draw(st.sampled_from(EXAMPLE_FILES)).read_text()
    kind = draw(st.sampled_from(["drop", "dup", "swap", "move"]))
    if kind == "move":
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        lines.insert(j, lines.pop(i))
        return "\n".join(lines)
    i = draw(st.integers(0, len(text) - 2))
    if kind == "drop":
        return text[:i] + text[i + 1:]
    if kind == "dup":
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


@fuzz
@given(mutated_example())
def test_mutated_examples(text):
    run(["--json"], stdin=text)
    run([], stdin=text)  # the table too


# (e) Tutorial code pasted in: the neurons of tests/cases/pasted broken by
# one mutation, and soups of the tutorials' own words, with the look-alike
# characters of web pages.
PASTED_FILES = sorted((Path(__file__).parent / "cases" / "pasted").iterdir())
PASTED_WORDS = ["var ", "new ", "Unit(", "1.0, 0.0)", "class ", "MultGate", "(object):", "{", "}", "this.", "self.",
                "u0", ".value", ".grad", ".data", "mulg0.forward(", "sg0.backward()", "console.log(", "print(",
                "import math", "from math import exp", "step_size", "a", "x", "s", "=", "+=", "-=", "*", "(", ")", ",",
                ";", "\n", "    ", "'", "\u2212", "\u00d7", "\u00b7", "\u00b2", "\u207b\u00b9", "\u00a0", "e^", "2",
                "SIG(", "Math.Exp(", "1,5", "return ", "def ", "function", ":", "# c\n", "// c\n", "-0.01"]


@st.composite
def mutated_paste(draw):
    text = draw(st.sampled_from(PASTED_FILES)).read_text("utf-8")
    lines = text.split("\n")
    start = draw(st.integers(0, len(lines) - 1))
    text = "\n".join(lines[start:start + draw(st.integers(1, 12))])  # a piece, as people copy it
    i = draw(st.integers(0, max(0, len(text) - 2)))
    kind = draw(st.sampled_from(["drop", "dup", "keep"]))
    if kind == "drop":
        return text[:i] + text[i + 1:]
    if kind == "dup":
        return text[:i] + text[i:i + 1] + text[i:]
    return text


@fuzz
@given(mutated_paste())
def test_pasted_tutorial_pieces(text):
    run(["x=1", "step_size=0.01"], stdin=text)


@fuzz
@given(st.lists(st.sampled_from(PASTED_WORDS), max_size=20))
def test_pasted_word_soup(words):
    text = "".join(words)
    run(["-f", "-", "x=0.5", "a=2", "--json"], stdin=text)
    run([text or "x", "x=0.5"])  # as the expression: one starting with '-' is a usage error


# (d) Valid random programs: exit 0 and gradients that match central differences,
# or a math error (exit 1) for points outside a domain.
NAMES = ["x", "y", "z"]


@st.composite
def expression(draw, depth=0):
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return draw(st.sampled_from(NAMES))
        return repr(draw(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 2))))
    op = draw(st.sampled_from(sorted(OPS)))
    record = OPS[op]
    n = record.arity + (draw(st.integers(0, 2)) if record.variadic else 0)
    args = [draw(expression(depth + 1)) for _ in range(n)]
    if op in FUNCTIONS:
        return "%s(%s)" % (op, ", ".join(args))
    if n == 2:
        return "(%s %s %s)" % (args[0], record.symbol, args[1])
    return "(%s %s)" % (record.symbol, args[0])


@fuzz
@given(expression(), st.lists(st.floats(-2, 2).map(lambda v: round(v, 2)), min_size=3, max_size=3))
def test_random_programs_are_right_or_a_math_error(expr, point):
    bindings = dict(zip(NAMES, point))
    args = ["--json", "--", expr] + ["%s=%r" % kv for kv in bindings.items()]
    result = run(args)
    if result.exit_code == 1:
        assert "math error" in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[0])
    value = out["value"]
    assert isinstance(value, float) and math.isfinite(value)
    # Each gradient against a central difference, where the function is smooth enough.
    for name, grad in out["gradients"].items():
        if isinstance(grad, str) or out.get("notes"):
            continue
        try:
            coarse, fine = (central_difference(expr, bindings, name, h) for h in (1e-5, 1e-6))
        except gradcli.MathError:
            continue  # the point is at a domain edge
        if abs(coarse - fine) > 1e-4 * max(1.0, abs(fine)):
            continue  # too close to a pole or a kink for differences to mean anything
        assert abs(fine - grad) <= 1e-4 * max(1.0, abs(fine)), (expr, name, grad, fine)


def central_difference(expr, bindings, name, h):
    up = gradcli.evaluate(expr, {**bindings, name: bindings[name] + h})[0].value
    down = gradcli.evaluate(expr, {**bindings, name: bindings[name] - h})[0].value
    return (up - down) / (2 * h)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(EXAMPLES_DIR).as_posix())
def test_examples_run_clean(path):
    assert run([*run_args(path), "--json"]).exit_code == 0
