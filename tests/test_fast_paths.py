"""Every fast path gives the reference path's output, to the byte, over a corpus:
the programs of tests/cases and examples/, and the benchmark's network.

- the step loop: compiled (frozen inputs' gradients computed after the loop) and
  the interpreter, step by step;
- JSON: write_json's batched text and json.dumps of the records;
- the API: Program and gradcli.compile's straight-line code and the interpreter.
"""
from __future__ import annotations

import io
import json
import math
import re
import sys

import pytest

import gradcli
from gradcli import GradcliError, MathError
from gradcli.cli import parse_binding
from gradcli.engine import evaluate
from gradcli.render import to_json, write_json
from gradcli.steps import Ascent, loop_source

from .conftest import CASES_DIR, EXAMPLES_DIR, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import shapes  # noqa: E402


def corpus():
    """(id, program text, bindings) for every valid program we keep."""
    found = []
    for path in sorted(CASES_DIR.glob("*.txt")):
        if path.name == "README.txt":
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            program, bindings, expected = (p.strip() for p in line.rsplit(";", 2))
            if not expected.startswith("error"):
                found.append(("%s:%d" % (path.stem, n), program, dict(parse_binding(w) for w in bindings.split())))
    for path in sorted(EXAMPLES_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".js"):
            found.append((str(path.relative_to(EXAMPLES_DIR)), path.read_text("utf-8"), {}))
    text, _ = shapes.mlp(3, 5)
    found.append(("mlp", text, {}))
    return found


def graph(text, bindings):
    try:
        return gradcli.compile(text, bindings)
    except GradcliError:
        return None  # a hand-written backward pass to verify, an input left open


ALL = corpus()
# The scalar programs: an array program runs numpy's passes (tensor.py), with no straight-line code.
CORPUS = [c for c in ALL if (g := graph(c[1], c[2])) is not None and not g.arrays]
IDS = [c[0] for c in CORPUS]


def test_the_corpus_is_big_enough():
    assert len(ALL) >= 80 and len(CORPUS) >= 60


def bits(x) -> str:
    """repr tells -0.0 from 0.0 and shows nan: equal text is equal bits."""
    return repr(x)


def run(g, compiled, **options):
    asc = Ascent(g, options.pop("step", 0.01), options.pop("steps", 30), compiled=compiled, **options)
    seen, error = [], None
    try:
        seen = list(asc)
    except MathError as e:
        error = e.render()
    return bits((seen, error, asc.last, asc.stopped))


@pytest.mark.parametrize("name,text,bindings", CORPUS, ids=IDS)
def test_step_loop_compiled_is_the_interpreter(name, text, bindings):
    g = graph(text, bindings)
    names = list(g.inputs)
    for options in (dict(every=7), dict(every=4, descend=True, freeze=names[::2]),
                    dict(every=1, steps=5, freeze=names[1:])):
        assert run(g, True, **options) == run(g, False, **options), (name, options)


def test_frozen_gradients_are_computed_after_the_loop_only():
    text, data = shapes.mlp(3, 4)
    g = gradcli.compile(text)
    src, _ = loop_source(Ascent(g, 0.01, 100, descend=True, freeze=data))
    loop, after = src.split("    _k = _n - 1", 1)
    for x in data:
        assert ("d%s " % x) not in loop and ("d%s = " % x) in after
    # Still reported at every step, bit for bit as the interpreter finds them.
    one = list(Ascent(g, 0.01, 9, descend=True, freeze=data, every=2, compiled=True))
    ref = list(Ascent(g, 0.01, 9, descend=True, freeze=data, every=2, compiled=False))
    assert bits(one) == bits(ref)
    assert all(s.gradients["x0"] != 0.0 for s in one)


def test_the_network_steps_as_the_hand_written_loop():
    text, data = shapes.mlp(4, 8)
    namespace: dict = {}
    exec(shapes.mlp_hand(4, 8), namespace)
    loss, params = namespace["mlp_steps"](40, 0.01, **shapes.mlp_point(4, 8))
    last = Ascent(gradcli.compile(text), 0.01, 40, descend=True, freeze=data).run()
    # The hand-written loop takes tanh' as 1 - h*h, the tutorials' form; gradcli's op
    # table takes 1/cosh(x)^2, exact in the tails too: the same steps, to rounding.
    assert math.isclose(last.value, loss, rel_tol=1e-12)
    assert all(math.isclose(last.inputs[k], v, rel_tol=1e-9, abs_tol=1e-15) for k, v in params.items())


@pytest.mark.parametrize("name,text,bindings", CORPUS, ids=IDS)
def test_json_text_is_json_dumps_of_the_records(name, text, bindings):
    for result in evaluate(graph(text, bindings)):
        out = io.StringIO()
        write_json(result, out)
        reference = json.dumps(to_json(result), allow_nan=False, ensure_ascii=False) + "\n"
        assert out.getvalue() == reference


def outcome(evaluate_):
    """Everything a Result holds (bit for bit), or the error's whole message. The
    value and gradients are read first: Program's come from its lean code, and
    its lists of every node's value and gradient from other code, when asked for."""
    try:
        return bits([(r.value, r.gradients, r.values, r.grads, r.output, r.label, [str(n) for n in r.notes])
                     for r in evaluate_()])
    except GradcliError as e:
        return e.render()


def programs():
    """Every program of the corpus and its error cases, as a Program with bindings."""
    found = list(CORPUS)
    for path in sorted(CASES_DIR.glob("*.txt")):
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.count(";") >= 2 and not line.lstrip().startswith("#") and "; error" in line:
                program, bindings, _ = (p.strip() for p in line.rsplit(";", 2))
                found.append(("%s:%d" % (path.stem, n), program, dict(parse_binding(w) for w in bindings.split())))
    return found


PROGRAMS = programs()


@pytest.mark.parametrize("name,text,bindings", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_program_evaluates_as_the_interpreter(name, text, bindings):
    try:
        program = gradcli.Program(text)
    except GradcliError:
        assert graph(text, bindings) is None  # the same program fails to build either way
        return
    try:
        program.evaluate(bindings)  # the first evaluation is interpreted; from the second on, code
    except GradcliError:
        pass
    points = [bindings]
    for scale in (-1.0, 0.0, 1.5, 1e200):  # domain errors, kinks, overflow
        points.append({n: v * scale for n, v in (bindings or program.defaults).items()})
    for point in points:
        point = {n: v for n, v in point.items() if n in program.inputs}
        try:
            g = program.bind(point)
        except GradcliError as e:
            with pytest.raises(GradcliError) as info:
                program.evaluate(point)
            assert info.value.render() == e.render()
            continue
        assert outcome(lambda: program.evaluate(point)) == outcome(lambda: evaluate(g)), (name, point)
    assert program._fast is not None  # the straight-line code ran


def test_program_generates_its_code_once_and_falls_back_for_errors():
    program = gradcli.Program("log(x) + relu(y)")
    assert program(x=1.0, y=2.0).value == 2.0 and program._fast is None  # one evaluation: interpreted
    assert program(x=1.0, y=3.0).value == 3.0
    fast = program._fast
    assert fast is not None
    with pytest.raises(MathError, match="log needs an argument above 0"):
        program(x=-1.0, y=2.0)
    r = program(x=2.0, y=0.0)
    assert any("kink of relu" in str(n) for n in r.notes)
    assert program._fast is fast


@pytest.mark.parametrize("bindings", [
    {"x": 2.0, "y": 3.0}, {"x": 2, "y": 3}, {"x": True, "y": 3.0}, {"x": "2", "y": 3.0},
    {"x": math.nan, "y": 1.0}, {"x": math.inf, "y": 1.0}, {"x": 10 ** 400, "y": 1.0},
    {"x": 1e308, "y": 1e308}, {"x": 2.0}, {"x": 2.0, "y": 3.0, "z": 1.0}, {"q": 1.0, "y": 1.0},
    {1: 2.0, "x": 1.0, "y": 1.0}, {"x": -0.0, "y": -0.0}, {"x": 0.0, "y": 0.0}])
def test_program_takes_bindings_as_the_interpreter_does(bindings):
    program = gradcli.Program("q = x*y + log(y); relu(q) + x")
    program(x=1.0, y=1.0)
    program(x=1.0, y=1.0)
    assert program._fast is not None

    def reference():
        return evaluate(program.bind(bindings))
    try:
        want = outcome(reference)
    except TypeError as e:
        with pytest.raises(TypeError, match=re.escape(str(e))):
            program.evaluate(bindings)
        return
    assert outcome(lambda: program.evaluate(bindings)) == want


@pytest.mark.parametrize("bindings", [{}, {"a": 2.0}, {"x": -1.0, "b": 0.25}, {"a": 1.0, "x": 2.0, "b": 3.0}])
def test_program_with_its_own_values_takes_some_bindings(bindings):
    program = gradcli.Program("a = 1.5; b = -0.5; q = a*x + b; sig(q) + q*x", bindings={"x": 0.75})
    program.evaluate({})
    program.evaluate({})
    assert program._fast is not None
    assert outcome(lambda: program.evaluate(bindings)) == outcome(lambda: evaluate(program.bind(bindings)))


def test_an_array_program_evaluates_and_steps_through_the_api_as_on_the_command_line():
    import numpy as np
    p = gradcli.Program("sum(W @ x)")
    W, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])
    first = [p(W=W, x=x) for _ in range(5)]  # past the evaluation at which a scalar program compiles
    assert all(r.value == -2.0 for r in first)
    assert all(np.array_equal(r.gradients["W"], [[1.0, -1.0], [1.0, -1.0]]) for r in first)
    assert np.array_equal(first[-1].gradients["x"], [4.0, 6.0])
    # One step of descent on W with x frozen: W moves by -0.5 * dW, and sum(W @ x) by -0.5 * |dW|^2.
    last = p.ascend(0.5, 1, bindings={"W": W, "x": x}, descend=True, freeze="x").run()
    assert np.array_equal(last.inputs["W"], W - 0.5 * np.array([[1.0, -1.0], [1.0, -1.0]]))
    assert last.value == -2.0 - 0.5 * 4


def test_program_refuses_an_overflowing_gradient_every_time_as_the_interpreter():
    # The value is finite (1e150) but d/dx = 0.5/sqrt(x) * 1e300 is not: the interpreter
    # says so; the straight-line code once gave {'x': inf} from the third evaluation on.
    program = gradcli.Program("sqrt(x)*1e300")
    want = outcome(lambda: evaluate(program.bind({"x": 1e-300})))
    assert "too large for double precision" in want
    for _ in range(4):
        assert outcome(lambda: program.evaluate({"x": 1e-300})) == want
    assert program._fast is not None
    assert program(x=4.0).gradients == {"x": 0.25 * 1e300}


def test_program_results_make_their_lists_only_when_asked():
    import dataclasses
    program = gradcli.Program("q = a*x + b; sig(q); q*q - x")
    at = {"a": 1.5, "x": -2.0, "b": 0.25}
    for _ in range(3):
        results = program.evaluate(at)
    reference = evaluate(program.bind(at))
    for r, ref in zip(results, reference):
        assert "_lazy" in r.__dict__  # value and gradients came from the lean code
        assert bits((r.value, r.gradients)) == bits((ref.value, ref.gradients))
        mine = r.gradients
        mine["a"] = 99.0  # a new dict each time, as Result.gradients gives
        assert r.gradients["a"] == ref.gradients["a"]
        assert bits((r.values, r.grads, r.graph.value)) == bits((ref.values, ref.grads, ref.graph.value))
        assert [str(n) for n in r.nodes] == [str(n) for n in ref.nodes]
        assert bits((r.value, r.gradients)) == bits((ref.value, ref.gradients))
    again = dataclasses.replace(results[0], label="other")
    assert (again.label, again.value, again.gradients) == ("other", results[0].value, results[0].gradients)
    assert repr(results[0]).startswith("Result(graph=")


def test_a_negative_zero_gradient_reads_as_zero_as_the_interpreter_gives_it():
    program = gradcli.Program("x*y")
    for _ in range(3):
        r = program(x=-0.0, y=-0.0)
    assert bits(r.gradients) == bits(evaluate(program.bind({"x": -0.0, "y": -0.0}))[0].gradients) == "{'x': 0.0, 'y': 0.0}"
    assert bits(r.grads[:2]) == "[-0.0, -0.0]"


def test_a_call_repeated_on_the_same_argument_is_made_once():
    from gradcli.codegen import fewer_calls
    tanh_slope = "1.0 / (cosh(v3) * cosh(v3)) if abs(v3) < 20.0 else 4.0 * exp(-2.0 * abs(v3))"
    assert fewer_calls(tanh_slope) == \
        "1.0 / ((_r0 := cosh(v3)) * _r0) if -20.0 < v3 < 20.0 else 4.0 * exp(-2.0 * abs(v3))"
    sig = "1.0 / (1.0 + exp(-v1)) if v1 >= 0.0 else exp(v1) / (1.0 + exp(v1))"
    assert fewer_calls(sig) == "1.0 / (1.0 + exp(-v1)) if v1 >= 0.0 else (_r0 := exp(v1)) / (1.0 + _r0)"
    # Not where the first call may not run when the second does.
    for expr in ("(x if c else f(x)) * f(x)", "f(x) if f(x) > 0 else 1",
                 "f(x) if c else f(x)"):
        assert fewer_calls(expr) == expr
    import math as m
    for v3 in (-800.0, -25.0, -20.0, -1.5, -0.0, 0.0, 1e-300, 0.7, 19.99, 20.0, 710.0, math.inf, -math.inf, math.nan):
        names = {"v3": v3, "v1": v3, "cosh": m.cosh, "exp": m.exp, "abs": abs}
        for expr in (tanh_slope, sig):
            try:
                want = eval(expr, dict(names))
            except (OverflowError, ValueError):
                with pytest.raises((OverflowError, ValueError)):
                    eval(fewer_calls(expr), dict(names))
                continue
            assert bits(eval(fewer_calls(expr), dict(names))) == bits(want)


def test_an_output_finite_arguments_keep_finite_is_computed_after_the_loop():
    g = gradcli.compile("sig(a*x + b*y + c)", dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0))
    loop, after = loop_source(Ascent(g, 0.01, 100))[0].split("    _k = _n - 1", 1)
    assert "exp(-t4)" not in loop and "t5 = " in after and "_c = 0.0 * t4" in loop
    with_tol = loop_source(Ascent(g, 0.01, 100, tol=1e-12))[0]
    assert "exp(-t4)" in with_tol.split("    else:")[0]  # --tol compares the value at every step
    exp_out = loop_source(Ascent(gradcli.compile("exp(a*x)", dict(a=1.0, x=2.0)), 0.01, 100))[0]
    assert "exp(" in exp_out.split("_c = ")[0]  # exp overflows: its value is checked at every step
    # tanh's argument overflows at the first update: the loop sees it, the interpreter names it.
    g = gradcli.compile("tanh(x*x*x)", {"x": 1.0})
    compiled, reference = run(g, True, step=1e103, steps=3), run(g, False, step=1e103, steps=3)
    assert compiled == reference and "too large for double precision" in reference


def _columns(g):
    return bits((g.kind, [op and op.name for op in g.op], list(g.args), g.value, g.name, list(g.span), g.needs,
                 list(g.inputs.items()), g.outputs))


BINDING_RUNS = [
    shapes.wide(20_000),  # 15,000 binding lines: runs across pieces of 4,096 statements
    "x = 1\ny = -2\nx = 3\nz = - 4\nw = -0\nv = 1e-3\nu = .5\nt = 2.\nx*y*z*w*v*u*t\n",  # a name bound twice, `- 4`
    "p = 2*x\nx = 3\ny = 4\np + x*y\n",  # x used before its line
    "a = 1;b = 2\n\nc = 3 # three\nd = 4\na*b*c*d",
    "\n".join("k%d = %d" % (i, i % 5 - 2) for i in range(5000)) + "\nk0 = 7\n" + "+".join("k%d" % i for i in range(5000)),
]


@pytest.mark.parametrize("text", BINDING_RUNS, ids=range(len(BINDING_RUNS)))
@pytest.mark.parametrize("bindings", [{}, {"x": 5.0, "k3": -1.5, "w1": 2.0}])
def test_binding_lines_in_bulk_build_the_graph_of_one_at_a_time(text, bindings):
    """The fast parser notes runs of `name = number` lines and the builder
    adds them in bulk; a program read whole for keep_scope (split into
    forward and backward, which keeps no such notes) is built a statement
    at a time. Both give the same graph, bit for bit."""
    from gradcli.frontend import build
    from gradcli.errors import Source
    source = Source(text, "t")
    assert _columns(build(source, bindings)) == _columns(build(source, bindings, keep_scope=True))
