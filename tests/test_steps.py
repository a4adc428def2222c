"""Gradient ascent (--step): the tutorials' numbers, descent to a known minimum,
--freeze, --tol, --every, --output, --json, errors, and the compiled loop
against the interpreter, bit for bit."""
import json
import math
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

import gradcli
from gradcli import steps as steps_module
from gradcli.cli import main
from gradcli.errors import InputError, MathError
from gradcli.stepcli import chart
from gradcli.steps import Ascent

NEURON = "sig(a*x+b*y+c)"
NEURON_ARGS = ["a=1", "b=2", "c=-3", "x=-1", "y=3"]


def cli(*args):
    result = CliRunner().invoke(main, list(args))
    # Only SystemExit (an exit code) may end the command; never an exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


def hand_neuron(a, b, c, x, y, step):
    """The tutorial's circuit and update, written out by hand."""
    q = a * x + b * y + c
    s = 1 / (1 + math.exp(-q))
    dq = s * (1 - s)
    grads = dict(a=x * dq, b=y * dq, c=dq, x=a * dq, y=b * dq)
    new = dict(a=a + step * grads["a"], b=b + step * grads["b"], c=c + step * grads["c"],
               x=x + step * grads["x"], y=y + step * grads["y"])
    return s, grads, new


# -- the tutorials' neuron ---------------------------------------------------------------

def test_neuron_one_step_matches_the_tutorial():
    r = cli(NEURON, *NEURON_ARGS, "--step", "0.01", "--json")
    assert r.exit_code == 0, r.output
    lines = json_lines(r.stdout)
    assert [l.get("step") for l in lines[:2]] == [0, 1]
    first, second, final = lines
    # The tutorial prints 0.8808, the gradients -0.105, 0.315, 0.105, 0.105, 0.210 ...
    assert round(first["value"], 4) == 0.8808
    assert {k: round(v, 3) for k, v in first["gradients"].items()} == dict(
        a=-0.105, b=0.315, c=0.105, x=0.105, y=0.21)
    # ... and "circuit output after one backprop: 0.8825" (0.88255...).
    assert math.floor(second["value"] * 1e4) / 1e4 == 0.8825
    s0, g0, new = hand_neuron(1.0, 2.0, -3.0, -1.0, 3.0, 0.01)
    assert first["value"] == pytest.approx(s0, rel=1e-15)
    for name in "abcxy":
        assert first["gradients"][name] == pytest.approx(g0[name], rel=1e-14, abs=1e-16)
        assert second["inputs"][name] == pytest.approx(new[name], rel=1e-14)
    s1, _, _ = hand_neuron(**new, step=0.01)
    assert second["value"] == pytest.approx(s1, rel=1e-14)
    assert final["output"] == NEURON and final["value"] == second["value"]


def test_neuron_table_output_lines_and_summary():
    r = cli(NEURON, *NEURON_ARGS, "--step", "0.01", "--precision", "6")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["step", "value", "change", "predicted"]
    assert lines[1].split() == ["0", "0.880797"]
    k, value, change, predicted = lines[2].split()
    assert (k, value) == ("1", "0.88255")
    # The change and step * |grad|^2 from the hand-written tutorial code.
    s0, g0, new = hand_neuron(1.0, 2.0, -3.0, -1.0, 3.0, 0.01)
    s1, _, _ = hand_neuron(**new, step=0.01)
    assert float(change) == pytest.approx(s1 - s0, rel=1e-5)
    assert float(predicted) == pytest.approx(0.01 * sum(g * g for g in g0.values()), rel=1e-5)
    assert "gradient ascent of sig(a*x+b*y+c), step size 0.01: 1 update" in r.output
    rows = {line.split()[0]: line.split() for line in lines[5:] if line.strip()}
    assert rows["a"][1:3] == ["1", "0.99895"] and rows["b"][1:3] == ["2", "2.00315"]
    assert rows["sig(a*x+b*y+c)"][1:3] == ["0.880797", "0.88255"]


def test_library_api_iterates_steps():
    g = gradcli.compile(NEURON, dict(a=1, b=2, c=-3, x=-1, y=3))
    seen = list(Ascent(g, 0.01, 10, every=3))
    assert [s.k for s in seen] == [0, 3, 6, 9, 10]
    assert all(b.value > a.value for a, b in zip(seen, seen[1:]))  # ascent climbs
    assert seen[0].change is None and seen[-1].change > 0 and seen[-1].predicted > 0


# -- descent, freeze, tol, every ---------------------------------------------------------

def test_descent_reaches_the_minimum():
    r = cli("(x-3)^2 + (y+1)^2", "x=0", "y=0", "--step", "0.1", "--steps", "200", "--descend",
            "--every", "50", "--json")
    assert r.exit_code == 0, r.output
    lines = json_lines(r.stdout)
    assert [l["step"] for l in lines[:-1]] == [0, 50, 100, 150, 200]
    last = lines[-2]
    assert abs(last["inputs"]["x"] - 3) < 1e-6 and abs(last["inputs"]["y"] + 1) < 1e-6
    assert last["value"] < 1e-12
    # Each update multiplies the distance to the minimum by 1 - 2*0.1.
    assert lines[1]["inputs"]["x"] == pytest.approx(3 - 3 * 0.8 ** 50, rel=1e-12)


def test_freeze_keeps_inputs_bit_for_bit():
    r = cli(NEURON, "a=1", "b=2", "c=-3", "x=-1.1", "y=3.3", "--step", "0.3", "--steps", "25",
            "--freeze", "x, y", "--json")
    assert r.exit_code == 0, r.output
    lines = json_lines(r.stdout)[:-1]
    assert len(lines) == 26
    for line in lines:
        assert line["inputs"]["x"] == -1.1 and line["inputs"]["y"] == 3.3
    assert all(lines[-1]["inputs"][n] != lines[0]["inputs"][n] for n in "abc")
    assert lines[-1]["value"] > 0.99  # the weights learned to push the output up


def test_freeze_unknown_name_is_a_clear_error():
    r = cli(NEURON, *NEURON_ARGS, "--step", "0.01", "--freeze", "x,z")
    assert r.exit_code == 2
    assert "cannot freeze z" in r.output and "the inputs are: a, x, b, y, c" in r.output


def test_step_options_need_step():
    r = cli(NEURON, *NEURON_ARGS, "--steps", "10", "--descend")
    assert r.exit_code == 2 and "--steps, --descend only make sense with --step" in r.output


def test_tol_stops_early():
    r = cli("(x-3)^2", "x=0", "--step", "0.1", "--steps", "100000", "--descend", "--tol", "1e-9",
            "--json")
    assert r.exit_code == 0, r.output
    lines = json_lines(r.stdout)[:-1]
    assert 10 < len(lines) < 1000
    changes = [b["value"] - a["value"] for a, b in zip(lines, lines[1:])]
    assert abs(changes[-1]) < 1e-9 and all(abs(c) >= 1e-9 for c in changes[:-1])
    plain = cli("(x-3)^2", "x=0", "--step", "0.1", "--steps", "100000", "--descend", "--tol", "1e-9",
                "--every", "1000")
    assert "stopped at step %d: the output changed by less than 1e-09 (--tol)" % lines[-1]["step"] in plain.output


def test_tol_inside_a_long_chunk_reports_the_stopping_step_and_its_change():
    g = gradcli.compile("(x-3)^2", dict(x=0))
    thinned = list(Ascent(g, 0.1, 100000, descend=True, tol=1e-9, every=100000))
    each = list(Ascent(g, 0.1, 100000, descend=True, tol=1e-9))
    assert thinned[-1] == each[-1] and thinned[-1].k == len(each) - 1


def test_every_thins_the_lines_and_always_shows_the_last():
    r = cli("x^2", "x=1", "--step", "0.001", "--steps", "30", "--every", "7")
    ks = [int(l.split()[0]) for l in r.output.splitlines()[1:] if l[:4].strip().isdigit()]
    assert ks == [0, 7, 14, 21, 28, 30]


# -- outputs -------------------------------------------------------------------------------

PROGRAM = "a = 2; b = 3; a*b; a + b"


def test_output_picks_the_output_to_optimise():
    r = cli(PROGRAM, "--output", "a + b", "--step", "0.1", "--steps", "3", "--json")
    assert r.exit_code == 0, r.output
    *lines, final = json_lines(r.stdout)
    assert [l["step"] for l in lines] == [0, 1, 2, 3]
    # d(a+b)/da = d(a+b)/db = 1: each step adds 0.1 to both.
    assert lines[-1]["inputs"] == {"a": pytest.approx(2.3), "b": pytest.approx(3.3)}
    assert [l["value"] for l in lines] == pytest.approx([5, 5.2, 5.4, 5.6])
    assert final["output"] == "a + b" and final["gradients"] == {"a": 1.0, "b": 1.0}
    # The default is the first output, a*b, whose gradients are (b, a).
    first = json_lines(cli(PROGRAM, "--step", "0.1", "--json").stdout)
    assert first[1]["inputs"] == {"a": 2.3, "b": pytest.approx(3.2)}


def test_output_without_steps_prints_only_that_output():
    both = json_lines(cli(PROGRAM, "--json").stdout)
    one = json_lines(cli(PROGRAM, "--json", "--output", "a + b").stdout)
    assert [o["output"] for o in both] == ["a*b", "a + b"]
    assert one == [both[1]]
    table = cli(PROGRAM, "--output", "a*b").output
    assert "forward and backward pass of a*b" in table and "a + b" not in table


def test_output_unknown_is_a_clear_error():
    r = cli(PROGRAM, "--output", "a-b", "--step", "0.1")
    assert r.exit_code == 2
    assert "no output called 'a-b'" in r.output and "'a*b', 'a + b'" in r.output


def test_output_is_evaluated_alone():
    # The other output leaves its domain; --output a*b does not care.
    r = cli("a = 2; b = 3; a*b; log(a - b)", "--output", "a*b", "--step", "0.1", "--json")
    assert r.exit_code == 0, r.output


# -- JSON ------------------------------------------------------------------------------------

def test_json_lines_parse_and_k_runs_from_0_to_n():
    n = 12
    r = cli(NEURON, *NEURON_ARGS, "--step", "0.05", "--steps", str(n), "--json")
    assert r.exit_code == 0
    *lines, final = json_lines(r.stdout)
    assert [l["step"] for l in lines] == list(range(n + 1))
    for l in lines:
        assert set(l) == {"step", "value", "inputs", "gradients"}
        assert list(l["inputs"]) == list(l["gradients"]) == ["a", "x", "b", "y", "c"]
    # The last object is exactly what plain --json prints at the final inputs.
    bindings = ["%s=%r" % kv for kv in lines[-1]["inputs"].items()]
    plain = json_lines(cli(NEURON, *bindings, "--json").stdout)
    assert final == plain[0]
    assert final["value"] == lines[-1]["value"] and final["gradients"] == lines[-1]["gradients"]


# -- errors -----------------------------------------------------------------------------------

def run_gradcli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True,
                          timeout=60, **kw)


def test_divergence_stops_with_exit_1_and_names_the_step():
    done = run_gradcli("exp(x)", "x=1", "--step", "1000", "--steps", "10")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "at step 1: exp(x): the result is too large for double precision" in done.stderr
    assert "(x = 2719.28)" in done.stderr  # 1 + 1000 * e
    assert "the last good state, after 0 updates" in done.stdout


def test_silent_overflow_is_caught_at_its_step():
    # After one step x*x overflows to inf without an exception, and 1/inf = 0
    # hides it from the output and the gradient: only the loop's check sees it.
    g = gradcli.compile("1 / (x*x) + x", dict(x=1e150))
    asc = Ascent(g, 1e155, 50, descend=True)
    with pytest.raises(MathError) as e:
        asc.run()
    assert e.value.message.startswith("at step 1: (x*x): the result is too large for double precision")
    assert asc.last.k == 0 and asc.last.inputs == {"x": 1e150}
    ref = Ascent(g, 1e155, 50, descend=True, compiled=False)
    with pytest.raises(MathError) as e2:
        ref.run()
    assert e2.value.message == e.value.message and ref.last == asc.last


def test_error_at_the_start_names_step_0():
    r = cli("log(x)", "x=-1", "--step", "0.1")
    assert r.exit_code == 1
    assert "at step 0 (the starting point): log(x): log needs an argument above 0" in r.output


def test_json_error_prints_the_last_good_state():
    done = run_gradcli("exp(x)", "x=1", "--step", "100", "--steps", "10", "--json")
    assert done.returncode == 1
    *lines, final = json_lines(done.stdout)
    assert final["output"] == "exp(x)" and final["value"] == lines[-1]["value"]
    assert "at step %d: exp(x)" % (lines[-1]["step"] + 1) in done.stderr


def test_ctrl_c_prints_the_state_reached_and_exits_130():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", "(x-3)^2", "x=0", "--step", "1e-12",
                             "--steps", "1000000000", "--every", "100000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        proc.stdout.readline()  # the header
        proc.stdout.readline()  # step 0: the loop is running
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "interrupted: the state reached after" in out and "gradient ascent of " in out


def test_library_interrupt_keeps_the_last_state():
    g = gradcli.compile("(x-3)^2", dict(x=0))

    def stop(k):
        if k >= 5000:
            raise KeyboardInterrupt

    asc = Ascent(g, 1e-6, 10 ** 7, descend=True, every=10 ** 7, progress=stop)
    with pytest.raises(KeyboardInterrupt):
        asc.run()
    assert asc.last.k >= 5000
    # The state reached is a real state: the interpreter agrees with it.
    ref = Ascent(g, 1e-6, asc.last.k, descend=True, every=10 ** 7, compiled=False).run()
    assert ref.inputs == asc.last.inputs and ref.value == asc.last.value


# -- plot and progress ------------------------------------------------------------------------

def test_plot_is_plain_text_when_piped():
    r = cli("x*x - 6*x + 9", "x=0", "--step", "0.05", "--steps", "200", "--every", "100", "--descend", "--plot")
    assert r.exit_code == 0
    assert "\x1b[" not in r.output
    title = next(line for line in r.output.splitlines() if line.strip() == "x*x - 6*x + 9 over the steps")
    chart_lines = r.output.split(title + "\n")[1].split("\n\n")[0].splitlines()
    # The value axis from 9 (step 0) down to 0, where the descent ends; the step axis from 0 to 200.
    assert chart_lines[1].startswith(" 9.0┤▗")
    assert float(chart_lines[-4].split("┤")[0]) == 0.0
    assert chart_lines[-2].split() == ["0", "33", "67", "100", "133", "167", "200"]


def test_chart_draws_each_column_at_its_value_joined_to_the_one_before():
    lines = chart([(k, float(k)) for k in range(11)], width=11, height=11)
    assert lines[0].startswith("10 |") and lines[10].startswith(" 0 |")
    for r, line in enumerate(lines[:11]):
        # Value 10 - r is in column 10 - r, and column 11 - r reaches back to it.
        assert line.split("|")[1] == (" " * (10 - r) + "**")[:11]
    # Sparse points: a straight line between them, one column per step.
    lines = chart([(0, 0.0), (4, 4.0)], width=20, height=5)
    assert [l.split("|")[1] for l in lines[:5]] == ["    *", "   **", "  **", " **", "**"]


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    done = run_gradcli("(x-3)^2", "x=0", "--step", "0.01", "--steps", "100000", "--every", "50000",
                       "--descend")
    assert done.returncode == 0 and done.stderr == ""


# -- the compiled loop is the interpreter's loop, bit for bit ---------------------------------

UNARY = ["exp", "log", "sqrt", "abs", "sig", "tanh", "sin", "cos", "atan", "relu", "softplus", "neg",
         "tan", "asin", "log2", "cosh"]
BINARY = ["+", "-", "*", "/", "^", "max", "min", "atan2"]


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "y", "z", "x", "y", "2", "0.5", "-1.5"]))
    if draw(st.booleans()):
        f = draw(st.sampled_from(UNARY))
        inner = draw(expressions(depth - 1))
        return "-(%s)" % inner if f == "neg" else "%s(%s)" % (f, inner)
    op = draw(st.sampled_from(BINARY))
    a, b = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    return "%s(%s, %s)" % (op, a, b) if op in ("max", "min", "atan2") else "(%s) %s (%s)" % (a, op, b)


def run_both(g, step, n, **options):
    """Every yielded step, the error (if any) and the last state, compiled and interpreted."""
    outcomes = []
    for compiled in (True, False):
        asc = Ascent(g, step, n, compiled=compiled, **options)  # True: compiled even when small
        seen, error = [], None
        try:
            for s in asc:
                seen.append(s)
        except MathError as e:
            error = e.message
        outcomes.append((seen, error, asc.last, asc.stopped))
    return outcomes


def same(a, b):
    """Equal, bit for bit (repr tells -0.0 from 0.0 and shows nan)."""
    return repr(a) == repr(b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions(), x=st.floats(-3, 3), y=st.floats(-3, 3), z=st.floats(0.1, 3),
       step=st.sampled_from([0.01, 0.3, 1.0, 7.5, 1e3, 1e150]), n=st.integers(0, 40),
       every=st.integers(1, 9), descend=st.booleans(), tol=st.sampled_from([None, None, 1e-3]),
       freeze=st.sampled_from([(), ("y",)]))
def test_compiled_loop_equals_interpreter_loop(expr, x, y, z, step, n, every, descend, tol, freeze):
    try:
        g = gradcli.compile(expr, dict(x=x, y=y, z=z))
    except gradcli.GradcliError:
        return
    # Small chunks, so that the compiled loop starts and stops mid-run, and replays.
    old, steps_module._MAX_CHUNK = steps_module._MAX_CHUNK, 4
    try:
        compiled, interpreted = run_both(g, step, n, every=every, descend=descend, tol=tol, freeze=freeze)
    finally:
        steps_module._MAX_CHUNK = old
    assert same(compiled, interpreted), expr


def test_compiled_loop_is_used_and_agrees_on_the_tutorials_examples():
    rng = random.Random(5)
    for name in ("neuron.js", "cs231n.py", "cs231n_chain.py", "cs231n_neuron.py"):
        with open(os.path.join(os.path.dirname(__file__), "..", "examples", name)) as f:
            g = gradcli.compile(f.read(), name=name)
        for _ in range(3):
            step = rng.choice([0.01, 0.1, 1.0])
            asc = Ascent(g, step, 50)
            assert asc.compiled
            compiled, interpreted = run_both(g, step, 50, every=rng.randint(1, 20))
            assert same(compiled, interpreted), name


def test_long_chain_compiles_and_agrees():
    depth = 5000
    text = "(" * depth + "x" + "".join(" + a) * b" for _ in range(depth))
    g = gradcli.compile(text, dict(x=0.5, a=0.001, b=0.9999))
    assert not Ascent(g, 1e-4, 3, descend=True).compiled  # 3 steps: interpreting is quicker
    assert Ascent(g, 1e-4, 100, descend=True).compiled
    compiled, interpreted = run_both(g, 1e-4, 3, descend=True)
    assert same(compiled, interpreted) and compiled[1] is None


def test_bad_options_are_input_errors():
    g = gradcli.compile("x^2", dict(x=1))
    for kwargs in (dict(step=float("nan")), dict(step=0.1, every=0), dict(step=0.1, tol=-1.0)):
        with pytest.raises(InputError):
            Ascent(g, kwargs.pop("step"), 1, **kwargs)


def test_output_picks_one_output_for_every_mode_and_step_refuses_other_modes():
    from click.testing import CliRunner
    from gradcli.cli import main
    run = CliRunner().invoke
    r = run(main, ["f = x*y; g = x+y; f; g", "x=2", "y=3", "--output", "g", "--json", "--no-nodes"])
    assert r.exit_code == 0 and [json.loads(l)["output"] for l in r.stdout.splitlines()] == ["g"]
    r = run(main, ["f = x*y; g = x+y; f; g", "x=2", "y=3", "--output", "f", "--explain"])
    assert r.exit_code == 0 and "dx = y * df = 3 * 1 = 3" in r.stdout
    r = run(main, ["f = x*y; f", "x=2", "y=3", "--output", "h"])
    assert r.exit_code == 2 and "no output called 'h'" in r.stderr
    r = run(main, ["x*y", "x=2", "y=3", "--step", "0.1", "--explain"])
    assert r.exit_code == 2 and "does not combine with --explain" in r.stderr
