"""Hunting for crashes: random bytes, token soups, broken examples, random programs,
random session lines and random arguments to the Python API.

Every case must end in exit 0 with a correct result, or in a clean error:
exit 1 or 2, a short message on stderr starting with "gradcli:", and never a
traceback. Cases go through the real command (click's `main`), with
exceptions left uncaught so that any escaping exception fails the test.

The example counts are modest so CI stays fast (a few seconds for the session
and the API). For a long campaign:

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


def fuzz_some(n: int):
    """`fuzz` with n cases in CI (each of these runs many calls), EXAMPLES in a campaign."""
    return settings(fuzz, max_examples=EXAMPLES if os.environ.get("GRADCLI_FUZZ_EXAMPLES") else n)


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


# (e) The session: random lines (inputs bound and redefined, definitions,
# expressions, commands with good and bad arguments, junk), handled one after
# another. No line may raise, and at the end what the session shows for an
# expression is what the API computes from the session's state: its inputs and
# its definitions, the latest of each name.
SESSION_NAMES = ["x", "y", "q"]
COMMAND_WORDS = [":vars", ":help", ":reset", ":explain", ":step 0.1", ":step 0.01 3", ":descend 0.1 2",
                 ":step", ":step 0", ":step -1", ":descend -0.5", ":step 1e-400", ":step 1_0", ":step abc",
                 ":step 0.1 -2", ":step 0.1 2.5", ":explain (", ":nosuch", ":", ":step 0.1 2 x*"]


@st.composite
def session_line(draw):
    kind = draw(st.integers(0, 5))
    name = draw(st.sampled_from(SESSION_NAMES))
    if kind == 0:
        return "%s = %r" % (name, round(draw(st.floats(-3, 3)), 2))
    if kind == 1:
        return "%s = %s" % (name, draw(expression()).replace("z", draw(st.sampled_from(SESSION_NAMES))))
    if kind == 2:
        return draw(expression()).replace("z", "q")
    if kind == 3:
        command = draw(st.sampled_from(COMMAND_WORDS))
        return command + (" " + draw(expression()) if command.startswith((":step 0.1", ":explain")) and
                          draw(st.booleans()) else "")
    if kind == 4:
        return "%s += %s" % (name, draw(st.sampled_from(["1", "x", "y*2"])))
    return draw(st.text(alphabet="xyq=+*-/^()., :;#0123456789e_", max_size=20))


def session_value(s, expr):
    """The value the API gives `expr` over the session's inputs and definitions."""
    program = ["%s = %r" % (n, v) for n, v in s.bindings.items()] + [stmt for _, stmt, _ in s.defs]
    return gradcli.evaluate("\n".join(program + [expr]))[-1].value


@fuzz_some(60)
@given(st.lists(session_line(), max_size=8), expression())
def test_random_session_lines(lines, final):
    import io
    import re
    from rich.console import Console
    from gradcli.repl import Session
    out, err = io.StringIO(), io.StringIO()
    s = Session(Console(file=out, width=100, color_system=None), Console(file=err, width=100, color_system=None))
    for line in lines:
        assert s.handle(line) is True, line
    assert "Traceback" not in out.getvalue() + err.getvalue()
    # A name is an input or defined, not both; its statements stand together (one
    # definition, or a chain of them when it is redefined in terms of itself).
    defined = [name for _, _, name in s.defs]
    groups = [name for k, name in enumerate(defined) if k == 0 or defined[k - 1] != name]
    assert len(groups) == len(set(groups)) and not set(defined) & set(s.bindings), (lines, s.defs, s.bindings)
    final = final.replace("z", "q")
    start = len(out.getvalue())
    s.handle(final)
    shown = re.search(r"^output (.*) = (\S+)$", out.getvalue()[start:], re.M)
    try:
        value = session_value(s, final)
    except gradcli.GradcliError:
        assert shown is None, (lines, final)  # an error in the session too
        return
    assert shown is not None, (lines, final, err.getvalue())
    expected = float("%.4g" % value) if math.isfinite(value) else value
    assert float(shown.group(2)) == pytest.approx(expected, rel=1e-3, abs=1e-300), (lines, final)


# (f) The Python API: every public call with arguments of every kind. Each
# ends in a result, a gradcli error, or a TypeError that names the parameter.
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(10**300, 10**500), st.floats(), st.text(max_size=8),
    st.binary(max_size=4), st.complex_numbers(max_magnitude=10), st.lists(st.text(max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(-3, 3), max_size=2), st.just(object()),
    st.sampled_from(["x", "x*y", "x,y", "log(x)", "", "q = x*2; q", "x +"]),
    st.just({"x": 1.0, "y": 2.0}), st.just({"x": 10**400}), st.just(0.1), st.just(3), st.just(-1),
)
PARAMETERS = ("program", "text", "name", "bindings", "step", "steps", "freeze", "output", "every", "tol", "graph",
              "result", "files", "descend")


def api_calls(a, b, c):
    graph = gradcli.compile("x*y", {"x": 1, "y": 2})
    return [
        lambda: gradcli.grad(a),
        lambda: gradcli.grad("x*y", x=a, y=1),
        lambda: gradcli.evaluate(a, b),
        lambda: gradcli.compile(a, b),
        lambda: gradcli.Program(a),
        lambda: gradcli.Program("x*y").evaluate(a),
        lambda: gradcli.Program("x*y").bind(a),
        lambda: gradcli.Program("x*y", name=a),
        lambda: gradcli.ascend("x*y", a, b, bindings={"x": 1, "y": 2}).run(),
        lambda: gradcli.ascend("x*y", 0.1, 2, bindings=a, freeze=b).run(),
        lambda: gradcli.ascend("x*y", 0.1, 2, bindings={"x": 1, "y": 2}, output=a, every=b, tol=c).run(),
        lambda: gradcli.ascend(a, 0.1, bindings=b, descend=c).run(),
        lambda: gradcli.Ascent(a, 0.1).run(),
        lambda: gradcli.Ascent(graph, a, 2, freeze=b, every=c).run(),
        lambda: gradcli.Ascent(graph, 0.1, 2, tol=a, output=b).run(),
        lambda: gradcli.nodes(a),
        lambda: gradcli.Source(a, b),
        lambda: gradcli.Source.join(a),
        lambda: gradcli.Source.join([(a, b)]),
    ]


@fuzz_some(80)
@given(ANYTHING, ANYTHING, ANYTHING)
def test_random_arguments_to_the_api(a, b, c):
    for k, call in enumerate(api_calls(a, b, c)):
        try:
            call()
        except gradcli.GradcliError as e:
            assert e.message and "Traceback" not in e.render()
        except TypeError as e:
            assert any(p in str(e) for p in PARAMETERS), (k, a, b, c, e)
