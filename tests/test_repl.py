"""The interactive session, driven through a real pseudo-terminal (pexpect),
and line by line through Session for the finer points."""
import io
import re
import math
import os
import subprocess
import sys
import time

import pexpect
import pytest
from rich.console import Console

from gradcli.repl import COMMANDS, PROMPT, Session

from . import docs

TIMEOUT = 20


def spawn(*args, tmp_path, env=None):
    e = dict(os.environ, TERM="dumb", NO_COLOR="1", GRADCLI_HISTORY=str(tmp_path / "history"),
             PYTHONIOENCODING="utf-8", COLUMNS="100", LINES="40")
    e.update(env or {})
    child = pexpect.spawn(sys.executable, ["-m", "gradcli", *args], env=e, encoding="utf-8",
                          timeout=TIMEOUT, dimensions=(40, 100))
    return child


def prompt(child):
    child.expect_exact(PROMPT)


def send(child, line):
    child.sendline(line)
    prompt(child)
    return child.before


@pytest.fixture
def session(tmp_path):
    child = spawn(tmp_path=tmp_path)
    prompt(child)
    yield child
    if child.isalive():
        child.close(force=True)


def test_no_program_on_a_terminal_opens_the_session_and_computes_the_neuron(session):
    for line in ("a = 1", "b = 2", "c = -3", "x = -1", "y = 3"):
        assert "error" not in send(session, line)
    out = send(session, "q = a*x + b*y + c")
    assert "q = 2" in out
    out = send(session, "sig(q)")
    s = 1 / (1 + math.exp(-2))
    assert "output sig(q) = %.4f" % s in out
    assert "%.4g" % (s * (1 - s) * 2) in out  # d/db = y*s*(1-s) = 0.315 in the tutorial
    assert "0.315" in out and "-0.105" in out


def test_errors_show_the_caret_and_the_session_goes_on(session):
    out = send(session, "sig(a*x")
    assert "syntax error at <in 1> line 1, column 8" in out
    assert "  sig(a*x\r\n         ^" in out
    out = send(session, "log(x - 3)")
    assert "no value for input x" in out
    send(session, "x = 1")
    out = send(session, "log(x - 3)")
    assert "math error" in out and "log needs an argument above 0" in out
    out = send(session, "x*x*x")
    assert "output x*x*x = 1" in out
    out = send(session, ":nonsense")
    assert "unknown command :nonsense" in out
    assert session.isalive()


def test_reassigning_an_input_changes_it_and_plus_equals_adds(session):
    send(session, "x = 2")
    assert "output x*x = 4" in send(session, "x*x")
    send(session, "x = 5")
    assert "output x*x = 25" in send(session, "x*x")
    assert "x = 5.5" in send(session, "x += 0.5")
    out = send(session, "x*x")
    assert "output x*x = 30.25" in out and " 11" in out  # d(x*x)/dx = 2x = 11


def test_vars_reset_help_and_quit(tmp_path):
    child = spawn(tmp_path=tmp_path)
    prompt(child)
    send(child, "w = 3")
    send(child, "h = w*w")
    out = send(child, ":vars")
    assert "w = 3" in out and "h = w*w" in out
    assert send(child, ":bindings") == out.replace(":vars", ":bindings")
    out = send(child, ":help")
    for name in ("vars", "reset", "quit", "help", "step", "descend", "explain"):
        assert COMMANDS[name].usage in out
    send(child, ":reset")
    assert "nothing bound or defined yet" in send(child, ":vars")
    child.sendline(":quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_d_ends_the_session_and_history_is_kept(tmp_path):
    child = spawn(tmp_path=tmp_path)
    prompt(child)
    send(child, "z = 4")
    send(child, "z/2")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "history").read_text().splitlines()
    assert history[-2:] == ["z = 4", "z/2"]

    # A new session recalls the last line with the up arrow.
    child = spawn(tmp_path=tmp_path)
    prompt(child)
    send(child, "z = 10")
    child.send("\x1b[A")  # up: "z = 10"
    child.send("\x1b[A")  # up again: "z/2", from the last session
    child.send("\r")
    prompt(child)
    assert "output z/2 = 5" in child.before
    child.close(force=True)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_history_that_is_not_a_regular_file_is_left_alone(tmp_path, kind):
    where = tmp_path / "history"
    if kind == "fifo":
        os.mkfifo(where)  # reading it would wait for a writer forever
    else:
        where.mkdir()
    child = spawn(tmp_path=tmp_path)
    child.timeout = 10
    prompt(child)
    assert "output 2*3 = 6" in send(child, "2*3")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert where.is_fifo() if kind == "fifo" else where.is_dir()


def test_tab_completes_commands_functions_and_names(session):
    send(session, "weight = 2")
    session.send("softp\t(weig\t)\r")
    prompt(session)
    assert "output softplus(weight) = %.4g" % math.log1p(math.exp(2)) in session.before
    session.send(":he\t\r")
    prompt(session)
    assert COMMANDS["reset"].help in session.before


def test_ctrl_c_drops_the_line_and_keeps_the_session(session):
    session.send("1 + ")
    session.expect_exact("1 + ")  # echoed: readline has the line
    session.sendintr()
    prompt(session)
    assert "output 2*3 = 6" in send(session, "2*3")


def test_dash_i_with_bindings_and_a_program(tmp_path):
    child = spawn("-i", "x*y", "x=2", "y=3", tmp_path=tmp_path)
    prompt(child)
    assert "output x*y = 6" in child.before
    assert "output x + y = 5" in send(child, "x + y")
    child.close(force=True)


def colors(text):
    """The colour codes in text (bold and dim are not colours)."""
    return [p for seq in re.findall(r"\x1b\[([0-9;]*)m", text) for p in seq.split(";")
            if p[:1] in ("3", "4", "9") and p != "4"]


@pytest.mark.parametrize("args, env, coloured", [
    ((), {"NO_COLOR": ""}, True),
    (("--no-color",), {"NO_COLOR": ""}, False),
    ((), {"NO_COLOR": "1"}, False),
])
def test_color_on_a_terminal_unless_no_color(tmp_path, args, env, coloured):
    child = spawn(*args, tmp_path=tmp_path, env=dict(env, TERM="xterm-256color"))
    prompt(child)
    assert bool(colors(send(child, "x = 2; x*3"))) == coloured
    child.close(force=True)


def test_dash_i_reads_lines_from_a_pipe_without_prompts():
    out = subprocess.run([sys.executable, "-m", "gradcli", "-i"], input="a = 3\nb = a*a\nb + 1\nlog(-a)\n",
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert out.returncode == 0
    assert PROMPT not in out.stdout
    assert "b = 9" in out.stdout and "output b + 1 = 10" in out.stdout
    assert "math error at <in 4> line 1, column 1" in out.stderr



def test_the_session_reads_a_number_as_programs_do():
    # `u = -3` binds an input; `t = -(3)` is an expression, a constant (docs/language.md)
    out = subprocess.run([sys.executable, "-m", "gradcli", "-i", "x=2"], input="t = -(3)\nt*x\nu = -3\nu*x\n",
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.split("forward and backward pass of u*x")
    assert "input  value  d t*x / d input\nx          2               -3\n" in first
    assert "u         -3                2" in second


# -- :step, :descend, :explain --------------------------------------------------

def sig(z):
    return 1 / (1 + math.exp(-z))


def neuron_step(a, b, c, x, y, size):
    """One update of the tutorial's neuron, by its hand-derived gradients."""
    s = sig(a * x + b * y + c)
    ds = s * (1 - s)
    grads = dict(a=x * ds, b=y * ds, c=ds, x=a * ds, y=b * ds)
    point = dict(a=a, b=b, c=c, x=x, y=y)
    return {k: v + size * grads[k] for k, v in point.items()}


def lines(text):
    return [l.rstrip() for l in text.replace("\r", "").splitlines()]


def bind_neuron(child):
    send(child, "a = 1; b = 2; c = -3; x = -1; y = 3")
    out = send(child, "sig(a*x + b*y + c)")
    assert "output sig(a*x + b*y + c) = 0.8808" in out


def test_step_moves_the_neuron_and_the_next_table_starts_there(session):
    bind_neuron(session)
    out = lines(send(session, ":step 0.01"))
    new = neuron_step(1, 2, -3, -1, 3, 0.01)
    value = sig(new["a"] * new["x"] + new["b"] * new["y"] + new["c"])
    assert "%.4f" % value == "0.8826"  # the tutorial's 0.8825 (0.88255..., rounded up)
    # the command line's lines and summary: the change and the predicted step*|grad|^2
    assert out[1].split() == ["step", "value", "change", "predicted"]
    assert out[2].split() == ["0", "0.8808"]
    assert out[3].split()[:2] == ["1", "0.8826"]
    assert "gradient ascent of sig(a*x + b*y + c), step size 0.01: 1 update" in out
    row = next(l for l in out if l.startswith("a "))
    assert row.split()[:3] == ["a", "1", "%.4g" % new["a"]]
    # the inputs are now the state reached
    shown = lines(send(session, ":vars"))
    for name in "abcxy":
        assert "%s = %.4g" % (name, new[name]) in shown
    assert "output sig(a*x + b*y + c) = 0.8826" in send(session, "sig(a*x + b*y + c)")
    assert session.isalive()


def test_step_at_high_precision_gives_the_tutorials_number(tmp_path):
    child = spawn("--precision", "8", tmp_path=tmp_path)
    prompt(child)
    send(child, "a = 1; b = 2; c = -3; x = -1; y = 3")
    send(child, "sig(a*x + b*y + c)")
    new = neuron_step(1, 2, -3, -1, 3, 0.01)
    value = sig(new["a"] * new["x"] + new["b"] * new["y"] + new["c"])
    out = lines(send(child, ":step 0.01"))
    assert out[3].split()[:2] == ["1", "%.8g" % value] == ["1", "0.88255018"]
    child.close(force=True)


def test_step_n_times_on_a_named_expression_with_exact_numbers(session):
    send(session, "w = 1; x = 2")
    # d(w*x)/dw = x, d(w*x)/dx = w; step 0.5: (1, 2) -> (2, 2.5) -> (3.25, 3.5)
    out = lines(send(session, ":step 0.5 2 w*x"))
    assert out[2].split() == ["0", "2"]
    assert out[3].split() == ["1", "5", "+3", "+2.5"]       # predicted: 0.5 * (2^2 + 1^2)
    assert out[4].split() == ["2", "11.38", "+6.375", "+5.125"]  # 0.5 * (2.5^2 + 2^2)
    assert "gradient ascent of w*x, step size 0.5: 2 updates" in out
    assert [l.split() for l in out if l.startswith(("w ", "x "))] == [
        ["w", "1", "3.25", "+2.25", "3.5"], ["x", "2", "3.5", "+1.5", "3.25"]]
    assert lines(send(session, ":vars"))[1:] == ["w = 3.25", "x = 3.5"]
    # the expression named becomes the one :step and :explain act on
    out = lines(send(session, ":step 0.5"))
    assert out[3].split()[:2] == ["1", "%.4g" % ((3.25 + 0.5 * 3.5) * (3.5 + 0.5 * 3.25))]


def test_descend_reaches_the_minimum_and_long_runs_print_a_few_lines(session):
    send(session, "x = 0; y = 0")
    out = lines(send(session, ":descend 0.1 200 (x-3)^2 + (y+1)^2"))
    steps = [l.split()[0] for l in out[2:] if l and l.split()[0].isdigit()]
    assert steps == [str(k) for k in range(0, 201, 20)]  # every 20th of 200
    assert "gradient descent of (x-3)^2 + (y+1)^2, step size 0.1: 200 updates" in out
    # each update multiplies the distance to (3, -1) by 1 - 2*0.1, so after 200 the
    # output, 10 * 0.8^400 in exact arithmetic, is below 1e-12
    start, final, change = next(l for l in out if l.startswith("(x-3)^2 + (y+1)^2 ")).split()[-3:]
    assert start == "10" and 0 <= float(final) < 1e-12 and change == "-10"
    assert lines(send(session, ":vars"))[1:] == ["x = 3", "y = -1"]


def test_explain_shows_the_backward_pass_of_the_last_expression(session):
    bind_neuron(session)
    s = sig(2)
    out = lines(send(session, ":explain"))
    assert "t5 = sig(t4) = %.4f   (sig(a*x + b*y + c))" % s in [l.strip() for l in out]
    assert "  dt4 = t5 * (1 - t5) * dt5 = %.4f * (1 - %.4f) * 1 = %.4g" % (s, s, s * (1 - s)) in out
    assert "  db = y * dt2 = 3 * %.4g = %.4g" % (s * (1 - s), 3 * s * (1 - s)) in out
    # after a step it explains the state reached
    send(session, ":step 0.01")
    assert "t5 = sig(t4) = 0.8826" in send(session, ":explain")
    # an expression given to :explain; x is where the step left it
    x = neuron_step(1, 2, -3, -1, 3, 0.01)["x"]
    out = lines(send(session, ":explain x*x"))
    assert "  dx = x * dt1 = (%.4g) * 1 = %.4g   (the 1st wire from x into x*x)" % (x, x) in out
    assert "  dx += x * dt1 = (%.4g) * 1 = %.4g   (the 2nd wire from x into x*x; dx is %.4g so far)" % (
        x, x, 2 * x) in out


def test_a_step_size_is_one_of_the_languages_numbers(session):
    # As on the command line: no 1_0, no inf, no other digits.
    for size in ("1_0", "inf", "nan", "\u0661"):
        assert "the step size must be a number, not %r" % size in send(session, ":step %s" % size)


def test_step_and_explain_errors_keep_the_session_going(session):
    out = send(session, ":step 0.01")
    assert "no expression yet" in out and ":step SIZE [N] [EXPR]" in out
    assert "no expression yet" in send(session, ":explain")
    assert "the step size must be a number, not 'abc'" in send(session, ":step abc")
    assert "the number of steps must be a whole number of 0 or more, not -3" in send(session, ":step 0.1 -3 x")
    assert ":step acts on one expression" in send(session, ":step 0.1 2 q = 3")
    out = send(session, ":step 0.1 2 log(x")
    assert "syntax error at <in 6> line 1, column 6" in out
    out = send(session, ":explain sig(zz)")
    assert "no value for input zz" in out and "^^" in out
    send(session, "x = 1")
    # exp(1 + 1000*e) overflows at the first update: the error names the step and the loop
    # keeps the last good state, which is where it started
    out = lines(send(session, ":step 1000 3 exp(x)"))
    assert any("math error at <in 9> line 1, column 1: at step 1: exp(x)" in l for l in out)
    assert "hint: the loop stopped before this update; a smaller :step (now 1000) may keep it in range" in out
    assert "gradient ascent of exp(x), step size 1000: 0 updates" in out
    assert "the last good state, after 0 updates" in out
    assert lines(send(session, ":vars"))[1:] == ["x = 1"]
    assert "output x*3 = 3" in send(session, "x*3")
    assert session.isalive()


def test_ctrl_c_stops_a_long_step_run_with_the_state_reached(session):
    send(session, "x = 1")
    session.sendline(":step 1e-9 1000000000 x*x")
    session.expect(r"\n +0 +1\r\n")  # the starting point; the run would take minutes
    time.sleep(1)  # some thousands of updates
    session.sendintr()
    prompt(session)
    out = lines(session.before)
    status = next(l for l in out if l.startswith("interrupted: the state reached after "))
    k = int(status.split()[-2])
    assert 0 < k < 1000000000
    # x*x ascended: x grows by the factor 1 + 2e-9 per update
    grown = (1 + 2e-9) ** k - 1
    start, final, change, gradient = next(l for l in out if l.startswith("x ")).split()[1:]
    assert start == "1" and float(change) == pytest.approx(grown, rel=1e-3)
    assert float(gradient) == pytest.approx(2 * (1 + grown), rel=1e-3)
    # ... and the session keeps the state reached
    shown = send(session, "x - 1")
    assert "output x - 1 = %s" % change.lstrip("+") in shown


def doc_sessions():
    """The sessions shown in README.md and docs/*.md: `text` blocks that start
    with `$ gradcli -i`."""
    return [pytest.param(b.text, id=b.where) for b in docs.blocks("text") if b.text.startswith("$ gradcli -i\n")]


def matches(expected, shown):
    """Line by line, trailing spaces aside; a line `...` stands for any lines."""
    pattern = "".join(r"(?:.*\n)*?" if l == "..." else re.escape(l.rstrip()) + r"\n"
                      for l in expected.splitlines())
    return re.fullmatch(pattern, "".join(l.rstrip() + "\n" for l in shown.splitlines())) is not None


def test_the_docs_show_sessions_that_step_and_descend():
    found = doc_sessions()
    assert any(p.id.startswith("README.md:") for p in found)
    assert any(":step " in p.values[0] for p in found) and any(":descend " in p.values[0] for p in found)


@pytest.mark.parametrize("block", doc_sessions())
def test_the_docs_sessions_are_what_the_session_prints(block, tmp_path):
    typed = [l[len(PROMPT):] for l in block.splitlines() if l.startswith(PROMPT)]
    child = spawn("-i", tmp_path=tmp_path)
    prompt(child)
    shown = "".join(PROMPT + send(child, line) for line in typed)
    child.close(force=True)
    assert matches(block.split("\n", 1)[1], "\n".join(lines(shown))), shown


# -- Session directly ---------------------------------------------------------

def make():
    out, err = io.StringIO(), io.StringIO()
    s = Session(Console(file=out, width=100, color_system=None),
                Console(file=err, width=100, color_system=None))
    return s, out, err


def test_definitions_refer_to_inputs_bound_later_and_follow_their_changes():
    s, out, err = make()
    s.handle("q = a*x")
    assert "q is defined; no value for inputs a, x yet" in out.getvalue()
    s.handle("a = 2; x = 3")
    s.handle("q")
    assert "output q = 6" in out.getvalue()
    s.handle("a = 10")
    s.handle("q + 0")
    assert "output q + 0 = 30" in out.getvalue()
    assert err.getvalue() == ""


def test_redefining_an_intermediate_in_terms_of_itself():
    s, out, err = make()
    s.handle("x = 3")
    s.handle("q = x*x")
    s.handle("q = q + 1")
    s.handle("q *= 2")
    assert out.getvalue().splitlines()[-1] == "q = 20"
    s.handle("q")
    summary = out.getvalue().split("output q = 20")[1]
    assert re.search(r"^x +3 +12$", summary, re.M)  # dq/dx = 2*2x = 12


def test_an_error_in_an_earlier_definition_points_at_its_own_line():
    s, out, err = make()
    s.handle("x = 1")
    s.handle("r = sqrt(x - 2)")      # line 2: a math error now, kept for other values of x
    assert "math error at <in 2> line 1, column 5" in err.getvalue()
    s.handle("x = 6")
    s.handle("r*r")
    assert "output r*r = 4" in out.getvalue()


def test_binding_a_computed_name_to_a_number_makes_it_an_input():
    s, out, err = make()
    s.handle("x = 2")
    s.handle("y = x*3")
    s.handle("y = 7")
    s.handle("y + x")
    assert "output y + x = 9" in out.getvalue() and err.getvalue() == ""
    assert re.search(r"^y +input +7 +1$", out.getvalue(), re.M)
    assert s.bindings == {"x": 2.0, "y": 7.0} and s.defs == []


def test_the_latest_definition_of_a_name_replaces_the_earlier_one():
    s, out, err = make()
    for line in ("x = 2", "y = x*x", "y = 3", "x = y + 1"):
        s.handle(line)
    # y is an input now, x is computed from it
    start = len(out.getvalue())
    s.handle(":vars")
    assert out.getvalue()[start:].splitlines() == ["y = 3", "x = y + 1"]
    s.handle("x*y")
    table = out.getvalue()
    assert re.search(r"^y +input +3 +7$", table, re.M)   # d(x*y)/dy = y + x = 7
    assert re.search(r"^x +\+ +4 +3$", table, re.M)
    s.handle(":explain")
    assert "dy = 4 (wire into x*y) + 3 (wire into x) = 7" in out.getvalue()
    s.handle(":descend 0.1 5 (x-3)^2")
    shown = out.getvalue()
    assert "nothing moved" not in shown and re.search(r"^y +3 +2\.328 ", shown, re.M)
    assert err.getvalue() == ""


def test_a_definition_follows_the_latest_definition_of_the_names_it_reads():
    s, out, err = make()
    s.handle("a = 2")
    s.handle("r = q + 1")       # q is not defined yet: for now r reads an input q
    s.handle("q = a*a")
    s.handle("r")
    assert "output r = 5" in out.getvalue()
    s.handle("q = a*10")        # replaces q = a*a, and r follows
    s.handle("r")
    assert "output r = 21" in out.getvalue()
    start = len(out.getvalue())
    s.handle(":vars")
    assert out.getvalue()[start:].splitlines() == ["a = 2", "q = a*10", "r = q + 1"]
    # a definition that would read itself in a circle is refused and the old one kept
    s.handle("q = r*2")
    assert "q = r*2 would make q depend on itself (q -> r -> q)" in err.getvalue()
    s.handle("r + 0")
    assert "output r + 0 = 21" in out.getvalue()
    # an input redefined in terms of itself changes its value, as a += would
    s.handle("a = a + 1")
    assert s.bindings == {"a": 3.0}


def test_step_on_a_constant_moves_nothing_and_reset_forgets_the_last_expression():
    s, out, err = make()
    s.handle("w = 5")
    s.handle("2*3")
    s.handle(":step 0.1 2")
    shown = out.getvalue()
    assert "gradient ascent of 2*3, step size 0.1: 2 updates" in shown
    assert "nothing moved: the expression depends on no input" in shown
    assert s.bindings == {"w": 5.0} and err.getvalue() == ""
    s.handle(":reset")
    s.handle(":explain")
    assert "no expression yet" in err.getvalue()


def test_a_failed_expression_does_not_become_the_last_one():
    s, out, err = make()
    s.handle("q = 3")
    s.handle("q*q")
    s.handle("log(q - 5)")
    assert "log needs an argument above 0" in err.getvalue()
    before = err.getvalue()
    s.handle(":step 0.1")
    s.handle(":explain")
    assert err.getvalue() == before  # both act on q*q, the last expression shown
    assert "gradient ascent of q*q, step size 0.1: 1 update" in out.getvalue()
    # nor does one given to :explain or :step that fails
    s.handle(":explain sqrt(q - 9)")
    s.handle(":step 0.1 1 log(-q)")
    s.handle(":explain")
    assert s.last is not None and s.last[1] == "q*q"


def test_after_an_error_first_there_is_still_no_expression():
    s, out, err = make()
    s.handle("log(0 - 1)")
    s.handle(":step 0.1")
    assert "no expression yet" in err.getvalue()


def test_a_negative_step_size_in_a_descent_is_refused_with_the_way_to_say_it():
    s, out, err = make()
    s.handle("x = 1")
    s.handle(":descend -1 3 x*x")
    assert ":descend -1 would climb; drop the minus to go downhill (:descend 1), " \
           "or drop the descend to climb (:step 1)" in err.getvalue()
    assert s.bindings == {"x": 1.0} and s.last is None and out.getvalue() == ""
    s.handle(":step -0.5 x")  # ascent with a negative step goes downhill, as written
    assert "gradient ascent of x, step size -0.5: 1 update" in out.getvalue()
    assert s.bindings == {"x": 0.5}


def test_the_command_line_refuses_a_negative_step_size_in_a_descent():
    out = subprocess.run([sys.executable, "-m", "gradcli", "(x-3)^2", "x=0", "--step", "-0.1", "--descend"],
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert out.returncode == 2 and out.stdout == ""
    assert ("--step -0.1 --descend would climb; drop the minus to go downhill (--step 0.1 --descend), "
            "or drop the descend to climb (--step 0.1)") in " ".join(out.stderr.split())
