"""Regression tests from the second hardening review: every case it found,
as a user meets it. Cases of the process and its files run the installed
`gradcli` command (the one next to sys.executable) in a shell; cases of the
Python API call it. N is the neuron of the README, and the big programs are
`x+x+...+x` (one input used many times) and `x0+x1+...` (many inputs)."""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

import gradcli
from gradcli.errors import GradcliError

GRADCLI = str(Path(sys.executable).with_name("gradcli"))
N = "'sig(a*x+b*y+c)' a=1 b=2 c=-3 x=-1 y=3"

pytestmark = pytest.mark.skipif(not Path(GRADCLI).exists(), reason="gradcli is not installed next to python")
needs_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")


def sh(command, timeout=60, env=None, cwd=None, stdin=subprocess.DEVNULL):
    """`command` in bash, with $G the installed gradcli and $N the neuron."""
    e = dict(os.environ, G=GRADCLI, **(env or {}))
    e.pop("GRADCLI_DEBUG", None)
    return subprocess.run(["bash", "-c", command.replace("$N", N)], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=cwd, stdin=stdin)


def clean(out, code):
    """The run exited with `code` and said why in gradcli's words, never a traceback."""
    assert out.returncode == code, (out.returncode, out.stdout[-500:], out.stderr)
    for bad in ("Traceback", "internal error", "Aborted!", "Error: No such option"):
        assert bad not in out.stderr, out.stderr
    return out


def numbers_of(table, name):
    """The value and gradient of input `name` in the table's inputs list."""
    for line in table.splitlines()[::-1]:
        words = line.split()
        if len(words) == 3 and words[0] == name:
            return float(words[1]), float(words[2])
    raise AssertionError("no input %s in\n%s" % (name, table))


# --- internal errors (exit 70) that became clear messages --------------------

@pytest.mark.parametrize("command, code, words", [
    ("$G x x=1 >&-", 74, "standard output is closed"),
    pytest.param("$G x x=1 >/dev/full", 74, "No space left on device", marks=needs_full),
    pytest.param("$G --help >/dev/full", 74, "No space left on device", marks=needs_full),
    pytest.param("$G --version >/dev/full", 74, "No space left on device", marks=needs_full),
    ("$G - <&-", 2, "standard input is closed"),
    ("$G -i <&- >/dev/null", 2, "standard input is closed"),
    ("$G -i >&-", 74, "standard output is closed"),
])
def test_closed_and_full_streams(command, code, words):
    out = clean(sh(command), code)
    assert out.stderr.startswith("gradcli: ") and words in out.stderr


def test_an_ascii_encoding_escapes_what_it_cannot_show():
    out = clean(sh("$G 'x*１２' x=1", env={"PYTHONIOENCODING": "ascii"}), 2)
    assert "\\uff11\\uff12" in out.stderr and "syntax error" in out.stderr


@pytest.mark.parametrize("name", ["__debug__", "__builtins__"])
def test_a_dunder_input_in_the_step_loop(name):
    out = clean(sh("$G '%s*2' %s=1 --step 0.1 --steps 5" % (name, name)), 0)
    start, final = out.stdout.split("\n%s " % name)[1].split()[:2]
    assert (float(start), float(final)) == (1, pytest.approx(1 + 5 * 0.1 * 2))
    loop = gradcli.ascend("%s*2 + y" % name, 0.1, 5, bindings={name: 1, "y": 2})
    last = loop.run()
    assert last.inputs == {name: pytest.approx(2.0), "y": pytest.approx(2.5)}


def test_an_infinite_tolerance_is_refused_by_the_option():
    out = clean(sh("$G $N --step 0.1 --tol inf"), 2)
    assert "--tol" in out.stderr and "inf" in out.stderr


def test_verify_with_svg_saves_the_report(tmp_path):
    program = "x = -2; y = 5; z = -4\nq = x + y\nf = q * z\ndz = q\ndq = z\ndx = dq\ndy = dq\n"
    (tmp_path / "p.py").write_text(program)
    out = clean(sh("$G -f p.py --verify --svg v.svg", cwd=tmp_path), 0)
    svg = (tmp_path / "v.svg").read_text()
    assert svg.startswith("<svg") and "verdict" in svg and "verdict" in out.stdout


# --- wrong exit codes and lost messages -----------------------------------------

@pytest.mark.parametrize("extra", ["", "--json", "--every 10", "--plot"])
def test_a_closed_pipe_ends_the_steps_quietly(extra):
    out = sh("set -o pipefail; $G $N --step 0.01 --steps 100000000 %s | head -1" % extra, timeout=60)
    assert out.returncode == 141, out.stderr
    assert out.stderr == "" and len(out.stdout.splitlines()) == 1


@pytest.mark.parametrize("mode", ["--all", "--explain", "--paths", "--dot", "--emit python", "--format csv",
                                  "--json", "--tree"])
def test_a_closed_pipe_ends_every_mode_quietly(tmp_path, mode):
    (tmp_path / "big.txt").write_text("+".join("x%d" % i for i in range(3000)))
    out = sh("set -o pipefail; $G -f big.txt %s %s | head -c 10" % (
        " ".join("x%d=1" % i for i in range(3000)), mode), cwd=tmp_path, timeout=120)
    # 0 when everything fitted in the pipe before head left, 141 otherwise; never 1
    assert out.returncode in (0, 141) and out.stderr == "", (out.returncode, out.stderr)


def test_stderr_that_cannot_be_written_keeps_the_exit_code():
    assert sh("$G 'x+' 2>&-").returncode == 2
    if os.path.exists("/dev/full"):
        assert sh("$G 'x+' 2>/dev/full").returncode == 2
        assert sh("$G 'log(x)' x=-1 2>/dev/full").returncode == 1


# Ctrl-C at several moments: tests/test_process.py.


# --- unbounded work ---------------------------------------------------------

@pytest.mark.parametrize("command", ["$G -f /dev/zero", "$G < /dev/zero", "$G - x=1 < /dev/urandom"])
def test_an_endless_input_is_refused_at_the_cap(command):
    out = clean(sh(command, timeout=120), 2)
    assert "more than 64 MiB" in out.stderr


def test_trailing_blanks_without_a_final_newline(tmp_path):
    (tmp_path / "ws.txt").write_text("x" + " " * 32000)
    out = clean(sh("$G -f ws.txt x=1", cwd=tmp_path, timeout=30), 0)
    assert "output x = 1" in out.stdout
    out = clean(sh('$G "x$(printf "%32000s" "")" x=1', timeout=30), 0)
    assert "output x = 1" in out.stdout
    session = subprocess.run([GRADCLI, "-i"], input="x = 1\nx" + " " * 32000 + "\n", capture_output=True,
                             text=True, timeout=30)
    assert session.returncode == 0 and "output x = 1" in session.stdout


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """x+x+...+x with 100,000 terms, and x0+...+x3999 with its bindings."""
    where = tmp_path_factory.mktemp("big")
    (where / "big.txt").write_text("+".join(["x"] * 100_000))
    (where / "wide.txt").write_text("+".join("x%d" % i for i in range(4000)))
    (where / "wide.args").write_text(" ".join("x%d=%d" % (i, i % 7 - 3) for i in range(4000)))
    return where


def test_tree_of_a_big_graph_is_bounded(big):
    out = clean(sh("$G -f big.txt x=1 --tree | head -1", cwd=big, timeout=60), 0)
    assert out.stdout.startswith("x+x+")
    out = clean(sh("$G -f big.txt x=1 --tree", cwd=big, timeout=120), 0)
    lines = out.stdout.splitlines()
    assert len(lines) <= 500 and re.search(r"\d+ more lines", out.stdout)


@pytest.mark.parametrize("mode, most", [
    ("--all", 1.05),       # one row per node (8,000) and the inputs' list (4,000)
    ("--explain", 2.2),    # a line per local gradient
    ("--paths", 2.2),      # paths shown by their ends, the walk's budget counted
    ("--check", 0.05),     # 100 inputs checked, the rest counted
])
def test_modes_on_many_inputs_grow_linearly(big, mode, most):
    out = clean(sh("$G -f wide.txt $(cat wide.args) %s" % mode, cwd=big, timeout=240), 0)
    lines = out.stdout.splitlines()
    assert len(lines) <= most * 12_000 + 100, len(lines)
    assert max(map(len, lines)) <= 1000
    if mode == "--all":
        assert sum(1 for line in lines if re.match(r"x\d+ +input ", line)) == 4000
    if mode == "--check":
        assert "3900" in out.stdout  # the inputs left out are counted
    if mode == "--paths":
        assert re.search(r"x0 -> t1 -> .* \.\.\. 39\d\d more \.\.\. -> .* -> t3999:", out.stdout)
        assert re.search(r"the paths of \d+ more inputs are not listed", out.stdout)


def reference_paths(result, x):
    """Every path from input node x to the output, by brute force: a walk back
    from the output that copies the path at every step."""
    from gradcli.graph import OP
    g, found = result.graph, []
    stack = [(result.output, [result.output])]
    while stack:
        i, nodes = stack.pop()
        if i == x:
            found.append(nodes[::-1])
            continue
        if g.kind[i] == OP:
            stack.extend((a, nodes + [a]) for a in reversed(g.args[i]))
    return found


@pytest.mark.parametrize("text, bindings", [
    ("x*y + x", dict(x=2, y=3)),
    ("q = a*x + x*y; f = q*q", dict(a=1, x=-1, y=3)),
    ("y = x*x; z = y + y; z*x", dict(x=1.5)),
    ("sig(a*x+b*y+c)", dict(a=1, b=2, c=-3, x=-1, y=3)),
    ("a*a*a + a", dict(a=1.5)),
    ("x", dict(x=2)),
])
def test_paths_are_every_path_in_the_order_of_a_walk_back(text, bindings):
    from gradcli.explain import input_paths
    result = gradcli.evaluate(text, bindings)[0]
    for item in input_paths(result):
        want = reference_paths(result, result.graph.inputs[item.name])
        assert [p.nodes for p in item.paths] == want and item.count == len(want)
        assert math.isclose(sum(p.product for p in item.paths), item.gradient, rel_tol=1e-12)


def test_all_with_svg_on_many_inputs(big):
    clean(sh("$G -f wide.txt $(cat wide.args) --all --svg all.svg >/dev/null", cwd=big, timeout=240), 0)
    size = (big / "all.svg").stat().st_size
    assert size < 12_000 * 2_000  # a row of the picture costs about a kilobyte


def test_explain_of_one_input_used_100000_times_counts_the_shares(big):
    out = clean(sh("$G -f big.txt x=1 --explain | tail -1", cwd=big, timeout=240), 0)
    assert "99900 more" in out.stdout and out.stdout.rstrip().endswith("= 1e+05")


# --- silent wrong answers -----------------------------------------------------

def test_emit_python_keeps_a_negative_zero_default(tmp_path):
    out = clean(sh("$G 'x*y' x=-0.0 y=3 --emit python > f.py && $PY -c "
                   "'import f, math; v, g = f.forward_backward(); print(math.copysign(1, v), g)'",
                   cwd=tmp_path, env={"PY": sys.executable}), 0)
    assert out.stdout.split()[0] == "-1.0"


@pytest.mark.skipif(not __import__("shutil").which("node"), reason="node is not installed")
def test_emit_js_keeps_negative_zero_and_proto(tmp_path):
    out = clean(sh("$G 'x*y' x=-0.0 y=3 --emit js > f.js && (cat f.js; echo 'console.log(Object.is(forwardBackward({})"
                   ".value, -0))') | node", cwd=tmp_path), 0)
    assert out.stdout.strip() == "true"
    out = clean(sh("$G '__proto__*y' __proto__=2 y=3 --emit js > p.js && (cat p.js; echo 'console.log(JSON.stringify("
                   "forwardBackward({})))') | node", cwd=tmp_path), 0)
    assert json.loads(out.stdout) == {"value": 6, "grads": {"__proto__": 3, "y": 2}}


@pytest.mark.parametrize("options, words", [
    ("--step 0", "a step of 0 moves nothing"),
    ("--step -0.0", "a step of 0 moves nothing"),
    ("--step 1e-400", "1e-400 is 0 in double precision"),
    ("--tol 0", "--tol only makes sense with --step"),
    ("--steps 0", "--steps only makes sense with --step"),
    ("--steps 5", "--steps only makes sense with --step"),
    ("--every 2", "--every only makes sense with --step"),
    ("--step 1_0", "'1_0' is not a number"),
    ("--step ١", "is not a number"),
])
def test_options_are_never_ignored(options, words):
    out = clean(sh("$G $N %s" % options), 2)
    assert words in out.stderr and out.stdout == ""


@pytest.mark.parametrize("command", ["$G 'x*１２' x=1", "$G 'x*12' x=١", "$G x x=1_000", "$G x x=٣"])
def test_numbers_are_ascii_everywhere(command):
    assert clean(sh(command), 2).stdout == ""


# --- files --------------------------------------------------------------------

@pytest.mark.parametrize("command, words", [
    ("$G -f prog.py x=1 y=2 --svg prog.py", "the program's own file"),
    ("$G -f prog.py x=1 y=2 --svg ./prog.py", "the program's own file"),
    ("$G - x=1 y=2 --svg prog.py < prog.py", "standard input reads from"),
    ("$G x=1 y=2 --svg prog.py < prog.py", "standard input reads from"),
    ("$G -f - x=1 y=2 --svg prog.py < prog.py", "standard input reads from"),
    ("$G -f prog.py x=1 y=2 --svg -", "--svg -"),
    ("$G -f prog.py x=1 y=2 --svg ''", "--svg needs a file name"),
    ("$G -f prog.py x=1 y=2 --svg .", "is a folder"),
    ("$G -f prog.py x=1 y=2 --svg out.txt > out.txt", "standard output goes to"),
])
def test_the_picture_never_replaces_an_input_and_needs_a_name(tmp_path, command, words):
    (tmp_path / "prog.py").write_text("x*y\n")
    out = clean(sh(command, cwd=tmp_path), 2)
    assert words in out.stderr
    assert (tmp_path / "prog.py").read_text() == "x*y\n"
    assert not (tmp_path / "-").exists()
    assert not (tmp_path / "out.txt").exists() or "<svg" not in (tmp_path / "out.txt").read_text()


def test_a_history_that_is_a_fifo_never_hangs_the_session(tmp_path):
    os.mkfifo(tmp_path / "history")
    env = dict(os.environ, TERM="dumb", NO_COLOR="1", GRADCLI_HISTORY=str(tmp_path / "history"))
    child = pexpect.spawn(GRADCLI, ["-i"], env=env, encoding="utf-8", timeout=20)
    try:
        child.expect_exact("gradcli> ")
        child.sendline("2*3")
        child.expect_exact("output 2*3 = 6")
        child.expect_exact("gradcli> ")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


# --- the session (lines from a pipe: no prompts) ----------------------------------

def session(*lines):
    return subprocess.run([GRADCLI, "-i"], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=60)


def test_a_failed_expression_does_not_become_the_last_one():
    out = session("q = 3", "x = 2", "x*q", "log(q - 5)", ":step 0.1", ":explain")
    assert out.stderr.count("math error") == 1, out.stderr
    assert "gradient ascent of x*q" in out.stdout and "backprop t1 = x * q" in out.stdout


def test_redefinition_the_latest_definition_wins():
    out = session("x = 2", "y = x*x", "y = 3", "x = y + 1", ":vars", "x*y", ":descend 0.1 5 (x-3)^2")
    assert out.returncode == 0 and "no input" not in out.stdout + out.stderr
    listed = out.stdout.split("x = 4\n", 1)[1].split("forward and backward")[0]
    assert listed.splitlines() == ["y = 3", "x = y + 1"]  # one definition per name, the latest
    # x*y with y = 3 an input and x = y + 1: d/dy (y+1)*y = 2y + 1 = 7, and 12 its value
    assert "output x*y = 12" in out.stdout and numbers_of(out.stdout.split("step ")[0], "y") == (3, 7)
    # (x-3)^2 = (y-2)^2 descends through y toward 2
    assert re.search(r"^y +3 +2\.\d+ ", out.stdout, re.M)


def test_a_negative_step_in_a_descent_is_refused():
    out = session("x = 1", "x^2", ":descend -1")
    assert "must not be negative" in out.stderr and "gradient" not in out.stdout.split("output x^2")[1]
    out = clean(sh("$G $N --step -0.1 --descend"), 2)
    assert "would climb" in out.stderr


# --- the Python API -------------------------------------------------------------

BIG = 10**400


@pytest.mark.parametrize("call", [
    lambda: gradcli.grad("x", x=BIG),
    lambda: gradcli.ascend("x", 0.1, 2, bindings={"x": BIG}),
    lambda: gradcli.ascend("x", BIG, 2, bindings={"x": 1}),
    lambda: gradcli.Ascent(gradcli.compile("x", {"x": 1}), BIG),
])
def test_a_huge_int_is_a_gradcli_error(call):
    with pytest.raises(GradcliError, match="finite"):
        loop = call()
        loop.run() if hasattr(loop, "run") else None


@pytest.mark.parametrize("call, parameter", [
    (lambda: gradcli.evaluate("x", 5), "bindings"),
    (lambda: gradcli.Program("x").bind(5), "bindings"),
    (lambda: gradcli.grad(None), "program"),
    (lambda: gradcli.grad(b"x"), "program"),
    (lambda: gradcli.ascend("x", 0.1, bindings={"x": 1}, freeze=None), "freeze"),
    (lambda: gradcli.Ascent(gradcli.compile("x", {"x": 1}), 0.1, freeze=None), "freeze"),
    (lambda: gradcli.Ascent(None, 0.1), "graph"),
    (lambda: gradcli.nodes(5), "result"),
    (lambda: gradcli.Source.join(5), "files"),
    (lambda: gradcli.Source.join([5]), "files"),
    (lambda: gradcli.Source.join([("a.py", None)]), "files"),
    (lambda: gradcli.Source(None), "text"),
])
def test_a_wrong_argument_names_its_parameter(call, parameter):
    with pytest.raises(TypeError, match=r"\b%s\b" % parameter):
        call()


def test_the_api_still_takes_what_it_documents():
    assert gradcli.Ascent(gradcli.compile("x*x", {"x": 1}), 0.1, freeze=()).run().inputs["x"] == \
        pytest.approx(1.2)
    assert [n.label for n in gradcli.nodes(gradcli.grad("x*y", x=1, y=2))] == ["x", "y", "x*y"]
    s = gradcli.Source.join([("a.py", "x = 1"), ("b.py", "x*2")])
    assert gradcli.grad(s).value == 2 and math.isclose(gradcli.grad(s).gradients["x"], 2)


def test_a_long_step_run_keeps_a_bounded_trace():
    from gradcli.steps import Ascent
    graph = gradcli.compile("x", {"x": 1})
    loop = Ascent(graph, 0.001, 100_000)  # every step reported, no plot: no trace kept
    assert loop.run().inputs["x"] == pytest.approx(1 + 100)
    assert len(loop.trace) == 1
    loop = Ascent(graph, 0.001, 100_000, samples=256)  # as --plot asks
    loop.run()
    assert 256 <= len(loop.trace) <= 1.1 * 4 * 256  # about 4 * samples, not 100,000
    assert loop.trace[0][0] == 0 and loop.trace[-1] == (100_000, pytest.approx(101))


def test_an_overflow_hint_speaks_of_size_and_a_domain_error_of_the_domain():
    from click.testing import CliRunner
    from gradcli.cli import main
    over = CliRunner().invoke(main, ["exp(x)", "x=1000"])
    assert over.exit_code == 1 and "hint: change the inputs so that exp(x) stays below 1.8e308 in size" in over.output
    outside = CliRunner().invoke(main, ["log(x)", "x=-1"])
    assert outside.exit_code == 1 and "so that log(x) stays in its domain" in outside.output


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_picture_on_a_full_disk_says_the_disk_is_full():
    from click.testing import CliRunner
    from gradcli.cli import main
    res = CliRunner().invoke(main, ["x*2", "x=1", "--svg", "/dev/full"])
    assert res.exit_code == 2
    assert "No space left on device" in res.output and "hint: the disk is full" in res.output


def test_a_program_called_with_a_bare_number_says_how_to_bind():
    with pytest.raises(TypeError, match=r"by name, as in p\(x=1.5\).*not int"):
        gradcli.Program("x*2")(5)
    assert gradcli.Program("x*2")(x=5).value == 10.0
