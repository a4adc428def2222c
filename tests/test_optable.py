"""The whole op table, op by op, through everything gradcli does with an op:
the evaluator, the rule text --explain shows, --emit python and js, --check,
--step and --json. The ops are read from gradcli.ops.OPS, never listed here,
so a new op that misses one of these fails a test, not a user."""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import random
import re
import subprocess

import pytest

import gradcli
from gradcli.emit import emit
from gradcli.errors import ProgramError
from gradcli.explain import Explainer
from gradcli.ops import HELPERS, NAMESPACE, OPS
from gradcli.steps import Ascent

from .test_cli import invoke, ok, strict_json
from .test_emit import NODE, needs_node, run_js, run_python
from .test_ops import central_difference, smooth_points, source_of

# Variadic ops with 2 and 3 arguments; the others with their own number.
CASES = [(name, n) for name, op in OPS.items() for n in ((2, 3) if op.variadic else (op.arity,))]
IDS = ["%s/%d" % c for c in CASES]


@functools.lru_cache(maxsize=None)
def point(name: str, n: int) -> tuple[float, ...]:
    """A point inside the op's domain, away from its kinks (test_ops' grid)."""
    points = smooth_points(name, n)
    assert points, "op %s: no smooth point on test_ops' grid" % name
    return points[len(points) // 2]


def bindings(xs: tuple[float, ...]) -> dict[str, float]:
    return {"a%d" % k: x for k, x in enumerate(xs)}


def cli(name: str, n: int, *options: str) -> str:
    """gradcli's output for the op at its point ("--" since neg's text starts with -)."""
    words = ["%s=%r" % kv for kv in bindings(point(name, n)).items()]
    return ok(*options, "--", source_of(name, n), *words)


def cli_json(name: str, n: int, *options: str) -> list:
    return [strict_json(line) for line in cli(name, n, "--json", *options).splitlines()]


def evaluated(name: str, n: int):
    return gradcli.evaluate(source_of(name, n), bindings(point(name, n)))[0]


# --- the rule text agrees with the partials ----------------------------------------
#
# The rule text is written for people (`1 - out^2`, `sign(a)`, `[a == out]`);
# the partial templates are what gradcli computes with. The rule is read here
# as Python by a few substitutions, independently of the templates, rather
# than derived from them: a slip in either one shows up as a disagreement.

RULE_NAMES = dict(NAMESPACE, ln=math.log, pi=math.pi, sign=lambda x: math.copysign(1.0, x),
                  sig=lambda x: 1.0 / (1.0 + math.exp(-x)))
RULE_CASES = [(name, n) for name, op in OPS.items() for n in (range(op.arity, 4) if op.variadic else (op.arity,))]


def rule_value(text: str, out: float, xs: tuple[float, ...]) -> float:
    names = ["a%d" % k for k in range(len(xs))]
    python = text.format(*names, out="out").replace("^", "**").replace("[", "(").replace("]", ")")
    return eval(python, dict(RULE_NAMES), dict(zip(names, xs), out=out))


def random_points(name: str, n: int, rng: random.Random, count: int = 25) -> list[tuple[float, ...]]:
    """Points where the op, its partials and a neighbourhood are defined and
    finite, and that are not kinks."""
    fn, partials, kink = OPS[name].functions(n)
    points: list[tuple[float, ...]] = []
    for _ in range(100 * count):
        xs = tuple(rng.uniform(-3.0, 3.0) for _ in range(n))
        try:
            out = fn(*xs)
            near = [fn(*(x + s * (k == j) for k, x in enumerate(xs))) for j in range(n) for s in (-1e-3, 1e-3)]
            ds = [p(out, *xs) for p in partials]
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if all(math.isfinite(v) for v in [out, *near, *ds]) and not (kink and kink(out, *xs)):
            points.append(xs)
            if len(points) == count:
                break
    return points


@pytest.mark.parametrize("name, n", RULE_CASES, ids=["%s/%d" % c for c in RULE_CASES])
def test_every_rule_text_says_what_the_partials_compute(name, n):
    op = OPS[name]
    rng = random.Random("gradcli rules %s %d" % (name, n))  # the same points on every run
    fn, partials, _ = op.functions(n)
    points = random_points(name, n, rng)
    assert len(points) >= 10, "op %s: too few points inside its domain in [-3, 3]" % name
    for xs in points:
        out = fn(*xs)
        for k, (rule, partial) in enumerate(zip(op.rule_templates(n), partials)):
            want = partial(out, *xs)
            got = rule_value(rule, out, xs)
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (name, rule, xs, got, want)


# --- every op through every way of running it ---------------------------------------

@pytest.mark.parametrize("name, n", CASES, ids=IDS)
def test_the_evaluator_against_central_differences(name, n):
    xs = point(name, n)
    r = evaluated(name, n)
    f = OPS[name].functions(n)[0]
    assert r.value == f(*xs) and not r.notes
    for k in range(n):
        assert r.gradients["a%d" % k] == pytest.approx(central_difference(f, xs, k), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name, n", CASES, ids=IDS)
def test_emitted_python_computes_what_the_evaluator_computes(name, n):
    r = evaluated(name, n)
    assert run_python(cli(name, n, "--emit", "python")) == (r.value, r.gradients)


def helpers_of(name: str, n: int) -> set[str]:
    """The helpers an op's templates call."""
    op = OPS[name]
    text = " ".join((op.value_template(n),) + op.partial_templates(n))
    return set(re.findall(r"[A-Za-z_]\w*", text)) & set(HELPERS)


@pytest.fixture(scope="module")
def js_outputs() -> dict:
    """Every op's emitted JavaScript, run in one node process: (name, n) -> result,
    or the ProgramError for an op without a JavaScript form."""
    found: dict = {}
    sources, calls = [], []
    for k, (name, n) in enumerate(CASES):
        try:
            emit(gradcli.compile(source_of(name, n), bindings(point(name, n))), "js")
        except ProgramError as e:
            found[name, n] = e
            continue
        src = cli(name, n, "--emit", "js")
        sources.append(src.replace("function forwardBackward(", "function f%d(" % k))
        calls.append(("f%d" % k, {}))
        found[name, n] = len(calls) - 1
    outs = run_js("\n".join(sources), calls) if calls else []
    return {key: outs[v] if isinstance(v, int) else v for key, v in found.items()}


@needs_node
@pytest.mark.parametrize("name, n", CASES, ids=IDS)
def test_emitted_js_runs_in_node_or_is_refused(name, n, js_outputs):
    got = js_outputs[name, n]
    if isinstance(got, ProgramError):
        assert any(HELPERS[h].js is None for h in helpers_of(name, n))
        assert got.message.startswith("%s has no JavaScript form" % name)
        assert got.message.endswith("; emit Python instead")
        return
    r = evaluated(name, n)
    assert math.isclose(got["value"], r.value, rel_tol=1e-12), (got, r.value)
    assert got["grads"].keys() == r.gradients.keys()
    for k, v in r.gradients.items():
        assert math.isclose(got["grads"][k], v, rel_tol=1e-12, abs_tol=1e-300), (k, got, r.gradients)


@pytest.mark.parametrize("name, n", CASES, ids=IDS)
def test_the_gradient_check_agrees(name, n):
    (report,) = cli_json(name, n, "--check")
    assert report["ok"] is True, report
    assert {v["verdict"] for v in report["inputs"].values()} == {"good"}, report


STEP, STEPS, EVERY = 1e-4, 100, 25


@pytest.mark.parametrize("name, n", CASES, ids=IDS)
def test_steps_compiled_by_the_library_and_on_the_command_line_match_the_interpreter(name, n):
    text, xs = source_of(name, n), bindings(point(name, n))
    g = gradcli.compile(text, xs)
    ref = Ascent(g, STEP, STEPS, every=EVERY, compiled=False)
    want = list(ref)
    assert ref.stopped == "steps" and len(want) == STEPS // EVERY + 1
    compiled = Ascent(g, STEP, STEPS, every=EVERY, compiled=True)
    assert compiled.compiled and repr(list(compiled)) == repr(want)
    assert repr(list(gradcli.ascend(text, STEP, STEPS, bindings=xs, every=EVERY))) == repr(want)
    lines = cli_json(name, n, "--step", repr(STEP), "--steps", str(STEPS), "--every", str(EVERY))
    shown = [(d["step"], d["value"], d["inputs"], d["gradients"]) for d in lines if "step" in d]
    assert shown == [(s.k, s.value, s.inputs, s.gradients) for s in want]


@pytest.mark.parametrize("name, n", CASES, ids=IDS)
def test_json_names_the_op_and_explain_shows_its_rule(name, n):
    (line,) = cli_json(name, n)
    assert name in [node["op"] for node in line["nodes"]]
    text = cli(name, n, "--explain")
    r = evaluated(name, n)
    for k in range(n):
        assert Explainer(r).rule(r.output, k)[0] in text


# --- the table itself ----------------------------------------------------------------

def test_every_helper_says_how_python_writes_it_and_is_used_by_an_op():
    import builtins
    used = set().union(*(helpers_of(name, n) for name, n in CASES))
    for name, h in HELPERS.items():
        assert h.python in ("math", "builtin", "constant"), name
        if h.python == "math":
            assert getattr(math, name) is h.value, name
        elif h.python == "builtin":
            assert getattr(builtins, name) is h.value, name
        else:
            assert isinstance(h.value, float) and h.js == repr(h.value), name
        assert name in used, "helper %s: no op uses it, so no test runs its JavaScript form" % name


@needs_node
def test_every_one_argument_helper_in_javascript_agrees_with_python_along_the_line():
    xs = [k / 64 for k in range(-448, 449)]
    cases = []
    for name, h in HELPERS.items():
        if h.js is None or not callable(h.value):
            continue
        try:
            h.value(1.0)
        except TypeError:  # two arguments (atan2, pow) or a sequence (max, min): the walk covers those
            continue
        cases.append((name, h))
    driver = "var xs = %s;\nconsole.log(JSON.stringify([%s]));" % (xs, ", ".join(
        "(function () { var f = %s; return xs.map(function (x) { return f(x); }); })()" % h.js
        for _, h in cases))
    done = subprocess.run([NODE, "-e", driver], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for (name, h), got in zip(cases, json.loads(done.stdout)):
        for x, y in zip(xs, got):
            try:
                want = h.value(x)
            except (ValueError, OverflowError):
                continue
            assert math.isclose(y, want, rel_tol=1e-12, abs_tol=1e-300), (name, x, y, want)


@pytest.fixture
def exp_without_js(monkeypatch):
    """The op table as if JavaScript had no exp."""
    monkeypatch.setitem(HELPERS, "exp", dataclasses.replace(HELPERS["exp"], js=None))


def test_an_op_without_a_javascript_form_is_refused_by_name(exp_without_js):
    g = gradcli.compile("y = 2 * x; y + exp(y)", {"x": 0.5})
    with pytest.raises(ProgramError) as info:
        emit(g, "js")
    e = info.value
    assert e.message == "exp has no JavaScript form; emit Python instead"
    assert e.position == (1, 16) and e.exit_code == 2
    assert "exp(y)" in e.render()
    with pytest.raises(ProgramError, match=r"^sig has no JavaScript form \(it needs exp, which JavaScript "
                                           r"lacks\); emit Python instead$"):
        emit(gradcli.compile("sig(x)", {"x": 0.5}), "js")
    assert "from math import exp" in emit(g, "python")  # Python is still there


def test_the_command_line_refuses_an_op_without_a_javascript_form(exp_without_js):
    r = invoke("--emit", "js", "exp(x)", "x=1")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith("gradcli: error at <expr> line 1, column 1: exp has no JavaScript form")
