"""The interactive session, driven through a real pseudo-terminal (pexpect),
and line by line through Session for the finer points."""
import io
import re
import math
import os
import subprocess
import sys

import pexpect
import pytest
from rich.console import Console

from gradcli.repl import COMMANDS, PROMPT, Session

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
    for name in ("vars", "reset", "quit", "help"):
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


def test_binding_a_computed_name_makes_a_constant_not_an_input():
    s, out, err = make()
    s.handle("x = 2")
    s.handle("y = x*3")
    s.handle("y = 7")
    s.handle("y + x")
    assert "output y + x = 9" in out.getvalue() and err.getvalue() == ""
