"""gradcli in its process environment: closed and full streams, a reader
that goes away, Ctrl-C at any moment, input that never ends, encodings that
cannot show every character. These drive the installed `gradcli` command
(the one next to sys.executable), as a shell would."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRADCLI = str(Path(sys.executable).with_name("gradcli"))
N = ["sig(a*x+b*y+c)", "a=1", "b=2", "c=-3", "x=-1", "y=3"]

pytestmark = pytest.mark.skipif(not Path(GRADCLI).exists(), reason="gradcli is not installed next to python")


def run(*args, timeout=60, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("capture_output", "stdout" not in kw and "stderr" not in kw)
    return subprocess.run([GRADCLI, *args], timeout=timeout, **kw)


def test_trailing_blanks_take_linear_time(tmp_path):
    blanks = tmp_path / "ws.txt"
    blanks.write_text("x" + " " * 200_000)  # no final newline
    out = run("-f", str(blanks), "x=1", timeout=120, text=True)
    assert out.returncode == 0, out.stderr
    assert "output x = 1" in out.stdout
    # the same on the command line (one argument holds at most 128 KiB)
    out = run("x" + " " * 100_000, "x=1", timeout=120, text=True)
    assert out.returncode == 0 and "output x = 1" in out.stdout
    out = run("x+" + " " * 100_000, "x=1", timeout=120, text=True)
    assert out.returncode == 2 and "the input ends too early" in out.stderr


def sh(command, timeout=60, env=None):
    """`command` in bash, with $G the installed gradcli."""
    e = dict(os.environ, G=GRADCLI, **(env or {}))
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=timeout, env=e,
                          stdin=subprocess.DEVNULL)


def one_line(err):
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and "internal error" not in err and "Aborted" not in err
    return err


needs_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")


@pytest.mark.parametrize("command, code, words", [
    ('$G x x=1 >&-', 74, "gradcli: cannot write the output: standard output is closed"),
    ('$G -i >&-', 74, "standard output is closed"),
    ('$G - x=1 <&-', 2, "gradcli: input error: standard input is closed"),
    ('$G -i <&- >/dev/null', 2, "standard input is closed"),
    pytest.param('$G x x=1 >/dev/full', 74, "gradcli: cannot write the output: No space left on device",
                 marks=needs_full),
    pytest.param('$G --help >/dev/full', 74, "No space left on device", marks=needs_full),
    pytest.param('$G --version >/dev/full', 74, "No space left on device", marks=needs_full),
    pytest.param('$G "sig(a*x+b*y+c)" a=1 b=2 c=-3 x=-1 y=3 --step 0.01 --steps 100 >/dev/full', 74, "No space left on device", marks=needs_full),
])
def test_closed_and_full_streams_are_one_line_and_a_documented_code(command, code, words):
    out = sh(command)
    assert out.returncode == code, out.stderr
    assert words in one_line(out.stderr)
    assert out.stdout == ""


@pytest.mark.parametrize("command, code", [
    ("$G 'x+' 2>/dev/full", 2),
    ("$G 'x+' 2>&-", 2),
    ("$G 'log(x)' x=-1 2>/dev/full", 1),
    ("$G 'x' --precision 0 2>/dev/full", 2),
    ("$G 'x*y' x=1 2>&-", 2),
    ("$G 'x' x=1 2>/dev/full >/dev/null", 0),
])
def test_the_exit_code_does_not_depend_on_stderr(command, code):
    if "/dev/full" in command and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    out = sh(command)
    assert out.returncode == code, out.stderr


def test_unwritable_characters_are_escaped():
    env = {"PYTHONIOENCODING": "ascii"}
    # Output: a name's characters that ASCII cannot show are written escaped.
    out = sh("$G 'x*y' x=1 y=2 --output 'x*y'", env=env)
    assert out.returncode == 0, out.stderr
    # An error quoting characters the terminal cannot show (full-width digits
    # are not numbers in gradcli): escaped, never a crash.
    out = sh("$G 'x*１２' x=1", env=env)
    assert out.returncode == 2 and "\\uff11\\uff12" in out.stderr and "internal error" not in out.stderr
    out = sh("$G 'x*１２+' x=1", env=env)
    assert out.returncode == 2
    assert "syntax error" in out.stderr and "\\uff11\\uff12" in out.stderr and "internal error" not in out.stderr


@pytest.mark.parametrize("extra", [[], ["--json"], ["--every", "1000"]])
def test_a_reader_that_goes_away_ends_the_steps_at_once(extra):
    start = time.monotonic()
    out = sh('set -o pipefail; $G %s --step 0.01 --steps 100000000 %s | head -1'
             % (" ".join("'%s'" % w for w in N), " ".join(extra)), timeout=60)
    assert out.returncode == 141, out.stderr  # killed by SIGPIPE, as the shell tells it
    assert out.stderr == ""
    assert len(out.stdout.splitlines()) == 1
    assert time.monotonic() - start < 30  # 100 million steps would take far longer


def test_sigpipe_kills_it_quietly():
    p = subprocess.Popen([GRADCLI, *N, "--step", "0.01", "--steps", "100000000", "--json"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()
    try:
        assert p.wait(timeout=30) == -signal.SIGPIPE
    finally:
        p.kill()
    assert p.stderr.read() == b""


def test_a_program_that_never_ends_is_refused_after_the_cap(tmp_path):
    for command in ("$G -f /dev/zero", "$G < /dev/zero", "$G - x=1 < /dev/urandom"):
        out = sh(command, timeout=120)
        assert out.returncode == 2, (command, out.stderr)
        assert "the program is more than 64 MiB of text" in out.stderr


def interrupt(args, delay, **kw):
    p = subprocess.Popen([GRADCLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    try:
        time.sleep(delay)
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    return p.returncode, out, err


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("args", [["-"], [], ["-", "--explain"], ["-f", "-", "--tree"], ["-", "--check"]])
def test_ctrl_c_while_reading_stdin_exits_130(fifo, args):
    fd = os.open(fifo, os.O_RDWR)  # a writer that never writes: the read blocks
    try:
        code, out, err = interrupt(args, 1.0, stdin=fd)
    finally:
        os.close(fd)
    assert code == 130, err
    assert "Traceback" not in err and "Aborted" not in err


def test_ctrl_c_while_opening_a_fifo_exits_130(fifo):
    code, out, err = interrupt(["-f", str(fifo), "--all"], 1.0, stdin=subprocess.DEVNULL)
    assert code == 130, err
    assert "Traceback" not in err and "Aborted" not in err


# Ctrl-C at a chosen moment: the command runs under an import hook that sends
# SIGINT to itself when a given module starts loading, so the signal lands at
# that moment exactly, not at a time that depends on the machine's load.
AT_IMPORT = """
import importlib.abc, os, signal, sys
target = sys.argv[1]
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target_module=None):
        if name == target:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = [%r] + sys.argv[2:]
from gradcli.cli import run
run()
""" % GRADCLI


@pytest.mark.parametrize("module, args", [
    ("gradcli.errors", N),                           # the first module gradcli loads
    ("click", N + ["--precision", "3"]),             # click, for a command it reads
    ("gradcli.inputs", N),                           # the command line's own modules
    ("gradcli.modes", N),
    ("gradcli.fastparse", N),                        # parsing
    ("lark", ["x +"]),                               # explaining a syntax error
    ("gradcli.engine", N),                           # the passes
    ("rich.table", N),                               # printing the table
    ("gradcli.explain", N + ["--explain"]),
    ("gradcli.check", N + ["--check"]),
    ("gradcli.draw", N + ["--tree"]),
    ("gradcli.steps", N + ["--step", "0.1"]),
    ("gradcli.repl", ["-i"]),
])
def test_ctrl_c_at_each_stage_exits_130_without_a_traceback(module, args):
    out = subprocess.run([sys.executable, "-c", AT_IMPORT, module, *args], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert out.returncode == 130, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and "Aborted" not in out.stderr and "KeyboardInterrupt" not in out.stderr


def test_the_hook_lets_an_uninterrupted_run_finish():
    out = subprocess.run([sys.executable, "-c", AT_IMPORT, "no.such.module", *N], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert out.returncode == 0 and "output sig(a*x+b*y+c) = 0.8808" in out.stdout


# The same by the clock, from outside, at several moments of the start-up.
# Python's own start-up, before gradcli's first line runs (20 ms and more on a
# busy machine), is Python's: a signal then may still be reported by Python.
@pytest.mark.parametrize("delay", [0.15, 0.2, 0.3, 0.5])
def test_ctrl_c_at_start_up_never_shows_a_traceback(delay):
    code, out, err = interrupt(N, delay, stdin=subprocess.DEVNULL)
    # Killed before Python could take the signal, the shell reports 130 too.
    assert code in (0, 130, -signal.SIGINT), err
    assert "Traceback" not in err and "Aborted" not in err and "KeyboardInterrupt" not in err


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    where = tmp_path_factory.mktemp("big") / "big.txt"
    where.write_text("+".join(["x"] * 100_000))
    return where


@pytest.mark.parametrize("mode", [["--all"], ["--explain"], ["--paths"], ["--dot"], ["--emit", "python"],
                                  ["--all", "--svg", "{dir}/t.svg"], ["--json"]])
def test_ctrl_c_in_the_middle_of_a_big_output_exits_130(big, mode):
    args = ["-f", str(big), "x=1"] + [m.replace("{dir}", str(big.parent)) for m in mode]
    code, out, err = interrupt(args, 2.0, stdin=subprocess.DEVNULL)
    assert code == 130, err
    assert "Traceback" not in err and "Aborted" not in err


def test_ctrl_c_in_a_session_line_keeps_the_session():
    p = subprocess.Popen([GRADCLI, "-i"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        p.stdin.write("x = 1\n:step 0.0000001 100000000 x\n")
        p.stdin.flush()
        time.sleep(2.0)
        os.kill(p.pid, signal.SIGINT)
        time.sleep(0.5)
        out, err = p.communicate("x*2\n", timeout=30)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert "Traceback" not in err and "interrupted" in out + err
    assert "output x*2 = " in out


def test_the_exit_codes_of_streams_and_signals_are_documented():
    from .test_conventions import exit_code_table
    table = exit_code_table()
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert table in readme  # the one table is the README's
    for code in (2, 74, 130, 141):
        assert re.search(r"^\| %d \|" % code, table, re.M), code
    if os.path.exists("/dev/full"):  # the 74 row's message is what gradcli says
        (message,) = re.findall(r"^\| 74 \|.*`(gradcli: [^`]*)`", table, re.M)
        assert sh("$G x x=1 >/dev/full").stderr == message + "\n"
